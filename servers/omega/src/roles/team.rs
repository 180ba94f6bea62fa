//! One team's workers, its A2A agent (which answers with the team's
//! status) and its MCP tool `team_status`.

use std::sync::Arc;

use anyhow::Context as _;
use futures::StreamExt;
use futures::future::BoxFuture;
use omega_config::TeamsConfig;
use omega_orchestrator::a2a::types::{Message, Part};
use omega_orchestrator::a2a::{A2aAgent, A2aRequest, AgentEvent, AgentStream, a2a_router};
use omega_protocol::{AgentCard, OmegaError, Tier};
use omega_stack::{Readiness, RoleApp, ToolSet};
use serde::Serialize;

use super::cards::{self, A2A_PREFIX, Skill};
use super::policy;
use crate::role::{Role, RoleContext, RoleId, RoleParts, Scaling, StopHook, TeamId};

/// The role of one team.
pub struct TeamRole(pub TeamId);

/// A team's status, as `team_status` and its A2A agent report it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamStatus {
    /// Team name.
    pub team: String,
    /// The queue it works from.
    pub queue: String,
    /// Messages that can be leased now.
    pub ready: u64,
    /// Messages being worked on.
    pub leased: u64,
    /// Messages waiting for a retry.
    pub delayed: u64,
    /// Messages in the dead-letter queue.
    pub dead_lettered: u64,
    /// Who scales the team: `in-process` or `external` (KEDA).
    pub scaling: &'static str,
}

struct State {
    team: TeamId,
    queue_name: String,
    queue: Arc<dyn omega_queue::Queue>,
    scaling: Scaling,
}

impl State {
    async fn status(&self) -> Result<TeamStatus, OmegaError> {
        let stats = self.queue.depth(&self.queue_name).await.map_err(|e| {
            OmegaError::new(
                omega_protocol::ErrorCode::BACKEND_UNAVAILABLE,
                format!("the queue `{}` cannot be read: {e}", self.queue_name),
            )
        })?;
        Ok(TeamStatus {
            team: self.team.name().into(),
            queue: self.queue_name.clone(),
            ready: stats.ready,
            leased: stats.leased,
            delayed: stats.delayed,
            dead_lettered: stats.dead_lettered,
            scaling: match self.scaling {
                Scaling::InProcess => "in-process",
                Scaling::External => "external",
            },
        })
    }
}

/// The team as an A2A agent: any message is answered with its status.
struct TeamAgent {
    state: Arc<State>,
    card: AgentCard,
}

#[async_trait::async_trait]
impl A2aAgent for TeamAgent {
    fn card(&self) -> AgentCard {
        self.card.clone()
    }

    async fn handle(&self, _request: A2aRequest) -> AgentStream {
        let event = match self.state.status().await {
            Ok(status) => {
                let text = format!(
                    "Team {}: {} ready, {} in progress, {} waiting for retry, {} dead-lettered on `{}`.",
                    status.team,
                    status.ready,
                    status.leased,
                    status.delayed,
                    status.dead_lettered,
                    status.queue
                );
                let mut message = Message::agent_text(text);
                message.parts.push(Part::data(
                    serde_json::to_value(&status).unwrap_or_default(),
                ));
                AgentEvent::Completed {
                    message: Some(message),
                    metadata: None,
                }
            }
            Err(e) => AgentEvent::Failed(e),
        };
        futures::stream::iter([event]).boxed()
    }
}

fn only(teams: &TeamsConfig, team: TeamId) -> TeamsConfig {
    TeamsConfig {
        teams: teams
            .teams
            .iter()
            .filter(|t| t.name == team.name())
            .cloned()
            .collect(),
        ..teams.clone()
    }
}

