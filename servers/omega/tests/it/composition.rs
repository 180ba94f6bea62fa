//! One composition: every role of `omega up` built and served the same
//! way, agents registered, Titan calls through the orchestrator role, and
//! triage deciding through it.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::Duration;

use omega::role::{RoleId, Scaling, TeamId, TitanId};
use omega::up::{Ports, Process, start};
use omega_client::{AgentRegistryClient, McpClient, OrchestratorClient};
use omega_config::OmegaConfig;
use omega_protocol::{DeciderKind, TenantId};
use serde_json::{Value, json};

use crate::harness::get_json;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn up(config: &OmegaConfig, dir: &std::path::Path, roles: &[RoleId]) -> Process {
    tokio::time::timeout(
        Duration::from_secs(60),
        start(
            config,
            dir,
            LOCALHOST,
            Ports::Base(0),
            roles,
            Scaling::InProcess,
        ),
    )
    .await
    .expect("roles start within 60 s")
    .expect("roles start")
}

async fn rpc(url: &str, body: Value) -> Value {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let req = http::Request::post(url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

#[tokio::test]
async fn omega_up_serves_every_role_registers_agents_and_triages_through_the_orchestrator() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = OmegaConfig::default();
    omega::demo::prepare(&mut config);
    let roles = omega::up::up_roles(&config);
    let running = up(&config, dir.path(), &roles).await;

    // Every role the seed names, with the Titans and teams as agents.
    for role in [
        "context",
        "agent-registry",
        "mcp-registry",
        "federation",
        "orchestrator",
        "titan-local",
        "capacity-manager",
        "ingest",
        "dashboard",
        "team-triage",
        "team-classification",
        "team-shadow",
        "team-analytics",
    ] {
        let url = running
            .endpoints
            .get(role)
            .unwrap_or_else(|| panic!("{role} missing: {:?}", running.endpoints));
        let base = &url[..url.rfind('/').unwrap()];
        let (status, ready) = get_json(&format!("{base}/readyz")).await;
        assert_eq!(status, 200, "{role}: {ready}");
    }
    for agent in [
        "titan-local",
        "orchestrator",
        "team-triage",
        "team-classification",
        "team-shadow",
        "team-analytics",
    ] {
        let card_url = &running.endpoints[&format!("{agent}/agent-card")];
        let (status, card) = get_json(card_url).await;
        assert_eq!(status, 200, "{agent}: {card}");
        assert_eq!(card["supportedInterfaces"][0]["protocolBinding"], "JSONRPC");
    }

    // The agent registry lists the Titans and the teams.
    let registry = AgentRegistryClient::new(
        McpClient::connect(running.url(RoleId::AgentRegistry))
            .await
            .unwrap(),
    );
    let titans = registry.discover_skill("answer").await.unwrap();
    assert!(
        titans.iter().any(|a| a["card"]["name"] == "local Titan"),
        "{titans:?}"
    );
    for team in TeamId::ALL {
        let found = registry.discover_skill(team.name()).await.unwrap();
        assert_eq!(found.len(), 1, "{}: {found:?}", team.name());
    }

    // federation.route by skill reaches a team; callTitan goes through the
    // orchestrator role to the local Titan's role.
    let rpc_url = format!("{}/rpc", running.base(RoleId::Federation));
    let routed = rpc(
        &rpc_url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "federation.route",
               "params": {"tenant": "acme", "skill": "triage", "method": "team_status", "arguments": {}}}),
    )
    .await;
    assert_eq!(routed["result"]["team"], "triage", "{routed}");
    assert_eq!(routed["result"]["queue"], "ticket-triage", "{routed}");
    let called = rpc(
        &rpc_url,
        json!({"jsonrpc": "2.0", "id": 2, "method": "federation.callTitan",
               "params": {"tenant": "acme", "messages": [{"role": "user", "content": "laptop screen cracked, need a replacement monitor"}]}}),
    )
    .await;
    assert_eq!(called["result"]["titan"], "local", "{called}");

    // A ticket from every platform is triaged, and each result names the
    // Titan that decided it (the local one, through the orchestrator).
    let pipeline = running.pipeline().expect("the pipeline runs");
    let mut out = Vec::new();
    let tickets = omega_pipeline::run_demo(
        running.base(RoleId::Ingest),
        pipeline,
        &TenantId::parse(omega_pipeline::DEMO_TENANT).unwrap(),
        Duration::from_secs(60),
        &mut out,
    )
    .await
    .unwrap();
    assert!(!tickets.is_empty());
    for t in &tickets {
        let result = t
            .result
            .as_ref()
            .unwrap_or_else(|| panic!("{} was not triaged", t.ticket_id));
        // The classification team's decisions name its own decider.
        if result.decided_by.name != omega_pipeline::CLASSIFY_DECIDER {
            assert_eq!(result.decided_by.name, "local", "{result:?}");
            assert_eq!(result.decided_by.kind, DeciderKind::LocalModel);
            assert!(
                result.rationale.contains("Titan local"),
                "{}",
                result.rationale
            );
        }
    }
    tokio::time::timeout(Duration::from_secs(30), running.stop())
        .await
        .expect("stops within 30 s")
        .unwrap();
}

