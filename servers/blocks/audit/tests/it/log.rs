//! Appending, sealing, crash recovery.

use std::sync::Arc;
use std::time::Duration;

use omega_audit::{
    AuditConfig, AuditError, AuditLog, AuditSink, HeadConfig, HeadFile, HeadKey, LocalBlobStore,
    SEALED_DIR, WAL_DIR, verify_dir, verify_trail,
};

use crate::{Trail, event};

async fn small_log(dir: &std::path::Path, per_segment: usize) -> AuditLog {
    let store = Arc::new(LocalBlobStore::new(dir.join(SEALED_DIR)));
    let mut cfg = AuditConfig::new(dir.join(WAL_DIR));
    cfg.segment_max_records = per_segment;
    AuditLog::open(store, cfg).await.unwrap()
}

#[tokio::test]
async fn appends_seal_into_chained_segments_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let log = small_log(dir.path(), 10).await;
    for i in 1..=25 {
        assert_eq!(log.append(event(i)).unwrap(), i);
    }
    // Two segments froze on the way; seal uploads them and the open one.
    assert_eq!(log.seal().await.unwrap(), 3);
    let names = log.store().list("segments/").await.unwrap();
    assert_eq!(
        names,
        [
            "segments/00000000000000000001.jsonl",
            "segments/00000000000000000011.jsonl",
            "segments/00000000000000000021.jsonl",
        ]
    );
    let report = verify_dir(dir.path()).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        (report.segments, report.records, report.head.seq),
        (3, 25, 25)
    );
    assert_eq!(report.head, log.head().unwrap());
    assert!(
        report.to_string().starts_with("OK: 3 segments, 25 records"),
        "{report}"
    );
}

#[tokio::test]
async fn concurrent_appends_get_unique_gapless_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let log = small_log(dir.path(), 50).await;
    let mut handles = Vec::new();
    for t in 0..8 {
        let log = log.clone();
        handles.push(std::thread::spawn(move || {
            (0..40)
                .map(|i| log.append(event(t * 100 + i)).unwrap())
                .collect::<Vec<_>>()
        }));
    }
    let mut seqs: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=320).collect::<Vec<_>>());
    log.seal().await.unwrap();
    let report = verify_dir(dir.path()).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 320);
    // Racing appenders must not freeze a segment twice: 6 full segments + 1.
    assert_eq!(report.segments, 7, "{report}");
}

#[tokio::test]
async fn acknowledged_records_survive_a_crash_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = small_log(dir.path(), 10).await;
        for i in 1..=15 {
            log.append(event(i)).unwrap();
        }
        // "Crash": drop without sealing. Segment 1 is frozen but not uploaded,
        // records 11-15 are only in the WAL.
    }
    // A torn write at the end of the WAL (never acknowledged) is cut off.
    let wal = dir.path().join(WAL_DIR).join("00000000000000000011.wal");
    let mut f = std::fs::OpenOptions::new().append(true).open(&wal).unwrap();
    std::io::Write::write_all(&mut f, br#"{"seq":16,"at":"2024-"#).unwrap();
    drop(f);

    let log = small_log(dir.path(), 10).await;
    // Opening uploaded the frozen segment.
    assert_eq!(log.store().list("segments/").await.unwrap().len(), 1);
    assert_eq!(log.head().unwrap().seq, 15);
    assert_eq!(log.append(event(16)).unwrap(), 16);
    log.seal().await.unwrap();
    let report = verify_dir(dir.path()).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.records, report.segments), (16, 2));
}

#[tokio::test]
async fn reopening_after_seal_continues_without_duplicates() {
    let t = Trail::new();
    {
        let log = t.open().await;
        log.append(event(1)).unwrap();
        log.seal().await.unwrap();
        log.append(event(2)).unwrap();
        // Dropping the last handle writes what was appended.
    }
    let log = t.open().await;
    assert_eq!(log.append(event(3)).unwrap(), 3);
    log.flush().await.unwrap();
    let report = t.verify();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.records, report.open_records), (3, 2));
    assert_eq!(report.signed_head, Some(log.head().unwrap()));
}

