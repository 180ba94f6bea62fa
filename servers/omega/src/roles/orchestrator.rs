//! The orchestrator: strategies per task type over the Titan roles, and
//! budgets per tenant (`[orchestrator]`). MCP tools `orchestrator_call`,
//! `orchestrator_classify` and `orchestrator_titans`; the classification
//! strategy as an A2A agent at `/a2a/`.

use std::sync::Arc;

use anyhow::Context as _;
use futures::future::BoxFuture;
use omega_orchestrator::a2a::{TitanAgent, a2a_router};
use omega_orchestrator::{Orchestrated, Orchestrator, OrchestratorConfig, TaskStrategy};
use omega_protocol::{
    ClassifyRequest, ClassifyResult, OmegaError, OrchestrateRequest, OrchestrateResult,
    ReachableTitan, Tier, TitanAttempt,
};
use omega_stack::{RoleApp, TenantPolicy, ToolSet};
use omega_titans::Titan;

use super::cards::{self, A2A_PREFIX, Skill};
use super::policy;
use crate::remote::RemoteTitan;
use crate::role::{Role, RoleContext, RoleId, RoleParts};

/// The orchestrator role.
pub struct OrchestratorRole;

struct State {
    orchestrator: Arc<Orchestrator>,
    policy: TenantPolicy,
}

fn attempts(o: &Orchestrated) -> Vec<TitanAttempt> {
    o.attempts
        .iter()
        .map(|a| TitanAttempt {
            titan: a.titan.clone(),
            confidence: a.confidence,
            error: a.error.clone(),
        })
        .collect()
}

fn tools(state: Arc<State>, policy: TenantPolicy) -> ToolSet<State> {
    ToolSet::new(state, policy)
        .tool(
            "orchestrator_call",
            "Answer a Titan call with the strategy configured for its task type (or the Titan it names), within the tenant's budget.",
            false,
            |s, call, req: OrchestrateRequest| async move {
                let tenant = s
                    .policy
                    .resolve(&call.caller, Some(&serde_json::json!(req.request.tenant)))?;
                let done = s
                    .orchestrator
                    .call(&req.task_type, &tenant, req.request)
                    .await?;
                Ok::<_, OmegaError>(OrchestrateResult {
                    attempts: attempts(&done),
                    strategy: done.strategy.to_owned(),
                    decided_by: done.decided_by,
                    confidence: done.confidence,
                    usage: done.usage,
                    result: done.result,
                })
            },
        )
        .tenant_tool(
            "orchestrator_classify",
            "Classify a ticket's text for a tenant with the configured classification strategy; the answer names the Titan that decided.",
            true,
            |s, tenant, req: ClassifyRequest| async move {
                let c = s.orchestrator.classify(&tenant, &req.text).await?;
                Ok::<_, OmegaError>(ClassifyResult {
                    label: c.label,
                    confidence: c.confidence,
                    decided_by: c.decided_by,
                    strategy: c.detail.strategy.to_owned(),
                    attempts: attempts(&c.detail),
                })
            },
        )
        .tool(
            "orchestrator_titans",
            "The Titans this orchestrator reaches, with their default models.",
            true,
            |s, _call, _: serde_json::Map<String, serde_json::Value>| async move {
                Ok::<_, OmegaError>(TitanList {
                    titans: reachable(&s.orchestrator),
                })
            },
        )
}

/// `orchestrator_titans`'s answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct TitanList {
    /// The Titans, by name.
    pub titans: Vec<ReachableTitan>,
}

/// The Titans an orchestrator reaches, as the federation lists them.
pub fn reachable(orchestrator: &Orchestrator) -> Vec<ReachableTitan> {
    orchestrator
        .titan_names()
        .filter_map(|n| orchestrator.titan(n))
        .map(|t| ReachableTitan {
            name: t.name().to_owned(),
            models: vec![t.default_model().to_owned()],
            local: t.is_local(),
        })
        .collect()
}

/// When hosted Titans run and `[orchestrator.tasks.<classification>]` is
/// not set, classification asks them first and falls back to the local
/// Titan on an outage (or abstention is left to the answer's confidence).
fn with_default_classification(
    mut config: OrchestratorConfig,
    titans: &[Arc<dyn Titan>],
) -> OrchestratorConfig {
    let task = config.classification.task_type.clone();
    let hosted: Vec<String> = titans
        .iter()
        .filter(|t| !t.is_local())
        .map(|t| t.name().to_owned())
        .collect();
    let has_local = titans.iter().any(|t| t.name() == "local");
    if !config.tasks.contains_key(&task) && !hosted.is_empty() && has_local {
        let mut chain = hosted;
        chain.push("local".into());
        tracing::info!(task, titans = ?chain, "classification falls back along the hosted Titans to the local one");
        config.tasks.insert(
            task,
            TaskStrategy::Fallback {
                titans: chain,
                timeout_ms: None,
            },
        );
    }
    config
}

impl Role for OrchestratorRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let mut titans: Vec<Arc<dyn Titan>> = Vec::new();
            for (id, base) in ctx.peers.titans() {
                let url = format!("{base}/mcp");
                let remote = RemoteTitan::connect(&ctx.connection, &url)
                    .await
                    .with_context(|| {
                        format!(
                            "the orchestrator cannot reach the {} Titan at {url} (`{}`)",
                            id.name(),
                            RoleId::Titan(id).peer_key()
                        )
                    })?;
                titans.push(Arc::new(remote));
            }
            if titans.is_empty() {
                anyhow::bail!(
                    "the orchestrator needs at least one Titan role: set `peers.titans.local` \
                     (and any hosted Titan) in omega.toml"
                );
            }
            let config = with_default_classification(ctx.config.orchestrator.clone(), &titans);
            let orchestrator =
                Arc::new(Orchestrator::new(config, titans).context("orchestrator configuration")?);
            let task = orchestrator.config().classification.task_type.clone();
            let card = cards::card(
                "OMEGA orchestrator".into(),
                "Answers Titan calls with the strategy configured per task type, within per-tenant budgets.".into(),
                &ctx.self_url,
                "orchestrator",
                Tier::AlwaysOn,
                vec![Skill {
                    id: "classify",
                    name: "Classify",
                    description: format!(
                        "Classifies a ticket with the `{task}` strategy (MCP tool orchestrator_classify)."
                    ),
                    tags: vec!["orchestrator".into(), "strategy".into()],
                }],
            );
            let agent = TitanAgent::new(orchestrator.clone(), None, task, None, card.clone());
            let state = Arc::new(State {
                orchestrator,
                policy: policy(ctx.config),
            });
            let app = RoleApp::new("omega-orchestrator")
                .with_tools(
                    "OMEGA orchestrator: orchestrator_call answers a Titan call by task-type strategy; orchestrator_classify classifies a ticket.",
                    tools(state, policy(ctx.config)),
                    &ctx.mcp,
                    ctx.cancel.clone(),
                )
                .with_routes(axum::Router::new().nest(A2A_PREFIX, a2a_router(Arc::new(agent))));
            Ok(RoleParts::app(app).with_card(card))
        })
    }
}
