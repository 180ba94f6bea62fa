//! The write-ahead log of the open segment: one file per segment, JSON Lines
//! of [`AuditRecord`]s, fsynced before an append is acknowledged.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::AuditError;
use crate::record::AuditRecord;

/// The WAL file name of the segment starting at `first_seq`.
pub(crate) fn wal_name(first_seq: u64) -> String {
    format!("{first_seq:020}.wal")
}

/// The WAL files in `dir`, by first seq.
pub(crate) fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>, AuditError> {
    let mut out = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(AuditError::io(format!("list {}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(AuditError::io(format!("list {}", dir.display())))?;
        let name = entry.file_name();
        let Some(seq) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".wal"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        out.push((seq, entry.path()));
    }
    out.sort();
    Ok(out)
}

/// Creates the WAL file for a segment starting at `first_seq` and makes its
/// directory entry durable.
pub(crate) fn create(dir: &Path, first_seq: u64) -> Result<File, AuditError> {
    let path = dir.join(wal_name(first_seq));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(AuditError::io(format!("create {}", path.display())))?;
    sync_dir(dir)?;
    Ok(file)
}

/// Opens an existing WAL file for appending.
pub(crate) fn reopen(path: &Path) -> Result<File, AuditError> {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(AuditError::io(format!("open {}", path.display())))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(AuditError::io(format!("sync {}", dir.display())))
}

/// Appends `bytes` and waits until they are on disk.
pub(crate) fn write_durable(mut file: &File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_data()
}

/// Reads a WAL file. A torn last line (a crash during a write that was never
/// acknowledged) is cut off; a bad line before the end is corruption.
pub(crate) fn read(path: &Path) -> Result<Vec<AuditRecord>, AuditError> {
    let bytes = std::fs::read(path).map_err(AuditError::io(format!("read {}", path.display())))?;
    let mut records = Vec::new();
    let mut good_len = 0;
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let (line, complete) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], true),
            None => (rest, false),
        };
        match serde_json::from_slice::<AuditRecord>(line) {
            Ok(r) if complete => {
                records.push(r);
                good_len += line.len() + 1;
                rest = &rest[line.len() + 1..];
            }
            parsed => {
                let is_tail = !complete || rest.len() == line.len() + 1;
                if !is_tail {
                    return Err(AuditError::Corrupt {
                        what: format!(
                            "{} has an unreadable record at byte {good_len}: {}",
                            path.display(),
                            parsed.err().map_or("no newline".into(), |e| e.to_string())
                        ),
                    });
                }
                tracing::warn!(path = %path.display(), offset = good_len, "cutting a torn WAL tail");
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(AuditError::io(format!("open {}", path.display())))?;
                f.set_len(good_len as u64)
                    .and_then(|()| f.sync_all())
                    .map_err(AuditError::io(format!("truncate {}", path.display())))?;
                break;
            }
        }
    }
    Ok(records)
}
