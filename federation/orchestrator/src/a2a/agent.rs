//! The agent side of A2A: the [`A2aAgent`] trait and [`TitanAgent`], which
//! serves an orchestrator-backed Titan (or task type) as an agent.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use omega_protocol::{
    AgentCard, ChatMessage, ChatRole, OmegaError, TenantId, TitanCallRequest, TraceContext,
};
use omega_titans::TitanEvent;
use serde_json::json;

use super::types::{Artifact, Message, Part, Role};
use crate::Orchestrator;

/// What an agent is asked to do.
#[derive(Debug, Clone)]
pub struct A2aRequest {
    /// The task's id (server-generated).
    pub task_id: String,
    /// The conversation id.
    pub context_id: String,
    /// The new message.
    pub message: Message,
    /// Earlier messages of the task, oldest first (empty for a new task).
    pub history: Vec<Message>,
    /// The tenant from the message's or request's metadata (`tenant`) or
    /// the request's `tenant` field, when given and valid.
    pub tenant: Option<TenantId>,
    /// The caller's trace context (`metadata["io.omega/trace"]` or
    /// `metadata.traceparent`).
    pub trace: Option<TraceContext>,
}

/// What an agent reports while it works. The stream ends after
/// `Completed` or `Failed`; a stream that just ends completes the task.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AgentEvent {
    /// Working, with an optional progress note.
    Working(Option<String>),
    /// An output (or a chunk of one when `append` is true).
    Artifact {
        /// The artifact or chunk.
        artifact: Artifact,
        /// Extends the earlier chunk with the same id.
        append: bool,
        /// The last chunk of this artifact.
        last_chunk: bool,
    },
    /// Done; the optional message is the final answer. `metadata` is
    /// merged into the task's metadata.
    Completed {
        /// Final message.
        message: Option<Message>,
        /// Task metadata to add (usage, decider).
        metadata: Option<serde_json::Map<String, serde_json::Value>>,
    },
    /// Failed with this error (put into the task's status message and
    /// `metadata.error`).
    Failed(OmegaError),
}

/// A stream of [`AgentEvent`]s.
pub type AgentStream = BoxStream<'static, AgentEvent>;

/// Anything served as an A2A agent: a Titan, a team.
#[async_trait::async_trait]
pub trait A2aAgent: Send + Sync + 'static {
    /// The agent's card (served at `/.well-known/agent-card.json` in its
    /// public form).
    fn card(&self) -> AgentCard;

    /// Starts work on a message. Errors are reported as
    /// [`AgentEvent::Failed`]; dropping the stream cancels the work.
    async fn handle(&self, request: A2aRequest) -> AgentStream;
}

/// An orchestrator-backed Titan as an A2A agent: the message's text parts
/// (after the task's history) become a user message; the answer streams as
/// the `answer` artifact and ends as the final status message.
pub struct TitanAgent {
    orchestrator: Arc<Orchestrator>,
    titan: Option<String>,
    task_type: String,
    default_tenant: Option<TenantId>,
    card: AgentCard,
}

impl std::fmt::Debug for TitanAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TitanAgent")
            .field("titan", &self.titan)
            .field("task_type", &self.task_type)
            .finish_non_exhaustive()
    }
}

impl TitanAgent {
    /// Serves `titan` (streamed from that Titan) or, with `None`, the
    /// orchestrator's strategy for `task_type`. A message naming no tenant
    /// is made for `default_tenant`, or refused when there is none.
    pub fn new(
        orchestrator: Arc<Orchestrator>,
        titan: Option<String>,
        task_type: impl Into<String>,
        default_tenant: Option<TenantId>,
        card: AgentCard,
    ) -> Self {
        Self {
            orchestrator,
            titan,
            task_type: task_type.into(),
            default_tenant,
            card,
        }
    }

    fn call_request(&self, req: &A2aRequest) -> Result<TitanCallRequest, OmegaError> {
        let tenant = req
            .tenant
            .clone()
            .or_else(|| self.default_tenant.clone())
            .ok_or_else(|| {
                OmegaError::new(
                    omega_protocol::ErrorCode::TENANT_REQUIRED,
                    "the message names no tenant",
                )
                .with_field("message.metadata.tenant")
                .with_hint("set metadata.tenant to the tenant id")
            })?;
        let messages = req
            .history
            .iter()
            .chain(std::iter::once(&req.message))
            .filter(|m| !m.text().trim().is_empty())
            .map(|m| {
                let role = if m.role == Role::Agent {
                    ChatRole::Assistant
                } else {
                    ChatRole::User
                };
                ChatMessage::text(role, m.text())
            })
            .collect::<Vec<_>>();
        if messages.is_empty() {
            return Err(OmegaError::invalid_params("the message has no text part")
                .with_field("message.parts")
                .with_hint("send the question as a text part"));
        }
        Ok(TitanCallRequest {
            tenant,
            titan: self.titan.clone(),
            model: None,
            messages,
            tools: Vec::new(),
            max_output_tokens: None,
            temperature: None,
            // The A2A task's span (current here) is the parent of what follows.
            trace: omega_telemetry::propagation::current().or_else(|| req.trace.clone()),
        })
    }
}

