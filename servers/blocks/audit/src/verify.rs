//! Verification of the whole chain: every record hash, every link, every
//! segment header and trailer, the segment chain, and the signed head.

use std::fmt;
use std::path::Path;

use crate::blob::BlobStore;
use crate::blob::local::LocalBlobStore;
use crate::error::AuditError;
use crate::head::{Head, HeadKey, HeadState};
use crate::log::{SEALED_DIR, WAL_DIR};
use crate::record::{AuditRecord, GENESIS_HASH};
use crate::segment::{self, SEGMENT_FORMAT, SEGMENT_PREFIX, segment_name};

/// One thing wrong with the stored log, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A line is not JSON of the expected shape.
    Malformed {
        /// The segment (or WAL file).
        segment: String,
        /// 1-based line number.
        line: usize,
        /// The parser's complaint.
        reason: String,
    },
    /// The first line is not a segment header.
    MissingHeader {
        /// The segment.
        segment: String,
    },
    /// The last line is not a segment trailer (the segment was truncated).
    MissingTrailer {
        /// The segment.
        segment: String,
    },
    /// A record's content does not match its hash: it was edited.
    EditedRecord {
        /// The segment.
        segment: String,
        /// The record's seq.
        seq: u64,
    },
    /// Seqs jump forward: records were removed.
    MissingRecords {
        /// The segment.
        segment: String,
        /// The seq that should come next.
        expected: u64,
        /// The seq found instead.
        found: u64,
    },
    /// A seq repeats or goes backwards: records were reordered or duplicated.
    OutOfOrder {
        /// The segment.
        segment: String,
        /// The seq that should come next.
        expected: u64,
        /// The seq found instead.
        found: u64,
    },
    /// A record's `prevHash` is not the previous record's hash: the previous
    /// record was edited (and re-hashed) or replaced.
    ChainBroken {
        /// The segment.
        segment: String,
        /// The record's seq.
        seq: u64,
    },
    /// A header or trailer field disagrees with the records or the other end.
    BadTrailer {
        /// The segment.
        segment: String,
        /// The field that disagrees.
        field: &'static str,
        /// What the records say.
        expected: String,
        /// What the header or trailer says.
        found: String,
    },
    /// Segments are missing between two others (index or seq gap).
    MissingSegment {
        /// The segment after the gap.
        segment: String,
        /// The index that should come next.
        expected_index: u64,
        /// The index found.
        found_index: u64,
    },
    /// A segment does not chain to its predecessor: one of them was replaced.
    SegmentChainBroken {
        /// The segment that does not fit.
        segment: String,
        /// The segment before it.
        previous: String,
    },
    /// A segment is stored under a name that does not match its first seq.
    Misnamed {
        /// The name it is stored under.
        segment: String,
        /// The name its header implies.
        expected: String,
    },
    /// The trail does not reach the signed (or published) head, or the
    /// record at the head's seq has another hash: the newest records,
    /// segments or the WAL were removed, or records were replaced.
    HeadMismatch {
        /// The signed head.
        expected: Head,
        /// What the log ends with (when it ends before the head), or the
        /// record stored at the head's seq (hash empty when that record is
        /// missing).
        found: Head,
    },
    /// The trail holds no records at all, but the signed head says it had:
    /// the audit directory was emptied or removed.
    TrailEmpty {
        /// The signed head.
        head: Head,
    },
    /// Sealed segments hold records beyond the signed head. The log signs
    /// every record before sealing it, so the head file was replaced by an
    /// older copy.
    BeyondHead {
        /// The signed head's seq.
        head_seq: u64,
        /// The last sealed seq.
        sealed_seq: u64,
    },
    /// There is no head file although the trail has records, or although
    /// the head key exists (the log writes the head when it first opens).
    HeadMissing {
        /// Where the head should be.
        path: String,
        /// Records in the trail.
        records: u64,
    },
    /// The head file is unreadable, its signature does not match (forged or
    /// edited), or it cannot be checked because the key is missing.
    HeadInvalid {
        /// The head file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Malformed {
                segment,
                line,
                reason,
            } => {
                write!(f, "{segment}:{line}: unreadable line ({reason})")
            }
            Problem::MissingHeader { segment } => {
                write!(f, "{segment}: no segment header on line 1")
            }
            Problem::MissingTrailer { segment } => {
                write!(
                    f,
                    "{segment}: no segment trailer on the last line (truncated?)"
                )
            }
            Problem::EditedRecord { segment, seq } => {
                write!(
                    f,
                    "{segment}: record seq {seq} was edited (its hash does not match its content)"
                )
            }
            Problem::MissingRecords {
                segment,
                expected,
                found,
            } => write!(
                f,
                "{segment}: records seq {expected}..={} are missing (next record is seq {found})",
                found - 1
            ),
            Problem::OutOfOrder {
                segment,
                expected,
                found,
            } => write!(
                f,
                "{segment}: record seq {found} is out of order (expected seq {expected}): records were reordered or duplicated"
            ),
            Problem::ChainBroken { segment, seq } => write!(
                f,
                "{segment}: record seq {seq} does not chain to the record before it (that record was replaced, or records between were removed)"
            ),
            Problem::BadTrailer {
                segment,
                field,
                expected,
                found,
            } => write!(
                f,
                "{segment}: header/trailer field `{field}` says {found} but the records say {expected}"
            ),
            Problem::MissingSegment {
                segment,
                expected_index,
                found_index,
            } => write!(
                f,
                "{segment}: segment index {found_index} follows index {} (segments {expected_index}..{found_index} are missing)",
                expected_index.saturating_sub(1)
            ),
            Problem::SegmentChainBroken { segment, previous } => write!(
                f,
                "{segment}: does not chain to {previous} (one of them was replaced or edited)"
            ),
            Problem::Misnamed { segment, expected } => {
                write!(
                    f,
                    "{segment}: stored under the wrong name (its header says {expected})"
                )
            }
            Problem::HeadMismatch { expected, found } if found.seq < expected.seq => write!(
                f,
                "the trail ends at seq {} ({}), but the signed head is seq {} ({}): the newest records \
                 (seq {}..={}) were removed: newest segments or the WAL deleted or cut",
                found.seq,
                found.hash,
                expected.seq,
                expected.hash,
                found.seq + 1,
                expected.seq
            ),
            Problem::HeadMismatch { expected, found } if found.hash.is_empty() => write!(
                f,
                "the record at the signed head's seq {} ({}) is missing: records were removed",
                expected.seq, expected.hash
            ),
            Problem::HeadMismatch { expected, found } => write!(
                f,
                "the record at seq {} has hash {}, but the signed head says {}: records up to the head were replaced",
                expected.seq, found.hash, expected.hash
            ),
            Problem::TrailEmpty { head } => write!(
                f,
                "the trail holds no records, but the signed head is seq {} ({}): the audit directory was emptied or removed",
                head.seq, head.hash
            ),
            Problem::BeyondHead {
                head_seq,
                sealed_seq,
            } => write!(
                f,
                "sealed segments hold records seq {}..={sealed_seq} beyond the signed head at seq {head_seq}: \
                 the head file was replaced by an older copy",
                head_seq + 1
            ),
            Problem::HeadMissing { path, records } if *records > 0 => write!(
                f,
                "{path}: no signed head, but the trail holds {records} records: the head was deleted \
                 (only a trail written before signed heads may be verified as legacy)"
            ),
            Problem::HeadMissing { path, .. } => write!(
                f,
                "{path}: no signed head, but its key exists: the head was deleted (with the trail?)"
            ),
            Problem::HeadInvalid { path, reason } => {
                write!(f, "{path}: the signed head is invalid: {reason}")
            }
        }
    }
}

