//! `effective_toml_redacted` never prints a secret value.

use omega_config::OmegaConfig;
use omega_config::redact::{REDACTED, SECRET_KEYS, SECRET_NAME_KEYS};

const WITH_SECRETS: &str = r#"
tenants = [{ id = "acme" }]

[storage.kv]
backend = "redis"
url = "rediss://default:kv-password-1@cache:6380/0"

[pipeline]
redisUrl = "redis://:queue-password-2@redis:6379"

[pipeline.ingest.tenants.acme]
zendeskSecret = "zendesk-secret-3"
servicenowSecret = "servicenow-secret-4"
salesforceCdcSecret = "cdc-secret-5"
kaseyaSecret = "kaseya-secret-6"
salesforceOrgId = "00D5e000000KQ2eEAG"

[titans.gpt]
apiKeySecret = "OPENAI_API_KEY"

[titans.augment]
sessionAuthSecret = "AUGMENT_SESSION_AUTH"

[peers]
context = "https://svc:peer-token-7@context.internal"
"#;

#[test]
fn secrets_are_redacted_and_names_of_secrets_are_kept() {
    let config = OmegaConfig::from_toml(WITH_SECRETS).unwrap();
    let out = config.effective_toml_redacted();
    for secret in [
        "kv-password-1",
        "queue-password-2",
        "zendesk-secret-3",
        "servicenow-secret-4",
        "cdc-secret-5",
        "kaseya-secret-6",
        "peer-token-7",
    ] {
        assert!(!out.contains(secret), "{secret} printed:\n{out}");
    }
    for kept in [
        "OPENAI_API_KEY",
        "AUGMENT_SESSION_AUTH",
        "00D5e000000KQ2eEAG",
        "rediss://default:<redacted>@cache:6380/0",
        "redis://:<redacted>@redis:6379",
        "https://svc:<redacted>@context.internal",
    ] {
        assert!(out.contains(kept), "{kept} missing:\n{out}");
    }
    // Still TOML, with every secret key set to the marker and everything
    // else as in force.
    let back: toml::Table = toml::from_str(&out).unwrap();
    let acme = &back["pipeline"]["ingest"]["tenants"]["acme"];
    for key in SECRET_KEYS {
        assert_eq!(acme[*key].as_str(), Some(REDACTED), "{key}");
    }
    for section in [
        "titans",
        "orchestrator",
        "federation",
        "dashboard",
        "security",
    ] {
        let effective = toml::Value::try_from(&config).unwrap()[section].clone();
        assert_eq!(back[section], effective, "{section}");
    }
    // Without credentials in URLs, the rendering loads back as it was.
    let mut plain = config.clone();
    plain.peers.context = None;
    plain.storage = Default::default();
    plain.pipeline.redis_url = "redis://redis:6379".into();
    plain.pipeline.ingest = Default::default();
    assert_eq!(
        OmegaConfig::from_toml(&plain.effective_toml_redacted()).unwrap(),
        plain
    );
}

/// Every key of `omega.toml` whose name suggests a secret is either
/// redacted or known to hold only a secret's name. A new secret field that
/// is in neither list fails here instead of being printed.
#[test]
fn every_secret_looking_key_is_classified() {
    fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                    out.extend(props.keys().cloned());
                }
                map.values().for_each(|v| keys(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    keys(&omega_config::json_schema(), &mut all);
    all.sort();
    all.dedup();
    assert!(all.len() > 100, "the walk found the keys: {}", all.len());
    let looks_secret = |k: &str| {
        let k = k.to_ascii_lowercase();
        [
            "secret",
            "password",
            "passwd",
            "token",
            "credential",
            "apikey",
            "privatekey",
            "signing",
        ]
        .iter()
        .any(|w| k.contains(w))
    };
    let unclassified: Vec<&String> = all
        .iter()
        .filter(|k| looks_secret(k))
        .filter(|k| !SECRET_KEYS.contains(&k.as_str()) && !SECRET_NAME_KEYS.contains(&k.as_str()))
        .collect();
    assert!(
        unclassified.is_empty(),
        "classify {unclassified:?} in omega_config::redact (SECRET_KEYS or SECRET_NAME_KEYS)"
    );
    for k in SECRET_KEYS {
        assert!(
            all.iter().any(|a| a == k),
            "{k} is no longer a key; drop it"
        );
    }
}
