//! `omega certs init|issue` and the development PKI, through files.

use omega_security::certs::{self, CertKind, CertSpec, dev_ca};
use omega_security::tls::{client_config_from_files, server_config_from_files};
use omega_security::{ClientAuth, Identity};
use omega_stack::TenantGrant;

use crate::harness::tenant;

#[tokio::test]
async fn init_issue_and_handshake_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("ca");
    let out = dir.path().join("out");
    let ca_pem = certs::init(&ca_dir).unwrap();
    assert!(ca_pem.exists());
    assert!(
        certs::init(&ca_dir).is_err(),
        "init refuses to overwrite a CA"
    );
    let server = certs::issue(
        &ca_dir,
        &CertSpec::server("queue", "a", &["localhost"]).unwrap(),
        &out,
    )
    .unwrap();
    let id = Identity::new("agent", "7", TenantGrant::Only(vec![tenant("acme")])).unwrap();
    let mut spec = CertSpec::client(id.clone());
    spec.kind = CertKind::Client;
    let client = certs::issue(&ca_dir, &spec, &out).unwrap();
    assert_eq!(client.cert, out.join("agent-7.pem"));

    let scfg = server_config_from_files(&server, ClientAuth::Required).unwrap();
    let ccfg = client_config_from_files(&client).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(scfg);
    let srv = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        omega_security::tls::peer_identity(&tls)
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(ccfg)
        .connect(name, tcp)
        .await
        .unwrap();
    let seen = srv
        .await
        .unwrap()
        .expect("the server sees the client's identity");
    assert_eq!(seen, id);
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
}

#[test]
fn dev_pki_has_a_certificate_per_role_and_an_operator() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dev_ca(dir.path(), &["context", "agent-registry"]).unwrap();
    assert_eq!(pki.roles.len(), 2);
    for (role, files) in &pki.roles {
        let pem = std::fs::read(&files.cert).unwrap();
        let der = omega_security::tls::parse_certs(&pem, &files.cert).unwrap();
        let id = Identity::from_cert(&der[0]).unwrap();
        assert_eq!(&id.role, role);
        assert!(server_config_from_files(files, ClientAuth::Required).is_ok());
    }
    let pem = std::fs::read(&pki.operator.cert).unwrap();
    let der = omega_security::tls::parse_certs(&pem, &pki.operator.cert).unwrap();
    let op = Identity::from_cert(&der[0]).unwrap().to_caller();
    assert_eq!(op.kind, omega_stack::CallerKind::Operator);
}