/// The result of verifying a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Sealed segments read.
    pub segments: usize,
    /// Records read (sealed and open).
    pub records: u64,
    /// Records in the open segment (WAL), when it was checked.
    pub open_records: u64,
    /// The newest record.
    pub head: Head,
    /// The signed head the trail was checked against, if any.
    pub signed_head: Option<Head>,
    /// Records after the signed head (written to the WAL after the last head
    /// update, just before a crash). Not a problem while they are only in
    /// the WAL: the log signs them when it opens again.
    pub unsigned_records: u64,
    /// Everything wrong, in log order. Empty means the log is intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            write!(
                f,
                "OK: {} segments, {} records ({} not yet sealed), head seq {} hash {}",
                self.segments, self.records, self.open_records, self.head.seq, self.head.hash
            )?;
            match &self.signed_head {
                Some(h) => write!(f, "; matches the signed head (seq {})", h.seq)?,
                None => write!(
                    f,
                    "; not checked against a signed head (removal of the newest records would not show)"
                )?,
            }
            if self.unsigned_records > 0 {
                write!(
                    f,
                    "; {} newest record(s) in the WAL were written after the last head update (a crash?)",
                    self.unsigned_records
                )?;
            }
            writeln!(f)
        } else {
            writeln!(
                f,
                "TAMPERED: {} problem(s) in {} segments, {} records:",
                self.problems.len(),
                self.segments,
                self.records
            )?;
            for p in &self.problems {
                writeln!(f, "  - {p}")?;
            }
            Ok(())
        }
    }
}

