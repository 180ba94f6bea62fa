//! End-to-end tests of the OMEGA roles: in-process servers driven over real
//! HTTP by `omega-client`, the `omega` binary as a process, Redis, and the
//! official Python MCP SDK.
#![allow(missing_docs)]

mod agent_registry;
mod composition;
mod context;
mod deployment;
mod federation;
mod harness;
mod limits;
mod mcp_registry;
mod owners;
mod process;
mod python;
mod redis;
mod tls;
