//! How the roles of this process are secured (`[server.tls]`): their TLS
//! listeners, the identity layer in front of every role, and the client
//! credentials a role presents when it calls its peers (mTLS).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use omega_client::{Connection, Credentials};
use omega_config::{OmegaConfig, TlsSettings};
use omega_security::{
    ClientAuth, IdentityLayer, LayerAuthenticator, ReloadingServerConfig, ResourceServer, TlsFiles,
    TokenKey,
};
use omega_stack::{Authenticator, DevAuthenticator, Transport};

/// The audience of OMEGA's bearer tokens.
pub const AUDIENCE: &str = "omega";

/// Paths served without credentials even with TLS on: webhooks carry their
/// platform's signature, the dashboard's pages and API their own sign-in,
/// and discovery documents (A2A cards, OAuth metadata) are public.
const PUBLIC_PREFIXES: &[&str] = &[
    "/ingest/",
    "/dashboard",
    "/api/",
    "/.well-known/",
    "/a2a/.well-known/",
    // The agent registry's copies of registered cards (`/agents/{id}/.well-known/agent-card.json`).
    "/agents/",
];

/// The security of one process's roles.
pub enum Security {
    /// Plain HTTP, anonymous callers with every tenant (loopback development).
    Off,
    /// TLS with client certificates and bearer tokens.
    Tls(Box<TlsState>),
}

/// The certificates and keys of a process with TLS on.
pub struct TlsState {
    /// Per role name: its certificate files (`None`: one set for all,
    /// as a deployment's pod has).
    per_role: Option<std::collections::BTreeMap<String, TlsFiles>>,
    /// The certificate files of a process that serves one role.
    shared: Option<TlsFiles>,
    /// The bearer-token key, when tokens are accepted.
    token_key: Option<TokenKey>,
    /// A development operator token, when this process made one.
    dev_token: Option<String>,
    /// The operator's client certificate (development PKI).
    operator: Option<TlsFiles>,
}

