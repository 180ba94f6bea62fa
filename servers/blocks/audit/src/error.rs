//! The audit crate's error type.

use omega_protocol::{ErrorCode, OmegaError};

use crate::blob::BlobError;

/// Why an audit operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A local file operation (WAL, directory) failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// Stored data does not continue the hash chain; run `omega audit verify`.
    #[error("audit data is inconsistent: {what}; run `omega audit verify` to locate the damage")]
    Corrupt {
        /// What does not fit.
        what: String,
    },
    /// A sealed segment with the same name but other content exists.
    #[error(
        "segment `{name}` already exists with different content; the log was forked or tampered with"
    )]
    Conflict {
        /// The segment blob name.
        name: String,
    },
    /// The log was closed with `AuditLog::close`; it takes no more records.
    #[error("the audit log is closed")]
    Closed,
    /// The log was set up wrongly (e.g. the head inside the audit directory).
    #[error("audit configuration: {what}")]
    Config {
        /// What is wrong and how to fix it.
        what: String,
    },
    /// A previous write-ahead-log write or fsync failed; the log refuses further
    /// appends until the process restarts and recovers from the WAL.
    #[error("the audit log stopped after a failed write ({reason}); restart to recover")]
    Stopped {
        /// The first failure.
        reason: String,
    },
}

impl AuditError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> AuditError {
        let context = context.into();
        move |source| AuditError::Io { context, source }
    }
}

impl From<AuditError> for OmegaError {
    fn from(e: AuditError) -> Self {
        let code = match &e {
            AuditError::Io { .. }
            | AuditError::Blob(_)
            | AuditError::Stopped { .. }
            | AuditError::Closed => ErrorCode::BACKEND_UNAVAILABLE,
            AuditError::Corrupt { .. }
            | AuditError::Conflict { .. }
            | AuditError::Config { .. } => ErrorCode::INTERNAL_ERROR,
        };
        OmegaError::new(code, e.to_string())
    }
}
