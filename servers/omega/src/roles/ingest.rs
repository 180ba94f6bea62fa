//! Webhook ingestion (`POST /ingest/{platform}/{tenant}`) with the
//! pipeline's normalizer and router pools.

use std::sync::Arc;

use anyhow::Context as _;
use futures::future::BoxFuture;
use omega_client::{McpClient, OrchestratorClient};
use omega_config::OmegaConfig;
use omega_pipeline::{Pipeline, PipelineDeps};

use crate::backends::Backends;
use crate::role::{Peers, Role, RoleContext, RoleId, RoleParts};

/// The ingest role.
pub struct IngestRole;

/// Builds the pipeline on the process's queue, store and classifier,
/// talking to the context server and the orchestrator among `peers`.
pub(crate) async fn build_pipeline(
    config: &OmegaConfig,
    backends: &Backends,
    peers: &Peers,
    needed_by: RoleId,
    connection: &omega_client::Connection,
) -> anyhow::Result<Pipeline> {
    let context_url = peers.mcp_url(RoleId::Context, needed_by)?;
    let context = McpClient::over(
        connection,
        &context_url,
        omega_client::McpVersion::V2026_07_28,
    )
    .await
    .with_context(|| format!("connecting to the context server at {context_url}"))?;
    let orchestrator_url = peers.mcp_url(RoleId::Orchestrator, needed_by)?;
    let orchestrator = McpClient::over(
        connection,
        &orchestrator_url,
        omega_client::McpVersion::V2026_07_28,
    )
    .await
    .with_context(|| format!("connecting to the orchestrator at {orchestrator_url}"))?;
    let deps = PipelineDeps {
        config: config.pipeline.clone(),
        teams: config.teams.clone(),
        queue: backends.queue(config).await?,
        results: Arc::new(backends.embedded.clone()),
        classifier: backends.classifier().await?,
        context: Some(Arc::new(context)),
        orchestrator: Some(OrchestratorClient::new(orchestrator)),
        pseudonym_secret: omega_pipeline::load_or_create_secret(&backends.data_dir)?,
    };
    Ok(Pipeline::new(deps)?)
}

impl Role for IngestRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let pipeline = ctx
                .backends
                .pipeline(ctx.config, ctx.peers, RoleId::Ingest, &ctx.connection)
                .await?;
            let app = pipeline
                .ingest_app()
                .with_metrics(ctx.backends.metrics.clone());
            let running = pipeline.start_intake(&ctx.cancel);
            let mut parts = RoleParts::app(app);
            parts.stops.push(Box::new(move || {
                Box::pin(async move { running.stop().await })
            }));
            Ok(parts)
        })
    }
}
