//! The dashboard's background work: the review feed (needs-review → board),
//! the shadow team, and the analytics scheduler and team.

use std::sync::Arc;
use std::time::Duration;

use omega_capacity::{ScalerSettings, Team, WorkerSettings, Workers, handler_fn};
use omega_config::pipeline::CapacityOverrides;
use omega_config::{TeamConfig, TeamsConfig};
use omega_protocol::TenantId;
use omega_queue::Message;
use omega_store::Scope;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::Dashboard;
use crate::analytics::REPORTS;
use crate::sources::{ReviewSource, queues};
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
    /// The scaler settings of `team` with these overrides
    /// ([`ScalerSettings::from_team_with`], as the pipeline's teams).
    pub fn settings(&self, team: &TeamConfig) -> ScalerSettings {
        let overrides = CapacityOverrides {
            polling_interval_ms: self.polling_interval_ms,
            cooldown_ms: self.cooldown_ms,
            scale_down_window_ms: self.scale_down_window_ms,
        };
        ScalerSettings::from_team_with(team, &overrides)
    }
}

pub use omega_capacity::Running;

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

/// A team of `config` on the dashboard's queue consuming `queue_name` (the
/// queue its producer writes), recorded in the dashboard's capacity view.
/// Each worker leases `messageCount` messages at a time (at most 16): the
/// scaler sizes the team so each worker has about that many.
fn team(
    d: &Dashboard,
    config: &TeamConfig,
    queue_name: &str,
    timings: &TeamTimings,
    lease: Duration,
    handler: Arc<dyn omega_capacity::MessageHandler>,
) -> Team {
    if config.queue != queue_name {
        tracing::warn!(
            team = %config.name,
            configured = %config.queue,
            used = queue_name,
            "the team's configured queue is not the one its work is published to; scaling on the latter"
        );
    }
    let settings = WorkerSettings {
        lease,
        batch: (config.message_count as usize).clamp(1, 16),
        ..WorkerSettings::default()
    };
    let workers =
        Workers::new(&config.name, d.queue().clone(), queue_name, handler).with_settings(settings);
    Team::from_workers(workers, timings.settings(config)).with_view(d.capacity().clone())
}

/// The shadow team: workers on `employee-activity`, scaled by its depth, each
/// event handed to its employee's shadow agent.
fn shadow_team(d: &Dashboard, config: &TeamConfig, timings: &TeamTimings) -> Team {
    let shadow = d.shadow().clone();
    let handler = handler_fn(move |lease| {
        let shadow = shadow.clone();
        async move {
            let ev: ActivityEvent = serde_json::from_value(lease.message.payload)
                .map_err(|e| format!("not an activity event: {e}"))?;
            shadow.observe(&ev).await.map_err(|e| e.to_string())
        }
    });
    let lease = Duration::from_secs(30);
    team(
        d,
        config,
        queues::EMPLOYEE_ACTIVITY,
        timings,
        lease,
        handler,
    )
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportJob {
    tenant: TenantId,
    bucket_minutes: u32,
}

/// The analytics team: workers on `analytics-jobs` computing and storing each
/// tenant's report (ids `latest` and the generation time in ms).
fn analytics_team(d: &Dashboard, config: &TeamConfig, timings: &TeamTimings) -> Team {
    let dash = d.clone();
    let handler = handler_fn(move |lease| {
        let d = dash.clone();
        async move {
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
        }
    });
    // Reports read the whole board: a longer lease than the shadow team's.
    let lease = Duration::from_secs(60);
    team(d, config, queues::ANALYTICS_JOBS, timings, lease, handler)
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
    /// analytics teams (from `teams`, when defined there; on omega-capacity's
    /// team runtime, recorded in [`Dashboard::capacity`]) and the analytics
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
            tasks.push(shadow_team(self, team, timings).spawn(&cancel));
        }
        if let Some(team) = teams.team("analytics") {
            tasks.push(analytics_team(self, team, timings).spawn(&cancel));
            let every = Duration::from_secs(self.config().analytics_every_minutes.max(1) * 60);
            tasks.push(tokio::spawn(run_analytics_scheduler(
                self.clone(),
                every,
                cancel.clone(),
            )));
        }
        Running::new(cancel, tasks)
    }
}
