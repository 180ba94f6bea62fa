//! The JSON-RPC API: methods, errors, malformed requests and batches.

use omega_protocol::ErrorCode;
use serde_json::{Value, json};

use crate::support::{TestAgent, World};

fn code(e: &Value) -> i32 {
    e["code"].as_i64().unwrap() as i32
}

#[tokio::test]
async fn malformed_requests_and_batches_follow_json_rpc() {
    let w = World::start().await;
    // Not JSON at all.
    let (_, out) = w.rpc_raw(r#"{"jsonrpc": "2.0", "method": "#, None).await;
    assert_eq!(code(&out["error"]), ErrorCode::PARSE_ERROR.0, "{out}");
    assert_eq!(out["id"], Value::Null);
    // JSON, but not a request.
    let (_, out) = w.rpc_raw(r#"{"jsonrpc": "2.0", "id": 4}"#, None).await;
    assert_eq!(code(&out["error"]), ErrorCode::INVALID_REQUEST.0, "{out}");
    let (_, out) = w
        .rpc_raw(
            r#"{"jsonrpc": "1.0", "id": 4, "method": "federation.reachable"}"#,
            None,
        )
        .await;
    assert_eq!(code(&out["error"]), ErrorCode::INVALID_REQUEST.0, "{out}");
    // Unknown method.
    let err = w.rpc("federation.nope", json!({})).await.unwrap_err();
    assert_eq!(code(&err), ErrorCode::METHOD_NOT_FOUND.0);
    // Params: positional, wrong shape, unknown field.
    let err = w
        .rpc("federation.reachable", json!(["acme"]))
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::INVALID_PARAMS.0);
    let err = w
        .rpc("federation.reachable", json!({"tennant": "acme"}))
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::INVALID_PARAMS.0);
    let err = w
        .rpc(
            "federation.route",
            json!({"tenant": "acme", "method": "x", "arguments": [1]}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::INVALID_PARAMS.0);
    assert_eq!(err["data"]["field"], "arguments");
    let err = w
        .rpc("federation.route", json!({"tenant": "acme"}))
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::INVALID_PARAMS.0, "{err}");

    // A batch: answers for calls with ids, in any order; none for the notification.
    let batch = json!([
        {"jsonrpc": "2.0", "id": "a", "method": "federation.reachable", "params": {"tenant": "acme"}},
        {"jsonrpc": "2.0", "id": "b", "method": "federation.nope"},
        {"jsonrpc": "2.0", "method": "federation.reachable", "params": {"tenant": "acme"}},
        1,
    ]);
    let (_, out) = w.rpc_raw(&batch.to_string(), None).await;
    let answers = out
        .as_array()
        .unwrap_or_else(|| panic!("batch answer is an array: {out}"));
    assert_eq!(answers.len(), 3, "{out}");
    let by_id = |id: Value| answers.iter().find(|a| a["id"] == id).cloned().unwrap();
    assert!(by_id(json!("a"))["result"]["titans"].is_array());
    assert_eq!(
        code(&by_id(json!("b"))["error"]),
        ErrorCode::METHOD_NOT_FOUND.0
    );
    assert_eq!(
        code(&by_id(Value::Null)["error"]),
        ErrorCode::INVALID_REQUEST.0
    );
    // An empty batch is one invalid request.
    let (_, out) = w.rpc_raw("[]", None).await;
    assert_eq!(code(&out["error"]), ErrorCode::INVALID_REQUEST.0, "{out}");
    // A batch over the limit is refused as a whole.
    let big: Vec<Value> = (0..65)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "federation.nope"}))
        .collect();
    let (_, out) = w.rpc_raw(&Value::Array(big).to_string(), None).await;
    assert!(out["error"].is_object(), "{out}");
    // A lone notification gets no body.
    let (status, out) = w
        .rpc_raw(r#"{"jsonrpc": "2.0", "method": "federation.nope"}"#, None)
        .await;
    assert!(status < 300 && out.is_null(), "{status} {out}");
}

