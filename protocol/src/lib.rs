//! OMEGA wire types: tickets, triage results, agent cards, MCP registry
//! records, federation envelopes and error codes.
//!
//! This crate does no I/O. Servers, clients, the federation core and the
//! conformance suite depend on it; it depends on none of them. Every type
//! derives `serde` and `schemars`; the JSON Schemas in `protocol/schema/` are
//! generated from them (`OMEGA_UPDATE_SCHEMAS=1 cargo test -p omega-protocol`)
//! and a test fails when the checked-in files are stale.

pub mod error;
pub mod tenant;
pub mod ticket;

pub use error::{ErrorCode, ErrorDetails, OmegaError};
pub use tenant::TenantId;
pub use ticket::{Attachment, Priority, SourceFields, SourcePlatform, Ticket};