/// Streaming verifier: feed segments in name order, then the open WAL.
#[derive(Debug)]
pub struct Verifier {
    report: VerifyReport,
    next_index: u64,
    previous: Option<String>,
    /// The signed head to check the trail against.
    expected: Option<Head>,
    /// The hash stored at `expected.seq`, once seen.
    at_expected: Option<String>,
    /// The highest seq in a sealed segment.
    sealed_seq: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier at the start of the log.
    pub fn new() -> Self {
        Self {
            report: VerifyReport {
                segments: 0,
                records: 0,
                open_records: 0,
                head: Head::genesis(),
                signed_head: None,
                unsigned_records: 0,
                problems: Vec::new(),
            },
            next_index: 0,
            previous: None,
            expected: None,
            at_expected: None,
            sealed_seq: 0,
        }
    }

    fn problem(&mut self, p: Problem) {
        self.report.problems.push(p);
    }

    /// Checks the records of one segment (or the WAL) against the running chain.
    fn records(&mut self, name: &str, records: &[(usize, AuditRecord)], sealed: bool) {
        for (_, r) in records {
            if let Some(h) = &self.expected
                && r.seq == h.seq
                && self.at_expected.is_none()
            {
                self.at_expected = Some(r.hash.clone());
            }
            if sealed {
                self.sealed_seq = self.sealed_seq.max(r.seq);
            }
            let expected = self.report.head.seq + 1;
            if r.compute_hash() != r.hash {
                self.problem(Problem::EditedRecord {
                    segment: name.into(),
                    seq: r.seq,
                });
            } else if r.seq > expected {
                self.problem(Problem::MissingRecords {
                    segment: name.into(),
                    expected,
                    found: r.seq,
                });
            } else if r.seq < expected {
                self.problem(Problem::OutOfOrder {
                    segment: name.into(),
                    expected,
                    found: r.seq,
                });
            } else if r.prev_hash != self.report.head.hash {
                self.problem(Problem::ChainBroken {
                    segment: name.into(),
                    seq: r.seq,
                });
            }
            // Resynchronise on what is stored, so one change is reported once.
            self.report.head = Head {
                seq: r.seq.max(self.report.head.seq),
                hash: r.hash.clone(),
            };
            self.report.records += 1;
        }
    }

