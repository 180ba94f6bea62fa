//! The embedded backend: one [redb] file in the data directory.
//!
//! Every committed write is durable when the call returns (redb's
//! `Durability::Immediate`: fsync before commit completes). Reads run inline;
//! writes run on the blocking pool so an fsync never stalls the runtime.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::Value;

use crate::files;
use crate::vector::{VectorIndex, normalized};
use crate::{DocStore, Document, KvStore, Scope, StoreError, VectorHit, VectorStore};

/// key → (expires at, ms since the epoch, 0 = never; value)
const KV: TableDefinition<&str, (u64, &[u8])> = TableDefinition::new("kv");
/// `{scope}{collection}:{id}` → JSON text
const DOCS: TableDefinition<&str, &str> = TableDefinition::new("docs");
/// `{scope}{collection}\x1f{index}\x1f{value}\x1f{id}` → ()
const DOC_INDEX: TableDefinition<&str, ()> = TableDefinition::new("doc_index");
/// `{scope}{collection}:{id}` → (little-endian f32s, payload JSON text)
const VECTORS: TableDefinition<&str, (&[u8], &str)> = TableDefinition::new("vectors");
/// `{scope}{collection}:{id}` → the index entries stored for a document (JSON array of [index, value]).
const DOC_ENTRIES: TableDefinition<&str, &str> = TableDefinition::new("doc_entries");

const SEP: char = '\u{1f}';

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn expired(expires_at: u64, now: u64) -> bool {
    expires_at != 0 && expires_at <= now
}

/// Splits `{scope prefix}{collection}:{id}` into the collection key
/// (everything up to and including the colon after the collection) and the
/// id, which may itself contain colons.
fn split_collection_key(key: &str) -> Option<(&str, &str)> {
    // Tenant scopes have two colons before the collection, the global one.
    let colons = if key.starts_with("t:") { 3 } else { 2 };
    let mut seen = 0;
    for (i, b) in key.bytes().enumerate() {
        if b == b':' {
            seen += 1;
            if seen == colons {
                return Some((&key[..=i], &key[i + 1..]));
            }
        }
    }
    None
}

/// The end of the key range that starts with `prefix`.
fn prefix_end(prefix: &str) -> String {
    // Every key we store is valid UTF-8; U+10FFFF sorts after any of them.
    format!("{prefix}\u{10FFFF}")
}

/// The embedded store: KV with TTL, documents with indexes and vectors, in
/// one file. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    vectors: Arc<RwLock<HashMap<String, VectorIndex>>>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the store at `dir/omega.redb` and loads the vector
    /// indexes into memory.
    ///
    /// `dir` is made private first ([`files::ensure_private_dir`]: created
    /// `0700`, a wider existing one tightened), and the database file is
    /// created `0600` by this crate before redb opens it
    /// ([`files::open_private_file`]): redb's `Database::create` opens with
    /// the default mode and initializes an existing empty file, so it never
    /// creates the file itself.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        files::ensure_private_dir(dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot prepare the data directory: {e}"))
        })?;
        let path = dir.join("omega.redb");
        drop(files::open_private_file(&path).map_err(|e| StoreError::Unavailable(e.to_string()))?);
        let db = Database::create(&path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        let txn = db.begin_write()?;
        {
            txn.open_table(KV)?;
            txn.open_table(DOCS)?;
            txn.open_table(DOC_INDEX)?;
            txn.open_table(DOC_ENTRIES)?;
            txn.open_table(VECTORS)?;
        }
        txn.commit()?;
        let store = Self {
            db: Arc::new(db),
            vectors: Arc::default(),
        };
        store.load_vectors()?;
        Ok(store)
    }

    fn load_vectors(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(VECTORS)?;
        let mut map: HashMap<String, VectorIndex> = HashMap::new();
        for row in table.iter()? {
            let (key, value) = row?;
            let key = key.value();
            let (bytes, payload_text) = value.value();
            let (collection_key, id) = split_collection_key(key)
                .ok_or_else(|| StoreError::Backend(format!("corrupt vector key {key}")))?;
            let vector = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let payload = serde_json::from_str(payload_text)
                .map_err(|e| StoreError::Backend(format!("corrupt vector payload {key}: {e}")))?;
            map.entry(collection_key.to_owned())
                .or_default()
                .upsert_sized(id, vector, payload, payload_text.len() as u64)?;
        }
        *self.vectors.write().expect("vector lock poisoned") = map;
        Ok(())
    }

    /// Runs a write transaction on the blocking pool.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&redb::WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write()?;
            let out = f(&txn)?;
            txn.commit()?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("write task failed: {e}")))?
    }

    /// Removes expired KV entries; returns how many. Called periodically.
    pub async fn sweep_expired(&self) -> Result<u64, StoreError> {
        let now = now_ms();
        self.write(move |txn| {
            let mut table = txn.open_table(KV)?;
            let mut removed = 0u64;
            table.retain(|_, (expires_at, _)| {
                let keep = !expired(expires_at, now);
                if !keep {
                    removed += 1;
                }
                keep
            })?;
            Ok(removed)
        })
        .await
    }

    fn collection_key(scope: &Scope, collection: &str) -> String {
        scope.key(collection, "")
    }
}

