//! The MCP side of the stack: an rmcp [`ServerHandler`] over a [`ToolSet`],
//! served with rmcp's streamable HTTP transport.
//!
//! Both HTTP protocol versions rmcp supports work on the same endpoint:
//! 2025-11-25 clients get sessions (`Mcp-Session-Id`), 2026-07-28 clients are
//! served statelessly. Single responses are sent as `application/json`
//! whenever the handler emits nothing else first, which is far cheaper than
//! an SSE stream.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use omega_protocol::{ErrorCode, OmegaError};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode as McpCode,
    ErrorData, Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use serde_json::json;

use crate::guard::PanicFlag;
use crate::sessions::CappedSessions;
use crate::{AllowAll, Authenticator, Authorizer, Caller, DevAuthenticator, Limits, ToolSet};

/// An MCP server over a role's [`ToolSet`].
pub struct McpHandler<S> {
    tools: Arc<ToolSet<S>>,
    name: &'static str,
    instructions: Arc<str>,
}

impl<S> Clone for McpHandler<S> {
    fn clone(&self) -> Self {
        Self {
            tools: self.tools.clone(),
            name: self.name,
            instructions: self.instructions.clone(),
        }
    }
}

impl<S: Send + Sync + 'static> McpHandler<S> {
    /// A handler named `name` (the MCP `serverInfo.name`) serving `tools`.
    pub fn new(
        name: &'static str,
        instructions: impl Into<Arc<str>>,
        tools: Arc<ToolSet<S>>,
    ) -> Self {
        Self {
            tools,
            name,
            instructions: instructions.into(),
        }
    }
}

/// The caller the identity layer attached to the HTTP request of an MCP
/// message; refused when a role was served without the identity layer.
pub fn caller_of(ctx: &RequestContext<RoleServer>) -> Result<Caller, ErrorData> {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>())
        .cloned()
        .ok_or_else(|| {
            // The stack always installs an identity layer; reaching this means
            // a role was served without it. Refuse rather than guess.
            ErrorData::new(
                McpCode(ErrorCode::UNAUTHENTICATED.0),
                "no caller identity on this request",
                Some(json!({"name": "unauthenticated"})),
            )
        })
}

/// An [`OmegaError`] as an MCP tool result with `isError: true`: the text
/// content is readable by a model or a person, and `structuredContent.error`
/// carries the stable code for programs.
pub fn error_result(err: &OmegaError) -> CallToolResult {
    let mut text = format!(
        "error {} ({}): {}",
        err.code.0,
        err.code.name().unwrap_or("error"),
        err.message
    );
    if let Some(hint) = &err.data.hint {
        text.push_str(&format!(" Hint: {hint}"));
    }
    let mut result = CallToolResult::structured_error(json!({ "error": err }));
    result.content = vec![ContentBlock::text(text)];
    result
}

/// A handler panicked: log it, mark the HTTP request (so a JSON answer
/// gets status 500) and answer a JSON-RPC `internal_error`. The handler
/// runs in a task of rmcp's, so the stack's outer panic layer cannot see it.
fn handler_panicked(
    ctx: &RequestContext<RoleServer>,
    role: &str,
    what: &str,
    payload: &(dyn std::any::Any + Send),
) -> ErrorData {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-text panic payload");
    tracing::error!(role, what, panic = message, "MCP handler panicked");
    if let Some(flag) = ctx
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PanicFlag>())
    {
        flag.set();
    }
    ErrorData::new(
        McpCode(ErrorCode::INTERNAL_ERROR.0),
        format!("{what} failed unexpectedly; the server logged the details"),
        Some(json!({
            "name": "internal_error",
            "hint": "this is a server bug; retrying may fail the same way",
        })),
    )
}

