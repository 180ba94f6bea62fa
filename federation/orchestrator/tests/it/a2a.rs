//! A2A: the official Python SDK drives Titan agents over HTTP; protocol
//! errors are checked in-process.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use omega_orchestrator::a2a::{A2aAgent, TitanAgent, a2a_router, titan_card};
use omega_orchestrator::{Orchestrator, OrchestratorConfig};
use omega_titans::Titan;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::fake::{Behaviour, FakeTitan, acme};

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("OMEGA_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/test (it installs a2a-sdk) or set OMEGA_PYTHON",
        venv.display()
    );
    venv
}

fn orchestrator() -> Arc<Orchestrator> {
    let gpt = FakeTitan::new("gpt", Behaviour::Text("restart the VPN client"));
    let claude = FakeTitan::new("claude", Behaviour::Hang);
    let config: OrchestratorConfig =
        serde_json::from_value(json!({"defaultStrategy": {"strategy": "single", "titan": "gpt"}}))
            .unwrap();
    let titans: Vec<Arc<dyn Titan>> = vec![gpt, claude];
    Arc::new(Orchestrator::new(config, titans).unwrap())
}

/// Serves the named Titan as an agent on a loopback port; returns its URL.
async fn serve(o: &Arc<Orchestrator>, titan: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let agent = TitanAgent::new(
        o.clone(),
        Some(titan.into()),
        "answer",
        None,
        titan_card(titan, &url),
    );
    let app = a2a_router(Arc::new(agent));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_drives_send_get_cancel_and_stream() {
    let o = orchestrator();
    let answer = serve(&o, "gpt").await;
    let slow = serve(&o, "claude").await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/a2a_client.py");
    let out = tokio::process::Command::new(python())
        .arg(&script)
        .arg(&answer)
        .arg(&slow)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "script failed:\n{stdout}\n{stderr}");
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["card_name"], "gpt Titan");
    assert_eq!(seen["send_state"], "TASK_STATE_COMPLETED");
    assert_eq!(seen["task_metadata"]["titan"], "gpt");
    // Struct values come back as protobuf doubles.
    assert_eq!(
        seen["task_metadata"]["usage"]["inputTokens"].as_f64(),
        Some(10.0)
    );
    assert_eq!(seen["history_roles"], json!(["ROLE_USER", "ROLE_AGENT"]));
    assert_eq!(seen["cancel_finished"], "TaskNotCancelableError");
    assert_eq!(seen["get_unknown"], "TaskNotFoundError");
    let chunks = seen["stream_chunks"].as_array().unwrap();
    assert_eq!(
        chunks.len(),
        4,
        "one artifact chunk per streamed word: {chunks:?}"
    );
    assert_eq!(
        seen["stream_states"],
        json!(["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"])
    );
    assert_eq!(seen["cancel_state"], "TASK_STATE_CANCELED");
    assert_eq!(seen["no_version_code"], -32009);
    assert_eq!(seen["v2_code"], -32009);
    // Two answered calls were billed to the tenant named in the metadata.
    assert_eq!(o.ledger().records(&acme()).len(), 2);
}

async fn post(app: axum::Router, body: &str, version: Option<&str>) -> Value {
    let mut req = Request::post("/").header("content-type", "application/json");
    if let Some(v) = version {
        req = req.header("A2A-Version", v);
    }
    let resp = app
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn protocol_errors_have_stable_codes() {
    let o = orchestrator();
    let agent: Arc<dyn A2aAgent> = Arc::new(TitanAgent::new(
        o,
        Some("gpt".into()),
        "answer",
        None,
        titan_card("gpt", "http://127.0.0.1/"),
    ));
    let app = a2a_router(agent);
    let v = Some("1.0");
    let code = |r: &Value| r["error"]["code"].as_i64().unwrap();
    assert_eq!(code(&post(app.clone(), "{not json", v).await), -32700);
    assert_eq!(code(&post(app.clone(), "[]", v).await), -32600);
    assert_eq!(
        code(&post(app.clone(), r#"{"id":1,"method":"GetTask"}"#, v).await),
        -32600
    );
    let r = post(
        app.clone(),
        r#"{"jsonrpc":"2.0","id":7,"method":"tasks/get","params":{}}"#,
        v,
    )
    .await;
    assert_eq!((code(&r), r["id"].as_i64()), (-32601, Some(7)));
    let r = post(
        app.clone(),
        r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"taskId":"x"}}"#,
        v,
    )
    .await;
    assert_eq!(code(&r), -32602);
    assert_eq!(r["error"]["data"][0]["reason"], "INVALID_PARAMS");
    let send = |parts: Value, meta: Value| {
        json!({"jsonrpc": "2.0", "id": 2, "method": "SendMessage", "params": {
            "message": {"messageId": "m", "role": "ROLE_USER", "parts": parts, "metadata": meta}}})
        .to_string()
    };
    // A part with two contents is refused before any work starts.
    let r = post(
        app.clone(),
        &send(
            json!([{"text": "a", "url": "http://x"}]),
            json!({"tenant": "acme"}),
        ),
        v,
    )
    .await;
    assert_eq!(code(&r), -32602);
    // No tenant: the task fails and says what to set.
    let r = post(
        app.clone(),
        &send(json!([{"text": "hi"}]), json!({})),
        Some("1.0.3"),
    )
    .await;
    let task = &r["result"]["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_FAILED");
    assert_eq!(task["metadata"]["error"]["data"]["name"], "tenant_required");
    assert!(
        task["status"]["message"]["parts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("metadata.tenant")
    );
    // The card is served in its public form (OMEGA fields as an extension).
    let resp = app
        .oneshot(
            Request::get("/.well-known/agent-card.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let card: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(card.get("omega").is_none());
    assert_eq!(
        card["capabilities"]["extensions"][0]["params"]["role"],
        "titan"
    );
    assert_eq!(card["supportedInterfaces"][0]["protocolVersion"], "1.0");
}
