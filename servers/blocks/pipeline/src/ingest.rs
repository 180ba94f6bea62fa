//! `POST /ingest/{platform}/{tenant}`: authenticate, validate, durably enqueue
//! the raw body once on `ticket-raw`, then acknowledge; and the normalizer's
//! half: split a stored body into one `ticket-normalized` message per item.
//!
//! Order of checks (each failure is an `OmegaError` JSON body):
//! platform (404) → tenant id (404) → body size (413) → signature (401) →
//! content type (415), syntax (400) and item count (413, over
//! `pipeline.ingest.maxItemsPerDelivery`) → every item normalizes (400
//! naming the missing field; nothing is enqueued) → enqueue (503 when the
//! queue fails, so the platform retries) → 2xx.
//!
//! Storage: a request is one `ticket-raw` message holding the body, however
//! many items it carries (a Salesforce outbound message has up to 100), so
//! the queue grows by about one body per request. Its id is
//! `{platform}:{delivery key}` ([`omega_ingest::delivery_key`]): a retried
//! request is recognized and not stored again. The normalizer parses the
//! body again and enqueues every item's normalized ticket (only that item's
//! data) on `ticket-normalized` under the ticket's version id, in one batch,
//! and only then is the raw message acked. A crash before the ack redelivers
//! the whole request; the items already forwarded are then refused by the
//! queue as duplicates, so a half-done split resumes without duplicates and
//! an acknowledged request is never lost.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use omega_ingest::{
    RawDelivery, SOAP_CONTENT_TYPE, ack_response, delivery_key, http_status, normalize, parse,
    parse_accepted, parse_platform, verify,
};
use omega_protocol::{ErrorCode, OmegaError, TenantId, Ticket};
use omega_queue::{EnqueueOutcome, Lease, Message};
use serde::Deserialize as _;
use serde_json::json;

use crate::Pipeline;
use crate::config::queues;
use crate::messages::{RawMessage, TicketMessage};

/// The ingest routes over `pipeline`.
pub fn routes(pipeline: Pipeline) -> Router {
    Router::new()
        .route("/ingest/{platform}/{tenant}", post(ingest))
        .with_state(pipeline)
}

fn error(err: OmegaError) -> Response {
    let status = http_status(&err);
    (status, axum::Json(err)).into_response()
}

fn too_large(limit: usize, actual: Option<u64>) -> OmegaError {
    OmegaError::new(
        ErrorCode::PAYLOAD_TOO_LARGE,
        format!("the body is larger than the {limit}-byte limit"),
    )
    .with_field("body")
    .with_hint("send one ticket per delivery, or raise pipeline.maxBodyBytes")
    .with_extra(json!({"limitBytes": limit, "contentLength": actual}))
}

async fn ingest(
    State(pipeline): State<Pipeline>,
    Path((platform, tenant)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let cfg = pipeline.config();
    let platform = match parse_platform(&platform) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let tenant = match TenantId::parse(&tenant) {
        Ok(t) => t,
        Err(_) => {
            return error(
                OmegaError::new(
                    ErrorCode::TENANT_UNKNOWN,
                    format!("`{}` is not a tenant id", tenant.escape_default()),
                )
                .with_field("tenant")
                .with_hint("use the tenant id configured under [pipeline.ingest.tenants]"),
            );
        }
    };
    if let Err(e) = cfg.ingest.tenant(&tenant) {
        return error(e);
    }
    let limit = cfg.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return error(too_large(limit, declared));
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return error(too_large(limit, declared));
        }
        Err(e) => {
            return error(
                OmegaError::invalid_params(format!("could not read the body: {e}"))
                    .with_field("body"),
            );
        }
    };
    let now = Utc::now();
    if let Err(e) = verify(platform, &tenant, &headers, &bytes, now, &cfg.ingest) {
        return error(e);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let deliveries = match parse(platform, &tenant, content_type, &bytes, &cfg.ingest) {
        Ok(d) => d,
        Err(e) => return error(e),
    };
    // Validate every item before anything is enqueued.
    let pseudo = |t: &TenantId, id: &str| pipeline.pseudonym(t, id);
    for d in &deliveries {
        if let Err(e) = normalize(d, &pseudo) {
            return error(e);
        }
    }
    // The body is stored once, in one message, however many items it carries.
    let duplicates = match delivery_key(&deliveries) {
        None => 0,
        Some(key) => {
            let (body, body_base64) = RawMessage::encode_body(&bytes);
            let raw = RawMessage {
                platform,
                tenant: tenant.clone(),
                content_type: content_type.map(str::to_owned),
                delivery_ids: deliveries.iter().map(|d| d.delivery_id.clone()).collect(),
                delivery_id: None,
                body,
                body_base64,
                received_at: now,
            };
            let payload = match serde_json::to_value(&raw) {
                Ok(p) => p,
                Err(e) => {
                    let err = OmegaError::new(
                        ErrorCode::INTERNAL_ERROR,
                        format!("the delivery could not be encoded for the queue: {e}"),
                    );
                    return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(err)).into_response();
                }
            };
            drop(raw);
            let msg = Message::new(
                RawMessage::queue_id(platform, &key),
                tenant.as_str(),
                payload,
            );
            match pipeline.queue().enqueue(queues::RAW, msg).await {
                Ok(EnqueueOutcome::Duplicate) => deliveries.len(),
                Ok(_) => 0,
                Err(e) => {
                    tracing::error!(%tenant, platform = platform.as_str(), queue = queues::RAW, error = %e, "enqueue failed");
                    let err = OmegaError::backend_unavailable(format!(
                        "the ticket queue is unavailable: {e}"
                    ))
                    .with_hint("retry the delivery; nothing was stored");
                    return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(err)).into_response();
                }
            }
        }
    };
    tracing::debug!(%tenant, platform = platform.as_str(), items = deliveries.len(), duplicates, "delivery accepted");
    let (ct, ack) = ack_response(platform, &deliveries);
    if ct == SOAP_CONTENT_TYPE {
        return ([(header::CONTENT_TYPE, ct)], ack).into_response();
    }
    let ids: Vec<&str> = deliveries.iter().map(|d| d.delivery_id.as_str()).collect();
    let body = json!({
        "received": ids.len(),
        "deliveryIds": ids,
        "duplicates": duplicates,
    });
    (StatusCode::ACCEPTED, axum::Json(body)).into_response()
}

