//! The storage traits servers program against.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::{Scope, StoreError};

/// Key-value storage with optional time-to-live.
#[async_trait]
pub trait KvStore: Send + Sync + 'static {
    /// Reads a value; expired values are absent.
    async fn get(&self, scope: &Scope, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes a value, replacing any previous one. `ttl: None` keeps it until deleted.
    async fn put(
        &self,
        scope: &Scope,
        ns: &str,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), StoreError>;
    /// Deletes a value; returns whether it existed (and had not expired).
    async fn delete(&self, scope: &Scope, ns: &str, key: &str) -> Result<bool, StoreError>;
    /// Deletes every key of a scope; returns how many were removed.
    async fn purge(&self, scope: &Scope) -> Result<u64, StoreError>;
    /// Checks that the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Bytes held by the live entries of namespace `ns` in `scope`: for each
    /// entry not yet expired, the length of its key plus that of its value.
    /// Per-tenant storage quotas are counted with it. It reads every entry
    /// of the namespace, so callers keep the figure rather than ask often.
    async fn namespace_bytes(&self, scope: &Scope, ns: &str) -> Result<u64, StoreError>;
    /// The bytes one live entry holds (key plus value, as counted by
    /// [`KvStore::namespace_bytes`]), or `None` when it is absent or expired.
    async fn entry_bytes(
        &self,
        scope: &Scope,
        ns: &str,
        key: &str,
    ) -> Result<Option<u64>, StoreError> {
        Ok(self
            .get(scope, ns, key)
            .await?
            .map(|value| (key.len() + value.len()) as u64))
    }
}

/// A stored JSON document with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document id, unique within its collection and scope.
    pub id: String,
    /// The document.
    pub body: Value,
}

/// JSON documents in named collections, with secondary lookups.
///
/// Each `put` declares the document's index entries as `(index, value)`
/// pairs; [`DocStore::find`] returns the documents whose entries match.
#[async_trait]
pub trait DocStore: Send + Sync + 'static {
    /// Inserts or replaces a document and its index entries.
    async fn put_doc(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        body: &Value,
        index: &[(&str, String)],
    ) -> Result<(), StoreError>;
    /// Reads one document.
    async fn get_doc(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<Option<Value>, StoreError>;
    /// Deletes one document and its index entries; returns whether it existed.
    async fn delete_doc(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<bool, StoreError>;
    /// Lists documents in id order, starting after `after`, at most `limit`.
    async fn list_docs(
        &self,
        scope: &Scope,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError>;
    /// Documents whose index `index` has the entry `value`, in id order.
    async fn find_docs(
        &self,
        scope: &Scope,
        collection: &str,
        index: &str,
        value: &str,
    ) -> Result<Vec<Document>, StoreError>;
}

/// One search hit.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorHit {
    /// The entry id.
    pub id: String,
    /// Cosine similarity (vectors are stored normalized) in [-1, 1].
    pub score: f32,
    /// The entry's payload.
    pub payload: Value,
}

/// Exact nearest-neighbour search over fixed-dimension vectors.
#[async_trait]
pub trait VectorStore: Send + Sync + 'static {
    /// Inserts or replaces an entry. The vector is normalized before storing.
    async fn upsert(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        vector: &[f32],
        payload: &Value,
    ) -> Result<(), StoreError>;
    /// The `k` entries most similar to `query`, best first.
    async fn search(
        &self,
        scope: &Scope,
        collection: &str,
        query: &[f32],
        k: usize,
    ) -> Result<Vec<VectorHit>, StoreError>;
    /// Deletes an entry; returns whether it existed.
    async fn remove(&self, scope: &Scope, collection: &str, id: &str) -> Result<bool, StoreError>;
    /// Number of entries in a collection.
    async fn count(&self, scope: &Scope, collection: &str) -> Result<usize, StoreError>;
    /// Bytes held by a collection: for each entry, the length of its id,
    /// four bytes per dimension and the length of its payload's JSON text.
    /// Per-tenant storage quotas are counted with it.
    async fn collection_bytes(&self, scope: &Scope, collection: &str) -> Result<u64, StoreError>;
    /// The bytes one entry holds (as counted by
    /// [`VectorStore::collection_bytes`]), or `None` when it is absent.
    async fn vector_bytes(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<Option<u64>, StoreError>;
}
