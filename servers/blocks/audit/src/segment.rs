//! The sealed segment format: JSON Lines with a header and a trailer.
//!
//! ```text
//! {"format":"omega-audit-segment/1","index":0,"firstSeq":1,"prevSegmentHash":"000…"}
//! {"seq":1,"at":"…","actor":"…",…,"prevHash":"000…","hash":"9f2…"}
//! …
//! {"format":"omega-audit-segment/1","index":0,"firstSeq":1,"lastSeq":1000,"count":1000,"prevSegmentHash":"000…","finalHash":"c4e…"}
//! ```
//!
//! The blob is named `segments/<firstSeq, 20 digits>.jsonl`, so listing sorts
//! segments in log order. `prevSegmentHash` is the previous segment's
//! `finalHash` (and equals the first record's `prevHash`), which chains
//! segments the same way `prevHash` chains records.

use serde::{Deserialize, Serialize};

use crate::record::AuditRecord;

/// The format tag in every header and trailer.
pub const SEGMENT_FORMAT: &str = "omega-audit-segment/1";

/// The blob-name prefix of sealed segments.
pub const SEGMENT_PREFIX: &str = "segments/";

/// The first line of a sealed segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SegmentHeader {
    /// Always [`SEGMENT_FORMAT`].
    pub format: String,
    /// The segment's position, from 0.
    pub index: u64,
    /// The seq of its first record.
    pub first_seq: u64,
    /// The previous segment's final hash ([`crate::GENESIS_HASH`] for index 0).
    pub prev_segment_hash: String,
}

/// The last line of a sealed segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SegmentTrailer {
    /// Always [`SEGMENT_FORMAT`].
    pub format: String,
    /// The segment's position, from 0.
    pub index: u64,
    /// The seq of its first record.
    pub first_seq: u64,
    /// The seq of its last record.
    pub last_seq: u64,
    /// How many records it holds.
    pub count: u64,
    /// The previous segment's final hash.
    pub prev_segment_hash: String,
    /// The hash of its last record.
    pub final_hash: String,
}

/// The blob name of the segment whose first record is `first_seq`.
pub fn segment_name(first_seq: u64) -> String {
    format!("{SEGMENT_PREFIX}{first_seq:020}.jsonl")
}

/// Encodes a sealed segment. `records` must be non-empty and chained.
pub fn encode(index: u64, prev_segment_hash: &str, records: &[AuditRecord]) -> Vec<u8> {
    let first = records.first().expect("a sealed segment has records");
    let last = records.last().expect("a sealed segment has records");
    let header = SegmentHeader {
        format: SEGMENT_FORMAT.to_owned(),
        index,
        first_seq: first.seq,
        prev_segment_hash: prev_segment_hash.to_owned(),
    };
    let trailer = SegmentTrailer {
        format: SEGMENT_FORMAT.to_owned(),
        index,
        first_seq: first.seq,
        last_seq: last.seq,
        count: records.len() as u64,
        prev_segment_hash: prev_segment_hash.to_owned(),
        final_hash: last.hash.clone(),
    };
    let mut out = Vec::with_capacity(records.len() * 400);
    push_line(&mut out, &header);
    for r in records {
        push_line(&mut out, r);
    }
    push_line(&mut out, &trailer);
    out
}

/// Appends `value` as one JSON line.
pub(crate) fn push_line<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(&mut *out, value).expect("audit lines serialize");
    out.push(b'\n');
}

/// A segment as read back, before verification.
#[derive(Debug)]
pub struct ParsedSegment {
    /// The header, if the first line is one.
    pub header: Option<SegmentHeader>,
    /// The records with their 1-based line numbers.
    pub records: Vec<(usize, AuditRecord)>,
    /// The trailer, if the last line is one.
    pub trailer: Option<SegmentTrailer>,
    /// Lines that are none of the above: (line number, reason).
    pub malformed: Vec<(usize, String)>,
}

/// Parses a segment blob leniently, so verification can report every problem.
pub fn parse(bytes: &[u8]) -> ParsedSegment {
    let mut out = ParsedSegment {
        header: None,
        records: Vec::new(),
        trailer: None,
        malformed: Vec::new(),
    };
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let n = lines.len();
    for (i, raw) in lines.into_iter().enumerate() {
        let lineno = i + 1;
        if i == 0
            && let Ok(h) = serde_json::from_slice::<SegmentHeader>(raw)
        {
            out.header = Some(h);
            continue;
        }
        if i + 1 == n
            && let Ok(t) = serde_json::from_slice::<SegmentTrailer>(raw)
        {
            out.trailer = Some(t);
            continue;
        }
        match serde_json::from_slice::<AuditRecord>(raw) {
            Ok(r) => out.records.push((lineno, r)),
            Err(e) => out.malformed.push((lineno, e.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{AuditEvent, GENESIS_HASH};

    #[test]
    fn encode_then_parse() {
        let r1 = AuditRecord::seal(
            1,
            chrono::Utc::now(),
            AuditEvent::new("a", "route", "t1"),
            GENESIS_HASH.into(),
        );
        let r2 = AuditRecord::seal(
            2,
            chrono::Utc::now(),
            AuditEvent::new("a", "route", "t2"),
            r1.hash.clone(),
        );
        let bytes = encode(0, GENESIS_HASH, &[r1.clone(), r2.clone()]);
        let p = parse(&bytes);
        assert_eq!(p.header.unwrap().first_seq, 1);
        let t = p.trailer.unwrap();
        assert_eq!((t.last_seq, t.count, t.final_hash), (2, 2, r2.hash.clone()));
        assert_eq!(
            p.records.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
            [r1, r2]
        );
        assert!(p.malformed.is_empty());
        assert_eq!(segment_name(1), "segments/00000000000000000001.jsonl");
    }
}
