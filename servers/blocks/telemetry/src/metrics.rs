//! Prometheus metrics: requests, errors, latency histograms, queue depth,
//! replicas per team, and tokens and cost per tenant, served at `/metrics`
//! in the OpenMetrics text format.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Metric, Registry};
use std::sync::atomic::AtomicU64;

/// Content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    service: String,
    route: String,
    method: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    service: String,
    route: String,
    method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    service: String,
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TeamLabels {
    team: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabels {
    tenant: String,
    titan: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    tenant: String,
    titan: String,
    direction: String,
}

type HistogramFamily = Family<LatencyLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics of one process. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    requests: Family<RequestLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    latency: HistogramFamily,
    queue_depth: Family<QueueLabels, Gauge>,
    replicas: Family<TeamLabels, Gauge>,
    tokens: Family<TokenLabels, Counter>,
    cost: Family<TenantLabels, Counter<f64, AtomicU64>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every OMEGA metric (prefix `omega_`).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("omega");
        let requests = Family::<RequestLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let queue_depth = Family::<QueueLabels, Gauge>::default();
        let replicas = Family::<TeamLabels, Gauge>::default();
        let tokens = Family::<TokenLabels, Counter>::default();
        let cost = Family::<TenantLabels, Counter<f64, AtomicU64>>::default();
        registry.register(
            "requests",
            "Requests handled, by service, route, method and status",
            requests.clone(),
        );
        registry.register("errors", "Errors, by service and kind", errors.clone());
        registry.register(
            "request_duration_seconds",
            "Request latency in seconds",
            latency.clone(),
        );
        registry.register(
            "queue_depth",
            "Messages waiting, by queue",
            queue_depth.clone(),
        );
        registry.register(
            "team_replicas",
            "Running replicas, by team",
            replicas.clone(),
        );
        registry.register(
            "tenant_tokens",
            "Titan tokens billed, by tenant, Titan and direction",
            tokens.clone(),
        );
        registry.register(
            "tenant_cost_usd",
            "Titan cost in US dollars, by tenant and Titan",
            cost.clone(),
        );
        Self {
            registry: Arc::new(Mutex::new(registry)),
            requests,
            errors,
            latency,
            queue_depth,
            replicas,
            tokens,
            cost,
        }
    }

    /// Registers another metric (name without the `omega_` prefix).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry
            .lock()
            .expect("metrics registry lock")
            .register(name, help, metric);
    }

    /// The request counter and latency histogram of one (service, route,
    /// method, status), for callers that cache them to record without a
    /// label lookup per request. A non-standard `method` is recorded as
    /// `other`.
    pub fn request_handles(
        &self,
        service: &str,
        route: &str,
        method: &str,
        status: u16,
    ) -> (Counter, Histogram) {
        let method = crate::layer::method_label_str(method);
        let counter = self
            .requests
            .get_or_create(&RequestLabels {
                service: service.into(),
                route: route.into(),
                method: method.into(),
                status: status.to_string(),
            })
            .clone();
        let histogram = self
            .latency
            .get_or_create(&LatencyLabels {
                service: service.into(),
                route: route.into(),
                method: method.into(),
            })
            .clone();
        (counter, histogram)
    }

    /// Records one finished request. `route` must be a route template
    /// (`/tickets/{id}`), never a raw path, to bound cardinality; a
    /// non-standard `method` is recorded as `other`.
    pub fn record_request(
        &self,
        service: &str,
        route: &str,
        method: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let method = crate::layer::method_label_str(method);
        self.requests
            .get_or_create(&RequestLabels {
                service: service.into(),
                route: route.into(),
                method: method.into(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels {
                service: service.into(),
                route: route.into(),
                method: method.into(),
            })
            .observe(elapsed.as_secs_f64());
        if status >= 500 {
            self.record_error(service, "http_5xx");
        }
    }

    /// Counts an error of `kind` (a stable snake_case name, e.g. an
    /// `ErrorCode` name).
    pub fn record_error(&self, service: &str, kind: &str) {
        self.errors
            .get_or_create(&ErrorLabels {
                service: service.into(),
                kind: kind.into(),
            })
            .inc();
    }

    /// Sets the depth of `queue`.
    pub fn set_queue_depth(&self, queue: &str, depth: i64) {
        self.queue_depth
            .get_or_create(&QueueLabels {
                queue: queue.into(),
            })
            .set(depth);
    }

    /// Sets the number of running replicas of `team`.
    pub fn set_replicas(&self, team: &str, replicas: i64) {
        self.replicas
            .get_or_create(&TeamLabels { team: team.into() })
            .set(replicas);
    }

    /// Adds one Titan call's tokens and cost to the tenant's totals.
    pub fn record_usage(
        &self,
        tenant: &str,
        titan: &str,
        input_tokens: u64,
        output_tokens: u64,
        cost_usd: f64,
    ) {
        for (direction, n) in [("input", input_tokens), ("output", output_tokens)] {
            self.tokens
                .get_or_create(&TokenLabels {
                    tenant: tenant.into(),
                    titan: titan.into(),
                    direction: direction.into(),
                })
                .inc_by(n);
        }
        if cost_usd.is_finite() && cost_usd > 0.0 {
            self.cost
                .get_or_create(&TenantLabels {
                    tenant: tenant.into(),
                    titan: titan.into(),
                })
                .inc_by(cost_usd);
        }
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("metrics registry lock");
        prometheus_client::encoding::text::encode(&mut out, &registry)
            .expect("writing to a String cannot fail");
        out
    }
}

async fn serve_metrics(State(metrics): State<Metrics>) -> impl IntoResponse {
    (
        [(http::header::CONTENT_TYPE, CONTENT_TYPE)],
        metrics.encode(),
    )
}

/// A router serving `GET /metrics`.
pub fn metrics_router(metrics: Metrics) -> Router {
    Router::new()
        .route("/metrics", get(serve_metrics))
        .with_state(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_family() {
        let m = Metrics::new();
        m.record_request(
            "ingest",
            "/tickets/{id}",
            "GET",
            200,
            Duration::from_millis(3),
        );
        m.record_request(
            "ingest",
            "/tickets/{id}",
            "GET",
            503,
            Duration::from_millis(700),
        );
        m.set_queue_depth("triage", 42);
        m.set_replicas("triage-team", 3);
        m.record_usage("acme", "gpt", 100, 20, 0.25);
        m.record_usage("acme", "gpt", 100, 0, 0.25);
        let text = m.encode();
        for needle in [
            r#"omega_requests_total{service="ingest",route="/tickets/{id}",method="GET",status="200"} 1"#,
            r#"omega_errors_total{service="ingest",kind="http_5xx"} 1"#,
            r#"omega_request_duration_seconds_count{service="ingest",route="/tickets/{id}",method="GET"} 2"#,
            r#"omega_queue_depth{queue="triage"} 42"#,
            r#"omega_team_replicas{team="triage-team"} 3"#,
            r#"omega_tenant_tokens_total{tenant="acme",titan="gpt",direction="input"} 200"#,
            r#"omega_tenant_cost_usd_total{tenant="acme",titan="gpt"} 0.5"#,
        ] {
            assert!(text.contains(needle), "missing {needle}\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn invented_methods_share_one_label() {
        let m = Metrics::new();
        for i in 0..50 {
            m.record_request("svc", "/x", &format!("INVENT{i}"), 405, Duration::ZERO);
        }
        m.record_request("svc", "/x", "GET", 200, Duration::ZERO);
        let text = m.encode();
        assert!(!text.contains("INVENT"), "{text}");
        assert!(text.contains(
            r#"omega_requests_total{service="svc",route="/x",method="other",status="405"} 50"#
        ));
        assert!(text.contains(r#"method="GET""#));
    }
}
