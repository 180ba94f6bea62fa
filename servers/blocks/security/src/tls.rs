//! rustls configurations (ring provider) for servers and clients, reloaded
//! when their certificate files change, and the identity of the TLS peer.
//!
//! Servers verify client certificates against the deployment CA with
//! rustls' WebPKI verifier (chain, validity period, `clientAuth` usage);
//! the identity is then read from the verified leaf certificate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use omega_stack::PeerCertificates;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::identity::{Identity, IdentityError};

/// The certificate, key and CA files of one TLS endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain (leaf first), PEM.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// The CA certificate(s) that peers must chain to, PEM.
    pub ca: PathBuf,
}

/// Why a TLS configuration cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file does not hold the expected PEM blocks.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// rustls refused the certificate/key (e.g. the key does not match).
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier cannot be built from the CA.
    #[error("cannot build the client certificate verifier: {0}")]
    Verifier(String),
}

/// Whether a server asks for client certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Every client must present a certificate from the CA (service-to-service).
    Required,
    /// A client may present one; without it, it must send a bearer token.
    Optional,
    /// Client certificates are not requested (bearer tokens only).
    None,
}

/// Parses every certificate in `pem` (`path` is for messages).
pub fn parse_certs(pem: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: path.to_owned(),
            what: format!("not PEM certificates: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_owned(),
            what: "no CERTIFICATE block found".into(),
        });
    }
    Ok(certs)
}

/// Parses the first private key in `pem`.
pub fn parse_key(pem: &[u8], path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    rustls_pemfile::private_key(&mut &pem[..])
        .map_err(|e| TlsError::Pem {
            path: path.to_owned(),
            what: format!("not a PEM private key: {e}"),
        })?
        .ok_or_else(|| TlsError::Pem {
            path: path.to_owned(),
            what: "no PRIVATE KEY block found".into(),
        })
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })
}

fn roots(ca: &[CertificateDer<'static>]) -> Result<Arc<RootCertStore>, TlsError> {
    let mut store = RootCertStore::empty();
    for c in ca {
        store.add(c.clone())?;
    }
    Ok(Arc::new(store))
}

/// A server configuration presenting `chain`/`key`, verifying clients
/// against `ca` as `auth` says, offering ALPN `http/1.1`.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ca: &[CertificateDer<'static>],
    auth: ClientAuth,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = crate::provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Required | ClientAuth::Optional => {
            let verifier = WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider);
            let verifier = if auth == ClientAuth::Optional {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier
                .build()
                .map_err(|e| TlsError::Verifier(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client configuration trusting `ca`, presenting `identity` (chain and
/// key) when given, offering ALPN `http/1.1`.
pub fn client_config(
    ca: &[CertificateDer<'static>],
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots(ca)?);
    let mut config = match identity {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn server_from_bytes(
    files: &TlsFiles,
    auth: ClientAuth,
    bytes: &[Vec<u8>],
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = parse_certs(&bytes[0], &files.cert)?;
    let key = parse_key(&bytes[1], &files.key)?;
    let ca = parse_certs(&bytes[2], &files.ca)?;
    server_config(chain, key, &ca, auth)
}

fn client_from_bytes(
    files: &TlsFiles,
    with_cert: bool,
    bytes: &[Vec<u8>],
) -> Result<Arc<ClientConfig>, TlsError> {
    let ca = parse_certs(&bytes[0], &files.ca)?;
    let identity = if with_cert {
        Some((
            parse_certs(&bytes[1], &files.cert)?,
            parse_key(&bytes[2], &files.key)?,
        ))
    } else {
        None
    };
    client_config(&ca, identity)
}

/// A server configuration built from `files`.
pub fn server_config_from_files(
    files: &TlsFiles,
    auth: ClientAuth,
) -> Result<Arc<ServerConfig>, TlsError> {
    let bytes = [read(&files.cert)?, read(&files.key)?, read(&files.ca)?];
    server_from_bytes(files, auth, &bytes)
}

/// A client configuration built from `files` (presenting `files.cert`).
pub fn client_config_from_files(files: &TlsFiles) -> Result<Arc<ClientConfig>, TlsError> {
    let bytes = [read(&files.ca)?, read(&files.cert)?, read(&files.key)?];
    client_from_bytes(files, true, &bytes)
}

type Build<C> = Box<dyn Fn(&[Vec<u8>]) -> Result<Arc<C>, TlsError> + Send + Sync>;

/// A TLS configuration that is rebuilt when its files change.
///
/// [`current`](Self::current) is cheap (a read lock and an `Arc` clone),
/// so a listener calls it for every accepted connection: connections that
/// are already open keep the configuration they started with, new
/// handshakes use the new one. A change that does not build (half-written
/// files, a key that does not match the certificate) is logged and the old
/// configuration stays in use until the files are consistent again.
pub struct Reloading<C> {
    paths: Vec<PathBuf>,
    build: Build<C>,
    current: RwLock<Arc<C>>,
    fingerprint: Mutex<[u8; 32]>,
}

/// A server configuration that reloads; implements [`omega_stack::TlsSource`].
pub type ReloadingServerConfig = Reloading<ServerConfig>;
/// A client configuration that reloads.
pub type ReloadingClientConfig = Reloading<ClientConfig>;

impl<C> std::fmt::Debug for Reloading<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloading")
            .field("paths", &self.paths)
            .finish()
    }
}

fn fingerprint(bytes: &[Vec<u8>]) -> [u8; 32] {
    let mut h = Sha256::new();
    for b in bytes {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    }
    h.finalize().into()
}

/// How often [`Reloading::watch`] polls the files by default.
pub const DEFAULT_POLL: Duration = Duration::from_secs(2);

impl<C: Send + Sync + 'static> Reloading<C> {
    fn new(paths: Vec<PathBuf>, build: Build<C>) -> Result<Arc<Self>, TlsError> {
        let bytes = paths
            .iter()
            .map(|p| read(p))
            .collect::<Result<Vec<_>, _>>()?;
        let config = build(&bytes)?;
        Ok(Arc::new(Self {
            fingerprint: Mutex::new(fingerprint(&bytes)),
            current: RwLock::new(config),
            paths,
            build,
        }))
    }

    /// The configuration for the next handshake.
    pub fn current(&self) -> Arc<C> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rereads the files; rebuilds and swaps the configuration when their
    /// contents changed. `Ok(true)` when a new configuration is in use.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let bytes = self
            .paths
            .iter()
            .map(|p| read(p))
            .collect::<Result<Vec<_>, _>>()?;
        let fp = fingerprint(&bytes);
        let mut last = self.fingerprint.lock().unwrap_or_else(|e| e.into_inner());
        if *last == fp {
            return Ok(false);
        }
        let config = (self.build)(&bytes)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
        *last = fp;
        Ok(true)
    }

    /// Polls the files every `every` until `cancel` fires or the last
    /// reference to `self` is dropped.
    pub fn watch(
        self: &Arc<Self>,
        every: Duration,
        cancel: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = cancel.cancelled() => return,
                }
                let Some(this) = weak.upgrade() else { return };
                let this2 = this.clone();
                // File reads and key parsing are blocking work.
                let result = tokio::task::spawn_blocking(move || this2.reload_if_changed()).await;
                match result {
                    Ok(Ok(true)) => {
                        tracing::info!(files = ?this.paths, "TLS certificates reloaded")
                    }
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "TLS certificates changed but cannot be loaded; keeping the previous ones")
                    }
                    Err(e) => tracing::warn!(error = %e, "TLS reload task failed"),
                }
            }
        })
    }
}

