//! OMEGA's embedded ticket classifier: trained from ticket history, calibrated, abstains when unsure.
//!
//! Pure Rust, no model download: texts become hashed TF-IDF vectors (word unigrams and bigrams plus
//! character n-grams inside words), one-vs-rest linear SVMs are trained by dual coordinate descent,
//! and a softmax temperature fitted on held-out data turns margins into calibrated confidences.
//! The model abstains on empty or unknown text and below a confidence threshold, learns online from
//! corrections ([`Model::update`]), and saves to a compact versioned file ([`Model::save`]).
//!
//! The same trainer learns any label column: [`Classifier`] bundles a category model and, when the
//! data has priorities, a priority model.

mod calibrate;
mod classifier;
mod data;
mod error;
mod eval;
mod features;
mod model;
mod persist;
mod rng;
mod svm;

pub use calibrate::expected_calibration_error;
pub use classifier::{Classifier, TicketPrediction};
pub use data::{LabelledText, Target, TicketRecord, labelled, read_labelled_csv, stratified_split};
pub use error::ClassifierError;
pub use eval::{ClassMetrics, EvalReport, evaluate};
pub use features::FeatureConfig;
pub use model::{AbstainReason, DEFAULT_ABSTAIN_THRESHOLD, Model, Prediction, TrainConfig};
pub use persist::FORMAT_VERSION;
