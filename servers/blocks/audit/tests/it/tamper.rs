//! Hand-edited files: every kind of tampering is found and located, by the
//! chain itself or against the signed head.

use std::path::{Path, PathBuf};

use omega_audit::segment::{encode, segment_name};
use omega_audit::{
    AuditRecord, Head, HeadFile, HeadKey, LocalBlobStore, Problem, SEALED_DIR, Verifier, WAL_DIR,
    verify_dir, verify_trail,
};

use crate::{Trail, event};

const SEG1: &str = "segments/00000000000000000001.jsonl";
const SEG2: &str = "segments/00000000000000000006.jsonl";
const SEG3: &str = "segments/00000000000000000011.jsonl";

/// A signed log with three sealed segments of five records (seq 1-15) and
/// two open records (16, 17) in the WAL, closed without sealing those.
async fn fixture() -> Fixture {
    let trail = Trail::new();
    let log = trail.open_with(|cfg| cfg.segment_max_records = 5).await;
    for i in 1..=15 {
        log.append(event(i)).unwrap();
    }
    log.seal().await.unwrap();
    log.append(event(16)).unwrap();
    log.append(event(17)).unwrap();
    log.flush().await.unwrap();
    drop(log);
    let report = trail.verify();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.signed_head.as_ref().map(|h| h.seq), Some(17));
    Fixture { trail }
}

struct Fixture {
    trail: Trail,
}