    /// Verifies one sealed segment blob.
    pub fn segment(&mut self, name: &str, bytes: &[u8]) {
        self.report.segments += 1;
        let parsed = segment::parse(bytes);
        for (line, reason) in parsed.malformed {
            self.problem(Problem::Malformed {
                segment: name.into(),
                line,
                reason,
            });
        }
        let previous = self.previous.replace(name.to_owned());
        match &parsed.header {
            None => self.problem(Problem::MissingHeader {
                segment: name.into(),
            }),
            Some(h) => {
                if h.format != SEGMENT_FORMAT {
                    self.bad(name, "format", SEGMENT_FORMAT, &h.format);
                }
                let expected_name = segment_name(h.first_seq);
                if expected_name != name {
                    self.problem(Problem::Misnamed {
                        segment: name.into(),
                        expected: expected_name,
                    });
                }
                if h.index > self.next_index {
                    self.problem(Problem::MissingSegment {
                        segment: name.into(),
                        expected_index: self.next_index,
                        found_index: h.index,
                    });
                    // Continue from this segment so its records are not all reported.
                    self.report.head = Head {
                        seq: h.first_seq.saturating_sub(1),
                        hash: h.prev_segment_hash.clone(),
                    };
                } else if h.index < self.next_index {
                    self.bad(
                        name,
                        "index",
                        &self.next_index.to_string(),
                        &h.index.to_string(),
                    );
                } else if h.prev_segment_hash != self.report.head.hash {
                    match &previous {
                        Some(prev) => self.problem(Problem::SegmentChainBroken {
                            segment: name.into(),
                            previous: prev.clone(),
                        }),
                        None => {
                            self.bad(name, "prevSegmentHash", GENESIS_HASH, &h.prev_segment_hash)
                        }
                    }
                    self.report.head.hash = h.prev_segment_hash.clone();
                }
                self.next_index = h.index + 1;
                if let Some((_, first)) = parsed.records.first()
                    && first.seq != h.first_seq
                {
                    self.bad(
                        name,
                        "firstSeq",
                        &first.seq.to_string(),
                        &h.first_seq.to_string(),
                    );
                }
            }
        }
        self.records(name, &parsed.records, true);
        let Some(t) = &parsed.trailer else {
            self.problem(Problem::MissingTrailer {
                segment: name.into(),
            });
            return;
        };
        let first = parsed.records.first().map(|(_, r)| r.seq).unwrap_or(0);
        let last = parsed.records.last().map(|(_, r)| r);
        let checks: [(&'static str, String, String); 6] = [
            ("firstSeq", first.to_string(), t.first_seq.to_string()),
            (
                "lastSeq",
                last.map_or(0, |r| r.seq).to_string(),
                t.last_seq.to_string(),
            ),
            (
                "count",
                parsed.records.len().to_string(),
                t.count.to_string(),
            ),
            (
                "finalHash",
                last.map_or(String::new(), |r| r.hash.clone()),
                t.final_hash.clone(),
            ),
            (
                "index",
                parsed
                    .header
                    .as_ref()
                    .map_or(t.index, |h| h.index)
                    .to_string(),
                t.index.to_string(),
            ),
            (
                "prevSegmentHash",
                parsed
                    .header
                    .as_ref()
                    .map_or(t.prev_segment_hash.clone(), |h| h.prev_segment_hash.clone()),
                t.prev_segment_hash.clone(),
            ),
        ];
        for (field, expected, found) in checks {
            if expected != found {
                self.bad(name, field, &expected, &found);
            }
        }
        // The next segment must chain to what the trailer promises.
        self.report.head = Head {
            seq: t.last_seq.max(self.report.head.seq),
            hash: t.final_hash.clone(),
        };
    }

    fn bad(&mut self, segment: &str, field: &'static str, expected: &str, found: &str) {
        self.problem(Problem::BadTrailer {
            segment: segment.into(),
            field,
            expected: expected.into(),
            found: found.into(),
        });
    }

    /// Verifies the open segment's WAL file (records only, no header/trailer).
    pub fn open_segment(&mut self, name: &str, bytes: &[u8]) {
        let mut records = Vec::new();
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<AuditRecord>(line) {
                Ok(r) => records.push((i + 1, r)),
                Err(e) => self.problem(Problem::Malformed {
                    segment: name.into(),
                    line: i + 1,
                    reason: e.to_string(),
                }),
            }
        }
        self.report.open_records += records.len() as u64;
        self.records(name, &records, false);
    }

    /// Checks the trail against a signed (or externally published) head
    /// when [`Verifier::finish`] is called: the trail must reach it, and the
    /// record at its seq must have its hash. Call it before feeding
    /// segments; called afterwards, only a head at the trail's end can be
    /// compared by hash.
    pub fn expect_head(&mut self, head: &Head) {
        self.expected = Some(head.clone());
    }

    /// The report.
    pub fn finish(mut self) -> VerifyReport {
        if let Some(h) = self.expected.take() {
            let end = self.report.head.clone();
            if h.seq > 0 && self.report.records == 0 {
                self.problem(Problem::TrailEmpty { head: h.clone() });
            } else if h.seq > end.seq {
                self.problem(Problem::HeadMismatch {
                    expected: h.clone(),
                    found: end,
                });
            } else {
                let found = if h.seq == 0 {
                    Some(GENESIS_HASH.to_owned())
                } else {
                    self.at_expected
                        .take()
                        .or_else(|| (h.seq == end.seq).then(|| end.hash.clone()))
                };
                if found.as_deref() != Some(h.hash.as_str()) {
                    self.problem(Problem::HeadMismatch {
                        expected: h.clone(),
                        found: Head {
                            seq: h.seq,
                            hash: found.unwrap_or_default(),
                        },
                    });
                }
                if self.sealed_seq > h.seq {
                    self.problem(Problem::BeyondHead {
                        head_seq: h.seq,
                        sealed_seq: self.sealed_seq,
                    });
                }
                self.report.unsigned_records = end.seq - h.seq;
            }
            self.report.signed_head = Some(h);
        }
        self.report
    }
}

/// Verifies every sealed segment in `store`.
pub async fn verify(store: &dyn BlobStore) -> Result<VerifyReport, AuditError> {
    let mut v = Verifier::new();
    for name in store.list(SEGMENT_PREFIX).await? {
        let bytes = store.get(&name).await?;
        v.segment(&name, &bytes);
    }
    Ok(v.finish())
}

