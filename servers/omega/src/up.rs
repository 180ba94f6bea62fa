//! `omega up` and `omega serve`: bind, serve, write endpoints, stop on Ctrl-C.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use omega_config::OmegaConfig;
use omega_pipeline::Pipeline;
use omega_protocol::TenantId;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::loop_roles;
use crate::roles::{self, Backends, Role};

/// Roles running in this process.
pub struct Running {
    /// Role name → endpoint URL (`…/mcp` for MCP roles).
    pub endpoints: BTreeMap<String, String>,
    /// Cancel to stop every role.
    pub cancel: CancellationToken,
    /// The ticket pipeline, when ingest or the dashboard runs here.
    pub pipeline: Option<Pipeline>,
    /// A dashboard sign-in token for development, when the dashboard runs here.
    pub dev_token: Option<String>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
    workers: Option<omega_pipeline::Running>,
    dashboard: Option<omega_dashboard::Running>,
    maintenance: JoinHandle<()>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Stops every role and worker and waits for open connections to drain.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.cancel.cancel();
        if let Some(w) = self.workers {
            w.stop().await;
        }
        if let Some(d) = self.dashboard {
            d.stop().await;
        }
        for task in self.tasks {
            task.await??;
        }
        // The store closes when its last user is gone: wait for them all,
        // so the data directory can be reopened right away.
        self.maintenance.await?;
        Ok(())
    }

    /// The endpoint of `role`.
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
    let mut bound = Vec::new();
    for (i, &role) in roles.iter().enumerate() {
        let port = if port_base == 0 {
            0
        } else {
            port_base + i as u16
        };
        let b = omega_stack::bind(SocketAddr::new(host, port))
            .await
            .with_context(|| format!("cannot listen on {host}:{port} for {}", role.name()))?;
        bound.push((role, b));
    }
    let mut endpoints = BTreeMap::new();
    for (role, b) in &bound {
        endpoints.insert(
            role.name().to_owned(),
            format!("http://{}{}", b.addr, role.path()),
        );
    }
    let serve = |listener, router, cancel: &CancellationToken| {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            omega_stack::serve(listener, router, cancel, Duration::from_secs(5)).await
        })
    };

    let mut tasks = Vec::new();
    let mut loop_roles_wanted = Vec::new();
    for (role, b) in bound {
        match role {
            Role::Ingest | Role::Dashboard => loop_roles_wanted.push((role, b)),
            Role::Federation => {
                // The registries of this process, or (for `omega serve
                // federation`) OMEGA_AGENT_REGISTRY_URL / OMEGA_MCP_REGISTRY_URL.
                let url = |r: Role, env: &str| {
                    endpoints
                        .get(r.name())
                        .cloned()
                        .or_else(|| std::env::var(env).ok())
                        .with_context(|| {
                            format!(
                                "the federation needs the {}: run it here or set {env}",
                                r.name()
                            )
                        })
                };
                let state = crate::federation_role::state(
                    data_dir,
                    &url(Role::AgentRegistry, "OMEGA_AGENT_REGISTRY_URL")?,
                    &url(Role::McpRegistry, "OMEGA_MCP_REGISTRY_URL")?,
                    omega_stack::TenantPolicy::new(config.tenants.iter().map(|t| t.id.clone())),
                )
                .await?;
                publish_own_servers(&endpoints).await;
                if let Err(e) = state.refresh_catalog().await {
                    tracing::warn!(error = %e, "first catalog refresh failed");
                }
                omega_federation::spawn_refresher(&state, cancel.clone());
                let router = omega_federation::app(
                    state,
                    &roles::mcp_options(config, &backends),
                    cancel.clone(),
                )
                .into_router();
                tasks.push(serve(b.listener, router, &cancel));
            }
            _ => {
                let router = roles::build(role, config, &backends, cancel.clone()).into_router();
                tasks.push(serve(b.listener, router, &cancel));
            }
        }
    }

    let (mut pipeline, mut workers, mut dashboard_running, mut dev_token) =
        (None, None, None, None);
    if !loop_roles_wanted.is_empty() {
        let context_url = endpoints
            .get(Role::Context.name())
            .cloned()
            .or_else(|| config.pipeline.context_url.clone());
        let p = loop_roles::pipeline(config, &backends, data_dir, context_url.as_deref()).await?;
        let running = p.start(&cancel);
        spawn_gauges(&backends.metrics, &p, &running.capacity, config, &cancel);
        for (role, b) in loop_roles_wanted {
            match role {
                Role::Ingest => {
                    let router = p
                        .ingest_app()
                        .with_metrics(backends.metrics.clone())
                        .into_router();
                    tasks.push(serve(b.listener, router, &cancel));
                }
                Role::Dashboard => {
                    let url = context_url.clone().context(
                        "the dashboard needs the context server: run it here or set pipeline.contextUrl",
                    )?;
                    let tenant = config
                        .tenants
                        .first()
                        .map(|t| t.id.clone())
                        .unwrap_or_else(|| TenantId::parse("demo").expect("static id"));
                    let context = omega_client::ContextClient::new(
                        omega_client::McpClient::connect(&url).await?,
                        tenant,
                    );
                    let parts = loop_roles::dashboard(
                        config,
                        &backends,
                        data_dir,
                        &p,
                        running.capacity.clone(),
                        context,
                    )?;
                    dashboard_running = Some(loop_roles::start_dashboard(
                        &parts.dashboard,
                        config,
                        &cancel,
                    ));
                    let router = loop_roles::dashboard_app(
                        &parts.dashboard,
                        &roles::mcp_options(config, &backends),
                        cancel.clone(),
                    )
                    .into_router();
                    tasks.push(serve(b.listener, router, &cancel));
                    dev_token = Some(parts.dev_token);
                }
                _ => unreachable!("only loop roles are collected"),
            }
        }
        workers = Some(running);
        pipeline = Some(p);
    }
    let maintenance = backends.spawn_maintenance(cancel.clone());
    Ok(Running {
        maintenance,
        endpoints,
        cancel,
        pipeline,
        dev_token,
        tasks,
        workers,
        dashboard: dashboard_running,
    })
}

