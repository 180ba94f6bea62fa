//! The agent registry as a role application, with the A2A well-known routes.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use omega_protocol::{AgentCard, OmegaError};
use omega_stack::{McpOptions, RoleApp, TenantPolicy};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::{INSTRUCTIONS, RegistryState, tool_set};

/// The agent registry role: MCP tools, each registered card at
/// `/agents/{agentId}/.well-known/agent-card.json`, and the registry's own
/// card at `/.well-known/agent-card.json`.
pub fn app(
    state: Arc<RegistryState>,
    policy: TenantPolicy,
    mcp: &McpOptions,
    cancel: CancellationToken,
) -> RoleApp {
    let routes = Router::new()
        .route("/.well-known/agent-card.json", get(own_card))
        .route(
            "/agents/{agent_id}/.well-known/agent-card.json",
            get(agent_card),
        )
        .with_state(state.clone());
    RoleApp::new("omega-agent-registry")
        .with_tools(INSTRUCTIONS, tool_set(state, policy), mcp, cancel)
        .with_routes(routes)
}

fn error_response(status: StatusCode, err: OmegaError) -> Response {
    (status, Json(json!({ "error": err }))).into_response()
}

async fn agent_card(
    State(state): State<Arc<RegistryState>>,
    Path(agent_id): Path<String>,
) -> Response {
    match state.get(&agent_id).await {
        Ok(Some(stored)) => (
            [(header::CACHE_CONTROL, "no-cache")],
            Json(stored.card.to_public()),
        )
            .into_response(),
        Ok(None) => error_response(
            StatusCode::NOT_FOUND,
            OmegaError::not_found(format!("agent `{agent_id}` is not registered")),
        ),
        Err(e) => error_response(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

/// The registry describes itself as an A2A agent reachable over MCP.
async fn own_card(headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let card = json!({
        "name": "OMEGA Agent Registry",
        "description": "Registers A2A agent cards, tracks liveness by heartbeat and discovers live agents by skill or capability.",
        "version": env!("CARGO_PKG_VERSION"),
        "supportedInterfaces": [{
            "url": format!("http://{host}/mcp"),
            "protocolBinding": "MCP",
            "protocolVersion": omega_protocol::agent_card::A2A_PROTOCOL_VERSION,
        }],
        "capabilities": {"streaming": false, "pushNotifications": false},
        "defaultInputModes": ["application/json"],
        "defaultOutputModes": ["application/json"],
        "skills": [{
            "id": "agent-discovery",
            "name": "Agent discovery",
            "description": "Find live agents by skill or capability.",
            "tags": ["registry", "discovery"],
        }],
        "omega": {"role": "agent-registry", "tier": "always-on", "tenants": "all"},
    });
    match serde_json::from_value::<AgentCard>(card) {
        Ok(card) => Json(card.to_public()).into_response(),
        Err(e) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            OmegaError::internal(format!("own card does not match the AgentCard type: {e}")),
        ),
    }
}
