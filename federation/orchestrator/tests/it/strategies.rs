//! Strategies, budgets and failures, with fake Titans on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use omega_orchestrator::{Orchestrator, OrchestratorConfig};
use omega_protocol::{DeciderKind, ErrorCode, TenantId};
use omega_titans::{Titan, TitanError};
use serde_json::json;

use crate::fake::{Behaviour, FakeTitan, acme, classify, request, server_error};

fn orchestrator(mut config: serde_json::Value, titans: &[&Arc<FakeTitan>]) -> Orchestrator {
    // Deployments always have the local Titan; these tests may not.
    if config.get("defaultStrategy").is_none() {
        config["defaultStrategy"] = json!({"strategy": "single", "titan": titans[0].name});
    }
    let config: OrchestratorConfig = serde_json::from_value(config).unwrap();
    let list: Vec<Arc<dyn Titan>> = titans
        .iter()
        .map(|t| (*t).clone() as Arc<dyn Titan>)
        .collect();
    Orchestrator::new(config, list).unwrap()
}

#[tokio::test(start_paused = true)]
async fn fallback_moves_past_errors_and_deadlines() {
    let broken = FakeTitan::new("gpt", Behaviour::Fail(server_error("gpt")));
    let hung = FakeTitan::new("claude", Behaviour::Hang);
    let good = FakeTitan::new("gemini", Behaviour::Text("restart the VPN client"));
    let o = orchestrator(
        json!({"tasks": {"answer": {"strategy": "fallback", "titans": ["gpt", "claude", "gemini"], "timeoutMs": 2000}}}),
        &[&broken, &hung, &good],
    );
    let started = tokio::time::Instant::now();
    let out = o
        .call("answer", &acme(), request("VPN drops"))
        .await
        .unwrap();
    // The hung Titan cost exactly its deadline of virtual time.
    assert_eq!(started.elapsed(), Duration::from_millis(2000));
    assert_eq!(out.strategy, "fallback");
    assert_eq!(out.result.message.content, "restart the VPN client");
    assert_eq!(out.decided_by, ["gemini"]);
    let codes: Vec<_> = out
        .attempts
        .iter()
        .map(|a| a.error.as_ref().map(|e| e.code))
        .collect();
    assert_eq!(
        codes,
        [
            Some(ErrorCode::UPSTREAM_FAILED),
            Some(ErrorCode::DEADLINE_EXCEEDED),
            None
        ]
    );
    // Only the answered call is billed.
    let records = o.ledger().records(&acme());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].titan, "gemini");
    assert_eq!(records[0].task_type, "answer");
    assert_eq!(o.ledger().totals(&acme()).tokens, 15);
}

