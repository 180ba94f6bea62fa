//! Verification of the whole chain: every record hash, every link, every
//! segment header and trailer, and the segment chain.

use std::fmt;
use std::path::Path;

use crate::blob::BlobStore;
use crate::blob::local::LocalBlobStore;
use crate::error::AuditError;
use crate::log::{Head, SEALED_DIR, WAL_DIR};
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
    /// The newest record does not match the externally published head: the
    /// newest records or segments were removed or replaced.
    HeadMismatch {
        /// The published head.
        expected: Head,
        /// What the log ends with.
        found: Head,
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
            Problem::HeadMismatch { expected, found } => write!(
                f,
                "log ends at seq {} ({}), but the published head is seq {} ({}): newest records were removed or replaced",
                found.seq, found.hash, expected.seq, expected.hash
            ),
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
            writeln!(
                f,
                "OK: {} segments, {} records ({} not yet sealed), head seq {} hash {}",
                self.segments, self.records, self.open_records, self.head.seq, self.head.hash
            )
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
                head: Head {
                    seq: 0,
                    hash: GENESIS_HASH.to_owned(),
                },
                problems: Vec::new(),
            },
            next_index: 0,
            previous: None,
        }
    }

    fn problem(&mut self, p: Problem) {
        self.report.problems.push(p);
    }

    /// Checks the records of one segment (or the WAL) against the running chain.
    fn records(&mut self, name: &str, records: &[(usize, AuditRecord)]) {
        for (_, r) in records {
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
        self.records(name, &parsed.records);
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
        self.records(name, &records);
    }

    /// Compares the end of the log with an externally published head.
    pub fn expect_head(&mut self, head: &Head) {
        if head.seq > self.report.head.seq
            || (head.seq == self.report.head.seq && head.hash != self.report.head.hash)
        {
            let found = self.report.head.clone();
            self.problem(Problem::HeadMismatch {
                expected: head.clone(),
                found,
            });
        }
    }

    /// The report.
    pub fn finish(self) -> VerifyReport {
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

/// `omega audit verify --dir D`: verifies a local audit directory. When `D`
/// has `sealed/` (as written by [`crate::AuditLog::open_local`]), its segments
/// are checked and then the open segment in `D/wal`; otherwise `D` itself is
/// taken as a [`LocalBlobStore`] root. Synchronous, so it can run inside or
/// outside a Tokio runtime.
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
    let sealed = path.join(SEALED_DIR);
    let (root, wal_dir) = if sealed.is_dir() {
        (sealed, Some(path.join(WAL_DIR)))
    } else {
        (path.to_path_buf(), None)
    };
    let store = LocalBlobStore::new(root);
    let mut v = Verifier::new();
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
    Ok(v.finish())
}
