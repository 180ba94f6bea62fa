//! The MCP registry: which MCP servers exist in the federation, in the
//! official MCP Registry's shapes.
//!
//! Teams publish `server.json` records through MCP tools
//! (`mcp_server_publish`, `mcp_server_list`, `mcp_server_search`,
//! `mcp_server_get`, `mcp_server_set_status`). The registry also serves the
//! official REST read API, so registry-aware MCP tooling can read it:
//!
//! - `GET /v0.1/servers?cursor=&limit=&search=&updated_since=&version=latest`
//! - `GET /v0.1/servers/{name}/versions`
//! - `GET /v0.1/servers/{name}/versions/{version}` (or `latest`)
//!
//! A version is published once; publishing the same name and version again
//! is refused (`already_exists`). The latest version is the highest semantic
//! version, or the most recently published when versions are not semver.
//!
//! A server name is owned by the identity that first published it (the
//! caller of `mcp_server_publish`): only that identity, or an operator, may
//! publish further versions or change a version's status; anyone else gets
//! `forbidden` and nothing changes. The owner is kept internal: no tool and
//! no REST response returns it.

mod app;
mod owner;
mod rest;
mod state;
#[cfg(test)]
mod tests;
mod tools;
mod types;
mod version;

pub use app::app;
pub use state::RegistryState;
pub use tools::{INSTRUCTIONS, tool_set};
pub use types::*;
