use omega::role::RoleId as Role;
use omega_client::{ClientError, ContextClient, McpClient};
use omega_protocol::{ErrorCode, TenantId};
use serde_json::json;

use crate::harness::{Harness, VERSIONS};

fn tenant(t: &str) -> TenantId {
    TenantId::parse(t).unwrap()
}

fn code(r: Result<impl std::fmt::Debug, ClientError>) -> ErrorCode {
    r.unwrap_err().code().expect("a server error")
}

#[tokio::test]
async fn every_tool_works_in_both_protocol_versions() {
    let h = Harness::start().await;
    for version in VERSIONS {
        let mcp = h.client(Role::Context, version).await;
        let tools = mcp.list_tools().await.unwrap();
        assert_eq!(tools.len(), 9, "{version:?}");
        for tool in &tools {
            assert_eq!(tool["inputSchema"]["type"], "object", "{}", tool["name"]);
            assert_eq!(
                tool["inputSchema"]["required"][0], "tenant",
                "{}",
                tool["name"]
            );
            assert_eq!(tool["outputSchema"]["type"], "object", "{}", tool["name"]);
        }
        let ctx = ContextClient::new(mcp, tenant("acme"));
        let sid = format!("s-{}", version.as_str());
        ctx.session_put(&sid, &json!({"turn": 3}), Some(60))
            .await
            .unwrap();
        assert_eq!(ctx.session_get(&sid).await.unwrap(), json!({"turn": 3}));
        assert!(ctx.session_delete(&sid).await.unwrap());
        assert!(!ctx.session_delete(&sid).await.unwrap());
        ctx.cache_put("hot", &json!("v"), None).await.unwrap();
        assert_eq!(ctx.cache_get("hot").await.unwrap(), Some(json!("v")));
        assert_eq!(ctx.cache_get("cold").await.unwrap(), None);
        ctx.memory_store(
            "Outlook asks for the password again and again",
            json!({"kind": "note"}),
        )
        .await
        .unwrap();
        ctx.memory_store("Order two new docking stations", json!({"kind": "note"}))
            .await
            .unwrap();
        let hits = ctx
            .memory_search("outlook password prompt", 1)
            .await
            .unwrap();
        assert!(
            hits[0]["text"].as_str().unwrap().contains("Outlook"),
            "{hits:?}"
        );
        ctx.ticket_record(
            "zendesk:1",
            "Printer offline",
            "printer on 2nd floor offline",
            Some("Hardware"),
            Some("power cycled"),
        )
        .await
        .unwrap();
        let similar = ctx
            .ticket_context("printer is offline", "", 3)
            .await
            .unwrap();
        assert_eq!(similar[0]["ticketId"], "zendesk:1");
        assert_eq!(similar[0]["resolution"], "power cycled");
    }
}