#[tokio::test]
async fn old_segments_are_sealed_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalBlobStore::new(dir.path().join(SEALED_DIR)));
    let mut cfg = AuditConfig::new(dir.path().join(WAL_DIR));
    cfg.segment_max_age = Duration::from_millis(50);
    let log = AuditLog::open(store, cfg).await.unwrap();
    assert_eq!(log.tick().await.unwrap(), 0, "nothing to seal yet");
    log.record(event(1)).await.unwrap();
    assert_eq!(log.tick().await.unwrap(), 0, "not old enough");
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(log.tick().await.unwrap(), 1);
    let sealer = log.spawn_sealer(Duration::from_millis(20));
    log.record(event(2)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    sealer.abort();
    assert_eq!(log.store().list("segments/").await.unwrap().len(), 2);
}

#[tokio::test]
async fn sink_is_object_safe() {
    let t = Trail::new();
    let sink: Arc<dyn AuditSink> = Arc::new(t.open().await);
    assert_eq!(sink.record(event(1)).await.unwrap(), 1);
    // `record` returns once the record is durable and signed.
    assert_eq!(t.wal_lines(), 1);
    assert_eq!(t.signed_head().seq, 1);
    let mem = omega_audit::MemoryAuditSink::new();
    assert_eq!(mem.record(event(1)).await.unwrap(), 1);
    assert_eq!(mem.events(), [event(1)]);
}

#[tokio::test]
async fn append_queues_flush_makes_durable_and_close_seals() {
    let t = Trail::new();
    let log = t.open().await;
    for i in 1..=100 {
        assert_eq!(log.append(event(i)).unwrap(), i);
    }
    let head = log.flush().await.unwrap();
    assert_eq!(head, log.head().unwrap());
    assert_eq!(head.seq, 100);
    assert_eq!(t.wal_lines(), 100);
    assert_eq!(t.signed_head(), head);

    log.append(event(101)).unwrap();
    let closed = log.close().await.unwrap();
    assert_eq!(closed.seq, 101);
    assert_eq!(t.signed_head(), closed);
    // Everything is sealed; the WAL holds nothing.
    assert_eq!(t.wal_lines(), 0);
    assert!(matches!(log.append(event(102)), Err(AuditError::Closed)));
    assert!(matches!(
        log.record(event(102)).await,
        Err(AuditError::Closed)
    ));
    let report = t.verify();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.records, report.open_records), (101, 0));
    drop(log);
    // The log can be opened again after close.
    let log = t.open().await;
    assert_eq!(log.append(event(102)).unwrap(), 102);
}

#[test]
fn flush_blocking_works_outside_a_runtime() {
    let t = Trail::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let log = rt.block_on(t.open());
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let log = log.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    log.append(event(k * 100 + i)).unwrap();
                }
                log.flush_blocking().unwrap()
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(log.flush_blocking().unwrap().seq, 200);
    assert_eq!(t.wal_lines(), 200);
    assert_eq!(t.signed_head().seq, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_append_concurrently_into_one_chain() {
    let t = Trail::new();
    // Small segments, so group commits cross segment boundaries.
    let log = t.open_with(|cfg| cfg.segment_max_records = 37).await;
    let sealer = log.spawn_sealer(Duration::from_millis(5));
    let mut tasks = Vec::new();
    for k in 0..16u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..100u64 {
                let e = event(k * 1_000 + i);
                // Half fire-and-forget, half waiting for durability.
                let seq = if i.is_multiple_of(2) {
                    log.append(e).unwrap()
                } else {
                    log.record(e).await.unwrap()
                };
                seqs.push(seq);
                if i.is_multiple_of(25) {
                    tokio::task::yield_now().await;
                }
            }
            seqs
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.extend(task.await.unwrap());
    }
    sealer.abort();
    let _ = sealer.await;
    let head = log.close().await.unwrap();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=1600).collect::<Vec<_>>());
    assert_eq!(head.seq, 1600);
    let report = t.verify();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 1600);
    assert_eq!(report.head, head);
    assert!(report.segments >= 1600 / 37, "{report}");
}

