//! `omega up` and `omega serve`: bind, serve, write endpoints, stop on Ctrl-C.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use omega_config::OmegaConfig;
use tokio_util::sync::CancellationToken;

use crate::roles::{self, Backends, Role};

/// Runs `roles` in this process until Ctrl-C (or SIGTERM).
pub async fn up(
    config: OmegaConfig,
    data_dir: PathBuf,
    host: IpAddr,
    port_base: u16,
    roles: &[Role],
) -> anyhow::Result<()> {
    let started = Instant::now();
    let backends = Backends::open(&config, &data_dir).await?;
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
        let url = format!("http://{}/mcp", bound.addr);
        endpoints.insert(role.name().to_owned(), url);
        let router = roles::build(role, &config, &backends, cancel.clone()).into_router();
        let cancel = cancel.clone();
        tasks.push(tokio::spawn(async move {
            omega_stack::serve(bound.listener, router, cancel, Duration::from_secs(5)).await
        }));
    }
    let endpoints_path = data_dir.join("endpoints.json");
    std::fs::write(&endpoints_path, serde_json::to_vec_pretty(&endpoints)?)
        .with_context(|| format!("writing {}", endpoints_path.display()))?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        endpoints = %endpoints_path.display(),
        "ready"
    );
    for (role, url) in &endpoints {
        println!("{role:<16} {url}");
    }
    println!("endpoints written to {}", endpoints_path.display());

    shutdown_signal().await;
    tracing::info!("shutting down");
    cancel.cancel();
    for task in tasks {
        task.await??;
    }
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
