//! The sections parse into the types the runtime crates use.

use std::time::Duration;

use omega_config::OmegaConfig;
use omega_config::dashboard::DashboardConfig;
use omega_config::federation::FederationConfig;
use omega_config::orchestrator::TaskStrategy;

use crate::crate_dir;

const FULL: &str = r#"
tenants = [{ id = "acme" }, { id = "globex" }]

[titans]
defaultTitan = "gpt"

[titans.gpt]
baseUrl = "https://api.openai.com/v1"
model = "gpt-4o-mini"
apiKeySecret = "OPENAI_API_KEY"
timeoutMs = 30000

[titans.gpt.prices.gpt-4o-mini]
inputPerMtokUsd = 0.15
outputPerMtokUsd = 0.6

[orchestrator.tasks.classification]
strategy = "fallback"
titans = ["gpt", "local"]
timeoutMs = 20000

[orchestrator.budgets.tenants.acme]
maxCostUsd = 25.0
windowSecs = 86400

[federation]
attemptTimeoutMs = 2500
catalogRefreshMs = 30000

[federation.breaker]
failureThreshold = 3

[dashboard]
secureCookie = true
categories = ["Access", "Hardware"]

[dashboard.sla]
p1Minutes = 60

[peers]
context = "http://context:7700"
agentRegistry = "http://agent-registry:7701/"
mcpRegistry = "http://mcp-registry:7702"
orchestrator = "http://orchestrator:7706"
federation = "https://federation.omega.internal"
ingest = "http://ingest:7704"

[peers.titans]
claude = "http://titan-claude:7711"
"#;

#[test]
fn a_full_config_parses_into_every_section() {
    let c = OmegaConfig::from_toml(FULL).unwrap();
    let gpt = c.titans.gpt.as_ref().unwrap();
    assert_eq!(gpt.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(gpt.api_key_secret.as_deref(), Some("OPENAI_API_KEY"));
    assert_eq!(gpt.timeout_ms, Some(30_000));
    assert_eq!(gpt.prices["gpt-4o-mini"].output_per_mtok_usd, 0.6);
    assert_eq!(c.titans.configured(), ["local", "gpt"]);
    assert_eq!(c.available_titans(), ["local", "gpt", "claude"]);

    let task = &c.orchestrator.tasks["classification"];
    assert!(
        matches!(task, TaskStrategy::Fallback { titans, timeout_ms: Some(20_000) } if titans == &["gpt", "local"])
    );
    assert_eq!(
        c.orchestrator.budgets.tenants["acme"].max_cost_usd,
        Some(25.0)
    );

    assert_eq!(c.federation.attempt_timeout, Duration::from_millis(2500));
    assert_eq!(c.federation.catalog_refresh, Duration::from_secs(30));
    assert_eq!(c.federation.breaker.failure_threshold, 3);
    assert_eq!(c.federation.retry.max_attempts, 3, "defaults fill the rest");

    assert!(c.dashboard.secure_cookie);
    assert_eq!(c.dashboard.sla.p1_minutes, 60);
    assert_eq!(c.dashboard.sla.p2_minutes, 480);

    assert_eq!(c.peers.context.as_deref(), Some("http://context:7700"));
    assert_eq!(c.peers.titans["claude"], "http://titan-claude:7711");
    assert_eq!(
        c.context_mcp_url().as_deref(),
        Some("http://context:7700/mcp")
    );

    // The runtime objects.
    let fed = FederationConfig::from_settings(
        &c.federation,
        omega_config::PeersConfig::mcp_endpoint(c.peers.agent_registry.as_deref().unwrap()),
        omega_config::PeersConfig::mcp_endpoint(c.peers.mcp_registry.as_deref().unwrap()),
    );
    assert_eq!(fed.agent_registry_url, "http://agent-registry:7701/mcp");
    assert_eq!(fed.attempt_timeout, Duration::from_millis(2500));
    assert_eq!(c.federation.to_runtime().settings(), c.federation);
    let dash = DashboardConfig::from_omega(&c);
    assert_eq!(dash.tenants.len(), 2);
    assert!(dash.secure_cookie);
    c.orchestrator.validate(&c.available_titans()).unwrap();

    // And back: the effective configuration round-trips.
    let text = toml::to_string(&c).unwrap();
    assert_eq!(OmegaConfig::from_toml(&text).unwrap(), c);
}

#[test]
fn the_default_round_trips() {
    let config = OmegaConfig::default();
    config.validate().unwrap();
    let text = toml::to_string(&config).unwrap();
    assert_eq!(OmegaConfig::from_toml(&text).unwrap(), config);
    assert_eq!(OmegaConfig::from_toml("").unwrap(), config);
    // Through the redacted rendering too (the default has no secrets).
    let rendered = config.effective_toml_redacted();
    assert_eq!(OmegaConfig::from_toml(&rendered).unwrap(), config);
}

#[test]
fn the_example_file_loads() {
    let path = crate_dir().join("examples/omega.toml");
    let c = OmegaConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.tenants.len(), 2);
    assert!(c.titans.gpt.is_some());
    assert!(c.orchestrator.tasks.contains_key("classification"));
    assert_eq!(c.peers.titans["gpt"], "http://titan-gpt:7710");
    assert_eq!(c.security.policy.grants.len(), 2);
    // Every section of the file is present in the example.
    let text = std::fs::read_to_string(&path).unwrap();
    let schema = omega_config::json_schema();
    for key in schema["properties"].as_object().unwrap().keys() {
        assert!(
            text.contains(&format!("[{key}")) || text.contains(&format!("{key} =")),
            "examples/omega.toml does not show `{key}`"
        );
    }
}

#[test]
fn pipeline_context_url_moved_to_peers_context() {
    let c = OmegaConfig::from_toml("[peers]\ncontext = \"http://context:7700/\"").unwrap();
    assert_eq!(
        c.context_mcp_url().as_deref(),
        Some("http://context:7700/mcp")
    );
    assert_eq!(OmegaConfig::default().context_mcp_url(), None);
    let err = crate::parse_error("[pipeline]\ncontextUrl = \"http://c:7700/mcp\"");
    assert!(err.contains("pipeline.contextUrl: unknown field"), "{err}");
    assert!(err.contains("moved to `peers.context`"), "{err}");
}

#[test]
fn provider_names_are_accepted_for_the_titan_sections() {
    let config = omega_config::OmegaConfig::from_toml(
        "[titans.openai]\nmodel = \"gpt-4o-mini\"\n[titans.anthropic]\n[titans.xai]\n",
    )
    .unwrap();
    assert_eq!(
        config.titans.gpt.as_ref().and_then(|g| g.model.as_deref()),
        Some("gpt-4o-mini")
    );
    assert!(config.titans.claude.is_some() && config.titans.grok.is_some());
}