/// Verifies a local audit directory **without** a signed head, so removal
/// of the newest records, segments or the WAL (or of everything) does not
/// show; prefer [`verify_trail`]. When `D` has `sealed/` (as written by
/// [`crate::AuditLog::open_local`]), its segments are checked and then the
/// open segment in `D/wal`; otherwise `D` itself is taken as a
/// [`LocalBlobStore`] root. Synchronous, so it can run inside or outside a
/// Tokio runtime.
pub fn verify_dir(path: &Path) -> Result<VerifyReport, AuditError> {
    if !path.is_dir() {
        return Err(AuditError::Io {
            context: format!("audit directory {}", path.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not a directory; pass the directory given to the audit log",
            ),
        });
    }
    let mut v = Verifier::new();
    let log_layout = path.join(SEALED_DIR).is_dir() || path.join(WAL_DIR).is_dir();
    feed_dir(&mut v, path, log_layout)?;
    Ok(v.finish())
}

/// Feeds the sealed segments and WAL files of a local audit directory laid
/// out by [`crate::AuditLog::open_local`] (`log_layout`), or of a bare
/// [`LocalBlobStore`] root.
fn feed_dir(v: &mut Verifier, path: &Path, log_layout: bool) -> Result<(), AuditError> {
    let (root, wal_dir) = if log_layout {
        (path.join(SEALED_DIR), Some(path.join(WAL_DIR)))
    } else {
        (path.to_path_buf(), None)
    };
    let store = LocalBlobStore::new(root);
    for name in store.list_sync(SEGMENT_PREFIX)? {
        let bytes = store.get_sync(&name)?;
        v.segment(&name, &bytes);
    }
    if let Some(dir) = wal_dir.filter(|d| d.is_dir()) {
        for (_, file) in crate::wal::list(&dir)? {
            let bytes =
                std::fs::read(&file).map_err(AuditError::io(format!("read {}", file.display())))?;
            let name = format!(
                "{}/{}",
                WAL_DIR,
                file.file_name().and_then(|n| n.to_str()).unwrap_or("?")
            );
            v.open_segment(&name, &bytes);
        }
    }
    Ok(())
}

/// `omega audit verify`: verifies the local audit directory `dir` (as
/// written by [`crate::AuditLog::open_local`]) against the signed head at
/// `head_path`, checked with the key at `key_path` (neither is created).
///
/// Besides everything [`verify_dir`] finds, the report names: a trail that
/// ends before the head (newest records, segments or the WAL removed), a
/// directory emptied or removed while the head remains, a record at the
/// head's seq with another hash, sealed records beyond the head (an older
/// head put back), a head with a bad signature or that cannot be checked
/// (key missing), and a missing head when the trail has records or the key
/// exists. With `legacy`, a missing head is accepted (a trail written before
/// signed heads); a head that exists is still checked.
///
/// Fails (rather than reporting) only when nothing can be read: no
/// directory, no head and no key, or an I/O error.
pub fn verify_trail(
    dir: &Path,
    head_path: &Path,
    key_path: &Path,
    legacy: bool,
) -> Result<VerifyReport, AuditError> {
    let key = HeadKey::load(key_path)?;
    let head = match std::fs::read(head_path) {
        Ok(bytes) => match crate::head::check(&bytes, key.as_ref()) {
            HeadState::Invalid(r) if r == crate::head::NO_KEY => HeadState::Invalid(format!(
                "its signature cannot be checked: the head key {} is missing",
                key_path.display()
            )),
            state => state,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HeadState::Missing,
        Err(e) => return Err(AuditError::io(format!("read {}", head_path.display()))(e)),
    };
    let exists = dir.is_dir();
    if !exists && head == HeadState::Missing && key.is_none() {
        return Err(AuditError::Io {
            context: format!("audit directory {}", dir.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no audit trail here and no signed head at {}; pass the data directory the log was written in",
                    head_path.display()
                ),
            ),
        });
    }
    let mut v = Verifier::new();
    if let HeadState::Valid(h) = &head {
        v.expect_head(h);
    }
    if exists {
        feed_dir(&mut v, dir, true)?;
    }
    let mut report = v.finish();
    let path = head_path.display().to_string();
    match head {
        HeadState::Valid(_) => {}
        HeadState::Invalid(reason) => report.problems.push(Problem::HeadInvalid { path, reason }),
        HeadState::Missing => {
            if !legacy && (report.records > 0 || key.is_some()) {
                report.problems.push(Problem::HeadMissing {
                    path,
                    records: report.records,
                });
            }
        }
    }
    Ok(report)
}
