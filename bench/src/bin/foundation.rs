//! The Foundation benchmark: `tools/call` throughput and p50/p99 latency of
//! the context server's `session_get` at 1, 16 and 64 connections, side by
//! side with a bare rmcp server serving one trivial tool, in the same run;
//! plus `omega up`'s start-to-ready time and idle RSS.
//!
//! Run with `scripts/bench foundation` (release build, loopback).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use omega_bench::load::{self, LoadResult};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5)]
    secs: u64,
    /// Connection counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    connections: Vec<usize>,
    /// Fixed rate (calls/s) for the open-loop latency run at 16 connections.
    #[arg(long, default_value_t = 5000.0)]
    rate: f64,
}

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release -p omega -p omega-bench`",
            path.display()
        );
    }
    Ok(path)
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("bad VmRSS")?
        .parse()?)
}

async fn ready(url: &str) -> bool {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    match client.get(url.parse().expect("url")).await {
        Ok(r) => r.status() == 200,
        Err(_) => false,
    }
}

fn row(name: &str, conns: usize, r: &LoadResult) {
    println!(
        "{name:<22} {conns:>5} {:>12.0} {:>10.3} {:>10.3} {:>7}",
        r.throughput,
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        r.errors
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("omega-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    // omega up: start to ready, idle RSS. Plain HTTP (`[server.tls] mode =
    // "off"`), as the loads below: this bench compares against bare rmcp.
    let config = dir.join("omega.toml");
    std::fs::write(&config, "[server.tls]\nmode = \"off\"\n")?;
    let started = Instant::now();
    let omega = Proc(
        Command::new(sibling("omega")?)
            .args([
                "--config",
                config.to_str().context("utf-8 path")?,
                "--data-dir",
                dir.to_str().context("utf-8 path")?,
                "up",
                "--port-base",
                "0",
            ])
            .env("OMEGA_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let endpoints = dir.join("endpoints.json");
    let context_url = loop {
        if let Ok(text) = std::fs::read_to_string(&endpoints)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        {
            let url = v["context"]
                .as_str()
                .context("context endpoint")?
                .to_owned();
            if ready(&url.replace("/mcp", "/readyz")).await {
                break url;
            }
        }
        if started.elapsed() > Duration::from_secs(10) {
            bail!("omega up was not ready within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let to_ready = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib(omega.0.id())?;
    println!(
        "omega up (TLS off): start to ready {:.1} ms, idle RSS {:.1} MB",
        to_ready.as_secs_f64() * 1e3,
        idle_rss as f64 / 1024.0
    );

    let _ = context_url;
    drop(omega);

    // The load runs against the context server as a deployment runs it
    // (`omega serve context`), so the pipeline's and dashboard's background
    // workers of `omega up` do not share the two cores with it.
    let serve_dir = dir.join("serve-context");
    std::fs::create_dir_all(&serve_dir)?;
    let _context = Proc(
        Command::new(sibling("omega")?)
            .args([
                "--data-dir",
                serve_dir.to_str().context("utf-8 path")?,
                "serve",
                "context",
                "--port",
                "0",
            ])
            .env("OMEGA_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let serve_started = Instant::now();
    let context_url = loop {
        if let Ok(text) = std::fs::read_to_string(serve_dir.join("endpoints.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        {
            let url = v["context"]
                .as_str()
                .context("context endpoint")?
                .to_owned();
            if ready(&url.replace("/mcp", "/readyz")).await {
                break url;
            }
        }
        if serve_started.elapsed() > Duration::from_secs(10) {
            bail!("omega serve context was not ready within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let omega_addr: SocketAddr = context_url
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .parse()?;
    // The session every session_get reads.
    let put = load::tool_call_body(
        "session_put",
        json!({"tenant": "acme", "sessionId": "bench", "value": {"turn": 1}}),
    );
    let r = load::run(omega_addr, "session_put", put, 1, Duration::from_millis(50)).await?;
    if r.errors > 0 {
        bail!("session_put failed during setup");
    }

    let mut bare = Command::new(sibling("bare-rmcp")?)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(bare.stdout.take().context("stdout")?),
        &mut line,
    )?;
    let _bare = Proc(bare);
    let bare_addr: SocketAddr = line.trim().trim_start_matches("listening on ").parse()?;

    let get = load::tool_call_body(
        "session_get",
        json!({"tenant": "acme", "sessionId": "bench"}),
    );
    let trivial = load::tool_call_body("get", json!({"key": "bench"}));
    let secs = Duration::from_secs(args.secs);
    println!(
        "\n{:<22} {:>5} {:>12} {:>10} {:>10} {:>7}",
        "server", "conns", "calls/s", "p50 ms", "p99 ms", "errors"
    );
    for &c in &args.connections {
        // Warm both, then measure back to back.
        load::run(
            bare_addr,
            "get",
            trivial.clone(),
            c,
            Duration::from_millis(500),
        )
        .await?;
        load::run(
            omega_addr,
            "session_get",
            get.clone(),
            c,
            Duration::from_millis(500),
        )
        .await?;
        let b = load::run(bare_addr, "get", trivial.clone(), c, secs).await?;
        let o = load::run(omega_addr, "session_get", get.clone(), c, secs).await?;
        row("bare rmcp (trivial)", c, &b);
        row("omega session_get", c, &o);
        println!(
            "{:<22} {c:>5} {:>11.2}x",
            "ratio omega/bare",
            o.throughput / b.throughput
        );
    }
    println!(
        "\nopen loop at {:.0} calls/s over 16 connections (latency from the send, or from the due time when the previous response made it late):",
        args.rate
    );
    let b = load::run_at(bare_addr, "get", trivial.clone(), 16, secs, Some(args.rate)).await?;
    let o = load::run_at(
        omega_addr,
        "session_get",
        get.clone(),
        16,
        secs,
        Some(args.rate),
    )
    .await?;
    row("bare rmcp (trivial)", 16, &b);
    row("omega session_get", 16, &o);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
