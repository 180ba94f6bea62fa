use omega::role::RoleId as Role;
use omega_client::{AgentRegistryClient, McpVersion};
use omega_config::OmegaConfig;
use omega_protocol::{AgentCard, ErrorCode};
use serde_json::{Value, json};

use crate::harness::{Harness, VERSIONS, get_json};

pub fn card_json(name: &str, skill: &str) -> Value {
    json!({
        "name": name,
        "description": "A triage agent for tests",
        "version": "1.2.0",
        "supportedInterfaces": [{"url": "http://127.0.0.1:9/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {"streaming": true, "pushNotifications": false},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["application/json"],
        "skills": [{"id": skill, "name": "Triage", "description": "Classify and prioritize tickets", "tags": ["tickets"]}],
        "omega": {"role": "triage", "tier": "dynamic", "tenants": {"only": ["acme"]}},
    })
}

fn card(name: &str, skill: &str) -> AgentCard {
    serde_json::from_value(card_json(name, skill)).unwrap()
}

#[tokio::test]
async fn register_heartbeat_discover_deregister_in_both_versions() {
    let h = Harness::start().await;
    for version in VERSIONS {
        let mcp = h.client(Role::AgentRegistry, version).await;
        let reg = AgentRegistryClient::new(mcp.clone());
        let skill = format!("triage-{}", version.as_str());
        let (id, interval) = reg.register(&card("Triage Agent", &skill)).await.unwrap();
        assert!(id.starts_with("triage-agent-"), "{id}");
        assert_eq!(interval, 15.0);
        reg.heartbeat(&id).await.unwrap();
        let found = reg.discover_skill(&skill).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["agentId"], id.as_str());
        // By tag, by capability and by role; tenant scoping.
        assert!(!reg.discover_skill("tickets").await.unwrap().is_empty());
        let by_cap = mcp
            .call_tool(
                "agent_discover",
                json!({"capability": "role:triage", "tenant": "acme"}),
            )
            .await
            .unwrap();
        assert!(
            by_cap["agents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["agentId"] == id.as_str())
        );
        let other_tenant = mcp
            .call_tool(
                "agent_discover",
                json!({"skill": skill, "tenant": "globex"}),
            )
            .await
            .unwrap();
        assert!(other_tenant["agents"].as_array().unwrap().is_empty());
        // The card is served at the A2A well-known path, with OMEGA fields as an extension.
        let (status, served) = get_json(&format!(
            "{}/agents/{id}/.well-known/agent-card.json",
            h.base(Role::AgentRegistry)
        ))
        .await;
        assert_eq!(status, 200);
        assert_eq!(served["name"], "Triage Agent");
        assert!(
            served.get("omega").is_none(),
            "public card carries OMEGA fields as an extension"
        );
        assert!(reg.deregister(&id).await.unwrap());
        assert!(reg.discover_skill(&skill).await.unwrap().is_empty());
        let (status, body) = get_json(&format!(
            "{}/agents/{id}/.well-known/agent-card.json",
            h.base(Role::AgentRegistry)
        ))
        .await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], ErrorCode::NOT_FOUND.0);
    }
    let (status, own) = get_json(&format!(
        "{}/.well-known/agent-card.json",
        h.base(Role::AgentRegistry)
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(own["name"], "OMEGA Agent Registry");
}

#[tokio::test]
async fn liveness_follows_heartbeats() {
    let mut config = OmegaConfig::default();
    config.agent_registry.heartbeat_expiry_secs = 1;
    let h = Harness::start_with(config).await;
    let mcp = h.client(Role::AgentRegistry, McpVersion::V2026_07_28).await;
    let reg = AgentRegistryClient::new(mcp.clone());
    let (id, _) = reg.register(&card("Sleepy", "sleepy-skill")).await.unwrap();
    assert_eq!(reg.discover_skill("sleepy-skill").await.unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert!(
        reg.discover_skill("sleepy-skill").await.unwrap().is_empty(),
        "expired agent is not discovered"
    );
    let all = mcp.call_tool("agent_list", json!({})).await.unwrap();
    let me = all["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agentId"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(me["live"], false);
    let live = mcp
        .call_tool("agent_list", json!({"liveOnly": true}))
        .await
        .unwrap();
    assert!(
        live["agents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["agentId"] != id.as_str())
    );
    reg.heartbeat(&id).await.unwrap();
    assert_eq!(
        reg.discover_skill("sleepy-skill").await.unwrap().len(),
        1,
        "a heartbeat revives it"
    );
}

#[tokio::test]
async fn bad_cards_and_unknown_agents_are_refused() {
    let h = Harness::start().await;
    let mcp = h.client(Role::AgentRegistry, McpVersion::V2026_07_28).await;
    let err = mcp
        .call_tool("agent_heartbeat", json!({"agentId": "nobody-123"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NOT_FOUND));

    let mut no_omega = card_json("No Omega", "x");
    no_omega.as_object_mut().unwrap().remove("omega");
    let err = mcp
        .call_tool("agent_register", json!({"card": no_omega}))
        .await
        .unwrap_err();
    match err {
        omega_client::ClientError::Server(e) => {
            assert_eq!(e.code, ErrorCode::SCHEMA_VIOLATION);
            assert_eq!(e.data.field.as_deref(), Some("card.omega"));
        }
        other => panic!("{other:?}"),
    }
    let mut no_interfaces = card_json("Nowhere", "x");
    no_interfaces["supportedInterfaces"] = json!([]);
    let err = mcp
        .call_tool("agent_register", json!({"card": no_interfaces}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::SCHEMA_VIOLATION));
    let mut wrong_type = card_json("Typed", "x");
    wrong_type["skills"] = json!("triage");
    let err = mcp
        .call_tool("agent_register", json!({"card": wrong_type}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::INVALID_PARAMS));
    let err = mcp
        .call_tool("agent_discover", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::INVALID_PARAMS));
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
async fn agent_helper_registers_heartbeats_serves_tools_and_deregisters() {
    let mut config = OmegaConfig::default();
    config.agent_registry.heartbeat_expiry_secs = 1;
    let h = Harness::start_with(config).await;
    let policy = omega_stack::TenantPolicy::new([omega_protocol::TenantId::parse("acme").unwrap()]);
    let tools = omega_stack::ToolSet::new(std::sync::Arc::new(()), policy).tool(
        "echo",
        "Echo text back.",
        true,
        |_, _, input: EchoIn| async move {
            Ok::<_, omega_protocol::OmegaError>(EchoOut { echoed: input.text })
        },
    );
    let connection = omega_client::Connection::default();
    let agent = omega_client::Agent::start(
        &connection,
        &h.url(Role::AgentRegistry),
        card("Echo Agent", "echo-skill"),
        "An echo agent.",
        tools,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let registry =
        AgentRegistryClient::new(h.client(Role::AgentRegistry, McpVersion::V2026_07_28).await);
    // Heartbeats keep it live past the 1 s expiry.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let found = registry.discover_skill("echo-skill").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let url = found[0]["card"]["supportedInterfaces"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(url, agent.url());
    // Discovered, then called on its own MCP endpoint.
    let mcp = omega_client::McpClient::connect(&url).await.unwrap();
    let out = mcp.call_tool("echo", json!({"text": "hi"})).await.unwrap();
    assert_eq!(out["echoed"], "hi");
    agent.shutdown().await.unwrap();
    assert!(
        registry
            .discover_skill("echo-skill")
            .await
            .unwrap()
            .is_empty()
    );
}
