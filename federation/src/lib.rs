//! The OMEGA federation core: one endpoint through which any caller reaches
//! every agent, tool and Titan.
//!
//! ```text
//! role `omega-federation` on the shared stack
//!  ├─ POST /rpc   JSON-RPC 2.0 (jsonrpsee): federation.route / callTitan / reachable
//!  └─ /mcp        MCP gateway: every registry server's tools as `{server}__{tool}`
//!        │
//!        ▼  both forward through the resilience layers (crate::layers)
//!  shed ─ deadline ─ retry(budget) ─ balance(p2c) ─ per replica: breaker ─ attempt deadline ─ shed ─ MCP
//! ```
//!
//! Agents are found in the agent registry (live instances with an MCP
//! interface), MCP servers in the MCP registry (streamable-http remotes), and
//! Titans through a [`TitanRouter`] the deployment plugs in. Calls to OMEGA
//! services go through `omega-client`.
//!
//! Wire it with [`FederationState::new`], [`app`] and [`spawn_refresher`].

mod call;
pub mod catalog;
mod config;
pub mod discovery;
pub mod gateway;
pub mod layers;
pub mod rpc;
mod state;
mod titan;
pub mod upstream;

use std::sync::Arc;

use omega_stack::{McpOptions, RoleApp};
use tokio_util::sync::CancellationToken;

pub use call::{
    CallError, DEADLINE_HEADER, DEADLINE_META_KEY, FailureKind, UpstreamCall, all_failed,
    deadline_from_meta,
};
pub use config::{FederationConfig, FederationSettings};
pub use gateway::Gateway;
pub use state::FederationState;
pub use titan::TitanRouter;

/// The role's name (MCP `serverInfo.name`, authorizer role).
pub const ROLE: &str = "omega-federation";

/// The federation role: the MCP gateway at `/mcp` and the JSON-RPC API at
/// `POST /rpc`, on the shared stack (identity, TLS, tracing). Start the
/// catalog refresher with [`spawn_refresher`].
pub fn app(
    state: Arc<FederationState>,
    options: &McpOptions,
    cancel: CancellationToken,
) -> RoleApp {
    let gateway = Gateway::new(state.clone(), options.authorizer.clone());
    RoleApp::new(ROLE)
        .with_mcp_handler(gateway, options, cancel)
        .with_routes(rpc::routes(state, options.authorizer.clone()))
}

/// Keeps the gateway catalog fresh (timer, plus soon after an upstream
/// fails) until `cancel` fires. The first refresh runs at once.
pub fn spawn_refresher(
    state: &Arc<FederationState>,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let catalog = state.catalog.clone();
    let every = state.config.catalog_refresh;
    tokio::spawn(catalog.run(every, std::time::Duration::from_millis(250), cancel))
}
