//! The capacity runtime: per team, a pool of worker tasks whose size follows
//! the omega-capacity scaler's decisions from queue depth at each poll.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use omega_capacity::{Decision, HpaBehavior, Scaler, ScalerSettings, TeamDecision};
use omega_config::TeamConfig;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Pipeline;
use crate::config::CapacityOverrides;
use crate::worker::{self, Stage};

/// Decisions kept for dashboards (oldest dropped first).
const HISTORY: usize = 100_000;

#[derive(Default)]
struct State {
    history: VecDeque<TeamDecision>,
    replicas: BTreeMap<String, u32>,
}

/// A read-only view of the capacity runtime: current workers per team and
/// every decision (for the dashboard's workers-per-team-over-time chart).
#[derive(Clone, Default)]
pub struct CapacityView(Arc<Mutex<State>>);

impl std::fmt::Debug for CapacityView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CapacityView")
            .field(&self.snapshot())
            .finish()
    }
}

impl CapacityView {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Running workers of `team` (0 when unknown).
    pub fn replicas(&self, team: &str) -> u32 {
        self.lock().replicas.get(team).copied().unwrap_or(0)
    }

    /// Running workers of every scaled team.
    pub fn snapshot(&self) -> BTreeMap<String, u32> {
        self.lock().replicas.clone()
    }

    /// Every recorded decision, oldest first (`atMs` is wall-clock ms since the epoch).
    pub fn history(&self) -> Vec<TeamDecision> {
        self.lock().history.iter().cloned().collect()
    }

    /// Workers of `team` over time: `(at_ms, replicas)` after each decision.
    pub fn series(&self, team: &str) -> Vec<(u64, u32)> {
        self.lock()
            .history
            .iter()
            .filter(|d| d.team == team)
            .map(|d| (d.decision.at_ms, d.decision.replicas))
            .collect()
    }

    fn record(&self, team: &str, decision: Decision, running: u32) {
        let mut s = self.lock();
        if s.history.len() == HISTORY {
            s.history.pop_front();
        }
        s.history.push_back(TeamDecision {
            team: team.to_owned(),
            decision,
        });
        s.replicas.insert(team.to_owned(), running);
    }
}

/// The scaler settings of `team` with the overrides applied.
pub fn scaler_settings(team: &TeamConfig, o: &CapacityOverrides) -> ScalerSettings {
    let base = ScalerSettings::from_team(team);
    ScalerSettings {
        polling_ms: o.polling_interval_ms.unwrap_or(base.polling_ms).max(1),
        cooldown_ms: o.cooldown_ms.unwrap_or(base.cooldown_ms),
        hpa: HpaBehavior {
            scale_down_window_ms: o
                .scale_down_window_ms
                .unwrap_or(base.hpa.scale_down_window_ms),
            ..base.hpa
        },
        ..base
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

struct Pool {
    team: TeamConfig,
    stage: Stage,
    scaler: Scaler,
    workers: Vec<(CancellationToken, JoinHandle<()>)>,
    next_worker: u64,
}

impl Pool {
    fn resize(
        &mut self,
        pipeline: &Pipeline,
        target: u32,
        cancel: &CancellationToken,
        retired: &mut Vec<JoinHandle<()>>,
    ) {
        let target = target as usize;
        while self.workers.len() < target {
            let token = cancel.child_token();
            let consumer = format!(
                "{}-{}-{}",
                self.team.name,
                std::process::id(),
                self.next_worker
            );
            self.next_worker += 1;
            let handle = tokio::spawn(worker::run(
                pipeline.clone(),
                self.stage,
                consumer,
                token.clone(),
            ));
            self.workers.push((token, handle));
        }
        while self.workers.len() > target {
            if let Some((token, handle)) = self.workers.pop() {
                // The worker finishes its current batch, then exits.
                token.cancel();
                retired.push(handle);
            }
        }
    }
}

/// Runs the scaled teams (triage, classification) until `cancel` fires, then
/// stops their workers and waits for them.
pub(crate) async fn run(pipeline: Pipeline, view: CapacityView, cancel: CancellationToken) {
    let overrides = pipeline.config().capacity.clone();
    let mut pools: Vec<Pool> = [
        ("triage", Stage::Triage),
        ("classification", Stage::Classify),
    ]
    .into_iter()
    .filter_map(|(name, stage)| {
        let team = pipeline.teams().team(name)?.clone();
        let scaler = Scaler::new(scaler_settings(&team, &overrides));
        Some(Pool {
            team,
            stage,
            scaler,
            workers: Vec::new(),
            next_worker: 0,
        })
    })
    .collect();
    for p in &pools {
        view.lock().replicas.insert(p.team.name.clone(), 0);
    }
    let mut retired: Vec<JoinHandle<()>> = Vec::new();
    loop {
        let now = now_ms();
        for pool in &mut pools {
            if !pool.scaler.is_due(now) {
                continue;
            }
            let depth = match pipeline.queue().depth(&pool.team.queue).await {
                Ok(s) => s.ready + s.leased + s.delayed,
                Err(e) => {
                    tracing::warn!(team = %pool.team.name, error = %e, "queue depth unavailable; keeping the pool");
                    continue;
                }
            };
            let d = pool.scaler.observe(now, depth);
            pool.resize(&pipeline, d.replicas, &cancel, &mut retired);
            view.record(&pool.team.name, d, pool.workers.len() as u32);
            if d.replicas != d.previous {
                tracing::info!(team = %pool.team.name, depth, from = d.previous, to = d.replicas, reason = ?d.reason, "team scaled");
            }
        }
        retired.retain(|h| !h.is_finished());
        let next = pools
            .iter()
            .map(|p| p.scaler.next_poll_ms())
            .min()
            .unwrap_or(now + 1000);
        let wait = Duration::from_millis(next.saturating_sub(now_ms()).max(1));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = cancel.cancelled() => break,
        }
    }
    for pool in &mut pools {
        for (token, handle) in pool.workers.drain(..) {
            token.cancel();
            retired.push(handle);
        }
        view.lock().replicas.insert(pool.team.name.clone(), 0);
    }
    for h in retired {
        let _ = h.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omega_config::TeamsConfig;

    #[test]
    fn overrides_replace_only_the_timings() {
        let teams = TeamsConfig::default();
        let triage = teams.team("triage").unwrap();
        let s = scaler_settings(triage, &CapacityOverrides::default());
        assert_eq!(
            (s.polling_ms, s.cooldown_ms, s.max_replicas, s.message_count),
            (30_000, 300_000, 10, 5)
        );
        let o = CapacityOverrides {
            polling_interval_ms: Some(50),
            cooldown_ms: Some(200),
            scale_down_window_ms: Some(0),
        };
        let s = scaler_settings(triage, &o);
        assert_eq!(
            (
                s.polling_ms,
                s.cooldown_ms,
                s.hpa.scale_down_window_ms,
                s.max_replicas
            ),
            (50, 200, 0, 10)
        );
    }
}
