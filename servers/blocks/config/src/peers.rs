//! `[peers]`: where each role finds the roles it calls when they run in
//! another process (`omega serve <role>`, one deployment per role).
//!
//! Every URL is the peer's *base* URL (scheme, host, port and an optional
//! path prefix, e.g. `http://context:7700`); OMEGA appends the endpoint
//! path itself (`/mcp`, `/rpc`, ...), see [`PeersConfig::mcp_endpoint`].
//! `omega up` runs every role in one process and uses its own endpoints;
//! a peer set here is used by a role that does not run the peer itself.
//!
//! ```toml
//! [peers]
//! context = "http://context:7700"
//! agentRegistry = "http://agent-registry:7701"
//! mcpRegistry = "http://mcp-registry:7702"
//! federation = "http://federation:7703"
//!
//! [peers.titans]
//! gpt = "http://titan-gpt:7710"
//! ```

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::titans::TITAN_NAMES;

/// Base URLs of the roles a role calls, when they run in another process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PeersConfig {
    /// The context server (sessions, memory, ticket context), e.g.
    /// `http://context:7700`. Called over MCP at `{context}/mcp` by the
    /// ingest role and the triage/classification teams (similar tickets,
    /// `ticket_record`) and by the dashboard (the shadow agents' memory).
    /// Replaces the former `pipeline.contextUrl` (an MCP endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The agent registry, e.g. `http://agent-registry:7701`. Called over
    /// MCP at `{agentRegistry}/mcp` by the federation (agent discovery for
    /// routed calls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_registry: Option<String>,
    /// The MCP registry, e.g. `http://mcp-registry:7702`. Called over MCP
    /// at `{mcpRegistry}/mcp` by the federation (the gateway's catalog of
    /// MCP servers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_registry: Option<String>,
    /// The orchestrator, when it runs apart from the federation, e.g.
    /// `http://orchestrator:7706`. Called by the federation for
    /// `federation.callTitan` (its Titans and teams as A2A agents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orchestrator: Option<String>,
    /// The federation core, e.g. `http://federation:7703`. Called by the
    /// teams and agents that route calls or call Titans through it
    /// (JSON-RPC at `{federation}/rpc`, MCP gateway at `{federation}/mcp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federation: Option<String>,
    /// The webhook ingestion role, e.g. `http://ingest:7704`. Used by
    /// tools that post tickets (`omega up --demo`, load generators) at
    /// `{ingest}/ingest/{platform}/{tenant}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest: Option<String>,
    /// Titans served by another process (`omega serve titan-<name>`), by
    /// Titan name (`local`, `gpt`, `claude`, `gemini`, `grok`, `augment`)
    /// → base URL, e.g. `gpt = "http://titan-gpt:7710"`. The orchestrator
    /// calls a Titan listed here over MCP at `{url}/mcp` instead of in its
    /// own process; such a Titan counts as configured for
    /// `[orchestrator]`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub titans: BTreeMap<String, String>,
}

impl PeersConfig {
    /// The MCP endpoint of a peer whose base URL is `base`: `{base}/mcp`.
    pub fn mcp_endpoint(base: &str) -> String {
        format!("{}/mcp", base.trim_end_matches('/'))
    }

    /// `(key, URL)` of every peer that is set, with its path under `[peers]`.
    pub fn urls(&self) -> Vec<(String, &str)> {
        let roles = [
            ("context", &self.context),
            ("agentRegistry", &self.agent_registry),
            ("mcpRegistry", &self.mcp_registry),
            ("orchestrator", &self.orchestrator),
            ("federation", &self.federation),
            ("ingest", &self.ingest),
        ];
        roles
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().map(|u| (k.to_owned(), u)))
            .chain(
                self.titans
                    .iter()
                    .map(|(k, v)| (format!("titans.{k}"), v.as_str())),
            )
            .collect()
    }

    /// Checks that every URL is a usable base URL and every Titan name is
    /// one OMEGA knows ([`TITAN_NAMES`]). Paths are relative to `[peers]`.
    pub fn validate(&self) -> Result<(), FieldError> {
        for name in self.titans.keys() {
            if !TITAN_NAMES.contains(&name.as_str()) {
                return Err(FieldError::new(
                    format!("titans.{name}"),
                    format!(
                        "unknown titan `{name}`; titans are {}",
                        TITAN_NAMES.join(", ")
                    ),
                ));
            }
        }
        for (key, url) in self.urls() {
            check_base_url(url).map_err(|m| FieldError::new(key, m))?;
        }
        Ok(())
    }
}

/// A peer base URL: `http` or `https`, with a host, no query or fragment,
/// and not already an endpoint (`…/mcp`).
fn check_base_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(format!(
            "{url:?} is not an http(s) URL with a host (e.g. `http://context:7700`)"
        ));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err(format!("{url:?}: a base URL has no query or fragment"));
    }
    let path = uri.path().trim_end_matches('/');
    if path.ends_with("/mcp") || path.ends_with("/rpc") {
        return Err(format!(
            "{url:?} is an endpoint; give the peer's base URL (OMEGA appends {})",
            &path[path.len() - 4..]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_with_their_path() {
        let p: PeersConfig = toml::from_str(
            "context = \"http://context:7700\"\n[titans]\ngpt = \"https://t.example/gpt/\"",
        )
        .unwrap();
        p.validate().unwrap();
        assert_eq!(
            PeersConfig::mcp_endpoint(p.context.as_deref().unwrap()),
            "http://context:7700/mcp"
        );
        let typo: PeersConfig = toml::from_str("[titans]\nchatgpt = \"http://t:1\"").unwrap();
        assert_eq!(typo.validate().unwrap_err().path, "titans.chatgpt");
        for (bad, key) in [
            ("context = \"context:7700\"", "context"),
            ("mcpRegistry = \"ftp://x\"", "mcpRegistry"),
            ("agentRegistry = \"http://a:1/mcp\"", "agentRegistry"),
            ("federation = \"http://f:1/?x=1\"", "federation"),
        ] {
            let p: PeersConfig = toml::from_str(bad).unwrap();
            assert_eq!(p.validate().unwrap_err().path, key, "{bad}");
        }
        assert!(toml::from_str::<PeersConfig>("registry = \"http://x\"").is_err());
    }
}
