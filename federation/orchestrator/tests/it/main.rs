//! Integration tests of the orchestrator and its A2A server.

mod fake;
mod strategies;
