//! OMEGA's ticket pipeline runtime: ties the ingest parsers, the queues, the
//! privacy filters, the embedded classifier, the context server and the
//! capacity scaler together.
//!
//! ```text
//! POST /ingest/{platform}/{tenant}
//!   verify ─► parse ─► normalize (validation only) ─► enqueue ticket-raw ─► 2xx / SOAP Ack
//! normalizer (fixed pool)   ticket-raw        ─► normalize, redact, pseudonymize ─► ticket-normalized
//! router (fixed pool)       ticket-normalized ─► ticket-triage
//! triage team (scaled)      ticket-triage     ─► ticket_context ─► classify ─► priority ─► actions
//!                                             ─► TriageResult stored ─► ticket_record
//!                                             ─► auto-action | needs-review | ticket-classify (abstained)
//! classification (scaled)   ticket-classify   ─► classifier + kNN vote ─► stored ─► auto-action | needs-review
//! ```
//!
//! Every worker follows lease → `ack_if_done` → work → store → `mark_done` →
//! ack, so a redelivered message never redoes finished work, and every write
//! downstream is idempotent (documents keyed by ticket id, queue messages
//! deduplicated by id). The triage and classification pools follow the
//! omega-capacity scaler's decisions from queue depth (scale from zero).
//!
//! Entry points for the `omega` binary: [`Pipeline::new`] (with
//! [`open_queue`], [`load_or_bootstrap`], [`load_or_create_secret`]),
//! [`Pipeline::ingest_app`] for the ingest role, [`Pipeline::start`] for the
//! workers, [`run_demo`] for `omega up --demo`, and [`train_csv`] /
//! [`eval_csv`] for `omega classifier train|eval`.

mod capacity;
mod config;
mod demo;
mod error;
mod ingest;
mod messages;
mod model;
mod pipeline;
mod rules;
mod triage;
mod worker;

use omega_stack::{Readiness, RoleApp};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use capacity::{CapacityView, scaler_settings};
pub use config::{CapacityOverrides, PipelineConfig, queues};
pub use demo::{
    DEMO_TENANT, DemoSample, DemoTicket, WebhookClient, demo_ingest_config, demo_samples, run_demo,
    signed_headers,
};
pub use error::PipelineError;
pub use messages::{ActionMessage, RawMessage, TicketMessage};
pub use model::{
    ModelSource, SEED_CSV, TrainSummary, eval_csv, load_or_bootstrap, model_dir, train_csv,
};
pub use pipeline::{
    Pipeline, PipelineDeps, RESULTS, load_or_create_key, load_or_create_secret, open_queue,
};
pub use rules::{fallback_priority, suggest_actions};
pub use triage::{CLASSIFY_DECIDER, TRIAGE_DECIDER};
pub use worker::Stage;

/// The pipeline's workers, running until [`Running::stop`].
#[derive(Debug)]
pub struct Running {
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    /// Workers per team and the scaler's decisions.
    pub capacity: CapacityView,
}

impl Running {
    /// Stops every worker (each finishes its current batch) and waits for them.
    pub async fn stop(self) {
        self.cancel.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

impl Pipeline {
    /// The ingest role: `POST /ingest/{platform}/{tenant}` on the shared stack,
    /// ready when the queue answers.
    pub fn ingest_app(&self) -> RoleApp {
        let queue = self.queue().clone();
        RoleApp::new("omega-ingest")
            .with_routes(ingest::routes(self.clone()))
            .with_readiness(Readiness::new(move || {
                let queue = queue.clone();
                async move {
                    queue
                        .depth(queues::RAW)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
            }))
    }

    /// Just the ingest routes (to merge into another role's router).
    pub fn ingest_routes(&self) -> axum::Router {
        ingest::routes(self.clone())
    }

    /// Starts the normalizer and router pools and the capacity runtime that
    /// scales the triage and classification teams. Stops when `cancel` fires
    /// or on [`Running::stop`].
    pub fn start(&self, cancel: &CancellationToken) -> Running {
        let cancel = cancel.child_token();
        let cfg = self.config();
        let mut tasks = Vec::new();
        for (stage, n) in [
            (Stage::Normalize, cfg.normalizer_workers),
            (Stage::Route, cfg.router_workers),
        ] {
            for i in 0..n.max(1) {
                let consumer = format!("{}-{}-{i}", stage.name(), std::process::id());
                tasks.push(tokio::spawn(worker::run(
                    self.clone(),
                    stage,
                    consumer,
                    cancel.clone(),
                )));
            }
        }
        let capacity = CapacityView::default();
        tasks.push(tokio::spawn(capacity::run(
            self.clone(),
            capacity.clone(),
            cancel.clone(),
        )));
        Running {
            cancel,
            tasks,
            capacity,
        }
    }

    /// Runs a fixed pool of `workers` for one stage: what a team pod runs
    /// when KEDA scales the pods (`omega serve team --team triage`).
    pub fn start_stage(&self, stage: Stage, workers: usize, cancel: &CancellationToken) -> Running {
        let cancel = cancel.child_token();
        let tasks = (0..workers.max(1))
            .map(|i| {
                let consumer = format!("{}-{}-{i}", stage.name(), std::process::id());
                tokio::spawn(worker::run(self.clone(), stage, consumer, cancel.clone()))
            })
            .collect();
        Running {
            cancel,
            tasks,
            capacity: CapacityView::default(),
        }
    }

    /// Processes one leased message of `stage` as a worker would (for tools and tests).
    pub async fn process(&self, stage: Stage, lease: &omega_queue::Lease) {
        worker::process(self, stage, lease).await;
    }
}
