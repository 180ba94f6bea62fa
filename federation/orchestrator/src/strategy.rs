//! The four strategies: single, fallback chain, fan-out vote and
//! cheapest-first with escalation.

use std::time::Duration;

use omega_protocol::{
    ChatMessage, ChatRole, FinishReason, OmegaError, TitanCallRequest, TitanCallResult, Usage,
};
use serde_json::json;

use crate::config::{TaskStrategy, Vote};
use crate::orchestrator::{Attempt, Orchestrated, Orchestrator, all_failed, malformed};
use crate::vote::{Ballot, parse_classification, tally};

fn add(total: &mut Usage, u: &Usage) {
    total.input_tokens += u.input_tokens;
    total.output_tokens += u.output_tokens;
    total.cost_usd += u.cost_usd;
}

fn for_titan(req: &TitanCallRequest, name: &str) -> TitanCallRequest {
    let mut r = req.clone();
    r.titan = Some(name.to_owned());
    r
}

impl Orchestrator {
    pub(crate) async fn run(
        &self,
        strategy: &TaskStrategy,
        task_type: &str,
        req: &TitanCallRequest,
    ) -> Result<Orchestrated, OmegaError> {
        let timeout = strategy.timeout();
        match strategy {
            TaskStrategy::Single { titan, .. } => {
                self.chain(&[titan.as_str()], task_type, req, timeout).await
            }
            TaskStrategy::Fallback { titans, .. } => {
                let order: Vec<&str> = titans.iter().map(String::as_str).collect();
                self.chain(&order, task_type, req, timeout).await
            }
            TaskStrategy::FanOut {
                titans,
                vote,
                min_responses,
                ..
            } => {
                self.fan_out(titans, *vote, *min_responses, task_type, req, timeout)
                    .await
            }
            TaskStrategy::CheapestFirst {
                titans,
                min_confidence,
                ..
            } => {
                let order = self.by_cost(titans);
                self.escalate(&order, *min_confidence, task_type, req, timeout)
                    .await
            }
        }
    }