impl Security {
    /// From `[server.tls]`: for `dev`, the development CA in `data_dir/pki`
    /// with one certificate per role in `roles`, created on first start.
    pub fn from_config(
        config: &OmegaConfig,
        data_dir: &Path,
        roles: &[String],
    ) -> anyhow::Result<Self> {
        Ok(
            match config.server.tls.as_ref().unwrap_or(&TlsSettings::Off) {
                TlsSettings::Off => Security::Off,
                TlsSettings::Dev => {
                    let names: Vec<&str> = roles.iter().map(String::as_str).collect();
                    let pki = omega_security::certs::dev_ca(data_dir, &names)
                        .context("creating the development PKI")?;
                    let key = TokenKey::dev(data_dir).context("the development token key")?;
                    let claims = omega_security::Claims::new(
                        "dev-operator",
                        omega_security::TokenKind::Operator,
                        &omega_stack::TenantGrant::All,
                        AUDIENCE,
                        Duration::from_secs(12 * 3600),
                    );
                    let token = omega_security::token::issue(&key, &claims);
                    Security::Tls(Box::new(TlsState {
                        per_role: Some(pki.roles),
                        shared: None,
                        token_key: Some(key),
                        dev_token: Some(token),
                        operator: Some(pki.operator),
                    }))
                }
                TlsSettings::Files {
                    cert_file,
                    key_file,
                    ca_file,
                    token_key_file,
                } => {
                    let token_key = match token_key_file {
                        Some(path) => {
                            let raw = std::fs::read(path).with_context(|| {
                                format!("reading server.tls.tokenKeyFile {path}")
                            })?;
                            let text = String::from_utf8_lossy(&raw);
                            let bytes = hex::decode(text.trim()).unwrap_or(raw);
                            Some(TokenKey::new(bytes).map_err(|e| {
                                anyhow::anyhow!("server.tls.tokenKeyFile {path}: {e}")
                            })?)
                        }
                        None => None,
                    };
                    Security::Tls(Box::new(TlsState {
                        per_role: None,
                        shared: Some(TlsFiles {
                            cert: cert_file.into(),
                            key: key_file.into(),
                            ca: ca_file.into(),
                        }),
                        token_key,
                        dev_token: None,
                        operator: None,
                    }))
                }
            },
        )
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Security::Off => "http",
            Security::Tls(_) => "https",
        }
    }

    fn files(&self, role: &str) -> anyhow::Result<Option<&TlsFiles>> {
        match self {
            Security::Off => Ok(None),
            Security::Tls(t) => match (&t.per_role, &t.shared) {
                (Some(map), _) => map
                    .get(role)
                    .map(Some)
                    .with_context(|| format!("no development certificate for the {role} role")),
                (None, Some(files)) => Ok(Some(files)),
                (None, None) => anyhow::bail!("no certificate configured"),
            },
        }
    }

    /// The listener transport of `role`: TLS asking for (not requiring) a
    /// client certificate, so bearer-token clients connect too.
    pub fn transport(&self, role: &str) -> anyhow::Result<Transport> {
        Ok(match self.files(role)? {
            None => Transport::Plain,
            Some(files) => {
                let config = ReloadingServerConfig::server(files.clone(), ClientAuth::Optional)
                    .with_context(|| {
                        format!("loading the TLS certificate {}", files.cert.display())
                    })?;
                Transport::Tls(config)
            }
        })
    }

    /// How `role` calls its peers: its client certificate and the CA.
    pub fn connection(&self, role: &str) -> anyhow::Result<Connection> {
        match self.files(role)? {
            None => Ok(Connection::default()),
            Some(files) => client_connection(files),
        }
    }

    /// A connection for the operator (tests, the CLI): its client
    /// certificate when this process made the development PKI.
    pub fn operator_connection(&self) -> anyhow::Result<Connection> {
        match self {
            Security::Tls(t) => match &t.operator {
                Some(files) => client_connection(files),
                None => Ok(Connection::default()),
            },
            Security::Off => Ok(Connection::default()),
        }
    }

    /// The PEM of the CA this process's certificates chain to (TLS on).
    pub fn ca_pem(&self) -> anyhow::Result<Option<Vec<u8>>> {
        let files = match self {
            Security::Off => return Ok(None),
            Security::Tls(t) => t
                .shared
                .as_ref()
                .or_else(|| t.per_role.as_ref().and_then(|m| m.values().next())),
        };
        match files {
            Some(f) => Ok(Some(
                std::fs::read(&f.ca).with_context(|| format!("reading {}", f.ca.display()))?,
            )),
            None => Ok(None),
        }
    }

    /// The development operator token, if this process made one.
    pub fn dev_token(&self) -> Option<&str> {
        match self {
            Security::Tls(t) => t.dev_token.as_deref(),
            Security::Off => None,
        }
    }

    /// The authenticator every role's stack uses.
    pub fn authenticator(&self) -> Arc<dyn Authenticator> {
        match self {
            Security::Off => Arc::new(DevAuthenticator),
            Security::Tls(_) => Arc::new(LayerAuthenticator),
        }
    }

    /// Wraps a role's router in the identity layer (TLS on only).
    pub fn wrap(&self, router: axum::Router) -> axum::Router {
        match self {
            Security::Off => router,
            Security::Tls(t) => {
                let mut rs = ResourceServer::new(AUDIENCE, t.token_key.clone());
                rs.public_paths.push("/metrics".into());
                rs.public_prefixes = PUBLIC_PREFIXES.iter().map(|p| (*p).to_owned()).collect();
                router.layer(IdentityLayer::new(rs))
            }
        }
    }
}

fn client_connection(files: &TlsFiles) -> anyhow::Result<Connection> {
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    let credentials = Credentials::ClientCertificate {
        ca_pem: read(&files.ca)?,
        cert_pem: read(&files.cert)?,
        key_pem: read(&files.key)?,
    };
    Connection::new(credentials, Duration::from_secs(30), 2)
        .map_err(|e| anyhow::anyhow!("building the mTLS client: {e}"))
}
