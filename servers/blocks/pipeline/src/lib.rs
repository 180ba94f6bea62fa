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
//! deduplicated by id). Every pool runs on omega-capacity's team runtime;
//! the triage and classification teams follow its scaler's decisions from
//! queue depth (scale from zero).
//!
//! Entry points for the `omega` binary: [`Pipeline::new`] (with
//! [`open_queue`], [`load_or_bootstrap`], [`load_or_create_secret`]),
//! [`Pipeline::ingest_app`] for the ingest role, [`Pipeline::start`] for the
//! workers, [`run_demo`] for `omega up --demo`, and [`train_csv`] /
//! [`eval_csv`] for `omega classifier train|eval`.

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

use omega_capacity::{ScalerSettings, Team};
use omega_stack::{Readiness, RoleApp};
use tokio_util::sync::CancellationToken;

pub use config::{CapacityOverrides, PipelineConfig, queues};
pub use demo::{
    DEMO_TENANT, DemoSample, DemoTicket, WebhookClient, demo_ingest_config, demo_samples, run_demo,
    run_demo_with, signed_headers,
};
pub use error::PipelineError;
pub use messages::{ActionMessage, RawMessage, TicketMessage};
pub use model::{
    ModelSource, SEED_CSV, TrainSummary, eval_csv, load_or_bootstrap, model_dir, train_csv,
};
pub use omega_capacity::CapacityView;
pub use pipeline::{
    Pipeline, PipelineDeps, RESULTS, SharedClassifier, load_or_create_key, load_or_create_secret,
    open_queue,
};
pub use rules::{fallback_priority, suggest_actions};
pub use triage::{CLASSIFY_DECIDER, TRIAGE_DECIDER};
pub use worker::Stage;

pub use omega_capacity::Running;

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

    /// Starts the normalizer and router pools and the triage and
    /// classification teams (see [`Pipeline::start_intake`] and
    /// [`Pipeline::start_team`]). Stops when `cancel` fires or on
    /// [`Running::stop`].
    pub fn start(&self, cancel: &CancellationToken) -> Running {
        let mut running = self.start_intake(cancel);
        for stage in [Stage::Triage, Stage::Classify] {
            running = running.join(self.start_team(stage, cancel));
        }
        running
    }

    /// Starts the normalizer and router pools (what the ingest role runs).
    pub fn start_intake(&self, cancel: &CancellationToken) -> Running {
        let cancel = cancel.child_token();
        let cfg = self.config();
        let mut tasks = Vec::new();
        for (stage, n) in [
            (Stage::Normalize, cfg.normalizer_workers),
            (Stage::Route, cfg.router_workers),
        ] {
            tasks.extend(worker::workers(self, stage).spawn(n, &cancel));
        }
        Running::new(cancel, tasks)
    }

    /// Starts one team (triage or classification), scaled from zero by the
    /// depth of its queue with the team's KEDA settings (and
    /// `pipeline.capacity` overrides); its decisions go to
    /// [`Pipeline::capacity`]. A stage that is not a team, or a team missing
    /// from `teams`, starts nothing.
    pub fn start_team(&self, stage: Stage, cancel: &CancellationToken) -> Running {
        let cancel = cancel.child_token();
        let mut tasks = Vec::new();
        if let Some(team) = self.teams().team(stage.name()) {
            if team.queue != stage.queue() {
                tracing::warn!(
                    team = %team.name,
                    configured = %team.queue,
                    used = stage.queue(),
                    "the team's configured queue is not the one its stage consumes; scaling on the stage's queue"
                );
            }
            let settings = ScalerSettings::from_team_with(team, &self.config().capacity);
            tracing::debug!(team = %team.name, polling_ms = settings.polling_ms, "team starting");
            let team = Team::from_workers(worker::workers(self, stage), settings)
                .with_view(self.capacity().clone());
            tasks.push(team.spawn(&cancel));
        }
        Running::new(cancel, tasks)
    }

    /// Runs a fixed pool of `workers` for one stage: what a team pod runs
    /// when KEDA scales the pods (`omega serve team --team triage`).
    pub fn start_stage(&self, stage: Stage, workers: usize, cancel: &CancellationToken) -> Running {
        let cancel = cancel.child_token();
        let tasks = worker::workers(self, stage).spawn(workers, &cancel);
        Running::new(cancel, tasks)
    }

    /// Processes one leased message of `stage` as a worker would (for tools and tests).
    pub async fn process(&self, stage: Stage, lease: &omega_queue::Lease) {
        worker::workers(self, stage).process(lease).await;
    }
}
