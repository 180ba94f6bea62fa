//! Errors of the queue backends.

/// Result type of this crate.
pub type Result<T, E = QueueError> = std::result::Result<T, E>;

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The queue name is not 1..=200 bytes of ASCII letters, digits, `.`, `_`, `-`.
    #[error("invalid queue name {name:?}: use 1..=200 ASCII letters, digits, '.', '_' or '-'")]
    InvalidQueueName {
        /// The (possibly shortened) name given.
        name: String,
    },
    /// A message field is missing or too long.
    #[error("invalid message: {reason}")]
    InvalidMessage {
        /// What to fix.
        reason: String,
    },
    /// The lease is no longer held: it was acked, nacked, dead-lettered, or it expired and the
    /// message was delivered to another consumer. Do not commit side effects for it.
    #[error(
        "lease on message {id:?} in queue {queue:?} is no longer held (expired and redelivered, or already settled)"
    )]
    LeaseLost {
        /// Queue of the lease.
        queue: String,
        /// Message id.
        id: String,
    },
    /// The lease was not produced by this backend.
    #[error("lease token {token:?} was not issued by this queue backend")]
    ForeignLease {
        /// The token found.
        token: String,
    },
    /// The embedded store failed (disk full, corrupt file, I/O error).
    #[error("embedded queue store at {path}: {message}")]
    Storage {
        /// Data directory.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Redis could not be reached at startup.
    #[error("cannot connect to Redis at {url}: {source} (is Redis running and is the URL right?)")]
    RedisUnavailable {
        /// URL used (password removed).
        url: String,
        /// Underlying error.
        #[source]
        source: redis::RedisError,
    },
    /// A Redis command failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Stored data could not be decoded.
    #[error("corrupt queue record: {0}")]
    Corrupt(String),
    /// The queue was shut down.
    #[error("queue is shut down")]
    Closed,
}
