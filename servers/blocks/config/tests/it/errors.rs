//! Unknown keys and bad values are reported with their full dotted path.

use omega_config::{ConfigError, OmegaConfig};

use crate::parse_error;

/// `(toml, the path the error must name)`: an unknown key in every section.
const UNKNOWN_KEYS: &[(&str, &str)] = &[
    ("[titans.gpt]\nmodle = \"gpt-4o\"", "titans.gpt.modle"),
    ("[titans]\nchatgpt = {}", "titans.chatgpt"),
    ("[titans.augment]\ncmd = \"auggie\"", "titans.augment.cmd"),
    ("[titans.local]\nname = \"x\"", "titans.local.name"),
    (
        "[titans.gpt.prices.m]\ninputPerMtokUsd = 1\noutputPerMtokUsd = 1\ncurrency = \"EUR\"",
        "titans.gpt.prices.m.currency",
    ),
    ("[orchestrator]\nbudget = {}", "orchestrator.budget"),
    (
        "[orchestrator.budgets.default]\nmaxToken = 5",
        "orchestrator.budgets.default.maxToken",
    ),
    (
        "[orchestrator.classification]\ntask = \"x\"",
        "orchestrator.classification.task",
    ),
    // Internally tagged: serde buffers the table, so the path ends at the
    // task and the message names the key.
    (
        "[orchestrator.tasks.classify]\nstrategy = \"fallback\"\ntitanz = [\"local\"]",
        "orchestrator.tasks.classify",
    ),
    (
        "[federation]\nagentRegistryUrl = \"http://x/mcp\"",
        "federation.agentRegistryUrl",
    ),
    (
        "[federation.retry]\nmaxAttempt = 2",
        "federation.retry.maxAttempt",
    ),
    (
        "[federation.breaker]\ncoolOff = 2",
        "federation.breaker.coolOff",
    ),
    ("[dashboard]\ntenants = [\"acme\"]", "dashboard.tenants"),
    ("[dashboard.sla]\np5Minutes = 1", "dashboard.sla.p5Minutes"),
    ("[peers]\ncontxt = \"http://c:1\"", "peers.contxt"),
    ("[security]\npolicies = {}", "security.policies"),
    (
        "[security.policy.roles.r]\ntools = [\"a\"]\ncolour = 1",
        "security.policy.roles.r.colour",
    ),
    (
        "[[security.policy.grants]]\nroles = [\"r\"]\nkind = [\"service\"]",
        "security.policy.grants[0].kind",
    ),
];

#[test]
fn unknown_keys_in_every_section_name_their_path() {
    for (text, path) in UNKNOWN_KEYS {
        let err = parse_error(text);
        assert!(
            err.contains(&format!("{path}: unknown field")),
            "error for\n{text}\nshould name `{path}`: {err}"
        );
    }
}

#[test]
fn unknown_top_level_section_is_refused() {
    let err = parse_error("[titanz.gpt]\nmodel = \"x\"");
    assert!(err.contains("titanz: unknown field `titanz`"), "{err}");
    let err = parse_error("tenant = []");
    assert!(err.contains("tenant: unknown field"), "{err}");
}

