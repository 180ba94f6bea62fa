//! Bearer tokens over TLS (no client certificate) and the MCP/RFC 9728
//! discovery hints on 401.

use std::time::Duration;

use omega_protocol::ErrorCode;
use omega_security::policy::PolicyConfig;
use omega_security::token::{self, Claims, TokenKey, TokenKind};
use omega_security::{ClientAuth, Policy, ResourceServer};
use omega_stack::TenantGrant;

use crate::harness::{Pki, Reply, Server, request, start, tenant};

const AUD: &str = "https://omega.test";

fn key() -> TokenKey {
    TokenKey::new(b"0123456789abcdef0123456789abcdef".to_vec()).unwrap()
}

async fn server(pki: &Pki) -> Server {
    let policy = Policy::new(&PolicyConfig::dev_default()).unwrap();
    start(
        &pki.server,
        ClientAuth::Optional,
        ResourceServer::new(AUD, Some(key())),
        policy,
    )
    .await
}

fn employee(tenants: &[&str], ttl: Duration) -> Claims {
    let grant = TenantGrant::Only(tenants.iter().map(|t| tenant(t)).collect());
    Claims::new("emp-7c1e", TokenKind::Employee, &grant, AUD, ttl)
}

fn reason(reply: &Reply) -> &str {
    reply.body["error"]["data"]["extra"]["reason"]
        .as_str()
        .unwrap_or("?")
}

fn challenge(reply: &Reply) -> String {
    reply.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn valid_token_identifies_the_caller() {
    let pki = Pki::new();
    let srv = server(&pki).await;
    let tok = token::issue(&key(), &employee(&["acme"], Duration::from_secs(60)));
    let r = request(pki.anonymous(), srv.addr, "GET", "/whoami", Some(&tok))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["id"], "employee:emp-7c1e");
    assert_eq!(r.body["kind"], "Employee");
    // Dev policy: employees may read, not write.
    let read = request(
        pki.anonymous(),
        srv.addr,
        "GET",
        "/call/session_get?tenant=acme",
        Some(&tok),
    )
    .await
    .unwrap();
    assert_eq!(read.status, 200, "{:?}", read.body);
    let write = request(
        pki.anonymous(),
        srv.addr,
        "GET",
        "/call/session_put?tenant=acme",
        Some(&tok),
    )
    .await
    .unwrap();
    assert_eq!(write.status, 403);
    assert_eq!(write.body["error"]["code"], ErrorCode::FORBIDDEN.0);
}

#[tokio::test]
async fn missing_token_gets_401_with_resource_metadata() {
    let pki = Pki::new();
    let srv = server(&pki).await;
    let r = request(pki.anonymous(), srv.addr, "POST", "/mcp", None)
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"]["code"], ErrorCode::UNAUTHENTICATED.0);
    assert_eq!(reason(&r), "missing");
    let port = srv.addr.port();
    let c = challenge(&r);
    assert_eq!(
        c,
        format!(
            "Bearer resource_metadata=\"https://localhost:{port}/.well-known/oauth-protected-resource/mcp\""
        )
    );
    // The document it points to (RFC 9728), without credentials.
    let doc = request(
        pki.anonymous(),
        srv.addr,
        "GET",
        "/.well-known/oauth-protected-resource/mcp",
        None,
    )
    .await
    .unwrap();
    assert_eq!(doc.status, 200);
    assert_eq!(
        doc.body["resource"],
        format!("https://localhost:{port}/mcp")
    );
    assert_eq!(
        doc.body["bearer_methods_supported"],
        serde_json::json!(["header"])
    );
    assert!(doc.body["authorization_servers"].is_array());
    let root = request(
        pki.anonymous(),
        srv.addr,
        "GET",
        "/.well-known/oauth-protected-resource",
        None,
    )
    .await
    .unwrap();
    assert_eq!(root.body["resource"], format!("https://localhost:{port}"));
    // Health probes need no credentials.
    let health = request(pki.anonymous(), srv.addr, "GET", "/healthz", None)
        .await
        .unwrap();
    assert_eq!(health.status, 200);
}

#[tokio::test]
async fn malformed_token_is_refused() {
    let pki = Pki::new();
    let srv = server(&pki).await;
    for bad in ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"] {
        let r = request(pki.anonymous(), srv.addr, "POST", "/mcp", Some(bad))
            .await
            .unwrap();
        assert_eq!(r.status, 401, "{bad}");
        assert!(
            ["malformed", "bad_signature"].contains(&reason(&r)),
            "{bad}: {}",
            reason(&r)
        );
        assert!(challenge(&r).contains("error=\"invalid_token\""));
        assert!(challenge(&r).contains("resource_metadata="));
    }
    let r = request(pki.anonymous(), srv.addr, "POST", "/mcp", Some("not-a-jwt"))
        .await
        .unwrap();
    assert_eq!(reason(&r), "malformed");
    // Signed with another key.
    let other = TokenKey::new(vec![9u8; 32]).unwrap();
    let tok = token::issue(&other, &employee(&["acme"], Duration::from_secs(60)));
    let r = request(pki.anonymous(), srv.addr, "POST", "/mcp", Some(&tok))
        .await
        .unwrap();
    assert_eq!(reason(&r), "bad_signature");
}

#[tokio::test]
async fn expired_token_is_refused() {
    let pki = Pki::new();
    let srv = server(&pki).await;
    let mut claims = employee(&["acme"], Duration::from_secs(60));
    claims.iat -= 7200;
    claims.exp = claims.iat + 3600;
    let tok = token::issue(&key(), &claims);
    let r = request(pki.anonymous(), srv.addr, "POST", "/mcp", Some(&tok))
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"]["code"], ErrorCode::UNAUTHENTICATED.0);
    assert_eq!(reason(&r), "expired");
}

#[tokio::test]
async fn token_for_another_deployment_is_refused() {
    let pki = Pki::new();
    let srv = server(&pki).await;
    let mut claims = employee(&["acme"], Duration::from_secs(60));
    claims.aud = "https://other.test".into();
    let tok = token::issue(&key(), &claims);
    let r = request(pki.anonymous(), srv.addr, "POST", "/mcp", Some(&tok))
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(reason(&r), "wrong_audience");
}

#[tokio::test]
async fn token_for_another_tenant_is_refused() {
    let pki = Pki::new();
    let srv = server(&pki).await;
    let tok = token::issue(&key(), &employee(&["acme"], Duration::from_secs(60)));
    let r = request(
        pki.anonymous(),
        srv.addr,
        "GET",
        "/call/session_get?tenant=globex",
        Some(&tok),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(r.body["error"]["code"], ErrorCode::TENANT_FORBIDDEN.0);
    assert_eq!(r.body["error"]["data"]["field"], "tenant");
}

#[tokio::test]
async fn anonymous_only_when_allowed() {
    let pki = Pki::new();
    let mut rs = ResourceServer::new(AUD, Some(key()));
    rs.allow_anonymous = true;
    let policy = Policy::new(&PolicyConfig::dev_default()).unwrap();
    let srv = start(&pki.server, ClientAuth::Optional, rs, policy).await;
    let r = request(pki.anonymous(), srv.addr, "GET", "/whoami", None)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["kind"], "Anonymous");
    // ... and the dev policy still grants anonymous callers nothing.
    let r = request(pki.anonymous(), srv.addr, "GET", "/call/session_get", None)
        .await
        .unwrap();
    assert_eq!(r.status, 403);
}
