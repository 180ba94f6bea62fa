//! Clients for the agent registry and the MCP registry.

use std::sync::Arc;

use omega_protocol::{AgentCard, McpServerRecord, ServerResponse};
use serde_json::{Value, json};

use crate::{ClientError, McpClient};

/// A tool's structured result as `T`.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ClientError> {
    serde_json::from_value(value)
        .map_err(|e| ClientError::Protocol(format!("unexpected result shape: {e}")))
}

/// Typed access to the agent registry.
#[derive(Debug, Clone)]
pub struct AgentRegistryClient {
    mcp: Arc<McpClient>,
}

impl AgentRegistryClient {
    /// A client over `mcp`.
    pub fn new(mcp: impl Into<Arc<McpClient>>) -> Self {
        Self { mcp: mcp.into() }
    }

    /// Registers a card; returns the instance id and heartbeat interval in seconds.
    pub async fn register(&self, card: &AgentCard) -> Result<(String, f64), ClientError> {
        let out = self
            .mcp
            .call_tool("agent_register", json!({"card": card}))
            .await?;
        Ok((
            out["agentId"].as_str().unwrap_or_default().to_owned(),
            out["heartbeatIntervalSecs"].as_f64().unwrap_or(15.0),
        ))
    }

    /// Sends a heartbeat.
    pub async fn heartbeat(&self, agent_id: &str) -> Result<(), ClientError> {
        self.mcp
            .call_tool("agent_heartbeat", json!({"agentId": agent_id}))
            .await
            .map(drop)
    }

    /// Deregisters an instance; returns whether it existed.
    pub async fn deregister(&self, agent_id: &str) -> Result<bool, ClientError> {
        let out = self
            .mcp
            .call_tool("agent_deregister", json!({"agentId": agent_id}))
            .await?;
        Ok(out["deleted"].as_bool().unwrap_or(false))
    }

    /// Live instances with a skill (id or tag); raw instance objects.
    pub async fn discover_skill(&self, skill: &str) -> Result<Vec<Value>, ClientError> {
        let out = self
            .mcp
            .call_idempotent("agent_discover", json!({"skill": skill}))
            .await?;
        Ok(out["agents"].as_array().cloned().unwrap_or_default())
    }
}

/// Typed access to the MCP registry.
#[derive(Debug, Clone)]
pub struct McpRegistryClient {
    mcp: Arc<McpClient>,
}

impl McpRegistryClient {
    /// A client over `mcp`.
    pub fn new(mcp: impl Into<Arc<McpClient>>) -> Self {
        Self { mcp: mcp.into() }
    }

    /// Publishes a server version.
    pub async fn publish(&self, server: &McpServerRecord) -> Result<ServerResponse, ClientError> {
        decode(
            self.mcp
                .call_tool("mcp_server_publish", json!({"server": server}))
                .await?,
        )
    }

    /// Gets a server version (`None` = latest).
    pub async fn get(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<ServerResponse, ClientError> {
        let mut args = json!({"name": name});
        if let Some(v) = version {
            args["version"] = json!(v);
        }
        decode(self.mcp.call_idempotent("mcp_server_get", args).await?)
    }
}
