//! One Titan per role: the MCP tools `titan_call` and `titan_info` (what
//! the orchestrator calls) and the Titan as an A2A agent at `/a2a/`.

use std::sync::Arc;

use anyhow::Context as _;
use futures::StreamExt;
use futures::future::BoxFuture;
use omega_orchestrator::a2a::{TitanAgent, a2a_router};
use omega_orchestrator::{Orchestrator, OrchestratorConfig, TaskStrategy};
use omega_pipeline::SharedClassifier;
use omega_protocol::{OmegaError, Tier, TitanCallRequest, TitanCallResult};
use omega_stack::{RoleApp, TenantPolicy, ToolSet};
use omega_titans::{LocalModel, Titan, TitanConfig, TitanError, TitanEvent};

use super::cards::{self, A2A_PREFIX, Skill};
use super::policy;
use crate::remote::TitanInfo;
use crate::role::{Role, RoleContext, RoleParts, TitanId};

/// The Titan role for one Titan.
pub struct TitanRole(pub TitanId);

/// The embedded classifier as the local Titan's model.
struct ClassifierModel(SharedClassifier);

impl LocalModel for ClassifierModel {
    fn classify(&self, text: &str) -> (Option<String>, f64) {
        let p = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .predict(text)
            .category;
        (p.label, p.confidence)
    }
}

/// Whether `omega up` runs the Titan: the local one always; a hosted one
/// when `[titans.<name>]` is set or its default key variable is.
pub fn enabled(titans: &TitanConfig, id: TitanId) -> bool {
    let (section, key) = match id {
        TitanId::Local => return true,
        TitanId::Gpt => (titans.gpt.is_some(), "OPENAI_API_KEY"),
        TitanId::Claude => (titans.claude.is_some(), "ANTHROPIC_API_KEY"),
        TitanId::Gemini => (titans.gemini.is_some(), "GEMINI_API_KEY"),
        TitanId::Grok => (titans.grok.is_some(), "XAI_API_KEY"),
        TitanId::Augment => (titans.augment.is_some(), "AUGMENT_SESSION_AUTH"),
    };
    section || std::env::var(key).is_ok_and(|v| !v.trim().is_empty())
}

/// The configuration of just this Titan (its section, or the provider's
/// defaults when the section is absent), with it as the default.
fn only(titans: &TitanConfig, id: TitanId) -> TitanConfig {
    let mut one = TitanConfig {
        default_titan: id.name().into(),
        local: titans.local.clone(),
        ..TitanConfig::default()
    };
    match id {
        TitanId::Local => {}
        TitanId::Gpt => one.gpt = Some(titans.gpt.clone().unwrap_or_default()),
        TitanId::Claude => one.claude = Some(titans.claude.clone().unwrap_or_default()),
        TitanId::Gemini => one.gemini = Some(titans.gemini.clone().unwrap_or_default()),
        TitanId::Grok => one.grok = Some(titans.grok.clone().unwrap_or_default()),
        TitanId::Augment => one.augment = Some(titans.augment.clone().unwrap_or_default()),
    }
    one
}

struct State {
    titan: Arc<dyn Titan>,
    /// Set from a 429's `retry-after`: until then calls fail at once with
    /// `rate_limited` instead of reaching the provider.
    cooling_until: std::sync::Mutex<Option<std::time::Instant>>,
}

impl State {
    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        let now = std::time::Instant::now();
        let until = *self.cooling_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = until.filter(|u| *u > now) {
            return Err(TitanError::RateLimited {
                titan: self.titan.name().to_owned(),
                retry_after: Some(until - now),
            });
        }
        let result = answer(self.titan.as_ref(), req).await;
        if let Err(TitanError::RateLimited {
            retry_after: Some(after),
            ..
        }) = &result
        {
            *self.cooling_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(now + *after);
        }
        result
    }
}

