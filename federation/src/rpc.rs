//! The JSON-RPC 2.0 API, served by jsonrpsee as a tower service at
//! `POST /rpc` on the role's stack (so TLS, caller identity and tracing
//! apply as to `/mcp`).
//!
//! | method | params | result |
//! |---|---|---|
//! | `federation.route` | [`RouteRequest`] | the tool's structured result |
//! | `federation.callTitan` | [`TitanCallRequest`] | [`TitanCallResult`](omega_protocol::TitanCallResult) |
//! | `federation.reachable` | `{"tenant": "acme"}` | [`Reachable`](omega_protocol::Reachable) |
//!
//! Params are a JSON object (by-name). Errors are [`OmegaError`]s: JSON-RPC's
//! standard codes for parse errors, invalid requests, unknown methods and
//! bad params; OMEGA's codes otherwise (`no_live_agent`, `upstream_failed`
//! with `data.extra.causes`, `deadline_exceeded`, `overloaded`, ...).
//! Batches are answered per JSON-RPC 2.0 (at most `maxBatchLen` calls). A
//! deadline may also come as the header `omega-deadline-ms`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use jsonrpsee::Extensions;
use jsonrpsee::server::{
    BatchRequestConfig, RpcModule, ServerBuilder, ServerConfig, ServerHandle, stop_channel,
};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use omega_protocol::{ErrorCode, OmegaError, RouteRequest, TenantId, TitanCallRequest};
use omega_stack::{Authorizer, Caller};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tower::Service;

use crate::{DEADLINE_HEADER, FederationState, ROLE};

/// The API's method names.
pub const METHODS: [&str; 3] = [
    "federation.route",
    "federation.callTitan",
    "federation.reachable",
];

/// A deadline taken from the `omega-deadline-ms` header.
#[derive(Debug, Clone, Copy)]
struct HeaderDeadline(Instant);

/// `federation.reachable` params.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReachableParams {
    tenant: TenantId,
}

fn to_rpc(err: OmegaError) -> ErrorObjectOwned {
    let data = serde_json::to_value(&err.data).ok();
    ErrorObjectOwned::owned(err.code.0, err.message, data)
}

fn parse<T: DeserializeOwned>(params: &Params<'_>) -> Result<T, OmegaError> {
    let raw = params.as_str().unwrap_or("null");
    let value: serde_json::Value = serde_json::from_str(raw)
        .map_err(|e| OmegaError::invalid_params(format!("params are not JSON: {e}")))?;
    if !value.is_object() {
        return Err(
            OmegaError::invalid_params("params must be a JSON object (by name)")
                .with_hint("send \"params\": {\"tenant\": \"acme\", ...}"),
        );
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let mut err = OmegaError::invalid_params(format!("params are invalid: {}", e.inner()));
        if path != "." {
            err = err.with_field(path);
        }
        err
    })
}

struct RpcContext {
    state: Arc<FederationState>,
    authorizer: Arc<dyn Authorizer>,
}

impl RpcContext {
    /// The caller, checked against the authorizer for `method`.
    fn caller(&self, ext: &Extensions, method: &str) -> Result<Caller, OmegaError> {
        let caller = ext.get::<Caller>().cloned().ok_or_else(|| {
            OmegaError::new(
                ErrorCode::UNAUTHENTICATED,
                "no caller identity on this request",
            )
        })?;
        if !self.authorizer.may_call(&caller, ROLE, method) {
            return Err(OmegaError::new(
                ErrorCode::FORBIDDEN,
                format!("caller `{}` may not call {method}", caller.id),
            ));
        }
        Ok(caller)
    }
}

fn deadline(ext: &Extensions) -> Option<Instant> {
    ext.get::<HeaderDeadline>().map(|d| d.0)
}

/// The RPC module with the federation's methods.
fn module(state: Arc<FederationState>, authorizer: Arc<dyn Authorizer>) -> RpcModule<RpcContext> {
    let mut module = RpcModule::new(RpcContext { state, authorizer });
    module
        .register_async_method(METHODS[0], |params, ctx, ext| async move {
            let caller = ctx.caller(&ext, METHODS[0]).map_err(to_rpc)?;
            let req: RouteRequest = parse(&params).map_err(to_rpc)?;
            ctx.state
                .route(&caller, req, deadline(&ext))
                .await
                .map_err(to_rpc)
        })
        .expect("method names are unique");
    module
        .register_async_method(METHODS[1], |params, ctx, ext| async move {
            let caller = ctx.caller(&ext, METHODS[1]).map_err(to_rpc)?;
            let req: TitanCallRequest = parse(&params).map_err(to_rpc)?;
            ctx.state
                .call_titan(&caller, req, deadline(&ext))
                .await
                .map_err(to_rpc)
        })
        .expect("method names are unique");
    module
        .register_async_method(METHODS[2], |params, ctx, ext| async move {
            let caller = ctx.caller(&ext, METHODS[2]).map_err(to_rpc)?;
            let req: ReachableParams = parse(&params).map_err(to_rpc)?;
            let authorizer = ctx.authorizer.clone();
            let visible = |t: &crate::catalog::GatewayTool| {
                t.visible_to(&caller) && authorizer.may_call(&caller, ROLE, &t.name)
            };
            ctx.state
                .reachable(&caller, &req.tenant, visible)
                .await
                .map_err(to_rpc)
        })
        .expect("method names are unique");
    module
}

/// The `POST /rpc` route serving the JSON-RPC API.
pub fn routes(state: Arc<FederationState>, authorizer: Arc<dyn Authorizer>) -> Router {
    let config = ServerConfig::builder()
        .http_only()
        .max_request_body_size(state.config.max_request_bytes)
        .max_response_body_size(u32::MAX)
        .set_batch_request_config(BatchRequestConfig::Limit(state.config.max_batch_len))
        .build();
    let (stop, handle) = stop_channel();
    // One "connection" per HTTP request in jsonrpsee's accounting; the
    // federation's own in-flight limit is the real one.
    let service = ServerBuilder::new()
        .set_config(config)
        .to_service_builder()
        .max_connections(u32::MAX / 2)
        .build(module(state, authorizer), stop);
    let handle = Arc::new(handle);
    Router::new().route(
        "/rpc",
        axum::routing::post(move |mut request: Request| {
            let mut service = service.clone();
            let _keep: Arc<ServerHandle> = handle.clone();
            async move {
                let header = request
                    .headers()
                    .get(DEADLINE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|ms| *ms > 0);
                if let Some(ms) = header {
                    let at = Instant::now() + Duration::from_millis(ms);
                    request.extensions_mut().insert(HeaderDeadline(at));
                }
                match service.call(request).await {
                    Ok(response) => response.map(axum::body::Body::new).into_response(),
                    Err(e) => {
                        tracing::warn!(error = %e, "JSON-RPC service failed");
                        http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    }
                }
            }
        }),
    )
}