#[async_trait]
impl KvStore for EmbeddedStore {
    async fn get(&self, scope: &Scope, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = scope.key(ns, key);
        let txn = self.db.begin_read()?;
        let table = txn.open_table(KV)?;
        Ok(table.get(key.as_str())?.and_then(|guard| {
            let (expires_at, value) = guard.value();
            (!expired(expires_at, now_ms())).then(|| value.to_vec())
        }))
    }

    async fn put(
        &self,
        scope: &Scope,
        ns: &str,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), StoreError> {
        let key = scope.key(ns, key);
        let value = value.to_vec();
        let expires_at = ttl.map_or(0, |ttl| {
            now_ms().saturating_add(ttl.as_millis() as u64).max(1)
        });
        self.write(move |txn| {
            txn.open_table(KV)?
                .insert(key.as_str(), (expires_at, value.as_slice()))?;
            Ok(())
        })
        .await
    }

    async fn delete(&self, scope: &Scope, ns: &str, key: &str) -> Result<bool, StoreError> {
        let key = scope.key(ns, key);
        self.write(move |txn| {
            let mut table = txn.open_table(KV)?;
            let existed = table
                .remove(key.as_str())?
                .is_some_and(|guard| !expired(guard.value().0, now_ms()));
            Ok(existed)
        })
        .await
    }

    async fn purge(&self, scope: &Scope) -> Result<u64, StoreError> {
        let prefix = scope.prefix();
        let removed = self
            .write({
                let prefix = prefix.clone();
                move |txn| {
                    let end = prefix_end(&prefix);
                    let mut removed = 0u64;
                    let mut kv = txn.open_table(KV)?;
                    kv.retain_in(prefix.as_str()..end.as_str(), |_, _| {
                        removed += 1;
                        false
                    })?;
                    let mut docs = txn.open_table(DOCS)?;
                    docs.retain_in(prefix.as_str()..end.as_str(), |_, _| {
                        removed += 1;
                        false
                    })?;
                    txn.open_table(DOC_INDEX)?
                        .retain_in(prefix.as_str()..end.as_str(), |_, _| false)?;
                    txn.open_table(DOC_ENTRIES)?
                        .retain_in(prefix.as_str()..end.as_str(), |_, _| false)?;
                    txn.open_table(VECTORS)?
                        .retain_in(prefix.as_str()..end.as_str(), |_, _| {
                            removed += 1;
                            false
                        })?;
                    Ok(removed)
                }
            })
            .await?;
        self.vectors
            .write()
            .expect("vector lock poisoned")
            .retain(|k, _| !k.starts_with(&prefix));
        Ok(removed)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.begin_read()?;
        Ok(())
    }

    async fn namespace_bytes(&self, scope: &Scope, ns: &str) -> Result<u64, StoreError> {
        let base = scope.key(ns, "");
        let end = prefix_end(&base);
        let now = now_ms();
        let txn = self.db.begin_read()?;
        let table = txn.open_table(KV)?;
        let mut bytes = 0u64;
        for row in table.range(base.as_str()..end.as_str())? {
            let (key, value) = row?;
            let (expires_at, value) = value.value();
            if !expired(expires_at, now) {
                bytes += (key.value().len() - base.len() + value.len()) as u64;
            }
        }
        Ok(bytes)
    }

    async fn entry_bytes(
        &self,
        scope: &Scope,
        ns: &str,
        key: &str,
    ) -> Result<Option<u64>, StoreError> {
        let physical = scope.key(ns, key);
        let txn = self.db.begin_read()?;
        let table = txn.open_table(KV)?;
        Ok(table.get(physical.as_str())?.and_then(|guard| {
            let (expires_at, value) = guard.value();
            (!expired(expires_at, now_ms())).then(|| (key.len() + value.len()) as u64)
        }))
    }
}

