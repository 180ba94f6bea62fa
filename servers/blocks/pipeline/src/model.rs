//! The embedded classifier for the pipeline: load it from the data directory,
//! bootstrap it from the bundled seed tickets when none was trained, and the
//! `omega classifier train|eval` commands.

use std::path::{Path, PathBuf};
use std::time::Instant;

use omega_classifier::{
    Classifier, EvalReport, Model, Target, TrainConfig, evaluate, labelled, read_labelled_csv,
};
use serde::Serialize;

use crate::error::PipelineError;

/// The bundled seed: 64 hand-written IT tickets, 8 per category, with priorities.
/// Used only when no model was trained from the MSP's own history.
pub const SEED_CSV: &str = include_str!("../seed/seed-tickets.csv");

const CATEGORY_FILE: &str = "category.model";
const PRIORITY_FILE: &str = "priority.model";

/// Where the models live: `{data_dir}/classifier/`.
pub fn model_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("classifier")
}

/// Where the classifier the pipeline uses came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ModelSource {
    /// Loaded from the data directory.
    Loaded,
    /// Trained at start from the bundled seed tickets (and saved).
    Seed,
}

/// Loads the classifier from `{data_dir}/classifier/`, or trains one from the
/// bundled seed set and saves it there when none exists.
pub fn load_or_bootstrap(data_dir: &Path) -> Result<(Classifier, ModelSource), PipelineError> {
    let dir = model_dir(data_dir);
    let cat = dir.join(CATEGORY_FILE);
    if cat.exists() {
        let category = Model::load(&cat)?;
        let prio = dir.join(PRIORITY_FILE);
        let priority = if prio.exists() {
            Some(Model::load(&prio)?)
        } else {
            None
        };
        return Ok((Classifier { category, priority }, ModelSource::Loaded));
    }
    std::fs::create_dir_all(&dir).map_err(PipelineError::io("create", &dir))?;
    let seed = dir.join("seed-tickets.csv");
    std::fs::write(&seed, SEED_CSV).map_err(PipelineError::io("write", &seed))?;
    let records = read_labelled_csv(&seed)?;
    let classifier = Classifier::train(&records, &seed_config())?;
    save(&classifier, &dir)?;
    tracing::info!(path = %dir.display(), examples = records.len(), "trained the classifier from the bundled seed tickets");
    Ok((classifier, ModelSource::Seed))
}

/// Training settings for the tiny seed set: a quarter of it fits the
/// confidence temperature (without calibration, eight-class margins from 64
/// rows give near-uniform confidences and the model would always abstain),
/// then the model is refit on all rows; unknown-word abstention is relaxed
/// since the seed vocabulary is small. 2^16 hash buckets are plenty for 64
/// rows and keep the seed model small in memory (the full-size default is
/// 2^20 buckets, about 4 MB of weights per class).
fn seed_config() -> TrainConfig {
    TrainConfig {
        features: omega_classifier::FeatureConfig {
            hash_bits: 16,
            ..omega_classifier::FeatureConfig::default()
        },
        calibration_fraction: 0.25,
        refit: true,
        min_known_words: 0.2,
        ..TrainConfig::default()
    }
}

/// Saves both models into `dir`.
pub fn save(classifier: &Classifier, dir: &Path) -> Result<(), PipelineError> {
    std::fs::create_dir_all(dir).map_err(PipelineError::io("create", dir))?;
    classifier.category.save(dir.join(CATEGORY_FILE))?;
    let prio = dir.join(PRIORITY_FILE);
    match &classifier.priority {
        Some(p) => p.save(&prio)?,
        None if prio.exists() => {
            std::fs::remove_file(&prio).map_err(PipelineError::io("remove", &prio))?
        }
        None => {}
    }
    Ok(())
}

/// What `omega classifier train` did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainSummary {
    /// Rows read.
    pub examples: usize,
    /// Category labels learned.
    pub categories: Vec<String>,
    /// Whether a priority model was trained (the CSV had a `priority` column with 2+ values).
    pub priority_model: bool,
    /// Training time in seconds.
    pub seconds: f64,
    /// Where the models were saved.
    pub model_dir: PathBuf,
}

impl std::fmt::Display for TrainSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "trained on {} tickets in {:.1} s",
            self.examples, self.seconds
        )?;
        writeln!(f, "categories: {}", self.categories.join(", "))?;
        writeln!(
            f,
            "priority model: {}",
            if self.priority_model {
                "yes"
            } else {
                "no (no priority column)"
            }
        )?;
        write!(f, "saved to {}", self.model_dir.display())
    }
}

/// `omega classifier train <csv>`: trains from a ticket-history export
/// (columns `text,category`, optionally `priority`; `.csv` or `.csv.gz`) and
/// saves the models into `{data_dir}/classifier/`, replacing the seed model.
/// A running pipeline picks the new model up at its next start.
pub fn train_csv(csv: &Path, data_dir: &Path) -> Result<TrainSummary, PipelineError> {
    let records = read_labelled_csv(csv)?;
    let started = Instant::now();
    let classifier = Classifier::train(&records, &TrainConfig::default())?;
    let seconds = started.elapsed().as_secs_f64();
    let dir = model_dir(data_dir);
    save(&classifier, &dir)?;
    Ok(TrainSummary {
        examples: records.len(),
        categories: classifier.category.labels().to_vec(),
        priority_model: classifier.priority.is_some(),
        seconds,
        model_dir: dir,
    })
}

/// `omega classifier eval <csv> [--json]`: evaluates the model in the data
/// directory (bootstrapping the seed model when none exists) on a labelled
/// CSV. Print the report with `Display`, or serialize it for `--json`.
pub fn eval_csv(csv: &Path, data_dir: &Path) -> Result<EvalReport, PipelineError> {
    let (classifier, _) = load_or_bootstrap(data_dir)?;
    let records = read_labelled_csv(csv)?;
    Ok(evaluate(
        &classifier.category,
        &labelled(&records, Target::Category),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_has_eight_categories_and_bootstraps_once() {
        let dir = tempfile::tempdir().unwrap();
        let (c, src) = load_or_bootstrap(dir.path()).unwrap();
        assert_eq!(src, ModelSource::Seed);
        assert_eq!(c.category.labels().len(), 8);
        assert!(c.priority.is_some());
        let p = c.predict("my account is locked out after too many password attempts");
        assert_eq!(p.category.top_label(), "Access");
        let (again, src) = load_or_bootstrap(dir.path()).unwrap();
        assert_eq!(src, ModelSource::Loaded);
        assert_eq!(again.category.labels(), c.category.labels());
    }

    #[test]
    fn train_and_eval_from_csv() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("history.csv");
        std::fs::write(&csv, SEED_CSV).unwrap();
        let s = train_csv(&csv, dir.path()).unwrap();
        assert_eq!(s.examples, 64);
        assert!(s.priority_model);
        let report = eval_csv(&csv, dir.path()).unwrap();
        assert_eq!(report.examples, 64);
        // Training-set accuracy of a linear model on 64 separable rows.
        assert!(report.accuracy > 0.9, "{}", report.accuracy);
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "title,label\nx,y\n").unwrap();
        assert!(train_csv(&bad, dir.path()).is_err());
    }
}
