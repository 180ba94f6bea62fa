//! AugmentTitan against a fake `auggie --acp` (tests/fixtures/augment/fake-auggie.py).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use omega_protocol::{ErrorCode, FinishReason};
use omega_titans::{AugmentConfig, AugmentTitan, Titan, TitanError, TitanEvent};
use serde_json::Value;

use crate::fake::{request, secrets};

struct Setup {
    titan: AugmentTitan,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

async fn augment(mode: &str, timeout_ms: u64, model: Option<&str>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("acp.log");
    let script = format!(
        "{}/tests/fixtures/augment/fake-auggie.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let cfg = AugmentConfig {
        command: "python3".into(),
        args: vec![
            script,
            "--acp".into(),
            "--mode".into(),
            mode.into(),
            "--log".into(),
            log.display().to_string(),
        ],
        workspace: Some(dir.path().to_path_buf()),
        model: model.map(str::to_owned),
        session_auth_secret: Some("AUGMENT_SESSION_AUTH".into()),
        timeout_ms,
    };
    let titan = AugmentTitan::new(
        &cfg,
        &secrets(&[("AUGMENT_SESSION_AUTH", "{\"accessToken\":\"t\"}")]),
    )
    .await
    .unwrap();
    Setup {
        titan,
        log,
        _dir: dir,
    }
}

fn sent(log: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn acp_session_streams_agent_message_chunks() {
    let s = augment("ok", 20_000, Some("sonnet4.5")).await;
    let events: Vec<_> = s.titan.stream(&request()).await.unwrap().collect().await;
    let texts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Ok(TitanEvent::TextDelta { text }) => Some(text.clone()),
            _ => None,
        })
        .collect();
    let prompt = "[system]\nYou triage IT tickets.\n\n[user]\nVPN drops every hour";
    assert_eq!(
        texts,
        ["model=sonnet4.5 ".to_owned(), format!("echo: {prompt}")]
    );
    let Some(Ok(TitanEvent::Completed(r))) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(r.titan, "augment");
    assert_eq!(r.model, "sonnet4.5");
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(r.message.content, format!("model=sonnet4.5 echo: {prompt}"));
    assert_eq!(r.usage.input_tokens, 0, "ACP v1 reports no usage");

    let msgs = sent(&s.log);
    let methods: Vec<_> = msgs.iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["initialize", "session/new", "session/prompt"]);
    assert_eq!(msgs[0]["jsonrpc"], "2.0");
    assert_eq!(msgs[0]["params"]["protocolVersion"], 1);
    assert_eq!(
        msgs[0]["params"]["clientCapabilities"]["fs"]["writeTextFile"],
        false
    );
    assert_eq!(msgs[1]["params"]["mcpServers"], serde_json::json!([]));
    assert_eq!(msgs[2]["params"]["sessionId"], "sess_fake_1");
    assert_eq!(msgs[2]["params"]["prompt"][0]["type"], "text");
}

#[tokio::test]
async fn permission_requests_are_declined() {
    let s = augment("permission", 20_000, None).await;
    let r = s.titan.call(&request()).await.unwrap();
    assert!(
        r.message.content.starts_with("permission:reject-once "),
        "{}",
        r.message.content
    );
    let msgs = sent(&s.log);
    let answer = msgs
        .iter()
        .find(|m| m["id"] == 900)
        .expect("client answered the permission request");
    assert_eq!(answer["result"]["outcome"]["outcome"], "selected");
}

#[tokio::test]
async fn auth_required_is_auth_error() {
    let s = augment("auth", 20_000, None).await;
    let Err(err) = s.titan.stream(&request()).await else {
        panic!("must fail")
    };
    assert!(matches!(err, TitanError::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("auggie login"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn crash_garbage_hang_and_missing_binary() {
    let s = augment("crash", 20_000, None).await;
    let err = s.titan.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string().contains("not currently logged in"),
        "stderr tail kept: {err}"
    );

    let s = augment("garbage", 20_000, None).await;
    let err = s.titan.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::Malformed { .. }), "{err:?}");

    let s = augment("hang", 1_500, None).await;
    let started = Instant::now();
    let err = s.titan.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::Timeout { .. }), "{err:?}");
    assert_eq!(err.to_omega().code, ErrorCode::DEADLINE_EXCEEDED);
    assert!(started.elapsed() < Duration::from_secs(5));

    let cfg = AugmentConfig {
        command: "/nonexistent/auggie".into(),
        ..AugmentConfig::default()
    };
    let titan = AugmentTitan::new(&cfg, &secrets(&[])).await.unwrap();
    let err = titan.call(&request()).await.unwrap_err();
    assert!(matches!(err, TitanError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("install auggie"));
}