#[tokio::test(start_paused = true)]
async fn all_titans_failing_names_each_cause() {
    let a = FakeTitan::new(
        "gpt",
        Behaviour::Fail(TitanError::RateLimited {
            titan: "gpt".into(),
            retry_after: Some(Duration::from_secs(3)),
        }),
    );
    let b = FakeTitan::new(
        "claude",
        Behaviour::Fail(TitanError::Overloaded {
            titan: "claude".into(),
        }),
    );
    let c = FakeTitan::new("grok", Behaviour::Hang);
    let o = orchestrator(
        json!({"defaultStrategy": {"strategy": "fallback", "titans": ["gpt", "claude", "grok"], "timeoutMs": 500}}),
        &[&a, &b, &c],
    );
    let err = o
        .call("anything", &acme(), request("hi"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UPSTREAM_FAILED);
    for name in ["gpt:", "claude:", "grok:"] {
        assert!(err.message.contains(name), "{}", err.message);
    }
    let causes = &err.data.extra.as_ref().unwrap()["causes"];
    let names: Vec<_> = causes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rate_limited", "overloaded", "deadline_exceeded"]);
    assert_eq!(causes[0]["titan"], "gpt");
}

#[tokio::test(start_paused = true)]
async fn fan_out_votes_and_ignores_the_late() {
    let a = FakeTitan::new("gpt", classify("network", 0.4));
    let b = FakeTitan::new(
        "claude",
        Behaviour::Classify {
            label: Some("network"),
            confidence: 0.4,
            delay: Duration::from_millis(900),
        },
    );
    let c = FakeTitan::new("gemini", classify("email", 0.95));
    let late = FakeTitan::new("grok", Behaviour::Hang);
    let titans = [&a, &b, &c, &late];
    let config = |vote: &str| {
        json!({"tasks": {"classify": {"strategy": "fanOut", "titans": ["gpt", "claude", "gemini", "grok"],
               "vote": vote, "minResponses": 3, "timeoutMs": 1000}}})
    };
    let o = orchestrator(config("majority"), &titans);
    let started = tokio::time::Instant::now();
    let c1 = o.classify(&acme(), "mail and VPN broken").await.unwrap();
    // All Titans ran at once: the fan-out took the deadline, not the sum.
    assert_eq!(started.elapsed(), Duration::from_millis(1000));
    assert_eq!(c1.label.as_deref(), Some("network"));
    // Two of three answers agree at 0.4 each; the hung Titan has no ballot.
    assert!(
        (c1.confidence - 0.8 / 3.0).abs() < 1e-9,
        "{}",
        c1.confidence
    );
    assert_eq!(c1.decided_by.kind, DeciderKind::Titan);
    assert!(["gpt", "claude"].contains(&c1.decided_by.name.as_str()));
    assert_eq!(c1.detail.decided_by.len(), 2);
    assert_eq!(c1.detail.usage.input_tokens, 30, "three answers billed");
    let late_attempt = c1
        .detail
        .attempts
        .iter()
        .find(|a| a.titan == "grok")
        .unwrap();
    assert_eq!(
        late_attempt.error.as_ref().unwrap().code,
        ErrorCode::DEADLINE_EXCEEDED
    );

    let o = orchestrator(config("confidenceWeighted"), &titans);
    let c2 = o.classify(&acme(), "mail and VPN broken").await.unwrap();
    assert_eq!(c2.label.as_deref(), Some("email"));
    assert_eq!(c2.decided_by.name, "gemini");
}

#[tokio::test(start_paused = true)]
async fn fan_out_without_quorum_fails_naming_causes() {
    let a = FakeTitan::new("gpt", classify("network", 0.9));
    let b = FakeTitan::new("claude", Behaviour::Text("I think it is the network"));
    let c = FakeTitan::new("gemini", Behaviour::Fail(server_error("gemini")));
    let o = orchestrator(
        json!({"tasks": {"classify": {"strategy": "fanOut", "titans": ["gpt", "claude", "gemini"], "minResponses": 2}}}),
        &[&a, &b, &c],
    );
    let err = o.classify(&acme(), "VPN").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::UPSTREAM_FAILED);
    assert!(
        err.message.starts_with("only 1 of the 2 answers"),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("claude: claude answered without a readable classification")
    );
    assert!(err.message.contains("gemini:"));
}

#[tokio::test]
async fn cheapest_first_escalates_on_low_confidence() {
    let local = FakeTitan::local("local", classify("hardware", 0.3));
    let cheap = FakeTitan::new("gpt", classify("network", 0.85));
    let dear = FakeTitan::new("claude", classify("network", 0.99));
    let o = orchestrator(
        json!({"tasks": {"classify": {"strategy": "cheapestFirst", "titans": ["claude", "gpt", "local"], "minConfidence": 0.8}},
               "titanCosts": {"gpt": 0.0006, "claude": 0.003}}),
        &[&local, &cheap, &dear],
    );
    let c = o.classify(&acme(), "VPN drops hourly").await.unwrap();
    assert_eq!(c.label.as_deref(), Some("network"));
    assert_eq!(c.confidence, 0.85);
    assert_eq!(c.decided_by.name, "gpt");
    assert_eq!((local.calls(), cheap.calls(), dear.calls()), (1, 1, 0));
    let tried: Vec<_> = c.detail.attempts.iter().map(|a| a.titan.as_str()).collect();
    assert_eq!(tried, ["local", "gpt"]);

    // When the local model is sure, nothing is escalated and it decides.
    let local = FakeTitan::local("local", classify("hardware", 0.95));
    let o = orchestrator(
        json!({"tasks": {"classify": {"strategy": "cheapestFirst", "titans": ["gpt", "local"], "minConfidence": 0.8}}}),
        &[&local, &cheap],
    );
    let c = o.classify(&acme(), "printer on fire").await.unwrap();
    assert_eq!(c.decided_by.kind, DeciderKind::LocalModel);
    assert_eq!(cheap.calls(), 1, "gpt was not called again");
}

