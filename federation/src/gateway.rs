//! The MCP gateway: one MCP server offering the tools of every MCP server
//! in the MCP registry (see [`crate::catalog`] for the names), filtered by
//! the caller's tenants and permissions, forwarding each call through the
//! resilience stack.
//!
//! A tool the caller may not use is absent from `tools/list`, and calling
//! it gets the same "unknown tool" error as a tool that does not exist: the
//! gateway does not reveal that it exists.

use std::sync::Arc;

use omega_protocol::{ErrorCode, OmegaError, TenantId, TraceContext};
use omega_stack::{Authorizer, Caller, caller_of, error_result};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorCode as McpCode, ErrorData,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::catalog::GatewayTool;
use crate::{FederationState, ROLE, UpstreamCall, deadline_from_meta};

/// What the gateway tells MCP clients about itself.
pub const INSTRUCTIONS: &str = "OMEGA federation gateway: the tools of every MCP server in the OMEGA \
MCP registry, named `{server}__{tool}`. Only tools you may use are listed.";

/// The gateway's rmcp handler.
#[derive(Clone)]
pub struct Gateway {
    state: Arc<FederationState>,
    authorizer: Arc<dyn Authorizer>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway over `state`, asking `authorizer` which tools each caller may use.
    pub fn new(state: Arc<FederationState>, authorizer: Arc<dyn Authorizer>) -> Self {
        Self { state, authorizer }
    }

    fn may_use(&self, caller: &Caller, tool: &GatewayTool) -> bool {
        tool.visible_to(caller) && self.authorizer.may_call(caller, ROLE, &tool.name)
    }

    /// The tool `name` if `caller` may use it.
    fn tool_for(&self, caller: &Caller, name: &str) -> Option<Arc<GatewayTool>> {
        let tool = self.state.catalog.snapshot().tools.get(name)?.clone();
        self.may_use(caller, &tool).then_some(tool)
    }
}

/// Checks the call's `tenant` argument, if it has one, against the caller
/// and the server.
fn tenant_of(
    caller: &Caller,
    tool: &GatewayTool,
    args: &serde_json::Map<String, Value>,
) -> Result<Option<TenantId>, OmegaError> {
    let Some(raw) = args.get("tenant").and_then(Value::as_str) else {
        return Ok(None);
    };
    let tenant = TenantId::parse(raw)?;
    if !caller.tenants.covers(&tenant) {
        return Err(OmegaError::new(
            ErrorCode::TENANT_FORBIDDEN,
            format!("caller `{}` may not act for tenant `{tenant}`", caller.id),
        )
        .with_field("tenant"));
    }
    if !tool.serves(&tenant) {
        return Err(OmegaError::new(
            ErrorCode::TENANT_FORBIDDEN,
            format!("server `{}` does not serve tenant `{tenant}`", tool.server),
        )
        .with_field("tenant"));
    }
    Ok(Some(tenant))
}

impl ServerHandler for Gateway {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new(ROLE, env!("CARGO_PKG_VERSION"));
        info.instructions = Some(INSTRUCTIONS.to_owned());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = caller_of(&ctx)?;
        let tools = self
            .state
            .catalog
            .snapshot()
            .tools
            .values()
            .filter(|t| self.may_use(&caller, t))
            .map(|t| t.tool.clone())
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller_of(&ctx)?;
        let name = request.name.as_ref();
        let Some(tool) = self.tool_for(&caller, name) else {
            return Err(ErrorData::new(
                McpCode::INVALID_PARAMS,
                format!("unknown tool `{name}`"),
                Some(json!({
                    "name": "invalid_params",
                    "hint": "call tools/list to see the tools this gateway offers you",
                })),
            ));
        };
        let args = request.arguments.unwrap_or_default();
        let tenant = match tenant_of(&caller, &tool, &args) {
            Ok(t) => t,
            Err(e) => return Ok(error_result(&e).into()),
        };
        let now = Instant::now();
        let meta = &ctx.meta.0;
        let mut call = UpstreamCall::new(tool.upstream_name.clone(), args);
        call.tenant = tenant;
        call.trace = TraceContext::from_meta(meta);
        call.deadline = deadline_from_meta(meta, now);
        call.idempotent = tool.idempotent;
        let what = format!("tool `{}`", tool.name);
        match self.state.call_upstream(&what, &tool.urls, call).await {
            Ok(raw) => match serde_json::from_value::<CallToolResult>(raw) {
                Ok(result) => Ok(result.into()),
                Err(e) => Ok(error_result(&OmegaError::new(
                    ErrorCode::UPSTREAM_FAILED,
                    format!("{what} answered with a result that is not MCP: {e}"),
                ))
                .into()),
            },
            Err(e) => {
                tracing::debug!(tool = %tool.name, code = e.error.code.0, "gateway call failed");
                Ok(error_result(&e.error).into())
            }
        }
    }
}
