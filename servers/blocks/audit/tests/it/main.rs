//! Integration tests for omega-audit.

mod azure;
mod log;
mod stack;
mod tamper;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use omega_audit::{
    AuditConfig, AuditEvent, AuditLog, Head, HeadConfig, HeadFile, HeadKey, LocalBlobStore,
    Outcome, SEALED_DIR, VerifyReport, WAL_DIR, verify_trail,
};
use omega_protocol::{ErrorCode, TenantId};

/// A signed local trail in a temporary data directory: the audit directory
/// `audit/`, the head `audit.head` and its key `audit.key` beside it.
pub struct Trail {
    root: tempfile::TempDir,
}

impl Default for Trail {
    fn default() -> Self {
        Self::new()
    }
}

impl Trail {
    /// A fresh temporary data directory.
    pub fn new() -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
        }
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The audit directory.
    pub fn dir(&self) -> PathBuf {
        self.root().join("audit")
    }

    /// The signed head file.
    pub fn head(&self) -> PathBuf {
        self.root().join("audit.head")
    }

    /// The head key file.
    pub fn key(&self) -> PathBuf {
        self.root().join("audit.key")
    }

    /// Where the log keeps its head.
    pub fn head_config(&self) -> HeadConfig {
        HeadConfig::new(self.head(), self.key())
    }

    /// Opens the log with default tuning.
    pub async fn open(&self) -> AuditLog {
        AuditLog::open_local(&self.dir(), self.head_config())
            .await
            .unwrap()
    }

    /// Opens the log with tuning changed by `f`.
    pub async fn open_with(&self, f: impl FnOnce(&mut AuditConfig)) -> AuditLog {
        let store = Arc::new(LocalBlobStore::new(self.dir().join(SEALED_DIR)));
        let mut cfg = AuditConfig::new(self.dir().join(WAL_DIR)).signed(self.head_config());
        f(&mut cfg);
        AuditLog::open(store, cfg).await.unwrap()
    }

    /// `omega audit verify` on this trail.
    pub fn verify(&self) -> VerifyReport {
        verify_trail(&self.dir(), &self.head(), &self.key(), false).unwrap()
    }

    /// The signed head on disk.
    pub fn signed_head(&self) -> Head {
        let key = HeadKey::load(&self.key()).unwrap().unwrap();
        HeadFile::new(self.head(), key).read().unwrap().unwrap()
    }

    /// Records in the WAL files.
    pub fn wal_lines(&self) -> usize {
        let mut n = 0;
        for entry in std::fs::read_dir(self.dir().join(WAL_DIR)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "wal") {
                n += std::fs::read_to_string(path).unwrap().lines().count();
            }
        }
        n
    }
}

/// A realistic event number `i`.
pub fn event(i: u64) -> AuditEvent {
    let base = AuditEvent::new(
        "spiffe://omega.local/ns/prod/sa/triage",
        "tool.call",
        format!("ticket.get/T{i}"),
    )
    .tenant(TenantId::parse("acme").unwrap())
    .details(serde_json::json!({"ticket": format!("INC{i:07}"), "latencyMs": i % 97}));
    if i % 10 == 3 {
        base.outcome(Outcome::Denied {
            code: ErrorCode::FORBIDDEN,
        })
    } else {
        base
    }
}
