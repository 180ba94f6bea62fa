//! Where each kind of data lives.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Storage backends per kind of data. The embedded defaults persist under the
/// data directory; the distributed options are for production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Backend for short-term memory (sessions) and the hot cache.
    pub kv: KvBackend,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            kv: KvBackend::Embedded,
        }
    }
}

/// A key-value backend with TTLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, tag = "backend")]
pub enum KvBackend {
    /// The embedded store in the data directory.
    Embedded,
    /// A Redis server (Azure Cache for Redis in production).
    Redis {
        /// `redis://host:port/db` or `rediss://…` for TLS.
        url: String,
    },
}
