//! The context server, the agent registry and the MCP registry.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::policy;
use crate::role::{Role, RoleContext, RoleParts};

/// Sessions, cache, semantic memory and ticket context.
pub struct ContextRole;

impl Role for ContextRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let state = Arc::new(omega_context::ContextState {
                kv: ctx.backends.kv.clone(),
                vectors: Arc::new(ctx.backends.embedded.clone()),
                max_value_bytes: ctx.config.limits.max_value_bytes,
                embedder: omega_context::Embedder,
            });
            Ok(RoleParts::app(omega_context::app(
                state,
                policy(ctx.config),
                &ctx.mcp,
                ctx.cancel.clone(),
            )))
        })
    }
}

/// Agent cards, heartbeats and discovery.
pub struct AgentRegistryRole;

impl Role for AgentRegistryRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let state = Arc::new(omega_agent_registry::RegistryState::new(
                Arc::new(ctx.backends.embedded.clone()),
                std::time::Duration::from_secs(ctx.config.agent_registry.heartbeat_expiry_secs),
            ));
            Ok(RoleParts::app(omega_agent_registry::app(
                state,
                policy(ctx.config),
                &ctx.mcp,
                ctx.cancel.clone(),
            )))
        })
    }
}

/// MCP server records and the registry REST API.
pub struct McpRegistryRole;

impl Role for McpRegistryRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let state = Arc::new(omega_mcp_registry::RegistryState::new(Arc::new(
                ctx.backends.embedded.clone(),
            )));
            Ok(RoleParts::app(omega_mcp_registry::app(
                state,
                policy(ctx.config),
                &ctx.mcp,
                ctx.cancel.clone(),
            )))
        })
    }
}
