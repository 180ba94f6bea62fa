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
    let hosts = Arc::new(options.allowed_hosts.clone());
    let rpc = rpc::routes(state, options.authorizer.clone()).layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let hosts = hosts.clone();
            async move { host_check(&hosts, req, next).await }
        },
    ));
    RoleApp::new(ROLE)
        .with_mcp_handler(gateway, options, cancel)
        .with_routes(rpc)
}

/// The host part of a `Host` header value (`[::1]:7703` → `::1`).
fn host_of(value: &str) -> &str {
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    value.rsplit_once(':').map_or(value, |(h, _)| h)
}

/// The same DNS-rebinding protection the MCP endpoint has: a request whose
/// `Host` is not an allowed host (`server.allowedHosts`; empty allows all)
/// is refused with 403 and a JSON-RPC error.
async fn host_check(
    allowed: &[String],
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if allowed.is_empty() {
        return next.run(req).await;
    }
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_of);
    if host.is_some_and(|h| allowed.iter().any(|a| a.eq_ignore_ascii_case(h))) {
        return next.run(req).await;
    }
    let err = omega_protocol::OmegaError::new(
        omega_protocol::ErrorCode::FORBIDDEN,
        format!(
            "Host {:?} is not an allowed host of this server",
            host.unwrap_or("")
        ),
    )
    .with_hint("call the server by one of its configured names (server.allowedHosts)");
    (
        http::StatusCode::FORBIDDEN,
        axum::Json(serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {
            "code": err.code.0, "message": err.message, "data": err.data,
        }})),
    )
        .into_response()
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
