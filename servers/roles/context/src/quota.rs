//! The per-tenant storage quota: the bytes a tenant keeps in sessions, the
//! cache, long-term memory and ticket history together.
//!
//! Each tenant has a ledger of the bytes it holds, counted from the stores
//! ([`KvStore::namespace_bytes`], [`VectorStore::collection_bytes`]) when
//! first needed and again whenever the figure is older than
//! [`RECOUNT_AFTER`] (so expired sessions and cache entries, and writes of
//! other replicas, are taken into account), and kept up to date by every
//! write in between. A write that would grow the tenant past its quota is
//! refused with `quota_exceeded` before anything is stored; a refusal
//! recounts first when the figure is more than [`RECOUNT_BEFORE_REFUSING`]
//! old, so entries that expired meanwhile do not cause it. Writes of one
//! tenant are serialized (the embedded store serializes every write anyway),
//! so concurrent writes cannot overshoot the quota within one process.
//!
//! [`KvStore::namespace_bytes`]: omega_store::KvStore::namespace_bytes
//! [`VectorStore::collection_bytes`]: omega_store::VectorStore::collection_bytes

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_store::Scope;
use serde_json::json;

use crate::state::ContextState;

/// Key-value namespaces counted against the quota.
pub(crate) const KV_NAMESPACES: [&str; 2] = [crate::tools::SESSION, crate::tools::CACHE];
/// Vector collections counted against the quota.
pub(crate) const COLLECTIONS: [&str; 2] = [crate::memory::MEMORY, crate::memory::TICKETS];

/// A ledger older than this is recounted before the next write.
const RECOUNT_AFTER: Duration = Duration::from_secs(30);
/// A write is refused only on a figure at most this old (else it recounts first).
const RECOUNT_BEFORE_REFUSING: Duration = Duration::from_secs(1);

/// What a write replaces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry<'a> {
    /// A key-value entry.
    Kv { ns: &'static str, key: &'a str },
    /// A vector entry.
    Vector {
        collection: &'static str,
        id: &'a str,
    },
}

#[derive(Debug, Default)]
struct Ledger {
    used: u64,
    counted: Option<Instant>,
}

impl Ledger {
    fn older_than(&self, age: Duration) -> bool {
        self.counted.is_none_or(|at| at.elapsed() >= age)
    }

    async fn recount(&mut self, state: &ContextState, scope: &Scope) -> Result<(), OmegaError> {
        let mut used = 0;
        for ns in KV_NAMESPACES {
            used += state.kv.namespace_bytes(scope, ns).await?;
        }
        for collection in COLLECTIONS {
            used += state.vectors.collection_bytes(scope, collection).await?;
        }
        self.used = used;
        self.counted = Some(Instant::now());
        Ok(())
    }
}

/// The quota and the ledger of every tenant that wrote.
#[derive(Debug)]
pub(crate) struct Quota {
    limit: u64,
    ledgers: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<Ledger>>>>,
}

impl Quota {
    /// At most `limit` bytes per tenant.
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
            ledgers: Mutex::default(),
        }
    }

    fn ledger(&self, tenant: &TenantId) -> Arc<tokio::sync::Mutex<Ledger>> {
        self.ledgers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(tenant.clone())
            .or_default()
            .clone()
    }

    /// Runs `write`, which stores `new_bytes` in place of `entry`, if the
    /// tenant stays within its quota; refuses it with `quota_exceeded`
    /// otherwise (without running it). A write that does not grow the
    /// tenant is always allowed.
    pub(crate) async fn write<T>(
        &self,
        state: &ContextState,
        tenant: &TenantId,
        entry: Entry<'_>,
        new_bytes: u64,
        write: impl Future<Output = Result<T, OmegaError>>,
    ) -> Result<T, OmegaError> {
        let scope = Scope::Tenant(tenant.clone());
        let ledger = self.ledger(tenant);
        let mut ledger = ledger.lock().await;
        if ledger.older_than(RECOUNT_AFTER) {
            ledger.recount(state, &scope).await?;
        }
        let old = entry_bytes(state, &scope, entry).await?.unwrap_or(0);
        let grows = new_bytes > old;
        let mut after = ledger.used.saturating_sub(old) + new_bytes;
        if grows && after > self.limit && ledger.older_than(RECOUNT_BEFORE_REFUSING) {
            ledger.recount(state, &scope).await?;
            after = ledger.used.saturating_sub(old) + new_bytes;
        }
        if grows && after > self.limit {
            return Err(self.exceeded(tenant, ledger.used, old, new_bytes));
        }
        let out = write.await?;
        ledger.used = after;
        Ok(out)
    }

    /// Runs `delete`, which removes `entry`, and credits its bytes back.
    pub(crate) async fn delete<T>(
        &self,
        state: &ContextState,
        tenant: &TenantId,
        entry: Entry<'_>,
        delete: impl Future<Output = Result<T, OmegaError>>,
    ) -> Result<T, OmegaError> {
        let scope = Scope::Tenant(tenant.clone());
        let ledger = self.ledger(tenant);
        let mut ledger = ledger.lock().await;
        let old = entry_bytes(state, &scope, entry).await?.unwrap_or(0);
        let out = delete.await?;
        ledger.used = ledger.used.saturating_sub(old);
        Ok(out)
    }

    fn exceeded(&self, tenant: &TenantId, used: u64, old: u64, new_bytes: u64) -> OmegaError {
        OmegaError::new(
            ErrorCode::QUOTA_EXCEEDED,
            format!(
                "tenant `{tenant}` stores {used} bytes; this write of {new_bytes} bytes would take \
                 it over its storage quota (tenantQuotaBytes) of {} bytes, so nothing was stored",
                self.limit
            ),
        )
        .with_hint(
            "delete sessions, cache entries or memories the tenant no longer needs, \
             or raise limits.tenantQuotaBytes",
        )
        .with_extra(json!({
            "quota": "tenantQuotaBytes",
            "limitBytes": self.limit,
            "usedBytes": used,
            "replacedBytes": old,
            "requestedBytes": new_bytes,
        }))
    }
}

async fn entry_bytes(
    state: &ContextState,
    scope: &Scope,
    entry: Entry<'_>,
) -> Result<Option<u64>, OmegaError> {
    Ok(match entry {
        Entry::Kv { ns, key } => state.kv.entry_bytes(scope, ns, key).await?,
        Entry::Vector { collection, id } => {
            state.vectors.vector_bytes(scope, collection, id).await?
        }
    })
}

/// The bytes a key-value entry holds, as [`omega_store::KvStore`] counts them.
pub(crate) fn kv_bytes(key: &str, value: &[u8]) -> u64 {
    (key.len() + value.len()) as u64
}

/// The bytes a vector entry holds, as [`omega_store::VectorStore`] counts
/// them: id, four bytes per dimension, payload JSON text.
pub(crate) fn vector_bytes(id: &str, dimensions: usize, payload_text: &str) -> u64 {
    (id.len() + 4 * dimensions + payload_text.len()) as u64
}
