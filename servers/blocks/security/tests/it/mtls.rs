//! Mutual TLS: each way a client certificate can be wrong, and the right one.

use std::time::{Duration, SystemTime};

use omega_protocol::ErrorCode;
use omega_security::certs::{Ca, CertSpec};
use omega_security::policy::PolicyConfig;
use omega_security::{ClientAuth, Identity, Policy, ResourceServer};
use omega_stack::TenantGrant;

use crate::harness::{Pki, request, start, tenant};

fn policy() -> Policy {
    let cfg: PolicyConfig = toml::from_str(
        r#"
        [roles.triage]
        tools = ["ticket_context", "session_*"]
        [[grants]]
        identities = ["spiffe://omega.local/role/triage/instance/*"]
        roles = ["triage"]
        "#,
    )
    .unwrap();
    Policy::new(&cfg).unwrap()
}

fn rs() -> ResourceServer {
    ResourceServer::new("omega-test", None)
}

#[tokio::test]
async fn valid_certificate_identifies_the_caller() {
    let pki = Pki::new();
    let srv = start(&pki.server, ClientAuth::Required, rs(), policy()).await;
    let acme = TenantGrant::Only(vec![tenant("acme")]);
    let reply = request(pki.client("triage", acme), srv.addr, "GET", "/whoami", None)
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        reply.body["id"],
        "spiffe://omega.local/role/triage/instance/0"
    );
    assert_eq!(reply.body["kind"], "Service");
    assert!(reply.body["tenants"].as_str().unwrap().contains("acme"));
    // The server proves its identity too.
    let server_id = Identity::from_cert(&reply.server_cert).unwrap();
    assert_eq!(server_id.role, "context");
}

#[tokio::test]
async fn identity_comes_from_the_certificate_not_the_request() {
    let pki = Pki::new();
    let srv = start(&pki.server, ClientAuth::Required, rs(), policy()).await;
    // A bearer token header (even a garbage one) does not override the certificate.
    let reply = request(
        pki.client("triage", TenantGrant::All),
        srv.addr,
        "GET",
        "/whoami",
        Some("forged"),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body["id"],
        "spiffe://omega.local/role/triage/instance/0"
    );
}

#[tokio::test]
async fn no_client_certificate_is_refused() {
    let pki = Pki::new();
    let srv = start(&pki.server, ClientAuth::Required, rs(), policy()).await;
    let err = request(pki.anonymous(), srv.addr, "GET", "/whoami", None)
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("CertificateRequired") || msg.contains("certificate"),
        "{msg}"
    );
}

#[tokio::test]
async fn certificate_from_another_ca_is_refused() {
    let pki = Pki::new();
    let srv = start(&pki.server, ClientAuth::Required, rs(), policy()).await;
    let other = Ca::generate("someone else").unwrap();
    let id = Identity::new("triage", "0", TenantGrant::All).unwrap();
    let cfg = pki.client_with(&CertSpec::client(id), Some(&other));
    let err = request(cfg, srv.addr, "GET", "/whoami", None)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").to_lowercase().contains("unknownca")
            || format!("{err:#}").contains("UnknownCA"),
        "{err:#}"
    );
    // Optional client auth still refuses a certificate it cannot verify.
    let srv = start(&pki.server, ClientAuth::Optional, rs(), policy()).await;
    let id = Identity::new("triage", "0", TenantGrant::All).unwrap();
    let cfg = pki.client_with(&CertSpec::client(id), Some(&other));
    assert!(
        request(cfg, srv.addr, "GET", "/whoami", None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn expired_certificate_is_refused() {
    let pki = Pki::new();
    let srv = start(&pki.server, ClientAuth::Required, rs(), policy()).await;
    let id = Identity::new("triage", "0", TenantGrant::All).unwrap();
    let mut spec = CertSpec::client(id);
    let now = SystemTime::now();
    spec.not_before = Some(now - Duration::from_secs(2 * 86400));
    spec.not_after = Some(now - Duration::from_secs(86400));
    let err = request(
        pki.client_with(&spec, None),
        srv.addr,
        "GET",
        "/whoami",
        None,
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("CertificateExpired"), "{err:#}");
}

#[tokio::test]
async fn valid_certificate_for_the_wrong_role_is_denied_by_policy() {
    let pki = Pki::new();
    let srv = start(&pki.server, ClientAuth::Required, rs(), policy()).await;
    let ok = request(
        pki.client("triage", TenantGrant::All),
        srv.addr,
        "GET",
        "/call/session_get",
        None,
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let denied = request(
        pki.client("ingest", TenantGrant::All),
        srv.addr,
        "GET",
        "/call/session_get",
        None,
    )
    .await
    .unwrap();
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["error"]["code"], ErrorCode::FORBIDDEN.0);
    // Tenant scope from the certificate: acme-only triage may not act for globex.
    let acme = pki.client("triage", TenantGrant::Only(vec![tenant("acme")]));
    let cross = request(
        acme,
        srv.addr,
        "GET",
        "/call/session_get?tenant=globex",
        None,
    )
    .await
    .unwrap();
    assert_eq!(cross.status, 403);
    assert_eq!(cross.body["error"]["code"], ErrorCode::TENANT_FORBIDDEN.0);
}

#[tokio::test]
async fn server_from_another_ca_is_refused_by_the_client() {
    let pki = Pki::new();
    let other = Pki::new();
    let srv = start(&other.server, ClientAuth::Required, rs(), policy()).await;
    let err = request(
        pki.client("triage", TenantGrant::All),
        srv.addr,
        "GET",
        "/whoami",
        None,
    )
    .await
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("invalid peer certificate: UnknownIssuer"),
        "{msg}"
    );
}
