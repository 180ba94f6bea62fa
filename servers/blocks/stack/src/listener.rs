//! The listener: accepts TCP connections, optionally terminates TLS, and
//! serves a router on them.
//!
//! Every accepted socket gets `TCP_NODELAY`: without it, small responses
//! wait for the peer's delayed ACK (measured: 44 ms per tool call instead of
//! 0.3 ms). With TLS, the peer's certificate chain is attached to every
//! request on the connection as [`PeerCertificates`], so the identity layer
//! derives the caller from the certificate, never from request data.
//! Connections drain gracefully when the cancellation token fires.
//!
//! Connection limits ([`Limits`]): at most `max_connections` connections
//! are served at once (the next ones wait in the listen backlog); a request
//! head must arrive within `header_read_timeout` and a kept-alive connection
//! may idle for `keep_alive_idle_timeout` between requests. Both timeouts
//! are enforced on the connection's reads while no request is in flight
//! (hyper's own header-read timer, which would also count the idle time
//! between requests, is set to their sum as a backstop).
//!
//! HTTP upgrades are not offered: no role uses them, and an upgraded stream
//! would outlive the request that the connection limits track.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use futures::task::AtomicWaker;
use hyper::body::{Body, Bytes, Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::Limits;

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
/// up to `drain` for open connections to finish. Uses the default
/// [`Limits`]; see [`serve_limited`].
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

/// Serves `router` with `transport` until `shutdown` is cancelled, with the
/// default [`Limits`]; see [`serve_limited`].
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    transport: Transport,
    shutdown: CancellationToken,
    drain: Duration,
) -> std::io::Result<()> {
    serve_limited(
        listener,
        router,
        transport,
        &Limits::default(),
        shutdown,
        drain,
    )
    .await
}

/// Serves `router` with `transport` under the connection limits of
/// `limits` (`max_connections`, `header_read_timeout`,
/// `keep_alive_idle_timeout`) until `shutdown` is cancelled, then waits up
/// to `drain` for open connections to finish.
pub async fn serve_limited(
    listener: TcpListener,
    router: Router,
    transport: Transport,
    limits: &Limits,
    shutdown: CancellationToken,
    drain: Duration,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let timeouts = ConnTimeouts {
        header: limits.header_read_timeout,
        idle: limits.keep_alive_idle_timeout,
    };
    loop {
        // A free slot first: over the cap, connections wait in the backlog.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = shutdown.cancelled() => break,
        };
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
            Transport::Plain => serve_connection(
                stream,
                router.clone(),
                None,
                graceful.watcher(),
                timeouts,
                permit,
            ),
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
                            serve_connection(tls, router, peer_certs, watcher, timeouts, permit);
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

#[derive(Debug, Clone, Copy)]
struct ConnTimeouts {
    header: Duration,
    idle: Duration,
}

fn serve_connection<S>(
    stream: S,
    router: Router,
    peer: Option<PeerCertificates>,
    watcher: Watcher,
    timeouts: ConnTimeouts,
    permit: OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = GuardedIo::new(stream, activity.clone(), timeouts);
    let service =
        hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
            // In flight from the request head until its response body is done.
            let in_flight = InFlight::start(activity.clone());
            if let Some(peer) = &peer {
                req.extensions_mut().insert(peer.clone());
            }
            let response = router.clone().oneshot(req);
            async move {
                let response = response.await?;
                Ok::<_, std::convert::Infallible>(response.map(|body| TrackedBody {
                    inner: body,
                    _in_flight: in_flight,
                }))
            }
        });
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header + timeouts.idle);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .into_owned();
    let conn = watcher.watch(conn);
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
        drop(permit);
    });
}

/// What a connection is doing, shared by its reads and its requests.
struct Activity {
    state: Mutex<ActivityState>,
    /// Wakes the connection's pending read when it becomes idle, so the idle
    /// deadline is armed even if no byte arrives.
    waker: AtomicWaker,
    accepted: Instant,
}

struct ActivityState {
    /// Requests whose response is not yet fully sent.
    in_flight: usize,
    /// How many times the connection became idle after a request (0: no
    /// request finished yet).
    epoch: u64,
    /// When it last became idle.
    idle_since: Instant,
}

impl Activity {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            state: Mutex::new(ActivityState {
                in_flight: 0,
                epoch: 0,
                idle_since: now,
            }),
            waker: AtomicWaker::new(),
            accepted: now,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Marks a request in flight until dropped (with its response body).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.lock().in_flight += 1;
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let idle = {
            let mut state = self.0.lock();
            state.in_flight -= 1;
            if state.in_flight == 0 {
                state.epoch += 1;
                state.idle_since = Instant::now();
            }
            state.in_flight == 0
        };
        if idle {
            self.0.waker.wake();
        }
    }
}

/// A response body that keeps its request in flight until it is dropped
/// (sent completely, or abandoned with the connection).
struct TrackedBody {
    inner: axum::body::Body,
    _in_flight: InFlight,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The connection's byte stream, closing it when a request head is too slow
/// or the connection idles too long between requests.
struct GuardedIo<S> {
    inner: S,
    activity: Arc<Activity>,
    timeouts: ConnTimeouts,
    /// The epoch in which the first byte of the next request head arrived, and when.
    head_started: Option<(u64, Instant)>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    armed: Option<Instant>,
}

impl<S> GuardedIo<S> {
    fn new(inner: S, activity: Arc<Activity>, timeouts: ConnTimeouts) -> Self {
        let deadline = activity.accepted + timeouts.header;
        Self {
            inner,
            activity,
            timeouts,
            head_started: None,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            armed: Some(deadline),
        }
    }

    /// When the connection must have made progress, or `None` while a
    /// request is in flight (the request deadlines govern it then).
    fn deadline(&self) -> Option<Instant> {
        let state = self.activity.lock();
        if state.in_flight > 0 {
            return None;
        }
        Some(if state.epoch == 0 {
            // The first request's head: counted from the accept.
            self.activity.accepted + self.timeouts.header
        } else {
            match self.head_started {
                Some((epoch, at)) if epoch == state.epoch => at + self.timeouts.header,
                _ => state.idle_since + self.timeouts.idle,
            }
        })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GuardedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    let state = this.activity.lock();
                    if state.in_flight == 0
                        && this
                            .head_started
                            .is_none_or(|(epoch, _)| epoch != state.epoch)
                    {
                        this.head_started = Some((state.epoch, Instant::now()));
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                this.activity.waker.register(cx.waker());
                let Some(deadline) = this.deadline() else {
                    return Poll::Pending;
                };
                if this.armed != Some(deadline) {
                    this.sleep.as_mut().reset(deadline);
                    this.armed = Some(deadline);
                }
                match this.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "request head or next request not received in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GuardedIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
