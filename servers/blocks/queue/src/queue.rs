//! The backend-neutral [`Queue`] trait.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::types::{EnqueueOutcome, Lease, Message, NackOutcome, QueueStats};

/// An at-least-once work queue with leases, retries, dead letters and idempotency keys.
///
/// Object safe: use it as `Arc<dyn Queue>`.
///
/// Delivery is at least once, so consumers must be idempotent. The intended worker loop is:
///
/// 1. `lease` a batch;
/// 2. for each lease, if `ack_if_done(&lease)` returns true the work was already finished before a
///    crash: skip it;
/// 3. do the work and store its result;
/// 4. `mark_done(queue, tenant, id)` (durable), then `ack`; on failure `nack` with a reason.
///
/// A crash between 3 and 4 redelivers the message; step 2 then acks it without redoing the work
/// provided the result store itself is idempotent (or `mark_done` is written with the result).
#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Stores `msg` durably on `queue` unless its `(queue, tenant, id)` was already accepted inside
    /// the dedupe window. Returns once the message survives a crash.
    async fn enqueue(&self, queue: &str, msg: Message) -> Result<EnqueueOutcome>;

    /// Enqueues several messages; the outcomes are in input order. Backends may commit them
    /// together.
    async fn enqueue_batch(&self, queue: &str, msgs: Vec<Message>) -> Result<Vec<EnqueueOutcome>> {
        let mut out = Vec::with_capacity(msgs.len());
        for m in msgs {
            out.push(self.enqueue(queue, m).await?);
        }
        Ok(out)
    }

    /// Leases up to `max` ready messages to `consumer` for `lease_duration`. Returns at once,
    /// possibly with nothing. A lease that runs out without ack or nack counts as a failed attempt
    /// ("lease expired"): the message is delivered again, or dead-lettered after the last attempt.
    async fn lease(
        &self,
        queue: &str,
        consumer: &str,
        max: usize,
        lease_duration: Duration,
    ) -> Result<Vec<Lease>>;

    /// Moves the lease's expiry to now + `lease_duration`; returns the updated lease.
    /// Fails with [`crate::QueueError::LeaseLost`] once the message went to someone else.
    async fn extend_lease(&self, lease: &Lease, lease_duration: Duration) -> Result<Lease>;

    /// Settles the message: it is removed for good. An expired lease can still be acked as long as
    /// the message was not delivered again; otherwise [`crate::QueueError::LeaseLost`].
    async fn ack(&self, lease: &Lease) -> Result<()>;

    /// Reports a failed delivery. The message is retried after exponential backoff, or moved to
    /// `<queue>.dlq` (with all failure reasons) once it used its attempts.
    async fn nack(&self, lease: &Lease, reason: &str) -> Result<NackOutcome>;

    /// Depth and lag of `queue`.
    async fn depth(&self, queue: &str) -> Result<QueueStats>;

    /// Durably records that the work for `(queue, tenant, id)` is finished (kept for the queue's
    /// dedupe window).
    async fn mark_done(&self, queue: &str, tenant: &str, id: &str) -> Result<()>;

    /// Whether [`Queue::mark_done`] was called for `(queue, tenant, id)`.
    async fn is_done(&self, queue: &str, tenant: &str, id: &str) -> Result<bool>;

    /// Acks `lease` if its message is already marked done and returns true; false otherwise.
    async fn ack_if_done(&self, lease: &Lease) -> Result<bool> {
        let m = &lease.message;
        if self.is_done(&lease.queue, &m.tenant, &m.id).await? {
            self.ack(lease).await?;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}
