//! Hand-edited files: every kind of tampering is found and located.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use omega_audit::segment::{encode, segment_name};
use omega_audit::{
    AuditConfig, AuditLog, AuditRecord, LocalBlobStore, Problem, SEALED_DIR, Verifier, WAL_DIR,
    verify_dir,
};

use crate::event;

const SEG1: &str = "segments/00000000000000000001.jsonl";
const SEG2: &str = "segments/00000000000000000006.jsonl";
const SEG3: &str = "segments/00000000000000000011.jsonl";

/// A log with three sealed segments of five records (seq 1-15) and two open
/// records (16, 17) in the WAL.
async fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalBlobStore::new(dir.path().join(SEALED_DIR)));
    let mut cfg = AuditConfig::new(dir.path().join(WAL_DIR));
    cfg.segment_max_records = 5;
    let log = AuditLog::open(store, cfg).await.unwrap();
    for i in 1..=15 {
        log.append(event(i)).unwrap();
    }
    log.seal().await.unwrap();
    log.append(event(16)).unwrap();
    log.append(event(17)).unwrap();
    let report = verify_dir(dir.path()).unwrap();
    assert!(report.is_ok(), "{report}");
    dir
}

fn seg_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(SEALED_DIR).join(name)
}

/// Rewrites the lines of a sealed segment (sealed files are read-only).
fn edit(dir: &Path, name: &str, f: impl FnOnce(&mut Vec<String>)) {
    let path = seg_path(dir, name);
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    f(&mut lines);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn record(line: &str) -> AuditRecord {
    serde_json::from_str(line).unwrap()
}

fn problems(dir: &Path) -> Vec<Problem> {
    let report = verify_dir(dir).unwrap();
    assert!(!report.is_ok());
    assert!(report.to_string().starts_with("TAMPERED"), "{report}");
    report.problems
}

#[tokio::test]
async fn edited_record_is_named_by_segment_and_seq() {
    let dir = fixture().await;
    // Line 3 of segment 2 is seq 7 (line 1 is the header).
    edit(dir.path(), SEG2, |l| {
        l[2] = l[2].replace("ticket.get/T7", "ticket.delete/T7")
    });
    let found = problems(dir.path());
    assert_eq!(
        found,
        [Problem::EditedRecord {
            segment: SEG2.into(),
            seq: 7
        }]
    );
    let text = verify_dir(dir.path()).unwrap().to_string();
    assert!(
        text.contains(&format!("{SEG2}: record seq 7 was edited")),
        "{text}"
    );
}

#[tokio::test]
async fn edited_and_rehashed_record_breaks_the_next_link() {
    let dir = fixture().await;
    edit(dir.path(), SEG2, |l| {
        let mut r = record(&l[2]);
        r.actor = "spiffe://omega.local/ns/prod/sa/admin".into();
        r.hash = r.compute_hash();
        l[2] = serde_json::to_string(&r).unwrap();
    });
    let found = problems(dir.path());
    assert_eq!(
        found,
        [Problem::ChainBroken {
            segment: SEG2.into(),
            seq: 8
        }]
    );
}

#[tokio::test]
async fn removed_record_in_the_middle_is_a_gap() {
    let dir = fixture().await;
    edit(dir.path(), SEG2, |l| {
        l.remove(2);
    });
    let found = problems(dir.path());
    assert!(
        found.contains(&Problem::MissingRecords {
            segment: SEG2.into(),
            expected: 7,
            found: 8
        }),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| matches!(p, Problem::BadTrailer { field: "count", .. })),
        "{found:?}"
    );
}

#[tokio::test]
async fn removed_last_record_of_a_segment_is_caught_by_the_trailer() {
    let dir = fixture().await;
    edit(dir.path(), SEG2, |l| {
        l.remove(5); // seq 10, just before the trailer
    });
    let found = problems(dir.path());
    for field in ["lastSeq", "count", "finalHash"] {
        assert!(
            found.iter().any(|p| matches!(p, Problem::BadTrailer { segment, field: f, .. } if segment == SEG2 && *f == field)),
            "{field}: {found:?}"
        );
    }
}

