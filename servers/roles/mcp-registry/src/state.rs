//! Registry storage: one document per server version, indexed by name.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use omega_protocol::{
    ErrorCode, McpServerRecord, McpServerStatus, OfficialMeta, OmegaError, ResponseMeta,
    ServerList, ServerResponse,
};
use omega_stack::Caller;
use omega_store::{DocStore, Scope};
use tokio::sync::Mutex;

use crate::owner;
use crate::types::ListServers;
use crate::version;

const SERVERS: &str = "mcp-servers";

/// The MCP registry's state.
pub struct RegistryState {
    docs: Arc<dyn DocStore>,
    /// Serializes publish and status changes so "is latest" stays consistent.
    write_lock: Mutex<()>,
    now: Box<dyn Fn() -> DateTime<Utc> + Send + Sync>,
}

impl std::fmt::Debug for RegistryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryState").finish_non_exhaustive()
    }
}

fn doc_id(name: &str, version: &str) -> String {
    format!("{name}@{version}")
}

/// The key of the stored document that holds the owner; internal, never
/// part of a response.
const OWNER_KEY: &str = "omegaOwner";

/// A stored server version and its owner (`None`: stored before the
/// registry recorded owners).
#[derive(Debug)]
pub(crate) struct Stored {
    pub entry: ServerResponse,
    pub owner: Option<String>,
}

fn decode_stored(mut body: serde_json::Value) -> Result<Stored, OmegaError> {
    let owner = body
        .as_object_mut()
        .and_then(|o| o.remove(OWNER_KEY))
        .and_then(|v| v.as_str().map(str::to_owned));
    let entry = serde_json::from_value(body)
        .map_err(|e| OmegaError::internal(format!("stored record is unreadable: {e}")))?;
    Ok(Stored { entry, owner })
}

fn decode(body: serde_json::Value) -> Result<ServerResponse, OmegaError> {
    decode_stored(body).map(|s| s.entry)
}

/// The owner of a server name: the owner of its first published version.
fn name_owner(versions: &[Stored]) -> Option<&str> {
    versions
        .iter()
        .min_by_key(|s| official(&s.entry).published_at)
        .and_then(|s| s.owner.as_deref())
}

fn official(entry: &ServerResponse) -> &OfficialMeta {
    entry
        .meta
        .official
        .as_ref()
        .expect("stored entries always carry official metadata")
}

/// Whether `a` is a newer version than `b`: semver order when both parse,
/// otherwise publish time.
fn newer(a: &ServerResponse, b: &ServerResponse) -> bool {
    match version::compare(&a.server.version, &b.server.version) {
        Some(order) => order == Ordering::Greater,
        None => official(a).published_at > official(b).published_at,
    }
}

fn parse_limit(limit: Option<u32>) -> Result<usize, OmegaError> {
    match limit {
        None => Ok(30),
        Some(l @ 1..=100) => Ok(l as usize),
        Some(l) => Err(
            OmegaError::invalid_params(format!("limit is {l}; use 1..=100")).with_field("limit"),
        ),
    }
}

impl RegistryState {
    /// A registry on `docs`.
    pub fn new(docs: Arc<dyn DocStore>) -> Self {
        Self {
            docs,
            write_lock: Mutex::new(()),
            now: Box::new(Utc::now),
        }
    }

    pub(crate) async fn store(
        &self,
        entry: &ServerResponse,
        owner: Option<&str>,
    ) -> Result<(), OmegaError> {
        let mut body =
            serde_json::to_value(entry).map_err(|e| OmegaError::internal(e.to_string()))?;
        if let (Some(owner), Some(obj)) = (owner, body.as_object_mut()) {
            obj.insert(OWNER_KEY.to_owned(), owner.into());
        }
        let id = doc_id(&entry.server.name, &entry.server.version);
        self.docs
            .put_doc(
                &Scope::Global,
                SERVERS,
                &id,
                &body,
                &[("name", entry.server.name.clone())],
            )
            .await?;
        Ok(())
    }