/// Asks the provider for a streamed answer and returns it assembled, so a
/// stream that breaks mid-way fails the call (and the orchestrator falls
/// back to the next Titan) instead of returning half an answer.
async fn answer(titan: &dyn Titan, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
    let mut stream = titan.stream(req).await?;
    while let Some(event) = stream.next().await {
        if let TitanEvent::Completed(result) = event? {
            return Ok(result);
        }
    }
    Err(TitanError::Malformed {
        titan: titan.name().to_owned(),
        detail: "the stream ended without a completion".into(),
    })
}

fn tools(state: Arc<State>, policy: TenantPolicy) -> ToolSet<State> {
    ToolSet::new(state, policy)
        .tenant_tool(
            "titan_call",
            "Call this Titan with a provider-neutral chat request; the answer comes back whole with usage and cost.",
            false,
            |s, _tenant, req: TitanCallRequest| async move {
                req.validate()?;
                s.call(&req).await.map_err(|e| e.to_omega())
            },
        )
        .tool(
            "titan_info",
            "This Titan's name, default model and whether it runs inside the deployment.",
            true,
            |s, _call, _: serde_json::Map<String, serde_json::Value>| async move {
                Ok::<_, OmegaError>(TitanInfo {
                    name: s.titan.name().to_owned(),
                    default_model: s.titan.default_model().to_owned(),
                    local: s.titan.is_local(),
                })
            },
        )
}

impl Role for TitanRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let id = self.0;
            let name = id.name();
            let model: Arc<dyn LocalModel> =
                Arc::new(ClassifierModel(ctx.backends.classifier().await?));
            let titans = omega_titans::build_titans(
                &only(&ctx.config.titans, id),
                &omega_titans::EnvSecrets::unprefixed(),
                model,
            )
            .await
            .with_context(|| format!("starting the {name} Titan"))?;
            let titan = titans
                .get(name)
                .cloned()
                .with_context(|| format!("the {name} Titan was not built"))?;
            // The A2A agent streams from this Titan through a one-Titan orchestrator.
            let single = OrchestratorConfig {
                default_strategy: TaskStrategy::Single {
                    titan: name.into(),
                    timeout_ms: None,
                },
                ..OrchestratorConfig::default()
            };
            let orchestrator = Arc::new(Orchestrator::new(single, [titan.clone()])?);
            let card = cards::card(
                format!("{name} Titan"),
                format!(
                    "The {name} Titan ({}), behind OMEGA's orchestrator.",
                    titan.default_model()
                ),
                &ctx.self_url,
                "titan",
                Tier::AlwaysOn,
                vec![Skill {
                    id: "answer",
                    name: "Answer",
                    description: format!(
                        "Answers a chat request with the {name} Titan (MCP tool titan_call)."
                    ),
                    tags: vec!["titan".into(), name.into()],
                }],
            );
            let agent = TitanAgent::new(
                orchestrator,
                Some(name.into()),
                "answer",
                None,
                card.clone(),
            );
            let state = Arc::new(State {
                titan,
                cooling_until: std::sync::Mutex::new(None),
            });
            let app = RoleApp::new(role_label(id))
                .with_tools(
                    "An OMEGA Titan: titan_call answers a chat request; titan_info says which model.",
                    tools(state, policy(ctx.config)),
                    &ctx.mcp,
                    ctx.cancel.clone(),
                )
                .with_routes(axum::Router::new().nest(A2A_PREFIX, a2a_router(Arc::new(agent))));
            Ok(RoleParts::app(app).with_card(card))
        })
    }
}

/// The role's name as the stack reports it.
fn role_label(id: TitanId) -> &'static str {
    match id {
        TitanId::Local => "omega-titan-local",
        TitanId::Gpt => "omega-titan-gpt",
        TitanId::Claude => "omega-titan-claude",
        TitanId::Gemini => "omega-titan-gemini",
        TitanId::Grok => "omega-titan-grok",
        TitanId::Augment => "omega-titan-augment",
    }
}
