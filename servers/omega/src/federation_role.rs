//! The federation core inside `omega up`: the JSON-RPC API and MCP gateway,
//! calling Titans through the orchestrator. Without provider keys the only
//! Titan is the local one, backed by OMEGA's embedded classifier.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use futures::future::BoxFuture;
use omega_federation::{FederationConfig, FederationState, TitanRouter};
use omega_orchestrator::{Orchestrator, OrchestratorConfig};
use omega_protocol::federation::ReachableTitan;
use omega_protocol::{OmegaError, TitanCallRequest, TitanCallResult};
use omega_titans::{LocalModel, TitanConfig, Titans};

/// The embedded classifier as the local Titan's model.
struct ClassifierModel(omega_classifier::Classifier);

impl LocalModel for ClassifierModel {
    fn classify(&self, text: &str) -> (Option<String>, f64) {
        let p = self.0.predict(text).category;
        (p.label, p.confidence)
    }
}

/// Federated Titan calls go through the orchestrator's strategies.
struct OrchestratedTitans {
    orchestrator: Arc<Orchestrator>,
    reachable: Vec<ReachableTitan>,
}

impl TitanRouter for OrchestratedTitans {
    fn call<'a>(
        &'a self,
        titan: Option<&'a str>,
        req: &'a TitanCallRequest,
    ) -> BoxFuture<'a, Result<TitanCallResult, OmegaError>> {
        Box::pin(async move {
            let mut req = req.clone();
            if let Some(name) = titan {
                req.titan = Some(name.to_owned());
            }
            let tenant = req.tenant.clone();
            // Task type "classification" when the caller asks no Titan by
            // name; the orchestrator's configuration maps it to a strategy.
            let done = self
                .orchestrator
                .call("classification", &tenant, req)
                .await?;
            Ok(done.result)
        })
    }

    fn reachable(&self) -> Vec<ReachableTitan> {
        self.reachable.clone()
    }
}

/// The Titans and the orchestrator from configuration (local only by default).
pub fn orchestrator(data_dir: &Path) -> anyhow::Result<(Arc<Orchestrator>, Vec<ReachableTitan>)> {
    let (classifier, _) =
        omega_pipeline::load_or_bootstrap(data_dir).context("loading the classifier")?;
    let titans: Titans = omega_titans::build_titans(
        &TitanConfig::default(),
        &omega_titans::EnvSecrets,
        Arc::new(ClassifierModel(classifier)),
    )?;
    let reachable = titans
        .names()
        .filter_map(|n| titans.get(n))
        .map(|t| ReachableTitan {
            name: t.name().to_owned(),
            models: vec![t.default_model().to_owned()],
            local: t.is_local(),
        })
        .collect();
    let orchestrator = Orchestrator::from_titans(OrchestratorConfig::default(), &titans)?;
    Ok((Arc::new(orchestrator), reachable))
}

/// The federation's state, reaching the registries at the given URLs.
pub async fn state(
    data_dir: &Path,
    agent_registry_url: &str,
    mcp_registry_url: &str,
    policy: omega_stack::TenantPolicy,
) -> anyhow::Result<Arc<FederationState>> {
    let (orchestrator, reachable) = orchestrator(data_dir)?;
    let config = FederationConfig {
        agent_registry_url: agent_registry_url.to_owned(),
        mcp_registry_url: mcp_registry_url.to_owned(),
        ..FederationConfig::default()
    };
    let router: Arc<dyn TitanRouter> = Arc::new(OrchestratedTitans {
        orchestrator,
        reachable,
    });
    FederationState::new(
        config,
        omega_client::Connection::default(),
        policy,
        Some(router),
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the federation: {e}"))
}