#[test]
fn bad_values_name_their_path_and_line() {
    let err = parse_error("[federation.retry]\nmaxAttempts = \"three\"");
    assert!(
        err.contains("federation.retry.maxAttempts: invalid type"),
        "{err}"
    );
    assert!(err.contains("line 2"), "{err}");
    let err = parse_error("tenants = [{ id = \"ok\" }, { id = \"Bad Id\" }]");
    assert!(err.contains("tenants[1].id"), "{err}");
    assert!(err.contains("not a valid tenant id"), "{err}");
    let err = parse_error("[titans.gpt]\nbaseUrl = \"ftp://x\"");
    assert!(err.contains("titans.gpt.baseUrl: "), "{err}");
    // Syntax errors have no path, only a position.
    let err = parse_error("[titans\n");
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn load_names_the_file_and_the_path() {
    let dir = std::env::temp_dir().join(format!("omega-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("omega.toml");
    std::fs::write(
        &file,
        "tenants = [{ id = \"acme\" }]\n\n[titans.gpt]\nmodle = \"x\"\n",
    )
    .unwrap();
    let err = OmegaConfig::load(&file).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }));
    let msg = err.to_string();
    assert!(msg.contains(&file.display().to_string()), "{msg}");
    assert!(
        msg.contains("titans.gpt.modle: unknown field `modle`"),
        "{msg}"
    );
    assert!(msg.contains("(line 4, column 1)"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}

fn invalid(text: &str) -> (String, String) {
    match OmegaConfig::from_toml(text) {
        Err(ConfigError::Field(e)) => (e.path, e.message),
        other => panic!("expected a field error for\n{text}\ngot {other:?}"),
    }
}

#[test]
fn orchestrator_must_reference_configured_titans() {
    let (path, message) = invalid(
        "[orchestrator.tasks.classify]\nstrategy = \"fallback\"\ntitans = [\"local\", \"foo\"]",
    );
    assert_eq!(path, "orchestrator.tasks.classify.titans[1]");
    assert!(
        message.starts_with("titan `foo` is not configured"),
        "{message}"
    );
    let text =
        "[orchestrator.tasks.classify]\nstrategy = \"fallback\"\ntitans = [\"gpt\", \"local\"]";
    let err = OmegaConfig::from_toml(text).unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid config: orchestrator.tasks.classify.titans[0]: \
         titan `gpt` is not configured; configured titans: local"
    );
    // Configuring it (an empty section takes the provider's defaults) fixes it.
    OmegaConfig::from_toml(&format!("{text}\n[titans.gpt]\n")).unwrap();
    // So does serving it from another process.
    OmegaConfig::from_toml(&format!(
        "{text}\n[peers.titans]\ngpt = \"http://titan-gpt:7710\"\n"
    ))
    .unwrap();
    let (path, _) =
        invalid("[orchestrator.defaultStrategy]\nstrategy = \"single\"\ntitan = \"claude\"");
    assert_eq!(path, "orchestrator.defaultStrategy.titan");
    let (path, _) = invalid("[orchestrator.titanCosts]\ngrok = 0.1");
    assert_eq!(path, "orchestrator.titanCosts.grok");
    let (path, _) = invalid("[titans]\ndefaultTitan = \"gemini\"");
    assert_eq!(path, "titans.defaultTitan");
}

#[test]
fn validation_errors_name_their_path() {
    let cases = [
        ("[titans.claude]\ntimeoutMs = 0", "titans.claude.timeoutMs"),
        (
            "[titans.grok]\nbaseUrl = \"http://api.x.ai/v1\"",
            "titans.grok.baseUrl",
        ),
        (
            "[orchestrator.tasks.t]\nstrategy = \"fanOut\"\ntitans = [\"local\"]\nminResponses = 2",
            "orchestrator.tasks.t.minResponses",
        ),
        (
            "[orchestrator.budgets.tenants.initech]\nmaxTokens = 5",
            "orchestrator.budgets.tenants.initech",
        ),
        (
            "[federation]\ndefaultDeadlineMs = 5000\nmaxDeadlineMs = 1000",
            "federation.maxDeadlineMs",
        ),
        (
            "[federation.retry]\nmaxAttempts = 0",
            "federation.retry.maxAttempts",
        ),
        (
            "[dashboard.sla]\nriskFraction = 2.0",
            "dashboard.sla.riskFraction",
        ),
        ("[dashboard]\nreplayBuffer = 0", "dashboard.replayBuffer"),
        ("[peers]\ncontext = \"context:7700\"", "peers.context"),
        (
            "[peers]\nagentRegistry = \"http://a:7701/mcp\"",
            "peers.agentRegistry",
        ),
        (
            "[peers.titans]\nchatgpt = \"http://t:1\"",
            "peers.titans.chatgpt",
        ),
        (
            "[[security.policy.grants]]\nkinds = [\"service\"]\nroles = [\"nope\"]",
            "security.policy.grants[0].roles",
        ),
        (
            "[security.policy.roles.r]\ntools = [\"*\"]\n[[security.policy.grants]]\n\
             kinds = [\"service\"]\nroles = [\"r\"]\ntenants = [\"demo\", \"initech\"]",
            "security.policy.grants[0].tenants[1]",
        ),
        (
            "tenants = [{ id = \"a\" }, { id = \"a\" }]",
            "tenants[1].id",
        ),
    ];
    for (text, want) in cases {
        let (path, message) = invalid(text);
        assert_eq!(path, want, "{text}: {message}");
        assert!(!message.is_empty());
    }
}
