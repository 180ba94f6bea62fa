//! `[server.tls] mode = "dev"`: every role on TLS, roles calling each other
//! with their client certificates, external callers with a bearer token.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use omega::role::{RoleId, Scaling, TitanId};
use omega::up::{Ports, start};
use omega_client::{Connection, ContextClient, Credentials, McpClient, McpVersion};
use omega_config::OmegaConfig;
use omega_protocol::{ErrorCode, TenantId};
use serde_json::json;

fn tls_config() -> OmegaConfig {
    OmegaConfig::from_toml("[server.tls]\nmode = \"dev\"\n").unwrap()
}

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

#[tokio::test]
async fn every_role_serves_tls_and_callers_need_a_certificate_or_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = tls_config();
    let running = tokio::time::timeout(
        Duration::from_secs(60),
        start(
            &config,
            dir.path(),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Ports::Base(0),
            &[
                RoleId::Context,
                RoleId::AgentRegistry,
                RoleId::McpRegistry,
                RoleId::Titan(TitanId::Local),
                RoleId::Orchestrator,
                RoleId::Federation,
            ],
            Scaling::InProcess,
        ),
    )
    .await
    .unwrap()
    .expect("roles start on TLS (the roles reach each other with mTLS)");
    let context = running.url(RoleId::Context).to_owned();
    assert!(context.starts_with("https://"), "{context}");
    let ca = std::fs::read(dir.path().join("pki/ca.pem")).unwrap();
    let token = running.security.dev_token().unwrap().to_owned();

    // The operator's client certificate.
    let operator = running.security.operator_connection().unwrap();
    let mcp = McpClient::over(&operator, &context, McpVersion::V2026_07_28)
        .await
        .unwrap();
    ContextClient::new(mcp, TenantId::parse("acme").unwrap())
        .session_put("s", &json!({"x": 1}), None)
        .await
        .unwrap();

    // The development bearer token.
    let mcp = McpClient::over(&bearer(&ca, &token), &context, McpVersion::V2026_07_28)
        .await
        .unwrap();
    let got = ContextClient::new(mcp, TenantId::parse("acme").unwrap())
        .session_get("s")
        .await
        .unwrap();
    assert_eq!(got["x"], 1, "{got}");

    // No credentials: 401 with the protected resource metadata.
    let anonymous = Connection::new(
        Credentials::BearerWithCa {
            ca_pem: ca.clone(),
            token: String::new(),
        },
        Duration::from_secs(10),
        0,
    )
    .unwrap();
    let err = McpClient::over(&anonymous, &context, McpVersion::V2026_07_28)
        .await
        .unwrap()
        .list_tools()
        .await
        .expect_err("no credentials, no MCP");
    assert_eq!(err.code(), Some(ErrorCode::UNAUTHENTICATED), "{err}");

    // A forged token (signed with another key).
    let other = omega_security::TokenKey::generate();
    let forged = omega_security::token::issue(
        &other,
        &omega_security::Claims::new(
            "mallory",
            omega_security::TokenKind::Operator,
            &omega_stack::TenantGrant::All,
            omega::security::AUDIENCE,
            Duration::from_secs(600),
        ),
    );
    let err = McpClient::over(&bearer(&ca, &forged), &context, McpVersion::V2026_07_28)
        .await
        .unwrap()
        .list_tools()
        .await
        .expect_err("a forged token is refused");
    assert_eq!(err.code(), Some(ErrorCode::UNAUTHENTICATED), "{err}");

    // A token for globex only cannot act for acme.
    let key = omega_security::TokenKey::dev(dir.path()).unwrap();
    let globex = omega_security::token::issue(
        &key,
        &omega_security::Claims::new(
            "employee-7",
            omega_security::TokenKind::Employee,
            &omega_stack::TenantGrant::Only(vec![TenantId::parse("globex").unwrap()]),
            omega::security::AUDIENCE,
            Duration::from_secs(600),
        ),
    );
    let mcp = McpClient::over(&bearer(&ca, &globex), &context, McpVersion::V2026_07_28)
        .await
        .unwrap();
    let err = ContextClient::new(mcp, TenantId::parse("acme").unwrap())
        .session_get("s")
        .await
        .expect_err("another tenant's data is refused");
    assert_eq!(err.code(), Some(ErrorCode::TENANT_FORBIDDEN), "{err}");

    // Plain HTTP to a TLS listener gets no MCP answer.
    let plain = context.replacen("https://", "http://", 1);
    let plain_result = match McpClient::connect(&plain).await {
        Ok(c) => c.list_tools().await.map(drop),
        Err(e) => Err(e),
    };
    assert!(plain_result.is_err());

    // A client certificate from another CA fails the handshake.
    let foreign_dir = tempfile::tempdir().unwrap();
    let foreign = omega_security::certs::dev_ca(foreign_dir.path(), &["context"]).unwrap();
    let read = |p: &std::path::Path| std::fs::read(p).unwrap();
    let foreign_conn = Connection::new(
        Credentials::ClientCertificate {
            ca_pem: ca.clone(),
            cert_pem: read(&foreign.operator.cert),
            key_pem: read(&foreign.operator.key),
        },
        Duration::from_secs(10),
        0,
    )
    .unwrap();
    let foreign_result =
        match McpClient::over(&foreign_conn, &context, McpVersion::V2026_07_28).await {
            Ok(c) => c.list_tools().await.map(drop),
            Err(e) => Err(e),
        };
    assert!(
        foreign_result.is_err(),
        "a certificate from another CA is refused"
    );

    // Health probes stay public; the federation routes over mTLS.
    let rpc = format!("{}/rpc", running.base(RoleId::Federation));
    let fed = McpClient::over(
        &operator,
        running.url(RoleId::Federation),
        McpVersion::V2026_07_28,
    )
    .await
    .unwrap();
    let tools = fed.list_tools().await.unwrap();
    assert!(
        tools.iter().any(|t| t["name"] == "context__session_get"),
        "the gateway reached the context server over mTLS: {tools:?}"
    );
    let _ = rpc;
    running.stop().await.unwrap();
}
