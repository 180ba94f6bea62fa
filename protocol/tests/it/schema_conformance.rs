//! The generated JSON Schemas accept the golden fixtures and refuse documents
//! the Rust types refuse, so non-Rust clients can rely on `schema/*.json`.

use serde_json::{Value, json};

use crate::fixture;

fn validator(stem: &str) -> jsonschema::Validator {
    let schema = omega_protocol::schemas()
        .into_iter()
        .find(|(s, _)| *s == stem)
        .unwrap_or_else(|| panic!("no schema {stem}"))
        .1;
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{stem} is not a valid schema: {e}"))
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

#[test]
fn fixtures_match_their_schemas() {
    let pairs = [
        ("ticket.json", "ticket"),
        ("triage-result.json", "triage-result"),
        ("agent-card.json", "agent-card"),
        ("a2a-agent-card.json", "agent-card"),
        ("server.json", "mcp-server-record"),
        ("server-list.json", "server-list"),
        ("jsonrpc-request.json", "jsonrpc-request"),
        ("jsonrpc-response-error.json", "jsonrpc-response"),
        ("titan-call-request.json", "titan-call-request"),
        ("titan-call-result.json", "titan-call-result"),
    ];
    for (file, stem) in pairs {
        let errs = errors(&validator(stem), &fixture(file));
        assert!(errs.is_empty(), "{file} fails schema {stem}: {errs:?}");
    }
    let error = fixture("jsonrpc-response-error.json")["error"].clone();
    assert!(errors(&validator("omega-error"), &error).is_empty());
}

type Edit = fn(&mut Value);

#[test]
fn schemas_refuse_what_the_types_refuse() {
    let cases: &[(&str, &str, Edit)] = &[
        ("server.json", "mcp-server-record", |j| {
            j["name"] = json!("no-slash")
        }),
        ("server.json", "mcp-server-record", |j| {
            j["description"] = json!("x".repeat(101))
        }),
        ("server.json", "mcp-server-record", |j| {
            j["remotes"][0]["type"] = json!("stdio")
        }),
        ("server.json", "mcp-server-record", |j| {
            j["packages"][2]["fileSha256"] = json!("XYZ")
        }),
        ("triage-result.json", "triage-result", |j| {
            j["priority"]["confidence"] = json!(1.2)
        }),
        ("triage-result.json", "triage-result", |j| {
            j["tenant"] = json!("Bad Tenant")
        }),
        ("triage-result.json", "triage-result", |j| {
            j["suggestedActions"][0]["kind"] = json!("reboot")
        }),
        ("agent-card.json", "agent-card", |j| {
            j["omega"]["tier"] = json!("always_on")
        }),
        ("agent-card.json", "agent-card", |j| j["skils"] = json!([])),
        ("jsonrpc-request.json", "jsonrpc-request", |j| {
            j["jsonrpc"] = json!("1.0")
        }),
        ("jsonrpc-response-error.json", "jsonrpc-response", |j| {
            j["result"] = json!(1)
        }),
        ("jsonrpc-response-error.json", "jsonrpc-response", |j| {
            j.as_object_mut().unwrap().remove("error");
        }),
    ];
    for (i, (file, stem, edit)) in cases.iter().enumerate() {
        let mut doc = fixture(file);
        edit(&mut doc);
        assert!(
            !validator(stem).is_valid(&doc),
            "case {i}: schema {stem} accepted it"
        );
    }
}