/// Publishes this process's MCP servers in its MCP registry, so the
/// federation's gateway aggregates them. A record is immutable per version,
/// so the version carries the port as build metadata; a restart on the same
/// ports finds its records already there.
async fn publish_own_servers(endpoints: &BTreeMap<String, String>) {
    let Some(registry_url) = endpoints.get(Role::McpRegistry.name()) else {
        return;
    };
    let Ok(mcp) = omega_client::McpClient::connect(registry_url).await else {
        tracing::warn!(%registry_url, "cannot reach the MCP registry to publish OMEGA's servers");
        return;
    };
    let registry = omega_client::McpRegistryClient::new(mcp);
    for (role, what) in [
        (
            Role::Context,
            "OMEGA context server: sessions, cache, semantic memory",
        ),
        (
            Role::AgentRegistry,
            "OMEGA agent registry: agent cards and discovery",
        ),
        (Role::McpRegistry, "OMEGA MCP registry: server records"),
    ] {
        let Some(url) = endpoints.get(role.name()) else {
            continue;
        };
        let port = url
            .rsplit(':')
            .next()
            .unwrap_or("0")
            .trim_end_matches("/mcp");
        let record = serde_json::json!({
            "name": format!("io.omega.local/{}", role.name()),
            "description": what,
            "version": format!("{}+port{port}", env!("CARGO_PKG_VERSION")),
            "remotes": [{"type": "streamable-http", "url": url}],
        });
        let Ok(record) = serde_json::from_value(record) else {
            continue;
        };
        match registry.publish(&record).await {
            Ok(_) => {}
            Err(e) if e.code() == Some(omega_protocol::ErrorCode::ALREADY_EXISTS) => {}
            Err(e) => {
                tracing::warn!(error = %e, role = role.name(), "publishing to the MCP registry failed")
            }
        }
    }
}

