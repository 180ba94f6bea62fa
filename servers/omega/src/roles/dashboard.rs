//! The employee dashboard: sign-in, the live review queue, the operations
//! view and its MCP tools. Its shadow and analytics teams are team roles.

use std::sync::Arc;

use futures::future::BoxFuture;
use omega_config::{OmegaConfig, TeamsConfig};
use omega_dashboard::{
    CapacitySource, ContextMemory, CorrectionSink, Dashboard, DashboardConfig, DashboardDeps,
    DashboardError, Employee, HmacTokens, QueueReviewSource, TeamTimings,
};
use omega_pipeline::{Pipeline, RESULTS};
use omega_protocol::TenantId;

use crate::backends::Backends;
use crate::role::{Peers, Role, RoleContext, RoleId, RoleParts};

/// The dashboard role.
pub struct DashboardRole;

/// The dashboard state of a process and the token a developer signs in with.
pub struct DashboardParts {
    /// The dashboard.
    pub dashboard: Dashboard,
    /// A token for an operator-employee who may see every tenant, valid 12 h.
    pub dev_token: String,
}

/// The pipeline's capacity decisions, for the operations view.
struct PipelineCapacity(omega_pipeline::CapacityView);

impl CapacitySource for PipelineCapacity {
    fn series(&self) -> std::collections::BTreeMap<String, Vec<(u64, u32)>> {
        ["triage", "classification"]
            .into_iter()
            .map(|team| (team.to_owned(), self.0.series(team)))
            .collect()
    }
}

/// Employee corrections teach the pipeline's classifier (shared with the
/// local Titan in this process).
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

/// The team timings of the dashboard's teams (the pipeline's capacity settings).
pub fn timings(config: &OmegaConfig) -> TeamTimings {
    let c = &config.pipeline.capacity;
    TeamTimings {
        polling_interval_ms: c.polling_interval_ms,
        cooldown_ms: c.cooldown_ms,
        scale_down_window_ms: c.scale_down_window_ms,
    }
}

/// Builds the dashboard over the pipeline's queue and results.
pub(crate) async fn build_dashboard(
    config: &OmegaConfig,
    backends: &Backends,
    peers: &Peers,
    pipeline: &Pipeline,
    needed_by: RoleId,
    connection: &omega_client::Connection,
) -> anyhow::Result<DashboardParts> {
    let tokens = HmacTokens::new(omega_pipeline::load_or_create_key(
        &backends.data_dir.join("dashboard.key"),
    )?)?;
    let tenants: Vec<TenantId> = config.tenants.iter().map(|t| t.id.clone()).collect();
    let dev_token = tokens.issue(
        &Employee {
            id: "dev-employee".into(),
            tenants: tenants.clone(),
        },
        chrono::Duration::hours(12),
    );
    let context_url = peers.mcp_url(RoleId::Context, needed_by)?;
    let first = tenants
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("`tenants` in omega.toml is empty"))?;
    let context = omega_client::ContextClient::new(
        omega_client::McpClient::over(
            connection,
            &context_url,
            omega_client::McpVersion::V2026_07_28,
        )
        .await?,
        first,
    );
    let deps = DashboardDeps {
        config: DashboardConfig {
            tenants,
            ..config.dashboard.to_runtime()
        },
        store: Arc::new(backends.embedded.clone()),
        queue: pipeline.queue().clone(),
        tokens: Arc::new(tokens),
        memory: Arc::new(ContextMemory::new(context)),
        corrections: Some(Arc::new(PipelineLearning(pipeline.clone()))),
        capacity: vec![Arc::new(PipelineCapacity(pipeline_capacity(pipeline)))],
        triage_results: Some((Arc::new(backends.embedded.clone()), RESULTS.to_owned())),
    };
    Ok(DashboardParts {
        dashboard: Dashboard::new(deps),
        dev_token,
    })
}

fn pipeline_capacity(pipeline: &Pipeline) -> omega_pipeline::CapacityView {
    pipeline.capacity().clone()
}

impl Role for DashboardRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let parts = ctx
                .backends
                .dashboard(ctx.config, ctx.peers, RoleId::Dashboard, &ctx.connection)
                .await?;
            let dashboard = &parts.dashboard;
            let review = QueueReviewSource::new(
                dashboard.queue().clone(),
                format!("dashboard-{}", std::process::id()),
            );
            // The review feed only; the shadow and analytics teams are roles of their own.
            let no_teams = TeamsConfig {
                teams: Vec::new(),
                ..ctx.config.teams.clone()
            };
            let running = dashboard.start(
                Some(Arc::new(review)),
                &no_teams,
                &timings(ctx.config),
                &ctx.cancel,
            );
            let app = omega_dashboard::app(dashboard, &ctx.mcp, ctx.cancel.clone());
            let mut out = RoleParts::app(app);
            out.stops.push(Box::new(move || {
                Box::pin(async move { running.stop().await })
            }));
            let token_path = ctx.backends.data_dir.join("dashboard-token");
            omega_store::files::write_private_atomic(&token_path, parts.dev_token.as_bytes())?;
            out.notes.push(format!(
                "dashboard sign-in token (12 h, every tenant) written to {}",
                token_path.display()
            ));
            Ok(out)
        })
    }
}
