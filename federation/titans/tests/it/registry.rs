//! Building the configured Titans.

use std::sync::Arc;

use omega_titans::{LocalModel, TitanConfig, build_titans};

use crate::fake::{request, secrets};

struct Fixed;
impl LocalModel for Fixed {
    fn classify(&self, _text: &str) -> (Option<String>, f64) {
        (Some("network".into()), 0.8)
    }
}

#[tokio::test]
async fn default_config_runs_without_keys() {
    let cfg: TitanConfig = serde_json::from_str("{}").unwrap();
    let titans = build_titans(&cfg, &secrets(&[]), Arc::new(Fixed))
        .await
        .unwrap();
    assert_eq!(titans.names().collect::<Vec<_>>(), ["local"]);
    let t = titans.default_titan();
    assert!(t.is_local());
    let r = t.call(&request()).await.unwrap();
    assert_eq!(
        r.message.content,
        r#"{"category":"network","confidence":0.8}"#
    );
}

#[tokio::test]
async fn configured_providers_need_their_keys() {
    let cfg: TitanConfig = serde_json::from_str(
        r#"{"defaultTitan": "claude", "claude": {}, "grok": {"model": "grok-4"}}"#,
    )
    .unwrap();
    let err = build_titans(
        &cfg,
        &secrets(&[("ANTHROPIC_API_KEY", "k")]),
        Arc::new(Fixed),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("XAI_API_KEY"), "{err}");
    let titans = build_titans(
        &cfg,
        &secrets(&[("ANTHROPIC_API_KEY", "k"), ("XAI_API_KEY", "x")]),
        Arc::new(Fixed),
    )
    .await
    .unwrap();
    assert_eq!(
        titans.names().collect::<Vec<_>>(),
        ["claude", "grok", "local"]
    );
    assert_eq!(titans.default_titan().name(), "claude");
    assert_eq!(titans.get("grok").unwrap().default_model(), "grok-4");
}

#[tokio::test]
async fn unknown_default_is_refused() {
    let cfg: TitanConfig = serde_json::from_str(r#"{"defaultTitan": "gpt"}"#).unwrap();
    let err = build_titans(&cfg, &secrets(&[]), Arc::new(Fixed))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("defaultTitan"), "{err}");
}
