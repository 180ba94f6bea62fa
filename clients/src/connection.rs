//! One connection setup for every OMEGA client: where, as whom, how long to
//! wait, how often to retry.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use omega_protocol::TenantId;
use serde::Deserialize;

use crate::ClientError;

/// The HTTP client every OMEGA client shares (HTTP/1.1, keep-alive pool,
/// `http://` and `https://`).
pub(crate) type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How a client proves who it is.
#[derive(Clone, Default)]
pub enum Credentials {
    /// No credentials (development on loopback).
    #[default]
    None,
    /// `Authorization: Bearer <token>` (external MCP clients, employees).
    Bearer(String),
    /// `Authorization: Bearer <token>` to servers whose certificates a
    /// private CA signed (a deployment's own CA, or `omega up`'s).
    BearerWithCa {
        /// PEM of the CA that signed the servers' certificates.
        ca_pem: Vec<u8>,
        /// The token.
        token: String,
    },
    /// A client certificate for mTLS, with the deployment's CA.
    ClientCertificate {
        /// PEM of the CA that signed the servers' certificates.
        ca_pem: Vec<u8>,
        /// PEM certificate chain of this client.
        cert_pem: Vec<u8>,
        /// PEM private key of this client.
        key_pem: Vec<u8>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.write_str(match self {
            Credentials::None => "None",
            Credentials::Bearer(_) => "Bearer(<redacted>)",
            Credentials::BearerWithCa { .. } => "BearerWithCa(<redacted>)",
            Credentials::ClientCertificate { .. } => "ClientCertificate(<redacted>)",
        })
    }
}

/// Connection settings as they appear in a configuration file.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ConnectionSettings {
    /// The tenant calls act for, when the caller serves one tenant.
    pub tenant: Option<TenantId>,
    /// A bearer token (prefer `bearerTokenFile` or the environment).
    pub bearer_token: Option<String>,
    /// A file holding the bearer token.
    pub bearer_token_file: Option<PathBuf>,
    /// The CA certificate (PEM) for mTLS.
    pub ca_file: Option<PathBuf>,
    /// This client's certificate (PEM) for mTLS.
    pub cert_file: Option<PathBuf>,
    /// This client's private key (PEM) for mTLS.
    pub key_file: Option<PathBuf>,
    /// Per-call timeout in milliseconds (default 30000).
    pub timeout_ms: Option<u64>,
    /// Retries for idempotent calls (default 2).
    pub retries: Option<u32>,
}

/// A configured connection: credentials, timeouts, retries and the shared
/// HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct Connection {
    pub(crate) http: HttpClient,
    pub(crate) bearer: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) tenant: Option<TenantId>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

fn certs(pem: &[u8]) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, ClientError> {
    rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ClientError::Protocol(format!("invalid certificate PEM: {e}")))
}

fn read(path: &PathBuf) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path)
        .map_err(|e| ClientError::Protocol(format!("cannot read {}: {e}", path.display())))
}

impl Default for Connection {
    fn default() -> Self {
        Self::new(Credentials::None, Duration::from_secs(30), 2).expect("default connection builds")
    }
}

impl Connection {
    /// A connection with `credentials`, a per-call `timeout` and `retries`
    /// for idempotent calls.
    pub fn new(
        credentials: Credentials,
        timeout: Duration,
        retries: u32,
    ) -> Result<Self, ClientError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let mut roots = rustls::RootCertStore::empty();
        let (tls, bearer) = match credentials {
            Credentials::ClientCertificate {
                ca_pem,
                cert_pem,
                key_pem,
            } => {
                for cert in certs(&ca_pem)? {
                    roots
                        .add(cert)
                        .map_err(|e| ClientError::Protocol(format!("invalid CA: {e}")))?;
                }
                let key = rustls_pemfile::private_key(&mut &key_pem[..])
                    .map_err(|e| ClientError::Protocol(format!("invalid key PEM: {e}")))?
                    .ok_or_else(|| ClientError::Protocol("no private key in the key PEM".into()))?;
                let config = builder
                    .with_root_certificates(roots)
                    .with_client_auth_cert(certs(&cert_pem)?, key)
                    .map_err(|e| {
                        ClientError::Protocol(format!("client certificate rejected: {e}"))
                    })?;
                (config, None)
            }
            Credentials::BearerWithCa { ca_pem, token } => {
                for cert in certs(&ca_pem)? {
                    roots
                        .add(cert)
                        .map_err(|e| ClientError::Protocol(format!("invalid CA: {e}")))?;
                }
                (
                    builder.with_root_certificates(roots).with_no_client_auth(),
                    Some(token),
                )
            }
            other => {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                let bearer = match other {
                    Credentials::Bearer(token) => Some(token),
                    _ => None,
                };
                (
                    builder.with_root_certificates(roots).with_no_client_auth(),
                    bearer,
                )
            }
        };
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
            bearer,
            timeout,
            retries,
            tenant: None,
        })
    }

    /// A connection from configuration-file settings.
    pub fn from_settings(settings: &ConnectionSettings) -> Result<Self, ClientError> {
        let bearer = match (&settings.bearer_token, &settings.bearer_token_file) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(path)) => Some(String::from_utf8_lossy(&read(path)?).trim().to_owned()),
            (None, None) => None,
        };
        let credentials = match (
            &settings.ca_file,
            &settings.cert_file,
            &settings.key_file,
            bearer,
        ) {
            (Some(ca), Some(cert), Some(key), _) => Credentials::ClientCertificate {
                ca_pem: read(ca)?,
                cert_pem: read(cert)?,
                key_pem: read(key)?,
            },
            (Some(ca), None, None, Some(token)) => Credentials::BearerWithCa {
                ca_pem: read(ca)?,
                token,
            },
            (None, None, None, Some(token)) => Credentials::Bearer(token),
            (None, None, None, None) => Credentials::None,
            _ => {
                return Err(ClientError::Protocol(
                    "mTLS needs caFile, certFile and keyFile together".into(),
                ));
            }
        };
        let mut connection = Self::new(
            credentials,
            Duration::from_millis(settings.timeout_ms.unwrap_or(30_000)),
            settings.retries.unwrap_or(2),
        )?;
        connection.tenant = settings.tenant.clone();
        Ok(connection)
    }

    /// The default tenant of this connection.
    pub fn with_tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// The configured tenant, if any.
    pub fn tenant(&self) -> Option<&TenantId> {
        self.tenant.as_ref()
    }
}
