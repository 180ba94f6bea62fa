//! The MCP side of the stack: an rmcp [`ServerHandler`] over a [`ToolSet`],
//! served with rmcp's streamable HTTP transport.
//!
//! Both HTTP protocol versions rmcp supports work on the same endpoint:
//! 2025-11-25 clients get sessions (`Mcp-Session-Id`), 2026-07-28 clients are
//! served statelessly. Single responses are sent as `application/json`
//! whenever the handler emits nothing else first, which is far cheaper than
//! an SSE stream.

use std::sync::Arc;

use omega_protocol::{ErrorCode, OmegaError};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode as McpCode,
    ErrorData, Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use serde_json::json;

use crate::{AllowAll, Authenticator, Authorizer, Caller, DevAuthenticator, ToolSet};

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
        Ok(ListToolsResult::with_all_items(self.tools.list(&caller)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller_of(&ctx)?;
        let name = request.name.as_ref();
        match self.tools.call(caller, name, request.arguments).await {
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
}

impl std::fmt::Debug for McpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpOptions")
            .field("sessions", &self.sessions)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("allowed_hosts", &self.allowed_hosts)
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
        }
    }
}

/// The rmcp streamable HTTP service for `handler`, as a tower service to
/// mount at `/mcp`.
pub fn mcp_service<S: Send + Sync + 'static>(
    handler: McpHandler<S>,
    options: &McpOptions,
    cancel: tokio_util::sync::CancellationToken,
) -> StreamableHttpService<McpHandler<S>, LocalSessionManager> {
    service_for(handler, options, cancel)
}

/// The streamable HTTP service for any rmcp handler, configured from `options`.
pub(crate) fn service_for<H>(
    handler: H,
    options: &McpOptions,
    cancel: tokio_util::sync::CancellationToken,
) -> StreamableHttpService<H, LocalSessionManager>
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
        Arc::new(LocalSessionManager::default()),
        config,
    )
}
