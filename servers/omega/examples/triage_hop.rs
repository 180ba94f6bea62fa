//! What triage pays for deciding through the orchestrator: the embedded
//! classifier called in-process (what triage did before) against
//! `orchestrator_classify` over MCP (triage → orchestrator role → local
//! Titan role → classifier), both on the same ticket texts.
//!
//! ```sh
//! cargo run --release -p omega --example triage_hop -- [calls]
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use omega::role::{RoleId, Scaling, TitanId};
use omega::up::{Ports, start};
use omega_client::{McpClient, OrchestratorClient};
use omega_protocol::TenantId;

const TEXTS: [&str; 6] = [
    "laptop screen cracked, need a replacement monitor",
    "cannot log in, account locked after password reset",
    "please approve purchase of two docking stations",
    "shared drive is full, need more storage quota",
    "new starter needs admin rights on workstation",
    "payroll question about holiday allowance",
];

fn percentiles(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)].as_secs_f64() * 1e6;
    (at(0.5), at(0.9), at(0.99))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let calls: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    let dir = tempfile::tempdir()?;
    let config = omega_config::OmegaConfig::default();
    let running = start(
        &config,
        dir.path(),
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        Ports::Base(0),
        &[
            RoleId::Context,
            RoleId::AgentRegistry,
            RoleId::McpRegistry,
            RoleId::Titan(TitanId::Local),
            RoleId::Orchestrator,
        ],
        Scaling::InProcess,
    )
    .await?;
    let (classifier, _) = omega_pipeline::load_or_bootstrap(dir.path())?;
    let orchestrator =
        OrchestratorClient::new(McpClient::connect(running.url(RoleId::Orchestrator)).await?);
    let tenant = TenantId::parse("acme")?;

    // Warm up both paths.
    for t in TEXTS {
        let _ = classifier.predict(t);
        orchestrator.classify(&tenant, t).await?;
    }
    let mut direct = Vec::with_capacity(calls);
    let mut hop = Vec::with_capacity(calls);
    for i in 0..calls {
        let text = TEXTS[i % TEXTS.len()];
        let t = Instant::now();
        std::hint::black_box(classifier.predict(text));
        direct.push(t.elapsed());
        let t = Instant::now();
        let answer = orchestrator.classify(&tenant, text).await?;
        hop.push(t.elapsed());
        assert_eq!(answer.decided_by.name, "local");
    }
    let (d50, d90, d99) = percentiles(direct);
    let (h50, h90, h99) = percentiles(hop);
    println!("calls per path: {calls} (sequential, one connection)");
    println!("path                                   p50 µs    p90 µs    p99 µs");
    println!("classifier in-process (direct)       {d50:>8.1}  {d90:>8.1}  {d99:>8.1}");
    println!("orchestrator_classify over MCP       {h50:>8.1}  {h90:>8.1}  {h99:>8.1}");
    println!(
        "added by the hop                     {:>8.1}  {:>8.1}  {:>8.1}",
        h50 - d50,
        h90 - d90,
        h99 - d99
    );
    running.stop().await?;
    Ok(())
}
