//! Throughput and latency of a queue backend.
//!
//! ```text
//! cargo run --release -p omega-queue --example queue_bench -- --backend embedded
//! cargo run --release -p omega-queue --example queue_bench -- --backend redis --url redis://127.0.0.1:6379
//! ```
//!
//! Phase 1 (enqueue): `--concurrency` producers each send single `enqueue` calls; prints the
//! throughput and p50/p99 latency of one call (each returns only once the message is durable).
//! Phase 2 (end to end): producers enqueue while `--consumers` workers `lease` batches of
//! `--batch` and `ack` every message (acks of a batch in parallel); prints completed cycles/s.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use omega_queue::{EmbeddedQueue, Message, Queue, QueueSettings, RedisQueue, RedisQueueConfig};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Backend {
    Embedded,
    Redis,
}

#[derive(Parser, Debug)]
struct Args {
    /// Backend to measure.
    #[arg(long, value_enum, default_value = "embedded")]
    backend: Backend,
    /// Messages per phase.
    #[arg(long, default_value_t = 20_000)]
    messages: usize,
    /// Concurrent producers.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Concurrent consumers in phase 2.
    #[arg(long, default_value_t = 4)]
    consumers: usize,
    /// Lease batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 512)]
    payload_bytes: usize,
    /// Redis URL (redis backend).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    url: String,
    /// Data directory parent for the embedded backend (must be on a real disk to measure fsync).
    #[arg(long, default_value = "target")]
    dir: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (q, tmp, redis): (Arc<dyn Queue>, _, _) = match args.backend {
        Backend::Embedded => {
            std::fs::create_dir_all(&args.dir)?;
            let tmp = tempfile::Builder::new()
                .prefix("queue-bench-")
                .tempdir_in(&args.dir)?;
            let q = EmbeddedQueue::open(tmp.path(), QueueSettings::default())?;
            (Arc::new(q), Some(tmp), None)
        }
        Backend::Redis => {
            let cfg = RedisQueueConfig {
                url: args.url.clone(),
                key_prefix: "omega-bench:q".into(),
                queues: QueueSettings {
                    default: omega_queue::QueueOptions {
                        dedupe_window_secs: Some(300),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                ..Default::default()
            };
            let q = Arc::new(RedisQueue::connect(cfg).await?);
            (q.clone() as Arc<dyn Queue>, None, Some(q))
        }
    };
    let payload = serde_json::json!({ "body": "x".repeat(args.payload_bytes) });
    println!(
        "backend={:?} messages={} producers={} consumers={} batch={} payload={}B",
        args.backend,
        args.messages,
        args.concurrency,
        args.consumers,
        args.batch,
        args.payload_bytes
    );

    // Phase 1: enqueue only.
    let enq_queue = format!("bench-enq-{run}");
    let t0 = Instant::now();
    let mut lat = produce(&q, &enq_queue, &args, &payload, "e").await?;
    let secs = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "enqueue: {:.0} msg/s ({} in {:.2}s); latency p50={:.2}ms p99={:.2}ms max={:.2}ms",
        args.messages as f64 / secs,
        args.messages,
        secs,
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO))
    );

    // Phase 2: enqueue -> lease -> ack, concurrently.
    let e2e_queue = format!("bench-e2e-{run}");
    let done = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut consumers = Vec::new();
    for c in 0..args.consumers {
        let (q, name, done, n, batch) = (
            q.clone(),
            e2e_queue.clone(),
            done.clone(),
            args.messages,
            args.batch,
        );
        consumers.push(tokio::spawn(async move {
            let consumer = format!("c{c}");
            while done.load(Ordering::Relaxed) < n {
                let leases = q
                    .lease(&name, &consumer, batch, Duration::from_secs(60))
                    .await?;
                if leases.is_empty() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                let acks = leases.iter().map(|l| q.ack(l));
                for r in futures::future::join_all(acks).await {
                    r?;
                }
                done.fetch_add(leases.len(), Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    produce(&q, &e2e_queue, &args, &payload, "p").await?;
    for c in consumers {
        c.await??;
    }
    let secs = t0.elapsed().as_secs_f64();
    let stats = q.depth(&e2e_queue).await?;
    println!(
        "end-to-end (enqueue+lease+ack): {:.0} cycles/s ({} in {:.2}s); left ready={} leased={}",
        args.messages as f64 / secs,
        args.messages,
        secs,
        stats.ready,
        stats.leased
    );

    if let Some(r) = redis {
        r.purge(&enq_queue).await?;
        r.purge(&e2e_queue).await?;
    }
    drop(q);
    drop(tmp);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Enqueues `args.messages` messages from `args.concurrency` tasks; returns every call's latency.
async fn produce(
    q: &Arc<dyn Queue>,
    queue: &str,
    args: &Args,
    payload: &serde_json::Value,
    tag: &str,
) -> anyhow::Result<Vec<Duration>> {
    let per = args.messages.div_ceil(args.concurrency);
    let mut tasks = Vec::new();
    for p in 0..args.concurrency {
        let (q, queue, payload, tag) =
            (q.clone(), queue.to_owned(), payload.clone(), tag.to_owned());
        let range = (p * per)..((p + 1) * per).min(args.messages);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(range.len());
            for i in range {
                let m = Message::new(format!("{tag}{i}"), "tenant-bench", payload.clone());
                let t = Instant::now();
                q.enqueue(&queue, m).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::with_capacity(args.messages);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}
