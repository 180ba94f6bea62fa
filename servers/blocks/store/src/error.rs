//! Store errors.

use omega_protocol::{ErrorCode, OmegaError};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend cannot be reached (network, server down); retrying later may succeed.
    #[error("storage backend unavailable: {0}")]
    Unavailable(String),
    /// The backend answered with an error or the data on disk is unreadable.
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// The caller passed an invalid argument (e.g. a vector of the wrong dimension).
    #[error("invalid store request: {0}")]
    Invalid(String),
}

impl From<StoreError> for OmegaError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(msg) => OmegaError::backend_unavailable(msg),
            StoreError::Backend(msg) => OmegaError::new(ErrorCode::INTERNAL_ERROR, msg),
            StoreError::Invalid(msg) => OmegaError::invalid_params(msg),
        }
    }
}

macro_rules! redb_errors {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(err: $ty) -> Self {
                StoreError::Backend(err.to_string())
            }
        }
    )*};
}

redb_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