/// Publishes queue depths and workers per team as gauges every few seconds.
fn spawn_gauges(
    metrics: &omega_telemetry::Metrics,
    pipeline: &Pipeline,
    capacity: &omega_pipeline::CapacityView,
    config: &OmegaConfig,
    cancel: &CancellationToken,
) {
    let (metrics, queue, capacity, cancel) = (
        metrics.clone(),
        pipeline.queue().clone(),
        capacity.clone(),
        cancel.clone(),
    );
    let mut queues: Vec<String> = config.teams.teams.iter().map(|t| t.queue.clone()).collect();
    queues.extend(
        [
            omega_pipeline::queues::RAW,
            omega_pipeline::queues::NORMALIZED,
            omega_pipeline::queues::AUTO_ACTION,
            omega_pipeline::queues::NEEDS_REVIEW,
        ]
        .map(str::to_owned),
    );
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = cancel.cancelled() => return,
            }
            for q in &queues {
                if let Ok(stats) = queue.depth(q).await {
                    metrics.set_queue_depth(q, (stats.ready + stats.leased + stats.delayed) as i64);
                }
            }
            for (team, replicas) in capacity.snapshot() {
                metrics.set_replicas(&team, i64::from(replicas));
            }
        }
    });
}

/// Runs `roles` in this process until Ctrl-C (or SIGTERM). With `demo`,
/// posts the bundled sample tickets and prints each ticket's triage first.
pub async fn up(
    mut config: OmegaConfig,
    data_dir: PathBuf,
    host: IpAddr,
    port_base: u16,
    roles: &[Role],
    demo: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    if demo {
        // Demo settings: the demo tenant's webhook secrets, and teams that
        // wake within half a second instead of KEDA's 30 s poll.
        config
            .pipeline
            .ingest
            .tenants
            .extend(omega_pipeline::demo_ingest_config().tenants);
        config
            .pipeline
            .capacity
            .polling_interval_ms
            .get_or_insert(500);
        config.pipeline.capacity.cooldown_ms.get_or_insert(30_000);
    }
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
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
    if let Some(token) = &running.dev_token {
        let token_path = data_dir.join("dashboard-token");
        std::fs::write(&token_path, token)?;
        println!(
            "dashboard sign-in token (12 h, every tenant) written to {}",
            token_path.display()
        );
    }
    if demo {
        let ingest = running
            .endpoints
            .get(Role::Ingest.name())
            .context("--demo needs the ingest role")?
            .trim_end_matches(Role::Ingest.path())
            .to_owned();
        let pipeline = running
            .pipeline
            .as_ref()
            .context("--demo needs the pipeline")?;
        let tenant = TenantId::parse(omega_pipeline::DEMO_TENANT).expect("static id");
        omega_pipeline::run_demo(
            &ingest,
            pipeline,
            &tenant,
            Duration::from_secs(60),
            &mut std::io::stdout(),
        )
        .await
        .context("running the demo")?;
    }

    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Runs one team's workers with a health endpoint, as a team pod does.
/// The queue must be shared with the ingest role (Redis Streams), since the
/// embedded queue belongs to one process.
pub async fn serve_team(
    config: OmegaConfig,
    data_dir: PathBuf,
    host: IpAddr,
    port: u16,
    team: &str,
) -> anyhow::Result<()> {
    let stage = match team {
        "triage" => omega_pipeline::Stage::Triage,
        "classification" => omega_pipeline::Stage::Classify,
        other => anyhow::bail!(
            "team `{other}` runs inside its own role for now (shadow and analytics run in `omega serve dashboard`); \
             `omega serve team` runs triage or classification"
        ),
    };
    std::fs::create_dir_all(&data_dir)?;
    let backends = Backends::open(&config, &data_dir).await?;
    let pipeline = loop_roles::pipeline(
        &config,
        &backends,
        &data_dir,
        config.pipeline.context_url.as_deref(),
    )
    .await?;
    let cancel = CancellationToken::new();
    let workers = pipeline.start_stage(stage, config.pipeline.normalizer_workers.max(1), &cancel);
    let queue = pipeline.queue().clone();
    let queue_name = config
        .teams
        .team(team)
        .map(|t| t.queue.clone())
        .unwrap_or_default();
    let app = omega_stack::RoleApp::new("omega-team").with_readiness(omega_stack::Readiness::new(
        move || {
            let (queue, name) = (queue.clone(), queue_name.clone());
            async move {
                queue
                    .depth(&name)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        },
    ));
    let bound = omega_stack::bind(SocketAddr::new(host, port)).await?;
    println!("team {team} serving health on http://{}", bound.addr);
    let server = tokio::spawn(omega_stack::serve(
        bound.listener,
        app.into_router(),
        cancel.clone(),
        Duration::from_secs(5),
    ));
    shutdown_signal().await;
    cancel.cancel();
    workers.stop().await;
    server.await??;
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
