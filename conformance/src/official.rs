//! The official MCP conformance suite (`@modelcontextprotocol/conformance`):
//! runs its server scenarios against a URL and judges the results against a
//! strict baseline ([`Baseline`], `conformance/expected-failures.toml`).
//!
//! An unlisted failure is an error; so is a listed entry whose scenario (or
//! check) now passes, or that names a scenario that did not run: the baseline
//! must shrink when things get fixed.

mod baseline;
mod runner;

pub use baseline::{Baseline, BaselineError, Expected};
pub use runner::{
    CheckOutcome, Judgement, OfficialRun, RunError, ScenarioOutcome, Selection, Tools, judge,
};

/// The pinned suite version; `scripts/conformance-tools` installs the same.
pub const SUITE_VERSION: &str = "0.2.0-alpha.12";

/// Scenarios that test the protocol and transport rather than the fixture
/// tools, resources and prompts: these run against every production server.
pub const PROTOCOL_SCENARIOS_2025_11_25: &[&str] = &[
    "server-initialize",
    "server-session-lifecycle",
    "ping",
    "tools-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
];

/// The protocol-level scenarios for 2026-07-28 (stateless).
pub const PROTOCOL_SCENARIOS_2026_07_28: &[&str] = &[
    "server-stateless",
    "tools-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "caching",
    "http-header-validation",
    "input-required-result-unsupported-methods",
];

/// Optional extensions (not part of any dated version) run for visibility.
pub const EXTENSION_SCENARIOS: &[&str] = &[
    "tasks-lifecycle",
    "tasks-capability-negotiation",
    "tasks-wire-fields",
    "sep-2640-skills-enumeration",
];
