//! The official MCP Registry REST read API (`/v0.1`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use omega_protocol::{ErrorCode, OmegaError, ServerList};
use serde::Deserialize;
use serde_json::json;

use crate::state::RegistryState;
use crate::types::ListServers;

/// Query parameters of `GET /v0.1/servers`, as the official API names them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<u32>,
    search: Option<String>,
    updated_since: Option<DateTime<Utc>>,
    version: Option<String>,
}

/// The REST routes.
pub(crate) fn routes(state: Arc<RegistryState>) -> Router {
    Router::new()
        .route("/v0.1/servers", get(list))
        .route("/v0.1/servers/{name}/versions", get(versions))
        .route("/v0.1/servers/{name}/versions/{version}", get(version))
        .with_state(state)
}

/// An error in the shape of the official API (RFC 9457 problem details)
/// with OMEGA's stable error object alongside.
fn problem(err: OmegaError) -> Response {
    let status = match err.code {
        ErrorCode::NOT_FOUND => StatusCode::NOT_FOUND,
        ErrorCode::INVALID_PARAMS => StatusCode::BAD_REQUEST,
        ErrorCode::BACKEND_UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (
        status,
        Json(json!({
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": err.message,
            "error": err,
        })),
    )
        .into_response()
}

async fn list(
    State(state): State<Arc<RegistryState>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(q) = match query {
        Ok(q) => q,
        Err(e) => {
            return problem(
                OmegaError::invalid_params(format!("bad query string: {}", e.body_text()))
                    .with_hint("parameters: cursor, limit (1-100), search, updated_since (RFC 3339), version=latest"),
            );
        }
    };
    let query = ListServers {
        cursor: q.cursor,
        limit: q.limit,
        search: q.search,
        updated_since: q.updated_since,
        version: q.version,
        include_deleted: false,
    };
    match state.list(&query).await {
        Ok(page) => Json(page).into_response(),
        Err(e) => problem(e),
    }
}

async fn versions(State(state): State<Arc<RegistryState>>, Path(name): Path<String>) -> Response {
    match state.versions(&name).await {
        Ok(list) if list.is_empty() => {
            problem(OmegaError::not_found(format!("no server named `{name}`")))
        }
        Ok(list) => Json(ServerList::new(list, None)).into_response(),
        Err(e) => problem(e),
    }
}

async fn version(
    State(state): State<Arc<RegistryState>>,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    match state.get(&name, Some(&version)).await {
        Ok(entry) => Json(entry).into_response(),
        Err(e) => problem(e),
    }
}
