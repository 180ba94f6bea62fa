//! Assembles a role's HTTP surface: `/mcp`, health, readiness and the role's
//! own routes, behind the shared middleware.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::mcp::{McpHandler, McpOptions, mcp_service};
use crate::{Authenticator, DevAuthenticator, Limits, ToolSet};

type ReadyFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A readiness probe: `Ok` when the role's backends answer.
#[derive(Clone)]
pub struct Readiness(Arc<dyn Fn() -> ReadyFuture + Send + Sync>);

impl Readiness {
    /// A probe running `f`.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self(Arc::new(move || Box::pin(f())))
    }

    /// A probe that is always ready.
    pub fn always() -> Self {
        Self::new(|| async { Ok(()) })
    }
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Readiness")
    }
}

/// One role's HTTP application before it is served.
pub struct RoleApp {
    name: &'static str,
    metrics: Option<omega_telemetry::Metrics>,
    authenticator: Arc<dyn Authenticator>,
    mcp: Option<Router>,
    routes: Router,
    readiness: Readiness,
    limits: Limits,
}

impl std::fmt::Debug for RoleApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleApp")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Paths served without credentials: probes and public discovery documents
/// (A2A agent cards, OAuth protected resource metadata).
fn is_public(path: &str) -> bool {
    path == "/healthz" || path == "/readyz" || path == "/metrics" || path.contains("/.well-known/")
}

/// The identity layer: every non-public request gets a [`Caller`] from the
/// authenticator, or is refused with the authenticator's response.
async fn identify(authenticator: Arc<dyn Authenticator>, request: Request, next: Next) -> Response {
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    match authenticator.authenticate(&parts) {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(refusal) => *refusal,
    }
}

/// `/mcp` behind the middleware that answers a session refused by the cap.
fn mcp_router<S>(service: S) -> Router
where
    S: tower::Service<Request, Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    Router::new()
        .route_service("/mcp", service)
        .layer(axum::middleware::from_fn(crate::sessions::refusals))
}

impl RoleApp {
    /// A role named `name` (used in logs, health output and `serverInfo`).
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            metrics: None,
            authenticator: Arc::new(DevAuthenticator),
            mcp: None,
            routes: Router::new(),
            readiness: Readiness::always(),
            limits: Limits::default(),
        }
    }

    /// Serves `tools` over MCP at `/mcp`.
    pub fn with_tools<S: Send + Sync + 'static>(
        mut self,
        instructions: &str,
        tools: ToolSet<S>,
        options: &McpOptions,
        cancel: CancellationToken,
    ) -> Self {
        self.authenticator = options.authenticator.clone();
        self.metrics = Some(options.metrics.clone());
        self.limits = options.limits.clone();
        let mut tools = tools.authorize(self.name, options.authorizer.clone());
        if let Some(audit) = &options.audit {
            tools = tools.audit(audit.clone());
        }
        let handler = McpHandler::new(self.name, instructions, Arc::new(tools));
        let service = mcp_service(handler, options, cancel);
        self.mcp = Some(mcp_router(service));
        self
    }

    /// Serves any rmcp [`rmcp::ServerHandler`] at `/mcp` on this stack (same
    /// transport, identity layer and middleware as a [`ToolSet`] role). For
    /// servers that need more than typed tools: resources, prompts,
    /// notifications (e.g. the conformance fixture server).
    pub fn with_mcp_handler<H>(
        mut self,
        handler: H,
        options: &McpOptions,
        cancel: CancellationToken,
    ) -> Self
    where
        H: rmcp::ServerHandler + Clone + Send + Sync + 'static,
    {
        self.authenticator = options.authenticator.clone();
        self.metrics = Some(options.metrics.clone());
        self.limits = options.limits.clone();
        let service = crate::mcp::service_for(handler, options, cancel);
        self.mcp = Some(mcp_router(service));
        self
    }

    /// Adds role-specific routes (REST APIs, well-known documents).
    pub fn with_routes(mut self, routes: Router) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// Records request metrics into `metrics` (roles without tools; roles
    /// with tools use the metrics in their [`McpOptions`]).
    pub fn with_metrics(mut self, metrics: omega_telemetry::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Sets the request limits (roles without tools; roles with tools use
    /// the limits in their [`McpOptions`]). Call it after
    /// [`RoleApp::with_tools`], which sets them from its options.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the readiness probe behind `/readyz`.
    pub fn with_readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = readiness;
        self
    }

    /// The role's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The complete router with the shared middleware.
    pub fn into_router(self) -> Router {
        let name = self.name;
        let readiness = self.readiness;
        let authenticator = self.authenticator;
        let metrics = self.metrics.unwrap_or_default();
        let mut router = Router::new()
            .route(
                "/healthz",
                get(move || async move { axum::Json(json!({"status": "ok", "role": name})) }),
            )
            .route(
                "/readyz",
                get(move || {
                    let readiness = readiness.clone();
                    async move {
                        match (readiness.0)().await {
                            Ok(()) => (
                                StatusCode::OK,
                                axum::Json(json!({"status": "ready", "role": name})),
                            )
                                .into_response(),
                            Err(why) => (
                                StatusCode::SERVICE_UNAVAILABLE,
                                axum::Json(
                                    json!({"status": "not-ready", "role": name, "reason": why}),
                                ),
                            )
                                .into_response(),
                        }
                    }
                }),
            )
            .merge(omega_telemetry::metrics_router(metrics.clone()))
            .merge(self.routes);
        if let Some(mcp) = self.mcp {
            router = router.merge(mcp);
        }
        let (body_timeout, request_timeout) =
            (self.limits.body_read_timeout, self.limits.request_timeout);
        // Outermost last: panics, then the trace span, then the deadlines,
        // then identity.
        router
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| identify(authenticator.clone(), req, next),
            ))
            // Body-read and whole-request deadlines (408 / 504, JSON).
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| {
                    crate::guard::deadlines(body_timeout, request_timeout, req, next)
                },
            ))
            // One server span per request (child of the caller's
            // `traceparent`) and the request metrics.
            .layer(omega_telemetry::TelemetryLayer::new(metrics.clone(), name))
            // A panic anywhere answers 500 with a JSON error.
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| {
                    crate::guard::catch_panic(metrics.clone(), name, req, next)
                },
            ))
    }
}
