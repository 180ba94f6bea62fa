//! The context server as a role application.

use std::sync::Arc;

use omega_stack::{McpOptions, Readiness, RoleApp, TenantPolicy};
use tokio_util::sync::CancellationToken;

use crate::{ContextState, INSTRUCTIONS, tool_set_with_quota};

/// The context role: its MCP tools plus a readiness probe that pings the
/// key-value backend (so a Redis outage shows as not-ready). Each tenant's
/// storage quota is `mcp.limits.tenant_quota_bytes`.
pub fn app(
    state: Arc<ContextState>,
    policy: TenantPolicy,
    mcp: &McpOptions,
    cancel: CancellationToken,
) -> RoleApp {
    let kv = state.kv.clone();
    RoleApp::new("omega-context")
        .with_tools(
            INSTRUCTIONS,
            tool_set_with_quota(state, policy, mcp.limits.tenant_quota_bytes),
            mcp,
            cancel,
        )
        .with_readiness(Readiness::new(move || {
            let kv = kv.clone();
            async move { kv.ping().await.map_err(|e| e.to_string()) }
        }))
}