impl Fixture {
    /// The audit directory.
    fn path(&self) -> PathBuf {
        self.trail.dir()
    }
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

/// What `omega audit verify` finds in the trail whose audit directory is `dir`
/// (the head and key beside it).
fn problems(dir: &Path) -> Vec<Problem> {
    let root = dir.parent().unwrap();
    let report = verify_trail(
        dir,
        &root.join("audit.head"),
        &root.join("audit.key"),
        false,
    )
    .unwrap();
    assert!(!report.is_ok());
    assert!(report.to_string().starts_with("TAMPERED"), "{report}");
    report.problems
}

/// The report text for the trail of `f`.
fn text(f: &Fixture) -> String {
    f.trail.verify().to_string()
}

#[tokio::test]
async fn edited_record_is_named_by_segment_and_seq() {
    let f = fixture().await;
    // Line 3 of segment 2 is seq 7 (line 1 is the header).
    edit(&f.path(), SEG2, |l| {
        l[2] = l[2].replace("ticket.get/T7", "ticket.delete/T7")
    });
    let found = problems(&f.path());
    assert_eq!(
        found,
        [Problem::EditedRecord {
            segment: SEG2.into(),
            seq: 7
        }]
    );
    let text = text(&f);
    assert!(
        text.contains(&format!("{SEG2}: record seq 7 was edited")),
        "{text}"
    );
    // The chain alone (no head) finds it as well.
    let legacy = verify_dir(&f.path()).unwrap();
    assert_eq!(legacy.problems, found);
}

#[tokio::test]
async fn edited_and_rehashed_record_breaks_the_next_link() {
    let f = fixture().await;
    edit(&f.path(), SEG2, |l| {
        let mut r = record(&l[2]);
        r.actor = "spiffe://omega.local/ns/prod/sa/admin".into();
        r.hash = r.compute_hash();
        l[2] = serde_json::to_string(&r).unwrap();
    });
    let found = problems(&f.path());
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
    let f = fixture().await;
    edit(&f.path(), SEG2, |l| {
        l.remove(2);
    });
    let found = problems(&f.path());
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
    let f = fixture().await;
    edit(&f.path(), SEG2, |l| {
        l.remove(5); // seq 10, just before the trailer
    });
    let found = problems(&f.path());
    for field in ["lastSeq", "count", "finalHash"] {
        assert!(
            found.iter().any(|p| matches!(p, Problem::BadTrailer { segment, field: f, .. } if segment == SEG2 && *f == field)),
            "{field}: {found:?}"
        );
    }
}

#[tokio::test]
async fn reordered_records_are_out_of_order() {
    let f = fixture().await;
    edit(&f.path(), SEG2, |l| l.swap(2, 3));
    let found = problems(&f.path());
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
    let f = fixture().await;
    std::fs::remove_file(seg_path(&f.path(), SEG2)).unwrap();
    let found = problems(&f.path());
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
    let f = fixture().await;
    // A forger rebuilds segment 2 with consistent hashes and a valid trailer.
    let original = std::fs::read_to_string(seg_path(&f.path(), SEG2)).unwrap();
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
    edit(&f.path(), SEG2, |l| {
        *l = String::from_utf8(encode(1, &first_prev, &forged))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
    });
    let found = problems(&f.path());
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
    let f = fixture().await;
    std::fs::remove_file(seg_path(&f.path(), SEG3)).unwrap();
    let found = problems(&f.path());
    assert_eq!(
        found,
        [Problem::MissingRecords {
            segment: "wal/00000000000000000016.wal".into(),
            expected: 11,
            found: 16
        }]
    );

    // Without the WAL, only a published head shows it.
    let store = LocalBlobStore::new(f.path().join(SEALED_DIR));
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
    let f = fixture().await;
    edit(&f.path(), SEG1, |l| {
        l.pop();
    });
    let found = problems(&f.path());
    assert_eq!(
        found,
        [Problem::MissingTrailer {
            segment: SEG1.into()
        }]
    );

    let f = fixture().await;
    let bytes = std::fs::read(seg_path(&f.path(), SEG3)).unwrap();
    std::fs::remove_file(seg_path(&f.path(), SEG3)).unwrap();
    std::fs::write(seg_path(&f.path(), &segment_name(12)), bytes).unwrap();
    let found = problems(&f.path());
    assert_eq!(
        found,
        [Problem::Misnamed {
            segment: segment_name(12),
            expected: SEG3.into()
        }]
    );
}

/// Removes the last `n` lines of the open WAL file.
fn cut_wal(f: &Fixture, n: usize) {
    let path = f.path().join(WAL_DIR).join("00000000000000000016.wal");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kept = &lines[..lines.len() - n];
    let body = if kept.is_empty() {
        String::new()
    } else {
        kept.join("\n") + "\n"
    };
    std::fs::write(&path, body).unwrap();
}

/// The one problem of `found` is a head mismatch: trail ends at `end`, head is 17.
fn assert_cut_at(found: &[Problem], end: u64) {
    match found {
        [Problem::HeadMismatch { expected, found }] => {
            assert_eq!((expected.seq, found.seq), (17, end));
        }
        other => panic!("expected one head mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn clean_signed_trail_passes() {
    let f = fixture().await;
    let report = f.trail.verify();
    assert!(report.is_ok(), "{report}");
    assert_eq!(
        (report.segments, report.records, report.open_records),
        (3, 17, 2)
    );
    assert_eq!(report.unsigned_records, 0);
    assert!(
        report
            .to_string()
            .contains("matches the signed head (seq 17)"),
        "{report}"
    );
}

#[tokio::test]
async fn newest_records_cut_from_the_wal_fall_short_of_the_head() {
    let f = fixture().await;
    cut_wal(&f, 1);
    assert_cut_at(&problems(&f.path()), 16);
    let text = text(&f);
    assert!(
        text.contains("the trail ends at seq 16")
            && text.contains("signed head is seq 17")
            && text.contains("(seq 17..=17) were removed"),
        "{text}"
    );
}

#[tokio::test]
async fn removed_wal_falls_short_of_the_head() {
    let f = fixture().await;
    std::fs::remove_dir_all(f.path().join(WAL_DIR)).unwrap();
    assert_cut_at(&problems(&f.path()), 15);
    assert!(
        text(&f).contains("newest segments or the WAL"),
        "{}",
        text(&f)
    );
}

#[tokio::test]
async fn removed_newest_segment_and_wal_fall_short_of_the_head() {
    let f = fixture().await;
    std::fs::remove_file(seg_path(&f.path(), SEG3)).unwrap();
    std::fs::remove_dir_all(f.path().join(WAL_DIR)).unwrap();
    assert_cut_at(&problems(&f.path()), 10);
    // The chain alone cannot see it: this is what the head is for.
    assert!(verify_dir(&f.path()).unwrap().is_ok());
}

#[tokio::test]
async fn emptied_or_removed_directory_is_named() {
    let f = fixture().await;
    std::fs::remove_dir_all(f.path()).unwrap();
    std::fs::create_dir_all(f.path()).unwrap();
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::TrailEmpty { head }] if head.seq == 17),
        "{found:?}"
    );
    assert!(
        text(&f).contains("the audit directory was emptied or removed"),
        "{}",
        text(&f)
    );
    std::fs::remove_dir_all(f.path()).unwrap();
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::TrailEmpty { head }] if head.seq == 17),
        "{found:?}"
    );
}

#[tokio::test]
async fn forged_head_is_refused() {
    let f = fixture().await;
    let head = f.trail.head();
    let signed = std::fs::read_to_string(&head).unwrap();
    // Claim a shorter trail (to hide a cut), keeping the MAC.
    cut_wal(&f, 2);
    let forged = signed.replace("\"seq\":17", "\"seq\":15");
    assert_ne!(forged, signed);
    std::fs::write(&head, &forged).unwrap();
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::HeadInvalid { reason, .. }] if reason.contains("forged")),
        "{found:?}"
    );
    assert!(
        text(&f).contains("the signed head is invalid: bad signature"),
        "{}",
        text(&f)
    );

    // A head signed with another key.
    let (other, _) = HeadKey::load_or_create(&f.trail.root().join("other.key")).unwrap();
    let end = verify_dir(&f.path()).unwrap().head;
    HeadFile::new(&head, other).write(&end).unwrap();
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::HeadInvalid { reason, .. }] if reason.contains("bad signature")),
        "{found:?}"
    );

    // Garbage.
    std::fs::write(&head, "{}").unwrap();
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::HeadInvalid { reason, .. }] if reason.contains("unreadable")),
        "{found:?}"
    );
}

