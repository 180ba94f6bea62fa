//! The small traits the dashboard needs from the pipeline, and their
//! implementations over [`omega_queue::Queue`]:
//!
//! - [`ReviewSource`]: triaged tickets that need an employee (the pipeline's
//!   `needs-review` queue carries `{triage, reason}`; `title`, `text` and
//!   `createdAt` are read when present).
//! - [`ActivitySink`]: where employee activity events go (the
//!   `employee-activity` queue the shadow team consumes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omega_protocol::TriageResult;
use omega_queue::{Lease, Message, Queue};
use serde::Deserialize;

use crate::DashboardError;
use crate::types::{ActivityEvent, ReviewTicket};

/// Queue names the dashboard uses (defined once, in `omega_protocol::queues`).
pub use omega_protocol::queues;

/// One ticket handed to the dashboard, with the receipt to settle it by.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The ticket.
    pub ticket: ReviewTicket,
    /// Opaque receipt for [`ReviewSource::settle`].
    pub receipt: String,
}

/// Tickets needing review, delivered at least once.
#[async_trait]
pub trait ReviewSource: Send + Sync + 'static {
    /// Up to `max` tickets not yet settled (returns at once, possibly empty).
    async fn poll(&self, max: usize) -> Result<Vec<Incoming>, DashboardError>;
    /// Settles a delivery: `Ok` once the ticket is stored, `Err(reason)` to
    /// have it delivered again later.
    async fn settle(
        &self,
        receipt: &str,
        outcome: Result<(), String>,
    ) -> Result<(), DashboardError>;
}

/// Where employee activity events are published.
#[async_trait]
pub trait ActivitySink: Send + Sync + 'static {
    /// Publishes one event durably (idempotent on the event id).
    async fn publish(&self, event: &ActivityEvent) -> Result<(), DashboardError>;
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NeedsReviewMessage {
    triage: TriageResult,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
}

/// Reads the pipeline's `needs-review` queue.
pub struct QueueReviewSource {
    queue: Arc<dyn Queue>,
    name: String,
    consumer: String,
    lease: Duration,
    leases: Mutex<HashMap<String, Lease>>,
}

impl QueueReviewSource {
    /// Leases from `needs-review` as `consumer`.
    pub fn new(queue: Arc<dyn Queue>, consumer: impl Into<String>) -> Self {
        Self::on(queue, queues::NEEDS_REVIEW, consumer)
    }

    /// Leases from another queue of the same shape.
    pub fn on(queue: Arc<dyn Queue>, name: &str, consumer: impl Into<String>) -> Self {
        Self {
            queue,
            name: name.to_owned(),
            consumer: consumer.into(),
            lease: Duration::from_secs(30),
            leases: Mutex::new(HashMap::new()),
        }
    }

    /// Builds the message the pipeline would put on `needs-review` (for demos and tests).
    pub fn message(ticket: &ReviewTicket) -> Message {
        Message::new(
            format!(
                "{}@{}",
                ticket.triage.ticket_id,
                ticket.triage.decided_at.timestamp_millis()
            ),
            ticket.triage.tenant.as_str(),
            serde_json::json!({
                "triage": ticket.triage,
                "reason": ticket.reason,
                "title": ticket.title,
                "text": ticket.text,
                "createdAt": ticket.created_at,
            }),
        )
    }
}

impl std::fmt::Debug for QueueReviewSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueReviewSource")
            .field("queue", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ReviewSource for QueueReviewSource {
    async fn poll(&self, max: usize) -> Result<Vec<Incoming>, DashboardError> {
        let leases = self
            .queue
            .lease(&self.name, &self.consumer, max, self.lease)
            .await?;
        let mut out = Vec::new();
        for lease in leases {
            match serde_json::from_value::<NeedsReviewMessage>(lease.message.payload.clone()) {
                Ok(m) => {
                    let receipt = lease.token().to_owned();
                    let title = m
                        .title
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| format!("Ticket {}", m.triage.ticket_id));
                    out.push(Incoming {
                        ticket: ReviewTicket {
                            title,
                            text: m.text.unwrap_or_default(),
                            reason: m.reason,
                            created_at: m.created_at,
                            triage: m.triage,
                        },
                        receipt: receipt.clone(),
                    });
                    self.leases
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(receipt, lease);
                }
                Err(e) => {
                    // A poison message: the queue dead-letters it after its attempts.
                    let reason = format!("not a needs-review message: {e}");
                    tracing::warn!(queue = %self.name, id = %lease.message.id, %reason, "unreadable review message");
                    self.queue.nack(&lease, &reason).await?;
                }
            }
        }
        Ok(out)
    }

    async fn settle(
        &self,
        receipt: &str,
        outcome: Result<(), String>,
    ) -> Result<(), DashboardError> {
        let lease = self
            .leases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(receipt);
        let Some(lease) = lease else {
            return Ok(());
        };
        match outcome {
            Ok(()) => self.queue.ack(&lease).await?,
            Err(reason) => {
                self.queue.nack(&lease, &reason).await?;
            }
        }
        Ok(())
    }
}

/// Publishes activity events to the `employee-activity` queue.
#[derive(Clone)]
pub struct QueueActivitySink {
    queue: Arc<dyn Queue>,
}

impl QueueActivitySink {
    /// A sink over `queue`.
    pub fn new(queue: Arc<dyn Queue>) -> Self {
        Self { queue }
    }
}

impl std::fmt::Debug for QueueActivitySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QueueActivitySink")
    }
}

#[async_trait]
impl ActivitySink for QueueActivitySink {
    async fn publish(&self, event: &ActivityEvent) -> Result<(), DashboardError> {
        let payload =
            serde_json::to_value(event).map_err(|e| DashboardError::decode("activity event", e))?;
        self.queue
            .enqueue(
                queues::EMPLOYEE_ACTIVITY,
                Message::new(event.id.clone(), event.tenant.as_str(), payload),
            )
            .await?;
        Ok(())
    }
}
