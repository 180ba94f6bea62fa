//! The federation core: JSON-RPC at `/rpc` and the MCP gateway at `/mcp`.
//! Agents come from the agent registry, tools from the MCP registry, and
//! Titan calls go to the orchestrator role.

use std::sync::Arc;

use anyhow::Context as _;
use futures::future::BoxFuture;
use omega_client::{McpClient, McpRegistryClient, OrchestratorClient};
use omega_federation::{FederationConfig, FederationState, TitanRouter};
use omega_protocol::{ErrorCode, ReachableTitan};

use super::policy;
use crate::remote::OrchestratedTitans;
use crate::role::{Peers, Role, RoleContext, RoleId, RoleParts};

/// The federation role.
pub struct FederationRole;

/// The federation's settings: `[federation]` plus the registries among the peers.
fn settings(ctx: &RoleContext<'_>) -> anyhow::Result<FederationConfig> {
    let me = RoleId::Federation;
    let mut config = ctx.config.federation.to_runtime();
    config.agent_registry_url = ctx.peers.mcp_url(RoleId::AgentRegistry, me)?;
    config.mcp_registry_url = ctx.peers.mcp_url(RoleId::McpRegistry, me)?;
    Ok(config)
}

impl Role for FederationRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let me = RoleId::Federation;
            let config = settings(ctx)?;
            let url = ctx.peers.mcp_url(RoleId::Orchestrator, me)?;
            let mcp = McpClient::over(&ctx.connection, &url, omega_client::McpVersion::V2026_07_28)
                .await
                .with_context(|| {
                    format!("the federation cannot reach the orchestrator at {url}")
                })?;
            let mcp = Arc::new(mcp);
            let raw = mcp
                .call_idempotent("orchestrator_titans", serde_json::json!({}))
                .await
                .context("asking the orchestrator for its Titans")?;
            let reachable: Vec<ReachableTitan> =
                serde_json::from_value::<super::orchestrator::TitanList>(raw)
                    .context("the orchestrator's Titan list")?
                    .titans;
            let router: Arc<dyn TitanRouter> = Arc::new(OrchestratedTitans {
                client: OrchestratorClient::new(mcp),
                reachable,
            });
            publish_peers(ctx.peers, &ctx.connection).await;
            let state = FederationState::new(
                config,
                ctx.connection.clone(),
                policy(ctx.config),
                Some(router),
            )
            .await
            .map_err(|e| anyhow::anyhow!("starting the federation: {e}"))?;
            if let Err(e) = state.refresh_catalog().await {
                tracing::warn!(error = %e, "first catalog refresh failed");
            }
            let refresher = omega_federation::spawn_refresher(&state, ctx.cancel.clone());
            let app = omega_federation::app(state, &ctx.mcp, ctx.cancel.clone());
            let mut parts = RoleParts::app(app);
            parts.tasks.push(tokio::spawn(async move {
                let _ = refresher.await;
            }));
            Ok(parts)
        })
    }
}

/// Publishes the MCP servers of OMEGA's own roles that are known among the
/// peers in the MCP registry, so the gateway aggregates them. A record is
/// immutable per version, so the version carries the port as build
/// metadata; a restart on the same ports finds its records already there.
async fn publish_peers(peers: &Peers, connection: &omega_client::Connection) {
    let Some(registry) = peers.get(RoleId::McpRegistry) else {
        return;
    };
    let registry_url = format!("{registry}/mcp");
    let Ok(mcp) = McpClient::over(
        connection,
        &registry_url,
        omega_client::McpVersion::V2026_07_28,
    )
    .await
    else {
        tracing::warn!(%registry_url, "cannot reach the MCP registry to publish OMEGA's servers");
        return;
    };
    let registry = McpRegistryClient::new(mcp);
    for (role, what) in [
        (
            RoleId::Context,
            "OMEGA context server: sessions, cache, semantic memory",
        ),
        (
            RoleId::AgentRegistry,
            "OMEGA agent registry: agent cards and discovery",
        ),
        (RoleId::McpRegistry, "OMEGA MCP registry: server records"),
    ] {
        let Some(base) = peers.get(role) else {
            continue;
        };
        let port = base.rsplit(':').next().unwrap_or("0");
        let record = serde_json::json!({
            "name": format!("io.omega.local/{}", role.name()),
            "description": what,
            "version": format!("{}+port{port}", env!("CARGO_PKG_VERSION")),
            "remotes": [{"type": "streamable-http", "url": format!("{base}/mcp")}],
        });
        let Ok(record) = serde_json::from_value(record) else {
            continue;
        };
        match registry.publish(&record).await {
            Ok(_) => {}
            Err(e) if e.code() == Some(ErrorCode::ALREADY_EXISTS) => {}
            Err(e) => {
                tracing::warn!(error = %e, role = %role, "publishing to the MCP registry failed")
            }
        }
    }
}
