//! OMEGA telemetry: tracing setup with optional OTLP export, W3C trace
//! context propagation across hops, and Prometheus metrics.
//!
//! - [`Telemetry::init`] installs a `tracing` subscriber: log lines (text or
//!   JSON) plus an OpenTelemetry layer, so every span has a W3C trace id.
//!   With [`OtlpConfig`] set, spans are exported over OTLP/HTTP (protobuf)
//!   through hyper on plain HTTP (no tonic transport, no reqwest, no
//!   aws-lc).
//! - [`propagation`] moves the trace context through HTTP headers and
//!   MCP/JSON-RPC `_meta`, so one ticket's trace spans ingest, queue,
//!   triage, federation, orchestrator and Titan.
//! - [`Metrics`] holds the Prometheus registry (requests, errors, latency
//!   histograms, queue depth, replicas per team, tokens and cost per
//!   tenant); [`metrics_router`] serves it at `/metrics`, and
//!   [`TelemetryLayer`] records a span and metrics for every HTTP request.

pub mod config;
mod export;
mod init;
pub mod layer;
pub mod metrics;
pub mod propagation;

pub use config::{LogFormat, OtlpConfig, TelemetryConfig};
pub use export::RuntimeHttpClient;
pub use init::{Telemetry, TelemetryError};
pub use layer::{TelemetryLayer, TelemetryService, method_label, method_label_str, route_label};
pub use metrics::{Metrics, metrics_router};
