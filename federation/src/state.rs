//! The federation's shared state and its three operations: route a call,
//! call a Titan, list what is reachable.

use std::sync::Arc;
use std::time::Duration;

use omega_client::{ClientError, Connection, McpClient, McpVersion};
use omega_protocol::{
    ErrorCode, OmegaError, Reachable, ReachableAgent, ReachableTool, RouteRequest,
    TitanCallRequest, TitanCallResult,
};
use omega_stack::{Caller, TenantPolicy};
use serde_json::{Value, json};
use tokio::time::Instant;
use tower::retry::RetryLayer;
use tower::{ServiceBuilder, ServiceExt};

use crate::catalog::{CatalogHandle, GatewayTool};
use crate::discovery::{AgentDirectory, AgentQuery};
use crate::layers::{DeadlineLayer, InFlight, RetryPolicy, ShedLayer};
use crate::upstream::{PoolConfig, UpstreamPool, tool_error};
use crate::{CallError, FailureKind, FederationConfig, TitanRouter, UpstreamCall};

/// Everything the JSON-RPC API and the MCP gateway share.
pub struct FederationState {
    pub(crate) config: FederationConfig,
    pub(crate) policy: TenantPolicy,
    pub(crate) agents: AgentDirectory,
    pub(crate) catalog: Arc<CatalogHandle>,
    pub(crate) pool: UpstreamPool,
    pub(crate) titans: Option<Arc<dyn TitanRouter>>,
    shed: InFlight,
    retry: RetryPolicy,
}

impl std::fmt::Debug for FederationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederationState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

async fn connect(
    connection: &Connection,
    url: &str,
    what: &str,
) -> Result<Arc<McpClient>, OmegaError> {
    McpClient::over(connection, url, McpVersion::V2026_07_28)
        .await
        .map(Arc::new)
        .map_err(|e: ClientError| {
            OmegaError::invalid_params(format!("the {what} URL `{url}` is not usable: {e}"))
                .with_field(what)
        })
}

