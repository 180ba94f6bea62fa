//! A tower layer that gives every HTTP request a server span (child of the
//! caller's `traceparent`, when sent) and records its metrics.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use http::{Request, Response};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::metrics::Metrics;
use crate::propagation::{extract_headers, set_parent};

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
        }
    }
}

/// One span and one metrics record per request.
#[derive(Debug, Clone)]
pub struct TelemetryService<S> {
    inner: S,
    metrics: Metrics,
    service: String,
}

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
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
        let method = req.method().as_str().to_owned();
        let span = tracing::info_span!(
            "http.request",
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            http.request.method = %method,
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
        Box::pin(async move {
            let result = fut.await;
            let status = match &result {
                Ok(resp) => resp.status().as_u16(),
                Err(_) => 500,
            };
            span.record("http.response.status_code", status);
            metrics.record_request(&service, &route, &method, status, started.elapsed());
            result
        })
    }
}
