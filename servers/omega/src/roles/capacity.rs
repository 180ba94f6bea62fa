//! The capacity manager: polls every team's queue depth, applies KEDA's
//! rules (the same scaler the in-process team runtime and the rendered
//! ScaledObjects use) and publishes what each team should run: the MCP
//! tool `capacity_status` and the queue-depth and replica gauges at
//! `/metrics`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use omega_capacity::CapacityManager;
use omega_protocol::{ErrorCode, OmegaError};
use omega_stack::{Readiness, RoleApp, ToolSet};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::policy;
use crate::role::{Role, RoleContext, RoleParts};

/// The capacity manager role.
pub struct CapacityRole;

/// One team's capacity, as last observed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamCapacity {
    /// Team name.
    pub team: String,
    /// Its queue.
    pub queue: String,
    /// Ready + leased + delayed messages at the last poll.
    pub depth: u64,
    /// Replicas KEDA's rules ask for.
    pub replicas: u32,
    /// Why (the scaler's reason).
    pub reason: String,
    /// When the last poll ran (ms since the Unix epoch).
    pub observed_at_ms: u64,
}

/// `capacity_status`'s answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityStatus {
    /// Every team, by name.
    pub teams: Vec<TeamCapacity>,
}

struct State {
    last: Mutex<BTreeMap<String, TeamCapacity>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

async fn run(
    state: Arc<State>,
    mut manager: CapacityManager,
    queues: Vec<(String, String)>,
    queue: Arc<dyn omega_queue::Queue>,
    metrics: omega_telemetry::Metrics,
    cancel: CancellationToken,
) {
    loop {
        let now = now_ms();
        for team in manager
            .due(now)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
        {
            let Some((_, name)) = queues.iter().find(|(t, _)| *t == team) else {
                continue;
            };
            let depth = match queue.depth(name).await {
                Ok(s) => s.ready + s.leased + s.delayed,
                Err(e) => {
                    tracing::warn!(error = %e, queue = %name, "queue depth unavailable");
                    continue;
                }
            };
            let Ok(decision) = manager.observe(&team, now, depth) else {
                continue;
            };
            metrics.set_queue_depth(name, depth as i64);
            metrics.set_replicas(&team, i64::from(decision.replicas));
            let entry = TeamCapacity {
                team: team.clone(),
                queue: name.clone(),
                depth,
                replicas: decision.replicas,
                reason: serde_json::to_value(decision.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                observed_at_ms: now,
            };
            state
                .last
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(team, entry);
        }
        let wait = manager.next_poll_ms().map_or(1_000, |next| {
            next.saturating_sub(now_ms()).clamp(50, 60_000)
        });
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(wait)) => {}
        }
    }
}

impl Role for CapacityRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let queue = ctx.backends.queue(ctx.config).await?;
            let teams = &ctx.config.teams;
            let manager = CapacityManager::new(teams);
            let queues = teams
                .teams
                .iter()
                .map(|t| (t.name.clone(), t.queue.clone()))
                .collect();
            let state = Arc::new(State {
                last: Mutex::new(BTreeMap::new()),
            });
            let task = tokio::spawn(run(
                state.clone(),
                manager,
                queues,
                queue.clone(),
                ctx.backends.metrics.clone(),
                ctx.cancel.clone(),
            ));
            let tools = ToolSet::new(state, policy(ctx.config)).tool(
                "capacity_status",
                "Every team's queue depth at the last poll and the replicas KEDA's rules ask for.",
                true,
                |s, _call, _: serde_json::Map<String, serde_json::Value>| async move {
                    let teams = s
                        .last
                        .lock()
                        .map_err(|_| OmegaError::new(ErrorCode::INTERNAL_ERROR, "state poisoned"))?
                        .values()
                        .cloned()
                        .collect();
                    Ok::<_, OmegaError>(CapacityStatus { teams })
                },
            );
            let probe_queue = queue.clone();
            let probe_name = ctx
                .config
                .teams
                .teams
                .first()
                .map(|t| t.queue.clone())
                .unwrap_or_default();
            let app = RoleApp::new("omega-capacity-manager")
                .with_tools(
                    "OMEGA capacity manager: capacity_status reports each team's depth and desired replicas.",
                    tools,
                    &ctx.mcp,
                    ctx.cancel.clone(),
                )
                .with_readiness(Readiness::new(move || {
                    let (q, n) = (probe_queue.clone(), probe_name.clone());
                    async move { q.depth(&n).await.map(drop).map_err(|e| e.to_string()) }
                }));
            let mut parts = RoleParts::app(app);
            parts.tasks.push(task);
            Ok(parts)
        })
    }
}
