//! Appending, sealing, crash recovery.

use std::sync::Arc;
use std::time::Duration;

use omega_audit::{
    AuditConfig, AuditLog, AuditSink, LocalBlobStore, SEALED_DIR, WAL_DIR, verify_dir,
};

use crate::event;

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
    let dir = tempfile::tempdir().unwrap();
    {
        let log = AuditLog::open_local(dir.path()).await.unwrap();
        log.append(event(1)).unwrap();
        log.seal().await.unwrap();
        log.append(event(2)).unwrap();
    }
    let log = AuditLog::open_local(dir.path()).await.unwrap();
    assert_eq!(log.append(event(3)).unwrap(), 3);
    let report = verify_dir(dir.path()).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.records, report.open_records), (3, 2));
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
    let dir = tempfile::tempdir().unwrap();
    let sink: Arc<dyn AuditSink> = Arc::new(AuditLog::open_local(dir.path()).await.unwrap());
    assert_eq!(sink.record(event(1)).await.unwrap(), 1);
    let mem = omega_audit::MemoryAuditSink::new();
    assert_eq!(mem.record(event(1)).await.unwrap(), 1);
    assert_eq!(mem.events(), [event(1)]);
}
