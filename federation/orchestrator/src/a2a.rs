//! A2A 1.0 agents over the JSON-RPC binding.
//!
//! [`a2a_router`] serves any [`A2aAgent`]: its card at
//! `/.well-known/agent-card.json` and `SendMessage`, `SendStreamingMessage`
//! (Server-Sent Events), `GetTask` and `CancelTask` on `POST /`, checking the
//! `A2A-Version` header (major version 1; a missing header means 0.3 and is
//! refused). Tasks are kept in memory. [`TitanAgent`] turns an
//! orchestrator-backed Titan or task type into an agent.
//!
//! A message's `metadata.tenant` names the tenant; its trace context travels
//! in `metadata["io.omega/trace"]` (or `metadata.traceparent`). An agent's
//! failure is a task in `TASK_STATE_FAILED` whose status message says what
//! went wrong and whose `metadata.error` holds the OMEGA error.

mod agent;
mod server;
mod store;
pub mod types;

pub use agent::{A2aAgent, A2aRequest, AgentEvent, AgentStream, TitanAgent, titan_card};
pub use server::{AGENT_CARD_PATH, VERSION_HEADER, a2a_router, codes};
pub use store::MAX_TASKS;
