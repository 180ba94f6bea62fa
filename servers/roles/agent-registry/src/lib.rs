//! The agent registry: who exists in the federation, what they can do, and
//! whether they are alive.
//!
//! Agents register an A2A Agent Card and receive an instance id (one per
//! running replica), then send heartbeats. An instance is **live** while its
//! last heartbeat is younger than the configured expiry; discovery only
//! returns live instances. Each card is also served over HTTP at the A2A
//! well-known path, `/agents/{agentId}/.well-known/agent-card.json`, and the
//! registry's own card at `/.well-known/agent-card.json`.
//!
//! Every agent is owned by the identity that registered it (the caller of
//! `agent_register`): only that identity, or an operator, may heartbeat or
//! deregister it; anyone else gets `forbidden` and nothing changes.

mod app;
mod owner;
mod state;
#[cfg(test)]
mod tests;
mod tools;
mod types;

pub use app::app;
pub use state::RegistryState;
pub use tools::{INSTRUCTIONS, tool_set};
pub use types::*;
