//! The signed head: the newest record's seq and hash, HMAC-signed with a key
//! kept apart from the segments, in a file outside the audit directory.
//!
//! The hash chain shows any record or segment that was edited, removed or
//! reordered *between* others, but not the removal of the newest records:
//! a trail cut after seq 10 is a perfectly valid trail of 10 records. The
//! [`AuditLog`](crate::AuditLog) therefore rewrites the head after every
//! group commit (temporary file, fsync, rename, directory fsync), and
//! [`verify_trail`](crate::verify_trail) fails when the trail ends before the
//! head, when the record at the head's seq has another hash, when the head
//! is missing or its signature does not match.
//!
//! ```text
//! {"format":"omega-audit-head/1","seq":17,"hash":"9f2…","at":"2026-…Z","mac":"c41…"}
//! ```
//!
//! `mac` is the hex HMAC-SHA256, under the head key, of
//! `omega-audit-head/1\n{seq}\n{hash}\n{at as RFC 3339 with nanoseconds}`.
//!
//! What the head cannot show: somebody who can write both the trail and the
//! head file can put back an *older* signed head and cut the trail back to
//! exactly that record. Publish the head to a second system as well when
//! that matters (see the crate docs).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::AuditError;
use crate::record::GENESIS_HASH;

/// The format tag of a head file.
pub const HEAD_FORMAT: &str = "omega-audit-head/1";

/// Bytes of a newly created head key.
const KEY_BYTES: usize = 32;

/// The last record of the log: its seq and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The last seq (0 when the log is empty).
    pub seq: u64,
    /// Its hash ([`GENESIS_HASH`] when the log is empty).
    pub hash: String,
}

impl Head {
    /// The head of an empty log.
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// The secret that signs heads. Keep it outside the audit directory (and,
/// where possible, readable only by the process that writes the log).
#[derive(Clone)]
pub struct HeadKey {
    bytes: Arc<[u8]>,
}

impl std::fmt::Debug for HeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeadKey(..)")
    }
}

impl HeadKey {
    /// A key from raw bytes (at least 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuditError> {
        if bytes.len() < KEY_BYTES {
            return Err(AuditError::Corrupt {
                what: format!(
                    "a head key needs at least {KEY_BYTES} bytes, this one has {}",
                    bytes.len()
                ),
            });
        }
        Ok(Self {
            bytes: bytes.into(),
        })
    }

    /// Reads the key file at `path` (hex). `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Self>, AuditError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(AuditError::io(format!("read {}", path.display()))(e)),
        };
        #[cfg(unix)]
        if let Ok(meta) = std::fs::metadata(path) {
            use std::os::unix::fs::PermissionsExt as _;
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    key = %path.display(),
                    mode = format!("{:o}", meta.permissions().mode() & 0o777),
                    "the audit head key is readable by other users; chmod 600 it"
                );
            }
        }
        let bytes = hex::decode(text.trim()).map_err(|e| AuditError::Corrupt {
            what: format!("the head key {} is not hex: {e}", path.display()),
        })?;
        Self::from_bytes(&bytes)
            .map_err(|e| AuditError::Corrupt {
                what: format!("the head key {}: {e}", path.display()),
            })
            .map(Some)
    }

    /// Reads the key file at `path`, or creates it: 32 random bytes as hex,
    /// mode 0600 from the moment it exists (written to a temporary file,
    /// fsynced, then linked into place; when another process wins the race,
    /// its key is used). Returns the key and whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), AuditError> {
        if let Some(key) = Self::load(path)? {
            return Ok((key, false));
        }
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| AuditError::Io {
            context: format!("create the head key {}", path.display()),
            source: std::io::Error::other(format!("no randomness: {e}")),
        })?;
        let created = create_exclusive(path, hex::encode(bytes).as_bytes())
            .map_err(AuditError::io(format!("create {}", path.display())))?;
        match Self::load(path)? {
            Some(key) => Ok((key, created)),
            None => Err(AuditError::Corrupt {
                what: format!("the head key {} vanished after creation", path.display()),
            }),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.bytes).expect("HMAC takes keys of any length")
    }
}

