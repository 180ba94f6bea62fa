//! The fixture MCP server the official conformance suite's server scenarios
//! run against.
//!
//! It is served by OMEGA's own stack ([`omega_stack::RoleApp`]) with the same
//! transport options, identity layer and middleware as the production roles,
//! so a pass here says the stack speaks MCP as the specification says. The
//! fixtures (tool, resource and prompt names, their exact outputs) are the
//! ones the suite's scenarios expect; they are described by the suite, not by
//! OMEGA.

mod calls;
mod catalog;
mod handler;
mod mrtr;
mod seal;

use std::net::SocketAddr;
use std::time::Duration;

use omega_stack::{McpOptions, RoleApp};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use handler::FixtureServer;

/// The fixture server as a role application on OMEGA's stack.
pub fn app(cancel: CancellationToken) -> RoleApp {
    RoleApp::new("omega-conformance-fixture").with_mcp_handler(
        FixtureServer::new(),
        &McpOptions::default(),
        cancel,
    )
}

/// A fixture server running in this process.
#[derive(Debug)]
pub struct RunningFixture {
    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    pub url: String,
    cancel: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningFixture {
    /// Stops the server and waits for it to drain.
    pub async fn stop(self) -> std::io::Result<()> {
        self.cancel.cancel();
        self.task
            .await
            .map_err(|e| std::io::Error::other(format!("fixture task failed: {e}")))?
    }
}

/// Binds `addr` (port 0 for a free port) and serves the fixture there.
pub async fn spawn(addr: SocketAddr) -> std::io::Result<RunningFixture> {
    let bound = omega_stack::bind(addr).await?;
    let cancel = CancellationToken::new();
    let router = app(cancel.clone()).into_router();
    let url = format!("http://{}/mcp", bound.addr);
    let shutdown = cancel.clone();
    let task = tokio::spawn(async move {
        omega_stack::serve(bound.listener, router, shutdown, Duration::from_secs(2)).await
    });
    Ok(RunningFixture { url, cancel, task })
}
