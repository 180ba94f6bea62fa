//! OMEGA wire types: tickets, triage results, agent cards, MCP registry
//! records, federation envelopes and error codes.
//!
//! This crate does no I/O. Servers, clients, the federation core and the
//! conformance suite depend on it; it depends on none of them. Every type
//! derives `serde` and `schemars`; the JSON Schemas in `protocol/schema/` are
//! generated from them by [`schemas`] (`OMEGA_UPDATE_SCHEMAS=1 cargo test -p
//! omega-protocol`) and a test fails when the checked-in files are stale.
//!
//! Records that cross a trust boundary have a `validate()` returning an
//! [`OmegaError`] with [`ErrorCode::SCHEMA_VIOLATION`] (or the code named in
//! its docs) and `data.field` naming the offending field.

mod check;

pub mod agent_card;
pub mod error;
pub mod federation;
pub mod mcp_registry;
pub mod queues;
pub mod schema;
pub mod tenant;
pub mod ticket;
pub mod triage;

pub use agent_card::{
    A2A_PROTOCOL_VERSION, AgentCapabilities, AgentCard, AgentCardSignature, AgentExtension,
    AgentInterface, AgentProvider, AgentSkill, OMEGA_EXTENSION_URI, OmegaAgentFields,
    SecurityRequirement, SecurityScheme, TenantScope, Tier,
};
pub use error::{ErrorCode, ErrorDetails, OmegaError};
pub use federation::{
    ChatMessage, ChatRole, ClassifyRequest, ClassifyResult, FinishReason, JsonRpcRequest,
    JsonRpcResponse, JsonRpcVersion, OrchestrateRequest, OrchestrateResult, Reachable,
    ReachableAgent, ReachableTitan, ReachableTool, RequestId, ResponsePayload, RouteRequest,
    TRACE_META_KEY, TitanAttempt, TitanCallRequest, TitanCallResult, ToolCall, ToolSpec,
    TraceContext, Usage,
};
pub use mcp_registry::{
    ListMetadata, McpServerRecord, McpServerStatus, OfficialMeta, Package, Remote, RemoteType,
    Repository, ResponseMeta, ServerList, ServerResponse, Transport,
};
pub use schema::schemas;
pub use tenant::TenantId;
pub use ticket::{Attachment, Priority, SourceFields, SourcePlatform, Ticket};
pub use triage::{
    ActionKind, DecidedBy, DeciderKind, Decision, SimilarTicket, SuggestedAction, TriageResult,
};