impl Reloading<ServerConfig> {
    /// A reloading server configuration over `files`.
    pub fn server(files: TlsFiles, auth: ClientAuth) -> Result<Arc<Self>, TlsError> {
        let paths = vec![files.cert.clone(), files.key.clone(), files.ca.clone()];
        Self::new(
            paths,
            Box::new(move |bytes| server_from_bytes(&files, auth, bytes)),
        )
    }
}

impl Reloading<ClientConfig> {
    /// A reloading client configuration presenting `files.cert`.
    pub fn client(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let paths = vec![files.ca.clone(), files.cert.clone(), files.key.clone()];
        Self::new(
            paths,
            Box::new(move |bytes| client_from_bytes(&files, true, bytes)),
        )
    }

    /// A reloading client configuration that only trusts `ca` (bearer-token clients).
    pub fn anonymous_client(ca: PathBuf) -> Result<Arc<Self>, TlsError> {
        let files = TlsFiles {
            cert: PathBuf::new(),
            key: PathBuf::new(),
            ca: ca.clone(),
        };
        Self::new(
            vec![ca],
            Box::new(move |bytes| client_from_bytes(&files, false, bytes)),
        )
    }
}

impl omega_stack::TlsSource for Reloading<ServerConfig> {
    fn current(&self) -> Arc<ServerConfig> {
        Reloading::current(self)
    }
}

/// The identity in the verified peer certificate of a server-side TLS
/// stream; `None` when the client sent no certificate or it carries no
/// OMEGA identity.
pub fn peer_identity<IO>(tls: &tokio_rustls::server::TlsStream<IO>) -> Option<Identity> {
    let leaf = tls.get_ref().1.peer_certificates()?.first()?;
    Identity::from_cert(leaf).ok()
}

/// The identity in the leaf of the chain the listener attached to a request.
pub fn identity_of(peer: &PeerCertificates) -> Result<Identity, IdentityError> {
    let leaf = peer.0.first().ok_or(IdentityError::NoSpiffeId)?;
    Identity::from_cert(leaf)
}
