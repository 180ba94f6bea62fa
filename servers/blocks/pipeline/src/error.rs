//! Errors of the pipeline runtime.

use std::path::PathBuf;

/// Why starting or running a pipeline step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The queue backend failed.
    #[error("queue: {0}")]
    Queue(#[from] omega_queue::QueueError),
    /// The result store failed.
    #[error("store: {0}")]
    Store(#[from] omega_store::StoreError),
    /// The classifier could not be trained, loaded or saved.
    #[error("classifier: {0}")]
    Classifier(#[from] omega_classifier::ClassifierError),
    /// A call to another OMEGA service failed.
    #[error("client: {0}")]
    Client(#[from] omega_client::ClientError),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is inconsistent; the message names the key.
    #[error("invalid pipeline configuration: {0}")]
    Config(String),
    /// The demo could not post or read a ticket.
    #[error("demo: {0}")]
    Demo(String),
}

impl PipelineError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
