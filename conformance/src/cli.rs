//! The command line: `omega-conformance check <url>` (also embedded as
//! `omega conformance <url>`) and `omega-conformance fixture`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::suite::{Options, Profile};

/// Arguments of a conformance check against one server or agent.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The MCP endpoint to check, e.g. http://127.0.0.1:7001/mcp.
    pub url: String,
    /// `server` (MCP server) or `agent` (A2A agent: adds agent card and registry checks).
    #[arg(long, value_enum, default_value = "server")]
    pub profile: Profile,
    /// Two tenants configured on the target, for the tenant-scoping checks.
    #[arg(long = "tenant", num_args = 1, default_values = ["acme", "globex"])]
    pub tenants: Vec<String>,
    /// A well-formed tenant id the target does not serve.
    #[arg(long, default_value = "omega-conformance-unknown")]
    pub unknown_tenant: String,
    /// The agent registry's MCP endpoint (agent profile: registration and heartbeat check).
    #[arg(long)]
    pub registry: Option<String>,
    /// The agent card URL (default: /.well-known/agent-card.json on the target's origin).
    #[arg(long)]
    pub card_url: Option<String>,
    /// Write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
}

impl CheckArgs {
    /// The suite options these arguments describe.
    pub fn options(&self) -> Result<Options, String> {
        let [a, b] = self.tenants.as_slice() else {
            return Err(format!(
                "give exactly two --tenant values (got {}): the tenant-isolation check writes as the first and reads as the second",
                self.tenants.len()
            ));
        };
        let mut opts = Options::new(self.url.clone());
        opts.profile = self.profile;
        opts.tenants = (a.clone(), b.clone());
        opts.unknown_tenant = self.unknown_tenant.clone();
        opts.registry = self.registry.clone();
        opts.card_url = self.card_url.clone();
        opts.timeout = Duration::from_secs(self.timeout_secs.max(1));
        Ok(opts)
    }
}

/// Runs the check, prints the report, writes JUnit when asked; returns the
/// process exit code (0 all passed, 1 a check failed, 2 bad usage or I/O).
pub async fn run_check(args: CheckArgs) -> i32 {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let report = crate::suite::run(opts).await;
    print!("{}", report.render());
    if let Some(path) = &args.junit
        && let Err(e) = std::fs::write(path, report.junit())
    {
        eprintln!("error: cannot write JUnit XML to {}: {e}", path.display());
        return 2;
    }
    if report.passed() { 0 } else { 1 }
}

#[derive(Debug, Parser)]
#[command(
    name = "omega-conformance",
    about = "Checks that an MCP server or A2A agent can join an OMEGA federation."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a server or agent against conformance/REQUIREMENTS.md.
    Check(CheckArgs),
    /// Serve the official suite's fixture server on OMEGA's stack until Ctrl-C.
    Fixture {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
    },
}

/// Parses `args` (including the program name) and runs the command; returns the exit code.
pub async fn run_cli(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Check(args) => run_check(args).await,
        Command::Fixture { listen } => match crate::fixture::spawn(listen).await {
            Err(e) => {
                eprintln!("error: cannot listen on {listen}: {e}");
                2
            }
            Ok(fixture) => {
                println!("fixture MCP server at {}", fixture.url);
                let _ = tokio::signal::ctrl_c().await;
                match fixture.stop().await {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("error: {e}");
                        2
                    }
                }
            }
        },
    }
}
