use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use http_body_util::BodyExt;
use omega_stack::{
    Authenticator, Caller, CallerKind, McpOptions, PeerCertificates, TenantGrant, Transport,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_util::sync::CancellationToken;

/// Plain GET returning status and body.
pub async fn get(url: &str) -> (u16, bytes::Bytes) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let resp = client.get(url.parse().unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.into_body().collect().await.unwrap().to_bytes())
}

/// The caller's id is the number of certificates the peer presented, which
/// proves the listener attached them to the request.
struct CertCounter;

impl Authenticator for CertCounter {
    fn authenticate(&self, request: &http::request::Parts) -> Result<Caller, Box<Response>> {
        let n = request
            .extensions
            .get::<PeerCertificates>()
            .map_or(0, |c| c.0.len());
        Ok(Caller {
            id: format!("certs:{n}"),
            kind: CallerKind::Service,
            tenants: TenantGrant::All,
        })
    }
}

struct Pki {
    ca: rcgen::Certificate,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "test ca");
        let ca_key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&ca_key).unwrap();
        Self {
            ca,
            issuer: rcgen::Issuer::new(params, ca_key),
        }
    }

    fn issue(&self, sans: Vec<SanType>) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = sans;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

#[tokio::test]
async fn tls_connections_carry_the_peer_certificate_to_the_identity_layer() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pki = Pki::new();
    let (server_cert, server_key) =
        pki.issue(vec![SanType::IpAddress("127.0.0.1".parse().unwrap())]);
    let (client_cert, client_key) = pki.issue(vec![SanType::URI(
        "spiffe://omega.local/role/triage/instance/1"
            .try_into()
            .unwrap(),
    )]);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.der().clone()).unwrap();
    let roots = Arc::new(roots);
    let verifier = rustls::server::WebPkiClientVerifier::builder(roots.clone())
        .build()
        .unwrap();
    let server = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server_cert], server_key)
        .unwrap();

    let options = McpOptions {
        authenticator: Arc::new(CertCounter),
        ..McpOptions::default()
    };
    let bound = omega_stack::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = bound.addr;
    tokio::spawn(omega_stack::serve_with(
        bound.listener,
        crate::app(&options),
        Transport::Tls(Arc::new(Arc::new(server))),
        CancellationToken::new(),
        Duration::from_secs(1),
    ));

    // A client with a certificate from the CA is served, and the identity
    // layer sees its certificate.
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots.clone())
        .with_client_auth_cert(vec![client_cert], client_key)
        .unwrap();
    let body = call_whoami(addr, Arc::new(client))
        .await
        .expect("mTLS call succeeds");
    assert!(body.contains("certs:1"), "{body}");

    // Without a client certificate the handshake fails.
    let anonymous = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    assert!(call_whoami(addr, Arc::new(anonymous)).await.is_err());
}

async fn call_whoami(
    addr: std::net::SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> Result<String, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let connector = tokio_rustls::TlsConnector::from(config);
    let tls = connector
        .connect("127.0.0.1".try_into().unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "whoami", "arguments": {},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}});
    let req = http::Request::post("/mcp")
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "whoami")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .unwrap();
    let resp = send.send_request(req).await.map_err(|e| e.to_string())?;
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
