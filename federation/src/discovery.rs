//! Reads the registries through `omega-client`: live agents by skill or
//! capability (cached briefly, so a routed call does not cost a registry
//! round trip) and the MCP registry's server list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omega_client::{ClientError, McpClient};
use omega_protocol::{AgentCard, OmegaError, ServerList, ServerResponse, TenantId};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

/// One live agent instance, as the registry reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentInstance {
    /// Registry instance id.
    pub agent_id: String,
    /// Its Agent Card.
    pub card: AgentCard,
}

impl AgentInstance {
    /// The URL of the instance's MCP interface: the one with
    /// `protocolBinding` `MCP`, else one whose path ends in `/mcp` (what
    /// `omega_client::Agent` fills in).
    pub fn mcp_url(&self) -> Option<&str> {
        let ifaces = &self.card.supported_interfaces;
        ifaces
            .iter()
            .find(|i| i.protocol_binding.eq_ignore_ascii_case("MCP"))
            .or_else(|| {
                ifaces.iter().find(|i| {
                    i.url
                        .split(['?', '#'])
                        .next()
                        .is_some_and(|p| p.ends_with("/mcp"))
                })
            })
            .map(|i| i.url.as_str())
    }
}

/// A discovery query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentQuery {
    /// Skill id or tag.
    pub skill: Option<String>,
    /// Capability.
    pub capability: Option<String>,
    /// Tenant the agent must serve.
    pub tenant: Option<TenantId>,
}

/// A cached discovery answer and when it was fetched.
type Cached = (Instant, Arc<Vec<AgentInstance>>);

/// Agent registry access with a short cache.
#[derive(Debug)]
pub struct AgentDirectory {
    registry: Arc<McpClient>,
    ttl: Duration,
    cache: Mutex<HashMap<AgentQuery, Cached>>,
}

fn registry_error(what: &str, e: ClientError) -> OmegaError {
    match e {
        ClientError::Server(err) => err,
        other => OmegaError::new(
            omega_protocol::ErrorCode::UPSTREAM_FAILED,
            format!("the {what} cannot be reached: {other}"),
        )
        .with_hint("check that the registry is running and its URL in the federation config"),
    }
}

impl AgentDirectory {
    /// Discovery over `registry`, caching each answer for `ttl` (zero: no cache).
    pub fn new(registry: Arc<McpClient>, ttl: Duration) -> Self {
        Self {
            registry,
            ttl,
            cache: Mutex::default(),
        }
    }

    /// Live instances matching `query`.
    pub async fn discover(
        &self,
        query: &AgentQuery,
    ) -> Result<Arc<Vec<AgentInstance>>, OmegaError> {
        if let Some((at, hit)) = self.cache.lock().expect("cache lock").get(query)
            && at.elapsed() < self.ttl
        {
            return Ok(hit.clone());
        }
        let mut args = json!({});
        if let Some(s) = &query.skill {
            args["skill"] = json!(s);
        }
        if let Some(c) = &query.capability {
            args["capability"] = json!(c);
        }
        if let Some(t) = &query.tenant {
            args["tenant"] = json!(t);
        }
        let out = self
            .registry
            .call_idempotent("agent_discover", args)
            .await
            .map_err(|e| registry_error("agent registry", e))?;
        let agents = Arc::new(decode_agents(&out)?);
        if !self.ttl.is_zero() {
            self.cache
                .lock()
                .expect("cache lock")
                .insert(query.clone(), (Instant::now(), agents.clone()));
        }
        Ok(agents)
    }

    /// Every live instance that may serve `tenant`.
    pub async fn live(&self, tenant: Option<&TenantId>) -> Result<Vec<AgentInstance>, OmegaError> {
        let mut args = json!({"liveOnly": true});
        if let Some(t) = tenant {
            args["tenant"] = json!(t);
        }
        let out = self
            .registry
            .call_idempotent("agent_list", args)
            .await
            .map_err(|e| registry_error("agent registry", e))?;
        decode_agents(&out)
    }
}

fn decode_agents(out: &Value) -> Result<Vec<AgentInstance>, OmegaError> {
    serde_json::from_value(out["agents"].clone()).map_err(|e| {
        OmegaError::new(
            omega_protocol::ErrorCode::UPSTREAM_FAILED,
            format!("the agent registry answered in an unexpected shape: {e}"),
        )
    })
}

/// Every server's latest version in the MCP registry (all pages).
pub async fn list_servers(registry: &McpClient) -> Result<Vec<ServerResponse>, OmegaError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"version": "latest", "limit": 100});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = registry
            .call_idempotent("mcp_server_list", args)
            .await
            .map_err(|e| registry_error("MCP registry", e))?;
        let page: ServerList = serde_json::from_value(page).map_err(|e| {
            OmegaError::new(
                omega_protocol::ErrorCode::UPSTREAM_FAILED,
                format!("the MCP registry answered in an unexpected shape: {e}"),
            )
        })?;
        out.extend(page.servers);
        match page.metadata.next_cursor {
            Some(next) if !next.is_empty() => cursor = Some(next),
            _ => return Ok(out),
        }
    }
}