#[async_trait]
impl DocStore for EmbeddedStore {
    async fn put_doc(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        body: &Value,
        index: &[(&str, String)],
    ) -> Result<(), StoreError> {
        let base = Self::collection_key(scope, collection);
        let key = format!("{base}{id}");
        let text = body.to_string();
        let entries: Vec<(String, String)> = index
            .iter()
            .map(|(i, v)| ((*i).to_owned(), v.clone()))
            .collect();
        let id = id.to_owned();
        self.write(move |txn| {
            let mut docs = txn.open_table(DOCS)?;
            let mut idx = txn.open_table(DOC_INDEX)?;
            let mut stored = txn.open_table(DOC_ENTRIES)?;
            // Drop the previous version's index entries.
            if let Some(old) = stored.get(key.as_str())? {
                let old: Vec<(String, String)> = serde_json::from_str(old.value())
                    .map_err(|e| StoreError::Backend(format!("corrupt index entries: {e}")))?;
                for (i, v) in old {
                    idx.remove(format!("{base}{SEP}{i}{SEP}{v}{SEP}{id}").as_str())?;
                }
            }
            for (i, v) in &entries {
                idx.insert(format!("{base}{SEP}{i}{SEP}{v}{SEP}{id}").as_str(), ())?;
            }
            let entries_text =
                serde_json::to_string(&entries).map_err(|e| StoreError::Backend(e.to_string()))?;
            stored.insert(key.as_str(), entries_text.as_str())?;
            docs.insert(key.as_str(), text.as_str())?;
            Ok(())
        })
        .await
    }

