//! A tower layer that gives every HTTP request a server span (child of the
//! caller's `traceparent`, when sent) and records its metrics.
//!
//! Every label comes from a closed set, never from request data: the route
//! is the matched route template (`/tickets/{id}`) or `unmatched`, and the
//! method is one of the standard HTTP methods or `other` ([`method_label`]).
//! So a client inventing methods or paths cannot grow `/metrics`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

use axum::extract::MatchedPath;
use http::{Request, Response};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::propagation::{extract_headers, set_parent};

/// The standard HTTP methods (RFC 9110 and PATCH), the only method labels
/// metrics and span names carry.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The metric label of a request method: the method itself when it is a
/// standard one, `other` for anything a client invented.
pub fn method_label(method: &http::Method) -> &'static str {
    method_label_str(method.as_str())
}

/// [`method_label`] for a method given as text.
pub fn method_label_str(method: &str) -> &'static str {
    STANDARD_METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

/// The route label of a request: its matched route template, or
/// `unmatched` (never the raw path).
pub fn route_label<B>(req: &Request<B>) -> Arc<str> {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| Arc::from("unmatched"), |p| Arc::from(p.as_str()))
}

/// Wraps services with [`TelemetryService`].
#[derive(Debug, Clone)]
pub struct TelemetryLayer {
    metrics: Metrics,
    service: String,
}

impl TelemetryLayer {
    /// A layer recording into `metrics` under the service name `service`.
    /// Add it with `Router::layer` so the route template is known.
    pub fn new(metrics: Metrics, service: impl Into<String>) -> Self {
        Self {
            metrics,
            service: service.into(),
        }
    }
}

impl<S> Layer<S> for TelemetryLayer {
    type Service = TelemetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TelemetryService {
            inner,
            metrics: self.metrics.clone(),
            service: self.service.clone(),
            handles: HandleCache::default(),
        }
    }
}

/// One span and one metrics record per request.
#[derive(Debug, Clone)]
pub struct TelemetryService<S> {
    inner: S,
    metrics: Metrics,
    service: String,
    handles: HandleCache,
}

/// Metric handles per (route template, method label, status), so a request
/// records with one small map lookup instead of building label sets. Every
/// part of the key comes from a closed set, so the cache stays small.
type HandleCache = Arc<Mutex<HashMap<(Arc<str>, &'static str, u16), (Counter, Histogram)>>>;

impl<S, B, RB> Service<Request<B>> for TelemetryService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<RB>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let route = route_label(&req);
        let method = method_label(req.method());
        let span = tracing::info_span!(
            "http.request",
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            http.request.method = method,
            http.route = %route,
            http.response.status_code = tracing::field::Empty,
            service = %self.service,
        );
        if let Some(ctx) = extract_headers(req.headers()) {
            set_parent(&span, &ctx);
        }
        let started = Instant::now();
        let fut = self.inner.call(req).instrument(span.clone());
        let metrics = self.metrics.clone();
        let service = self.service.clone();
        let handles = self.handles.clone();
        Box::pin(async move {
            let result = fut.await;
            let status = match &result {
                Ok(resp) => resp.status().as_u16(),
                Err(_) => 500,
            };
            span.record("http.response.status_code", status);
            let elapsed = started.elapsed();
            let (counter, histogram) = {
                let mut cache = handles.lock().expect("metric handle cache");
                cache
                    .entry((route.clone(), method, status))
                    .or_insert_with(|| metrics.request_handles(&service, &route, method, status))
                    .clone()
            };
            counter.inc();
            histogram.observe(elapsed.as_secs_f64());
            if status >= 500 {
                metrics.record_error(&service, "http_5xx");
            }
            result
        })
    }
}
