//! The orchestrator continues the caller's trace and hands the Titan a
//! context whose parent is the orchestrator's own span.

use std::sync::Arc;

use omega_orchestrator::{Orchestrator, OrchestratorConfig};
use omega_protocol::TraceContext;
use omega_telemetry::{LogFormat, Telemetry, TelemetryConfig};
use omega_titans::Titan;

use crate::fake::{Behaviour, FakeTitan, acme, request};

const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[tokio::test]
async fn titan_calls_continue_the_callers_trace() {
    let config = TelemetryConfig {
        log_format: LogFormat::Off,
        ..TelemetryConfig::default()
    };
    let (_telemetry, subscriber) = Telemetry::subscriber(&config).unwrap();
    let _default = tracing::subscriber::set_default(subscriber);
    let gpt = FakeTitan::new("gpt", Behaviour::Text("ok"));
    let config: OrchestratorConfig = serde_json::from_value(
        serde_json::json!({"defaultStrategy": {"strategy": "single", "titan": "gpt"}}),
    )
    .unwrap();
    let o = Orchestrator::new(config, [gpt.clone() as Arc<dyn Titan>]).unwrap();
    let mut req = request("hi");
    req.trace = Some(TraceContext {
        traceparent: CALLER.into(),
        tracestate: None,
    });
    o.call("t", &acme(), req).await.unwrap();
    let seen = gpt
        .seen_trace
        .lock()
        .unwrap()
        .clone()
        .expect("the Titan got a trace context");
    assert_eq!(seen.trace_id(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_ne!(
        seen.traceparent, CALLER,
        "the parent is the orchestrator's span, not the caller's"
    );
}
