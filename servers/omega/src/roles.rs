//! Building each role's application from configuration.

use std::sync::Arc;

use anyhow::Context as _;
use omega_config::{KvBackend, OmegaConfig};
use omega_stack::{McpOptions, RoleApp, TenantPolicy};
use omega_store::{EmbeddedStore, KvStore, RedisKv, RedisKvConfig};
use tokio_util::sync::CancellationToken;

/// The roles this binary can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The context server.
    Context,
    /// The agent registry.
    AgentRegistry,
    /// The MCP registry.
    McpRegistry,
    /// The federation core: JSON-RPC API at `/rpc`, MCP gateway at `/mcp`.
    Federation,
    /// Webhook ingestion (and, in this process, the pipeline's workers).
    Ingest,
    /// The MSP employee dashboard (and its shadow and analytics teams).
    Dashboard,
}

impl Role {
    /// The MCP server roles.
    pub const ALL: &'static [Role] = &[Role::Context, Role::AgentRegistry, Role::McpRegistry];

    /// Everything `omega up` runs, in port order.
    pub const UP: &'static [Role] = &[
        Role::Context,
        Role::AgentRegistry,
        Role::McpRegistry,
        Role::Federation,
        Role::Ingest,
        Role::Dashboard,
    ];

    /// The path of the role's main endpoint.
    pub fn path(self) -> &'static str {
        match self {
            Role::Ingest => "/ingest",
            Role::Dashboard => "/dashboard",
            _ => "/mcp",
        }
    }

    /// The name used in endpoints.json and logs.
    pub fn name(self) -> &'static str {
        match self {
            Role::Context => "context",
            Role::AgentRegistry => "agent-registry",
            Role::McpRegistry => "mcp-registry",
            Role::Federation => "federation",
            Role::Ingest => "ingest",
            Role::Dashboard => "dashboard",
        }
    }
}

/// Backends shared by the roles of one process.
pub struct Backends {
    /// The embedded store (documents, vectors, and KV unless Redis is configured).
    pub embedded: EmbeddedStore,
    /// The key-value backend for sessions and cache.
    pub kv: Arc<dyn KvStore>,
    /// The process's metrics, served at every role's `/metrics`.
    pub metrics: omega_telemetry::Metrics,
}

impl Backends {
    /// Opens the embedded store and, when configured, connects to Redis.
    /// Fails with a clear message when a configured backend is unreachable.
    pub async fn open(config: &OmegaConfig, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let embedded = EmbeddedStore::open(data_dir)
            .with_context(|| format!("opening embedded storage in {}", data_dir.display()))?;
        let kv: Arc<dyn KvStore> = match &config.storage.kv {
            KvBackend::Embedded => Arc::new(embedded.clone()),
            KvBackend::Redis { url } => Arc::new(
                RedisKv::connect(RedisKvConfig::new(url.clone()))
                    .await
                    .context("storage.kv is Redis, and Redis must be reachable at start")?,
            ),
        };
        Ok(Self {
            embedded,
            kv,
            metrics: omega_telemetry::Metrics::default(),
        })
    }

    /// Sweeps expired embedded entries every minute until `cancel` fires.
    pub fn spawn_maintenance(&self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        let embedded = self.embedded.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(e) = embedded.sweep_expired().await {
                            tracing::warn!(error = %e, "sweeping expired entries failed");
                        }
                    }
                    () = cancel.cancelled() => return,
                }
            }
        })
    }
}

/// Builds the application for `role`.
pub fn build(
    role: Role,
    config: &OmegaConfig,
    backends: &Backends,
    cancel: CancellationToken,
) -> RoleApp {
    let policy = TenantPolicy::new(config.tenants.iter().map(|t| t.id.clone()));
    let mcp = mcp_options(config, backends);
    match role {
        Role::Context => {
            let state = Arc::new(omega_context::ContextState {
                kv: backends.kv.clone(),
                vectors: Arc::new(backends.embedded.clone()),
                max_value_bytes: config.limits.max_value_bytes,
                embedder: omega_context::Embedder,
            });
            omega_context::app(state, policy, &mcp, cancel)
        }
        Role::AgentRegistry => {
            let state = Arc::new(omega_agent_registry::RegistryState::new(
                Arc::new(backends.embedded.clone()),
                std::time::Duration::from_secs(config.agent_registry.heartbeat_expiry_secs),
            ));
            omega_agent_registry::app(state, policy, &mcp, cancel)
        }
        Role::McpRegistry => {
            let state = Arc::new(omega_mcp_registry::RegistryState::new(Arc::new(
                backends.embedded.clone(),
            )));
            omega_mcp_registry::app(state, policy, &mcp, cancel)
        }
        Role::Federation | Role::Ingest | Role::Dashboard => {
            unreachable!("roles that need other roles' endpoints are built by up::start")
        }
    }
}

/// The stack options every role shares, from configuration.
pub fn mcp_options(config: &OmegaConfig, backends: &Backends) -> McpOptions {
    McpOptions {
        max_request_bytes: config.limits.max_request_bytes,
        allowed_hosts: config.server.effective_allowed_hosts(),
        metrics: backends.metrics.clone(),
        ..McpOptions::default()
    }
}
