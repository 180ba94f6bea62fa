//! The worker loop every stage runs: lease, skip finished work, process,
//! mark done, ack; nack with the reason on failure.

use std::time::Duration;

use omega_queue::{Lease, NackOutcome};
use tokio_util::sync::CancellationToken;

use crate::Pipeline;
use crate::config::queues;

/// A pipeline stage: which queue it reads and what it does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `ticket-raw` → normalize, redact, pseudonymize → `ticket-normalized`.
    Normalize,
    /// `ticket-normalized` → `ticket-triage`.
    Route,
    /// The triage team: `ticket-triage` → result stored → `auto-action` / `needs-review` / `ticket-classify`.
    Triage,
    /// The classification team: `ticket-classify` → result updated → `auto-action` / `needs-review`.
    Classify,
}

impl Stage {
    /// The queue the stage consumes.
    pub fn queue(self) -> &'static str {
        match self {
            Stage::Normalize => queues::RAW,
            Stage::Route => queues::NORMALIZED,
            Stage::Triage => queues::TRIAGE,
            Stage::Classify => queues::CLASSIFY,
        }
    }

    /// The stage's name in logs and consumer ids.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Normalize => "normalizer",
            Stage::Route => "router",
            Stage::Triage => "triage",
            Stage::Classify => "classification",
        }
    }
}

/// Runs one worker of `stage` until `cancel` fires (the current batch is finished first).
pub(crate) async fn run(
    pipeline: Pipeline,
    stage: Stage,
    consumer: String,
    cancel: CancellationToken,
) {
    let queue = pipeline.queue().clone();
    let cfg = pipeline.config();
    let idle = Duration::from_millis(cfg.idle_poll_ms.max(1));
    let mut backoff = idle;
    tracing::debug!(stage = stage.name(), consumer, "worker started");
    while !cancel.is_cancelled() {
        let leases = match queue
            .lease(stage.queue(), &consumer, cfg.lease_batch, cfg.lease())
            .await
        {
            Ok(l) => {
                backoff = idle;
                l
            }
            Err(e) => {
                tracing::warn!(stage = stage.name(), error = %e, "lease failed");
                backoff = (backoff * 2).min(Duration::from_secs(2));
                Vec::new()
            }
        };
        if leases.is_empty() {
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = cancel.cancelled() => break,
            }
            continue;
        }
        // The batch is processed concurrently: its durable writes share the
        // queue's group commits instead of waiting for one fsync each.
        futures::future::join_all(leases.iter().map(|l| process(&pipeline, stage, l))).await;
    }
    tracing::debug!(stage = stage.name(), consumer, "worker stopped");
}

/// Handles one lease end to end.
pub(crate) async fn process(pipeline: &Pipeline, stage: Stage, lease: &Lease) {
    let queue = pipeline.queue();
    let m = &lease.message;
    // Normalizer and router only enqueue, and the next queue drops a repeated
    // id, so redoing their work is harmless: they skip the done markers.
    let marks = matches!(stage, Stage::Triage | Stage::Classify);
    let done = if marks {
        queue.ack_if_done(lease).await
    } else {
        Ok(false)
    };
    match done {
        Ok(true) => {
            tracing::debug!(stage = stage.name(), id = %m.id, "already done; acked");
            return;
        }
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(stage = stage.name(), id = %m.id, error = %e, "done check failed");
            return;
        }
    }
    match pipeline.handle(stage, lease).await {
        Ok(()) => {
            let done = async {
                if marks {
                    queue.mark_done(&lease.queue, &m.tenant, &m.id).await?;
                }
                queue.ack(lease).await
            };
            if let Err(e) = done.await {
                // The lease was lost (expired and redelivered): the next
                // delivery finds the work marked done, or redoes idempotent work.
                tracing::warn!(stage = stage.name(), id = %m.id, error = %e, "settling failed");
            }
        }
        Err(reason) => match queue.nack(lease, &reason).await {
            Ok(NackOutcome::DeadLettered { attempts }) => {
                tracing::warn!(stage = stage.name(), id = %m.id, attempts, reason, "dead-lettered");
            }
            Ok(_) => tracing::debug!(stage = stage.name(), id = %m.id, reason, "will retry"),
            Err(e) => tracing::warn!(stage = stage.name(), id = %m.id, error = %e, "nack failed"),
        },
    }
}