#[tokio::test]
async fn reordered_records_are_out_of_order() {
    let dir = fixture().await;
    edit(dir.path(), SEG2, |l| l.swap(2, 3));
    let found = problems(dir.path());
    assert!(
        found.contains(&Problem::MissingRecords {
            segment: SEG2.into(),
            expected: 7,
            found: 8
        }),
        "{found:?}"
    );
    assert!(
        found.contains(&Problem::OutOfOrder {
            segment: SEG2.into(),
            expected: 9,
            found: 7
        }),
        "{found:?}"
    );
}

#[tokio::test]
async fn removed_segment_is_missing() {
    let dir = fixture().await;
    std::fs::remove_file(seg_path(dir.path(), SEG2)).unwrap();
    let found = problems(dir.path());
    assert_eq!(
        found,
        [Problem::MissingSegment {
            segment: SEG3.into(),
            expected_index: 1,
            found_index: 2
        }]
    );
}

#[tokio::test]
async fn replaced_segment_breaks_the_segment_chain() {
    let dir = fixture().await;
    // A forger rebuilds segment 2 with consistent hashes and a valid trailer.
    let original = std::fs::read_to_string(seg_path(dir.path(), SEG2)).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let mut prev = record(lines[1]).prev_hash;
    let mut forged = Vec::new();
    for line in &lines[1..6] {
        let mut r = record(line);
        r.target = r.target.replace("ticket.get", "ticket.close");
        r.prev_hash = prev;
        r.hash = r.compute_hash();
        prev = r.hash.clone();
        forged.push(r);
    }
    let first_prev = forged[0].prev_hash.clone();
    edit(dir.path(), SEG2, |l| {
        *l = String::from_utf8(encode(1, &first_prev, &forged))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
    });
    let found = problems(dir.path());
    assert_eq!(
        found,
        [Problem::SegmentChainBroken {
            segment: SEG3.into(),
            previous: SEG2.into()
        }]
    );
}

#[tokio::test]
async fn removed_newest_segment_shows_against_the_wal_and_the_head() {
    let dir = fixture().await;
    std::fs::remove_file(seg_path(dir.path(), SEG3)).unwrap();
    let found = problems(dir.path());
    assert_eq!(
        found,
        [Problem::MissingRecords {
            segment: "wal/00000000000000000016.wal".into(),
            expected: 11,
            found: 16
        }]
    );

    // Without the WAL, only a published head shows it.
    let store = LocalBlobStore::new(dir.path().join(SEALED_DIR));
    let mut v = Verifier::new();
    for name in store.list_sync("segments/").unwrap() {
        v.segment(&name, &store.get_sync(&name).unwrap());
    }
    v.expect_head(&omega_audit::Head {
        seq: 15,
        hash: "ab".repeat(32),
    });
    let report = v.finish();
    assert!(
        matches!(report.problems[..], [Problem::HeadMismatch { .. }]),
        "{report}"
    );
}

#[tokio::test]
async fn truncated_and_renamed_segments() {
    let dir = fixture().await;
    edit(dir.path(), SEG1, |l| {
        l.pop();
    });
    let found = problems(dir.path());
    assert_eq!(
        found,
        [Problem::MissingTrailer {
            segment: SEG1.into()
        }]
    );

    let dir = fixture().await;
    let bytes = std::fs::read(seg_path(dir.path(), SEG3)).unwrap();
    std::fs::remove_file(seg_path(dir.path(), SEG3)).unwrap();
    std::fs::write(seg_path(dir.path(), &segment_name(12)), bytes).unwrap();
    let found = problems(dir.path());
    assert_eq!(
        found,
        [Problem::Misnamed {
            segment: segment_name(12),
            expected: SEG3.into()
        }]
    );
}