/// The message a head's MAC covers.
fn signed_bytes(seq: u64, hash: &str, at: &DateTime<Utc>) -> Vec<u8> {
    format!(
        "{HEAD_FORMAT}\n{seq}\n{hash}\n{}",
        at.to_rfc3339_opts(SecondsFormat::Nanos, true)
    )
    .into_bytes()
}

/// A head file as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedHead {
    /// Always [`HEAD_FORMAT`].
    pub format: String,
    /// The newest record's seq.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// When the head was written.
    pub at: DateTime<Utc>,
    /// Hex HMAC-SHA256 (see the module docs).
    pub mac: String,
}

/// Why [`check`] refused a head when it had no key.
pub(crate) const NO_KEY: &str = "its signature cannot be checked without the head key";

/// What a head file holds, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadState {
    /// There is no head file.
    Missing,
    /// The file is there but is not a valid signed head.
    Invalid(String),
    /// A head with a valid signature.
    Valid(Head),
}

/// A head file and the key that signs it.
#[derive(Debug, Clone)]
pub struct HeadFile {
    path: PathBuf,
    key: HeadKey,
}

impl HeadFile {
    /// The head at `path`, signed with `key`.
    pub fn new(path: impl Into<PathBuf>, key: HeadKey) -> Self {
        Self {
            path: path.into(),
            key,
        }
    }

    /// Where the head is stored.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Signs `head` and replaces the file atomically: a temporary file next
    /// to it, fsynced, renamed over it, and the directory fsynced.
    pub fn write(&self, head: &Head) -> Result<(), AuditError> {
        let at = Utc::now();
        let mut mac = self.key.mac();
        mac.update(&signed_bytes(head.seq, &head.hash, &at));
        let signed = SignedHead {
            format: HEAD_FORMAT.to_owned(),
            seq: head.seq,
            hash: head.hash.clone(),
            at,
            mac: hex::encode(mac.finalize().into_bytes()),
        };
        let mut bytes = serde_json::to_vec(&signed).expect("a head serializes");
        bytes.push(b'\n');
        replace_atomically(&self.path, &bytes)
            .map_err(AuditError::io(format!("write {}", self.path.display())))
    }

    /// Reads and checks the head. `Ok(None)` when there is no head file; a
    /// head that does not parse or whose signature does not match is
    /// [`AuditError::Corrupt`].
    pub fn read(&self) -> Result<Option<Head>, AuditError> {
        match self.read_checked()? {
            HeadState::Missing => Ok(None),
            HeadState::Valid(head) => Ok(Some(head)),
            HeadState::Invalid(reason) => Err(AuditError::Corrupt {
                what: format!(
                    "the signed head {} is invalid: {reason}",
                    self.path.display()
                ),
            }),
        }
    }

    pub(crate) fn read_checked(&self) -> Result<HeadState, AuditError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HeadState::Missing),
            Err(e) => return Err(AuditError::io(format!("read {}", self.path.display()))(e)),
        };
        Ok(check(&bytes, Some(&self.key)))
    }
}

/// Checks the bytes of a head file; without a key only the shape is checked
/// and the result is [`HeadState::Invalid`].
pub(crate) fn check(bytes: &[u8], key: Option<&HeadKey>) -> HeadState {
    let signed: SignedHead = match serde_json::from_slice(bytes) {
        Ok(s) => s,
        Err(e) => return HeadState::Invalid(format!("unreadable ({e})")),
    };
    if signed.format != HEAD_FORMAT {
        return HeadState::Invalid(format!(
            "unknown format `{}` (expected `{HEAD_FORMAT}`)",
            signed.format
        ));
    }
    let Some(key) = key else {
        return HeadState::Invalid(NO_KEY.into());
    };
    let Ok(tag) = hex::decode(&signed.mac) else {
        return HeadState::Invalid(
            "its signature is not hex: the head was forged or edited".into(),
        );
    };
    let mut mac = key.mac();
    mac.update(&signed_bytes(signed.seq, &signed.hash, &signed.at));
    if mac.verify_slice(&tag).is_err() {
        return HeadState::Invalid(
            "bad signature: the head was forged or edited, or signed with another key".into(),
        );
    }
    HeadState::Valid(Head {
        seq: signed.seq,
        hash: signed.hash,
    })
}

