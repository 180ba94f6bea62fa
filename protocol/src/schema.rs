//! JSON Schemas of the wire types, as checked in under `protocol/schema/`.

use schemars::JsonSchema;

use crate::{
    AgentCard, JsonRpcRequest, JsonRpcResponse, McpServerRecord, OmegaError, ServerList, Ticket,
    TitanCallRequest, TitanCallResult, TriageResult,
};

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a JSON Schema serializes")
}

/// `(file stem, JSON Schema)` for every published wire type. The schema of
/// stem `s` is checked in as `protocol/schema/{s}.json`; regenerate with
/// `OMEGA_UPDATE_SCHEMAS=1 cargo test -p omega-protocol`.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("ticket", schema_of::<Ticket>()),
        ("triage-result", schema_of::<TriageResult>()),
        ("agent-card", schema_of::<AgentCard>()),
        ("mcp-server-record", schema_of::<McpServerRecord>()),
        ("server-list", schema_of::<ServerList>()),
        ("jsonrpc-request", schema_of::<JsonRpcRequest>()),
        ("jsonrpc-response", schema_of::<JsonRpcResponse>()),
        ("omega-error", schema_of::<OmegaError>()),
        ("titan-call-request", schema_of::<TitanCallRequest>()),
        ("titan-call-result", schema_of::<TitanCallResult>()),
    ]
}
