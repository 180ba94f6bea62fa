//! `omega up` and `omega serve`: for each role, bind, build, serve; write
//! the endpoints; register agent cards; stop on Ctrl-C or SIGTERM.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use omega_client::{AgentRegistryClient, McpClient, Registration};
use omega_config::OmegaConfig;
use omega_stack::McpOptions;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::backends::Backends;
use crate::role::{Peers, RoleContext, RoleId, Scaling, StopHook};
use crate::security::Security;

/// Where the roles listen.
#[derive(Debug, Clone, Copy)]
pub enum Ports {
    /// Each role on `base + RoleId::port_offset` (0: free ports).
    Base(u16),
    /// One role on this port (0: a free port).
    Single(u16),
}

/// The roles running in this process (what [`start`] returns).
pub struct Process {
    /// Role name → endpoint URL (`…/mcp` for MCP roles), plus
    /// `<role>/agent-card` → A2A card URL for the roles that are agents.
    pub endpoints: BTreeMap<String, String>,
    /// Role → base URL.
    pub peers: Peers,
    /// Cancel to stop every role.
    pub cancel: CancellationToken,
    /// What the roles asked to print.
    pub notes: Vec<String>,
    /// How the roles are secured.
    pub security: std::sync::Arc<Security>,
    backends: std::sync::Arc<Backends>,
    servers: Vec<JoinHandle<std::io::Result<()>>>,
    tasks: Vec<JoinHandle<()>>,
    stops: Vec<StopHook>,
    registrations: Vec<Registration>,
    maintenance: JoinHandle<()>,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl Process {
    /// Deregisters the agents, stops the workers (each finishes its batch),
    /// then the servers (open connections drain).
    pub async fn stop(self) -> anyhow::Result<()> {
        for r in self.registrations {
            if let Err(e) = r.stop().await {
                tracing::warn!(error = %e, "deregistering an agent failed");
            }
        }
        for stop in self.stops {
            stop().await;
        }
        self.cancel.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
        for server in self.servers {
            server.await??;
        }
        // The store closes when its last user is gone: wait for them all,
        // so the data directory can be reopened right away.
        self.maintenance.await?;
        if let Err(e) = self.backends.audit.close().await {
            tracing::warn!(error = %e, "closing the audit trail failed");
        }
        drop(self.backends);
        Ok(())
    }

    /// The endpoint of `role`.
    pub fn url(&self, role: RoleId) -> &str {
        &self.endpoints[&role.name()]
    }

    /// The ticket pipeline, when a role of this process runs it.
    pub fn pipeline(&self) -> Option<&omega_pipeline::Pipeline> {
        self.backends.built_pipeline()
    }

    /// The base URL of `role` (`http://host:port`).
    pub fn base(&self, role: RoleId) -> &str {
        self.peers.get(role).unwrap_or_default()
    }
}

/// The stack options every role shares, from configuration, with the
/// process's authenticator in the identity slot.
pub fn mcp_options(config: &OmegaConfig, backends: &Backends, security: &Security) -> McpOptions {
    McpOptions {
        max_request_bytes: config.limits.max_request_bytes,
        allowed_hosts: config.server.effective_allowed_hosts(),
        metrics: backends.metrics.clone(),
        authenticator: security.authenticator(),
        audit: Some(std::sync::Arc::new(backends.audit.clone())),
        limits: limits(config),
        ..McpOptions::default()
    }
}

/// The stack's limits from `[limits]`.
pub fn limits(config: &OmegaConfig) -> omega_stack::Limits {
    let l = &config.limits;
    let secs = Duration::from_secs;
    omega_stack::Limits {
        header_read_timeout: secs(l.header_read_timeout_secs),
        keep_alive_idle_timeout: secs(l.keep_alive_idle_timeout_secs),
        max_connections: l.max_connections,
        body_read_timeout: secs(l.body_read_timeout_secs),
        request_timeout: secs(l.request_timeout_secs),
        max_sessions: l.max_sessions,
        session_idle_timeout: secs(l.session_idle_timeout_secs),
        tenant_quota_bytes: l.tenant_quota_bytes,
    }
}

/// The roles `omega up` runs: every role, with the hosted Titans that are
/// configured (or whose key is in the environment).
pub fn up_roles(config: &OmegaConfig) -> Vec<RoleId> {
    RoleId::all()
        .into_iter()
        .filter(|r| match r {
            RoleId::Titan(t) => crate::roles::titan::enabled(&config.titans, *t),
            _ => true,
        })
        .collect()
}

/// Opens the backends and, for each role in order: binds, builds, serves,
/// registers its agent card.
pub async fn start(
    config: &OmegaConfig,
    data_dir: &Path,
    host: IpAddr,
    ports: Ports,
    roles: &[RoleId],
    scaling: Scaling,
) -> anyhow::Result<Process> {
    let backends = std::sync::Arc::new(Backends::open(config, data_dir).await?);
    let names: Vec<String> = roles.iter().map(|r| r.name()).collect();
    let security = std::sync::Arc::new(Security::from_config(config, data_dir, &names)?);
    let cancel = CancellationToken::new();
    let mut bound = Vec::new();
    let mut peers = Peers::from_config(config);
    for &role in roles {
        let port = match ports {
            Ports::Base(0) | Ports::Single(0) => 0,
            Ports::Base(base) => base + role.port_offset(),
            Ports::Single(port) => port,
        };
        let b = omega_stack::bind(SocketAddr::new(host, port))
            .await
            .with_context(|| format!("cannot listen on {host}:{port} for {role}"))?;
        let shown = if host.is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            host
        };
        let address = SocketAddr::new(shown, b.addr.port());
        peers.insert(role, format!("{}://{address}", security.scheme()));
        bound.push((role, b));
    }
    let mut running = Process {
        endpoints: BTreeMap::new(),
        peers: peers.clone(),
        cancel: cancel.clone(),
        notes: Vec::new(),
        security: security.clone(),
        backends: backends.clone(),
        servers: Vec::new(),
        tasks: Vec::new(),
        stops: Vec::new(),
        registrations: Vec::new(),
        maintenance: backends.spawn_maintenance(cancel.clone()),
    };
    for (role, b) in bound {
        let base = peers.get(role).unwrap_or_default().to_owned();
        let ctx = RoleContext {
            role,
            config,
            backends: &backends,
            peers: &peers,
            self_url: base.clone(),
            mcp: mcp_options(config, &backends, &security),
            cancel: cancel.clone(),
            scaling,
            connection: security.connection(&role.name())?,
        };
        let parts = match role.role().build(&ctx).await {
            Ok(parts) => parts,
            Err(e) => {
                let _ = running.stop().await;
                return Err(e.context(format!("starting the {role} role")));
            }
        };
        let transport = security.transport(&role.name())?;
        let limits = limits(config);
        let router = security.wrap(parts.app.into_router());
        let stop = cancel.clone();
        running.servers.push(tokio::spawn(async move {
            omega_stack::serve_limited(
                b.listener,
                router,
                transport,
                &limits,
                stop,
                Duration::from_secs(5),
            )
            .await
        }));
        running.tasks.extend(parts.tasks);
        running.stops.extend(parts.stops);
        running.notes.extend(parts.notes);
        running
            .endpoints
            .insert(role.name(), format!("{base}{}", role.path()));
        if let Some(card) = parts.card {
            running.endpoints.insert(
                format!("{}/agent-card", role.name()),
                crate::roles::card_url(&base),
            );
            match register(&peers, role, card, &ctx.connection).await {
                Ok(r) => running.registrations.push(r),
                Err(e) => {
                    let _ = running.stop().await;
                    return Err(e);
                }
            }
        }
    }
    Ok(running)
}

