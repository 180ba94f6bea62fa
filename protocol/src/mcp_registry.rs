//! MCP server records in the shape of the official MCP Registry.
//!
//! [`McpServerRecord`] is a `server.json` (schema
//! `https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json`):
//! reverse-DNS `name`, `description` of at most 100 characters, one concrete
//! `version`, optional `repository`, `websiteUrl`, `icons`, and how to run it:
//! `packages` (npm, PyPI, NuGet, OCI, MCPB) and/or `remotes`.
//!
//! [`ServerResponse`] and [`ServerList`] are the registry REST API's
//! envelopes (`GET /v0.1/servers`, `GET /v0.1/servers/{name}/versions/{v}`):
//! the record plus registry-managed metadata under
//! `_meta["io.modelcontextprotocol.registry/official"]`.
//!
//! Records are inputs (published by teams), so unknown top-level fields are
//! refused; vendor data belongs in `_meta`. The response envelopes are outputs
//! and accept unknown fields, so a newer registry's additions do not break
//! clients.

mod input;
mod validate;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use input::{Argument, Input, InputFormat, KeyValueInput, NamedArgument, PositionalArgument};

/// The `_meta` key under which publishers put their own data.
pub const PUBLISHER_META_KEY: &str = "io.modelcontextprotocol.registry/publisher-provided";
/// The `_meta` key under which the registry puts [`OfficialMeta`].
pub const OFFICIAL_META_KEY: &str = "io.modelcontextprotocol.registry/official";
/// The `server.json` schema URL this crate follows.
pub const SERVER_SCHEMA_URL: &str =
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

/// One MCP server version, as published (`server.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpServerRecord {
    /// The JSON Schema URL of this format.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Reverse-DNS name with one slash, e.g. `io.github.acme/weather`.
    #[schemars(
        regex(pattern = r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$"),
        length(min = 3, max = 200)
    )]
    pub name: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub title: Option<String>,
    /// What the server does, at most 100 characters.
    #[schemars(length(min = 1, max = 100))]
    pub description: String,
    /// One concrete version (semver recommended), never a range.
    #[schemars(length(min = 1, max = 255))]
    pub version: String,
    /// Homepage or documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    /// Source repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
    /// Icons for user interfaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub icons: Vec<Icon>,
    /// Installable packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    /// Hosted endpoints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remotes: Vec<Remote>,
    /// Vendor metadata keyed by reverse-DNS namespace (see [`PUBLISHER_META_KEY`]).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Where the server's source lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Repository {
    /// Repository URL (browsable and clonable).
    pub url: String,
    /// Hosting service, e.g. `"github"`.
    pub source: String,
    /// The host's stable repository id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Relative path of the server inside a monorepo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subfolder: Option<String>,
}

/// An icon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Icon {
    /// HTTPS URL of the image (at most 255 characters).
    pub src: String,
    /// `image/png`, `image/jpeg`, `image/jpg`, `image/svg+xml` or `image/webp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Sizes as `WxH` or `any`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<String>,
    /// `light` or `dark`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

/// An installable package of the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Package {
    /// `npm`, `pypi`, `nuget`, `oci` or `mcpb`.
    pub registry_type: String,
    /// The package registry's base URL, when not the type's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_base_url: Option<String>,
    /// Package name, OCI image reference, or MCPB download URL.
    pub identifier: String,
    /// Concrete package version (not `latest`, not a range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// SHA-256 of the package file, 64 lowercase hex digits (required for MCPB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-f0-9]{64}$"))]
    pub file_sha256: Option<String>,
    /// Runtime command hint, e.g. `npx`, `uvx`, `docker`, `dnx`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_hint: Option<String>,
    /// How a client talks to the running package.
    pub transport: Transport,
    /// Arguments for the runtime command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_arguments: Vec<Argument>,
    /// Arguments for the package's own binary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_arguments: Vec<Argument>,
    /// Environment variables to set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_variables: Vec<KeyValueInput>,
}

/// A package's transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
pub enum Transport {
    /// Standard input/output.
    #[serde(rename = "stdio")]
    Stdio,
    /// Streamable HTTP at a URL template.
    #[serde(rename = "streamable-http")]
    StreamableHttp(HttpTransport),
    /// Server-Sent Events (legacy HTTP transport).
    #[serde(rename = "sse")]
    Sse(HttpTransport),
}

/// URL and headers of an HTTP transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpTransport {
    /// URL; `{curly}` variables refer to arguments or environment variables.
    pub url: String,
    /// Headers to send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<KeyValueInput>,
}

/// The transport type of a [`Remote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RemoteType {
    /// Streamable HTTP (recommended).
    StreamableHttp,
    /// Server-Sent Events.
    Sse,
}

/// A hosted endpoint of the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Remote {
    /// The transport.
    #[serde(rename = "type")]
    pub kind: RemoteType,
    /// Endpoint URL.
    pub url: String,
    /// Headers to send (for example an API key the user supplies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<KeyValueInput>,
}

/// Lifecycle status of a server version in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum McpServerStatus {
    /// Listed and usable.
    #[default]
    Active,
    /// Still served, but clients should move off it.
    Deprecated,
    /// Hidden from listings; kept for audit.
    Deleted,
}

/// Registry-managed metadata of one server version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfficialMeta {
    /// Lifecycle status.
    pub status: McpServerStatus,
    /// When this version was first published.
    pub published_at: DateTime<Utc>,
    /// When this entry last changed.
    pub updated_at: DateTime<Utc>,
    /// Whether this is the server's latest version.
    pub is_latest: bool,
}

/// `_meta` of a [`ServerResponse`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResponseMeta {
    /// Registry metadata (`io.modelcontextprotocol.registry/official`).
    #[serde(
        rename = "io.modelcontextprotocol.registry/official",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub official: Option<OfficialMeta>,
    /// Other registries' metadata, by reverse-DNS key.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// One server version with registry metadata (REST API response).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServerResponse {
    /// The published record.
    pub server: McpServerRecord,
    /// Registry-managed metadata.
    #[serde(rename = "_meta", default)]
    pub meta: ResponseMeta,
}

/// Paging metadata of a [`ServerList`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListMetadata {
    /// Cursor for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Number of servers in this page.
    pub count: usize,
}

/// A page of servers (`GET /v0.1/servers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServerList {
    /// The servers in this page.
    pub servers: Vec<ServerResponse>,
    /// Paging metadata.
    #[serde(default)]
    pub metadata: ListMetadata,
}

impl ServerList {
    /// A page of `servers` with `count` filled in.
    pub fn new(servers: Vec<ServerResponse>, next_cursor: Option<String>) -> Self {
        let count = servers.len();
        Self {
            servers,
            metadata: ListMetadata { next_cursor, count },
        }
    }
}

impl McpServerRecord {
    /// The namespace part of the name (`io.github.acme` in `io.github.acme/weather`).
    pub fn namespace(&self) -> &str {
        self.name.split_once('/').map_or("", |(ns, _)| ns)
    }
}
