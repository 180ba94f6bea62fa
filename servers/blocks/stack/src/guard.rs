//! Request guards every role's router runs behind: panics become `500`,
//! slow request bodies `408`, slow handlers `504`, each with a JSON error
//! body.
//!
//! Error bodies are JSON-RPC error envelopes,
//! `{"jsonrpc": "2.0", "id": null, "error": {code, message, data}}`: an MCP
//! or JSON-RPC client reads them as the failed call's error, and a REST
//! client finds the same `error` object at the top level.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use hyper::body::{Bytes, Frame, SizeHint};
use omega_protocol::{ErrorCode, OmegaError};
use serde_json::json;

/// An error response: `status`, `content-type: application/json` and the
/// JSON-RPC error envelope of `err`.
pub(crate) fn error_response(status: http::StatusCode, err: &OmegaError) -> Response {
    (
        status,
        axum::Json(json!({"jsonrpc": "2.0", "id": null, "error": err})),
    )
        .into_response()
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-text panic payload")
}

/// The outermost layer: a panic anywhere below answers `500` with a JSON
/// error (the panic message is logged, not sent), instead of dropping the
/// connection. The request is still counted in the metrics (the telemetry
/// layer below it was unwound) and the panic is counted as an error of kind
/// `panic`.
pub(crate) async fn catch_panic(
    metrics: omega_telemetry::Metrics,
    service: &'static str,
    request: Request,
    next: Next,
) -> Response {
    let route = omega_telemetry::route_label(&request);
    let method = omega_telemetry::method_label(request.method());
    let started = Instant::now();
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(payload) => {
            tracing::error!(
                service,
                route = %route,
                method,
                panic = panic_message(payload.as_ref()),
                "request handler panicked"
            );
            metrics.record_request(service, &route, method, 500, started.elapsed());
            metrics.record_error(service, "panic");
            internal_error()
        }
    }
}

fn internal_error() -> Response {
    error_response(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        &OmegaError::new(
            ErrorCode::INTERNAL_ERROR,
            "the server failed while handling this request",
        )
        .with_hint(
            "this is a server bug; the server logged the details. Retrying may fail the same way",
        ),
    )
}

/// Set on a request whose MCP tool handler panicked (the handler runs in a
/// task of rmcp's, so the panic cannot unwind to [`catch_panic`]): the
/// handler answers a JSON-RPC `internal_error`, and [`deadlines`] turns the
/// HTTP status of that JSON answer into `500`.
#[derive(Debug, Clone, Default)]
pub(crate) struct PanicFlag(Arc<AtomicBool>);

impl PanicFlag {
    /// Marks the request as failed by a panic.
    pub(crate) fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The request deadlines: the body must be received within `body_timeout`
/// (else `408`, and the connection is closed), and the response head must
/// be ready within `request_timeout` (else `504`), both counted from the
/// request head. Also turns a JSON answer to a request whose tool panicked
/// into a `500`.
pub(crate) async fn deadlines(
    body_timeout: Duration,
    request_timeout: Duration,
    request: Request,
    next: Next,
) -> Response {
    let flag = PanicFlag::default();
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(flag.clone());
    let received = Arc::new(AtomicBool::new(hyper::body::Body::is_end_stream(&body)));
    let body = Body::new(WatchedBody {
        inner: body,
        received: received.clone(),
    });
    let handler = next.run(Request::from_parts(parts, body));
    tokio::pin!(handler);
    let body_deadline = tokio::time::sleep(body_timeout);
    tokio::pin!(body_deadline);
    let request_deadline = tokio::time::sleep(request_timeout);
    tokio::pin!(request_deadline);
    let mut body_checked = false;
    let mut response = loop {
        tokio::select! {
            response = &mut handler => break response,
            () = &mut body_deadline, if !body_checked => {
                if !received.load(Ordering::Acquire) {
                    let mut response = error_response(
                        http::StatusCode::REQUEST_TIMEOUT,
                        &OmegaError::new(
                            ErrorCode::DEADLINE_EXCEEDED,
                            format!("the request body was not received within {body_timeout:?}"),
                        )
                        .with_hint("send the whole body promptly (limits.bodyReadTimeoutSecs)")
                        .with_extra(json!({"limit": "bodyReadTimeoutSecs", "limitMs": body_timeout.as_millis() as u64})),
                    );
                    // The rest of the body would arrive on a connection we
                    // no longer read: close it.
                    response.headers_mut().insert(
                        http::header::CONNECTION,
                        http::HeaderValue::from_static("close"),
                    );
                    return response;
                }
                body_checked = true;
            }
            () = &mut request_deadline => {
                return error_response(
                    http::StatusCode::GATEWAY_TIMEOUT,
                    &OmegaError::new(
                        ErrorCode::DEADLINE_EXCEEDED,
                        format!("the server did not answer within {request_timeout:?}"),
                    )
                    .with_hint("retry later, or with a smaller request (limits.requestTimeoutSecs)")
                    .with_extra(json!({"limit": "requestTimeoutSecs", "limitMs": request_timeout.as_millis() as u64})),
                );
            }
        }
    };
    let is_json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if flag.is_set() && is_json {
        *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    }
    response
}

/// A request body that records when it has been received completely.
struct WatchedBody {
    inner: Body,
    received: Arc<AtomicBool>,
}

impl hyper::body::Body for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => {
                this.received.store(true, Ordering::Release);
            }
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => {
                this.received.store(true, Ordering::Release);
            }
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
