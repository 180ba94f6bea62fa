//! The gateway's tool catalog: every tool of every MCP server in the MCP
//! registry, under a predictable, collision-free name.
//!
//! Naming: `{prefix}__{tool}`, where the prefix is the last segment of the
//! registry name (`io.github.acme/weather` → `weather`), lowercased, with
//! characters outside `[a-z0-9-]` turned into `-`. When two servers share
//! that short prefix, both use their full name instead, with every
//! character outside `[a-z0-9.-]` turned into `.` (`io.github.acme.weather`).
//! Names longer than MCP's 128 characters are left out (with a warning).
//!
//! A server may restrict itself to tenants with
//! `_meta["io.modelcontextprotocol.registry/publisher-provided"]["io.omega/tenants"]`
//! (a list of tenant ids); without it, it serves every tenant.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use omega_client::{Connection, McpClient, McpVersion};
use omega_protocol::mcp_registry::PUBLISHER_META_KEY;
use omega_protocol::{McpServerRecord, RemoteType, TenantId};
use omega_stack::Caller;
use rmcp::model::Tool;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::discovery::list_servers;

/// The key (inside the publisher-provided `_meta`) listing a server's tenants.
pub const TENANTS_META_KEY: &str = "io.omega/tenants";

/// Separator between the server prefix and the tool name.
pub const NAME_SEPARATOR: &str = "__";

/// Longest tool name MCP allows.
const MAX_TOOL_NAME: usize = 128;

/// One aggregated tool.
#[derive(Debug, Clone)]
pub struct GatewayTool {
    /// The name the gateway exposes.
    pub name: String,
    /// The registry name of the server offering it.
    pub server: String,
    /// The tool's name on that server.
    pub upstream_name: String,
    /// The tool as listed by the gateway (renamed).
    pub tool: Tool,
    /// Replica URLs (streamable-http remotes).
    pub urls: Arc<Vec<String>>,
    /// Tenants the server serves; `None` = all.
    pub tenants: Option<Arc<Vec<TenantId>>>,
    /// The tool says it is read-only or idempotent, so retries are safe.
    pub idempotent: bool,
}

impl GatewayTool {
    /// Whether the server serves `tenant`.
    pub fn serves(&self, tenant: &TenantId) -> bool {
        self.tenants.as_ref().is_none_or(|t| t.contains(tenant))
    }

    /// Whether `caller` may act for at least one tenant the server serves.
    pub fn visible_to(&self, caller: &Caller) -> bool {
        match (&self.tenants, &caller.tenants) {
            (None, _) | (_, omega_stack::TenantGrant::All) => true,
            (Some(serves), omega_stack::TenantGrant::Only(mine)) => {
                serves.iter().any(|t| mine.contains(t))
            }
        }
    }
}

/// A snapshot of the aggregated tools, by gateway name.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Tools by gateway name (sorted, so listings are stable).
    pub tools: BTreeMap<String, Arc<GatewayTool>>,
}

/// The short prefix of a registry name.
pub fn short_prefix(server: &str) -> String {
    let last = server.rsplit('/').next().unwrap_or(server);
    last.chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The full-name prefix used when short prefixes collide.
pub fn full_prefix(server: &str) -> String {
    server
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '.'
            }
        })
        .collect()
}

/// Prefixes for a set of server names, collision-free.
pub fn prefixes<'a>(servers: impl IntoIterator<Item = &'a str>) -> HashMap<String, String> {
    let servers: Vec<&str> = servers.into_iter().collect();
    let mut count: HashMap<String, usize> = HashMap::new();
    for s in &servers {
        *count.entry(short_prefix(s)).or_default() += 1;
    }
    servers
        .into_iter()
        .map(|s| {
            let short = short_prefix(s);
            let prefix = if count[&short] > 1 {
                full_prefix(s)
            } else {
                short
            };
            (s.to_owned(), prefix)
        })
        .collect()
}

