use std::path::Path;

use omega_classifier::{
    Model, Target, TrainConfig, evaluate, labelled, read_labelled_csv, stratified_split,
};

/// The labelled ticket data in the repository (`data/tickets`, CC0).
const REAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../data/tickets/it-tickets-train.csv.gz"
);

/// Trains on a 2,000-row stratified sample of the real ticket data (from `data/tickets`;
/// the full benchmark is the `evaluate` example) and checks held-out accuracy.
#[test]
fn real_ticket_sample_trains_to_useful_accuracy() {
    assert!(
        Path::new(REAL).exists(),
        "{REAL} is missing from the checkout"
    );
    let all = labelled(&read_labelled_csv(REAL).unwrap(), Target::Category);
    assert_eq!(all.len(), 38_268);
    let fraction = 2_000.0 / all.len() as f64;
    let (_, sample) = stratified_split(&all, fraction, 7);
    assert!((1_990..=2_010).contains(&sample.len()), "{}", sample.len());
    let (train, test) = stratified_split(&sample, 0.25, 11);
    let model = Model::train(&train, &TrainConfig::default()).unwrap();
    let report = evaluate(&model, &test);
    assert_eq!(report.labels.len(), 8);
    assert!(report.accuracy > 0.7, "{report}");
    assert!(report.ece < 0.15, "{report}");
}
