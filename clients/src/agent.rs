//! Joining the federation as a third-party agent: serve MCP tools on OMEGA's
//! server stack, register the Agent Card, keep heartbeats going, and
//! deregister on shutdown (or, best effort, on drop).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use omega_protocol::{AgentCard, ErrorCode};
use omega_stack::{McpOptions, RoleApp, ToolSet};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{AgentRegistryClient, ClientError, Connection, McpClient, McpVersion};

/// A running agent: its MCP server, its registration and its heartbeat task.
#[derive(Debug)]
pub struct Agent {
    registry: AgentRegistryClient,
    agent_id: Arc<tokio::sync::RwLock<String>>,
    url: String,
    cancel: CancellationToken,
    heartbeat: Option<JoinHandle<()>>,
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
                return Err(ClientError::Protocol(
                    "the card needs at least one supportedInterfaces entry (its url is filled in)"
                        .into(),
                ));
            }
        }
        let mcp = McpClient::over(connection, registry_url, McpVersion::V2026_07_28).await?;
        let registry = AgentRegistryClient::new(mcp);
        let (agent_id, interval) = registry.register(&card).await?;
        let agent_id = Arc::new(tokio::sync::RwLock::new(agent_id));
        let heartbeat = tokio::spawn(heartbeat_loop(
            registry.clone(),
            card,
            agent_id.clone(),
            Duration::from_secs_f64(interval.clamp(0.05, 3600.0)),
            cancel.clone(),
        ));
        Ok(Agent {
            registry,
            agent_id,
            url,
            cancel,
            heartbeat: Some(heartbeat),
            server: Some(server),
        })
    }

    /// The instance id the registry assigned.
    pub async fn agent_id(&self) -> String {
        self.agent_id.read().await.clone()
    }

    /// The agent's own MCP endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Deregisters, stops heartbeats and the server, and waits for them.
    pub async fn shutdown(mut self) -> Result<(), ClientError> {
        self.cancel.cancel();
        if let Some(h) = self.heartbeat.take() {
            let _ = h.await;
        }
        let id = self.agent_id.read().await.clone();
        let result = self.registry.deregister(&id).await.map(drop);
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        result
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if self.heartbeat.is_none() {
            return; // already shut down
        }
        self.cancel.cancel();
        // Best effort: deregister in the background if a runtime is around.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let registry = self.registry.clone();
            let id = self.agent_id.clone();
            handle.spawn(async move {
                let id = id.read().await.clone();
                let _ = registry.deregister(&id).await;
            });
        }
    }
}

async fn heartbeat_loop(
    registry: AgentRegistryClient,
    card: AgentCard,
    agent_id: Arc<tokio::sync::RwLock<String>>,
    interval: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let id = agent_id.read().await.clone();
        match registry.heartbeat(&id).await {
            Ok(()) => {}
            // The registry forgot us (expired and cleaned, or restarted
            // without its data): register again under a new id.
            Err(e) if e.code() == Some(ErrorCode::NOT_FOUND) => {
                match registry.register(&card).await {
                    Ok((new_id, _)) => {
                        tracing::info!(old = %id, new = %new_id, "re-registered with the agent registry");
                        *agent_id.write().await = new_id;
                    }
                    Err(e) => tracing::warn!(error = %e, "re-registration failed"),
                }
            }
            Err(e) => tracing::warn!(error = %e, agent_id = %id, "heartbeat failed"),
        }
    }
}
