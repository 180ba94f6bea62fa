use omega_classifier::{
    AbstainReason, Classifier, ClassifierError, EvalReport, LabelledText, Model, TicketRecord,
    TrainConfig, evaluate,
};

use crate::{small_config, synthetic};

#[test]
fn learns_separable_labels_and_generalises() {
    let train = synthetic(60, 1);
    let test = synthetic(25, 2);
    let model = Model::train(&train, &small_config()).unwrap();
    let report = evaluate(&model, &test);
    assert!(report.accuracy > 0.95, "{report}");
    assert!(report.macro_f1 > 0.95, "{report}");
    assert_eq!(report.labels.len(), 4);
    let total: u64 = report.confusion_matrix.iter().flatten().sum();
    assert_eq!(total, test.len() as u64);
    assert!((0.0..=1.0).contains(&report.ece));
    // Display and JSON round-trip.
    let shown = report.to_string();
    assert!(
        shown.contains("macro-F1") && shown.contains("Purchase"),
        "{shown}"
    );
    let back: EvalReport = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
    assert_eq!(back, report);
}

#[test]
fn shuffled_labels_do_not_generalise() {
    // Guards against an evaluation that cannot fail: with labels unrelated to the texts the
    // held-out accuracy must be near chance (0.25).
    let mut train = synthetic(60, 3);
    let labels: Vec<String> = train.iter().map(|e| e.label.clone()).collect();
    for (i, e) in train.iter_mut().enumerate() {
        e.label = labels[(i * 7 + 3) % labels.len()].clone();
    }
    let model = Model::train(&train, &small_config()).unwrap();
    let report = evaluate(&model, &synthetic(25, 4));
    assert!(report.accuracy < 0.5, "{report}");
}

#[test]
fn confidence_is_a_probability_and_abstains_on_gibberish_and_empty_text() {
    let model = Model::train(&synthetic(60, 5), &small_config()).unwrap();
    for text in [
        "laptop screen broken please help",
        "vpn password locked",
        "",
        "qq",
        "zxqv wplkj frobnitz",
    ] {
        let p = model.predict(text);
        assert!((0.0..=1.0).contains(&p.confidence), "{p:?}");
        let sum: f64 = p.scores.iter().map(|s| s.1).sum();
        assert!((sum - 1.0).abs() < 1e-6, "{p:?}");
        assert!(p.scores.windows(2).all(|w| w[0].1 >= w[1].1));
        assert_eq!(p.abstained, p.label.is_none());
    }
    let sure = model.predict("laptop screen keyboard broken please help");
    assert_eq!(sure.label.as_deref(), Some("Hardware"), "{sure:?}");
    assert!(sure.confidence > 0.5);
    let empty = model.predict("  !!! ");
    assert!(empty.abstained);
    assert_eq!(empty.abstain_reason, Some(AbstainReason::EmptyText));
    let gibberish = model.predict("zxqv wplkj frobnitz quux");
    assert_eq!(
        gibberish.abstain_reason,
        Some(AbstainReason::UnknownWords),
        "{gibberish:?}"
    );
    // The threshold decides: just above a text's confidence it abstains, at it it answers.
    let mut strict = model.clone();
    let c = model.predict("laptop password").confidence;
    strict.set_abstain_threshold(c + 1e-9);
    let unsure = strict.predict("laptop password");
    assert_eq!(
        unsure.abstain_reason,
        Some(AbstainReason::LowConfidence),
        "{unsure:?}"
    );
    assert_eq!(unsure.label, None);
    strict.set_abstain_threshold(c);
    assert!(!strict.predict("laptop password").abstained);
}

#[test]
fn abstaining_raises_accuracy_on_answered() {
    let mut train = synthetic(60, 6);
    // 20% label noise so that confidences spread out.
    for (i, e) in train.iter_mut().enumerate() {
        if i % 5 == 0 {
            e.label = "Access".into();
        }
    }
    let model = Model::train(&train, &small_config()).unwrap();
    let report = evaluate(&model, &synthetic(40, 7));
    assert!(report.accuracy_when_answered >= report.accuracy, "{report}");
}