#[tokio::test]
async fn cheapest_first_returns_the_most_confident_when_none_is_sure() {
    let local = FakeTitan::local("local", classify("hardware", 0.3));
    let gpt = FakeTitan::new("gpt", classify("network", 0.6));
    let claude = FakeTitan::new("claude", Behaviour::Fail(server_error("claude")));
    let o = orchestrator(
        json!({"tasks": {"classify": {"strategy": "cheapestFirst", "titans": ["local", "gpt", "claude"], "minConfidence": 0.9}},
               "titanCosts": {"gpt": 0.001, "claude": 0.01}}),
        &[&local, &gpt, &claude],
    );
    let c = o.classify(&acme(), "VPN").await.unwrap();
    assert_eq!((c.label.as_deref(), c.confidence), (Some("network"), 0.6));
    assert_eq!(c.detail.attempts.len(), 3);
    assert!(c.detail.attempts[2].error.is_some());
}

#[tokio::test]
async fn budget_exhausted_refuses_and_names_the_budget() {
    let gpt = FakeTitan::new("gpt", Behaviour::Text("ok"));
    let o = orchestrator(
        json!({"defaultStrategy": {"strategy": "single", "titan": "gpt"},
               "budgets": {"tenants": {"acme": {"maxTokens": 30, "windowSecs": 86400}},
                           "default": {"maxCostUsd": 0.01}}}),
        &[&gpt],
    );
    o.call("t", &acme(), request("a")).await.unwrap();
    o.call("t", &acme(), request("b")).await.unwrap();
    let err = o.call("t", &acme(), request("c")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BUDGET_EXHAUSTED);
    assert_eq!(err.data.extra.as_ref().unwrap()["budget"], "acme/tokens");
    assert!(err.message.contains("acme/tokens"), "{}", err.message);
    assert_eq!(gpt.calls(), 2, "a refused call never reaches the Titan");

    // Another tenant falls under the default cost budget.
    let globex = TenantId::parse("globex").unwrap();
    let mut req = request("x");
    req.tenant = globex.clone();
    o.call("t", &globex, req.clone()).await.unwrap();
    let err = o.call("t", &globex, req).await.unwrap_err();
    assert_eq!(err.data.extra.as_ref().unwrap()["budget"], "globex/costUsd");
}

#[tokio::test]
async fn named_titans_tenants_and_bad_requests() {
    let local = FakeTitan::local("local", classify("x", 0.5));
    let gpt = FakeTitan::new("gpt", Behaviour::Text("from gpt"));
    let o = orchestrator(json!({}), &[&local, &gpt]);
    let mut req = request("hello");
    req.titan = Some("gpt".into());
    let out = o.call("whatever", &acme(), req).await.unwrap();
    assert_eq!((out.strategy, out.result.titan.as_str()), ("named", "gpt"));

    let mut req = request("hello");
    req.titan = Some("bard".into());
    let err = o.call("t", &acme(), req).await.unwrap_err();
    assert_eq!(
        (err.code, err.data.field.as_deref()),
        (ErrorCode::NOT_FOUND, Some("titan"))
    );

    let err = o
        .call("t", &TenantId::parse("globex").unwrap(), request("hello"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TENANT_FORBIDDEN);

    let mut req = request("hello");
    req.messages.clear();
    assert_eq!(
        o.call("t", &acme(), req).await.unwrap_err().code,
        ErrorCode::SCHEMA_VIOLATION
    );
    assert_eq!(
        o.classify(&acme(), "  ").await.unwrap_err().code,
        ErrorCode::INVALID_PARAMS
    );

    // The default strategy is the local Titan.
    let c = o.classify(&acme(), "anything").await.unwrap();
    assert_eq!(c.decided_by.kind, DeciderKind::LocalModel);
    assert_eq!(c.detail.strategy, "single");
}

#[test]
fn configuration_must_match_the_titans() {
    let gpt = FakeTitan::new("gpt", Behaviour::Text("x"));
    let config: OrchestratorConfig = serde_json::from_value(
        json!({"defaultStrategy": {"strategy": "single", "titan": "claude"}}),
    )
    .unwrap();
    let err = Orchestrator::new(config, [gpt as Arc<dyn Titan>]).unwrap_err();
    assert!(err.to_string().contains("defaultStrategy.titan:"), "{err}");
}
