//! A world of registries, test agents and a federation on loopback.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::response::Response;
use futures::future::BoxFuture;
use omega::role::RoleId as Role;
use omega::up::{Process, start};
use omega_client::{AgentRegistryClient, Connection, McpClient, McpRegistryClient, McpVersion};
use omega_config::OmegaConfig;
use omega_federation::layers::BreakerConfig;
use omega_federation::{FederationConfig, FederationState, TitanRouter};
use omega_protocol::{
    AgentCard, ChatMessage, ChatRole, ErrorCode, FinishReason, McpServerRecord, OmegaError,
    ReachableTitan, TenantId, TitanCallRequest, TitanCallResult, Usage,
};
use omega_stack::{
    Authenticator, Authorizer, Caller, CallerKind, McpOptions, TenantGrant, TenantPolicy, ToolSet,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// What a test agent does, switchable at run time.
#[derive(Debug, Default)]
pub struct Ctl {
    pub name: String,
    pub hang: AtomicBool,
    pub calls: AtomicUsize,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EchoIn {
    /// Text to echo.
    pub text: String,
}

#[derive(Serialize, JsonSchema)]
pub struct EchoOut {
    /// The text.
    pub text: String,
    /// The agent that answered.
    pub from: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nothing {}

#[derive(Serialize, JsonSchema)]
pub struct Who {
    /// The agent that answered.
    pub from: String,
}

/// An MCP server on the OMEGA stack with `echo` (read-only), `whoami` and `fail`.
pub struct TestAgent {
    pub url: String,
    pub ctl: Arc<Ctl>,
    cancel: CancellationToken,
}

impl TestAgent {
    pub async fn start(name: &str) -> Self {
        let ctl = Arc::new(Ctl {
            name: name.into(),
            ..Ctl::default()
        });
        let tools = ToolSet::new(ctl.clone(), TenantPolicy::new([]))
            .tool(
                "echo",
                "Echo text back.",
                true,
                |ctl: Arc<Ctl>, _call, input: EchoIn| async move {
                    ctl.calls.fetch_add(1, Ordering::SeqCst);
                    if ctl.hang.load(Ordering::SeqCst) {
                        futures::future::pending::<()>().await;
                    }
                    Ok(EchoOut {
                        text: input.text,
                        from: ctl.name.clone(),
                    })
                },
            )
            .tool(
                "whoami",
                "Say who answers.",
                false,
                |ctl: Arc<Ctl>, _call, _: Nothing| async move {
                    ctl.calls.fetch_add(1, Ordering::SeqCst);
                    if ctl.hang.load(Ordering::SeqCst) {
                        futures::future::pending::<()>().await;
                    }
                    Ok(Who {
                        from: ctl.name.clone(),
                    })
                },
            )
            .tool(
                "fail",
                "Always fails with not_found.",
                false,
                |_ctl: Arc<Ctl>, _call, _: Nothing| async move {
                    Err::<Who, _>(OmegaError::not_found("nothing here"))
                },
            );
        let cancel = CancellationToken::new();
        let bound = omega_stack::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .unwrap();
        let url = format!("http://{}/mcp", bound.addr);
        let router = omega_stack::RoleApp::new("test-agent")
            .with_tools("test agent", tools, &McpOptions::default(), cancel.clone())
            .into_router();
        tokio::spawn(omega_stack::serve(
            bound.listener,
            router,
            cancel.clone(),
            Duration::from_millis(50),
        ));
        Self { url, ctl, cancel }
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }

    pub fn calls(&self) -> usize {
        self.ctl.calls.load(Ordering::SeqCst)
    }

    pub fn card(&self, skill: &str) -> AgentCard {
        serde_json::from_value(json!({
            "name": self.ctl.name,
            "description": "A test agent",
            "version": "1.0.0",
            "supportedInterfaces": [{"url": self.url, "protocolBinding": "MCP", "protocolVersion": "1.0"}],
            "capabilities": {},
            "defaultInputModes": ["application/json"],
            "defaultOutputModes": ["application/json"],
            "skills": [{"id": skill, "name": skill, "description": "test skill", "tags": []}],
            "omega": {"role": "triage", "tier": "dynamic", "tenants": "all"},
        }))
        .unwrap()
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Bearer `tenant:<id>` makes a caller limited to that tenant, with id
/// `<id>-user`; no token is the anonymous caller.
pub struct TestAuth;

impl Authenticator for TestAuth {
    fn authenticate(&self, request: &http::request::Parts) -> Result<Caller, Box<Response>> {
        let token = request
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer tenant:"));
        Ok(match token {
            Some(t) => Caller {
                id: format!("{t}-user"),
                kind: CallerKind::Employee,
                tenants: TenantGrant::Only(vec![TenantId::parse(t).unwrap()]),
            },
            None => Caller::anonymous(),
        })
    }
}

/// Tenant users may not use `*__whoami` nor `federation.callTitan`.
pub struct TestAuthz;

impl Authorizer for TestAuthz {
    fn may_call(&self, caller: &Caller, _role: &str, tool: &str) -> bool {
        caller.kind == CallerKind::Anonymous
            || !(tool.ends_with("__whoami") || tool == "federation.callTitan")
    }
}

/// One Titan named `local`; any other name is not found.
pub struct FakeTitans;

impl TitanRouter for FakeTitans {
    fn call<'a>(
        &'a self,
        titan: Option<&'a str>,
        request: &'a TitanCallRequest,
    ) -> BoxFuture<'a, Result<TitanCallResult, OmegaError>> {
        Box::pin(async move {
            let name = titan.unwrap_or("local");
            if name != "local" {
                return Err(OmegaError::new(
                    ErrorCode::NOT_FOUND,
                    format!("no Titan `{name}`"),
                ));
            }
            Ok(TitanCallResult {
                titan: name.into(),
                model: "echo-1".into(),
                message: ChatMessage::text(
                    ChatRole::Assistant,
                    request
                        .messages
                        .last()
                        .map(|m| m.content.clone())
                        .unwrap_or_default(),
                ),
                finish_reason: FinishReason::Stop,
                usage: Usage::default(),
            })
        })
    }

    fn reachable(&self) -> Vec<ReachableTitan> {
        vec![ReachableTitan {
            name: "local".into(),
            models: vec!["echo-1".into()],
            local: true,
        }]
    }
}

pub struct World {
    pub running: Process,
    _dir: tempfile::TempDir,
    /// `http://127.0.0.1:port` of the federation.
    pub base: String,
    pub state: Arc<FederationState>,
    cancel: CancellationToken,
}

pub fn test_config(running: &Process) -> FederationConfig {
    FederationConfig {
        agent_registry_url: running.url(Role::AgentRegistry).to_owned(),
        mcp_registry_url: running.url(Role::McpRegistry).to_owned(),
        discovery_ttl: Duration::ZERO,
        catalog_refresh: Duration::from_secs(60),
        default_deadline: Duration::from_secs(3),
        attempt_timeout: Duration::from_millis(300),
        breaker: BreakerConfig {
            failure_threshold: 2,
            cool_off: Duration::from_millis(600),
        },
        ..FederationConfig::default()
    }
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(|_| {}, true).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut FederationConfig), titans: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let running = start(
            &OmegaConfig::default(),
            dir.path(),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            omega::up::Ports::Base(0),
            &[Role::Context, Role::AgentRegistry, Role::McpRegistry],
            omega::role::Scaling::InProcess,
        )
        .await
        .unwrap();
        let mut config = test_config(&running);
        tweak(&mut config);
        let titans: Option<Arc<dyn TitanRouter>> = titans.then(|| Arc::new(FakeTitans) as _);
        let policy = TenantPolicy::new(["acme", "globex"].map(|t| TenantId::parse(t).unwrap()));
        let state = FederationState::new(config, Connection::default(), policy, titans)
            .await
            .unwrap();
        let cancel = CancellationToken::new();
        let options = McpOptions {
            authenticator: Arc::new(TestAuth),
            authorizer: Arc::new(TestAuthz),
            ..McpOptions::default()
        };
        let router = omega_federation::app(state.clone(), &options, cancel.clone()).into_router();
        let bound = omega_stack::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .unwrap();
        let base = format!("http://{}", bound.addr);
        tokio::spawn(omega_stack::serve(
            bound.listener,
            router,
            cancel.clone(),
            Duration::from_millis(50),
        ));
        omega_federation::spawn_refresher(&state, cancel.clone());
        Self {
            running,
            _dir: dir,
            base,
            state,
            cancel,
        }
    }

    pub async fn register(&self, agent: &TestAgent, skill: &str) -> String {
        let mcp = McpClient::connect(self.running.url(Role::AgentRegistry))
            .await
            .unwrap();
        AgentRegistryClient::new(mcp)
            .register(&agent.card(skill))
            .await
            .unwrap()
            .0
    }

    /// Publishes an MCP server `name` with one streamable-http remote per URL.
    pub async fn publish(&self, name: &str, urls: &[&str], tenants: Option<&[&str]>) {
        let mut record = json!({
            "name": name,
            "description": "test tools",
            "version": "1.0.0",
            "remotes": urls.iter().map(|u| json!({"type": "streamable-http", "url": u})).collect::<Vec<_>>(),
        });
        if let Some(t) = tenants {
            record["_meta"] = json!({
                "io.modelcontextprotocol.registry/publisher-provided": {"io.omega/tenants": t}
            });
        }
        let record: McpServerRecord = serde_json::from_value(record).unwrap();
        let mcp = McpClient::connect(self.running.url(Role::McpRegistry))
            .await
            .unwrap();
        McpRegistryClient::new(mcp).publish(&record).await.unwrap();
    }

    /// An MCP client of the gateway, as `tenant`'s user (None: anonymous).
    pub async fn gateway(&self, tenant: Option<&str>) -> McpClient {
        McpClient::connect_with(
            &format!("{}/mcp", self.base),
            McpVersion::V2026_07_28,
            Duration::from_secs(10),
            tenant.map(|t| format!("tenant:{t}")),
        )
        .await
        .unwrap()
    }

    /// POSTs `body` to `/rpc`; returns status and parsed body (Null when empty).
    pub async fn rpc_raw(&self, body: &str, bearer: Option<&str>) -> (u16, Value) {
        use http_body_util::BodyExt;
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<bytes::Bytes>>();
        let mut req = http::Request::post(format!("{}/rpc", self.base))
            .header("content-type", "application/json");
        if let Some(b) = bearer {
            req = req.header("authorization", format!("Bearer {b}"));
        }
        let resp = client
            .request(
                req.body(http_body_util::Full::new(bytes::Bytes::from(
                    body.to_owned(),
                )))
                .unwrap(),
            )
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Calls one method; returns the `result` or the `error` object.
    pub async fn rpc(&self, method: &str, params: Value) -> Result<Value, Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, out) = self.rpc_raw(&body.to_string(), None).await;
        match out.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(out["result"].clone()),
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.cancel.cancel();
        self.running.cancel.cancel();
    }
}
