//! The dashboard's background work: the review feed (needs-review → board),
//! the shadow team, and the analytics scheduler and team.

use std::sync::Arc;
use std::time::Duration;

use omega_capacity::{HpaBehavior, ScalerSettings};
use omega_config::{TeamConfig, TeamsConfig};
use omega_protocol::TenantId;
use omega_queue::Message;
use omega_store::Scope;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Dashboard;
use crate::analytics::REPORTS;
use crate::sources::{ReviewSource, queues};
use crate::team::{Handler, TeamRun, run_team};
use crate::types::ActivityEvent;

/// Overrides of the teams' KEDA timings (for tests and demos); unset keeps the team's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TeamTimings {
    /// Polling interval, ms.
    pub polling_interval_ms: Option<u64>,
    /// Cooldown before scaling to zero, ms.
    pub cooldown_ms: Option<u64>,
    /// HPA scale-down stabilisation window, ms.
    pub scale_down_window_ms: Option<u64>,
}

impl TeamTimings {
    /// The scaler settings of `team` with these overrides.
    pub fn settings(&self, team: &TeamConfig) -> ScalerSettings {
        let base = ScalerSettings::from_team(team);
        ScalerSettings {
            polling_ms: self.polling_interval_ms.unwrap_or(base.polling_ms).max(1),
            cooldown_ms: self.cooldown_ms.unwrap_or(base.cooldown_ms),
            hpa: HpaBehavior {
                scale_down_window_ms: self
                    .scale_down_window_ms
                    .unwrap_or(base.hpa.scale_down_window_ms),
                ..base.hpa
            },
            ..base
        }
    }
}

/// The dashboard's background tasks, running until [`Running::stop`].
#[derive(Debug)]
pub struct Running {
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops every task and waits for them.
    pub async fn stop(self) {
        self.cancel.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Moves tickets from `source` onto the board until `cancel` fires.
pub async fn run_review_feed(
    d: Dashboard,
    source: Arc<dyn ReviewSource>,
    cancel: CancellationToken,
) {
    while !cancel.is_cancelled() {
        let batch = match source.poll(32).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "review source unavailable");
                Vec::new()
            }
        };
        if batch.is_empty() {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
                () = cancel.cancelled() => return,
            }
            continue;
        }
        for inc in batch {
            let outcome = d
                .board()
                .ingest(inc.ticket)
                .await
                .map(drop)
                .map_err(|e| e.to_string());
            if let Err(e) = source.settle(&inc.receipt, outcome).await {
                tracing::warn!(error = %e, "cannot settle a review delivery");
            }
        }
    }
}

/// The shadow team: workers on `employee-activity`, scaled by its depth, each
/// event handed to its employee's shadow agent.
pub fn shadow_team(d: &Dashboard, team: &TeamConfig, timings: &TeamTimings) -> TeamRun {
    let shadow = d.shadow().clone();
    let handler: Handler = Arc::new(move |lease| {
        let shadow = shadow.clone();
        Box::pin(async move {
            let ev: ActivityEvent = serde_json::from_value(lease.message.payload)
                .map_err(|e| format!("not an activity event: {e}"))?;
            shadow.observe(&ev).await.map_err(|e| e.to_string())
        })
    });
    TeamRun {
        team: team.name.clone(),
        queue_name: team.queue.clone(),
        queue: d.queue().clone(),
        settings: timings.settings(team),
        recorder: d.recorder().clone(),
        handler,
        lease: Duration::from_secs(30),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportJob {
    tenant: TenantId,
    bucket_minutes: u32,
}

/// The analytics team: workers on `analytics-jobs` computing and storing each
/// tenant's report (ids `latest` and the generation time in ms).
pub fn analytics_team(d: &Dashboard, team: &TeamConfig, timings: &TeamTimings) -> TeamRun {
    let dash = d.clone();
    let handler: Handler = Arc::new(move |lease| {
        let d = dash.clone();
        Box::pin(async move {
            let job: ReportJob = serde_json::from_value(lease.message.payload)
                .map_err(|e| format!("not a report job: {e}"))?;
            let r = d
                .analytics()
                .report(&job.tenant, job.bucket_minutes)
                .await
                .map_err(|e| e.to_string())?;
            let body = serde_json::to_value(&r).map_err(|e| e.to_string())?;
            let scope = Scope::Tenant(job.tenant.clone());
            let id = r.generated_at.timestamp_millis().to_string();
            for id in [id.as_str(), "latest"] {
                d.store()
                    .put_doc(&scope, REPORTS, id, &body, &[])
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    });
    TeamRun {
        team: team.name.clone(),
        queue_name: team.queue.clone(),
        queue: d.queue().clone(),
        settings: timings.settings(team),
        recorder: d.recorder().clone(),
        handler,
        lease: Duration::from_secs(60),
    }
}

/// Enqueues one report job per configured tenant every `every` until `cancel` fires.
pub async fn run_analytics_scheduler(d: Dashboard, every: Duration, cancel: CancellationToken) {
    loop {
        let slot = chrono::Utc::now().timestamp_millis() / every.as_millis().max(1) as i64;
        for t in &d.config().tenants {
            let job = ReportJob {
                tenant: t.clone(),
                bucket_minutes: 60,
            };
            let payload = serde_json::to_value(&job).unwrap_or_default();
            let msg = Message::new(format!("report-{slot}"), t.as_str(), payload);
            if let Err(e) = d.queue().enqueue(queues::ANALYTICS_JOBS, msg).await {
                tracing::warn!(tenant = %t, error = %e, "cannot schedule a report");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = cancel.cancelled() => return,
        }
    }
}

impl Dashboard {
    /// Starts the review feed (when `source` is given), the shadow and
    /// analytics teams (from `teams`, when defined there) and the analytics
    /// scheduler.
    pub fn start(
        &self,
        source: Option<Arc<dyn ReviewSource>>,
        teams: &TeamsConfig,
        timings: &TeamTimings,
        cancel: &CancellationToken,
    ) -> Running {
        let cancel = cancel.child_token();
        let mut tasks = Vec::new();
        if let Some(source) = source {
            tasks.push(tokio::spawn(run_review_feed(
                self.clone(),
                source,
                cancel.clone(),
            )));
        }
        if let Some(team) = teams.team("shadow") {
            tasks.push(tokio::spawn(run_team(
                shadow_team(self, team, timings),
                cancel.clone(),
            )));
        }
        if let Some(team) = teams.team("analytics") {
            tasks.push(tokio::spawn(run_team(
                analytics_team(self, team, timings),
                cancel.clone(),
            )));
            let every = Duration::from_secs(self.config().analytics_every_minutes.max(1) * 60);
            tasks.push(tokio::spawn(run_analytics_scheduler(
                self.clone(),
                every,
                cancel.clone(),
            )));
        }
        Running { cancel, tasks }
    }
}
