//! The agent registry's MCP tools.

use std::sync::Arc;

use omega_protocol::{AgentCard, ErrorCode, OmegaError};
use omega_stack::{TenantPolicy, ToolSet};

use crate::owner;
use crate::state::{RegistryState, StoredAgent};
use crate::types::*;

/// What the server tells MCP clients about itself.
pub const INSTRUCTIONS: &str = "OMEGA agent registry. Register an A2A Agent Card with agent_register, \
keep it live with agent_heartbeat (at least every heartbeatIntervalSecs), and find live agents by \
skill or capability with agent_discover.";

/// A URL-safe instance id: the card name as a slug plus a random suffix.
fn new_agent_id(card: &AgentCard) -> String {
    let slug: String = card
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(48).collect();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}-{}",
        if slug.is_empty() { "agent" } else { &slug },
        &suffix[..12]
    )
}

fn check_card(card: &AgentCard) -> Result<(), OmegaError> {
    card.validate().map_err(|e| {
        let field = e.data.field.clone().map(|f| format!("card.{f}"));
        let mut e = e;
        e.data.field = field.or(Some("card".into()));
        e
    })?;
    if card.omega_fields().is_none() {
        return Err(OmegaError::new(
            ErrorCode::SCHEMA_VIOLATION,
            "the card has no OMEGA fields (role, tier, tenants)",
        )
        .with_field("card.omega")
        .with_hint(
            "add \"omega\": {\"role\": \"triage\", \"tier\": \"dynamic\", \"tenants\": \"all\"}",
        ));
    }
    Ok(())
}

fn unknown(agent_id: &str) -> OmegaError {
    OmegaError::not_found(format!("agent `{agent_id}` is not registered"))
        .with_field("agentId")
        .with_hint(
            "register (again) with agent_register; instances are removed by agent_deregister",
        )
}

/// The registry's tools over `state`.
pub fn tool_set(state: Arc<RegistryState>, policy: TenantPolicy) -> ToolSet<RegistryState> {
    ToolSet::new(state, policy)
        .tool(
            "agent_register",
            "Register an agent instance from its A2A Agent Card (with OMEGA fields). Returns its agentId.",
            false,
            |s, call, input: Register| async move {
                check_card(&input.card)?;
                let now = s.now_ms();
                let agent_id = new_agent_id(&input.card);
                s.put(
                    &agent_id,
                    &StoredAgent {
                        card: input.card,
                        registered_at_ms: now,
                        last_heartbeat_ms: now,
                        owner: Some(call.caller.id.clone()),
                    },
                )
                .await?;
                tracing::info!(agent_id, "agent registered");
                Ok(Registered {
                    live_until: s.live_until(now),
                    heartbeat_interval_secs: s.expiry().as_secs_f64() / 2.0,
                    agent_id,
                })
            },
        )
        .tool(
            "agent_heartbeat",
            "Report that an agent instance is alive. Fails with not_found for an unknown agentId, \
             and with forbidden unless the caller registered it (or is an operator).",
            false,
            |s, call, input: AgentRef| async move {
                let mut stored = s.get(&input.agent_id).await?.ok_or_else(|| unknown(&input.agent_id))?;
                owner::check(&input.agent_id, stored.owner.as_deref(), &call.caller)?;
                stored.last_heartbeat_ms = s.now_ms();
                s.put(&input.agent_id, &stored).await?;
                Ok(Heartbeat {
                    live_until: s.live_until(stored.last_heartbeat_ms),
                    agent_id: input.agent_id,
                })
            },
        )
        .tool(
            "agent_deregister",
            "Remove an agent instance. Returns whether it existed. Fails with forbidden unless the \
             caller registered it (or is an operator).",
            false,
            |s, call, input: AgentRef| async move {
                let Some(stored) = s.get(&input.agent_id).await? else {
                    return Ok(Deregistered { deleted: false });
                };
                owner::check(&input.agent_id, stored.owner.as_deref(), &call.caller)?;
                let deleted = s.delete(&input.agent_id).await?;
                Ok(Deregistered { deleted })
            },
        )
        .tool(
            "agent_list",
            "List registered agent instances, optionally only live ones or those serving a tenant.",
            true,
            |s, _call, input: ListAgents| async move {
                Ok(AgentList {
                    agents: s.list(input.live_only, input.tenant.as_ref()).await?,
                })
            },
        )
        .tool(
            "agent_discover",
            "Find live agent instances by skill (id or tag) or capability (streaming, pushNotifications, an extension URI, role:<role>).",
            true,
            |s, _call, input: Discover| async move {
                let tenant = input.tenant.as_ref();
                let agents = match (&input.skill, &input.capability) {
                    (None, None) => {
                        return Err(OmegaError::invalid_params("give `skill` or `capability` (or both)")
                            .with_field("skill"));
                    }
                    (Some(skill), None) => s.find_live("skill", skill, tenant).await?,
                    (None, Some(cap)) => s.find_live("capability", cap, tenant).await?,
                    (Some(skill), Some(cap)) => {
                        let by_cap: Vec<String> = s
                            .find_live("capability", cap, tenant)
                            .await?
                            .into_iter()
                            .map(|a| a.agent_id)
                            .collect();
                        s.find_live("skill", skill, tenant)
                            .await?
                            .into_iter()
                            .filter(|a| by_cap.contains(&a.agent_id))
                            .collect()
                    }
                };
                Ok(AgentList { agents })
            },
        )
}
