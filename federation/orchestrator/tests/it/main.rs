//! Integration tests of the orchestrator and its A2A server.

mod a2a;
mod fake;
mod strategies;
mod trace;