    /// Titans ordered by estimated cost: local ones cost 0, unlisted hosted
    /// ones sort last; ties keep the configured order.
    pub(crate) fn by_cost<'a>(&self, titans: &'a [String]) -> Vec<&'a str> {
        let cost = |name: &str| -> f64 {
            if let Some(c) = self.config.titan_costs.get(name) {
                *c
            } else if self.titans.get(name).is_some_and(|t| t.is_local()) {
                0.0
            } else {
                f64::INFINITY
            }
        };
        let mut order: Vec<&str> = titans.iter().map(String::as_str).collect();
        order.sort_by(|a, b| cost(a).total_cmp(&cost(b)));
        order
    }

    /// Tries `order` until one answers.
    async fn chain(
        &self,
        order: &[&str],
        task_type: &str,
        req: &TitanCallRequest,
        timeout: Duration,
    ) -> Result<Orchestrated, OmegaError> {
        let mut attempts = Vec::new();
        for name in order {
            self.ledger.check(&req.tenant)?;
            match self
                .call_one(name, task_type, &for_titan(req, name), timeout)
                .await
            {
                Ok(result) => {
                    attempts.push(Attempt {
                        titan: (*name).to_owned(),
                        confidence: None,
                        error: None,
                    });
                    return Ok(Orchestrated {
                        usage: result.usage,
                        decided_by: vec![(*name).to_owned()],
                        result,
                        strategy: "",
                        confidence: None,
                        attempts,
                    });
                }
                Err(error) => {
                    tracing::info!(
                        titan = name,
                        code = error.code.0,
                        "Titan failed; trying the next"
                    );
                    attempts.push(Attempt {
                        titan: (*name).to_owned(),
                        confidence: None,
                        error: Some(error),
                    });
                }
            }
        }
        Err(all_failed(&attempts))
    }

    /// Calls every Titan at once and votes on their classifications.
    async fn fan_out(
        &self,
        titans: &[String],
        vote: Vote,
        min_responses: usize,
        task_type: &str,
        req: &TitanCallRequest,
        timeout: Duration,
    ) -> Result<Orchestrated, OmegaError> {
        self.ledger.check(&req.tenant)?;
        let calls = titans.iter().map(|name| async move {
            let r = self
                .call_one(name, task_type, &for_titan(req, name), timeout)
                .await;
            (name.clone(), r)
        });
        let outcomes = futures::future::join_all(calls).await;
        let mut attempts = Vec::new();
        let mut ballots = Vec::new();
        let mut results = Vec::new();
        let mut usage = Usage::default();
        for (name, outcome) in outcomes {
            let parsed = outcome.and_then(|r| {
                add(&mut usage, &r.usage);
                let (label, confidence) =
                    parse_classification(&r.message.content).map_err(|e| malformed(&name, &e))?;
                Ok((r, label, confidence))
            });
            match parsed {
                Ok((r, label, confidence)) => {
                    let name_for_result = name.clone();
                    attempts.push(Attempt {
                        titan: name.clone(),
                        confidence: Some(confidence),
                        error: None,
                    });
                    ballots.push(Ballot {
                        titan: name,
                        label,
                        confidence,
                    });
                    results.push((name_for_result, r));
                }
                Err(error) => attempts.push(Attempt {
                    titan: name,
                    confidence: None,
                    error: Some(error),
                }),
            }
        }
        if ballots.len() < min_responses {
            let mut err = all_failed(&attempts);
            if !ballots.is_empty() {
                err.message = format!(
                    "only {} of the {min_responses} answers needed arrived; {}",
                    ballots.len(),
                    err.message
                );
            }
            return Err(err);
        }
        let t = tally(vote, &ballots);
        let lead = t
            .winners
            .first()
            .cloned()
            .unwrap_or_else(|| best_ballot(&ballots));
        let lead_result = results
            .iter()
            .find(|(n, _)| *n == lead)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| results[0].1.clone());
        let content = json!({"category": t.label, "confidence": t.confidence}).to_string();
        let result = TitanCallResult {
            titan: lead_result.titan,
            model: lead_result.model,
            message: ChatMessage::text(ChatRole::Assistant, content),
            finish_reason: FinishReason::Stop,
            usage,
        };
        let decided_by = if t.winners.is_empty() {
            vec![lead]
        } else {
            t.winners
        };
        Ok(Orchestrated {
            result,
            strategy: "",
            decided_by,
            confidence: Some(t.confidence),
            attempts,
            usage,
        })
    }

    /// Cheapest first; escalates while the confidence is below `min`. When
    /// no Titan reaches it, the most confident answer is returned.
    async fn escalate(
        &self,
        order: &[&str],
        min: f64,
        task_type: &str,
        req: &TitanCallRequest,
        timeout: Duration,
    ) -> Result<Orchestrated, OmegaError> {
        let mut attempts = Vec::new();
        let mut usage = Usage::default();
        let mut best: Option<(TitanCallResult, f64)> = None;
        for name in order {
            self.ledger.check(&req.tenant)?;
            let outcome = self
                .call_one(name, task_type, &for_titan(req, name), timeout)
                .await
                .and_then(|r| {
                    add(&mut usage, &r.usage);
                    let (_, c) = parse_classification(&r.message.content)
                        .map_err(|e| malformed(name, &e))?;
                    Ok((r, c))
                });
            match outcome {
                Ok((r, c)) => {
                    attempts.push(Attempt {
                        titan: (*name).to_owned(),
                        confidence: Some(c),
                        error: None,
                    });
                    let accept = c >= min;
                    if best.as_ref().is_none_or(|(_, bc)| c > *bc) {
                        best = Some((r, c));
                    }
                    if accept {
                        break;
                    }
                    tracing::info!(
                        titan = name,
                        confidence = c,
                        min,
                        "confidence too low; escalating"
                    );
                }
                Err(error) => attempts.push(Attempt {
                    titan: (*name).to_owned(),
                    confidence: None,
                    error: Some(error),
                }),
            }
        }
        let Some((result, confidence)) = best else {
            return Err(all_failed(&attempts));
        };
        Ok(Orchestrated {
            decided_by: vec![result.titan.clone()],
            result,
            strategy: "",
            confidence: Some(confidence),
            attempts,
            usage,
        })
    }
}

fn best_ballot(ballots: &[Ballot]) -> String {
    ballots
        .iter()
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        .map(|b| b.titan.clone())
        .unwrap_or_default()
}
