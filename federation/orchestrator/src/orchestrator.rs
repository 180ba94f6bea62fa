//! The orchestrator: picks Titans for a task type by its configured
//! strategy, enforces budgets and records usage.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use omega_protocol::{
    ChatMessage, ChatRole, DecidedBy, DeciderKind, ErrorCode, OmegaError, TenantId,
    TitanCallRequest, TitanCallResult, Usage,
};
use omega_titans::{Titan, TitanEvent, TitanStream, Titans};
use serde::Serialize;
use serde_json::json;
use tracing::Instrument;

use crate::budget::{Clock, SystemClock, UsageLedger, UsageRecord, UsageSink};
use crate::config::{ConfigError, OrchestratorConfig, TaskStrategy};
use crate::vote::parse_classification;

/// What one Titan did during an orchestrated call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Titan name.
    pub titan: String,
    /// The classification confidence read from its answer, when it answered
    /// one (fan-out and cheapest-first only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Why it failed; `None` when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<OmegaError>,
}

/// The answer of an orchestrated call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Orchestrated {
    /// The answer. For a fan-out it is synthesized: the content is
    /// `{"category": <winner>, "confidence": <combined>}`, `titan` and
    /// `model` are those of the most confident winning voter, and usage is
    /// the sum over all Titans.
    pub result: TitanCallResult,
    /// Strategy used (`single`, `fallback`, `fanOut`, `cheapestFirst`, or
    /// `named` when the request named its Titan).
    pub strategy: &'static str,
    /// The Titans whose answer decided, most confident first.
    pub decided_by: Vec<String>,
    /// The decision's confidence (fan-out and cheapest-first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Every Titan tried, in order of trying.
    pub attempts: Vec<Attempt>,
    /// Tokens and cost of all calls made.
    pub usage: Usage,
}

/// A classification decided by the orchestrator.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    /// The label, `None` when the deciders abstained.
    pub label: Option<String>,
    /// Confidence in `[0, 1]`.
    pub confidence: f64,
    /// Who decided: the (most confident deciding) Titan, as a local model or a Titan.
    pub decided_by: DecidedBy,
    /// The full orchestrated answer (attempts, usage).
    pub detail: Orchestrated,
}

/// Chooses Titans per task type, enforces budgets, records usage.
pub struct Orchestrator {
    pub(crate) titans: BTreeMap<String, Arc<dyn Titan>>,
    pub(crate) config: OrchestratorConfig,
    pub(crate) ledger: Arc<UsageLedger>,
}