impl FederationState {
    /// State for `config`, calling other services over `connection`
    /// (credentials, mTLS, the shared HTTP pool), serving the tenants of
    /// `policy`, with Titans
    /// reached through `titans` (none: `federation.callTitan` answers
    /// `no_live_agent`). Makes no network call; the gateway catalog starts
    /// empty until [`FederationState::refresh_catalog`] or the refresher runs.
    pub async fn new(
        config: FederationConfig,
        connection: Connection,
        policy: TenantPolicy,
        titans: Option<Arc<dyn TitanRouter>>,
    ) -> Result<Arc<Self>, OmegaError> {
        let agent_registry =
            connect(&connection, &config.agent_registry_url, "agentRegistryUrl").await?;
        let mcp_registry = connect(&connection, &config.mcp_registry_url, "mcpRegistryUrl").await?;
        let pool = UpstreamPool::new(
            PoolConfig {
                breaker: config.breaker,
                attempt_timeout: config.attempt_timeout,
                max_in_flight: config.max_in_flight_per_upstream,
            },
            connection.clone(),
        );
        Ok(Arc::new(Self {
            agents: AgentDirectory::new(agent_registry, config.discovery_ttl),
            catalog: Arc::new(CatalogHandle::new(
                mcp_registry,
                connection,
                config.attempt_timeout,
            )),
            shed: InFlight::new("the federation", config.max_in_flight),
            retry: RetryPolicy::new(config.retry),
            pool,
            titans,
            policy,
            config,
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &FederationConfig {
        &self.config
    }

    /// The upstream pool (circuits and in-flight counts per upstream URL).
    pub fn pool(&self) -> &UpstreamPool {
        &self.pool
    }

    /// Re-reads the MCP registry and every upstream's tools now; returns
    /// the number of gateway tools.
    pub async fn refresh_catalog(&self) -> Result<usize, OmegaError> {
        self.catalog.refresh().await
    }

    /// Runs `call` through the resilience stack across the replicas `urls`:
    /// shed ─ deadline ─ retry ─ balance ─ (breaker ─ attempt deadline ─ shed ─ MCP).
    pub async fn call_upstream(
        &self,
        what: &str,
        urls: &[String],
        call: UpstreamCall,
    ) -> Result<Value, CallError> {
        let balance = self.pool.balance(what, urls);
        let stack = ServiceBuilder::new()
            .layer(ShedLayer::new(self.shed.clone()))
            .layer(DeadlineLayer::new(
                self.config.default_deadline,
                self.config.max_deadline,
            ))
            .layer(RetryLayer::new(self.retry.clone()))
            .service(balance);
        let result = stack.oneshot(call).await;
        if let Err(e) = &result
            && matches!(e.kind, FailureKind::Failed | FailureKind::Deadline)
        {
            self.catalog.refresh_soon();
        }
        result
    }

    /// Checks that `caller` may act for `tenant` on this deployment.
    fn tenant_check(
        &self,
        caller: &Caller,
        tenant: &omega_protocol::TenantId,
    ) -> Result<(), OmegaError> {
        self.policy.resolve(caller, Some(&json!(tenant))).map(drop)
    }

    /// `federation.route`: finds a live agent by skill or capability (or
    /// the server offering the tool `method`), calls `method` there over
    /// MCP, and returns the tool's structured result.
    pub async fn route(
        &self,
        caller: &Caller,
        req: RouteRequest,
        header_deadline: Option<Instant>,
    ) -> Result<Value, OmegaError> {
        req.validate()?;
        self.tenant_check(caller, &req.tenant)?;
        let now = Instant::now();
        let deadline = match (
            req.deadline_ms.map(|ms| now + Duration::from_millis(ms)),
            header_deadline,
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let arguments = match req.arguments {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        // The call is checked for `tenant`; the arguments must not name
        // another one (the upstream scopes its data by the argument).
        if let Some(named) = arguments.get("tenant")
            && named.as_str() != Some(req.tenant.as_str())
        {
            return Err(OmegaError::new(
                ErrorCode::TENANT_FORBIDDEN,
                format!(
                    "the call is for tenant `{}` but its arguments name tenant {named}",
                    req.tenant
                ),
            )
            .with_field("arguments.tenant")
            .with_hint("omit arguments.tenant or set it to the call's tenant"));
        }
        let (what, urls, tool, idempotent) = if req.skill.is_some() || req.capability.is_some() {
            let query = AgentQuery {
                skill: req.skill.clone(),
                capability: req.capability.clone(),
                tenant: Some(req.tenant.clone()),
            };
            let what = match (&req.skill, &req.capability) {
                (Some(s), Some(c)) => format!("skill `{s}` with capability `{c}`"),
                (Some(s), None) => format!("skill `{s}`"),
                (None, c) => format!("capability `{}`", c.as_deref().unwrap_or_default()),
            };
            let agents = self.agents.discover(&query).await?;
            let urls: Vec<String> = agents
                .iter()
                .filter_map(|a| a.mcp_url().map(str::to_owned))
                .collect();
            if urls.is_empty() {
                let hint = if agents.is_empty() {
                    "no live agent is registered for it; check the agent registry (agent_list) and the agents' heartbeats"
                } else {
                    "live agents offer it but none has an MCP interface (protocolBinding \"MCP\")"
                };
                return Err(OmegaError::new(
                    ErrorCode::NO_LIVE_AGENT,
                    format!("no live agent offers {what} for tenant `{}`", req.tenant),
                )
                .with_hint(hint)
                .with_extra(json!({"skill": req.skill, "capability": req.capability})));
            }
            (what, urls, req.method.clone(), false)
        } else {
            let tool = self.find_tool(&req.method)?;
            if !tool.serves(&req.tenant) {
                return Err(OmegaError::new(
                    ErrorCode::TENANT_FORBIDDEN,
                    format!(
                        "server `{}` does not serve tenant `{}`",
                        tool.server, req.tenant
                    ),
                )
                .with_field("tenant"));
            }
            (
                format!("tool `{}`", tool.name),
                tool.urls.to_vec(),
                tool.upstream_name.clone(),
                tool.idempotent,
            )
        };
        let mut call = UpstreamCall::new(tool, arguments);
        call.tenant = Some(req.tenant);
        call.trace = req.trace;
        call.deadline = deadline;
        call.idempotent = idempotent;
        let raw = self
            .call_upstream(&what, &urls, call)
            .await
            .map_err(|e| e.error)?;
        if let Some(err) = tool_error(&raw) {
            return Err(err);
        }
        Ok(raw.get("structuredContent").cloned().unwrap_or(raw))
    }

    /// A gateway tool by gateway name, or by upstream name when exactly one
    /// server offers it.
    pub(crate) fn find_tool(&self, method: &str) -> Result<Arc<GatewayTool>, OmegaError> {
        let catalog = self.catalog.snapshot();
        if let Some(t) = catalog.tools.get(method) {
            return Ok(t.clone());
        }
        let matches: Vec<&Arc<GatewayTool>> = catalog
            .tools
            .values()
            .filter(|t| t.upstream_name == method)
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(OmegaError::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("no reachable MCP server offers a tool `{method}`"),
            )
            .with_field("method")
            .with_hint("give skill or capability to route to an agent, or call federation.reachable for the tools")),
            many => Err(OmegaError::invalid_params(format!(
                "{} servers offer a tool `{method}`",
                many.len()
            ))
            .with_field("method")
            .with_hint(format!(
                "use the gateway name: {}",
                many.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// `federation.callTitan`: the named Titan, or the router's choice.
    pub async fn call_titan(
        &self,
        caller: &Caller,
        req: TitanCallRequest,
        header_deadline: Option<Instant>,
    ) -> Result<TitanCallResult, OmegaError> {
        req.validate()?;
        self.tenant_check(caller, &req.tenant)?;
        let Some(titans) = &self.titans else {
            return Err(OmegaError::new(
                ErrorCode::NO_LIVE_AGENT,
                "no Titan is configured on this federation",
            )
            .with_hint("configure Titans (or the orchestrator) for the federation role"));
        };
        let now = Instant::now();
        let deadline = header_deadline
            .unwrap_or(now + self.config.default_deadline)
            .min(now + self.config.max_deadline);
        let _slot = self.shed.try_acquire().map_err(|e| e.error)?;
        match tokio::time::timeout_at(deadline, titans.call(req.titan.as_deref(), &req)).await {
            Ok(result) => result,
            Err(_) => Err(CallError::deadline("the Titan call").error),
        }
    }

    /// `federation.reachable`: live agents, Titans and gateway tools for
    /// `tenant`, as `caller` may see them.
    pub async fn reachable(
        &self,
        caller: &Caller,
        tenant: &omega_protocol::TenantId,
        visible: impl Fn(&GatewayTool) -> bool,
    ) -> Result<Reachable, OmegaError> {
        self.tenant_check(caller, tenant)?;
        let agents = self
            .agents
            .live(Some(tenant))
            .await?
            .into_iter()
            .filter_map(|a| {
                let omega = a.card.omega_fields()?;
                Some(ReachableAgent {
                    url: a
                        .mcp_url()
                        .or(a.card.supported_interfaces.first().map(|i| i.url.as_str()))
                        .unwrap_or_default()
                        .to_owned(),
                    skills: a.card.skills.iter().map(|s| s.id.clone()).collect(),
                    name: a.card.name,
                    role: omega.role,
                    tier: omega.tier,
                })
            })
            .collect();
        let tools = self
            .catalog
            .snapshot()
            .tools
            .values()
            .filter(|t| t.serves(tenant) && visible(t))
            .map(|t| ReachableTool {
                server: t.server.clone(),
                name: t.name.clone(),
                description: t.tool.description.as_ref().map(|d| d.to_string()),
            })
            .collect();
        Ok(Reachable {
            agents,
            titans: self
                .titans
                .as_ref()
                .map(|t| t.reachable())
                .unwrap_or_default(),
            tools,
        })
    }
}