    async fn get_doc(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<Option<Value>, StoreError> {
        let key = format!("{}{id}", Self::collection_key(scope, collection));
        let txn = self.db.begin_read()?;
        let table = txn.open_table(DOCS)?;
        table
            .get(key.as_str())?
            .map(|g| {
                serde_json::from_str(g.value())
                    .map_err(|e| StoreError::Backend(format!("corrupt document {key}: {e}")))
            })
            .transpose()
    }

    async fn delete_doc(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let base = Self::collection_key(scope, collection);
        let key = format!("{base}{id}");
        let id = id.to_owned();
        self.write(move |txn| {
            let mut docs = txn.open_table(DOCS)?;
            let mut idx = txn.open_table(DOC_INDEX)?;
            let mut stored = txn.open_table(DOC_ENTRIES)?;
            if let Some(old) = stored.remove(key.as_str())? {
                let old: Vec<(String, String)> = serde_json::from_str(old.value())
                    .map_err(|e| StoreError::Backend(format!("corrupt index entries: {e}")))?;
                for (i, v) in old {
                    idx.remove(format!("{base}{SEP}{i}{SEP}{v}{SEP}{id}").as_str())?;
                }
            }
            Ok(docs.remove(key.as_str())?.is_some())
        })
        .await
    }

    async fn list_docs(
        &self,
        scope: &Scope,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        let base = Self::collection_key(scope, collection);
        let end = prefix_end(&base);
        let txn = self.db.begin_read()?;
        let table = txn.open_table(DOCS)?;
        let mut out = Vec::new();
        for row in table.range(base.as_str()..end.as_str())? {
            let (key, value) = row?;
            let id = &key.value()[base.len()..];
            if after.is_some_and(|after| id <= after) {
                continue;
            }
            if out.len() >= limit {
                break;
            }
            out.push(Document {
                id: id.to_owned(),
                body: serde_json::from_str(value.value())
                    .map_err(|e| StoreError::Backend(format!("corrupt document: {e}")))?,
            });
        }
        Ok(out)
    }

    async fn find_docs(
        &self,
        scope: &Scope,
        collection: &str,
        index: &str,
        value: &str,
    ) -> Result<Vec<Document>, StoreError> {
        let base = Self::collection_key(scope, collection);
        let prefix = format!("{base}{SEP}{index}{SEP}{value}{SEP}");
        let end = prefix_end(&prefix);
        let txn = self.db.begin_read()?;
        let idx = txn.open_table(DOC_INDEX)?;
        let docs = txn.open_table(DOCS)?;
        let mut out = Vec::new();
        for row in idx.range(prefix.as_str()..end.as_str())? {
            let (key, _) = row?;
            let id = &key.value()[prefix.len()..];
            if let Some(doc) = docs.get(format!("{base}{id}").as_str())? {
                out.push(Document {
                    id: id.to_owned(),
                    body: serde_json::from_str(doc.value())
                        .map_err(|e| StoreError::Backend(format!("corrupt document: {e}")))?,
                });
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl VectorStore for EmbeddedStore {
    async fn upsert(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        vector: &[f32],
        payload: &Value,
    ) -> Result<(), StoreError> {
        let vector = normalized(vector);
        let base = Self::collection_key(scope, collection);
        // Check the dimension before anything is written.
        let dim = self
            .vectors
            .read()
            .expect("vector lock poisoned")
            .get(&base)
            .and_then(VectorIndex::dim);
        if vector.is_empty() || dim.is_some_and(|d| d != vector.len()) {
            return Err(StoreError::Invalid(format!(
                "vector has {} dimensions, the collection has {}",
                vector.len(),
                dim.unwrap_or(0)
            )));
        }
        let key = format!("{base}{id}");
        let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
        let text = payload.to_string();
        let payload_bytes = text.len() as u64;
        // Durable first, then visible: a failed write leaves no ghost entry.
        self.write(move |txn| {
            txn.open_table(VECTORS)?
                .insert(key.as_str(), (bytes.as_slice(), text.as_str()))?;
            Ok(())
        })
        .await?;
        self.vectors
            .write()
            .expect("vector lock poisoned")
            .entry(base)
            .or_default()
            .upsert_sized(id, vector, payload.clone(), payload_bytes)
    }

    async fn search(
        &self,
        scope: &Scope,
        collection: &str,
        query: &[f32],
        k: usize,
    ) -> Result<Vec<VectorHit>, StoreError> {
        let base = Self::collection_key(scope, collection);
        let query = normalized(query);
        let map = self.vectors.read().expect("vector lock poisoned");
        match map.get(&base) {
            Some(index) => index.search(&query, k),
            None => Ok(Vec::new()),
        }
    }

    async fn remove(&self, scope: &Scope, collection: &str, id: &str) -> Result<bool, StoreError> {
        let base = Self::collection_key(scope, collection);
        let existed = self
            .vectors
            .write()
            .expect("vector lock poisoned")
            .get_mut(&base)
            .is_some_and(|index| index.remove(id));
        let key = format!("{base}{id}");
        self.write(move |txn| {
            txn.open_table(VECTORS)?.remove(key.as_str())?;
            Ok(())
        })
        .await?;
        Ok(existed)
    }

    async fn count(&self, scope: &Scope, collection: &str) -> Result<usize, StoreError> {
        let base = Self::collection_key(scope, collection);
        Ok(self
            .vectors
            .read()
            .expect("vector lock poisoned")
            .get(&base)
            .map_or(0, VectorIndex::len))
    }

    async fn collection_bytes(&self, scope: &Scope, collection: &str) -> Result<u64, StoreError> {
        let base = Self::collection_key(scope, collection);
        Ok(self
            .vectors
            .read()
            .expect("vector lock poisoned")
            .get(&base)
            .map_or(0, VectorIndex::bytes))
    }

    async fn vector_bytes(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<Option<u64>, StoreError> {
        let base = Self::collection_key(scope, collection);
        Ok(self
            .vectors
            .read()
            .expect("vector lock poisoned")
            .get(&base)
            .and_then(|index| index.entry_bytes(id)))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[tokio::test]
    async fn the_data_directory_is_0700_and_the_database_0600() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let store = EmbeddedStore::open(&dir).unwrap();
        store
            .put(&Scope::Global, "ns", "k", b"v", None)
            .await
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries, [dir.join("omega.redb")]);
        assert_eq!(mode(&dir.join("omega.redb")), 0o600);
    }

    #[tokio::test]
    async fn an_existing_store_in_a_0755_directory_is_tightened_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        EmbeddedStore::open(&dir)
            .unwrap()
            .put(&Scope::Global, "ns", "k", b"v", None)
            .await
            .unwrap();
        // As an older OMEGA left them.
        let path = dir.join("omega.redb");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = EmbeddedStore::open(&dir).unwrap();
        assert_eq!((mode(&dir), mode(&path)), (0o700, 0o600));
        assert_eq!(
            store
                .get(&Scope::Global, "ns", "k")
                .await
                .unwrap()
                .as_deref(),
            Some(&b"v"[..])
        );
    }
}