#[tokio::test]
async fn a_role_without_a_peer_it_needs_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let config = OmegaConfig::default();
    for (role, setting) in [
        (RoleId::Federation, "peers.agentRegistry"),
        (RoleId::Orchestrator, "peers.titans.local"),
        (RoleId::Team(TeamId::Triage), "peers.context"),
        (RoleId::Titan(TitanId::Local), "peers.agentRegistry"),
    ] {
        let err = start(
            &config,
            dir.path(),
            LOCALHOST,
            Ports::Single(0),
            &[role],
            Scaling::External,
        )
        .await
        .expect_err("a role without its peers does not start");
        assert!(format!("{err:#}").contains(setting), "{role}: {err:#}");
    }
}

#[tokio::test]
async fn a_hosted_titan_without_its_key_names_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        OmegaConfig::from_toml("[titans.claude]\napiKeySecret = \"OMEGA_TEST_NO_SUCH_KEY\"\n")
            .unwrap();
    let err = start(
        &config,
        dir.path(),
        LOCALHOST,
        Ports::Single(0),
        &[RoleId::Titan(TitanId::Claude)],
        Scaling::External,
    )
    .await
    .expect_err("no key, no Titan");
    assert!(
        format!("{err:#}").contains("OMEGA_TEST_NO_SUCH_KEY"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_role_in_another_process_registers_and_deregisters_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let registries = up(
        &OmegaConfig::default(),
        dir.path(),
        &[RoleId::Context, RoleId::AgentRegistry, RoleId::McpRegistry],
    )
    .await;
    let other = tempfile::tempdir().unwrap();
    let config = OmegaConfig::from_toml(&format!(
        "[peers]\nagentRegistry = \"{}\"\n",
        registries.base(RoleId::AgentRegistry)
    ))
    .unwrap();
    let titan = start(
        &config,
        other.path(),
        LOCALHOST,
        Ports::Single(0),
        &[RoleId::Titan(TitanId::Local)],
        Scaling::External,
    )
    .await
    .unwrap();
    let registry = AgentRegistryClient::new(
        McpClient::connect(registries.url(RoleId::AgentRegistry))
            .await
            .unwrap(),
    );
    assert_eq!(registry.discover_skill("answer").await.unwrap().len(), 1);
    titan.stop().await.unwrap();
    assert!(registry.discover_skill("answer").await.unwrap().is_empty());
    registries.stop().await.unwrap();
}

/// A loopback OpenAI Chat Completions server: answers a streamed
/// classification, or fails the way a provider does (`MODE_*`).
struct FakeOpenAi {
    mode: Arc<AtomicU8>,
    calls: Arc<AtomicU32>,
    base: String,
}

const MODE_OK: u8 = 0;
const MODE_MID_STREAM: u8 = 1;
const MODE_RATE_LIMITED: u8 = 2;
const MODE_SERVER_ERROR: u8 = 3;
const MODE_MALFORMED: u8 = 4;

impl FakeOpenAi {
    async fn start() -> Self {
        use axum::http::StatusCode;
        use axum::response::IntoResponse;
        let mode = Arc::new(AtomicU8::new(MODE_OK));
        let calls = Arc::new(AtomicU32::new(0));
        let (m, c) = (mode.clone(), calls.clone());
        let app = axum::Router::new().route(
            "/v1/chat/completions",
            axum::routing::post(move |body: axum::Json<Value>| {
                let (m, c) = (m.clone(), c.clone());
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(body["stream"], true, "the Titan role streams");
                    let chunk = |content: &str| {
                        format!(
                            "data: {}\n\n",
                            json!({"model": "gpt-test", "choices": [{"delta": {"content": content}, "finish_reason": null}]})
                        )
                    };
                    let sse = |text: String| {
                        ([("content-type", "text/event-stream")], text).into_response()
                    };
                    match m.load(Ordering::SeqCst) {
                        MODE_OK => sse(format!(
                            "{}{}data: {}\n\ndata: [DONE]\n\n",
                            chunk("{\"category\": \"Hardware\", "),
                            chunk("\"confidence\": 0.93}"),
                            json!({"model": "gpt-test", "choices": [{"delta": {}, "finish_reason": "stop"}],
                                   "usage": {"prompt_tokens": 40, "completion_tokens": 12}})
                        )),
                        MODE_MID_STREAM => sse(format!(
                            "{}data: {}\n\n",
                            chunk("{\"category\": "),
                            json!({"error": {"message": "upstream crashed", "type": "server_error"}})
                        )),
                        MODE_RATE_LIMITED => (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "7"), ("content-type", "application/json")],
                            json!({"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}).to_string(),
                        )
                            .into_response(),
                        MODE_SERVER_ERROR => (
                            StatusCode::BAD_GATEWAY,
                            json!({"error": {"message": "bad gateway"}}).to_string(),
                        )
                            .into_response(),
                        _ => sse("data: {not json\n\n".into()),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { mode, calls, base }
    }
}

#[tokio::test]
async fn a_configured_hosted_titan_decides_and_falls_back_to_local_on_an_outage() {
    let fake = FakeOpenAi::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The key is read from the environment variable the section names;
    // PATH is always set, and the fake ignores the key.
    let config = OmegaConfig::from_toml(&format!(
        "[titans.gpt]\nbaseUrl = \"{}\"\nmodel = \"gpt-test\"\napiKeySecret = \"PATH\"\n",
        fake.base
    ))
    .unwrap();
    assert!(omega::up::up_roles(&config).contains(&RoleId::Titan(TitanId::Gpt)));
    let running = up(
        &config,
        dir.path(),
        &[
            RoleId::Context,
            RoleId::AgentRegistry,
            RoleId::McpRegistry,
            RoleId::Titan(TitanId::Local),
            RoleId::Titan(TitanId::Gpt),
            RoleId::Orchestrator,
        ],
    )
    .await;
    let orchestrator = OrchestratorClient::new(
        McpClient::connect(running.url(RoleId::Orchestrator))
            .await
            .unwrap(),
    );
    let text = "keyboard and monitor broken, need replacement";

    let ok = orchestrator.classify(&acme(), text).await.unwrap();
    assert_eq!(ok.decided_by.name, "gpt", "{ok:?}");
    assert_eq!(ok.decided_by.kind, DeciderKind::Titan);
    assert_eq!(ok.label.as_deref(), Some("Hardware"));
    assert_eq!(ok.strategy, "fallback");

    for (mode, kind) in [
        (MODE_MID_STREAM, "server"),
        (MODE_SERVER_ERROR, "server"),
        (MODE_MALFORMED, "malformed"),
        (MODE_RATE_LIMITED, "rate_limited"),
    ] {
        fake.mode.store(mode, Ordering::SeqCst);
        let before = fake.calls.load(Ordering::SeqCst);
        let fell_back = orchestrator.classify(&acme(), text).await.unwrap();
        assert!(fake.calls.load(Ordering::SeqCst) > before, "gpt was asked");
        assert_eq!(
            fell_back.decided_by.name, "local",
            "mode {mode}: {fell_back:?}"
        );
        let failed = &fell_back.attempts[0];
        assert_eq!(failed.titan, "gpt");
        let error = failed.error.as_ref().expect("the failure is recorded");
        let extra = error.data.extra.clone().unwrap_or_default();
        assert_eq!(extra["kind"], kind, "mode {mode}: {error:?}");
        if mode == MODE_RATE_LIMITED {
            assert_eq!(
                extra["retryAfterMs"], 7000,
                "retry-after is kept: {error:?}"
            );
        }
    }
    // The 429 asked for 7 s: until then gpt is not called, and local answers.
    fake.mode.store(MODE_OK, Ordering::SeqCst);
    let before = fake.calls.load(Ordering::SeqCst);
    let cooling = orchestrator.classify(&acme(), text).await.unwrap();
    assert_eq!(
        fake.calls.load(Ordering::SeqCst),
        before,
        "retry-after honoured"
    );
    assert_eq!(cooling.decided_by.name, "local");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_agent_that_stops_heartbeating_is_routed_around() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = OmegaConfig::default();
    config.agent_registry.heartbeat_expiry_secs = 1;
    let running = up(
        &config,
        dir.path(),
        &[
            RoleId::Context,
            RoleId::AgentRegistry,
            RoleId::McpRegistry,
            RoleId::Titan(TitanId::Local),
            RoleId::Orchestrator,
            RoleId::Federation,
        ],
    )
    .await;
    let registry = AgentRegistryClient::new(
        McpClient::connect(running.url(RoleId::AgentRegistry))
            .await
            .unwrap(),
    );
    // A dead agent: registered once at a closed port, never heart-beating.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/mcp", dead.local_addr().unwrap());
    drop(dead);
    let mut card = crate::agent_registry::card_json("Dead twin", "answer");
    card["supportedInterfaces"] =
        json!([{"url": dead_url, "protocolBinding": "MCP", "protocolVersion": "1.0"}]);
    card["omega"]["tenants"] = json!("all");
    registry
        .register(&serde_json::from_value(card).unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let rpc_url = format!("{}/rpc", running.base(RoleId::Federation));
    for id in 0..5 {
        let routed = rpc(
            &rpc_url,
            json!({"jsonrpc": "2.0", "id": id, "method": "federation.route",
                   "params": {"tenant": "acme", "skill": "answer", "method": "titan_info", "arguments": {}}}),
        )
        .await;
        assert_eq!(routed["result"]["name"], "local", "{routed}");
    }
    running.stop().await.unwrap();
}

#[tokio::test]
async fn route_refuses_arguments_naming_another_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let running = up(
        &OmegaConfig::default(),
        dir.path(),
        &[
            RoleId::Context,
            RoleId::AgentRegistry,
            RoleId::McpRegistry,
            RoleId::Titan(TitanId::Local),
            RoleId::Orchestrator,
            RoleId::Federation,
        ],
    )
    .await;
    let ctx = omega_client::ContextClient::new(
        McpClient::connect(running.url(RoleId::Context))
            .await
            .unwrap(),
        acme(),
    );
    ctx.session_put("secret-session", &json!({"acme": "only"}), None)
        .await
        .unwrap();
    let rpc_url = format!("{}/rpc", running.base(RoleId::Federation));
    let call = |tenant: &str, arg_tenant: &str| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "federation.route",
               "params": {"tenant": tenant, "method": "context__session_get",
                          "arguments": {"tenant": arg_tenant, "sessionId": "secret-session"}}})
    };
    let refused = rpc(&rpc_url, call("globex", "acme")).await;
    assert_eq!(
        refused["error"]["code"],
        omega_protocol::ErrorCode::TENANT_FORBIDDEN.0,
        "{refused}"
    );
    assert!(!refused.to_string().contains("only"), "{refused}");
    let allowed = rpc(&rpc_url, call("acme", "acme")).await;
    assert_eq!(allowed["result"]["value"]["acme"], "only", "{allowed}");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn rpc_refuses_a_foreign_host_header() {
    use http_body_util::BodyExt;
    let dir = tempfile::tempdir().unwrap();
    let running = up(
        &OmegaConfig::default(),
        dir.path(),
        &[
            RoleId::Context,
            RoleId::AgentRegistry,
            RoleId::McpRegistry,
            RoleId::Titan(TitanId::Local),
            RoleId::Orchestrator,
            RoleId::Federation,
        ],
    )
    .await;
    let url = format!("{}/rpc", running.base(RoleId::Federation));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "federation.reachable", "params": {"tenant": "acme"}});
    let send = |host: &'static str| {
        let req = http::Request::post(&url)
            .header("content-type", "application/json")
            .header("host", host)
            .body(http_body_util::Full::new(bytes::Bytes::from(
                body.to_string(),
            )))
            .unwrap();
        client.request(req)
    };
    let refused = send("attacker.example").await.unwrap();
    assert_eq!(refused.status(), 403);
    let text = refused.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(
        v["error"]["code"],
        omega_protocol::ErrorCode::FORBIDDEN.0,
        "{v}"
    );
    let allowed = send("localhost").await.unwrap();
    assert_eq!(allowed.status(), 200);
    running.stop().await.unwrap();
}