#[test]
fn update_moves_near_duplicates_and_spares_others() {
    let mut model = Model::train(&synthetic(60, 8), &small_config()).unwrap();
    let text = "printer monitor keyboard jammed paper tray please help";
    let near = "printer monitor keyboard jammed paper tray again please";
    let other = "payroll salary holiday question thanks";
    assert_eq!(model.predict(text).top_label(), "Hardware");
    assert_eq!(model.predict(near).top_label(), "Hardware");
    let other_before = model.predict(other);
    model.update(text, "Purchase").unwrap();
    assert_eq!(model.updates(), 1);
    assert_eq!(model.predict(text).top_label(), "Purchase");
    assert_eq!(
        model.predict(near).top_label(),
        "Purchase",
        "{:?}",
        model.predict(near)
    );
    assert_eq!(model.predict(other).top_label(), other_before.top_label());
    // A new label becomes a new class.
    model
        .update_batch(
            &[LabelledText::new("badge door card reader", "Facilities")],
            3,
        )
        .unwrap();
    assert!(model.labels().iter().any(|l| l == "Facilities"));
    assert_eq!(
        model.predict("badge door card reader broken").top_label(),
        "Facilities"
    );
    assert!(matches!(
        model.update("x", " "),
        Err(ClassifierError::EmptyLabel)
    ));
}

#[test]
fn retrain_replaces_the_model() {
    let mut model = Model::train(&synthetic(30, 9), &small_config()).unwrap();
    let mut data = synthetic(30, 9);
    data.extend(
        (0..30).map(|i| LabelledText::new(format!("badge door card reader {i}"), "Facilities")),
    );
    model.retrain(&data, &small_config()).unwrap();
    assert_eq!(model.labels().len(), 5);
    assert_eq!(model.trained_examples(), data.len() as u64);
    assert_eq!(
        model.predict("badge card reader door").label.as_deref(),
        Some("Facilities")
    );
}

#[test]
fn bad_training_input_is_rejected() {
    let one_label = vec![LabelledText::new("a b", "x"), LabelledText::new("c d", "x")];
    assert!(matches!(
        Model::train(&one_label, &small_config()),
        Err(ClassifierError::InvalidTrainingData(_))
    ));
    assert!(matches!(
        Model::train(&[], &small_config()),
        Err(ClassifierError::InvalidTrainingData(_))
    ));
    let empty = vec![LabelledText::new("a b", "x"), LabelledText::new("c d", "")];
    assert!(matches!(
        Model::train(&empty, &small_config()),
        Err(ClassifierError::EmptyLabel)
    ));
    let cfg = TrainConfig {
        c: -1.0,
        ..small_config()
    };
    assert!(matches!(
        Model::train(&synthetic(5, 1), &cfg),
        Err(ClassifierError::InvalidConfig(_))
    ));
    let err = serde_json::from_str::<TrainConfig>(r#"{"cee": 1}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
}

#[test]
fn classifier_learns_priority_when_present() {
    let records: Vec<TicketRecord> = synthetic(40, 10)
        .into_iter()
        .map(|e| TicketRecord {
            priority: Some(if e.label == "Access" { "high" } else { "low" }.to_owned()),
            text: e.text,
            category: e.label,
        })
        .collect();
    let clf = Classifier::train(&records, &small_config()).unwrap();
    let p = clf.predict("vpn account locked mfa");
    assert_eq!(p.category.top_label(), "Access");
    assert_eq!(p.priority.as_ref().map(|p| p.top_label()), Some("high"));
    let no_prio: Vec<TicketRecord> = records
        .into_iter()
        .map(|r| TicketRecord {
            priority: None,
            ..r
        })
        .collect();
    assert!(
        Classifier::train(&no_prio, &small_config())
            .unwrap()
            .priority
            .is_none()
    );
}
