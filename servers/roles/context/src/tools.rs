//! The context server's MCP tools.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use omega_protocol::OmegaError;
use omega_stack::{Limits, TenantPolicy, ToolSet};
use omega_store::Scope;

use crate::memory;
use crate::quota::{Entry, Quota, kv_bytes};
use crate::state::{ContextState, check_id, check_key, ttl};
use crate::types::*;

/// What the server tells MCP clients about itself.
pub const INSTRUCTIONS: &str = "OMEGA context server. Every tool takes a `tenant`. \
Sessions are short-term memory with a TTL; the cache is a hot cache where a miss is normal; \
memory_store/memory_search are long-term semantic memory; ticket_record/ticket_context return \
similar past tickets and their resolutions.";

pub(crate) const SESSION: &str = "session";
pub(crate) const CACHE: &str = "cache";

fn expires_at(secs: u64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs as i64)).to_rfc3339()
}

fn decode(bytes: &[u8]) -> Result<serde_json::Value, OmegaError> {
    serde_json::from_slice(bytes)
        .map_err(|e| OmegaError::internal(format!("stored value is unreadable: {e}")))
}

/// The context server's tools over `state`, with the default per-tenant
/// storage quota ([`Limits::tenant_quota_bytes`]).
pub fn tool_set(state: Arc<ContextState>, policy: TenantPolicy) -> ToolSet<ContextState> {
    tool_set_with_quota(state, policy, Limits::default().tenant_quota_bytes)
}

/// The context server's tools over `state`; each tenant may keep at most
/// `tenant_quota_bytes` in sessions, the cache, memory and ticket history
/// together (a write past it fails with `quota_exceeded`).
pub fn tool_set_with_quota(
    state: Arc<ContextState>,
    policy: TenantPolicy,
    tenant_quota_bytes: u64,
) -> ToolSet<ContextState> {
    let quota = Arc::new(Quota::new(tenant_quota_bytes));
    let (q1, q2, q3, q4, q5) = (
        quota.clone(),
        quota.clone(),
        quota.clone(),
        quota.clone(),
        quota,
    );
    ToolSet::new(state, policy)
        .scoped_tool(
            "session_put",
            "Store a session's short-term memory (any JSON value) with a TTL.",
            false,
            move |s, tenant, input: SessionPut| {
                let quota = q1.clone();
                async move {
                    check_id("sessionId", &input.session_id, 128)?;
                    let secs = ttl("ttlSecs", input.ttl_secs, 3600, 7 * 24 * 3600)?;
                    let bytes = s.encode_value("value", &input.value)?;
                    let entry = Entry::Kv { ns: SESSION, key: &input.session_id };
                    let size = kv_bytes(&input.session_id, &bytes);
                    let scope = Scope::Tenant(tenant.clone());
                    quota
                        .write(&s, &tenant, entry, size, async {
                            Ok(s.kv
                                .put(&scope, SESSION, &input.session_id, &bytes, Some(Duration::from_secs(secs)))
                                .await?)
                        })
                        .await?;
                    Ok(SessionStored {
                        session_id: input.session_id,
                        expires_at: expires_at(secs),
                    })
                }
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
            move |s, tenant, input: SessionRef| {
                let quota = q2.clone();
                async move {
                    check_id("sessionId", &input.session_id, 128)?;
                    let entry = Entry::Kv { ns: SESSION, key: &input.session_id };
                    let scope = Scope::Tenant(tenant.clone());
                    let deleted = quota
                        .delete(&s, &tenant, entry, async {
                            Ok(s.kv.delete(&scope, SESSION, &input.session_id).await?)
                        })
                        .await?;
                    Ok(Deleted { deleted })
                }
            },
        )
        .scoped_tool(
            "cache_put",
            "Put a value in the hot cache with a TTL (default 300 s).",
            false,
            move |s, tenant, input: CachePut| {
                let quota = q3.clone();
                async move {
                    check_key("key", &input.key, 512)?;
                    let secs = ttl("ttlSecs", input.ttl_secs, 300, 24 * 3600)?;
                    let bytes = s.encode_value("value", &input.value)?;
                    let entry = Entry::Kv { ns: CACHE, key: &input.key };
                    let size = kv_bytes(&input.key, &bytes);
                    let scope = Scope::Tenant(tenant.clone());
                    quota
                        .write(&s, &tenant, entry, size, async {
                            Ok(s.kv
                                .put(&scope, CACHE, &input.key, &bytes, Some(Duration::from_secs(secs)))
                                .await?)
                        })
                        .await?;
                    Ok(CacheStored {
                        key: input.key,
                        expires_at: expires_at(secs),
                    })
                }
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
            move |s, tenant, input: MemoryStore| {
                let quota = q4.clone();
                async move { memory::store(&s, &quota, tenant, input).await }
            },
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
            move |s, tenant, input: TicketRecord| {
                let quota = q5.clone();
                async move { memory::record_ticket(&s, &quota, tenant, input).await }
            },
        )
        .scoped_tool(
            "ticket_context",
            "Given a ticket's title and body, return similar past tickets and their resolutions.",
            true,
            |s, tenant, input: TicketContextQuery| async move { memory::ticket_context(&s, tenant, input).await },
        )
}
