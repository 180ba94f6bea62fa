//! Measures the TLS handshake rate on loopback: how many complete mutual
//! TLS handshakes per second a server configuration sustains.
//!
//! Each connection completes the handshake on both sides (the client sends
//! one byte after its handshake and waits for the server's echo, which the
//! server sends only after its own handshake, i.e. after verifying the
//! client certificate) and is then closed.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The result of a run.
#[derive(Debug, Clone)]
pub struct HandshakeStats {
    /// Completed handshakes.
    pub handshakes: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Handshakes per second.
    pub per_sec: f64,
    /// Median client-side connect-to-echo latency.
    pub p50: Duration,
    /// 99th percentile of the same.
    pub p99: Duration,
}

/// Runs `total` handshakes, `concurrency` at a time, against a server with
/// `server` on 127.0.0.1. With `resume` false, client session resumption
/// is disabled so every handshake is a full one.
pub async fn handshake_rate(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
    server_name: &str,
    total: usize,
    concurrency: usize,
    resume: bool,
) -> io::Result<HandshakeStats> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    let accept_task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut b = [0u8; 1];
                    if tls.read_exact(&mut b).await.is_ok() {
                        let _ = tls.write_all(&b).await;
                        let _ = tls.flush().await;
                    }
                }
            });
        }
    });
    let mut client = (*client).clone();
    if !resume {
        client.resumption = rustls::client::Resumption::disabled();
    }
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let per_task = total.div_ceil(concurrency.max(1));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let connector = connector.clone();
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_task);
            for _ in 0..per_task {
                let t = Instant::now();
                let tcp = TcpStream::connect(addr).await?;
                tcp.set_nodelay(true)?;
                let d = Duration::from_secs(2);
                let to =
                    |w: &str| io::Error::new(io::ErrorKind::TimedOut, format!("timeout in {w}"));
                let mut tls = tokio::time::timeout(d, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| to("connect"))??;
                tls.write_all(b"x").await?;
                tls.flush().await?;
                let mut b = [0u8; 1];
                tokio::time::timeout(d, tls.read_exact(&mut b))
                    .await
                    .map_err(|_| to("read"))??;
                lat.push(t.elapsed());
            }
            io::Result::Ok(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.map_err(io::Error::other)??);
    }
    let elapsed = start.elapsed();
    accept_task.abort();
    lat.sort();
    let pick = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    Ok(HandshakeStats {
        handshakes: lat.len(),
        elapsed,
        per_sec: lat.len() as f64 / elapsed.as_secs_f64(),
        p50: pick(0.50),
        p99: pick(0.99),
    })
}