#[tokio::test]
async fn missing_head_is_an_error_unless_verifying_a_legacy_trail() {
    let f = fixture().await;
    std::fs::remove_file(f.trail.head()).unwrap();
    let found = problems(&f.path());
    assert_eq!(
        found,
        [Problem::HeadMissing {
            path: f.trail.head().display().to_string(),
            records: 17
        }]
    );
    assert!(text(&f).contains("no signed head"), "{}", text(&f));
    let legacy = verify_trail(&f.path(), &f.trail.head(), &f.trail.key(), true).unwrap();
    assert!(legacy.is_ok(), "{legacy}");
    assert!(
        legacy
            .to_string()
            .contains("not checked against a signed head"),
        "{legacy}"
    );

    // Everything removed but the key: the head is still missed.
    std::fs::remove_dir_all(f.path()).unwrap();
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::HeadMissing { records: 0, .. }]),
        "{found:?}"
    );

    // Nothing at all: nothing to verify.
    std::fs::remove_file(f.trail.key()).unwrap();
    assert!(verify_trail(&f.path(), &f.trail.head(), &f.trail.key(), false).is_err());
}

#[tokio::test]
async fn head_without_its_key_cannot_be_trusted() {
    let f = fixture().await;
    std::fs::remove_file(f.trail.key()).unwrap();
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::HeadInvalid { reason, .. }] if reason.contains("key") && reason.contains("missing")),
        "{found:?}"
    );
}

#[tokio::test]
async fn replaced_record_at_the_head_is_named() {
    let f = fixture().await;
    // Rewrite the WAL's last record consistently (valid hash and link).
    let path = f.path().join(WAL_DIR).join("00000000000000000016.wal");
    let wal = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = wal.lines().map(str::to_owned).collect();
    let mut r = record(&lines[1]);
    r.target = "ticket.delete/T17".into();
    r.hash = r.compute_hash();
    lines[1] = serde_json::to_string(&r).unwrap();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    // The chain alone is satisfied.
    assert!(verify_dir(&f.path()).unwrap().is_ok());
    let found = problems(&f.path());
    assert!(
        matches!(&found[..], [Problem::HeadMismatch { expected, found }] if expected.seq == 17 && found.seq == 17 && found.hash == r.hash),
        "{found:?}"
    );
    assert!(
        text(&f).contains("records up to the head were replaced"),
        "{}",
        text(&f)
    );
}

#[tokio::test]
async fn an_older_head_put_back_shows_against_sealed_segments() {
    let f = fixture().await;
    // Keep the head of seq 10 (signed with the right key) and put it back.
    let key = HeadKey::load(&f.trail.key()).unwrap().unwrap();
    let sealed = LocalBlobStore::new(f.path().join(SEALED_DIR));
    let seg2 = String::from_utf8(sealed.get_sync(SEG2).unwrap().to_vec()).unwrap();
    let r10 = record(seg2.lines().nth(5).unwrap());
    assert_eq!(r10.seq, 10);
    HeadFile::new(f.trail.head(), key)
        .write(&Head {
            seq: 10,
            hash: r10.hash,
        })
        .unwrap();
    let found = problems(&f.path());
    assert_eq!(
        found,
        [Problem::BeyondHead {
            head_seq: 10,
            sealed_seq: 15
        }]
    );
}

#[tokio::test]
async fn reordered_segments_are_named() {
    let f = fixture().await;
    let (one, two) = (seg_path(&f.path(), SEG1), seg_path(&f.path(), SEG2));
    let (a, b) = (std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    for (path, bytes) in [(&one, &b), (&two, &a)] {
        let mut perms = std::fs::metadata(path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(path, perms).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let found = problems(&f.path());
    for (segment, expected) in [(SEG1, SEG2), (SEG2, SEG1)] {
        assert!(
            found.contains(&Problem::Misnamed {
                segment: segment.into(),
                expected: expected.into()
            }),
            "{found:?}"
        );
    }
}

#[tokio::test]
async fn removed_middle_segment_is_named_with_the_head_intact() {
    let f = fixture().await;
    std::fs::remove_file(seg_path(&f.path(), SEG1)).unwrap();
    let found = problems(&f.path());
    assert!(
        found
            .iter()
            .any(|p| matches!(p, Problem::MissingSegment { segment, expected_index: 0, found_index: 1 } if segment == SEG2)),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|p| matches!(p, Problem::HeadMismatch { .. })),
        "{found:?}"
    );
}
