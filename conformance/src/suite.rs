//! OMEGA's own conformance suite: checks a server or agent against the
//! requirements in `conformance/REQUIREMENTS.md`.

mod args;
mod federation;
mod mcp;

use std::time::Duration;

use serde_json::Value;

use crate::probe::{Probe, Version};
use crate::report::{Check, Report};

/// What kind of participant is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// An MCP server offering tools to the federation.
    Server,
    /// An A2A agent: adds the agent card and registry checks.
    Agent,
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The MCP endpoint, e.g. `http://127.0.0.1:7001/mcp`.
    pub url: String,
    /// Server or agent.
    pub profile: Profile,
    /// Two tenants configured on the target (tenant-scoping checks use both).
    pub tenants: (String, String),
    /// A well-formed tenant id the target does not serve.
    pub unknown_tenant: String,
    /// The agent registry's MCP endpoint (agent profile registration check).
    pub registry: Option<String>,
    /// Where the agent card is; default: `/.well-known/agent-card.json` on the target's origin.
    pub card_url: Option<String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Size of the oversized request body sent for MCP-07.
    pub oversize_bytes: usize,
}

impl Options {
    /// Defaults for `url`: server profile, tenants `acme` and `globex`
    /// (configured by `omega up`'s default config), 5 MiB oversize probe.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            profile: Profile::Server,
            tenants: ("acme".into(), "globex".into()),
            unknown_tenant: "omega-conformance-unknown".into(),
            registry: None,
            card_url: None,
            timeout: Duration::from_secs(10),
            oversize_bytes: 5 * 1024 * 1024,
        }
    }
}

/// State shared by the checks of one run.
pub(crate) struct Run {
    pub opts: Options,
    /// The probe tool calls go through (2026-07-28 when it works, else 2025-11-25).
    pub calls: Probe,
    /// Tools from `tools/list`.
    pub tools: Vec<Value>,
    /// Every error object seen, whether it was a structured tool error, and the exchange.
    pub errors: Vec<(Value, bool, crate::probe::Exchange)>,
    pub checks: Vec<Check>,
}

impl Run {
    pub fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// Calls a tool and records any error it returns for FED-05.
    pub async fn call(&mut self, name: &str, arguments: Value) -> crate::probe::Exchange {
        let ex = self
            .calls
            .rpc(
                "tools/call",
                serde_json::json!({"name": name, "arguments": arguments}),
            )
            .await;
        if let Some((e, structured)) = mcp::error_object(&ex) {
            self.errors.push((e.clone(), structured, ex.clone()));
        }
        ex
    }

    /// Tools whose input schema requires `tenant`.
    pub fn scoped_tools(&self) -> Vec<Value> {
        self.tools
            .iter()
            .filter(|t| args::requires(&t["inputSchema"], "tenant"))
            .cloned()
            .collect()
    }
}

/// Runs every check for `opts` and returns the report.
pub async fn run(opts: Options) -> Report {
    let profile = match opts.profile {
        Profile::Server => "server",
        Profile::Agent => "agent",
    };
    let target = opts.url.clone();
    let calls = Probe::new(&opts.url, Version::V2026, opts.timeout);
    let mut run = Run {
        opts,
        calls,
        tools: Vec::new(),
        errors: Vec::new(),
        checks: Vec::new(),
    };
    mcp::discovery(&mut run).await;
    mcp::tool_schemas(&mut run).await;
    mcp::structured_results(&mut run).await;
    mcp::unknown_tool(&mut run).await;
    mcp::bad_arguments(&mut run).await;
    federation::tenant_required(&mut run).await;
    federation::tenant_isolation(&mut run).await;
    federation::trace_context(&mut run).await;
    mcp::size_limit(&mut run).await;
    federation::agent_card(&mut run).await;
    federation::error_codes(&mut run);
    federation::mtls(&mut run);
    Report {
        target,
        profile: profile.into(),
        checks: run.checks,
    }
}
