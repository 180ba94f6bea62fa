//! OMEGA's employee loop: the review dashboard MSP technicians work tickets
//! in, the shadow agents that learn from what they do, and the analytics team.
//!
//! ```text
//! needs-review queue ─► ReviewSource ─► run_review_feed ─► Board (DocStore `dashboard-tickets`)
//!                                                           │  live: EventHub ─► SSE /dashboard/api/events
//! browser ─► POST /dashboard/api/tickets/{tenant}/{id}/actions (version-checked, 409 on conflict)
//!                                                           └► ActivitySink ─► employee-activity queue
//! employee-activity ─► shadow team (scaled 0..n) ─► ShadowTeam: compare, LearningMemory, CorrectionSink
//! analytics-jobs    ─► analytics team (scaled 0..3) ─► AnalyticsReport per tenant (+ MCP `analytics_report`)
//! ```
//!
//! Entry points for `omega up`: [`Dashboard::new`], [`app`] (role
//! `omega-dashboard`), [`Dashboard::start`] (review feed, shadow team,
//! analytics scheduler and team), and the pieces the lead plugs in:
//! [`ReviewSource`], [`ActivitySink`], [`EmployeeTokens`], [`LearningMemory`],
//! [`CorrectionSink`], [`CapacitySource`]. [`experiment`] is the learning
//! experiment behind the `learning_curve` example.

mod analytics;
mod api;
mod auth;
mod board;
mod error;
mod events;
pub mod experiment;
mod memory;
mod ops;
mod shadow;
mod sources;
mod tools;
mod types;
mod workers;

use std::sync::Arc;

use omega_capacity::CapacityView;
use omega_protocol::TenantId;
use omega_queue::Queue;
use omega_stack::{McpOptions, RoleApp};
use omega_store::DocStore;
use tokio_util::sync::CancellationToken;

pub use analytics::{
    AgreementPoint, Analytics, AnalyticsReport, AutoAction, Durations, REPORTS, SlaRisk,
    SlaTargets, SlaTicket, build as build_report,
};
pub use api::COOKIE;
pub use auth::{DashboardAuthenticator, Employee, EmployeeTokens, HmacTokens, TokenError};
pub use board::{ApplyError, Board, ListFilter, TICKETS};
pub use error::{ApiError, DashboardError};
pub use events::{EventHub, HubEvent, Subscription};
pub use memory::{
    ContextMemory, CorrectionSink, LearningMemory, LocalMemory, MemoryHit, SharedClassifier,
    SharedModel,
};
pub use ops::{AccuracyPoint, CapacitySource, Metrics, OpsSnapshot, QueueDepth};
pub use shadow::{AgentStats, Assistance, CorrectedTicket, ShadowTeam, UsualAction};
pub use sources::{
    ActivitySink, Incoming, QueueActivitySink, QueueReviewSource, ReviewSource, queues,
};
pub use tools::analytics_tools;
pub use types::{
    ActionRequest, ActivityEvent, Decided, EmployeeAction, HistoryEntry, ReviewItem, ReviewStatus,
    ReviewTicket, Suggestion,
};
pub use workers::{Running, TeamTimings};

/// Dashboard settings at run time: `[dashboard]` of `omega.toml` plus the
/// tenants served. Defined in `omega-config`; build it with
/// `DashboardConfig::from_omega(&config)`.
pub use omega_config::dashboard::{DashboardConfig, DashboardSettings};

/// What a [`Dashboard`] is built from.
pub struct DashboardDeps {
    /// Settings.
    pub config: DashboardConfig,
    /// Where review items and reports are stored.
    pub store: Arc<dyn DocStore>,
    /// The queue backend (activity events, depths, team queues).
    pub queue: Arc<dyn Queue>,
    /// Employee token verification.
    pub tokens: Arc<dyn EmployeeTokens>,
    /// Long-term memory of the shadow agents ([`ContextMemory`] in a deployment).
    pub memory: Arc<dyn LearningMemory>,
    /// Where corrections teach the classifier (none: no feedback).
    pub corrections: Option<Arc<dyn CorrectionSink>>,
    /// Other capacity runtimes to chart (the pipeline's triage/classification teams).
    pub capacity: Vec<Arc<dyn CapacitySource>>,
    /// The pipeline's triage results `(store, collection)`, for the auto-action rate.
    pub triage_results: Option<(Arc<dyn DocStore>, String)>,
}

struct Inner {
    config: DashboardConfig,
    board: Arc<Board>,
    shadow: Arc<ShadowTeam>,
    analytics: Arc<Analytics>,
    tokens: Arc<dyn EmployeeTokens>,
    queue: Arc<dyn Queue>,
    store: Arc<dyn DocStore>,
    corrections: Option<Arc<dyn CorrectionSink>>,
    capacity: Vec<Arc<dyn CapacitySource>>,
    teams: CapacityView,
}

