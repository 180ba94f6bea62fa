//! The federation core inside the omega process: Titans through the
//! orchestrator (the local Titan by default) and routing to a third-party
//! agent found by skill in the agent registry.

use std::net::{IpAddr, Ipv4Addr};

use omega::role::RoleId as Role;
use omega_config::OmegaConfig;
use serde_json::{Value, json};

async fn rpc(url: &str, body: Value) -> Value {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let req = http::Request::post(url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct EchoIn {
    text: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct EchoOut {
    echoed: String,
}

#[tokio::test]
async fn titans_and_agents_are_reachable_through_the_federation() {
    let dir = tempfile::tempdir().unwrap();
    let roles = [
        Role::Context,
        Role::AgentRegistry,
        Role::McpRegistry,
        Role::Titan(omega::role::TitanId::Local),
        Role::Orchestrator,
        Role::Federation,
    ];
    let running = omega::up::start(
        &OmegaConfig::default(),
        dir.path(),
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        omega::up::Ports::Base(0),
        &roles,
        omega::role::Scaling::InProcess,
    )
    .await
    .unwrap();
    let rpc_url = running.url(Role::Federation).replace("/mcp", "/rpc");

    let reachable = rpc(&rpc_url, json!({"jsonrpc": "2.0", "id": 1, "method": "federation.reachable", "params": {"tenant": "acme"}})).await;
    assert_eq!(
        reachable["result"]["titans"][0]["name"], "local",
        "{reachable}"
    );

    let titan = rpc(
        &rpc_url,
        json!({"jsonrpc": "2.0", "id": 2, "method": "federation.callTitan",
               "params": {"tenant": "acme", "messages": [{"role": "user", "content": "keyboard and monitor broken, need replacement"}]}}),
    )
    .await;
    let answer: Value =
        serde_json::from_str(titan["result"]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(answer["category"], "Hardware", "{titan}");

    // A third-party agent joins with the Agent helper and is called by skill.
    let policy = omega_stack::TenantPolicy::new([omega_protocol::TenantId::parse("acme").unwrap()]);
    let tools = omega_stack::ToolSet::new(std::sync::Arc::new(()), policy).tool(
        "echo",
        "Echo text back.",
        true,
        |_, _, input: EchoIn| async move {
            Ok::<_, omega_protocol::OmegaError>(EchoOut { echoed: input.text })
        },
    );
    let card =
        serde_json::from_value(crate::agent_registry::card_json("Echo Agent", "fed-echo")).unwrap();
    let agent = omega_client::Agent::start(
        &omega_client::Connection::default(),
        running.url(Role::AgentRegistry),
        card,
        "echo",
        tools,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let routed = rpc(
        &rpc_url,
        json!({"jsonrpc": "2.0", "id": 3, "method": "federation.route",
               "params": {"tenant": "acme", "skill": "fed-echo", "method": "echo", "arguments": {"text": "hi"}}}),
    )
    .await;
    assert_eq!(routed["result"]["echoed"], "hi", "{routed}");

    let none = rpc(
        &rpc_url,
        json!({"jsonrpc": "2.0", "id": 4, "method": "federation.route",
               "params": {"tenant": "acme", "skill": "nobody-has-this", "method": "echo", "arguments": {}}}),
    )
    .await;
    assert_eq!(
        none["error"]["code"],
        omega_protocol::ErrorCode::NO_LIVE_AGENT.0,
        "{none}"
    );
    let unknown = rpc(
        &rpc_url,
        json!({"jsonrpc": "2.0", "id": 5, "method": "federation.nope", "params": {}}),
    )
    .await;
    assert_eq!(unknown["error"]["code"], -32601);

    // The MCP gateway aggregates the servers this process published in its
    // MCP registry, prefixed by server, and forwards calls.
    let gateway = omega_client::McpClient::connect(running.url(Role::Federation))
        .await
        .unwrap();
    let names: Vec<String> = gateway
        .list_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        names.contains(&"context__session_get".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"mcp-registry__mcp_server_list".to_owned()),
        "{names:?}"
    );
    gateway
        .call_tool(
            "context__cache_put",
            json!({"tenant": "acme", "key": "via-gateway", "value": 7}),
        )
        .await
        .unwrap();
    let hit = gateway
        .call_tool(
            "context__cache_get",
            json!({"tenant": "acme", "key": "via-gateway"}),
        )
        .await
        .unwrap();
    assert_eq!(hit["value"], 7);

    agent.shutdown().await.unwrap();
    running.stop().await.unwrap();
}
