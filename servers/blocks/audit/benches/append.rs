//! Append throughput with the background group commit.
//!
//! Run: `cargo bench -p omega-audit --bench append`

use std::sync::Arc;
use std::time::Instant;

use omega_audit::{AuditConfig, AuditEvent, AuditLog, HeadConfig, LocalBlobStore, Outcome};
use omega_protocol::{ErrorCode, TenantId};

fn event(i: u64) -> AuditEvent {
    AuditEvent::new(
        "spiffe://omega.local/ns/prod/sa/triage",
        "tool.call",
        format!("ticket.get/T{i}"),
    )
    .tenant(TenantId::parse("acme").unwrap())
    .outcome(if i.is_multiple_of(10) {
        Outcome::Denied {
            code: ErrorCode::FORBIDDEN,
        }
    } else {
        Outcome::Ok
    })
    .details(serde_json::json!({"ticket": format!("INC{i:07}"), "latencyMs": i % 97}))
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!(
        "appends queued to the writer thread, group-committed (WAL fsync + signed head), \
         1,000 records per segment:"
    );
    for threads in [1u64, 4, 16, 64] {
        let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let dir = root.path().join("audit");
        let store = Arc::new(LocalBlobStore::new(dir.join("sealed")));
        let cfg = AuditConfig::new(dir.join("wal")).signed(HeadConfig::new(
            root.path().join("audit.head"),
            root.path().join("audit.key"),
        ));
        let log = rt.block_on(AuditLog::open(store, cfg)).unwrap();
        let per_thread = (4_000 / threads).max(200);
        let start = Instant::now();
        let append_ns = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..threads {
                let log = log.clone();
                let append_ns = &append_ns;
                s.spawn(move || {
                    for i in 0..per_thread {
                        let t0 = Instant::now();
                        log.append(event(t * 1_000_000 + i)).unwrap();
                        append_ns.fetch_add(
                            t0.elapsed().as_nanos() as u64,
                            std::sync::atomic::Ordering::Relaxed,
                        );
                    }
                });
            }
        });
        log.flush_blocking().unwrap();
        let secs = start.elapsed().as_secs_f64();
        let total = threads * per_thread;
        let seal_start = Instant::now();
        let sealed = rt.block_on(log.seal()).unwrap();
        println!(
            "  {threads:>3} threads: {total} appends durable in {secs:.2}s = {:.0} appends/s \
             ({:.1} µs mean append call); final seal of {sealed} segment(s) {:.1} ms",
            total as f64 / secs,
            append_ns.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e3 / total as f64,
            seal_start.elapsed().as_secs_f64() * 1e3,
        );
        rt.block_on(log.close()).unwrap();
        let report = omega_audit::verify_trail(
            &dir,
            &root.path().join("audit.head"),
            &root.path().join("audit.key"),
            false,
        )
        .unwrap();
        assert!(report.is_ok(), "{report}");
    }
}
