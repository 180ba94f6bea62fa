//! OMEGA conformance: checks that a server or agent can join an OMEGA federation.
//!
//! Two halves:
//! - [`fixture`]: an MCP server on OMEGA's own stack implementing the fixtures
//!   the official MCP conformance suite (`@modelcontextprotocol/conformance`)
//!   expects, and [`official`], which runs that suite and judges its results
//!   against `conformance/expected-failures.toml`.
//! - OMEGA's own suite ([`run`], [`Report`]): requirement-by-requirement checks
//!   of an MCP server or A2A agent that wants to join a federation, with a
//!   readable report and JUnit XML. Requirement ids and sentences live in
//!   `conformance/REQUIREMENTS.md`.

// The fixtures exercise logging, sampling and roots, which SEP-2577 deprecates
// but protocol 2025-11-25 (and the suite's scenarios for it) still has.
pub mod cli;
#[allow(deprecated)]
pub mod fixture;
pub mod official;
pub mod probe;
pub mod report;
pub mod requirements;
pub mod suite;

pub use cli::{CheckArgs, run_check, run_cli};
pub use report::{Check, Report, Status};
pub use suite::{Options, Profile, run};