#[tokio::test]
async fn a_second_open_of_the_same_log_is_refused() {
    let t = Trail::new();
    let log = t.open().await;
    let err = AuditLog::open_local(&t.dir(), t.head_config())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("already open"), "{err}");
    drop(log);
    t.open().await;
}

#[tokio::test]
async fn the_head_and_key_must_be_outside_the_audit_directory() {
    let t = Trail::new();
    for cfg in [
        HeadConfig::new(t.dir().join("audit.head"), t.key()),
        HeadConfig::new(t.head(), t.dir().join("wal/audit.key")),
    ] {
        let err = AuditLog::open_local(&t.dir(), cfg)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("inside the audit directory"), "{err}");
    }
}

#[tokio::test]
async fn open_refuses_a_trail_cut_before_its_head() {
    let t = Trail::new();
    {
        let log = t.open().await;
        for i in 1..=5 {
            log.append(event(i)).unwrap();
        }
        log.flush().await.unwrap();
    }
    std::fs::remove_dir_all(t.dir().join(WAL_DIR)).unwrap();
    let err = AuditLog::open_local(&t.dir(), t.head_config())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the trail ends at seq 0") && err.contains("were removed"),
        "{err}"
    );
    // Refusing did not overwrite the evidence.
    assert_eq!(t.signed_head().seq, 5);
}

#[tokio::test]
async fn open_refuses_a_missing_or_forged_head_unless_adopting() {
    let t = Trail::new();
    {
        let log = t.open().await;
        log.append(event(1)).unwrap();
        log.flush().await.unwrap();
    }
    let signed = std::fs::read_to_string(t.head()).unwrap();
    std::fs::write(t.head(), signed.replace("\"seq\":1", "\"seq\":0")).unwrap();
    let err = AuditLog::open_local(&t.dir(), t.head_config())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad signature"), "{err}");

    std::fs::remove_file(t.head()).unwrap();
    let err = AuditLog::open_local(&t.dir(), t.head_config())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no signed head"), "{err}");
    let mut adopt = t.head_config();
    adopt.adopt_unsigned = true;
    let log = AuditLog::open_local(&t.dir(), adopt).await.unwrap();
    assert_eq!(t.signed_head().seq, 1);
    drop(log);
    assert!(t.verify().is_ok());
}

#[tokio::test]
async fn records_written_after_the_last_head_update_are_tolerated_and_signed_on_open() {
    let t = Trail::new();
    let log = t.open().await;
    for i in 1..=5 {
        log.append(event(i)).unwrap();
    }
    log.flush().await.unwrap();
    let old_head = std::fs::read(t.head()).unwrap();
    log.append(event(6)).unwrap();
    log.append(event(7)).unwrap();
    log.flush().await.unwrap();
    drop(log);
    // A crash after the WAL fsync but before the head rename looks like this.
    std::fs::write(t.head(), old_head).unwrap();
    let report = t.verify();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.unsigned_records, 2);
    assert!(
        report.to_string().contains("2 newest record(s)"),
        "{report}"
    );
    // Opening signs them.
    drop(t.open().await);
    let report = t.verify();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.unsigned_records, report.head.seq), (0, 7));
}

#[tokio::test]
async fn a_head_is_written_at_first_open() {
    let t = Trail::new();
    drop(t.open().await);
    assert_eq!(t.signed_head().seq, 0);
    let (key, created) = HeadKey::load_or_create(&t.key()).unwrap();
    assert!(!created);
    assert_eq!(HeadFile::new(t.head(), key).read().unwrap().unwrap().seq, 0);
    let report = verify_trail(&t.dir(), &t.head(), &t.key(), false).unwrap();
    assert!(report.is_ok(), "{report}");
}
