//! Joining the federation as a third-party agent: serve MCP tools on OMEGA's
//! server stack, register the Agent Card, keep heartbeats going, and
//! deregister on shutdown (or, best effort, on drop).

use std::net::SocketAddr;
use std::time::Duration;

use omega_protocol::AgentCard;
use omega_stack::{McpOptions, RoleApp, ToolSet};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{AgentRegistryClient, ClientError, Connection, McpClient, McpVersion, Registration};

/// A running agent: its MCP server and its registration (heartbeats).
#[derive(Debug)]
pub struct Agent {
    registration: Option<Registration>,
    url: String,
    cancel: CancellationToken,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl Agent {
    /// Serves `tools` on `bind` (port 0 picks one), points the card's first
    /// interface at that MCP endpoint, registers the card with the agent
    /// registry at `registry_url`, and keeps heartbeats going.
    pub async fn start<S: Send + Sync + 'static>(
        connection: &Connection,
        registry_url: &str,
        mut card: AgentCard,
        instructions: &str,
        tools: ToolSet<S>,
        bind: SocketAddr,
    ) -> Result<Agent, ClientError> {
        let cancel = CancellationToken::new();
        let bound = omega_stack::bind(bind)
            .await
            .map_err(|e| ClientError::Transport(format!("cannot listen on {bind}: {e}")))?;
        let url = format!("http://{}/mcp", bound.addr);
        let app = RoleApp::new("omega-agent").with_tools(
            instructions,
            tools,
            &McpOptions::default(),
            cancel.clone(),
        );
        let server = tokio::spawn(omega_stack::serve(
            bound.listener,
            app.into_router(),
            cancel.clone(),
            Duration::from_secs(2),
        ));
        match card.supported_interfaces.first_mut() {
            Some(first) => {
                first.url = url.clone();
                first.protocol_binding = "MCP".into();
            }
            None => {
                cancel.cancel();
                return Err(ClientError::Protocol(
                    "the card needs at least one supportedInterfaces entry (its url is filled in)"
                        .into(),
                ));
            }
        }
        let mcp = McpClient::over(connection, registry_url, McpVersion::V2026_07_28).await?;
        let registration = match Registration::start(AgentRegistryClient::new(mcp), card).await {
            Ok(r) => r,
            Err(e) => {
                cancel.cancel();
                return Err(e);
            }
        };
        Ok(Agent {
            registration: Some(registration),
            url,
            cancel,
            server: Some(server),
        })
    }

    /// The instance id the registry assigned.
    pub async fn agent_id(&self) -> String {
        match &self.registration {
            Some(r) => r.agent_id().await,
            None => String::new(),
        }
    }

    /// The agent's own MCP endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Deregisters, stops heartbeats and the server, and waits for them.
    pub async fn shutdown(mut self) -> Result<(), ClientError> {
        let result = match self.registration.take() {
            Some(r) => r.stop().await,
            None => Ok(()),
        };
        self.cancel.cancel();
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        result
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        // The registration deregisters itself (best effort) when dropped.
        self.cancel.cancel();
    }
}