/// The dashboard's shared state. Cheap to clone.
#[derive(Clone)]
pub struct Dashboard(Arc<Inner>);

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard").finish_non_exhaustive()
    }
}

impl Dashboard {
    /// Builds the dashboard (starts nothing).
    pub fn new(deps: DashboardDeps) -> Self {
        let hub = Arc::new(EventHub::new(deps.config.replay_buffer));
        let activity: Arc<dyn ActivitySink> = Arc::new(QueueActivitySink::new(deps.queue.clone()));
        let board = Arc::new(Board::new(
            deps.store.clone(),
            hub,
            activity,
            Arc::new(Metrics::default()),
        ));
        let analytics = Arc::new(Analytics::new(
            board.clone(),
            deps.triage_results,
            deps.config.sla.clone(),
        ));
        let shadow = Arc::new(ShadowTeam::new(deps.memory, deps.corrections.clone()));
        Self(Arc::new(Inner {
            config: deps.config,
            board,
            shadow,
            analytics,
            tokens: deps.tokens,
            queue: deps.queue,
            store: deps.store,
            corrections: deps.corrections,
            capacity: deps.capacity,
            teams: CapacityView::default(),
        }))
    }

    /// Settings.
    pub fn config(&self) -> &DashboardConfig {
        &self.0.config
    }

    /// The review board.
    pub fn board(&self) -> &Arc<Board> {
        &self.0.board
    }

    /// The shadow agents.
    pub fn shadow(&self) -> &Arc<ShadowTeam> {
        &self.0.shadow
    }

    /// Report computation.
    pub fn analytics(&self) -> &Arc<Analytics> {
        &self.0.analytics
    }

    /// Token verification.
    pub fn tokens(&self) -> &Arc<dyn EmployeeTokens> {
        &self.0.tokens
    }

    /// The queue backend.
    pub fn queue(&self) -> &Arc<dyn Queue> {
        &self.0.queue
    }

    /// The document store.
    pub fn store(&self) -> &Arc<dyn DocStore> {
        &self.0.store
    }

    /// Workers and scaling decisions of the teams this crate runs (shadow, analytics).
    pub fn capacity(&self) -> &CapacityView {
        &self.0.teams
    }

    /// Corrections the classifier received (0 without a sink).
    pub fn classifier_updates(&self) -> u64 {
        self.0.corrections.as_ref().map_or(0, |c| c.updates())
    }

    /// The dashboard's routes (for merging into another role's router).
    pub fn routes(&self) -> axum::Router {
        api::routes(self.clone())
    }

    /// The operations view's data for an employee of `tenants`. Queue
    /// depths, workers, cost and board throughput are deployment-wide (the
    /// queues are shared by every tenant), so only an employee of every
    /// configured tenant sees them; others get their own tenants' accuracy.
    pub async fn ops_snapshot(&self, tenants: &[TenantId]) -> Result<OpsSnapshot, DashboardError> {
        let now = chrono::Utc::now();
        let deployment_wide = self.0.config.tenants.iter().all(|t| tenants.contains(t));
        let items = self.0.board.list(tenants, &ListFilter::default()).await?;
        let per_hour = self.0.config.cost_per_worker_hour;
        if !deployment_wide {
            return Ok(OpsSnapshot {
                now_ms: now.timestamp_millis(),
                queues: Vec::new(),
                workers: Default::default(),
                throughput: Default::default(),
                accuracy: ops::accuracy(&items),
                cost: Vec::new(),
                cost_per_worker_hour: per_hour,
            });
        }
        let mut workers = self.0.teams.all_series();
        for src in &self.0.capacity {
            workers.extend(src.series());
        }
        let metrics = self.0.board.metrics();
        let throughput = ["received", "reviewed", "resolved"]
            .into_iter()
            .map(|k| (k.to_owned(), metrics.series(k)))
            .collect();
        Ok(OpsSnapshot {
            now_ms: now.timestamp_millis(),
            queues: ops::depths(&self.0.queue, &self.0.config.queues).await,
            cost: ops::cost(&workers, now.timestamp_millis().max(0) as u64, per_hour),
            workers,
            throughput,
            accuracy: ops::accuracy(&items),
            cost_per_worker_hour: per_hour,
        })
    }
}

/// The dashboard role: the page and JSON API under `/dashboard`, and the
/// `analytics_report` MCP tool at `/mcp`. Requests under `/dashboard` are
/// authenticated by employee token; everything else by `options.authenticator`.
pub fn app(dashboard: &Dashboard, options: &McpOptions, cancel: CancellationToken) -> RoleApp {
    let mut options = options.clone();
    options.authenticator = Arc::new(DashboardAuthenticator::new(options.authenticator.clone()));
    RoleApp::new("omega-dashboard")
        .with_tools(
            "OMEGA dashboard: per-tenant analytics reports of the employee loop.",
            analytics_tools(dashboard),
            &options,
            cancel,
        )
        .with_routes(dashboard.routes())
}
