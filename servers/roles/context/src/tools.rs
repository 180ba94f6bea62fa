//! The context server's MCP tools.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use omega_protocol::OmegaError;
use omega_stack::{TenantPolicy, ToolSet};
use omega_store::Scope;

use crate::memory;
use crate::state::{ContextState, check_id, check_key, ttl};
use crate::types::*;

/// What the server tells MCP clients about itself.
pub const INSTRUCTIONS: &str = "OMEGA context server. Every tool takes a `tenant`. \
Sessions are short-term memory with a TTL; the cache is a hot cache where a miss is normal; \
memory_store/memory_search are long-term semantic memory; ticket_record/ticket_context return \
similar past tickets and their resolutions.";

const SESSION: &str = "session";
const CACHE: &str = "cache";

fn expires_at(secs: u64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs as i64)).to_rfc3339()
}

fn decode(bytes: &[u8]) -> Result<serde_json::Value, OmegaError> {
    serde_json::from_slice(bytes)
        .map_err(|e| OmegaError::internal(format!("stored value is unreadable: {e}")))
}

/// The context server's tools over `state`.
pub fn tool_set(state: Arc<ContextState>, policy: TenantPolicy) -> ToolSet<ContextState> {
    ToolSet::new(state, policy)
        .scoped_tool(
            "session_put",
            "Store a session's short-term memory (any JSON value) with a TTL.",
            false,
            |s, tenant, input: SessionPut| async move {
                check_id("sessionId", &input.session_id, 128)?;
                let secs = ttl("ttlSecs", input.ttl_secs, 3600, 7 * 24 * 3600)?;
                let bytes = s.encode_value("value", &input.value)?;
                s.kv.put(&Scope::Tenant(tenant), SESSION, &input.session_id, &bytes, Some(Duration::from_secs(secs)))
                    .await?;
                Ok(SessionStored {
                    session_id: input.session_id,
                    expires_at: expires_at(secs),
                })
            },
        )
        .scoped_tool(
            "session_get",
            "Read a session's short-term memory. Fails with not_found when the session does not exist or expired.",
            true,
            |s, tenant, input: SessionRef| async move {
                check_id("sessionId", &input.session_id, 128)?;
                match s.kv.get(&Scope::Tenant(tenant.clone()), SESSION, &input.session_id).await? {
                    Some(bytes) => Ok(SessionValue {
                        session_id: input.session_id,
                        value: decode(&bytes)?,
                    }),
                    None => Err(OmegaError::not_found(format!(
                        "session `{}` does not exist for tenant `{tenant}` (or it expired)",
                        input.session_id
                    ))
                    .with_field("sessionId")
                    .with_hint("create it with session_put")),
                }
            },
        )
        .scoped_tool(
            "session_delete",
            "Delete a session. Returns whether it existed.",
            false,
            |s, tenant, input: SessionRef| async move {
                check_id("sessionId", &input.session_id, 128)?;
                let deleted = s.kv.delete(&Scope::Tenant(tenant), SESSION, &input.session_id).await?;
                Ok(Deleted { deleted })
            },
        )
        .scoped_tool(
            "cache_put",
            "Put a value in the hot cache with a TTL (default 300 s).",
            false,
            |s, tenant, input: CachePut| async move {
                check_key("key", &input.key, 512)?;
                let secs = ttl("ttlSecs", input.ttl_secs, 300, 24 * 3600)?;
                let bytes = s.encode_value("value", &input.value)?;
                s.kv.put(&Scope::Tenant(tenant), CACHE, &input.key, &bytes, Some(Duration::from_secs(secs)))
                    .await?;
                Ok(CacheStored {
                    key: input.key,
                    expires_at: expires_at(secs),
                })
            },
        )
        .scoped_tool(
            "cache_get",
            "Get a value from the hot cache; a miss returns hit=false.",
            true,
            |s, tenant, input: CacheRef| async move {
                check_key("key", &input.key, 512)?;
                let value = s.kv.get(&Scope::Tenant(tenant), CACHE, &input.key).await?;
                Ok(CacheValue {
                    key: input.key,
                    hit: value.is_some(),
                    value: value.as_deref().map(decode).transpose()?,
                })
            },
        )
        .scoped_tool(
            "memory_store",
            "Remember a text with metadata in long-term semantic memory.",
            false,
            |s, tenant, input: MemoryStore| async move { memory::store(&s, tenant, input).await },
        )
        .scoped_tool(
            "memory_search",
            "Find the stored memories nearest in meaning to a query, with scores.",
            true,
            |s, tenant, input: MemorySearch| async move { memory::search(&s, tenant, input).await },
        )
        .scoped_tool(
            "ticket_record",
            "Record a past ticket (title, body, category, resolution) for ticket_context.",
            false,
            |s, tenant, input: TicketRecord| async move { memory::record_ticket(&s, tenant, input).await },
        )
        .scoped_tool(
            "ticket_context",
            "Given a ticket's title and body, return similar past tickets and their resolutions.",
            true,
            |s, tenant, input: TicketContextQuery| async move { memory::ticket_context(&s, tenant, input).await },
        )
}
