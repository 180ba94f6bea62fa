//! Durable work queues with leases, retries, dead letters and idempotency: embedded and Redis
//! Streams backends.
//!
//! OMEGA's ticket pipeline (`ticket-raw`, `ticket-normalized`, `ticket-triage`, `auto-action`,
//! `needs-review`, `employee-activity`) talks to the [`Queue`] trait. Two backends implement it:
//!
//! - [`EmbeddedQueue`] (default): a redb file under a data directory. `enqueue` returns after the
//!   message is fsynced (concurrent writes share one commit), leases live in memory, so after a
//!   restart every un-acked message is ready again.
//! - [`RedisQueue`]: Redis Streams with a consumer group, driven by Lua scripts so every state
//!   change is atomic.
//!
//! Both give at-least-once delivery, visibility timeouts, exponential-backoff retries, a
//! `<queue>.dlq` dead-letter queue after `maxAttempts`, and dedupe of message ids.

pub mod embedded;
mod error;
mod queue;
pub mod redis_streams;
mod types;

pub use embedded::EmbeddedQueue;
pub use error::{QueueError, Result};
pub use queue::Queue;
pub use redis_streams::{RedisQueue, RedisQueueConfig};
pub use types::{
    DLQ_SUFFIX, EnqueueOutcome, Lease, MAX_FAILURES_KEPT, MAX_REASON_BYTES, Message, NackOutcome,
    QueueOptions, QueueSettings, QueueStats, dlq_name, is_dlq, validate_queue_name,
};
