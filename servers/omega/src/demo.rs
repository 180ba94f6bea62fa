//! `omega up --demo`: post the bundled sample tickets from all four
//! platforms and print each ticket's triage.

use std::time::Duration;

use anyhow::Context as _;
use omega_config::OmegaConfig;
use omega_protocol::TenantId;

use crate::role::RoleId;
use crate::up::Process;

/// Demo settings: the demo tenant's webhook secrets, and teams that wake
/// within half a second instead of KEDA's 30 s poll.
pub fn prepare(config: &mut OmegaConfig) {
    config
        .pipeline
        .ingest
        .tenants
        .extend(omega_pipeline::demo_ingest_config().tenants);
    config
        .pipeline
        .capacity
        .polling_interval_ms
        .get_or_insert(500);
    config.pipeline.capacity.cooldown_ms.get_or_insert(30_000);
}

/// Posts the samples to the ingest role and prints their triage.
pub async fn run(running: &Process, _config: &OmegaConfig) -> anyhow::Result<()> {
    let ingest = running
        .peers
        .get(RoleId::Ingest)
        .context("--demo needs the ingest role")?
        .to_owned();
    let pipeline = running.pipeline().context("--demo needs the pipeline")?;
    let tenant = TenantId::parse(omega_pipeline::DEMO_TENANT)?;
    let client = match running.security.ca_pem()? {
        Some(ca) => omega_pipeline::WebhookClient::with_ca(&ca)?,
        None => omega_pipeline::WebhookClient::default(),
    };
    omega_pipeline::run_demo_with(
        &client,
        &ingest,
        pipeline,
        &tenant,
        Duration::from_secs(60),
        &mut std::io::stdout(),
    )
    .await
    .context("running the demo")?;
    Ok(())
}
