//! A closed-loop load generator: `connections` clients, each with its own
//! keep-alive connection, send `tools/call` requests back to back for a
//! fixed duration; every latency is recorded.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Completed calls.
    pub calls: u64,
    /// Calls that did not return HTTP 200 with a JSON-RPC result.
    pub errors: u64,
    /// Calls per second.
    pub throughput: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

/// The body of a 2026-07-28 `tools/call` request.
pub fn tool_call_body(tool: &str, arguments: serde_json::Value) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {
                "name": tool, "arguments": arguments,
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {}
                }
            }
        }))
        .expect("static JSON"),
    )
}

async fn worker(
    addr: std::net::SocketAddr,
    tool: String,
    body: Bytes,
    until: Instant,
    interval: Option<Duration>,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut latencies = Vec::with_capacity(100_000);
    let mut errors = 0;
    // Open loop: requests are due on a fixed schedule, and latency counts
    // from when a request was due, so a slow response also charges the
    // requests queued behind it (no coordinated omission).
    let mut next_due = Instant::now();
    let mut last_done = Instant::now();
    while Instant::now() < until {
        if interval.is_some() {
            tokio::time::sleep_until(next_due.into()).await;
        }
        let req = Request::post("/mcp")
            .header("host", addr.to_string())
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool.as_str())
            .body(Full::new(body.clone()))?;
        // When the previous response came back after this request was due,
        // the server made us late: count from the due time. Otherwise count
        // from now, so the timer's millisecond slack is not charged to the
        // server.
        let started = if interval.is_some() && last_done > next_due {
            next_due
        } else {
            Instant::now()
        };
        if let Some(interval) = interval {
            next_due += interval;
        }
        send.ready().await?;
        let resp = send.send_request(req).await?;
        let ok = resp.status() == 200;
        let bytes = resp.into_body().collect().await?.to_bytes();
        latencies.push(started.elapsed());
        last_done = Instant::now();
        if !ok
            || !bytes.windows(9).any(|w| w == b"\"result\":")
            || bytes.windows(12).any(|w| w == b"\"isError\":tr")
        {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}

/// Runs `connections` closed-loop clients against `addr` for `duration`.
pub async fn run(
    addr: std::net::SocketAddr,
    tool: &str,
    body: Bytes,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    run_at(addr, tool, body, connections, duration, None).await
}

/// Like [`run`], but open-loop at `rate` calls per second in total (spread
/// evenly over the connections) when `rate` is given.
pub async fn run_at(
    addr: std::net::SocketAddr,
    tool: &str,
    body: Bytes,
    connections: usize,
    duration: Duration,
    rate: Option<f64>,
) -> anyhow::Result<LoadResult> {
    let until = Instant::now() + duration;
    let started = Instant::now();
    let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r));
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(worker(addr, tool.to_owned(), body.clone(), until, interval)))
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, err) = t.await??;
        all.extend(lat);
        errors += err;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(LoadResult {
        calls: all.len() as u64,
        errors,
        throughput: all.len() as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
    })
}
