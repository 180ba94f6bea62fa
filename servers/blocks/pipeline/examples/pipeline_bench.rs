//! Pipeline benchmark: webhook acknowledgement latency and end-to-end
//! throughput (webhook → stored TriageResult → published), on the embedded
//! queue or Redis Streams, with the real context server in-process.
//!
//! ```text
//! cargo run --release -p omega-pipeline --example pipeline_bench -- --tickets 5000
//! cargo run --release -p omega-pipeline --example pipeline_bench -- --backend redis
//! cargo run --release -p omega-pipeline --example pipeline_bench -- --no-context
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use omega_client::McpClient;
use omega_config::{QueueBackend, TeamsConfig};
use omega_ingest::{IngestConfig, TenantSecrets};
use omega_pipeline::{
    CapacityOverrides, Pipeline, PipelineConfig, PipelineDeps, WebhookClient, load_or_bootstrap,
    open_queue, queues, signed_headers,
};
use omega_protocol::{SourcePlatform, TenantId};
use omega_queue::{RedisQueue, RedisQueueConfig};
use omega_stack::{McpOptions, TenantPolicy};
use omega_store::EmbeddedStore;
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug)]
struct Args {
    /// Queue backend: embedded or redis.
    #[arg(long, default_value = "embedded")]
    backend: String,
    /// Tickets posted in the throughput run.
    #[arg(long, default_value_t = 5000)]
    tickets: u64,
    /// Concurrent webhook senders.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Sequential posts for the unloaded acknowledgement latency.
    #[arg(long, default_value_t = 1000)]
    ack_samples: u64,
    /// Capacity polling interval in ms (the seed's is 30000; a shorter one
    /// keeps the team from idling at zero for the first 30 s of the run).
    #[arg(long, default_value_t = 1000)]
    polling_ms: u64,
    /// Triage without the context server (no ticket_context / ticket_record calls).
    #[arg(long)]
    no_context: bool,
    /// Redis URL for --backend redis.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
}

const SECRET: &str = "bench-kaseya-secret";