fn tenants_of(record: &McpServerRecord) -> Option<Arc<Vec<TenantId>>> {
    let list = record
        .meta
        .as_ref()?
        .get(PUBLISHER_META_KEY)?
        .get(TENANTS_META_KEY)?
        .as_array()?;
    Some(Arc::new(
        list.iter()
            .filter_map(|t| t.as_str().and_then(|t| TenantId::parse(t).ok()))
            .collect(),
    ))
}

fn streamable_urls(record: &McpServerRecord) -> Vec<String> {
    record
        .remotes
        .iter()
        .filter(|r| r.kind == RemoteType::StreamableHttp)
        .map(|r| r.url.clone())
        .collect()
}

/// Keeps the [`Catalog`] fresh: on a timer, and soon after an upstream fails.
#[derive(Debug)]
pub struct CatalogHandle {
    registry: Arc<McpClient>,
    connection: Connection,
    current: RwLock<Arc<Catalog>>,
    clients: Mutex<HashMap<String, Arc<McpClient>>>,
    wake: Notify,
    list_timeout: Duration,
}

impl CatalogHandle {
    /// An empty catalog read from the MCP registry behind `registry`; the
    /// servers are asked for their tools over `connection`, each listing
    /// bounded by `list_timeout`.
    pub fn new(registry: Arc<McpClient>, connection: Connection, list_timeout: Duration) -> Self {
        Self {
            registry,
            connection,
            current: RwLock::default(),
            clients: Mutex::default(),
            wake: Notify::new(),
            list_timeout,
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Catalog> {
        self.current.read().expect("catalog lock").clone()
    }

    /// Asks the refresher to run soon (an upstream failed).
    pub fn refresh_soon(&self) {
        self.wake.notify_one();
    }

    async fn client(&self, url: &str) -> Option<Arc<McpClient>> {
        if let Some(c) = self.clients.lock().expect("clients lock").get(url) {
            return Some(c.clone());
        }
        // The stateless protocol version needs no handshake.
        match McpClient::over(&self.connection, url, McpVersion::V2026_07_28).await {
            Ok(c) => {
                let c = Arc::new(c);
                self.clients
                    .lock()
                    .expect("clients lock")
                    .insert(url.to_owned(), c.clone());
                Some(c)
            }
            Err(e) => {
                tracing::warn!(url, error = %e, "remote URL is not usable");
                None
            }
        }
    }

    /// Tools of one server, from the first replica that answers.
    async fn server_tools(&self, urls: &[String]) -> Option<Vec<serde_json::Value>> {
        for url in urls {
            let Some(client) = self.client(url).await else {
                continue;
            };
            match tokio::time::timeout(self.list_timeout, client.list_tools()).await {
                Ok(Ok(tools)) => return Some(tools),
                Ok(Err(e)) => tracing::debug!(url, error = %e, "tools/list failed"),
                Err(_) => tracing::debug!(url, "tools/list timed out"),
            }
        }
        None
    }

    /// Re-reads the registry and every server's tools. A server that does
    /// not answer drops out; the registry not answering keeps the old snapshot.
    pub async fn refresh(&self) -> Result<usize, omega_protocol::OmegaError> {
        let servers = list_servers(&self.registry).await?;
        let records: Vec<(McpServerRecord, Vec<String>)> = servers
            .into_iter()
            .map(|s| {
                let urls = streamable_urls(&s.server);
                (s.server, urls)
            })
            .filter(|(_, urls)| !urls.is_empty())
            .collect();
        let listings =
            futures::future::join_all(records.iter().map(|(_, urls)| self.server_tools(urls)))
                .await;
        let live: Vec<(&McpServerRecord, &Vec<String>, Vec<serde_json::Value>)> = records
            .iter()
            .zip(listings)
            .filter_map(|((r, urls), tools)| match tools {
                Some(t) => Some((r, urls, t)),
                None => {
                    tracing::warn!(server = %r.name, "MCP server does not answer; its tools are hidden");
                    None
                }
            })
            .collect();
        let prefixes = prefixes(live.iter().map(|(r, _, _)| r.name.as_str()));
        let mut catalog = Catalog::default();
        for (record, urls, tools) in live {
            let urls = Arc::new(urls.clone());
            let tenants = tenants_of(record);
            for raw in tools {
                let Ok(mut tool) = serde_json::from_value::<Tool>(raw) else {
                    tracing::debug!(server = %record.name, "skipping a tool that does not parse");
                    continue;
                };
                let upstream_name = tool.name.to_string();
                let name = format!("{}{NAME_SEPARATOR}{upstream_name}", prefixes[&record.name]);
                if name.len() > MAX_TOOL_NAME {
                    tracing::warn!(name, "gateway tool name too long; tool left out");
                    continue;
                }
                let idempotent = tool.annotations.as_ref().is_some_and(|a| {
                    a.read_only_hint == Some(true) || a.idempotent_hint == Some(true)
                });
                tool.name = name.clone().into();
                catalog.tools.insert(
                    name.clone(),
                    Arc::new(GatewayTool {
                        name,
                        server: record.name.clone(),
                        upstream_name,
                        tool,
                        urls: urls.clone(),
                        tenants: tenants.clone(),
                        idempotent,
                    }),
                );
            }
        }
        let n = catalog.tools.len();
        *self.current.write().expect("catalog lock") = Arc::new(catalog);
        Ok(n)
    }

    /// Refreshes every `every`, and soon after [`CatalogHandle::refresh_soon`]
    /// (at most once per `min_gap`), until `cancel` fires.
    pub async fn run(
        self: Arc<Self>,
        every: Duration,
        min_gap: Duration,
        cancel: CancellationToken,
    ) {
        let mut last = Instant::now() - min_gap;
        loop {
            let since = last.elapsed();
            if since < min_gap {
                tokio::select! {
                    () = tokio::time::sleep(min_gap - since) => {}
                    () = cancel.cancelled() => return,
                }
            }
            match self.refresh().await {
                Ok(n) => tracing::debug!(tools = n, "gateway catalog refreshed"),
                Err(e) => {
                    tracing::warn!(error = %e, "gateway catalog refresh failed; keeping the last one")
                }
            }
            last = Instant::now();
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.wake.notified() => {}
                () = cancel.cancelled() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_unless_they_collide() {
        let p = prefixes([
            "io.github.acme/weather",
            "io.github.other/weather",
            "com.example/Ticket Tools",
            "omega/context",
        ]);
        assert_eq!(p["io.github.acme/weather"], "io.github.acme.weather");
        assert_eq!(p["io.github.other/weather"], "io.github.other.weather");
        assert_eq!(p["com.example/Ticket Tools"], "ticket-tools");
        assert_eq!(p["omega/context"], "context");
    }

    #[test]
    fn tenant_visibility() {
        let acme = TenantId::parse("acme").unwrap();
        let globex = TenantId::parse("globex").unwrap();
        let tool = GatewayTool {
            name: "x__y".into(),
            server: "x".into(),
            upstream_name: "y".into(),
            tool: serde_json::from_value(
                serde_json::json!({"name": "y", "inputSchema": {"type": "object"}}),
            )
            .unwrap(),
            urls: Arc::default(),
            tenants: Some(Arc::new(vec![acme.clone()])),
            idempotent: false,
        };
        let only = |t: &TenantId| Caller {
            id: "c".into(),
            kind: omega_stack::CallerKind::Service,
            tenants: omega_stack::TenantGrant::Only(vec![t.clone()]),
        };
        assert!(tool.visible_to(&only(&acme)));
        assert!(!tool.visible_to(&only(&globex)));
        assert!(tool.visible_to(&Caller::anonymous()));
        assert!(tool.serves(&acme) && !tool.serves(&globex));
    }
}
