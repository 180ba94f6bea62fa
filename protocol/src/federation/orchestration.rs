//! Wire types of the orchestrator role's MCP tools (`orchestrator_call`,
//! `orchestrator_classify`) and of a Titan role's `titan_call` tool; the
//! server (`omega serve orchestrator`) and its client (`omega-client`)
//! share them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::TenantId;
use crate::error::OmegaError;
use crate::federation::{TitanCallRequest, TitanCallResult, Usage};
use crate::triage::DecidedBy;

/// `orchestrator_call`: answer `request` with the strategy configured for
/// `taskType` (or the Titan the request names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrchestrateRequest {
    /// The task type whose strategy answers (`classification`, `summarize`, ...).
    pub task_type: String,
    /// The Titan call; its `tenant` is the tenant the call is made for.
    pub request: TitanCallRequest,
}

/// What one Titan did during an orchestrated call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TitanAttempt {
    /// Titan name.
    pub titan: String,
    /// The classification confidence read from its answer, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Why it failed; absent when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<OmegaError>,
}

/// The answer of `orchestrator_call`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrchestrateResult {
    /// The answer.
    pub result: TitanCallResult,
    /// The strategy used (`single`, `fallback`, `fanOut`, `cheapestFirst`, `named`).
    pub strategy: String,
    /// The Titans whose answer decided, most confident first.
    pub decided_by: Vec<String>,
    /// The decision's confidence (fan-out and cheapest-first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Every Titan tried, in order (a fallback after a failure shows here).
    pub attempts: Vec<TitanAttempt>,
    /// Tokens and cost of all calls made.
    pub usage: Usage,
}

/// `orchestrator_classify`: classify a ticket's text for a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassifyRequest {
    /// The tenant the ticket belongs to.
    pub tenant: TenantId,
    /// The ticket's (redacted) subject and body.
    pub text: String,
}

/// The answer of `orchestrator_classify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassifyResult {
    /// The category; absent when the deciders abstained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Confidence in `[0, 1]`.
    pub confidence: f64,
    /// The Titan (or local model) that decided.
    pub decided_by: DecidedBy,
    /// The strategy used.
    pub strategy: String,
    /// Every Titan tried, in order.
    pub attempts: Vec<TitanAttempt>,
}
