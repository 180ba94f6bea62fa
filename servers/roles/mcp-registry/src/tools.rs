//! The MCP registry's MCP tools.

use std::sync::Arc;

use omega_stack::{TenantPolicy, ToolSet};

use crate::state::RegistryState;
use crate::types::*;

/// What the server tells MCP clients about itself.
pub const INSTRUCTIONS: &str = "OMEGA MCP registry. Records follow the official MCP Registry server.json. \
Publish with mcp_server_publish (versions are immutable), read with mcp_server_list / mcp_server_search / \
mcp_server_get, retire with mcp_server_set_status. The same data is served at GET /v0.1/servers.";

/// The registry's tools over `state`.
pub fn tool_set(state: Arc<RegistryState>, policy: TenantPolicy) -> ToolSet<RegistryState> {
    ToolSet::new(state, policy)
        .tool(
            "mcp_server_publish",
            "Publish a new version of an MCP server (an official-registry server.json record). \
             Only the identity that first published the name (or an operator) may publish more versions.",
            false,
            |s, call, input: Publish| async move {
                Ok(ServerResult {
                    entry: s.publish(input.server, &call.caller).await?,
                })
            },
        )
        .tool(
            "mcp_server_list",
            "List server versions with the official registry's paging and filters.",
            true,
            |s, _call, input: ListServers| async move {
                Ok(ServerPage {
                    page: s.list(&input).await?,
                })
            },
        )
        .tool(
            "mcp_server_search",
            "Search servers by words in their name, title and description.",
            true,
            |s, _call, input: SearchServers| async move {
                Ok(ServerPage {
                    page: s.search(&input.query, input.limit).await?,
                })
            },
        )
        .tool(
            "mcp_server_get",
            "Get one version of a server (default: its latest).",
            true,
            |s, _call, input: GetServer| async move {
                Ok(ServerResult {
                    entry: s.get(&input.name, input.version.as_deref()).await?,
                })
            },
        )
        .tool(
            "mcp_server_set_status",
            "Set a server version's status: active, deprecated or deleted. Only the identity that \
             published the name (or an operator) may.",
            false,
            |s, call, input: SetStatus| async move {
                Ok(ServerResult {
                    entry: s
                        .set_status(&input.name, &input.version, input.status, &call.caller)
                        .await?,
                })
            },
        )
}
