//! The context server's client.

use std::sync::Arc;

use omega_protocol::TenantId;
use serde_json::{Value, json};

use crate::{ClientError, McpClient};

/// Typed access to the context server for one tenant.
#[derive(Debug, Clone)]
pub struct ContextClient {
    mcp: Arc<McpClient>,
    tenant: TenantId,
}

impl ContextClient {
    /// A client acting for `tenant`.
    pub fn new(mcp: impl Into<Arc<McpClient>>, tenant: TenantId) -> Self {
        Self {
            mcp: mcp.into(),
            tenant,
        }
    }

    /// The same connection acting for another tenant.
    pub fn for_tenant(&self, tenant: TenantId) -> Self {
        Self {
            mcp: self.mcp.clone(),
            tenant,
        }
    }

    /// Stores a session value with an optional TTL in seconds.
    pub async fn session_put(
        &self,
        session_id: &str,
        value: &Value,
        ttl_secs: Option<u64>,
    ) -> Result<(), ClientError> {
        let mut args = json!({"tenant": self.tenant, "sessionId": session_id, "value": value});
        if let Some(ttl) = ttl_secs {
            args["ttlSecs"] = json!(ttl);
        }
        self.mcp.call_tool("session_put", args).await.map(drop)
    }

    /// Reads a session value; `not_found` when it does not exist.
    pub async fn session_get(&self, session_id: &str) -> Result<Value, ClientError> {
        let out = self
            .mcp
            .call_idempotent(
                "session_get",
                json!({"tenant": self.tenant, "sessionId": session_id}),
            )
            .await?;
        Ok(out["value"].clone())
    }

    /// Deletes a session; returns whether it existed.
    pub async fn session_delete(&self, session_id: &str) -> Result<bool, ClientError> {
        let out = self
            .mcp
            .call_tool(
                "session_delete",
                json!({"tenant": self.tenant, "sessionId": session_id}),
            )
            .await?;
        Ok(out["deleted"].as_bool().unwrap_or(false))
    }

    /// Puts a cache entry.
    pub async fn cache_put(
        &self,
        key: &str,
        value: &Value,
        ttl_secs: Option<u64>,
    ) -> Result<(), ClientError> {
        let mut args = json!({"tenant": self.tenant, "key": key, "value": value});
        if let Some(ttl) = ttl_secs {
            args["ttlSecs"] = json!(ttl);
        }
        self.mcp.call_tool("cache_put", args).await.map(drop)
    }

    /// Gets a cache entry (`None` on a miss).
    pub async fn cache_get(&self, key: &str) -> Result<Option<Value>, ClientError> {
        let out = self
            .mcp
            .call_idempotent("cache_get", json!({"tenant": self.tenant, "key": key}))
            .await?;
        Ok(out.get("value").cloned())
    }

    /// Stores a memory; returns its id.
    pub async fn memory_store(&self, text: &str, metadata: Value) -> Result<String, ClientError> {
        let out = self
            .mcp
            .call_tool(
                "memory_store",
                json!({"tenant": self.tenant, "text": text, "metadata": metadata}),
            )
            .await?;
        Ok(out["id"].as_str().unwrap_or_default().to_owned())
    }

    /// Searches memories; returns the raw hits (`id`, `score`, `text`, `metadata`).
    pub async fn memory_search(&self, query: &str, k: u32) -> Result<Vec<Value>, ClientError> {
        let out = self
            .mcp
            .call_idempotent(
                "memory_search",
                json!({"tenant": self.tenant, "query": query, "k": k}),
            )
            .await?;
        Ok(out["results"].as_array().cloned().unwrap_or_default())
    }

    /// Records a resolved ticket for `ticket_context`.
    pub async fn ticket_record(
        &self,
        ticket_id: &str,
        title: &str,
        body: &str,
        category: Option<&str>,
        resolution: Option<&str>,
    ) -> Result<(), ClientError> {
        self.mcp
            .call_tool(
                "ticket_record",
                json!({"tenant": self.tenant, "ticketId": ticket_id, "title": title, "body": body,
                       "category": category, "resolution": resolution}),
            )
            .await
            .map(drop)
    }

    /// Similar past tickets for a ticket's title and body.
    pub async fn ticket_context(
        &self,
        title: &str,
        body: &str,
        k: u32,
    ) -> Result<Vec<Value>, ClientError> {
        let out = self
            .mcp
            .call_idempotent(
                "ticket_context",
                json!({"tenant": self.tenant, "title": title, "body": body, "k": k}),
            )
            .await?;
        Ok(out["similar"].as_array().cloned().unwrap_or_default())
    }
}
