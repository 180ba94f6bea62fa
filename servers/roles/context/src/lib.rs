//! The context server: OMEGA's memory, as MCP tools.
//!
//! - Short-term memory: `session_get`, `session_put`, `session_delete`
//!   (JSON values with a TTL, per tenant).
//! - Hot cache: `cache_get`, `cache_put` (TTL, misses are not errors).
//! - Long-term semantic memory: `memory_store`, `memory_search` (text plus
//!   metadata in; nearest entries with scores out).
//! - Ticket context: `ticket_record` stores a resolved ticket,
//!   `ticket_context` returns the most similar past tickets and how they
//!   were resolved.
//!
//! Every tool is tenant-scoped: the stack checks the `tenant` argument and
//! the store derives every key from it. Each tenant may keep at most
//! `limits.tenant_quota_bytes` (default 64 MiB) in sessions, cache, memory
//! and ticket history together; a write past it fails with
//! `quota_exceeded` (-32018) and stores nothing.

mod app;
mod embed;
mod memory;
mod quota;
mod state;
mod tools;
mod types;

pub use app::app;
pub use embed::{DIMENSIONS, Embedder};
pub use state::ContextState;
pub use tools::{INSTRUCTIONS, tool_set, tool_set_with_quota};
pub use types::*;