/// An omega-ingest error as a nack reason: `{code}: {message}`.
fn reason(e: &OmegaError) -> String {
    format!("{}: {}", e.code.name().unwrap_or("error"), e.message)
}

/// The normalizer's work on one `ticket-raw` message: parse the stored body
/// again, normalize, redact and pseudonymize every item and enqueue each on
/// `ticket-normalized` (id = the ticket's version id, so a redelivered
/// request forwards nothing twice). Items that fail are named in the `Err`
/// (the message is retried, then dead-lettered with the reasons); the
/// others are forwarded all the same.
pub(crate) async fn split(pipeline: &Pipeline, lease: &Lease) -> Result<(), String> {
    let raw = RawMessage::deserialize(&lease.message.payload)
        .map_err(|e| format!("message on {} is not readable: {e}", lease.queue))?;
    let body = raw.body_bytes()?;
    let deliveries = parse_accepted(
        raw.platform,
        &raw.tenant,
        raw.content_type.as_deref(),
        &body,
        &pipeline.0.cfg.ingest,
    )
    .map_err(|e| reason(&e))?;
    drop(body);
    let items: Vec<&RawDelivery> = match &raw.delivery_id {
        // Written by a release that stored one message per item.
        Some(id) => vec![
            deliveries
                .iter()
                .find(|d| &d.delivery_id == id)
                .ok_or_else(|| format!("delivery `{id}` is not in the stored body"))?,
        ],
        None => deliveries.iter().collect(),
    };
    if raw.delivery_id.is_none() && raw.delivery_ids.len() != items.len() {
        tracing::warn!(
            id = %lease.message.id,
            accepted = raw.delivery_ids.len(),
            parsed = items.len(),
            "the stored body now parses into another number of items than when it was accepted"
        );
    }
    let total = items.len();
    let mut msgs = Vec::with_capacity(total);
    let mut failed = Vec::new();
    for d in items {
        match normalize_item(pipeline, d) {
            Ok(ticket) => {
                let id = TicketMessage::version_id(&ticket);
                let msg = TicketMessage {
                    ticket,
                    delivery_id: d.delivery_id.clone(),
                    reason: None,
                };
                let payload = serde_json::to_value(&msg)
                    .map_err(|e| format!("cannot encode message: {e}"))?;
                msgs.push(Message::new(id, raw.tenant.as_str(), payload));
            }
            Err(e) => failed.push(format!("item `{}`: {e}", d.delivery_id)),
        }
    }
    if !msgs.is_empty() {
        pipeline
            .queue()
            .enqueue_batch(queues::NORMALIZED, msgs)
            .await
            .map_err(|e| format!("queue: {e}"))?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {total} items failed (the others were forwarded): {}",
            failed.len(),
            failed.join("; ")
        ))
    }
}

/// One item: normalized (requester pseudonymized), PII redacted from the
/// title and body.
fn normalize_item(pipeline: &Pipeline, delivery: &RawDelivery) -> Result<Ticket, String> {
    let inner = &pipeline.0;
    let mut ticket = normalize(delivery, &|t: &TenantId, id: &str| {
        inner.pseudonymizer.pseudonym(t, id)
    })
    .map_err(|e| reason(&e))?;
    ticket.title = inner.redactor.redact(&ticket.title).text;
    ticket.body = inner.redactor.redact(&ticket.body).text;
    Ok(ticket)
}