    /// Every version of `name`.
    pub(crate) async fn versions(&self, name: &str) -> Result<Vec<ServerResponse>, OmegaError> {
        Ok(self
            .stored_versions(name)
            .await?
            .into_iter()
            .map(|s| s.entry)
            .collect())
    }

    /// Every version of `name`, with owners.
    pub(crate) async fn stored_versions(&self, name: &str) -> Result<Vec<Stored>, OmegaError> {
        self.docs
            .find_docs(&Scope::Global, SERVERS, "name", name)
            .await?
            .into_iter()
            .map(|d| decode_stored(d.body))
            .collect()
    }

    /// One stored version (or `latest`), with its owner.
    pub(crate) async fn stored(&self, name: &str, version: &str) -> Result<Stored, OmegaError> {
        let found = if version == "latest" {
            self.stored_versions(name)
                .await?
                .into_iter()
                .find(|s| official(&s.entry).is_latest)
        } else {
            self.docs
                .get_doc(&Scope::Global, SERVERS, &doc_id(name, version))
                .await?
                .map(decode_stored)
                .transpose()?
        };
        found.ok_or_else(|| {
            OmegaError::not_found(format!(
                "no server `{name}` version `{version}` in this registry"
            ))
            .with_field("name")
        })
    }

    /// Publishes a new server version as `caller`: the first version of a
    /// name makes the caller its owner; later versions need the owner (or an
    /// operator) and keep the name's owner.
    pub(crate) async fn publish(
        &self,
        mut record: McpServerRecord,
        caller: &Caller,
    ) -> Result<ServerResponse, OmegaError> {
        record.validate().map_err(|mut e| {
            e.data.field = Some(
                e.data
                    .field
                    .map_or("server".into(), |f| format!("server.{f}")),
            );
            e
        })?;
        let _guard = self.write_lock.lock().await;
        let mut existing = self.stored_versions(&record.name).await?;
        let owner = if existing.is_empty() {
            Some(caller.id.clone())
        } else {
            let owner = name_owner(&existing).map(str::to_owned);
            owner::check(
                &record.name,
                owner.as_deref(),
                caller,
                "publish versions of",
                "server.name",
            )?;
            owner
        };
        if existing
            .iter()
            .any(|e| e.entry.server.version == record.version)
        {
            return Err(OmegaError::new(
                ErrorCode::ALREADY_EXISTS,
                format!(
                    "{} version {} is already published",
                    record.name, record.version
                ),
            )
            .with_field("server.version")
            .with_hint("versions are immutable: publish a new version"));
        }
        if record.schema.is_none() {
            record.schema = Some(omega_protocol::mcp_registry::SERVER_SCHEMA_URL.to_owned());
        }
        let now = (self.now)();
        let mut entry = ServerResponse {
            server: record,
            meta: ResponseMeta {
                official: Some(OfficialMeta {
                    status: McpServerStatus::Active,
                    published_at: now,
                    updated_at: now,
                    is_latest: false,
                }),
                other: Default::default(),
            },
        };
        let current_latest = existing.iter_mut().find(|e| official(&e.entry).is_latest);
        let becomes_latest = current_latest
            .as_ref()
            .is_none_or(|cur| newer(&entry, &cur.entry));
        if becomes_latest {
            if let Some(cur) = current_latest {
                let meta = cur.entry.meta.official.as_mut().expect("official metadata");
                meta.is_latest = false;
                meta.updated_at = now;
                self.store(&cur.entry, cur.owner.as_deref()).await?;
            }
            entry
                .meta
                .official
                .as_mut()
                .expect("official metadata")
                .is_latest = true;
        }
        self.store(&entry, owner.as_deref()).await?;
        tracing::info!(name = %entry.server.name, version = %entry.server.version, "server published");
        Ok(entry)
    }

