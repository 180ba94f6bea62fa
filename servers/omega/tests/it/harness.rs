//! Starting roles in-process on free ports.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use omega::role::RoleId as Role;
use omega::role::Scaling;
use omega::up::{Ports, Process, start};
use omega_client::{McpClient, McpVersion};
use omega_config::OmegaConfig;

pub struct Harness {
    pub running: Process,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(OmegaConfig::default()).await
    }

    pub async fn start_with(config: OmegaConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let running = start(
            &config,
            dir.path(),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Ports::Base(0),
            &[Role::Context, Role::AgentRegistry, Role::McpRegistry],
            Scaling::InProcess,
        )
        .await
        .expect("roles start");
        Self { running, dir }
    }

    pub fn url(&self, role: Role) -> String {
        self.running.url(role).to_owned()
    }

    pub async fn client(&self, role: Role, version: McpVersion) -> Arc<McpClient> {
        Arc::new(
            McpClient::connect_with(
                &self.url(role),
                version,
                std::time::Duration::from_secs(10),
                None,
            )
            .await
            .expect("client connects"),
        )
    }

    /// The base HTTP URL of a role (without `/mcp`).
    pub fn base(&self, role: Role) -> String {
        self.url(role).trim_end_matches("/mcp").to_owned()
    }
}

pub const VERSIONS: [McpVersion; 2] = [McpVersion::V2025_11_25, McpVersion::V2026_07_28];

/// A plain HTTP GET returning status and JSON body.
pub async fn get_json(url: &str) -> (u16, serde_json::Value) {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let resp = client.get(url.parse().unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

/// A GET over HTTPS trusting the CA in `ca_pem`, returning status and JSON body.
pub async fn get_json_tls(url: &str, ca_pem: &[u8]) -> (u16, serde_json::Value) {
    use http_body_util::BodyExt;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &ca_pem[..]) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, http_body_util::Empty<bytes::Bytes>>(https);
    let resp = client.get(url.parse().unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}
