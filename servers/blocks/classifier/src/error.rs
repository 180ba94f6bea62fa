//! Errors of the classifier crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading data, training, predicting or persisting a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifierError {
    /// A file could not be opened, read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("open", "read", "write").
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV row is malformed or misses a required value.
    #[error("{path}: line {line}, column `{column}`: {message}")]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number of the offending record (0 when unknown).
        line: u64,
        /// The column concerned (or `*` for the record as a whole).
        column: String,
        /// What is wrong and what to fix.
        message: String,
    },
    /// The training set cannot produce a model.
    #[error("invalid training data: {0}")]
    InvalidTrainingData(String),
    /// The training configuration is out of range.
    #[error("invalid training configuration: {0}")]
    InvalidConfig(String),
    /// A saved model could not be decoded.
    #[error("{path}: not a valid OMEGA classifier model: {message}")]
    CorruptModel {
        /// The model file.
        path: PathBuf,
        /// What was wrong with it.
        message: String,
    },
    /// A saved model has a format version this build cannot read.
    #[error(
        "{path}: model format version {found} is not supported (this build reads version {supported}); retrain or convert the model"
    )]
    UnsupportedVersion {
        /// The model file.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A label was empty.
    #[error("label must not be empty")]
    EmptyLabel,
}
