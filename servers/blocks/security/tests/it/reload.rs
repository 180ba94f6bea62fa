//! Certificates reload without a restart.

use std::time::{Duration, Instant};

use omega_security::certs::Ca;
use omega_security::policy::PolicyConfig;
use omega_security::{ClientAuth, Identity, Policy, ResourceServer};
use omega_stack::TenantGrant;

use crate::harness::{Pki, request, start};

async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn new_handshakes_see_rewritten_certificates() {
    let pki = Pki::new();
    let policy = Policy::new(&PolicyConfig::dev_default()).unwrap();
    let srv = start(
        &pki.server,
        ClientAuth::Required,
        ResourceServer::new("aud", None),
        policy,
    )
    .await;
    let client = pki.client("triage", TenantGrant::All);
    let first = request(client.clone(), srv.addr, "GET", "/whoami", None)
        .await
        .unwrap();
    assert_eq!(
        Identity::from_cert(&first.server_cert).unwrap().instance,
        "0"
    );

    // Rotate the server certificate in place (same CA, new instance name).
    let issued = pki.ca.issue_server("context", "1", &["localhost"]).unwrap();
    issued.write(pki.dir.path(), "server").unwrap();
    eventually("the new server certificate", || {
        let client = client.clone();
        async move {
            let r = request(client, srv.addr, "GET", "/whoami", None)
                .await
                .unwrap();
            Identity::from_cert(&r.server_cert).unwrap().instance == "1"
        }
    })
    .await;

    // A half-finished rotation (certificate without its key) keeps the old pair.
    let next = pki.ca.issue_server("context", "2", &["localhost"]).unwrap();
    std::fs::write(&pki.server.cert, &next.cert_pem).unwrap();
    assert!(
        srv.tls.reload_if_changed().is_err(),
        "mismatched key must not load"
    );
    let r = request(client.clone(), srv.addr, "GET", "/whoami", None)
        .await
        .unwrap();
    assert_eq!(Identity::from_cert(&r.server_cert).unwrap().instance, "1");
    std::fs::write(&pki.server.key, &next.key_pem).unwrap();
    assert!(
        srv.tls.reload_if_changed().unwrap() || {
            // The poll task may have won the race.
            let r = request(client.clone(), srv.addr, "GET", "/whoami", None)
                .await
                .unwrap();
            Identity::from_cert(&r.server_cert).unwrap().instance == "2"
        }
    );
}

#[tokio::test]
async fn rotating_the_ca_cuts_off_old_clients() {
    let pki = Pki::new();
    let policy = Policy::new(&PolicyConfig::dev_default()).unwrap();
    let srv = start(
        &pki.server,
        ClientAuth::Required,
        ResourceServer::new("aud", None),
        policy,
    )
    .await;
    let old_client = pki.client("triage", TenantGrant::All);
    assert_eq!(
        request(old_client.clone(), srv.addr, "GET", "/whoami", None)
            .await
            .unwrap()
            .status,
        200
    );

    // A new CA in another directory; install its certificate and a new server pair.
    let new_dir = tempfile::tempdir().unwrap();
    let new_ca = Ca::create(new_dir.path()).unwrap();
    let issued = new_ca.issue_server("context", "0", &["localhost"]).unwrap();
    std::fs::write(&pki.server.ca, new_ca.cert_pem()).unwrap();
    issued.write(pki.dir.path(), "server").unwrap();

    let new_client = {
        let id = Identity::new("triage", "0", TenantGrant::All).unwrap();
        let issued = new_ca.issue_client(&id).unwrap();
        let chain =
            omega_security::tls::parse_certs(issued.cert_pem.as_bytes(), "c".as_ref()).unwrap();
        let key = omega_security::tls::parse_key(issued.key_pem.as_bytes(), "k".as_ref()).unwrap();
        omega_security::tls::client_config(&[new_ca.cert_der().clone()], Some((chain, key)))
            .unwrap()
    };
    eventually("the new CA", || {
        let c = new_client.clone();
        async move {
            request(c, srv.addr, "GET", "/whoami", None)
                .await
                .is_ok_and(|r| r.status == 200)
        }
    })
    .await;
    assert!(
        request(old_client, srv.addr, "GET", "/whoami", None)
            .await
            .is_err()
    );
}
