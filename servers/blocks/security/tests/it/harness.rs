//! Shared fixtures: a PKI in a temp dir, a server on the shared stack's
//! listener with the identity layer, and a small HTTPS client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Extension, Path, Query};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use omega_protocol::TenantId;
use omega_security::certs::{Ca, CertSpec};
use omega_security::tls::{self, TlsFiles};
use omega_security::{ClientAuth, Identity, Policy, ReloadingServerConfig, ResourceServer};
use omega_stack::{Caller, TenantGrant, Transport};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// A CA on disk with one server certificate.
pub struct Pki {
    pub dir: TempDir,
    pub ca: Ca,
    pub server: TlsFiles,
}

impl Pki {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::create(dir.path()).unwrap();
        let issued = ca
            .issue_server("context", "0", &["localhost", "127.0.0.1"])
            .unwrap();
        let (cert, key) = issued.write(dir.path(), "server").unwrap();
        let server = TlsFiles {
            cert,
            key,
            ca: Ca::cert_path(dir.path()),
        };
        Self { dir, ca, server }
    }

    /// A client config trusting this CA, presenting a certificate for
    /// `identity` issued by `issuer` (this CA when `None`).
    pub fn client_with(&self, spec: &CertSpec, issuer: Option<&Ca>) -> Arc<ClientConfig> {
        let issued = issuer.unwrap_or(&self.ca).issue(spec).unwrap();
        let chain = tls::parse_certs(issued.cert_pem.as_bytes(), "client.pem".as_ref()).unwrap();
        let key = tls::parse_key(issued.key_pem.as_bytes(), "client.key".as_ref()).unwrap();
        tls::client_config(&[self.ca.cert_der().clone()], Some((chain, key))).unwrap()
    }

    pub fn client(&self, role: &str, tenants: TenantGrant) -> Arc<ClientConfig> {
        let id = Identity::new(role, "0", tenants).unwrap();
        self.client_with(&CertSpec::client(id), None)
    }

    /// A client without a certificate.
    pub fn anonymous(&self) -> Arc<ClientConfig> {
        tls::client_config(&[self.ca.cert_der().clone()], None).unwrap()
    }
}

pub fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub tls: Arc<ReloadingServerConfig>,
    cancel: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn caller_json(c: &Caller) -> Value {
    json!({"id": c.id, "kind": format!("{:?}", c.kind), "tenants": format!("{:?}", c.tenants)})
}

/// Serves a test router behind the identity layer on the shared listener.
pub async fn start(
    files: &TlsFiles,
    auth: ClientAuth,
    rs: ResourceServer,
    policy: Policy,
) -> Server {
    let tls = ReloadingServerConfig::server(files.clone(), auth).unwrap();
    let cancel = CancellationToken::new();
    tls.watch(Duration::from_millis(100), cancel.clone());
    let policy = Arc::new(policy);
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/whoami",
            get(|Extension(c): Extension<Caller>| async move { Json(caller_json(&c)) }),
        )
        .route(
            "/mcp",
            post(|Extension(c): Extension<Caller>| async move { Json(caller_json(&c)) }),
        )
        .route(
            "/call/{tool}",
            get(
                move |Extension(c): Extension<Caller>,
                      Path(tool): Path<String>,
                      Query(q): Query<HashMap<String, String>>| {
                    let policy = policy.clone();
                    async move {
                        let t = q.get("tenant").map(|t| tenant(t));
                        match policy.authorize(&c, &tool, t.as_ref()) {
                            Ok(()) => (StatusCode::OK, Json(json!({"ok": true}))).into_response(),
                            Err(e) => {
                                (StatusCode::FORBIDDEN, Json(json!({"error": e}))).into_response()
                            }
                        }
                    }
                },
            ),
        )
        .layer(omega_security::IdentityLayer::new(rs));
    let bound = omega_stack::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = bound.addr;
    let transport = Transport::Tls(tls.clone());
    tokio::spawn(omega_stack::serve_with(
        bound.listener,
        router,
        transport,
        cancel.clone(),
        Duration::from_secs(1),
    ));
    Server { addr, tls, cancel }
}

/// What a request got back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    /// The server's leaf certificate.
    pub server_cert: Vec<u8>,
}

/// One HTTPS request on a fresh connection.
pub async fn request(
    cfg: Arc<ClientConfig>,
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
) -> anyhow::Result<Reply> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let tls = tokio_rustls::TlsConnector::from(cfg)
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    let server_cert = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("localhost:{}", addr.port()));
    if let Some(b) = bearer {
        req = req.header("authorization", format!("Bearer {b}"));
    }
    let resp = sender
        .send_request(req.body(Full::<Bytes>::default())?)
        .await?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Reply {
        status: parts.status,
        headers: parts.headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        server_cert,
    })
}