fn answer_chunk(text: String, append: bool, last_chunk: bool) -> AgentEvent {
    AgentEvent::Artifact {
        artifact: Artifact {
            artifact_id: "answer".into(),
            name: Some("answer".into()),
            description: None,
            parts: vec![Part::text(text)],
            metadata: None,
        },
        append,
        last_chunk,
    }
}

fn usage_meta(
    titan: &str,
    model: &str,
    usage: &omega_protocol::Usage,
) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("titan".into(), json!(titan));
    m.insert("model".into(), json!(model));
    m.insert("usage".into(), json!(usage));
    m
}

#[async_trait::async_trait]
impl A2aAgent for TitanAgent {
    fn card(&self) -> AgentCard {
        self.card.clone()
    }

    async fn handle(&self, request: A2aRequest) -> AgentStream {
        let call = match self.call_request(&request) {
            Ok(c) => c,
            Err(e) => return futures::stream::iter([AgentEvent::Failed(e)]).boxed(),
        };
        let tenant = call.tenant.clone();
        let orchestrator = self.orchestrator.clone();
        if self.titan.is_some() {
            let stream = match orchestrator.stream(&self.task_type, &tenant, call).await {
                Ok(s) => s,
                Err(e) => return futures::stream::iter([AgentEvent::Failed(e)]).boxed(),
            };
            let mut first = true;
            let events = stream.map(move |item| match item {
                Ok(TitanEvent::TextDelta { text }) => {
                    let append = !first;
                    first = false;
                    answer_chunk(text, append, false)
                }
                Ok(TitanEvent::Completed(result)) => AgentEvent::Completed {
                    metadata: Some(usage_meta(&result.titan, &result.model, &result.usage)),
                    message: Some(Message::agent_text(result.message.content)),
                },
                Ok(_) => AgentEvent::Working(None),
                Err(e) => AgentEvent::Failed(e.to_omega()),
            });
            return futures::stream::once(async { AgentEvent::Working(None) })
                .chain(events)
                .boxed();
        }
        let task_type = self.task_type.clone();
        futures::stream::once(async { AgentEvent::Working(None) })
            .chain(
                futures::stream::once(async move {
                    match orchestrator.call(&task_type, &tenant, call).await {
                        Ok(out) => {
                            let mut meta =
                                usage_meta(&out.result.titan, &out.result.model, &out.usage);
                            meta.insert("decidedBy".into(), json!(out.decided_by));
                            meta.insert("strategy".into(), json!(out.strategy));
                            let text = out.result.message.content;
                            vec![
                                answer_chunk(text.clone(), false, true),
                                AgentEvent::Completed {
                                    message: Some(Message::agent_text(text)),
                                    metadata: Some(meta),
                                },
                            ]
                        }
                        Err(e) => vec![AgentEvent::Failed(e)],
                    }
                })
                .flat_map(futures::stream::iter),
            )
            .boxed()
    }
}

/// A card for a Titan served at `url` (the JSON-RPC endpoint, e.g.
/// `https://omega.example/a2a/gpt/`): one `answer` skill, text in and out,
/// streaming, OMEGA role `titan`, always on, all tenants.
pub fn titan_card(titan: &str, url: &str) -> AgentCard {
    use omega_protocol::{
        A2A_PROTOCOL_VERSION, AgentCapabilities, AgentInterface, AgentSkill, OmegaAgentFields,
        TenantScope, Tier,
    };
    AgentCard {
        name: format!("{titan} Titan"),
        description: format!("The {titan} Titan behind OMEGA's orchestrator."),
        supported_interfaces: vec![AgentInterface {
            url: url.to_owned(),
            protocol_binding: "JSONRPC".into(),
            tenant: None,
            protocol_version: A2A_PROTOCOL_VERSION.into(),
        }],
        provider: None,
        version: env!("CARGO_PKG_VERSION").into(),
        documentation_url: None,
        capabilities: AgentCapabilities {
            streaming: Some(true),
            push_notifications: Some(false),
            ..AgentCapabilities::default()
        },
        security_schemes: Default::default(),
        security_requirements: Vec::new(),
        default_input_modes: vec!["text/plain".into()],
        default_output_modes: vec!["text/plain".into()],
        skills: vec![AgentSkill {
            id: "answer".into(),
            name: "Answer".into(),
            description: format!("Answers a question with the {titan} Titan."),
            tags: vec!["titan".into(), titan.to_owned()],
            examples: Vec::new(),
            input_modes: Vec::new(),
            output_modes: Vec::new(),
            security_requirements: Vec::new(),
        }],
        signatures: Vec::new(),
        icon_url: None,
        omega: Some(OmegaAgentFields {
            role: "titan".into(),
            tier: Tier::AlwaysOn,
            tenants: TenantScope::All,
        }),
    }
}
