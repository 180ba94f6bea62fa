//! Tool inputs and outputs of the context server.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `session_put` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionPut {
    /// Session id: 1-128 characters of letters, digits, `.`, `_`, `:` or `-`.
    pub session_id: String,
    /// Any JSON value (at most the configured size limit, 1 MiB by default).
    pub value: Value,
    /// Seconds until the session expires (default 3600, at most 604800).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

/// `session_put` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionStored {
    /// The session id.
    pub session_id: String,
    /// When the session expires (RFC 3339).
    pub expires_at: String,
}

/// `session_get` / `session_delete` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRef {
    /// Session id.
    pub session_id: String,
}

/// `session_get` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionValue {
    /// The session id.
    pub session_id: String,
    /// The stored value.
    pub value: Value,
}

/// `session_delete` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    /// Whether something was deleted.
    pub deleted: bool,
}

/// `cache_put` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CachePut {
    /// Cache key (1-512 bytes).
    pub key: String,
    /// Any JSON value (at most the configured size limit).
    pub value: Value,
    /// Seconds until the entry expires (default 300, at most 86400).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

/// `cache_put` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheStored {
    /// The key.
    pub key: String,
    /// When the entry expires (RFC 3339).
    pub expires_at: String,
}

/// `cache_get` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CacheRef {
    /// Cache key.
    pub key: String,
}

/// `cache_get` output: a miss is a normal answer, not an error.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheValue {
    /// The key.
    pub key: String,
    /// Whether the key was present.
    pub hit: bool,
    /// The value, on a hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// `memory_store` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryStore {
    /// The text to remember (searched by meaning).
    pub text: String,
    /// Metadata returned with search hits (flat JSON object).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Entry id; a new one is generated when absent. Storing an existing id replaces it.
    #[serde(default)]
    pub id: Option<String>,
}

/// `memory_store` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryStored {
    /// The entry id.
    pub id: String,
}

/// `memory_search` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemorySearch {
    /// What to look for.
    pub query: String,
    /// How many entries to return (default 5, at most 100).
    #[serde(default)]
    pub k: Option<u32>,
    /// Only return entries whose metadata has all these key/value pairs.
    #[serde(default)]
    pub filter: Map<String, Value>,
}

/// One memory search hit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryHit {
    /// The entry id.
    pub id: String,
    /// Cosine similarity in [-1, 1]; higher is closer.
    pub score: f32,
    /// The stored text.
    pub text: String,
    /// The stored metadata.
    pub metadata: Map<String, Value>,
}

/// `memory_search` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryResults {
    /// Hits, best first.
    pub results: Vec<MemoryHit>,
}

/// `ticket_record` input: a past ticket and how it was resolved.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketRecord {
    /// OMEGA ticket id (`{platform}:{externalId}`).
    pub ticket_id: String,
    /// Title.
    pub title: String,
    /// Body (already free of PII).
    #[serde(default)]
    pub body: String,
    /// The category it was filed under.
    #[serde(default)]
    pub category: Option<String>,
    /// How it was resolved.
    #[serde(default)]
    pub resolution: Option<String>,
}

/// `ticket_record` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketRecorded {
    /// The ticket id.
    pub ticket_id: String,
}

/// `ticket_context` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketContextQuery {
    /// Title of the ticket to find context for.
    pub title: String,
    /// Body of the ticket.
    #[serde(default)]
    pub body: String,
    /// Leave this ticket out of the results (the ticket itself, if recorded).
    #[serde(default)]
    pub exclude_ticket_id: Option<String>,
    /// How many similar tickets to return (default 5, at most 50).
    #[serde(default)]
    pub k: Option<u32>,
}

/// One similar past ticket.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimilarPastTicket {
    /// The ticket id.
    pub ticket_id: String,
    /// Cosine similarity in [-1, 1].
    pub score: f32,
    /// Title.
    pub title: String,
    /// Category, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Resolution, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

/// `ticket_context` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketContext {
    /// Similar past tickets, best first.
    pub similar: Vec<SimilarPastTicket>,
}
