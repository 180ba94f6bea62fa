//! Evaluation: accuracy, macro-F1, per-class metrics, confusion matrix, calibration and abstention.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::calibrate::expected_calibration_error;
use crate::data::LabelledText;
use crate::model::Model;

/// Number of equal-width bins for the expected calibration error.
const ECE_BINS: usize = 15;

/// Precision, recall and F1 of one label (top-label predictions, abstention ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassMetrics {
    /// The label.
    pub label: String,
    /// Share of predictions of this label that were right.
    pub precision: f64,
    /// Share of examples of this label that were found.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of examples with this label.
    pub support: u64,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalReport {
    /// Number of examples evaluated.
    pub examples: u64,
    /// Share of examples whose top label is right (abstentions count with their top label).
    pub accuracy: f64,
    /// Unweighted mean of the per-class F1 scores.
    pub macro_f1: f64,
    /// Metrics per label, in the order of `labels`.
    pub per_class: Vec<ClassMetrics>,
    /// The labels indexing the confusion matrix.
    pub labels: Vec<String>,
    /// `confusion_matrix[true][predicted]` counts.
    pub confusion_matrix: Vec<Vec<u64>>,
    /// Expected calibration error of the top-label confidence (15 bins).
    pub ece: f64,
    /// The abstain threshold in force.
    pub abstain_threshold: f64,
    /// Share of examples on which the model abstained.
    pub abstain_rate: f64,
    /// Accuracy on the examples the model did not abstain on (0 when it abstained on all).
    pub accuracy_when_answered: f64,
}

/// Evaluates `model` on `examples`. Labels unknown to the model count as errors.
pub fn evaluate(model: &Model, examples: &[LabelledText]) -> EvalReport {
    let mut labels: Vec<String> = model.labels().to_vec();
    for e in examples {
        if !labels.contains(&e.label) {
            labels.push(e.label.clone());
        }
    }
    let k = labels.len();
    let index = |l: &str| {
        labels
            .iter()
            .position(|x| x == l)
            .expect("all labels collected")
    };
    let mut confusion = vec![vec![0u64; k]; k];
    let mut calib = Vec::with_capacity(examples.len());
    let (mut correct, mut answered, mut answered_correct) = (0u64, 0u64, 0u64);
    for e in examples {
        let p = model.predict(&e.text);
        let ok = p.top_label() == e.label;
        confusion[index(&e.label)][index(p.top_label())] += 1;
        calib.push((p.confidence, ok));
        correct += u64::from(ok);
        if !p.abstained {
            answered += 1;
            answered_correct += u64::from(ok);
        }
    }
    let per_class: Vec<ClassMetrics> = (0..k)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
            let support: u64 = confusion[c].iter().sum();
            let precision = if predicted > 0 {
                tp / predicted as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassMetrics {
                label: labels[c].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let n = examples.len() as u64;
    let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let present: Vec<&ClassMetrics> = per_class.iter().filter(|m| m.support > 0).collect();
    EvalReport {
        examples: n,
        accuracy: ratio(correct, n),
        macro_f1: present.iter().map(|m| m.f1).sum::<f64>() / present.len().max(1) as f64,
        per_class,
        labels,
        confusion_matrix: confusion,
        ece: expected_calibration_error(&calib, ECE_BINS),
        abstain_threshold: model.abstain_threshold(),
        abstain_rate: ratio(n - answered, n),
        accuracy_when_answered: ratio(answered_correct, answered),
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "examples {}  accuracy {:.4}  macro-F1 {:.4}  ECE {:.4}",
            self.examples, self.accuracy, self.macro_f1, self.ece
        )?;
        writeln!(
            f,
            "abstain threshold {:.2}: abstained {:.1}%, accuracy when answered {:.4}",
            self.abstain_threshold,
            self.abstain_rate * 100.0,
            self.accuracy_when_answered
        )?;
        let width = self
            .labels
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(f, "{:width$}  precision  recall     f1  support", "label")?;
        for m in &self.per_class {
            writeln!(
                f,
                "{:width$}  {:>9.4}  {:>6.4}  {:>5.4}  {:>7}",
                m.label, m.precision, m.recall, m.f1, m.support
            )?;
        }
        writeln!(
            f,
            "confusion matrix (rows: true, columns: predicted, in label order above):"
        )?;
        for (label, row) in self.labels.iter().zip(&self.confusion_matrix) {
            write!(f, "{label:width$}")?;
            for v in row {
                write!(f, " {v:>6}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
