//! Registries have owners: with `[server.tls] mode = "dev"`, the identity
//! that registered an agent or published an MCP server record is the only
//! one (besides operators) that may heartbeat, deregister or change it.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use omega::role::{RoleId, Scaling};
use omega::up::{Ports, start};
use omega_client::{
    AgentRegistryClient, ClientError, Connection, Credentials, McpClient, McpRegistryClient,
    McpVersion,
};
use omega_config::OmegaConfig;
use omega_protocol::{AgentCard, ErrorCode, McpServerRecord};
use serde_json::{Value, json};

fn bearer(ca: &[u8], token: &str) -> Connection {
    Connection::new(
        Credentials::BearerWithCa {
            ca_pem: ca.to_vec(),
            token: token.to_owned(),
        },
        Duration::from_secs(10),
        0,
    )
    .unwrap()
}

fn token(key: &omega_security::TokenKey, sub: &str) -> String {
    omega_security::token::issue(
        key,
        &omega_security::Claims::new(
            sub,
            omega_security::TokenKind::Service,
            &omega_stack::TenantGrant::All,
            omega::security::AUDIENCE,
            Duration::from_secs(600),
        ),
    )
}

fn assert_forbidden<T: std::fmt::Debug>(result: Result<T, ClientError>) {
    let err = result.expect_err("another identity's record is refused");
    assert_eq!(err.code(), Some(ErrorCode::FORBIDDEN), "{err}");
    assert!(err.to_string().contains("owned by"), "{err}");
}

fn card() -> AgentCard {
    serde_json::from_value(json!({
        "name": "Owned Agent",
        "description": "An agent owned by identity A",
        "version": "1.0.0",
        "supportedInterfaces": [{"url": "https://127.0.0.1:9/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {"streaming": false, "pushNotifications": false},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["application/json"],
        "skills": [{"id": "owned-skill", "name": "Owned", "description": "Owned by A", "tags": []}],
        "omega": {"role": "triage", "tier": "dynamic", "tenants": "all"},
    }))
    .unwrap()
}

const NAME: &str = "io.github.acme/owned-tools";

fn record() -> McpServerRecord {
    serde_json::from_value(json!({
        "name": NAME,
        "description": "Tools owned by identity A",
        "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": "https://tools.a.example/mcp"}]
    }))
    .unwrap()
}

fn status(entry: &Value) -> &str {
    entry["_meta"]["io.modelcontextprotocol.registry/official"]["status"]
        .as_str()
        .unwrap_or_default()
}

async fn owners_are_enforced_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let config = OmegaConfig::from_toml("[server.tls]\nmode = \"dev\"\n").unwrap();
    let running = start(
        &config,
        dir.path(),
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        Ports::Base(0),
        &[RoleId::Context, RoleId::AgentRegistry, RoleId::McpRegistry],
        Scaling::InProcess,
    )
    .await
    .expect("roles start on TLS");
    let ca = std::fs::read(dir.path().join("pki/ca.pem")).unwrap();
    let key = omega_security::TokenKey::dev(dir.path()).unwrap();
    let (a, b) = (
        bearer(&ca, &token(&key, "subject-a")),
        bearer(&ca, &token(&key, "subject-b")),
    );
    let client = |conn: Connection, role: RoleId| {
        let url = running.url(role).to_owned();
        async move {
            Arc::new(
                McpClient::over(&conn, &url, McpVersion::V2026_07_28)
                    .await
                    .unwrap(),
            )
        }
    };
    let agents_a = client(a.clone(), RoleId::AgentRegistry).await;
    let agents_b = client(b.clone(), RoleId::AgentRegistry).await;
    let servers_a = client(a.clone(), RoleId::McpRegistry).await;
    let servers_b = client(b.clone(), RoleId::McpRegistry).await;

    // A registers an agent and publishes a server record.
    let reg_a = AgentRegistryClient::new(agents_a.clone());
    let reg_b = AgentRegistryClient::new(agents_b.clone());
    let (agent_id, _) = reg_a.register(&card()).await.unwrap();
    let mcp_a = McpRegistryClient::new(servers_a.clone());
    mcp_a.publish(&record()).await.unwrap();

    // B may not heartbeat or deregister A's agent; it stays registered.
    assert_forbidden(reg_b.heartbeat(&agent_id).await);
    assert_forbidden(reg_b.deregister(&agent_id).await);
    let listed = agents_b.call_tool("agent_list", json!({})).await.unwrap();
    assert!(
        listed["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["agentId"] == agent_id.as_str()),
        "{listed}"
    );
    assert!(
        !listed.to_string().contains("subject-a"),
        "owner stays internal: {listed}"
    );

    // B may not retire A's server; the record is unchanged.
    let set_status = |mcp: Arc<McpClient>, status: &'static str| async move {
        mcp.call_tool(
            "mcp_server_set_status",
            json!({"name": NAME, "version": "1.0.0", "status": status}),
        )
        .await
    };
    assert_forbidden(set_status(servers_b.clone(), "deleted").await);
    let entry = servers_b
        .call_tool("mcp_server_get", json!({"name": NAME, "version": "1.0.0"}))
        .await
        .unwrap();
    assert_eq!(status(&entry), "active", "{entry}");
    assert!(
        !entry.to_string().contains("subject-a"),
        "owner stays internal: {entry}"
    );

    // A's calls succeed.
    reg_a.heartbeat(&agent_id).await.unwrap();
    let entry = set_status(servers_a.clone(), "deprecated").await.unwrap();
    assert_eq!(status(&entry), "deprecated", "{entry}");
    assert!(reg_a.deregister(&agent_id).await.unwrap());

    running.stop().await.unwrap();
}

#[tokio::test]
async fn only_the_owner_changes_registry_records() {
    tokio::time::timeout(Duration::from_secs(120), owners_are_enforced_over_tls())
        .await
        .expect("the owners test finishes within its deadline");
}