impl std::fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orchestrator")
            .field("titans", &self.titans.keys().collect::<Vec<_>>())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Orchestrator {
    /// An orchestrator over `titans`, on the system clock. Fails when the
    /// configuration names a Titan not given or has a bad value.
    pub fn new(
        config: OrchestratorConfig,
        titans: impl IntoIterator<Item = Arc<dyn Titan>>,
    ) -> Result<Self, ConfigError> {
        Self::with_clock(config, titans, Arc::new(SystemClock))
    }

    /// Like [`Orchestrator::new`], reading time (for budget windows and
    /// usage records) from `clock`.
    pub fn with_clock(
        config: OrchestratorConfig,
        titans: impl IntoIterator<Item = Arc<dyn Titan>>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        let titans: BTreeMap<String, Arc<dyn Titan>> = titans
            .into_iter()
            .map(|t| (t.name().to_owned(), t))
            .collect();
        let names: Vec<&str> = titans.keys().map(String::as_str).collect();
        config.validate(&names)?;
        let ledger = Arc::new(UsageLedger::new(config.budgets.clone(), clock));
        Ok(Self {
            titans,
            config,
            ledger,
        })
    }

    /// An orchestrator over the Titans built by `omega_titans::build_titans`.
    pub fn from_titans(config: OrchestratorConfig, titans: &Titans) -> Result<Self, ConfigError> {
        let list: Vec<Arc<dyn Titan>> = titans
            .names()
            .filter_map(|n| titans.get(n).cloned())
            .collect();
        Self::new(config, list)
    }

    /// Adds a callback told about every recorded call (for metrics).
    pub fn add_usage_sink(&mut self, sink: UsageSink) {
        Arc::get_mut(&mut self.ledger)
            .expect("sinks are added before the orchestrator is shared")
            .add_sink(sink);
    }

    /// The usage ledger.
    pub fn ledger(&self) -> &UsageLedger {
        &self.ledger
    }

    /// The configuration in force.
    pub fn config(&self) -> &OrchestratorConfig {
        &self.config
    }

    /// The Titan called `name`.
    pub fn titan(&self, name: &str) -> Option<&Arc<dyn Titan>> {
        self.titans.get(name)
    }

    /// Names of all Titans, sorted.
    pub fn titan_names(&self) -> impl Iterator<Item = &str> {
        self.titans.keys().map(String::as_str)
    }

    /// The strategy used for `task_type`.
    pub fn strategy(&self, task_type: &str) -> &TaskStrategy {
        self.config
            .tasks
            .get(task_type)
            .unwrap_or(&self.config.default_strategy)
    }

    /// Answers `req` for `tenant` with the strategy of `task_type`, or with
    /// the Titan the request names. Errors: `TENANT_FORBIDDEN` when the
    /// request is for another tenant, `SCHEMA_VIOLATION` for a bad request,
    /// `NOT_FOUND` for an unknown named Titan, `BUDGET_EXHAUSTED` naming the
    /// budget, `UPSTREAM_FAILED` naming each Titan's cause when none answered
    /// (or `DEADLINE_EXCEEDED`, `RATE_LIMITED`, `OVERLOADED` when the only
    /// Titan tried failed that way).
    pub async fn call(
        &self,
        task_type: &str,
        tenant: &TenantId,
        req: TitanCallRequest,
    ) -> Result<Orchestrated, OmegaError> {
        check_request(tenant, &req)?;
        let strategy = match req.titan.as_deref() {
            Some(name) => {
                if !self.titans.contains_key(name) {
                    return Err(OmegaError::not_found(format!("no Titan named {name:?}"))
                        .with_field("titan")
                        .with_hint(format!(
                            "use one of {:?}, or omit titan to let the orchestrator choose",
                            self.titans.keys().collect::<Vec<_>>()
                        )));
                }
                TaskStrategy::Single {
                    titan: name.to_owned(),
                    timeout_ms: None,
                }
            }
            None => self.strategy(task_type).clone(),
        };
        let label = if req.titan.is_some() {
            "named"
        } else {
            strategy.name()
        };
        let span = tracing::info_span!(
            "orchestrator.call",
            task_type,
            tenant = %tenant,
            strategy = label,
        );
        // Continue the caller's trace (the request's W3C context).
        if let Some(ctx) = &req.trace {
            omega_telemetry::propagation::set_parent(&span, ctx);
        }
        async move {
            let mut out = self.run(&strategy, task_type, &req).await?;
            out.strategy = label;
            tracing::debug!(decided_by = ?out.decided_by, attempts = out.attempts.len(), "orchestrated");
            Ok(out)
        }
        .instrument(span)
        .await
    }

    /// Streams the answer of the Titan `req` names (budget checked, usage
    /// recorded when the stream completes). Without a named Titan the
    /// strategy of `task_type` answers whole and the stream has one text
    /// delta and the completion.
    pub async fn stream(
        &self,
        task_type: &str,
        tenant: &TenantId,
        req: TitanCallRequest,
    ) -> Result<TitanStream, OmegaError> {
        check_request(tenant, &req)?;
        let Some(name) = req.titan.clone() else {
            let out = self.call(task_type, tenant, req).await?;
            let text = out.result.message.content.clone();
            return Ok(futures::stream::iter([
                Ok(TitanEvent::TextDelta { text }),
                Ok(TitanEvent::Completed(out.result)),
            ])
            .boxed());
        };
        let titan = self.titans.get(&name).ok_or_else(|| {
            OmegaError::not_found(format!("no Titan named {name:?}"))
                .with_field("titan")
                .with_hint(format!(
                    "use one of {:?}",
                    self.titans.keys().collect::<Vec<_>>()
                ))
        })?;
        self.ledger.check(tenant)?;
        let stream = titan
            .stream(&req)
            .instrument(tracing::info_span!("titan.stream", titan = %name, tenant = %tenant))
            .await
            .map_err(|e| e.to_omega())?;
        let ledger = self.ledger.clone();
        let tenant = tenant.clone();
        let task_type = task_type.to_owned();
        Ok(stream
            .inspect(move |ev| {
                if let Ok(TitanEvent::Completed(r)) = ev {
                    ledger.record(UsageRecord {
                        at: ledger.now(),
                        tenant: tenant.clone(),
                        task_type: task_type.clone(),
                        titan: r.titan.clone(),
                        model: r.model.clone(),
                        usage: r.usage,
                    });
                }
            })
            .boxed())
    }

    /// Classifies `text` for `tenant` with the strategy of the configured
    /// classification task type (default `classify`).
    pub async fn classify(
        &self,
        tenant: &TenantId,
        text: &str,
    ) -> Result<Classification, OmegaError> {
        if text.trim().is_empty() {
            return Err(OmegaError::invalid_params("there is no text to classify")
                .with_field("text")
                .with_hint("send the ticket's subject and body"));
        }
        let req = self.classification_request(tenant, text);
        let task_type = self.config.classification.task_type.clone();
        let detail = self.call(&task_type, tenant, req).await?;
        let (label, confidence) = match detail.confidence {
            Some(c) => {
                let (label, _) = parse_classification(&detail.result.message.content)
                    .map_err(|e| malformed(&detail.result.titan, &e))?;
                (label, c)
            }
            None => parse_classification(&detail.result.message.content)
                .map_err(|e| malformed(&detail.result.titan, &e))?,
        };
        let decider = detail
            .decided_by
            .first()
            .cloned()
            .unwrap_or_else(|| detail.result.titan.clone());
        let local = self.titans.get(&decider).is_some_and(|t| t.is_local());
        Ok(Classification {
            label,
            confidence,
            decided_by: DecidedBy {
                kind: if local {
                    DeciderKind::LocalModel
                } else {
                    DeciderKind::Titan
                },
                name: decider,
            },
            detail,
        })
    }

    /// The request `classify` sends: a system prompt asking for a JSON
    /// answer (listing the configured labels) and the text as user message.
    pub fn classification_request(&self, tenant: &TenantId, text: &str) -> TitanCallRequest {
        let labels = &self.config.classification.labels;
        let mut prompt = String::from(
            "You classify IT support tickets. Answer with only a JSON object \
             {\"category\": <category or null>, \"confidence\": <number from 0 to 1>}. \
             Use null when unsure.",
        );
        if !labels.is_empty() {
            prompt.push_str(" Allowed categories: ");
            prompt.push_str(&labels.join(", "));
            prompt.push('.');
        }
        TitanCallRequest {
            tenant: tenant.clone(),
            titan: None,
            model: None,
            messages: vec![
                ChatMessage::text(ChatRole::System, prompt),
                ChatMessage::text(ChatRole::User, text),
            ],
            tools: Vec::new(),
            max_output_tokens: Some(100),
            temperature: Some(0.0),
            trace: None,
        }
    }

    /// Calls one Titan with a deadline; records usage on success.
    pub(crate) async fn call_one(
        &self,
        name: &str,
        task_type: &str,
        req: &TitanCallRequest,
        timeout: Duration,
    ) -> Result<TitanCallResult, OmegaError> {
        let titan = self
            .titans
            .get(name)
            .ok_or_else(|| OmegaError::internal(format!("Titan {name:?} vanished")))?;
        let span = tracing::info_span!("titan.call", titan = name);
        // The Titan sees this span as its parent.
        let mut req = req.clone();
        if let Some(ctx) = omega_telemetry::propagation::context_of(&span) {
            req.trace = Some(ctx);
        }
        let req = &req;
        let outcome = tokio::time::timeout(timeout, titan.call(req))
            .instrument(span)
            .await;
        match outcome {
            Err(_) => {
                tracing::debug!(
                    titan = name,
                    timeout_ms = timeout.as_millis() as u64,
                    "Titan deadline passed"
                );
                Err(OmegaError::new(
                    ErrorCode::DEADLINE_EXCEEDED,
                    format!("{name} did not answer within {}ms", timeout.as_millis()),
                )
                .with_hint("raise the task's timeoutMs or use a faster Titan")
                .with_extra(json!({"titan": name, "kind": "timeout"})))
            }
            Ok(Err(e)) => {
                tracing::debug!(titan = name, kind = e.kind(), "Titan failed");
                Err(e.to_omega())
            }
            Ok(Ok(result)) => {
                self.ledger.record(UsageRecord {
                    at: self.ledger.now(),
                    tenant: req.tenant.clone(),
                    task_type: task_type.to_owned(),
                    titan: result.titan.clone(),
                    model: result.model.clone(),
                    usage: result.usage,
                });
                Ok(result)
            }
        }
    }
}

