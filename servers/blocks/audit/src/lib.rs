//! A tamper-evident, hash-chained audit trail stored in segments on a blob store.
//!
//! Servers describe what happened as an [`AuditEvent`] and hand it to an
//! [`AuditSink`] (normally an [`AuditLog`]). The log numbers events (`seq`,
//! from 1, no gaps), stamps them, and chains them: each [`AuditRecord`]
//! carries the SHA-256 of the previous record (`prevHash`) and of its own
//! canonical bytes (`hash`). Records are fsynced to a local write-ahead log
//! before `append` returns, then sealed in segments (1,000 records or 5
//! minutes by default) as JSON Lines blobs with a header and a trailer that
//! chain segments together (see [`segment`]). [`verify()`] and [`verify_dir`]
//! walk the whole chain and name every edited, removed, reordered or replaced
//! record or segment.
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
//! container (no delete), and keep the newest [`Head`] in a second system so
//! truncation of the newest segments is detectable ([`Verifier::expect_head`]).
//! Locally, [`LocalBlobStore`] refuses overwrites and marks sealed files
//! read-only, which only guards against accidents.

pub mod blob;
mod error;
mod log;
pub mod record;
pub mod segment;
mod sink;
pub mod verify;
mod wal;

pub use blob::azure::AzureBlobStore;
pub use blob::local::LocalBlobStore;
pub use blob::{BlobError, BlobStore, BoxFuture};
pub use error::AuditError;
pub use log::{AuditConfig, AuditLog, Head, SEALED_DIR, WAL_DIR};
pub use record::{AuditEvent, AuditRecord, GENESIS_HASH, Outcome};
pub use sink::{AuditSink, MemoryAuditSink};
pub use verify::{Problem, Verifier, VerifyReport, verify, verify_dir};