#[tokio::test]
async fn failure_cases_have_stable_codes() {
    let h = Harness::start().await;
    for version in VERSIONS {
        let mcp = h.client(Role::Context, version).await;
        // Unknown tool: a JSON-RPC protocol error with -32602.
        assert_eq!(
            code(mcp.call_tool("no_such_tool", json!({})).await),
            ErrorCode::INVALID_PARAMS
        );
        // Arguments that fail the input schema name the field.
        let err = mcp
            .call_tool(
                "session_put",
                json!({"tenant": "acme", "sessionId": "x", "value": 1, "ttlSecs": "soon"}),
            )
            .await
            .unwrap_err();
        match err {
            ClientError::Server(e) => {
                assert_eq!(e.code, ErrorCode::INVALID_PARAMS);
                assert_eq!(e.data.field.as_deref(), Some("ttlSecs"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            code(
                mcp.call_tool(
                    "session_get",
                    json!({"tenant": "acme", "sessionId": "x", "extra": 1})
                )
                .await
            ),
            ErrorCode::INVALID_PARAMS
        );
        // Missing, malformed and unknown tenants.
        assert_eq!(
            code(
                mcp.call_tool("session_get", json!({"sessionId": "x"}))
                    .await
            ),
            ErrorCode::TENANT_REQUIRED
        );
        assert_eq!(
            code(
                mcp.call_tool("session_get", json!({"tenant": "ACME!", "sessionId": "x"}))
                    .await
            ),
            ErrorCode::TENANT_REQUIRED
        );
        assert_eq!(
            code(
                mcp.call_tool(
                    "session_get",
                    json!({"tenant": "initech", "sessionId": "x"})
                )
                .await
            ),
            ErrorCode::TENANT_UNKNOWN
        );
        // A session that does not exist.
        assert_eq!(
            code(
                mcp.call_tool(
                    "session_get",
                    json!({"tenant": "acme", "sessionId": "never"})
                )
                .await
            ),
            ErrorCode::NOT_FOUND
        );
        // A value over the 1 MiB limit.
        let big = "x".repeat(1024 * 1024 + 1);
        let err = mcp
            .call_tool(
                "session_put",
                json!({"tenant": "acme", "sessionId": "big", "value": big}),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::PAYLOAD_TOO_LARGE), "{err:?}");
        // A request body over the 4 MiB transport limit is refused before parsing.
        let huge = "x".repeat(5 * 1024 * 1024);
        let err = mcp
            .call_tool(
                "session_put",
                json!({"tenant": "acme", "sessionId": "huge", "value": huge}),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Protocol(ref m) if m.contains("413")),
            "{err:?}"
        );
        // Bad TTLs and ids.
        assert_eq!(
            code(
                mcp.call_tool(
                    "session_put",
                    json!({"tenant": "acme", "sessionId": "a b", "value": 1})
                )
                .await
            ),
            ErrorCode::INVALID_PARAMS
        );
        assert_eq!(
            code(
                mcp.call_tool(
                    "cache_put",
                    json!({"tenant": "acme", "key": "k", "value": 1, "ttlSecs": 0})
                )
                .await
            ),
            ErrorCode::INVALID_PARAMS
        );
    }
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let h = Harness::start().await;
    let mcp = h
        .client(Role::Context, omega_client::McpVersion::V2026_07_28)
        .await;
    let acme = ContextClient::new(mcp.clone(), tenant("acme"));
    let globex = acme.for_tenant(tenant("globex"));
    acme.session_put("shared-id", &json!("acme secret"), None)
        .await
        .unwrap();
    acme.cache_put("shared-key", &json!("acme cache"), None)
        .await
        .unwrap();
    acme.memory_store("acme payroll server password rotation", json!({}))
        .await
        .unwrap();
    acme.ticket_record("zendesk:77", "acme payroll outage", "", None, None)
        .await
        .unwrap();

    assert_eq!(
        globex.session_get("shared-id").await.unwrap_err().code(),
        Some(ErrorCode::NOT_FOUND)
    );
    assert_eq!(globex.cache_get("shared-key").await.unwrap(), None);
    assert!(
        globex
            .memory_search("payroll password", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        globex
            .ticket_context("payroll outage", "", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!globex.session_delete("shared-id").await.unwrap());
    assert_eq!(
        acme.session_get("shared-id").await.unwrap(),
        json!("acme secret")
    );
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = omega_config::OmegaConfig::default();
    let localhost = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let running = omega::up::start(
        &config,
        dir.path(),
        localhost,
        omega::up::Ports::Base(0),
        &[Role::Context],
        omega::role::Scaling::InProcess,
    )
    .await
    .unwrap();
    let mcp = McpClient::connect(running.url(Role::Context))
        .await
        .unwrap();
    let ctx = ContextClient::new(mcp, tenant("acme"));
    ctx.session_put("durable", &json!({"kept": true}), Some(3600))
        .await
        .unwrap();
    ctx.memory_store("the VPN concentrator is in rack 4", json!({}))
        .await
        .unwrap();
    running.stop().await.unwrap();

    let running = omega::up::start(
        &config,
        dir.path(),
        localhost,
        omega::up::Ports::Base(0),
        &[Role::Context],
        omega::role::Scaling::InProcess,
    )
    .await
    .unwrap();
    let mcp = McpClient::connect(running.url(Role::Context))
        .await
        .unwrap();
    let ctx = ContextClient::new(mcp, tenant("acme"));
    assert_eq!(
        ctx.session_get("durable").await.unwrap(),
        json!({"kept": true})
    );
    assert_eq!(ctx.memory_search("vpn rack", 1).await.unwrap().len(), 1);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_count_requests_per_role() {
    let h = Harness::start().await;
    let mcp = h
        .client(Role::Context, omega_client::McpVersion::V2026_07_28)
        .await;
    mcp.call_tool("cache_get", json!({"tenant": "acme", "key": "k"}))
        .await
        .unwrap();
    let url = format!("{}/metrics", h.base(Role::Context));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let resp = client.get(url.parse().unwrap()).await.unwrap();
    assert_eq!(resp.status(), 200);
    use http_body_util::BodyExt;
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
        text.contains("omega_") && text.contains("omega-context"),
        "{text}"
    );
}
