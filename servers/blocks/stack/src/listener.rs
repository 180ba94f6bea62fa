//! The listener: accepts TCP connections, optionally terminates TLS, and
//! serves a router on them.
//!
//! Every accepted socket gets `TCP_NODELAY`: without it, small responses
//! wait for the peer's delayed ACK (measured: 44 ms per tool call instead of
//! 0.3 ms). With TLS, the peer's certificate chain is attached to every
//! request on the connection as [`PeerCertificates`], so the identity layer
//! derives the caller from the certificate, never from request data.
//! Connections drain gracefully when the cancellation token fires.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::CertificateDer;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// A bound listener and the address it got (useful with port 0).
#[derive(Debug)]
pub struct Bound {
    /// The listening socket.
    pub listener: TcpListener,
    /// The local address.
    pub addr: SocketAddr,
}

/// Binds `addr` (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<Bound> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    Ok(Bound { listener, addr })
}

/// Supplies the TLS configuration for each new connection, so certificates
/// can be reloaded without a restart.
pub trait TlsSource: Send + Sync + 'static {
    /// The configuration to use for the next handshake.
    fn current(&self) -> Arc<rustls::ServerConfig>;
}

impl TlsSource for Arc<rustls::ServerConfig> {
    fn current(&self) -> Arc<rustls::ServerConfig> {
        self.clone()
    }
}

/// How a listener secures its connections.
#[derive(Clone, Default)]
pub enum Transport {
    /// Plain HTTP (development on loopback, or behind a TLS-terminating proxy).
    #[default]
    Plain,
    /// TLS (with client certificates when the configuration asks for them).
    Tls(Arc<dyn TlsSource>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Plain => "Plain",
            Transport::Tls(_) => "Tls",
        })
    }
}

/// The certificate chain the peer presented in the TLS handshake (leaf
/// first), attached to every request of a TLS connection.
#[derive(Debug, Clone)]
pub struct PeerCertificates(pub Arc<Vec<CertificateDer<'static>>>);

/// Serves `router` over plain HTTP until `shutdown` is cancelled, then waits
/// up to `drain` for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    drain: Duration,
) -> std::io::Result<()> {
    serve_with(listener, router, Transport::Plain, shutdown, drain).await
}

/// Longest a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` with `transport` until `shutdown` is cancelled.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    transport: Transport,
    shutdown: CancellationToken,
    drain: Duration,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and similar: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, %peer, "cannot set TCP_NODELAY");
        }
        match &transport {
            Transport::Plain => serve_connection(stream, router.clone(), None, graceful.watcher()),
            Transport::Tls(source) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(source.current());
                let router = router.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let certs = tls.get_ref().1.peer_certificates().map(|c| {
                                c.iter().map(|c| c.clone().into_owned()).collect::<Vec<_>>()
                            });
                            let peer_certs = certs.map(|c| PeerCertificates(Arc::new(c)));
                            serve_connection(tls, router, peer_certs, watcher);
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => {
            tracing::warn!("connections still open after {drain:?}; closing them");
        }
    }
    Ok(())
}

fn serve_connection<S>(stream: S, router: Router, peer: Option<PeerCertificates>, watcher: Watcher)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = router.map_request(move |mut req: http::Request<hyper::body::Incoming>| {
        if let Some(peer) = &peer {
            req.extensions_mut().insert(peer.clone());
        }
        req
    });
    let service = TowerToHyperService::new(service);
    let builder = Builder::new(TokioExecutor::new());
    let conn = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .into_owned();
    let conn = watcher.watch(conn);
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
}
