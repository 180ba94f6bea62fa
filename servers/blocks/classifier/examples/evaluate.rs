//! Trains and evaluates the classifier on a ticket CSV (`.csv` or `.csv.gz`).
//!
//! ```text
//! cargo run --release -p omega-classifier --example evaluate -- data/tickets/it-tickets-train.csv.gz
//! ```
//!
//! Stratified 80/20 split with a fixed seed; prints accuracy, macro-F1, ECE, the abstention
//! trade-off, training time, inference latency p50/p99 over the test set and the model file size.
//! Options: `--config <json>` (a `TrainConfig`, e.g. `{"c":0.3}`), `--seed <n>`, `--json` (print
//! the report as JSON too), `--target priority` (learn the priority column instead).

use std::time::Instant;

use anyhow::{Context, bail};
use omega_classifier::{
    Model, Target, TrainConfig, evaluate, labelled, read_labelled_csv, stratified_split,
};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut path, mut cfg, mut seed, mut json, mut target) =
        (None, TrainConfig::default(), 42u64, false, Target::Category);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => cfg = serde_json::from_str(&args.next().context("--config needs JSON")?)?,
            "--seed" => seed = args.next().context("--seed needs a number")?.parse()?,
            "--json" => json = true,
            "--target" => {
                target = match args.next().as_deref() {
                    Some("priority") => Target::Priority,
                    Some("category") => Target::Category,
                    other => bail!("--target must be category or priority, got {other:?}"),
                }
            }
            _ if path.is_none() => path = Some(a),
            _ => bail!("unexpected argument {a}"),
        }
    }
    let path =
        path.context("usage: evaluate <tickets.csv[.gz]> [--config JSON] [--seed N] [--json]")?;

    let t = Instant::now();
    let records = read_labelled_csv(&path)?;
    let data = labelled(&records, target);
    println!(
        "read {} records ({} labelled for {:?}) in {:.2} s",
        records.len(),
        data.len(),
        target,
        t.elapsed().as_secs_f64()
    );
    let (train, test) = stratified_split(&data, 0.2, seed);
    println!(
        "stratified split (seed {seed}): train {}, test {}",
        train.len(),
        test.len()
    );
    println!("config: {}", serde_json::to_string(&cfg)?);

    let t = Instant::now();
    let model = Model::train(&train, &cfg)?;
    let train_secs = t.elapsed().as_secs_f64();
    println!(
        "training: {train_secs:.2} s (temperature {:.5})",
        model.temperature()
    );

    let report = evaluate(&model, &test);
    println!("\n{report}");

    // Abstention trade-off at several thresholds, from the same predictions.
    let preds: Vec<_> = test
        .iter()
        .map(|e| (model.predict(&e.text), &e.label))
        .collect();
    println!("threshold  answered  accuracy-when-answered");
    for th in [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let answered: Vec<_> = preds.iter().filter(|(p, _)| p.confidence >= th).collect();
        let ok = answered
            .iter()
            .filter(|(p, l)| p.top_label() == l.as_str())
            .count();
        println!(
            "{th:>9.2}  {:>7.1}%  {:.4}",
            100.0 * answered.len() as f64 / preds.len() as f64,
            ok as f64 / answered.len().max(1) as f64
        );
    }

    // Latency of one prediction (featurize + score + calibrate), measured over the test set.
    let mut lat: Vec<f64> = Vec::with_capacity(test.len());
    for e in &test {
        let t = Instant::now();
        std::hint::black_box(model.predict(std::hint::black_box(&e.text)));
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "\ninference latency over {} test texts: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        lat.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );

    let dir = tempfile::tempdir()?;
    let file = dir.path().join("model.omegaclf");
    let t = Instant::now();
    model.save(&file)?;
    let save = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let loaded = Model::load(&file)?;
    let load = t.elapsed().as_secs_f64();
    let same = test
        .iter()
        .take(500)
        .all(|e| loaded.predict(&e.text) == model.predict(&e.text));
    println!(
        "model file {:.1} MB, save {save:.2} s, load {load:.2} s, predictions identical after load: {same}",
        std::fs::metadata(&file)?.len() as f64 / 1e6
    );
    println!(
        "\nSUMMARY accuracy={:.4} macro_f1={:.4} ece={:.4} abstain_rate={:.4} acc_answered={:.4} train_s={train_secs:.2} p50_us={:.1} p99_us={:.1}",
        report.accuracy,
        report.macro_f1,
        report.ece,
        report.abstain_rate,
        report.accuracy_when_answered,
        pct(0.5),
        pct(0.99)
    );
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}