    /// One version (or `latest`) of a server.
    pub(crate) async fn get(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<ServerResponse, OmegaError> {
        let found = match version {
            None | Some("latest") => self
                .versions(name)
                .await?
                .into_iter()
                .find(|e| official(e).is_latest),
            Some(v) => self
                .docs
                .get_doc(&Scope::Global, SERVERS, &doc_id(name, v))
                .await?
                .map(decode)
                .transpose()?,
        };
        found.ok_or_else(|| {
            OmegaError::not_found(format!(
                "no server `{name}` version `{}` in this registry",
                version.unwrap_or("latest")
            ))
            .with_field("name")
        })
    }

    /// Changes a version's status as `caller`, who must own the record (or
    /// be an operator).
    pub(crate) async fn set_status(
        &self,
        name: &str,
        version: &str,
        status: McpServerStatus,
        caller: &Caller,
    ) -> Result<ServerResponse, OmegaError> {
        let _guard = self.write_lock.lock().await;
        let Stored { mut entry, owner } = self.stored(name, version).await?;
        owner::check(
            name,
            owner.as_deref(),
            caller,
            "change the status of",
            "name",
        )?;
        let meta = entry.meta.official.as_mut().expect("official metadata");
        meta.status = status;
        meta.updated_at = (self.now)();
        self.store(&entry, owner.as_deref()).await?;
        Ok(entry)
    }

    /// A page of servers, as `GET /v0.1/servers` returns it.
    pub(crate) async fn list(&self, query: &ListServers) -> Result<ServerList, OmegaError> {
        let limit = parse_limit(query.limit)?;
        if let Some(v) = &query.version
            && v != "latest"
        {
            return Err(OmegaError::invalid_params(format!(
                "version filter `{v}` is not supported; use `latest`"
            ))
            .with_field("version"));
        }
        let search = query.search.as_ref().map(|s| s.to_lowercase());
        let keep = |e: &ServerResponse| {
            let meta = official(e);
            (query.include_deleted || meta.status != McpServerStatus::Deleted)
                && (query.version.is_none() || meta.is_latest)
                && search
                    .as_ref()
                    .is_none_or(|s| e.server.name.to_lowercase().contains(s))
                && query.updated_since.is_none_or(|t| meta.updated_at >= t)
        };
        self.page(query.cursor.clone(), limit, keep).await
    }

    /// Servers whose name, title and description contain every query word.
    pub(crate) async fn search(
        &self,
        query: &str,
        limit: Option<u32>,
    ) -> Result<ServerList, OmegaError> {
        let limit = parse_limit(limit)?;
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Err(
                OmegaError::invalid_params("`query` must contain a word").with_field("query")
            );
        }
        self.page(None, limit, |e| {
            let hay = format!(
                "{} {} {}",
                e.server.name,
                e.server.title.as_deref().unwrap_or(""),
                e.server.description
            )
            .to_lowercase();
            official(e).status != McpServerStatus::Deleted && words.iter().all(|w| hay.contains(w))
        })
        .await
    }

    async fn page(
        &self,
        cursor: Option<String>,
        limit: usize,
        keep: impl Fn(&ServerResponse) -> bool,
    ) -> Result<ServerList, OmegaError> {
        let mut out = Vec::new();
        let mut after = cursor;
        loop {
            let docs = self
                .docs
                .list_docs(&Scope::Global, SERVERS, after.as_deref(), 200)
                .await?;
            let exhausted = docs.len() < 200;
            for doc in docs {
                after = Some(doc.id.clone());
                let entry = decode(doc.body)?;
                if keep(&entry) {
                    if out.len() == limit {
                        // There is at least one more match: hand out a cursor
                        // that resumes right after the last returned entry.
                        let last: &ServerResponse = out.last().expect("limit >= 1");
                        let next = doc_id(&last.server.name, &last.server.version);
                        return Ok(ServerList::new(out, Some(next)));
                    }
                    out.push(entry);
                }
            }
            if exhausted {
                return Ok(ServerList::new(out, None));
            }
        }
    }
}
