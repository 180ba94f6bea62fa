//! Tool inputs of the MCP registry (outputs are the protocol's envelopes).

use chrono::{DateTime, Utc};
use omega_protocol::{McpServerRecord, McpServerStatus, ServerList, ServerResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `mcp_server_publish` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Publish {
    /// The `server.json` record.
    pub server: McpServerRecord,
}

/// `mcp_server_list` input (the REST API's query parameters).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListServers {
    /// Cursor from a previous page's `metadata.nextCursor`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size (default 30, 1..=100).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Case-insensitive substring of the server name.
    #[serde(default)]
    pub search: Option<String>,
    /// Only entries updated at or after this time (RFC 3339).
    #[serde(default)]
    pub updated_since: Option<DateTime<Utc>>,
    /// `latest` to list only each server's latest version.
    #[serde(default)]
    pub version: Option<String>,
    /// Include deleted entries (default false).
    #[serde(default)]
    pub include_deleted: bool,
}

/// `mcp_server_search` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchServers {
    /// Words matched (case-insensitively) against name, title and description; all must match.
    pub query: String,
    /// At most this many results (default 30, 1..=100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `mcp_server_get` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetServer {
    /// Server name (`io.github.acme/weather`).
    pub name: String,
    /// A version, or `latest` (the default).
    #[serde(default)]
    pub version: Option<String>,
}

/// `mcp_server_set_status` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetStatus {
    /// Server name.
    pub name: String,
    /// Version to change.
    pub version: String,
    /// New status.
    pub status: McpServerStatus,
}

/// A single server in a tool result (MCP structured content must be an object).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerResult {
    /// The server version and its registry metadata.
    #[serde(flatten)]
    pub entry: ServerResponse,
}

/// A page of servers in a tool result.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerPage {
    /// The page.
    #[serde(flatten)]
    pub page: ServerList,
}