/// The error for an answer that holds no readable classification.
pub(crate) fn malformed(titan: &str, detail: &str) -> OmegaError {
    OmegaError::new(
        ErrorCode::UPSTREAM_FAILED,
        format!("{titan} answered without a readable classification: {detail}"),
    )
    .with_hint("the Titan must answer {\"category\": ..., \"confidence\": ...}")
    .with_extra(json!({"titan": titan, "kind": "malformed"}))
}

/// `UPSTREAM_FAILED` naming every Titan's cause. With one attempt its own
/// error is returned as is (its code is more precise).
pub(crate) fn all_failed(attempts: &[Attempt]) -> OmegaError {
    let failed: Vec<(&str, &OmegaError)> = attempts
        .iter()
        .filter_map(|a| a.error.as_ref().map(|e| (a.titan.as_str(), e)))
        .collect();
    if let [(_, only)] = failed.as_slice() {
        return (*only).clone();
    }
    let summary = failed
        .iter()
        .map(|(t, e)| format!("{t}: {}", e.message))
        .collect::<Vec<_>>()
        .join("; ");
    let causes: Vec<serde_json::Value> = failed
        .iter()
        .map(|(t, e)| {
            json!({
                "titan": t,
                "code": e.code.0,
                "name": e.code.name(),
                "message": e.message,
            })
        })
        .collect();
    OmegaError::new(
        ErrorCode::UPSTREAM_FAILED,
        format!("all {} Titans failed: {summary}", failed.len()),
    )
    .with_hint("check each Titan's cause; the call may succeed later or with other Titans")
    .with_extra(json!({"causes": causes}))
}

fn check_request(tenant: &TenantId, req: &TitanCallRequest) -> Result<(), OmegaError> {
    if &req.tenant != tenant {
        return Err(OmegaError::new(
            ErrorCode::TENANT_FORBIDDEN,
            format!(
                "the request is for tenant {} but the call is made for tenant {tenant}",
                req.tenant
            ),
        )
        .with_field("tenant")
        .with_hint("send the request for the caller's own tenant"));
    }
    req.validate()?;
    Ok(())
}