/// Whether `path` is `dir` or lies under it, deciding on resolved paths:
/// the longest existing ancestor of each is canonicalized (symlinks, `..`)
/// and the rest appended.
pub(crate) fn is_inside(path: &Path, dir: &Path) -> bool {
    match (resolve(path), resolve(dir)) {
        (Some(path), Some(dir)) => path.starts_with(dir),
        _ => false,
    }
}

fn resolve(path: &Path) -> Option<PathBuf> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut rest = Vec::new();
    let mut base = path.as_path();
    loop {
        if let Ok(real) = base.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::CurDir => {}
                    other => out.push(other),
                }
            }
            return Some(out);
        }
        rest.push(base.components().next_back()?);
        base = base.parent()?;
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("head")
        .to_owned()
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn replace_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp", file_name_of(path)));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// Creates `path` with `bytes` (mode 0600 on Unix) unless it exists.
/// Returns whether this call created it.
fn create_exclusive(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir)?;
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let tmp = dir.join(format!(
        ".{}.{}.{nanos}.tmp",
        file_name_of(path),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // hard_link fails when the target exists: create-only and atomic.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => sync_dir(dir).map(|()| true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.key");
        let (key, created) = HeadKey::load_or_create(&path).unwrap();
        assert!(created);
        let (again, created) = HeadKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(key.bytes, again.bytes);
        assert_eq!(key.bytes.len(), KEY_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("keys"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["audit.key"]);
        std::fs::write(&path, "abcd").unwrap();
        assert!(HeadKey::load(&path).is_err(), "a short key is refused");
    }

    #[test]
    fn head_round_trips_and_rejects_forgery() {
        let dir = tempfile::tempdir().unwrap();
        let (key, _) = HeadKey::load_or_create(&dir.path().join("k")).unwrap();
        let file = HeadFile::new(dir.path().join("audit.head"), key);
        assert_eq!(file.read().unwrap(), None);
        let head = Head {
            seq: 7,
            hash: "ab".repeat(32),
        };
        file.write(&head).unwrap();
        assert_eq!(file.read().unwrap(), Some(head.clone()));
        file.write(&Head::genesis()).unwrap();
        assert_eq!(file.read().unwrap(), Some(Head::genesis()));

        // Editing the seq keeps the old MAC: refused.
        file.write(&head).unwrap();
        let text = std::fs::read_to_string(file.path()).unwrap();
        std::fs::write(file.path(), text.replace("\"seq\":7", "\"seq\":9")).unwrap();
        let err = file.read().unwrap_err().to_string();
        assert!(err.contains("bad signature"), "{err}");

        // Signed with another key: refused.
        let (other, _) = HeadKey::load_or_create(&dir.path().join("other")).unwrap();
        HeadFile::new(file.path(), other).write(&head).unwrap();
        let err = file.read().unwrap_err().to_string();
        assert!(err.contains("bad signature"), "{err}");

        std::fs::write(file.path(), "{not json").unwrap();
        let err = file.read().unwrap_err().to_string();
        assert!(err.contains("unreadable"), "{err}");
    }

    #[test]
    fn inside_is_decided_on_resolved_paths() {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit");
        std::fs::create_dir_all(&audit).unwrap();
        assert!(is_inside(&audit.join("audit.head"), &audit));
        assert!(is_inside(&audit.join("wal/not/yet/audit.key"), &audit));
        assert!(is_inside(&dir.path().join("x/../audit/h"), &audit));
        assert!(!is_inside(&audit.join("../audit.head"), &audit));
        assert!(!is_inside(&dir.path().join("audit.head"), &audit));
        assert!(!is_inside(&dir.path().join("audit2/h"), &audit));
    }
}
