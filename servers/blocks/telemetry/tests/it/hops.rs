//! A trace really spans hops: two HTTP services and a JSON-RPC `_meta` hop
//! export to a test OTLP receiver on loopback, and the received spans share
//! one trace id with the right parent/child links.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use omega_telemetry::propagation::{
    current, extract_params, inject_current_headers, inject_current_params, set_parent,
};
use omega_telemetry::{
    LogFormat, Metrics, OtlpConfig, Telemetry, TelemetryConfig, TelemetryLayer, metrics_router,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Received {
    name: String,
    trace_id: String,
    span_id: String,
    parent: String,
    service: String,
}

type Sink = Arc<Mutex<Vec<Received>>>;

async fn receive(State(sink): State<Sink>, body: Bytes) -> &'static [u8] {
    let req = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
    for rs in req.resource_spans {
        let service = rs
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|a| a.key == "service.name")
            .and_then(|a| a.value.as_ref())
            .map(|v| format!("{:?}", v.value))
            .unwrap_or_default();
        for ss in rs.scope_spans {
            for s in ss.spans {
                sink.lock().unwrap().push(Received {
                    name: s.name,
                    trace_id: hex(&s.trace_id),
                    span_id: hex(&s.span_id),
                    parent: hex(&s.parent_span_id),
                    service: service.clone(),
                });
            }
        }
    }
    b""
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn bind(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// The Titan hop: receives JSON-RPC params with `_meta`, runs in a task with
/// no span in scope, and continues the caller's trace from `_meta` alone.
async fn titan_hop(params: Value) -> String {
    tokio::spawn(async move {
        let span = tracing::info_span!("titan.call", titan = "local");
        if let Some(ctx) = extract_params(&params) {
            set_parent(&span, &ctx);
        }
        let _g = span.enter();
        current().map(|c| c.traceparent).unwrap_or_default()
    })
    .await
    .unwrap()
}

async fn federation(body: Bytes) -> String {
    let req: Value = serde_json::from_slice(&body).unwrap();
    let mut params = req["params"].clone();
    assert!(
        inject_current_params(&mut params),
        "the server span has a context"
    );
    titan_hop(params).await
}

async fn ingest(State(next): State<String>) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = http::Request::post(format!("{next}/rpc"))
        .body(Full::new(Bytes::from(
            json!({"jsonrpc": "2.0", "id": 1, "method": "classify", "params": {"text": "VPN"}})
                .to_string(),
        )))
        .unwrap();
    assert!(inject_current_headers(req.headers_mut()));
    let resp = client.request(req).await.unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn one_trace_spans_http_and_meta_hops() {
    let sink: Sink = Arc::default();
    let collector = bind(
        Router::new()
            .route("/v1/traces", post(receive))
            .with_state(sink.clone()),
    )
    .await;
    let config = TelemetryConfig {
        service_name: "omega-test".into(),
        log_filter: "info".into(),
        log_format: LogFormat::Off,
        otlp: Some(OtlpConfig {
            endpoint: collector,
            timeout_ms: 5_000,
        }),
    };
    let (telemetry, subscriber) = Telemetry::subscriber(&config).unwrap();
    let _default = tracing::subscriber::set_default(subscriber);

    let metrics = Metrics::new();
    let fed = bind(
        Router::new()
            .route("/rpc", post(federation))
            .layer(TelemetryLayer::new(metrics.clone(), "federation")),
    )
    .await;
    let ing = bind(
        Router::new()
            .route("/tickets", post(ingest))
            .with_state(fed)
            .layer(TelemetryLayer::new(metrics.clone(), "ingest"))
            .merge(metrics_router(metrics.clone())),
    )
    .await;

    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let resp = client
        .request(
            http::Request::post(format!("{ing}/tickets"))
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let titan_traceparent = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();

    let mut spans = Vec::new();
    for _ in 0..100 {
        telemetry.flush().await;
        spans = sink.lock().unwrap().clone();
        if spans.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let find = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
            .clone()
    };
    let a = find("POST /tickets");
    let b = find("POST /rpc");
    let t = find("titan.call");
    assert_eq!(a.parent, "", "the first hop starts the trace");
    assert_eq!(b.trace_id, a.trace_id);
    assert_eq!(t.trace_id, a.trace_id);
    assert_eq!(
        b.parent, a.span_id,
        "federation span is a child of ingest's (HTTP headers)"
    );
    assert_eq!(
        t.parent, b.span_id,
        "Titan span is a child of federation's (_meta)"
    );
    assert_eq!(
        titan_traceparent,
        format!("00-{}-{}-01", t.trace_id, t.span_id)
    );
    assert!(a.service.contains("omega-test"), "{}", a.service);

    // The same requests were counted, and /metrics serves them.
    let resp = client
        .request(
            http::Request::get(format!("{ing}/metrics"))
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(
        text.contains(r#"omega_requests_total{service="federation",route="/rpc",method="POST",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(
        r#"omega_request_duration_seconds_count{service="ingest",route="/tickets",method="POST"} 1"#
    ));
    telemetry.shutdown().await;
}
