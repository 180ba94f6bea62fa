//! Write-once blob storage for sealed segments.
//!
//! A [`BlobStore`] is deliberately small: `put` (create, never overwrite),
//! `get` and `list`. Sealed segments are immutable, so the store never needs
//! update or delete, and production deployments can enforce that with the
//! storage service's own immutability policy (see the crate docs).

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

pub mod azure;
pub mod local;

/// A boxed, sendable future (keeps [`BlobStore`] object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// No blob has this name.
    #[error("blob `{name}` does not exist")]
    NotFound {
        /// The blob name.
        name: String,
    },
    /// A blob with this name exists; blobs are write-once.
    #[error("blob `{name}` already exists and blobs are write-once")]
    AlreadyExists {
        /// The blob name.
        name: String,
    },
    /// The name is not a valid blob name.
    #[error(
        "`{name}` is not a valid blob name: use 1-1024 characters of A-Z a-z 0-9 . _ - / without `..` or a leading `/`"
    )]
    InvalidName {
        /// The offending name.
        name: String,
    },
    /// A local file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The service answered with an unexpected status.
    #[error("blob service answered {status} to {operation}: {message}")]
    Http {
        /// What was being done.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The service's error code or body.
        message: String,
    },
    /// The service could not be reached.
    #[error("blob service unreachable during {operation}: {message}")]
    Transport {
        /// What was being done.
        operation: String,
        /// The cause.
        message: String,
    },
}

/// Checks that `name` is a safe, portable blob name.
pub fn validate_name(name: &str) -> Result<(), BlobError> {
    let ok = !name.is_empty()
        && name.len() <= 1024
        && !name.starts_with('/')
        && !name.ends_with('/')
        && name
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(BlobError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// Immutable blob storage.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Creates blob `name` with `bytes`. Fails with [`BlobError::AlreadyExists`]
    /// when it exists: a blob is written once and never replaced.
    fn put<'a>(&'a self, name: &'a str, bytes: Bytes) -> BoxFuture<'a, Result<(), BlobError>>;

    /// Reads blob `name`.
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Bytes, BlobError>>;

    /// The names of all blobs starting with `prefix`, sorted.
    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, BlobError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        for ok in ["segments/00000000000000000001.jsonl", "a", "a/b-c_d.e"] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "/a", "a/", "a//b", "../a", "a/../b", "a b", "a\\b", "é"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }
}