async fn register(
    peers: &Peers,
    role: RoleId,
    card: omega_protocol::AgentCard,
    connection: &omega_client::Connection,
) -> anyhow::Result<Registration> {
    let url = peers.mcp_url(RoleId::AgentRegistry, role)?;
    let registry = AgentRegistryClient::new(
        McpClient::over(connection, &url, omega_client::McpVersion::V2026_07_28)
            .await
            .with_context(|| format!("the {role} role cannot reach the agent registry at {url}"))?,
    );
    Registration::start(registry, card)
        .await
        .with_context(|| format!("registering the {role} role's agent card"))
}

/// Runs `roles` until Ctrl-C or SIGTERM: writes `<data-dir>/endpoints.json`
/// and prints the endpoints once every role is ready.
pub async fn run(
    config: OmegaConfig,
    data_dir: &Path,
    host: IpAddr,
    ports: Ports,
    roles: &[RoleId],
    scaling: Scaling,
    demo: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let running = start(&config, data_dir, host, ports, roles, scaling).await?;
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
        println!("{role:<32} {url}");
    }
    println!("endpoints written to {}", endpoints_path.display());
    for note in &running.notes {
        println!("{note}");
    }
    if let Some(token) = running.security.dev_token() {
        let path = data_dir.join("token");
        omega_store::files::write_private_atomic(&path, token.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        println!(
            "TLS on: CA {}; operator bearer token (12 h, every tenant) in {}",
            data_dir.join("pki").join("ca.pem").display(),
            path.display(),
        );
    }
    if demo {
        crate::demo::run(&running, &config).await?;
    }
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
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "no SIGTERM handler; stopping on Ctrl-C only");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
