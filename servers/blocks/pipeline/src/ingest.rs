//! `POST /ingest/{platform}/{tenant}`: authenticate, validate, durably enqueue
//! the raw body on `ticket-raw`, then acknowledge.
//!
//! Order of checks (each failure is an `OmegaError` JSON body):
//! platform (404) → tenant id (404) → body size (413) → signature (401) →
//! content type (415) and syntax (400) → every item normalizes (400 naming
//! the missing field; nothing is enqueued) → enqueue (503 when the queue
//! fails, so the platform retries) → 2xx.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use omega_ingest::{
    SOAP_CONTENT_TYPE, ack_response, http_status, normalize, parse, parse_platform, verify,
};
use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_queue::{EnqueueOutcome, Message};
use serde_json::json;

use crate::Pipeline;
use crate::config::queues;
use crate::messages::RawMessage;

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
    let (body_text, body_base64) = RawMessage::encode_body(&bytes);
    let msgs: Vec<Message> = deliveries
        .iter()
        .map(|d| {
            let raw = RawMessage {
                platform,
                tenant: tenant.clone(),
                content_type: content_type.map(str::to_owned),
                delivery_id: d.delivery_id.clone(),
                body: body_text.clone(),
                body_base64,
                received_at: now,
            };
            let payload = serde_json::to_value(&raw).unwrap_or_default();
            Message::new(
                RawMessage::queue_id(platform, &d.delivery_id),
                tenant.as_str(),
                payload,
            )
        })
        .collect();
    let outcomes = if msgs.is_empty() {
        Vec::new()
    } else {
        match pipeline.queue().enqueue_batch(queues::RAW, msgs).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(%tenant, platform = platform.as_str(), queue = queues::RAW, error = %e, "enqueue failed");
                let err = OmegaError::backend_unavailable(format!(
                    "the ticket queue is unavailable: {e}"
                ))
                .with_hint("retry the delivery; nothing was stored");
                return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(err)).into_response();
            }
        }
    };
    let duplicates = outcomes
        .iter()
        .filter(|o| **o == EnqueueOutcome::Duplicate)
        .count();
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
