//! `omega.schema.json` matches `OmegaConfig`; `OMEGA_UPDATE_SCHEMAS=1`
//! rewrites it. The schema accepts what the types accept and refuses
//! unknown keys, so editors check `omega.toml` like `omega` does.

use omega_config::OmegaConfig;
use serde_json::Value;

use crate::{crate_dir, updating};

#[test]
fn checked_in_schema_is_current() {
    let path = crate_dir().join("omega.schema.json");
    let text = serde_json::to_string_pretty(&omega_config::json_schema()).unwrap() + "\n";
    if updating() {
        std::fs::write(&path, &text).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()),
        "{} is stale or missing; run OMEGA_UPDATE_SCHEMAS=1 cargo test -p omega-config",
        path.display()
    );
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&omega_config::json_schema())
        .unwrap_or_else(|e| panic!("not a valid JSON Schema: {e}"))
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn schema_accepts_the_example_and_the_default() {
    let v = validator();
    let example: Value =
        toml::from_str(&std::fs::read_to_string(crate_dir().join("examples/omega.toml")).unwrap())
            .unwrap();
    assert_eq!(errors(&v, &example), Vec::<String>::new());
    let default = serde_json::to_value(OmegaConfig::default()).unwrap();
    assert_eq!(errors(&v, &default), Vec::<String>::new());
    let schema = omega_config::json_schema();
    for section in [
        "titans",
        "orchestrator",
        "federation",
        "dashboard",
        "peers",
        "security",
    ] {
        assert!(
            schema["properties"].get(section).is_some(),
            "no `{section}` in the schema"
        );
    }
}

#[test]
fn schema_refuses_unknown_keys() {
    let v = validator();
    for doc in [
        serde_json::json!({"titanz": {}}),
        serde_json::json!({"titans": {"gpt": {"modle": "x"}}}),
        serde_json::json!({"federation": {"retry": {"maxAttempt": 1}}}),
        serde_json::json!({"dashboard": {"tenants": []}}),
        serde_json::json!({"peers": {"contxt": "http://x"}}),
    ] {
        assert!(!errors(&v, &doc).is_empty(), "accepted {doc}");
    }
}
