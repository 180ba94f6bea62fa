//! Golden fixtures: each parses into its type, validates, and serializes back
//! to the same JSON.

use omega_protocol::*;
use serde::{Serialize, de::DeserializeOwned};

use crate::fixture;

fn round_trip<T: Serialize + DeserializeOwned>(name: &str) -> T {
    let original = fixture(name);
    let parsed: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
    let back = serde_json::to_value(&parsed).unwrap();
    assert_eq!(back, original, "{name} does not round-trip");
    parsed
}

#[test]
fn ticket() {
    let t: Ticket = round_trip("ticket.json");
    assert_eq!(t.id, Ticket::make_id(t.source, &t.external_id));
}

#[test]
fn triage_result() {
    let r: TriageResult = round_trip("triage-result.json");
    r.validate().unwrap();
    assert_eq!(r.priority.decided(), Some(&Priority::P3));
    assert_eq!(r.suggested_actions[0].kind, ActionKind::ResetPassword);
    assert_eq!(r.decided_by.kind, DeciderKind::LocalModel);
}

#[test]
fn omega_agent_card() {
    let card: AgentCard = round_trip("agent-card.json");
    card.validate().unwrap();
    let omega = card.omega_fields().unwrap();
    assert_eq!(omega.tier, Tier::AlwaysOn);
    assert!(omega.tenants.allows(&TenantId::parse("globex-eu").unwrap()));
    assert!(!omega.tenants.allows(&TenantId::parse("initech").unwrap()));
    assert!(card.skill("find-similar").is_some());
}

#[test]
fn public_card_carries_omega_fields_as_an_extension() {
    let card: AgentCard = serde_json::from_value(fixture("agent-card.json")).unwrap();
    let public = card.to_public();
    let json = serde_json::to_value(&public).unwrap();
    assert!(
        json.get("omega").is_none(),
        "public card has only A2A fields"
    );
    let ext = &json["capabilities"]["extensions"][0];
    assert_eq!(ext["uri"], OMEGA_EXTENSION_URI);
    assert_eq!(ext["params"]["tier"], "always-on");
    public.validate().unwrap();
    assert_eq!(public.omega_fields(), card.omega);
    // Doing it twice does not duplicate the extension.
    assert_eq!(public.to_public(), public);
}

#[test]
fn third_party_a2a_card() {
    let card: AgentCard = round_trip("a2a-agent-card.json");
    card.validate().unwrap();
    assert_eq!(card.omega_fields(), None);
    match &card.security_schemes["oauth"] {
        SecurityScheme::OAuth2(o) => match &o.flows {
            omega_protocol::agent_card::OAuthFlows::ClientCredentials(cc) => {
                assert_eq!(cc.scopes.len(), 2)
            }
            other => panic!("unexpected flow {other:?}"),
        },
        other => panic!("unexpected scheme {other:?}"),
    }
}

#[test]
fn server_json() {
    let record: McpServerRecord = round_trip("server.json");
    record.validate().unwrap();
    assert_eq!(record.namespace(), "io.github.example-msp");
    assert_eq!(record.packages.len(), 3);
    assert!(matches!(
        record.packages[1].transport,
        Transport::StreamableHttp(_)
    ));
    assert_eq!(record.remotes[1].kind, RemoteType::Sse);
}

#[test]
fn server_list() {
    let list: ServerList = round_trip("server-list.json");
    assert_eq!(list.metadata.count, list.servers.len());
    for entry in &list.servers {
        entry.server.validate().unwrap();
    }
    let second = &list.servers[1].meta;
    assert_eq!(
        second.official.as_ref().unwrap().status,
        McpServerStatus::Deprecated
    );
    assert!(second.other.contains_key("io.omega/registry"));
    let rebuilt = ServerList::new(list.servers.clone(), list.metadata.next_cursor.clone());
    assert_eq!(rebuilt, list);
}

#[test]
fn jsonrpc_envelopes() {
    let req: JsonRpcRequest = round_trip("jsonrpc-request.json");
    req.validate().unwrap();
    let meta = req.params.as_ref().unwrap()["_meta"].as_object().unwrap();
    let trace = TraceContext::from_meta(meta).expect("trace context in _meta");
    assert_eq!(trace.trace_id(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    let resp: JsonRpcResponse = round_trip("jsonrpc-response-error.json");
    let err = resp.into_result().unwrap_err();
    assert_eq!(err.code, ErrorCode::TENANT_UNKNOWN);
    assert_eq!(err.data.field.as_deref(), Some("tenant"));
}

#[test]
fn titan_calls() {
    let req: TitanCallRequest = round_trip("titan-call-request.json");
    req.validate().unwrap();
    let res: TitanCallResult = round_trip("titan-call-result.json");
    assert_eq!(res.finish_reason, FinishReason::Stop);
    assert_eq!(res.usage.input_tokens, 1240);
}

#[test]
fn reachable() {
    let r: Reachable = round_trip("reachable.json");
    assert!(r.titans.iter().any(|t| t.local));
}
