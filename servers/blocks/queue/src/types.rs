//! Messages, leases, outcomes, statistics and per-queue options shared by every backend.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{QueueError, Result};

/// Suffix of the dead-letter queue that belongs to a queue: `ticket-raw` → `ticket-raw.dlq`.
pub const DLQ_SUFFIX: &str = ".dlq";

/// Most failure reasons kept on a message (the newest win).
pub const MAX_FAILURES_KEPT: usize = 10;

/// Longest failure reason kept, in bytes; longer reasons are cut.
pub const MAX_REASON_BYTES: usize = 1024;

/// A unit of work on a queue.
///
/// `id` is the idempotency key (a ticket id, a webhook delivery id): a second enqueue of the same
/// `(queue, tenant, id)` is refused with [`EnqueueOutcome::Duplicate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Idempotency key, unique per queue and tenant.
    pub id: String,
    /// Tenant the work belongs to.
    pub tenant: String,
    /// The work itself.
    pub payload: serde_json::Value,
    /// Deliveries so far. Inside a [`Lease`] this counts the current delivery (1 on the first).
    /// Set by the queue; ignored on enqueue.
    #[serde(default)]
    pub attempts: u32,
    /// Why earlier deliveries failed (nack reasons, "lease expired"), oldest first. Set by the queue.
    #[serde(default)]
    pub failures: Vec<String>,
    /// When the message was first accepted, in milliseconds since the Unix epoch. Set by the queue.
    #[serde(default)]
    pub enqueued_at_ms: u64,
}

impl Message {
    /// A new message with no delivery history.
    pub fn new(
        id: impl Into<String>,
        tenant: impl Into<String>,
        payload: serde_json::Value,
    ) -> Self {
        Self {
            id: id.into(),
            tenant: tenant.into(),
            payload,
            attempts: 0,
            failures: Vec::new(),
            enqueued_at_ms: 0,
        }
    }

    /// Checks the fields a caller sets.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: &str| {
            Err(QueueError::InvalidMessage {
                reason: reason.to_owned(),
            })
        };
        if self.id.is_empty() || self.id.len() > 512 {
            return bad("message id must be 1..=512 bytes (use the ticket or delivery id)");
        }
        if self.tenant.is_empty() || self.tenant.len() > 256 {
            return bad("message tenant must be 1..=256 bytes");
        }
        Ok(())
    }
}

/// What [`crate::Queue::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnqueueOutcome {
    /// The message was stored durably and will be delivered at least once.
    Enqueued,
    /// A message with the same `(queue, tenant, id)` was already accepted inside the dedupe
    /// window; nothing was stored.
    Duplicate,
}

/// What [`crate::Queue::nack`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NackOutcome {
    /// The message will be delivered again after `delay`.
    Retry {
        /// Backoff before the next delivery.
        delay: Duration,
        /// Deliveries so far.
        attempts: u32,
    },
    /// The message ran out of attempts and moved to `<queue>.dlq` with its failure reasons.
    DeadLettered {
        /// Deliveries made before giving up.
        attempts: u32,
    },
}

/// A message handed to one consumer, invisible to others until `expires_at_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    /// Queue the message came from.
    pub queue: String,
    /// Consumer holding the lease.
    pub consumer: String,
    /// The message (with `attempts` counting this delivery).
    pub message: Message,
    /// When the lease runs out, in milliseconds since the Unix epoch (backend clock).
    pub expires_at_ms: u64,
    /// Backend-specific proof of ownership.
    pub(crate) token: String,
}

impl Lease {
    /// Opaque backend token identifying this delivery (useful in logs).
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// Depth and lag of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    /// Messages that can be leased now (including those whose lease ran out).
    pub ready: u64,
    /// Messages under an unexpired lease.
    pub leased: u64,
    /// Messages waiting for a retry backoff to pass.
    pub delayed: u64,
    /// Messages in `<queue>.dlq`.
    pub dead_lettered: u64,
    /// Age of the oldest ready or leased message (time since first enqueue): the queue's lag.
    pub oldest_age_ms: Option<u64>,
}

/// Behaviour of one queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct QueueOptions {
    /// Deliveries before a message moves to the dead-letter queue (default 5, minimum 1).
    pub max_attempts: u32,
    /// First retry backoff in milliseconds; doubles per attempt (default 1000).
    pub backoff_base_ms: u64,
    /// Largest retry backoff in milliseconds (default 300000).
    pub backoff_max_ms: u64,
    /// How long an id stays known for dedupe and `is_done`, in seconds; `None` means forever (default).
    pub dedupe_window_secs: Option<u64>,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff_base_ms: 1000,
            backoff_max_ms: 300_000,
            dedupe_window_secs: None,
        }
    }
}

