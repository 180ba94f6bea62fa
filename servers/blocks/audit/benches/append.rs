//! Append throughput with fsync group commit.
//!
//! Run: `cargo bench -p omega-audit --bench append`

use std::sync::Arc;
use std::time::Instant;

use omega_audit::{AuditConfig, AuditEvent, AuditLog, LocalBlobStore, Outcome};
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
        "fsync-per-batch appends (WAL on the target dir's filesystem), 1,000 records per segment:"
    );
    for threads in [1u64, 4, 16, 64] {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let store = Arc::new(LocalBlobStore::new(dir.path().join("sealed")));
        let log = rt
            .block_on(AuditLog::open(
                store,
                AuditConfig::new(dir.path().join("wal")),
            ))
            .unwrap();
        let per_thread = (4_000 / threads).max(200);
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..threads {
                let log = log.clone();
                s.spawn(move || {
                    for i in 0..per_thread {
                        log.append(event(t * 1_000_000 + i)).unwrap();
                    }
                });
            }
        });
        let secs = start.elapsed().as_secs_f64();
        let total = threads * per_thread;
        let seal_start = Instant::now();
        let sealed = rt.block_on(log.seal()).unwrap();
        println!(
            "  {threads:>3} threads: {total} appends in {secs:.2}s = {:.0} appends/s ({:.0} µs mean latency); final seal of {sealed} segment(s) {:.1} ms",
            total as f64 / secs,
            secs * 1e6 * threads as f64 / total as f64,
            seal_start.elapsed().as_secs_f64() * 1e3,
        );
        let report = omega_audit::verify_dir(dir.path()).unwrap();
        assert!(report.is_ok(), "{report}");
    }
}
