//! Each validation rule fails with SCHEMA_VIOLATION naming the right field.

use omega_protocol::{AgentCard, ErrorCode, McpServerRecord, TriageResult};
use serde_json::{Value, json};

use crate::fixture;

/// Applies `mutate` to `base`, parses it as `T`, and returns the field named
/// by the validation error.
fn failing_field<T: serde::de::DeserializeOwned>(
    base: &Value,
    mutate: impl FnOnce(&mut Value),
    validate: impl FnOnce(&T) -> Result<(), omega_protocol::OmegaError>,
) -> String {
    let mut json = base.clone();
    mutate(&mut json);
    let parsed: T = serde_json::from_value(json).expect("mutated fixture still parses");
    let err = validate(&parsed).expect_err("mutated fixture must fail validation");
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION, "{err}");
    assert!(err.data.hint.is_some(), "{err} has no hint");
    err.data.field.expect("error names a field")
}

type Case = (&'static str, fn(&mut Value));

#[test]
fn agent_card_rules() {
    let base = fixture("agent-card.json");
    let cases: &[Case] = &[
        ("name", |j| j["name"] = json!("  ")),
        ("description", |j| j["description"] = json!("")),
        ("version", |j| j["version"] = json!("v1")),
        ("version", |j| j["version"] = json!("^1.0")),
        ("supportedInterfaces", |j| {
            j["supportedInterfaces"] = json!([])
        }),
        ("supportedInterfaces[1].url", |j| {
            j["supportedInterfaces"][1]["url"] = json!("triage.omega.example.net/a2a")
        }),
        ("supportedInterfaces[0].protocolBinding", |j| {
            j["supportedInterfaces"][0]["protocolBinding"] = json!("")
        }),
        ("supportedInterfaces[0].protocolVersion", |j| {
            j["supportedInterfaces"][0]["protocolVersion"] = json!("one")
        }),
        ("provider.url", |j| {
            j["provider"]["url"] = json!("ftp://omega.example.net")
        }),
        ("documentationUrl", |j| {
            j["documentationUrl"] = json!("docs")
        }),
        ("iconUrl", |j| {
            j["iconUrl"] = json!("https://user:pw@omega.example.net/i.png")
        }),
        ("defaultInputModes", |j| j["defaultInputModes"] = json!([])),
        ("defaultOutputModes[0]", |j| {
            j["defaultOutputModes"] = json!(["json"])
        }),
        ("skills[1].id", |j| {
            j["skills"][1]["id"] = json!("triage-ticket")
        }),
        ("skills[0].id", |j| j["skills"][0]["id"] = json!("")),
        ("skills[1].description", |j| {
            j["skills"][1]["description"] = json!(" ")
        }),
        ("skills[0].inputModes[0]", |j| {
            j["skills"][0]["inputModes"] = json!(["text plain"])
        }),
        ("securityRequirements[0].schemes.nope", |j| {
            j["securityRequirements"][0] = json!({"schemes": {"nope": {"list": []}}})
        }),
        ("capabilities.extensions[1].uri", |j| {
            j["capabilities"]["extensions"] = json!([{"uri": "urn:x"}, {"uri": "urn:x"}])
        }),
        ("omega.role", |j| j["omega"]["role"] = json!("")),
        ("omega.tenants.only", |j| {
            j["omega"]["tenants"] = json!({"only": []})
        }),
        ("omega.tenants.only[1]", |j| {
            j["omega"]["tenants"] = json!({"only": ["acme", "acme"]})
        }),
    ];
    for (expected, mutate) in cases {
        let field = failing_field::<AgentCard>(&base, mutate, AgentCard::validate);
        assert_eq!(&field, expected);
    }
}

#[test]
fn agent_card_refuses_unknown_fields_and_bad_enums() {
    let mut json = fixture("agent-card.json");
    json["skils"] = json!([]);
    assert!(serde_json::from_value::<AgentCard>(json).is_err());
    let mut json = fixture("agent-card.json");
    json["omega"]["tier"] = json!("always_on");
    assert!(serde_json::from_value::<AgentCard>(json).is_err());
    let mut json = fixture("agent-card.json");
    json["omega"]["tenants"] = json!({"only": ["Not A Tenant"]});
    assert!(serde_json::from_value::<AgentCard>(json).is_err());
    let mut json = fixture("agent-card.json");
    json["omega"]["tenants"] = json!("all");
    let card: AgentCard = serde_json::from_value(json).unwrap();
    card.validate().unwrap();
}

#[test]
fn server_record_rules() {
    let base = fixture("server.json");
    let cases: &[Case] = &[
        ("name", |j| j["name"] = json!("psa-tickets")),
        ("name", |j| j["name"] = json!("io.github.x/y/z")),
        ("name", |j| j["name"] = json!("io.github x/y")),
        ("description", |j| j["description"] = json!("x".repeat(101))),
        ("description", |j| j["description"] = json!("")),
        ("title", |j| j["title"] = json!("t".repeat(101))),
        ("version", |j| j["version"] = json!("")),
        ("version", |j| j["version"] = json!("^1.0")),
        ("version", |j| j["version"] = json!("1.x")),
        ("websiteUrl", |j| j["websiteUrl"] = json!("example.com")),
        ("repository.url", |j| {
            j["repository"]["url"] = json!("git@github.com:x/y.git")
        }),
        ("repository.subfolder", |j| {
            j["repository"]["subfolder"] = json!("../outside")
        }),
        ("icons[0].src", |j| {
            j["icons"][0]["src"] = json!("http://insecure.example/icon.png")
        }),
        ("icons[1].mimeType", |j| {
            j["icons"][1]["mimeType"] = json!("image/gif")
        }),
        ("packages", |j| {
            j["packages"] = json!([]);
            j["remotes"] = json!([]);
        }),
        ("packages[0].version", |j| {
            j["packages"][0]["version"] = json!("latest")
        }),
        ("packages[0].version", |j| {
            j["packages"][0]["version"] = json!("~1.3")
        }),
        ("packages[0].identifier", |j| {
            j["packages"][0]["identifier"] = json!("")
        }),
        ("packages[0].registryBaseUrl", |j| {
            j["packages"][0]["registryBaseUrl"] = json!("npmjs")
        }),
        ("packages[2].fileSha256", |j| {
            j["packages"][2]["fileSha256"] = json!("ABC")
        }),
        ("packages[2].fileSha256", |j| {
            j["packages"][2]
                .as_object_mut()
                .unwrap()
                .remove("fileSha256");
        }),
        ("packages[1].transport.url", |j| {
            j["packages"][1]["transport"]["url"] = json!("")
        }),
        ("packages[0].packageArguments[1]", |j| {
            j["packages"][0]["packageArguments"][1]
                .as_object_mut()
                .unwrap()
                .remove("valueHint");
        }),
        ("packages[0].environmentVariables[0].name", |j| {
            j["packages"][0]["environmentVariables"][0]["name"] = json!("")
        }),
        ("remotes[1].url", |j| j["remotes"][1]["url"] = json!("/sse")),
    ];
    for (expected, mutate) in cases {
        let field = failing_field::<McpServerRecord>(&base, mutate, McpServerRecord::validate);
        assert_eq!(&field, expected);
    }
}

#[test]
fn server_record_accepts_the_limits() {
    let mut json = fixture("server.json");
    json["description"] = json!("é".repeat(100)); // 100 characters, 200 bytes
    json["name"] = json!("a/b");
    let record: McpServerRecord = serde_json::from_value(json).unwrap();
    record.validate().unwrap();
}

#[test]
fn server_record_refuses_unknown_fields_and_transports() {
    let mut json = fixture("server.json");
    json["packges"] = json!([]);
    assert!(serde_json::from_value::<McpServerRecord>(json).is_err());
    let mut json = fixture("server.json");
    json["remotes"][0]["type"] = json!("stdio");
    assert!(serde_json::from_value::<McpServerRecord>(json).is_err());
    let mut json = fixture("server.json");
    json["packages"][0]["transport"] = json!({"type": "websocket", "url": "wss://x"});
    assert!(serde_json::from_value::<McpServerRecord>(json).is_err());
}

#[test]
fn triage_result_rules() {
    let base = fixture("triage-result.json");
    let cases: &[Case] = &[
        ("ticketId", |j| j["ticketId"] = json!("")),
        ("category.confidence", |j| {
            j["category"]["confidence"] = json!(1.5)
        }),
        ("priority.confidence", |j| {
            j["priority"]["confidence"] = json!(-0.1)
        }),
        ("priority.value", |j| {
            j["priority"] = json!({"confidence": 0.4, "abstained": false})
        }),
        ("category.value", |j| j["category"]["value"] = json!(" ")),
        ("decidedBy.name", |j| j["decidedBy"]["name"] = json!("")),
        ("suggestedActions[1].description", |j| {
            j["suggestedActions"][1]["description"] = json!("")
        }),
        ("similarTickets[1].ticketId", |j| {
            j["similarTickets"][1]["ticketId"] = json!("")
        }),
    ];
    for (expected, mutate) in cases {
        let field = failing_field::<TriageResult>(&base, mutate, TriageResult::validate);
        assert_eq!(&field, expected);
    }
    // An abstention without a value is valid.
    let mut json = base.clone();
    json["priority"] = json!({"confidence": 0.3, "abstained": true});
    let r: TriageResult = serde_json::from_value(json).unwrap();
    r.validate().unwrap();
    assert_eq!(r.priority.decided(), None);
    // Unknown action kinds and fields are refused.
    let mut json = base.clone();
    json["suggestedActions"][0]["kind"] = json!("reset-password");
    assert!(serde_json::from_value::<TriageResult>(json).is_err());
}
