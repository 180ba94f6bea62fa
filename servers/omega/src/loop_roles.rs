//! The ticket pipeline and the employee loop inside `omega up`: ingest,
//! normalizer, router, triage and classification teams, the capacity
//! runtime, the dashboard with its shadow and analytics teams.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use omega_config::OmegaConfig;
use omega_dashboard::{
    CapacitySource, ContextMemory, CorrectionSink, Dashboard, DashboardConfig, DashboardDeps,
    DashboardError, Employee, HmacTokens, QueueReviewSource, TeamTimings,
};
use omega_pipeline::{CapacityView, Pipeline, PipelineDeps, RESULTS};
use omega_protocol::TenantId;
use omega_stack::McpOptions;
use tokio_util::sync::CancellationToken;

use crate::roles::Backends;

/// Builds the pipeline on the process's queue and stores, talking to the
/// context server at `context_url` over MCP.
pub async fn pipeline(
    config: &OmegaConfig,
    backends: &Backends,
    data_dir: &Path,
    context_url: Option<&str>,
) -> anyhow::Result<Pipeline> {
    let queue = omega_pipeline::open_queue(&config.pipeline, &config.teams, data_dir)
        .await
        .context("opening the pipeline queues")?;
    let (classifier, source) =
        omega_pipeline::load_or_bootstrap(data_dir).context("loading the embedded classifier")?;
    tracing::info!(?source, "classifier ready");
    let context = match context_url {
        Some(url) => Some(Arc::new(
            omega_client::McpClient::connect(url)
                .await
                .with_context(|| format!("connecting to the context server at {url}"))?,
        )),
        None => None,
    };
    let deps = PipelineDeps {
        config: config.pipeline.clone(),
        teams: config.teams.clone(),
        queue,
        results: Arc::new(backends.embedded.clone()),
        classifier,
        context,
        pseudonym_secret: omega_pipeline::load_or_create_secret(data_dir)?,
    };
    Ok(Pipeline::new(deps)?)
}

/// The pipeline's capacity decisions, for the operations view.
struct PipelineCapacity(CapacityView);

impl CapacitySource for PipelineCapacity {
    fn series(&self) -> std::collections::BTreeMap<String, Vec<(u64, u32)>> {
        ["triage", "classification"]
            .into_iter()
            .map(|team| (team.to_owned(), self.0.series(team)))
            .collect()
    }
}

/// Employee corrections teach the pipeline's classifier.
struct PipelineLearning(Pipeline);

impl CorrectionSink for PipelineLearning {
    fn learn(&self, text: &str, category: &str) -> Result<(), DashboardError> {
        self.0
            .learn(text, category)
            .map_err(|e| DashboardError::Invalid(e.to_string()))
    }

    fn updates(&self) -> u64 {
        0
    }
}

/// The dashboard and the token a developer signs in with.
pub struct DashboardParts {
    /// The dashboard.
    pub dashboard: Dashboard,
    /// A token for an operator-employee who may see every tenant, valid 12 h.
    pub dev_token: String,
}

/// Builds the dashboard over the pipeline's queue and results.
pub fn dashboard(
    config: &OmegaConfig,
    backends: &Backends,
    data_dir: &Path,
    pipeline: &Pipeline,
    capacity: CapacityView,
    context: omega_client::ContextClient,
) -> anyhow::Result<DashboardParts> {
    let tokens = HmacTokens::new(omega_pipeline::load_or_create_key(
        &data_dir.join("dashboard.key"),
    )?)?;
    let tenants: Vec<TenantId> = config.tenants.iter().map(|t| t.id.clone()).collect();
    let dev_token = tokens.issue(
        &Employee {
            id: "dev-employee".into(),
            tenants: tenants.clone(),
        },
        chrono::Duration::hours(12),
    );
    let deps = DashboardDeps {
        config: DashboardConfig {
            tenants,
            ..DashboardConfig::default()
        },
        store: Arc::new(backends.embedded.clone()),
        queue: pipeline.queue().clone(),
        tokens: Arc::new(tokens),
        memory: Arc::new(ContextMemory::new(context)),
        corrections: Some(Arc::new(PipelineLearning(pipeline.clone()))),
        capacity: vec![Arc::new(PipelineCapacity(capacity))],
        triage_results: Some((Arc::new(backends.embedded.clone()), RESULTS.to_owned())),
    };
    Ok(DashboardParts {
        dashboard: Dashboard::new(deps),
        dev_token,
    })
}

/// Starts the dashboard's review feed, shadow and analytics teams.
pub fn start_dashboard(
    dashboard: &Dashboard,
    config: &OmegaConfig,
    cancel: &CancellationToken,
) -> omega_dashboard::Running {
    let pipeline = &config.pipeline.capacity;
    let timings = TeamTimings {
        polling_interval_ms: pipeline.polling_interval_ms,
        cooldown_ms: pipeline.cooldown_ms,
        scale_down_window_ms: pipeline.scale_down_window_ms,
    };
    let review = QueueReviewSource::new(
        dashboard_queue(dashboard),
        format!("dashboard-{}", std::process::id()),
    );
    dashboard.start(Some(Arc::new(review)), &config.teams, &timings, cancel)
}

fn dashboard_queue(dashboard: &Dashboard) -> Arc<dyn omega_queue::Queue> {
    dashboard.queue().clone()
}

/// The dashboard role's application.
pub fn dashboard_app(
    dashboard: &Dashboard,
    mcp: &McpOptions,
    cancel: CancellationToken,
) -> omega_stack::RoleApp {
    omega_dashboard::app(dashboard, mcp, cancel)
}