impl<S: Send + Sync + 'static> ServerHandler for McpHandler<S> {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new(self.name, env!("CARGO_PKG_VERSION"));
        info.instructions = Some(self.instructions.to_string());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = caller_of(&ctx)?;
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.tools.list(&caller))) {
            Ok(tools) => Ok(ListToolsResult::with_all_items(tools)),
            Err(payload) => Err(handler_panicked(
                &ctx,
                self.name,
                "tools/list",
                payload.as_ref(),
            )),
        }
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller_of(&ctx)?;
        let name = request.name.as_ref();
        let called = AssertUnwindSafe(self.tools.call(caller, name, request.arguments))
            .catch_unwind()
            .await;
        let called = match called {
            Ok(called) => called,
            Err(payload) => {
                return Err(handler_panicked(
                    &ctx,
                    self.name,
                    &format!("tool `{name}`"),
                    payload.as_ref(),
                ));
            }
        };
        match called {
            // MCP reports an unknown tool as a protocol error with -32602.
            None => Err(ErrorData::new(
                McpCode::INVALID_PARAMS,
                format!("unknown tool `{name}`"),
                Some(json!({
                    "name": "invalid_params",
                    "hint": "call tools/list to see the tools this server offers",
                })),
            )),
            Some(Ok(value)) => Ok(CallToolResult::structured(value).into()),
            Some(Err(err)) => {
                if err.code == ErrorCode::INTERNAL_ERROR
                    || err.code == ErrorCode::BACKEND_UNAVAILABLE
                {
                    tracing::warn!(tool = name, code = err.code.0, message = %err.message, "tool call failed");
                }
                Ok(error_result(&err).into())
            }
        }
    }
}

/// Options every role's HTTP surface shares: the MCP transport settings and
/// the security hooks.
#[derive(Clone)]
pub struct McpOptions {
    /// Offer sessions to 2025-11-25 clients (2026-07-28 is always stateless).
    pub sessions: bool,
    /// Largest accepted request body; larger bodies get `413`.
    pub max_request_bytes: usize,
    /// Accepted `Host` header values (DNS-rebinding protection). Empty
    /// disables the check, for deployments behind a trusted ingress.
    pub allowed_hosts: Vec<String>,
    /// Who is calling (default: development, everyone is anonymous).
    pub authenticator: Arc<dyn Authenticator>,
    /// What they may call (default: everything).
    pub authorizer: Arc<dyn Authorizer>,
    /// The process's metrics (served at `/metrics`).
    pub metrics: omega_telemetry::Metrics,
    /// Request, session and storage limits (the connection limits are
    /// given to [`crate::serve_limited`]).
    pub limits: Limits,
    /// Where every state-changing tool call is recorded (the audit trail).
    pub audit: Option<Arc<dyn crate::ToolAudit>>,
}

impl std::fmt::Debug for McpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpOptions")
            .field("sessions", &self.sessions)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for McpOptions {
    fn default() -> Self {
        Self {
            sessions: true,
            max_request_bytes: 4 * 1024 * 1024,
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            authenticator: Arc::new(DevAuthenticator),
            authorizer: Arc::new(AllowAll),
            metrics: omega_telemetry::Metrics::default(),
            limits: Limits::default(),
            audit: None,
        }
    }
}

/// The rmcp streamable HTTP service for `handler`, as a tower service to
/// mount at `/mcp`. 2025-11-25 sessions are capped and expire when idle
/// (`options.limits`); mount it behind the stack's router
/// ([`crate::RoleApp`]) so that a refused session is answered `503`.
pub fn mcp_service<S: Send + Sync + 'static>(
    handler: McpHandler<S>,
    options: &McpOptions,
    cancel: tokio_util::sync::CancellationToken,
) -> StreamableHttpService<McpHandler<S>, CappedSessions> {
    service_for(handler, options, cancel)
}

/// The streamable HTTP service for any rmcp handler, configured from `options`.
pub(crate) fn service_for<H>(
    handler: H,
    options: &McpOptions,
    cancel: tokio_util::sync::CancellationToken,
) -> StreamableHttpService<H, CappedSessions>
where
    H: ServerHandler + Clone + Send + Sync + 'static,
{
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(options.sessions)
        .with_json_response(true)
        .with_max_request_body_bytes(options.max_request_bytes)
        .with_cancellation_token(cancel);
    config = if options.allowed_hosts.is_empty() {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(options.allowed_hosts.clone())
    };
    StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(CappedSessions::new(
            options.limits.max_sessions,
            options.limits.session_idle_timeout,
        )),
        config,
    )
}