impl QueueOptions {
    /// Backoff before the delivery that follows failed delivery number `attempts` (1-based):
    /// `base * 2^(attempts-1)`, capped at `backoff_max_ms`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(32);
        let ms = self
            .backoff_base_ms
            .saturating_mul(1u64 << exp)
            .min(self.backoff_max_ms);
        Duration::from_millis(ms)
    }

    /// The dedupe window in milliseconds, if bounded.
    pub fn dedupe_window_ms(&self) -> Option<u64> {
        self.dedupe_window_secs.map(|s| s.saturating_mul(1000))
    }
}

/// Options for every queue: a default plus per-queue overrides.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct QueueSettings {
    /// Options for queues not listed in `queues`.
    pub default: QueueOptions,
    /// Per-queue overrides, by queue name.
    pub queues: BTreeMap<String, QueueOptions>,
}

impl QueueSettings {
    /// Effective options of `queue`. Dead-letter queues never dead-letter again.
    pub fn options(&self, queue: &str) -> QueueOptions {
        let mut o = self.queues.get(queue).unwrap_or(&self.default).clone();
        o.max_attempts = o.max_attempts.max(1);
        if is_dlq(queue) {
            o.max_attempts = u32::MAX;
        }
        o
    }
}

/// Whether `queue` is a dead-letter queue.
pub fn is_dlq(queue: &str) -> bool {
    queue.ends_with(DLQ_SUFFIX)
}

/// Name of the dead-letter queue of `queue`.
pub fn dlq_name(queue: &str) -> String {
    format!("{queue}{DLQ_SUFFIX}")
}

/// Checks a queue name: 1..=200 bytes of ASCII letters, digits, `.`, `_`, `-`.
pub fn validate_queue_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(QueueError::InvalidQueueName {
            name: name.chars().take(64).collect(),
        })
    }
}

/// Appends a failure reason, cutting it to [`MAX_REASON_BYTES`] and keeping the newest
/// [`MAX_FAILURES_KEPT`].
pub(crate) fn push_failure(failures: &mut Vec<String>, reason: &str) {
    failures.push(cut_reason(reason).to_owned());
    if failures.len() > MAX_FAILURES_KEPT {
        let cut = failures.len() - MAX_FAILURES_KEPT;
        failures.drain(..cut);
    }
}

/// `reason` cut to at most [`MAX_REASON_BYTES`] on a character boundary.
pub(crate) fn cut_reason(reason: &str) -> &str {
    let mut end = reason.len().min(MAX_REASON_BYTES);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// Wall-clock milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let o = QueueOptions {
            backoff_base_ms: 100,
            backoff_max_ms: 1000,
            ..QueueOptions::default()
        };
        assert_eq!(o.backoff(1), Duration::from_millis(100));
        assert_eq!(o.backoff(2), Duration::from_millis(200));
        assert_eq!(o.backoff(4), Duration::from_millis(800));
        assert_eq!(o.backoff(5), Duration::from_millis(1000));
        assert_eq!(o.backoff(99), Duration::from_millis(1000));
    }

    #[test]
    fn queue_names_are_checked() {
        assert!(validate_queue_name("ticket-raw").is_ok());
        assert!(validate_queue_name("ticket-raw.dlq").is_ok());
        assert!(validate_queue_name("").is_err());
        assert!(validate_queue_name("a b").is_err());
        assert!(validate_queue_name("a:{b}").is_err());
    }

    #[test]
    fn dlq_queues_never_dead_letter() {
        let s: QueueSettings =
            serde_json::from_str(r#"{"queues":{"auto-action":{"maxAttempts":2}}}"#).unwrap();
        assert_eq!(s.options("auto-action").max_attempts, 2);
        assert_eq!(s.options("ticket-raw").max_attempts, 5);
        assert_eq!(s.options("auto-action.dlq").max_attempts, u32::MAX);
        assert!(serde_json::from_str::<QueueSettings>(r#"{"bogus":1}"#).is_err());
    }

    #[test]
    fn failures_are_bounded() {
        let mut f = Vec::new();
        for i in 0..15 {
            push_failure(&mut f, &format!("r{i}"));
        }
        assert_eq!(f.len(), MAX_FAILURES_KEPT);
        assert_eq!(f[0], "r5");
        push_failure(&mut f, &"é".repeat(MAX_REASON_BYTES));
        assert!(f.last().unwrap().len() <= MAX_REASON_BYTES);
    }
}
