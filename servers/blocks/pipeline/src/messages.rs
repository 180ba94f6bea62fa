//! What the pipeline's queues carry.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use omega_protocol::{SourcePlatform, TenantId, Ticket, TriageResult};
use serde::{Deserialize, Serialize};

/// One accepted webhook request on `ticket-raw`: the raw body, exactly as
/// received, stored once however many items (tickets) it carries.
///
/// The normalizer splits it into one `ticket-normalized` message per item
/// (id `{ticket id}@{updated ms}`, deduplicated by the queue), so a split
/// that crashed half-way is redone on redelivery without duplicates. The
/// message id is `{platform}:{key}` with the key of
/// [`omega_ingest::delivery_key`]: a retried request is recognized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawMessage {
    /// The sending platform.
    pub platform: SourcePlatform,
    /// The tenant in the URL.
    pub tenant: TenantId,
    /// The request's `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The dedupe keys of the items the body carries, in body order (what
    /// the endpoint validated; for logs and checks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivery_ids: Vec<String>,
    /// Set only on messages stored by releases that enqueued one message per
    /// item (each with the whole body): the one item of `body` it stands
    /// for. Such a message is split into that item only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    /// The body as UTF-8 text, or base64 when `body_base64` is set.
    pub body: String,
    /// Whether `body` is base64 (a body that is not UTF-8).
    #[serde(default)]
    pub body_base64: bool,
    /// When the endpoint accepted it.
    pub received_at: DateTime<Utc>,
}

impl RawMessage {
    /// Stores `body` as text when it is UTF-8, as base64 otherwise.
    pub fn encode_body(body: &[u8]) -> (String, bool) {
        match std::str::from_utf8(body) {
            Ok(s) => (s.to_owned(), false),
            Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
        }
    }

    /// The raw body bytes.
    pub fn body_bytes(&self) -> Result<Vec<u8>, String> {
        if self.body_base64 {
            base64::engine::general_purpose::STANDARD
                .decode(&self.body)
                .map_err(|e| format!("raw body is not valid base64: {e}"))
        } else {
            Ok(self.body.clone().into_bytes())
        }
    }

    /// The queue message id: `{platform}:{key}` (delivery keys are only
    /// unique per platform), `key` from [`omega_ingest::delivery_key`].
    pub fn queue_id(platform: SourcePlatform, key: &str) -> String {
        format!("{}:{key}", platform.as_str())
    }
}

/// A normalized ticket on `ticket-normalized`, `ticket-triage` and `ticket-classify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketMessage {
    /// The ticket: redacted text, pseudonymous requester.
    pub ticket: Ticket,
    /// The raw delivery it came from (empty when created inside OMEGA).
    #[serde(default)]
    pub delivery_id: String,
    /// Why it is on `ticket-classify`: `abstained` or `reopened`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TicketMessage {
    /// The queue message id of one version of a ticket: `{ticket id}@{updated ms}`,
    /// so retries of the same version dedupe and a later update is triaged again.
    pub fn version_id(ticket: &Ticket) -> String {
        format!("{}@{}", ticket.id, ticket.updated_at.timestamp_millis())
    }
}

/// A triaged ticket on `auto-action` or `needs-review`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionMessage {
    /// The triage result.
    pub triage: TriageResult,
    /// Why it went to this queue (no PII).
    pub reason: String,
    /// The ticket's title (already redacted), for the reviewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The ticket's text (already redacted), so corrections can teach the classifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// When the ticket was created on its platform (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl ActionMessage {
    /// The message for `ticket`'s `triage`, routed for `reason`.
    pub fn for_ticket(
        ticket: &omega_protocol::Ticket,
        triage: TriageResult,
        reason: String,
    ) -> Self {
        Self {
            triage,
            reason,
            title: Some(ticket.title.clone()),
            text: Some(ticket.text()),
            created_at: Some(ticket.created_at.to_rfc3339()),
        }
    }
}
