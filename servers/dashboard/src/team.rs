//! A team of queue workers whose size follows the omega-capacity scaler's
//! decisions from the queue's depth (KEDA rules: scale from zero, cooldown
//! to zero). The shadow and analytics teams run on it.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use omega_capacity::{Scaler, ScalerSettings};
use omega_queue::{Lease, Queue};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::ops::TeamRecorder;

/// Handles one leased message; `Err` is the reason kept with the nack.
pub type Handler = Arc<dyn Fn(Lease) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// One scaled team.
#[derive(Clone)]
pub struct TeamRun {
    /// Team name (for the workers chart).
    pub team: String,
    /// The queue it consumes.
    pub queue_name: String,
    /// The queue backend.
    pub queue: Arc<dyn Queue>,
    /// Scaler settings (from the team config, with any overrides).
    pub settings: ScalerSettings,
    /// Where decisions are recorded.
    pub recorder: Arc<TeamRecorder>,
    /// What each worker does with a message.
    pub handler: Handler,
    /// Lease duration of a worker on a message.
    pub lease: Duration,
}

impl std::fmt::Debug for TeamRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamRun")
            .field("team", &self.team)
            .field("queue", &self.queue_name)
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

async fn worker(run: TeamRun, consumer: String, cancel: CancellationToken) {
    while !cancel.is_cancelled() {
        let leases = match run
            .queue
            .lease(&run.queue_name, &consumer, 8, run.lease)
            .await
        {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(team = %run.team, error = %e, "lease failed");
                Vec::new()
            }
        };
        if leases.is_empty() {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
                () = cancel.cancelled() => return,
            }
            continue;
        }
        for lease in leases {
            if matches!(run.queue.ack_if_done(&lease).await, Ok(true)) {
                continue;
            }
            let m = &lease.message;
            let (q, tenant, id) = (lease.queue.clone(), m.tenant.clone(), m.id.clone());
            match (run.handler)(lease.clone()).await {
                Ok(()) => {
                    let done = run.queue.mark_done(&q, &tenant, &id).await;
                    if let Err(e) = done.map(drop).and(run.queue.ack(&lease).await) {
                        tracing::warn!(team = %run.team, error = %e, "cannot settle a message");
                    }
                }
                Err(reason) => {
                    tracing::warn!(team = %run.team, %reason, "message failed");
                    let _ = run.queue.nack(&lease, &reason).await;
                }
            }
        }
    }
}

/// Runs the team until `cancel` fires; then stops its workers (each finishes
/// its batch) and waits for them.
pub async fn run_team(run: TeamRun, cancel: CancellationToken) {
    let mut scaler = Scaler::new(run.settings);
    let mut workers: Vec<(CancellationToken, JoinHandle<()>)> = Vec::new();
    let mut retired: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id = 0u64;
    run.recorder.record(&run.team, now_ms(), 0);
    loop {
        let now = now_ms();
        if scaler.is_due(now) {
            match run.queue.depth(&run.queue_name).await {
                Ok(s) => {
                    let depth = s.ready + s.leased + s.delayed;
                    let d = scaler.observe(now, depth);
                    while workers.len() < d.replicas as usize {
                        let token = cancel.child_token();
                        let consumer = format!("{}-{}-{next_id}", run.team, std::process::id());
                        next_id += 1;
                        let h = tokio::spawn(worker(run.clone(), consumer, token.clone()));
                        workers.push((token, h));
                    }
                    while workers.len() > d.replicas as usize {
                        if let Some((t, h)) = workers.pop() {
                            t.cancel();
                            retired.push(h);
                        }
                    }
                    run.recorder.record(&run.team, now, workers.len() as u32);
                    if d.replicas != d.previous {
                        tracing::info!(team = %run.team, depth, from = d.previous, to = d.replicas, "team scaled");
                    }
                }
                Err(e) => tracing::warn!(team = %run.team, error = %e, "queue depth unavailable"),
            }
        }
        retired.retain(|h| !h.is_finished());
        let wait = scaler
            .next_poll_ms()
            .saturating_sub(now_ms())
            .clamp(1, 60_000);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait)) => {}
            () = cancel.cancelled() => break,
        }
    }
    for (t, h) in workers {
        t.cancel();
        retired.push(h);
    }
    for h in retired {
        let _ = h.await;
    }
    run.recorder.record(&run.team, now_ms(), 0);
}
