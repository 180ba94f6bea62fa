//! Tool inputs and outputs of the agent registry.

use omega_protocol::AgentCard;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `agent_register` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Register {
    /// The agent's A2A Agent Card, with OMEGA fields (`omega.role`, `omega.tier`, `omega.tenants`).
    pub card: AgentCard,
}

/// `agent_register` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// The id of this instance; use it for heartbeats and deregistration.
    pub agent_id: String,
    /// Send a heartbeat at least this often (half the expiry).
    pub heartbeat_interval_secs: f64,
    /// The instance stops being live at this time unless it sends a heartbeat (RFC 3339).
    pub live_until: String,
}

/// `agent_heartbeat` / `agent_deregister` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentRef {
    /// The instance id returned by `agent_register`.
    pub agent_id: String,
}

/// `agent_heartbeat` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    /// The instance id.
    pub agent_id: String,
    /// New liveness deadline (RFC 3339).
    pub live_until: String,
}

/// `agent_deregister` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deregistered {
    /// Whether the instance existed.
    pub deleted: bool,
}

/// `agent_list` input.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListAgents {
    /// Only live instances (default false: list every registered instance).
    #[serde(default)]
    pub live_only: bool,
    /// Only instances that may serve this tenant.
    #[serde(default)]
    pub tenant: Option<omega_protocol::TenantId>,
}

/// `agent_discover` input: at least one of `skill` and `capability`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Discover {
    /// A skill id or skill tag.
    #[serde(default)]
    pub skill: Option<String>,
    /// A capability: `streaming`, `pushNotifications`, an extension URI, or `role:<omega role>`.
    #[serde(default)]
    pub capability: Option<String>,
    /// Only instances that may serve this tenant.
    #[serde(default)]
    pub tenant: Option<omega_protocol::TenantId>,
}

/// One registered instance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentInstance {
    /// The instance id.
    pub agent_id: String,
    /// Whether the instance is live now.
    pub live: bool,
    /// When it registered (RFC 3339).
    pub registered_at: String,
    /// Its last heartbeat (RFC 3339).
    pub last_heartbeat: String,
    /// Its card.
    pub card: AgentCard,
}

/// `agent_list` / `agent_discover` output.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentList {
    /// Matching instances, ordered by agent id.
    pub agents: Vec<AgentInstance>,
}