fn body(id: u64) -> Vec<u8> {
    const TEXTS: [(&str, &str); 8] = [
        (
            "Laptop will not power on",
            "No lights when pressing the power button, charger plugged in.",
        ),
        (
            "Account locked out",
            "Entered the password wrong too many times, account is locked.",
        ),
        (
            "Mailbox full",
            "Mailbox is over quota and cannot send email.",
        ),
        (
            "Order new laptop for new hire",
            "Please purchase a laptop and dock for the new designer.",
        ),
        (
            "Need admin rights to install software",
            "Need local administrator rights for the Visual Studio update.",
        ),
        (
            "Payslip shows wrong tax code",
            "This month's payslip has the wrong tax code.",
        ),
        (
            "Project site for ERP rollout",
            "Create a project site and planner board for the ERP rollout.",
        ),
        (
            "Guest wifi password",
            "What is the guest wifi password for visitors this week.",
        ),
    ];
    let (t, d) = TEXTS[(id % 8) as usize];
    serde_json::to_vec(&serde_json::json!({
        "Id": id, "TicketNumber": format!("T{id}"), "Title": format!("{t} #{id}"), "Details": d,
        "StatusName": "New", "PriorityName": "Medium", "OpenDate": "2024-03-01T09:00:00",
        "ContactEmail": format!("user{id}@contoso.example"),
    }))
    .expect("json")
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn serve(router: axum::Router, cancel: &CancellationToken) -> anyhow::Result<String> {
    let bound = omega_stack::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = bound.addr;
    let c = cancel.clone();
    tokio::spawn(async move {
        omega_stack::serve(bound.listener, router, c, Duration::from_secs(1)).await
    });
    Ok(format!("http://{addr}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let cancel = CancellationToken::new();
    let tenant = TenantId::parse("bench").map_err(|e| anyhow::anyhow!(e.message))?;
    let store = EmbeddedStore::open(dir.path())?;

    let context = if args.no_context {
        None
    } else {
        let state = Arc::new(omega_context::ContextState {
            kv: Arc::new(store.clone()),
            vectors: Arc::new(store.clone()),
            max_value_bytes: 1 << 20,
            embedder: omega_context::Embedder,
        });
        let app = omega_context::app(
            state,
            TenantPolicy::new([tenant.clone()]),
            &McpOptions::default(),
            cancel.clone(),
        );
        let url = serve(app.into_router(), &cancel).await?;
        Some(Arc::new(McpClient::connect(&format!("{url}/mcp")).await?))
    };

    let mut ingest = IngestConfig::default();
    let secrets = TenantSecrets {
        kaseya_secret: Some(SECRET.into()),
        ..TenantSecrets::default()
    };
    ingest.tenants.insert(tenant.clone(), secrets.clone());
    let prefix = format!("omega:bench:{}", uuid::Uuid::new_v4().simple());
    let cfg = PipelineConfig {
        ingest,
        capacity: CapacityOverrides {
            polling_interval_ms: Some(args.polling_ms),
            ..CapacityOverrides::default()
        },
        redis_url: args.redis.clone(),
        redis_key_prefix: prefix.clone(),
        ..PipelineConfig::default()
    };
    let queue_backend = match args.backend.as_str() {
        "embedded" => QueueBackend::Embedded,
        "redis" => QueueBackend::RedisStreams,
        other => anyhow::bail!("unknown backend {other}"),
    };
    let teams = TeamsConfig {
        queue_backend,
        ..TeamsConfig::default()
    };
    let queue = open_queue(&cfg, &teams, dir.path())
        .await
        .context("opening the queue")?;
    let (classifier, _) = load_or_bootstrap(dir.path())?;
    let pipeline = Pipeline::new(PipelineDeps {
        config: cfg,
        teams,
        queue: queue.clone(),
        results: Arc::new(store.clone()),
        classifier: std::sync::Arc::new(std::sync::RwLock::new(classifier)),
        context,
        orchestrator: None,
        pseudonym_secret: b"bench pseudonym secret of at least 32 bytes".to_vec(),
    })?;
    let base = serve(pipeline.ingest_app().into_router(), &cancel).await?;
    let url = format!("{base}/ingest/kaseya-bms/{tenant}");
    let client = WebhookClient::default();
    let post = move |id: u64| {
        let client = client.clone();
        let url = url.clone();
        let secrets = secrets.clone();
        async move {
            let b = body(id);
            let h = signed_headers(SourcePlatform::KaseyaBms, &secrets, &b, chrono::Utc::now());
            let t = Instant::now();
            let (status, _) = client
                .post(&url, Some("application/json"), &h, b.into())
                .await?;
            anyhow::ensure!(status == 202, "HTTP {status}");
            Ok::<Duration, anyhow::Error>(t.elapsed())
        }
    };

    // 1. Unloaded acknowledgement latency (no workers running).
    let mut lat = Vec::new();
    for i in 0..args.ack_samples {
        lat.push(post(1_000_000 + i).await?);
    }
    lat.sort();
    println!(
        "backend={} ack latency, sequential, {} posts: p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        args.backend,
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );

    // 2. Throughput: the backlog above plus `tickets` posted concurrently while the workers run.
    let total = args.ack_samples + args.tickets;
    let running = pipeline.start(&cancel);
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut senders = Vec::new();
    for _ in 0..args.concurrency {
        let next = next.clone();
        let post = post.clone();
        let n = args.tickets;
        senders.push(tokio::spawn(async move {
            let mut l = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(l);
                }
                l.push(post(i).await?);
            }
        }));
    }
    let mut loaded = Vec::new();
    for s in senders {
        loaded.extend(s.await??);
    }
    let posted_in = started.elapsed();
    loaded.sort();
    let mut last_report = Instant::now();
    loop {
        let out = queue.depth(queues::AUTO_ACTION).await?;
        let review = queue.depth(queues::NEEDS_REVIEW).await?;
        let done = out.ready + review.ready;
        if done >= total {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            eprintln!(
                "  {done}/{total} published after {:.1} s; workers {:?}",
                started.elapsed().as_secs_f64(),
                pipeline.capacity().snapshot()
            );
            last_report = Instant::now();
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "timed out with {done}/{total}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "backend={} ack latency under load ({} senders, {} posts in {:.2} s = {:.0}/s): p50 {:.3} ms  p99 {:.3} ms",
        args.backend,
        args.concurrency,
        loaded.len(),
        posted_in.as_secs_f64(),
        loaded.len() as f64 / posted_in.as_secs_f64(),
        pct(&loaded, 0.5),
        pct(&loaded, 0.99)
    );
    println!(
        "backend={} context={} end-to-end: {total} tickets webhook -> stored result -> published in {:.2} s = {:.0} tickets/s (peak triage workers {})",
        args.backend,
        !args.no_context,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        pipeline
            .capacity()
            .series("triage")
            .iter()
            .map(|(_, r)| *r)
            .max()
            .unwrap_or(0)
    );
    running.stop().await;
    cancel.cancel();
    if args.backend == "redis" {
        let q = RedisQueue::connect(RedisQueueConfig {
            url: args.redis,
            key_prefix: prefix,
            ..RedisQueueConfig::default()
        })
        .await?;
        for name in [
            queues::RAW,
            queues::NORMALIZED,
            queues::TRIAGE,
            queues::CLASSIFY,
            queues::AUTO_ACTION,
            queues::NEEDS_REVIEW,
        ] {
            q.purge(name).await?;
        }
    }
    Ok(())
}