/// Starts the team's workers.
async fn start_workers(ctx: &RoleContext<'_>, team: TeamId) -> anyhow::Result<Option<StopHook>> {
    let me = RoleId::Team(team);
    match team {
        TeamId::Triage | TeamId::Classification => {
            let stage = if team == TeamId::Triage {
                omega_pipeline::Stage::Triage
            } else {
                omega_pipeline::Stage::Classify
            };
            let pipeline = ctx
                .backends
                .pipeline(ctx.config, ctx.peers, me, &ctx.connection)
                .await?;
            let running = match ctx.scaling {
                Scaling::InProcess => pipeline.start_team(stage, &ctx.cancel),
                // KEDA scales the pods; each pod runs a fixed pool.
                Scaling::External => pipeline.start_stage(
                    stage,
                    ctx.config.pipeline.team_pod_workers.max(1),
                    &ctx.cancel,
                ),
            };
            Ok(Some(Box::new(move || {
                Box::pin(async move { running.stop().await })
            })))
        }
        TeamId::Shadow | TeamId::Analytics => {
            let parts = ctx
                .backends
                .dashboard(ctx.config, ctx.peers, me, &ctx.connection)
                .await?;
            let running = parts.dashboard.start(
                None,
                &only(&ctx.config.teams, team),
                &super::dashboard::timings(ctx.config),
                &ctx.cancel,
            );
            Ok(Some(Box::new(move || {
                Box::pin(async move { running.stop().await })
            })))
        }
    }
}

impl Role for TeamRole {
    fn build<'a>(&'a self, ctx: &'a RoleContext<'a>) -> BoxFuture<'a, anyhow::Result<RoleParts>> {
        Box::pin(async move {
            let team = self.0;
            let config =
                ctx.config.teams.team(team.name()).with_context(|| {
                    format!("`teams` in omega.toml has no team `{}`", team.name())
                })?;
            let state = Arc::new(State {
                team,
                queue_name: config.queue.clone(),
                queue: ctx.backends.queue(ctx.config).await?,
                scaling: ctx.scaling,
            });
            let card = cards::card(
                format!("OMEGA {} team", team.name()),
                format!(
                    "The {} team: works the `{}` queue, scaled {}..{} by queue depth.",
                    team.name(),
                    config.queue,
                    config.min_replicas,
                    config.max_replicas
                ),
                &ctx.self_url,
                "team",
                Tier::Dynamic,
                vec![Skill {
                    id: team.name(),
                    name: team.name(),
                    description: format!(
                        "Reports the {} team's queue and workers (MCP tool team_status).",
                        team.name()
                    ),
                    tags: vec!["team".into(), team.name().into()],
                }],
            );
            let agent = TeamAgent {
                state: state.clone(),
                card: card.clone(),
            };
            let tools = ToolSet::new(state.clone(), policy(ctx.config)).tool(
                "team_status",
                "The team's queue depth (ready, in progress, waiting for retry, dead-lettered) and who scales it.",
                true,
                |s, _call, _: serde_json::Map<String, serde_json::Value>| async move {
                    s.status().await
                },
            );
            let ready_state = state.clone();
            let app = RoleApp::new(role_label(team))
                .with_tools(
                    "An OMEGA team: team_status reports its queue.",
                    tools,
                    &ctx.mcp,
                    ctx.cancel.clone(),
                )
                .with_routes(axum::Router::new().nest(A2A_PREFIX, a2a_router(Arc::new(agent))))
                .with_readiness(Readiness::new(move || {
                    let s = ready_state.clone();
                    async move { s.status().await.map(drop).map_err(|e| e.message) }
                }));
            let mut parts = RoleParts::app(app).with_card(card);
            if let Some(stop) = start_workers(ctx, team).await? {
                parts.stops.push(stop);
            }
            Ok(parts)
        })
    }
}

fn role_label(team: TeamId) -> &'static str {
    match team {
        TeamId::Triage => "omega-team-triage",
        TeamId::Classification => "omega-team-classification",
        TeamId::Shadow => "omega-team-shadow",
        TeamId::Analytics => "omega-team-analytics",
    }
}
