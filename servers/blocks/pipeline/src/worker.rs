//! The pipeline's stages and what their workers do with a message. The
//! worker loop itself (lease, skip finished work, handle, mark done, ack;
//! nack with the reason on failure) and the scaling of the triage and
//! classification teams are omega-capacity's team runtime.

use std::time::Duration;

use futures::future::BoxFuture;
use omega_capacity::{MessageHandler, WorkerSettings, Workers};
use omega_queue::Lease;

use crate::Pipeline;
use crate::config::queues;

/// A pipeline stage: which queue it reads and what it does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `ticket-raw` (one message per request) → split into items; each
    /// normalized, redacted, pseudonymized → `ticket-normalized`.
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

    /// The stage's name in logs and consumer ids (the team's name for the
    /// scaled stages).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Normalize => "normalizer",
            Stage::Route => "router",
            Stage::Triage => "triage",
            Stage::Classify => "classification",
        }
    }

    /// Whether finished work is marked done (and a redelivery of it skipped).
    /// The normalizer and router only enqueue, and the next queue drops a
    /// repeated id, so redoing their work is harmless.
    fn tracks_done(self) -> bool {
        matches!(self, Stage::Triage | Stage::Classify)
    }
}

/// One stage's handler: [`Pipeline::handle`] on each message.
struct StageHandler {
    pipeline: Pipeline,
    stage: Stage,
}

impl MessageHandler for StageHandler {
    fn handle<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.pipeline.handle(self.stage, lease))
    }
}

/// The workers of `stage`, with the pipeline's lease, batch and idle poll.
pub(crate) fn workers(pipeline: &Pipeline, stage: Stage) -> Workers {
    let cfg = pipeline.config();
    let handler = std::sync::Arc::new(StageHandler {
        pipeline: pipeline.clone(),
        stage,
    });
    Workers::new(
        stage.name(),
        pipeline.queue().clone(),
        stage.queue(),
        handler,
    )
    .with_settings(WorkerSettings {
        lease: cfg.lease(),
        batch: cfg.lease_batch.max(1),
        idle_poll: Duration::from_millis(cfg.idle_poll_ms.max(1)),
        track_done: stage.tracks_done(),
        ..WorkerSettings::default()
    })
}
