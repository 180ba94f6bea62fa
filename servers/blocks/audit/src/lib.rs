//! A tamper-evident, hash-chained audit trail stored in segments on a blob store.
//!
//! Servers describe what happened as an [`AuditEvent`] (who, for which
//! tenant, what, to what, how it ended) and hand it to an [`AuditLog`]:
//! [`AuditLog::append`] from request paths (no I/O, returns at once), or
//! [`AuditSink::record`] to wait until the record is durable. The log numbers
//! events (`seq`, from 1, no gaps), stamps them, and chains them: each
//! [`AuditRecord`] carries the SHA-256 of the previous record (`prevHash`)
//! and of its own canonical bytes (`hash`). A writer thread group-commits
//! appended records to a local write-ahead log (fsync) and then rewrites the
//! signed [`Head`] (see [`head`]); [`AuditLog::flush`] and
//! [`AuditLog::close`] wait for that. Records are sealed in segments (1,000
//! records or 5 minutes by default) as JSON Lines blobs with a header and a
//! trailer that chain segments together (see [`segment`]).
//!
//! [`verify_trail`] walks the whole chain and checks it against the signed
//! head: it names every edited, removed, reordered or replaced record or
//! segment, a trail cut before its head (newest segments or the WAL
//! removed), an emptied directory, and a forged or missing head.
//! [`ToolSet`](omega_stack::ToolSet)s feed the log through its
//! [`omega_stack::ToolAudit`] implementation (feature `stack`, on by default).
//!
//! # Personal data
//!
//! Audit records are kept for years on write-once storage and cannot be
//! erased, so they must not contain personal data: use SPIFFE ids, service
//! names and `omega-privacy` pseudonyms for actors and targets, and put only
//! ids, codes and counts in `details`. Erasing a data subject then needs no
//! change to the audit trail.
//!
//! # Immutability in production
//!
//! The hash chain makes tampering *detectable*; the storage service makes it
//! *impossible*. On Azure, put the audit container under an immutability
//! policy:
//!
//! - **Container-level time-based retention** (WORM): blobs cannot be modified
//!   or deleted until the retention interval (e.g. 400 days) has passed; lock
//!   the policy so nobody, including account owners, can shorten it.
//! - or **version-level immutability** with a default retention on the
//!   container, so every new blob version is protected on creation.
//! - Optionally a **legal hold** during investigations.
//!
//! Give the writer identity only `Microsoft.Storage/.../blobs/write` on that
//! container (no delete). The signed head lives next to the trail and shows
//! truncation as long as its key is not in an attacker's hands; someone who
//! can write both the trail and the head can still put back an older head
//! and cut the trail to match it, so also publish the newest [`Head`] to a
//! second system and check it with [`Verifier::expect_head`]. Locally,
//! [`LocalBlobStore`] refuses overwrites and marks sealed files read-only,
//! which only guards against accidents.

pub mod blob;
mod error;
pub mod head;
mod log;
pub mod record;
pub mod segment;
mod sink;
#[cfg(feature = "stack")]
mod stack;
pub mod verify;
mod wal;

pub use blob::azure::AzureBlobStore;
pub use blob::local::LocalBlobStore;
pub use blob::{BlobError, BlobStore, BoxFuture};
pub use error::AuditError;
pub use head::{HEAD_FORMAT, Head, HeadFile, HeadKey, SignedHead};
pub use log::{AuditConfig, AuditLog, HeadConfig, SEALED_DIR, WAL_DIR};
pub use record::{AuditEvent, AuditRecord, GENESIS_HASH, Outcome};
pub use sink::{AuditSink, MemoryAuditSink};
#[cfg(feature = "stack")]
pub use stack::tool_event;
pub use verify::{Problem, Verifier, VerifyReport, verify, verify_dir, verify_trail};
