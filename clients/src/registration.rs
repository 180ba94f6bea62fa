//! Keeping an agent card registered: register, heartbeat in the background
//! (registering again when the registry forgot the instance), deregister on
//! [`Registration::stop`] or, best effort, on drop.

use std::sync::Arc;
use std::time::Duration;

use omega_protocol::{AgentCard, ErrorCode};
use tokio::sync::{RwLock, watch};
use tokio::task::JoinHandle;

use crate::{AgentRegistryClient, ClientError};

/// A card kept live in the agent registry.
#[derive(Debug)]
pub struct Registration {
    registry: AgentRegistryClient,
    agent_id: Arc<RwLock<String>>,
    stop: watch::Sender<bool>,
    heartbeat: Option<JoinHandle<()>>,
}

impl Registration {
    /// Registers `card` and starts heartbeats at the interval the registry asks for.
    pub async fn start(
        registry: AgentRegistryClient,
        card: AgentCard,
    ) -> Result<Registration, ClientError> {
        let (agent_id, interval) = registry.register(&card).await?;
        let agent_id = Arc::new(RwLock::new(agent_id));
        let (stop, stopped) = watch::channel(false);
        let heartbeat = tokio::spawn(heartbeat_loop(
            registry.clone(),
            card,
            agent_id.clone(),
            Duration::from_secs_f64(interval.clamp(0.05, 3600.0)),
            stopped,
        ));
        Ok(Registration {
            registry,
            agent_id,
            stop,
            heartbeat: Some(heartbeat),
        })
    }

    /// The instance id the registry assigned (it changes after a re-registration).
    pub async fn agent_id(&self) -> String {
        self.agent_id.read().await.clone()
    }

    /// Stops heartbeats and deregisters.
    pub async fn stop(mut self) -> Result<(), ClientError> {
        let _ = self.stop.send(true);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.await;
        }
        let id = self.agent_id.read().await.clone();
        self.registry.deregister(&id).await.map(drop)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.heartbeat.is_none() {
            return; // stopped already
        }
        let _ = self.stop.send(true);
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
    agent_id: Arc<RwLock<String>>,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let id = agent_id.read().await.clone();
        match registry.heartbeat(&id).await {
            Ok(()) => {}
            // The registry forgot us (expired and cleaned, or restarted
            // without its data), or holds the id under another owner (a
            // record from before owners were kept): register again under a
            // new id.
            Err(e)
                if e.code() == Some(ErrorCode::NOT_FOUND)
                    || e.code() == Some(ErrorCode::FORBIDDEN) =>
            {
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