#[tokio::test]
async fn route_by_skill_and_by_tool_with_clear_failures() {
    let w = World::start().await;
    let agent = TestAgent::start("echo-1").await;
    w.register(&agent, "echo-skill").await;
    let out = w
        .rpc(
            "federation.route",
            json!({"tenant": "acme", "skill": "echo-skill", "method": "echo", "arguments": {"text": "hi"}}),
        )
        .await
        .unwrap();
    assert_eq!(out, json!({"text": "hi", "from": "echo-1"}));
    // The same through the deadline header.
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "federation.route",
        "params": {"tenant": "acme", "capability": "role:triage", "method": "echo", "arguments": {"text": "cap"}}});
    let (_, out) = w.rpc_raw(&body.to_string(), None).await;
    assert_eq!(out["result"]["text"], "cap", "{out}");

    // No live agent for the skill.
    let err = w
        .rpc(
            "federation.route",
            json!({"tenant": "acme", "skill": "nobody", "method": "echo"}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::NO_LIVE_AGENT.0);
    assert!(
        err["data"]["hint"]
            .as_str()
            .unwrap()
            .contains("no live agent")
    );
    // The agent answers with an error of its own: passed on with its code.
    let err = w
        .rpc(
            "federation.route",
            json!({"tenant": "acme", "skill": "echo-skill", "method": "fail"}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::NOT_FOUND.0, "{err}");
    // Tenant checks.
    let err = w
        .rpc(
            "federation.route",
            json!({"tenant": "initech", "skill": "echo-skill", "method": "echo"}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::TENANT_UNKNOWN.0);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "federation.route",
        "params": {"tenant": "globex", "skill": "echo-skill", "method": "echo", "arguments": {"text": "x"}}});
    let (_, out) = w.rpc_raw(&body.to_string(), Some("tenant:acme")).await;
    assert_eq!(code(&out["error"]), ErrorCode::TENANT_FORBIDDEN.0, "{out}");

    // By tool name through the gateway catalog.
    w.publish("io.github.acme/echo", &[&agent.url], None).await;
    w.state.refresh_catalog().await.unwrap();
    for method in ["echo__echo", "echo"] {
        let out = w
            .rpc(
                "federation.route",
                json!({"tenant": "acme", "method": method, "arguments": {"text": "t"}}),
            )
            .await
            .unwrap();
        assert_eq!(out["from"], "echo-1");
    }
    let err = w
        .rpc(
            "federation.route",
            json!({"tenant": "acme", "method": "no_such_tool"}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::METHOD_NOT_FOUND.0);
}

#[tokio::test]
async fn every_replica_failing_names_each_cause() {
    let w = World::start().await;
    let a = TestAgent::start("a").await;
    let b = TestAgent::start("b").await;
    w.publish("io.github.acme/pair", &[&a.url, &b.url], None)
        .await;
    assert_eq!(w.state.refresh_catalog().await.unwrap(), 3);
    a.stop();
    b.stop();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // `echo` is read-only, so it is retried on the other replica.
    let err = w
        .rpc(
            "federation.route",
            json!({"tenant": "acme", "method": "pair__echo", "arguments": {"text": "x"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::UPSTREAM_FAILED.0, "{err}");
    let causes = err["data"]["extra"]["causes"].as_array().unwrap();
    let mut upstreams: Vec<&str> = causes
        .iter()
        .map(|c| c["upstream"].as_str().unwrap())
        .collect();
    upstreams.sort();
    upstreams.dedup();
    let mut want = vec![a.url.as_str(), b.url.as_str()];
    want.sort();
    assert_eq!(upstreams, want, "{err}");
}

#[tokio::test]
async fn titans_and_reachable() {
    let w = World::start().await;
    let agent = TestAgent::start("echo-r").await;
    w.register(&agent, "echo-skill").await;
    w.publish("io.github.acme/echo", &[&agent.url], None).await;
    w.state.refresh_catalog().await.unwrap();

    let call = json!({"tenant": "acme", "messages": [{"role": "user", "content": "hello"}]});
    let out = w.rpc("federation.callTitan", call.clone()).await.unwrap();
    assert_eq!(out["titan"], "local");
    assert_eq!(out["message"]["content"], "hello");
    let mut named = call.clone();
    named["titan"] = json!("claude");
    let err = w.rpc("federation.callTitan", named).await.unwrap_err();
    assert_eq!(code(&err), ErrorCode::NOT_FOUND.0);
    let err = w
        .rpc(
            "federation.callTitan",
            json!({"tenant": "acme", "messages": []}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::SCHEMA_VIOLATION.0);
    // A caller the authorizer refuses.
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "federation.callTitan", "params": call});
    let (_, out) = w.rpc_raw(&body.to_string(), Some("tenant:acme")).await;
    assert_eq!(code(&out["error"]), ErrorCode::FORBIDDEN.0, "{out}");

    let out = w
        .rpc("federation.reachable", json!({"tenant": "acme"}))
        .await
        .unwrap();
    assert_eq!(out["titans"][0]["name"], "local");
    assert!(
        out["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["url"] == agent.url.as_str())
    );
    let tools: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["echo__echo", "echo__fail", "echo__whoami"]);
    // The acme user does not see whoami (authorizer).
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "federation.reachable", "params": {"tenant": "acme"}});
    let (_, out) = w.rpc_raw(&body.to_string(), Some("tenant:acme")).await;
    assert_eq!(out["result"]["tools"].as_array().unwrap().len(), 2, "{out}");
}

#[tokio::test]
async fn no_titan_configured_is_a_clear_error() {
    let w = World::start_with(|_| {}, false).await;
    let err = w
        .rpc(
            "federation.callTitan",
            json!({"tenant": "acme", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&err), ErrorCode::NO_LIVE_AGENT.0);
}
