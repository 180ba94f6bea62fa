//! Overhead of the federation hop: the same MCP tool call made directly to
//! the upstream and through the federation (MCP gateway, and JSON-RPC
//! `federation.route` by skill), in one run, at a fixed open-loop rate and
//! at saturation.
//!
//! Open-loop latency is measured from each request's dispatch; the
//! generator never waits for answers, so a slow path cannot slow the
//! offered rate (tokio's timer fires up to 1 ms late, which would otherwise
//! add the same bias to every path).
//!
//! ```text
//! cargo run --release -p omega-federation --example federation_hop -- [rate] [seconds] [concurrency]
//! ```
//!
//! Defaults: 1000 requests/s for 5 s, saturation with 32 concurrent callers
//! for 5 s. Everything (registries, upstream,
//! federation, load generator) shares this machine's cores.
#![allow(missing_docs)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use omega::role::RoleId as Role;
use omega_client::{AgentRegistryClient, Connection, McpClient, McpRegistryClient};
use omega_federation::{FederationConfig, FederationState};
use omega_protocol::{AgentCard, McpServerRecord, TenantId};
use omega_stack::{McpOptions, TenantPolicy, ToolSet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

#[derive(Deserialize, JsonSchema)]
struct EchoIn {
    /// Text.
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct EchoOut {
    /// Text.
    text: String,
}

type Call = Arc<dyn Fn() -> futures::future::BoxFuture<'static, bool> + Send + Sync>;

async fn serve(router: axum::Router, cancel: &CancellationToken) -> SocketAddr {
    let bound = omega_stack::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .await
        .unwrap();
    let addr = bound.addr;
    tokio::spawn(omega_stack::serve(
        bound.listener,
        router,
        cancel.clone(),
        Duration::from_millis(100),
    ));
    addr
}

async fn open_loop(call: &Call, rate: u64, secs: u64) -> (Histogram<u64>, u64) {
    let hist = Arc::new(std::sync::Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap(),
    ));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let interval = Duration::from_nanos(1_000_000_000 / rate);
    let start = tokio::time::Instant::now();
    let total = rate * secs;
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let scheduled = start + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let (call, hist, errors) = (call.clone(), hist.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let t0 = tokio::time::Instant::now();
            let ok = call().await;
            let us = t0.elapsed().as_micros() as u64;
            hist.lock().unwrap().record(us.max(1)).unwrap();
            if !ok {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let h = hist.lock().unwrap().clone();
    (h, errors.load(std::sync::atomic::Ordering::Relaxed))
}

async fn saturate(call: &Call, concurrency: usize, secs: u64) -> (f64, u64) {
    let stop = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let call = call.clone();
        workers.push(tokio::spawn(async move {
            let (mut n, mut errors) = (0u64, 0u64);
            while Instant::now() < stop {
                if call().await { n += 1 } else { errors += 1 }
            }
            (n, errors)
        }));
    }
    let (mut n, mut errors) = (0, 0);
    for w in workers {
        let (a, b) = w.await.unwrap();
        n += a;
        errors += b;
    }
    (n as f64 / started.elapsed().as_secs_f64(), errors)
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rate = args.first().copied().unwrap_or(1000);
    let secs = args.get(1).copied().unwrap_or(5);
    let concurrency = args.get(2).copied().unwrap_or(32) as usize;

    let dir = tempfile::tempdir()?;
    let running = omega::up::start(
        &omega_config::OmegaConfig::default(),
        dir.path(),
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        omega::up::Ports::Base(0),
        &[Role::Context, Role::AgentRegistry, Role::McpRegistry],
        omega::role::Scaling::InProcess,
    )
    .await?;
    let cancel = CancellationToken::new();

    // The upstream: one MCP server with a read-only echo tool.
    let tools = ToolSet::new(Arc::new(()), TenantPolicy::new([])).tool(
        "echo",
        "Echo text back.",
        true,
        |_s: Arc<()>, _call, input: EchoIn| async move { Ok(EchoOut { text: input.text }) },
    );
    let upstream = omega_stack::RoleApp::new("bench-upstream")
        .with_tools("bench", tools, &McpOptions::default(), cancel.clone())
        .into_router();
    let upstream_url = format!("http://{}/mcp", serve(upstream, &cancel).await);

    // Registered as an MCP server and as an agent with a skill.
    let record: McpServerRecord = serde_json::from_value(json!({
        "name": "io.omega.bench/bench", "description": "bench", "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": upstream_url}],
    }))?;
    McpRegistryClient::new(McpClient::connect(running.url(Role::McpRegistry)).await?)
        .publish(&record)
        .await?;
    let card: AgentCard = serde_json::from_value(json!({
        "name": "bench", "description": "bench", "version": "1.0.0",
        "supportedInterfaces": [{"url": upstream_url, "protocolBinding": "MCP", "protocolVersion": "1.0"}],
        "capabilities": {}, "defaultInputModes": ["application/json"], "defaultOutputModes": ["application/json"],
        "skills": [{"id": "bench-echo", "name": "echo", "description": "echo", "tags": []}],
        "omega": {"role": "bench", "tier": "dynamic", "tenants": "all"},
    }))?;
    AgentRegistryClient::new(McpClient::connect(running.url(Role::AgentRegistry)).await?)
        .register(&card)
        .await?;

    // The federation.
    let config = FederationConfig {
        agent_registry_url: running.url(Role::AgentRegistry).to_owned(),
        mcp_registry_url: running.url(Role::McpRegistry).to_owned(),
        ..FederationConfig::default()
    };
    let policy = TenantPolicy::new([TenantId::parse("acme")?]);
    let state = FederationState::new(config, Connection::default(), policy, None).await?;
    state.refresh_catalog().await?;
    let fed =
        omega_federation::app(state.clone(), &McpOptions::default(), cancel.clone()).into_router();
    let fed_base = format!("http://{}", serve(fed, &cancel).await);

    let direct = Arc::new(McpClient::connect(&upstream_url).await?);
    let gateway = Arc::new(McpClient::connect(&format!("{fed_base}/mcp")).await?);
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let rpc_url: http::Uri = format!("{fed_base}/rpc").parse()?;
    let rpc_body = Bytes::from(
        json!({"jsonrpc": "2.0", "id": 1, "method": "federation.route", "params": {
            "tenant": "acme", "skill": "bench-echo", "method": "echo", "arguments": {"text": "ping"}}})
        .to_string(),
    );

    let paths: Vec<(&str, Call)> = vec![
        ("direct", {
            let c = direct.clone();
            Arc::new(move || {
                let c = c.clone();
                Box::pin(async move { c.call_tool("echo", json!({"text": "ping"})).await.is_ok() })
            })
        }),
        ("gateway (MCP)", {
            let c = gateway.clone();
            Arc::new(move || {
                let c = c.clone();
                Box::pin(async move {
                    c.call_tool("bench__echo", json!({"text": "ping"}))
                        .await
                        .is_ok()
                })
            })
        }),
        ("route (JSON-RPC)", {
            Arc::new(move || {
                let (http, uri, body) = (http.clone(), rpc_url.clone(), rpc_body.clone());
                Box::pin(async move {
                    let req = http::Request::post(uri)
                        .header("content-type", "application/json")
                        .body(Full::new(body))
                        .unwrap();
                    match http.request(req).await {
                        Ok(resp) => {
                            let bytes = resp.into_body().collect().await.map(|b| b.to_bytes());
                            bytes
                                .ok()
                                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                                .is_some_and(|v| v["result"]["text"] == "ping")
                        }
                        Err(_) => false,
                    }
                })
            })
        }),
    ];

    // Warm up every path (connections, caches).
    for (_, call) in &paths {
        for _ in 0..200 {
            assert!(call().await, "warm-up call failed");
        }
    }

    println!("open loop: {rate} req/s for {secs} s (latency from dispatch)");
    println!(
        "{:<18} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "path", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"
    );
    let mut p99 = Vec::new();
    for (name, call) in &paths {
        let (h, errors) = open_loop(call, rate, secs).await;
        println!(
            "{name:<18} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {errors:>7}",
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.9)),
            ms(h.value_at_quantile(0.99)),
            ms(h.max())
        );
        p99.push(h.value_at_quantile(0.99));
    }
    println!(
        "added p99: gateway {:+.3} ms, route {:+.3} ms",
        ms(p99[1]) - ms(p99[0]),
        ms(p99[2]) - ms(p99[0])
    );

    println!("\nsaturation: {concurrency} concurrent callers for {secs} s");
    let mut rps = Vec::new();
    for (name, call) in &paths {
        let (r, errors) = saturate(call, concurrency, secs).await;
        println!("{name:<18} {r:>10.0} req/s  errors {errors}");
        rps.push(r);
    }
    println!(
        "throughput vs direct: gateway {:.2}x, route {:.2}x",
        rps[1] / rps[0],
        rps[2] / rps[0]
    );

    cancel.cancel();
    running.stop().await?;
    Ok(())
}
