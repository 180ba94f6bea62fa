//! `omega up` and `omega serve`: bind, serve, write endpoints, stop on Ctrl-C.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use omega_config::OmegaConfig;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::roles::{self, Backends, Role};

/// Roles running in this process.
#[derive(Debug)]
pub struct Running {
    /// Role name → MCP endpoint URL.
    pub endpoints: BTreeMap<String, String>,
    /// Cancel to stop every role.
    pub cancel: CancellationToken,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Stops every role and waits for open connections to drain.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.cancel.cancel();
        for task in self.tasks {
            task.await??;
        }
        Ok(())
    }

    /// The MCP endpoint of `role`.
    pub fn url(&self, role: Role) -> &str {
        &self.endpoints[role.name()]
    }
}

/// Opens the backends and starts `roles`, on consecutive ports from
/// `port_base` (or free ports when it is 0).
pub async fn start(
    config: &OmegaConfig,
    data_dir: &Path,
    host: IpAddr,
    port_base: u16,
    roles: &[Role],
) -> anyhow::Result<Running> {
    let backends = Backends::open(config, data_dir).await?;
    let cancel = CancellationToken::new();
    let mut endpoints = BTreeMap::new();
    let mut tasks = Vec::new();
    for (i, &role) in roles.iter().enumerate() {
        let port = if port_base == 0 {
            0
        } else {
            port_base + i as u16
        };
        let bound = omega_stack::bind(SocketAddr::new(host, port))
            .await
            .with_context(|| format!("cannot listen on {host}:{port} for {}", role.name()))?;
        endpoints.insert(role.name().to_owned(), format!("http://{}/mcp", bound.addr));
        let router = roles::build(role, config, &backends, cancel.clone()).into_router();
        let cancel = cancel.clone();
        tasks.push(tokio::spawn(async move {
            omega_stack::serve(bound.listener, router, cancel, Duration::from_secs(5)).await
        }));
    }
    backends.spawn_maintenance(cancel.clone());
    Ok(Running {
        endpoints,
        cancel,
        tasks,
    })
}

/// Runs `roles` in this process until Ctrl-C (or SIGTERM).
pub async fn up(
    config: OmegaConfig,
    data_dir: PathBuf,
    host: IpAddr,
    port_base: u16,
    roles: &[Role],
) -> anyhow::Result<()> {
    let started = Instant::now();
    let running = start(&config, &data_dir, host, port_base, roles).await?;
    let endpoints_path = data_dir.join("endpoints.json");
    std::fs::write(
        &endpoints_path,
        serde_json::to_vec_pretty(&running.endpoints)?,
    )
    .with_context(|| format!("writing {}", endpoints_path.display()))?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        endpoints = %endpoints_path.display(),
        "ready"
    );
    for (role, url) in &running.endpoints {
        println!("{role:<16} {url}");
    }
    println!("endpoints written to {}", endpoints_path.display());

    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
