//! Federation wire types: JSON-RPC 2.0 envelopes, routed calls, Titan
//! (hosted model) calls, reachability listings and trace context.
//!
//! The federation core routes a [`RouteRequest`] for a tenant to a live agent
//! offering the skill or capability (A2A) or to an MCP tool, sends Titan
//! calls in the provider-neutral [`TitanCallRequest`] shape, and tells a
//! caller what it can reach with [`Reachable`]. Every hop carries a W3C
//! [`TraceContext`] in `_meta[TRACE_META_KEY]`.

mod jsonrpc;
mod orchestration;
mod titan;
mod trace;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::TenantId;
use crate::agent_card::Tier;
use crate::check::{non_empty, violation};
use crate::error::{ErrorCode, OmegaError};

pub use jsonrpc::{
    JSONRPC_VERSION, JsonRpcRequest, JsonRpcResponse, JsonRpcVersion, RequestId, ResponsePayload,
};
pub use orchestration::{
    ClassifyRequest, ClassifyResult, OrchestrateRequest, OrchestrateResult, TitanAttempt,
};
pub use titan::{
    ChatMessage, ChatRole, FinishReason, TitanCallRequest, TitanCallResult, ToolCall, ToolSpec,
    Usage,
};
pub use trace::{TRACE_META_KEY, TraceContext};

/// A call the federation routes for a tenant.
///
/// The target is found by `skill` (an A2A skill id) or `capability` (an
/// OMEGA capability name such as `classify`); with neither, `method` names an
/// MCP tool that some reachable server offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteRequest {
    /// The tenant the call is made for.
    pub tenant: TenantId,
    /// A2A skill id to route by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<String>,
    /// Capability name to route by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// The tool or method to call on the chosen target.
    pub method: String,
    /// Arguments: a JSON object (or null for none).
    #[serde(default)]
    pub arguments: serde_json::Value,
    /// Deadline for the whole call, in milliseconds from receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Trace context of the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceContext>,
}

impl RouteRequest {
    /// Checks the method, optional selectors, arguments and trace context.
    /// Argument errors are [`ErrorCode::INVALID_PARAMS`]; the rest
    /// [`ErrorCode::SCHEMA_VIOLATION`].
    pub fn validate(&self) -> Result<(), OmegaError> {
        non_empty("method", &self.method)?;
        if let Some(skill) = &self.skill {
            non_empty("skill", skill)?;
        }
        if let Some(capability) = &self.capability {
            non_empty("capability", capability)?;
        }
        if !(self.arguments.is_object() || self.arguments.is_null()) {
            return Err(OmegaError::new(
                ErrorCode::INVALID_PARAMS,
                "arguments must be a JSON object",
            )
            .with_field("arguments")
            .with_hint("send arguments as {\"name\": value, ...}"));
        }
        if self.deadline_ms == Some(0) {
            return Err(violation(
                "deadlineMs",
                "a deadline of 0 ms has already passed",
                "omit deadlineMs or give a positive number of milliseconds",
            ));
        }
        if let Some(trace) = &self.trace {
            trace.validate()?;
        }
        Ok(())
    }
}

/// What a tenant's caller can reach right now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reachable {
    /// Live agents serving the tenant.
    #[serde(default)]
    pub agents: Vec<ReachableAgent>,
    /// Titans (hosted or local models) the tenant may use.
    #[serde(default)]
    pub titans: Vec<ReachableTitan>,
    /// MCP tools the tenant may call.
    #[serde(default)]
    pub tools: Vec<ReachableTool>,
}

/// A live agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReachableAgent {
    /// Agent card name.
    pub name: String,
    /// OMEGA role.
    pub role: String,
    /// Scheduling tier.
    pub tier: Tier,
    /// Preferred interface URL.
    pub url: String,
    /// Skill ids it offers.
    #[serde(default)]
    pub skills: Vec<String>,
}

/// A Titan the tenant may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReachableTitan {
    /// Titan name (routing key).
    pub name: String,
    /// Models it serves.
    #[serde(default)]
    pub models: Vec<String>,
    /// True for a model running inside the deployment (data stays local).
    #[serde(default)]
    pub local: bool,
}

/// An MCP tool the tenant may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReachableTool {
    /// MCP server name (reverse-DNS, as in the registry).
    pub server: String,
    /// Tool name.
    pub name: String,
    /// Tool description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> RouteRequest {
        RouteRequest {
            tenant: TenantId::parse("acme").unwrap(),
            skill: Some("triage-ticket".into()),
            capability: None,
            method: "triage".into(),
            arguments: serde_json::json!({"ticketId": "zendesk:1"}),
            deadline_ms: Some(5_000),
            trace: None,
        }
    }

    #[test]
    fn route_request_rules() {
        request().validate().unwrap();
        let mut bad = request();
        bad.method = " ".into();
        assert_eq!(
            bad.validate().unwrap_err().data.field.as_deref(),
            Some("method")
        );
        let mut bad = request();
        bad.arguments = serde_json::json!([1, 2]);
        let err = bad.validate().unwrap_err();
        assert_eq!(err.code, ErrorCode::INVALID_PARAMS);
        let mut bad = request();
        bad.deadline_ms = Some(0);
        assert_eq!(
            bad.validate().unwrap_err().data.field.as_deref(),
            Some("deadlineMs")
        );
        let mut bad = request();
        bad.skill = Some(String::new());
        assert_eq!(
            bad.validate().unwrap_err().data.field.as_deref(),
            Some("skill")
        );
    }

    #[test]
    fn route_request_refuses_unknown_fields() {
        let mut json = serde_json::to_value(request()).unwrap();
        json["tennant"] = "acme".into();
        assert!(serde_json::from_value::<RouteRequest>(json).is_err());
    }
}
