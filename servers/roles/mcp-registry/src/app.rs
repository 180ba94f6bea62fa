//! The MCP registry as a role application.

use std::sync::Arc;

use omega_stack::{McpOptions, RoleApp, TenantPolicy};
use tokio_util::sync::CancellationToken;

use crate::{INSTRUCTIONS, RegistryState, rest, tool_set};

/// The MCP registry role: MCP tools plus the `/v0.1` REST read API.
pub fn app(
    state: Arc<RegistryState>,
    policy: TenantPolicy,
    mcp: &McpOptions,
    cancel: CancellationToken,
) -> RoleApp {
    RoleApp::new("omega-mcp-registry")
        .with_tools(INSTRUCTIONS, tool_set(state.clone(), policy), mcp, cancel)
        .with_routes(rest::routes(state))
}
