//! Storage for OMEGA servers, behind small traits so each backend can be
//! swapped by configuration:
//!
//! - [`KvStore`]: key-value with TTL (sessions, hot cache). Backends:
//!   [`EmbeddedStore`] (default, persists to the data directory) and
//!   [`RedisKv`] (production: Azure Cache for Redis).
//! - [`DocStore`]: JSON documents with secondary lookups (registries).
//! - [`VectorStore`]: exact nearest-neighbour search over embeddings
//!   (long-term semantic memory).
//!
//! Tenant isolation lives here, not only in the tools: every tenant-owned
//! operation takes a [`Scope`], and each backend derives its physical keys
//! from it, so no call can name another tenant's keys.
//!
//! Files and credentials: [`files`] creates the data directory `0700` and
//! every file in it `0600` (keys and tokens atomically), and
//! [`redact_url`] hides the credentials of a URL wherever one is shown.

mod embedded;
mod error;
pub mod files;
mod redact;
mod redis_kv;
mod scope;
mod traits;
mod vector;

pub use embedded::EmbeddedStore;
pub use error::StoreError;
pub use redact::{REDACTED, redact_url};
pub use redis_kv::{RedisKv, RedisKvConfig};
pub use scope::Scope;
pub use traits::{DocStore, Document, KvStore, VectorHit, VectorStore};
pub use vector::{VectorIndex, dot};
