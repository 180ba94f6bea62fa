//! The triage and classification teams' work on one ticket.

use chrono::Utc;
use omega_classifier::TicketPrediction;
use omega_protocol::{
    DecidedBy, DeciderKind, Decision, Priority, SimilarTicket, TenantId, Ticket, TriageResult,
};
use omega_store::Scope;
use serde_json::Value;

use crate::Pipeline;
use crate::config::queues;
use crate::messages::{ActionMessage, TicketMessage};
use crate::pipeline::RESULTS;
use crate::rules::{fallback_priority, parse_priority, suggest_actions};

/// The decider name on results of the triage team.
pub const TRIAGE_DECIDER: &str = "omega-embedded-classifier";
/// The decider name on results of the classification team.
pub const CLASSIFY_DECIDER: &str = "omega-classifier-knn";

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Pipeline {
    /// Similar past tickets from the context server (none without one).
    async fn similar(&self, ticket: &Ticket, k: u32) -> Result<Vec<SimilarTicket>, String> {
        let Some(ctx) = &self.0.context else {
            return Ok(Vec::new());
        };
        let hits = ctx
            .for_tenant(ticket.tenant.clone())
            .ticket_context(&ticket.title, &ticket.body, k)
            .await
            .map_err(|e| format!("ticket_context failed: {e}"))?;
        Ok(hits
            .iter()
            .filter_map(|h| similar_from(h, &ticket.id))
            .collect())
    }

    fn predict(&self, text: &str) -> TicketPrediction {
        self.0
            .classifier
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .predict(text)
    }

    /// The ticket's category: asked of the orchestrator when the pipeline
    /// has one (its strategy picks the Titan; the answer names it), else
    /// the embedded classifier of this process.
    async fn decide_category(
        &self,
        ticket: &Ticket,
        pred: &TicketPrediction,
    ) -> Result<(Decision<String>, DecidedBy, String), String> {
        let Some(orchestrator) = &self.0.orchestrator else {
            let c = &pred.category;
            let decision = if c.abstained {
                Decision::abstain(Some(c.top_label().to_owned()), c.confidence)
            } else {
                Decision::new(c.label.clone(), c.confidence)
            }
            .map_err(|e| e.message)?;
            let note = format!(
                "Embedded classifier: {} at confidence {:.2}{}",
                c.top_label(),
                c.confidence,
                if c.abstained {
                    " (abstained: below the threshold)"
                } else {
                    ""
                }
            );
            let by = DecidedBy {
                kind: DeciderKind::LocalModel,
                name: TRIAGE_DECIDER.to_owned(),
            };
            return Ok((decision, by, note));
        };
        let answer = orchestrator
            .classify(&ticket.tenant, &ticket.text())
            .await
            .map_err(|e| format!("orchestrator_classify failed: {e}"))?;
        let failed: Vec<&str> = answer
            .attempts
            .iter()
            .filter(|a| a.error.is_some())
            .map(|a| a.titan.as_str())
            .collect();
        let note = format!(
            "Titan {} ({} strategy): {} at confidence {:.2}{}{}",
            answer.decided_by.name,
            answer.strategy,
            answer.label.as_deref().unwrap_or("no category"),
            answer.confidence,
            if answer.label.is_none() {
                " (abstained)"
            } else {
                ""
            },
            if failed.is_empty() {
                String::new()
            } else {
                format!(" after {} failed", failed.join(", "))
            },
        );
        let decision = match answer.label {
            Some(label) => Decision::new(Some(label), answer.confidence),
            None => Decision::abstain(None, answer.confidence),
        }
        .map_err(|e| e.message)?;
        Ok((decision, answer.decided_by, note))
    }

    /// Triage team: classify, prioritize, suggest, store, record, publish.
    pub(crate) async fn triage(&self, msg: &TicketMessage) -> Result<(), String> {
        let ticket = &msg.ticket;
        let similar = self.similar(ticket, self.0.cfg.similar_k).await?;
        let pred = self.predict(&ticket.text());
        let (category, decided_by, note) = self.decide_category(ticket, &pred).await?;
        let priority = self.priority(ticket, &pred)?;
        let top = category.value.clone();
        let agree = similar
            .iter()
            .filter(|s| s.category.is_some() && s.category == top)
            .count();
        let rationale = format!(
            "{note}; priority {} ({}); {} similar past tickets, {} in the same category.",
            priority.0.value.map_or("?", Priority::as_str),
            priority.1,
            similar.len(),
            agree,
        );
        let mut result = self.build_result(
            ticket,
            category,
            priority.0,
            similar,
            TRIAGE_DECIDER,
            rationale,
        );
        result.decided_by = decided_by;
        if result.category.abstained {
            self.store(&result).await?;
            let fwd = TicketMessage {
                reason: Some("abstained".into()),
                ..msg.clone()
            };
            let id = TicketMessage::version_id(ticket);
            return self
                .enqueue(queues::CLASSIFY, id, &ticket.tenant, &fwd)
                .await
                .map_err(err);
        }
        self.finish(ticket, result).await
    }

    /// Priority: the platform's when it had one, else the priority model, else keywords.
    fn priority(
        &self,
        ticket: &Ticket,
        pred: &TicketPrediction,
    ) -> Result<(Decision<Priority>, &'static str), String> {
        if let Some(p) = ticket.priority {
            return Ok((
                Decision::new(Some(p), 1.0).map_err(|e| e.message)?,
                "set on the platform",
            ));
        }
        if let Some(p) = pred.priority.as_ref().filter(|p| !p.abstained)
            && let Some(v) = p.label.as_deref().and_then(parse_priority)
        {
            return Ok((
                Decision::new(Some(v), p.confidence).map_err(|e| e.message)?,
                "priority model",
            ));
        }
        let v = fallback_priority(&ticket.text().to_lowercase());
        Ok((
            Decision::new(Some(v), 0.5).map_err(|e| e.message)?,
            "keyword rules",
        ))
    }

    fn build_result(
        &self,
        ticket: &Ticket,
        category: Decision<String>,
        priority: Decision<Priority>,
        similar: Vec<SimilarTicket>,
        decider: &str,
        rationale: String,
    ) -> TriageResult {
        let suggested_actions = match (category.decided(), priority.value) {
            (Some(cat), Some(p)) => suggest_actions(cat, &ticket.text().to_lowercase(), p),
            _ => Vec::new(),
        };
        TriageResult {
            ticket_id: ticket.id.clone(),
            tenant: ticket.tenant.clone(),
            category,
            priority,
            suggested_actions,
            similar_tickets: similar,
            decided_by: DecidedBy {
                kind: DeciderKind::LocalModel,
                name: decider.to_owned(),
            },
            rationale,
            decided_at: Utc::now(),
        }
    }

    async fn store(&self, result: &TriageResult) -> Result<(), String> {
        result.validate().map_err(|e| e.message)?;
        let body = serde_json::to_value(result).map_err(err)?;
        let route = if result.category.abstained {
            "abstained"
        } else {
            "decided"
        };
        let index = [
            (
                "category",
                result.category.value.clone().unwrap_or_default(),
            ),
            ("state", route.to_owned()),
        ];
        self.0
            .results
            .put_doc(
                &Scope::Tenant(result.tenant.clone()),
                RESULTS,
                &result.ticket_id,
                &body,
                &index,
            )
            .await
            .map_err(err)
    }

    /// Stores a decided result, records the ticket for future context, and
    /// publishes it to `auto-action` or `needs-review`.
    async fn finish(&self, ticket: &Ticket, result: TriageResult) -> Result<(), String> {
        self.store(&result).await?;
        self.record(ticket, &result).await?;
        let threshold = self.0.cfg.threshold(&ticket.tenant);
        let first = result.suggested_actions.first();
        let (queue, reason) = match first {
            Some(a) if a.automatic && result.category.confidence >= threshold => (
                queues::AUTO_ACTION,
                format!(
                    "automatic action at confidence {:.2} >= {threshold:.2}",
                    result.category.confidence
                ),
            ),
            Some(a) if a.automatic => (
                queues::NEEDS_REVIEW,
                format!(
                    "confidence {:.2} is below the tenant threshold {threshold:.2}",
                    result.category.confidence
                ),
            ),
            Some(_) => (
                queues::NEEDS_REVIEW,
                "the first action needs a human".to_owned(),
            ),
            None => (queues::NEEDS_REVIEW, "no action suggested".to_owned()),
        };
        let id = TicketMessage::version_id(ticket);
        self.enqueue(
            queue,
            id,
            &ticket.tenant,
            &ActionMessage::for_ticket(ticket, result, reason),
        )
        .await
        .map_err(err)
    }

    /// Records the ticket with the context server so later tickets find it
    /// (`ticket_record` replaces an earlier record of the same id).
    async fn record(&self, ticket: &Ticket, result: &TriageResult) -> Result<(), String> {
        let Some(ctx) = &self.0.context else {
            return Ok(());
        };
        ctx.for_tenant(ticket.tenant.clone())
            .ticket_record(
                &ticket.id,
                &ticket.title,
                &ticket.body,
                result.category.decided().map(String::as_str),
                None,
            )
            .await
            .map_err(|e| format!("ticket_record failed: {e}"))
    }

    /// Classification team: the classifier's scores plus a similarity-weighted
    /// vote of similar past tickets' categories.
    pub(crate) async fn reclassify(&self, msg: &TicketMessage) -> Result<(), String> {
        let ticket = &msg.ticket;
        let similar = self.similar(ticket, self.0.cfg.similar_k.max(10)).await?;
        let pred = self.predict(&ticket.text());
        let (label, confidence, votes) = vote(&pred, &similar);
        let threshold = self
            .0
            .classifier
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .category
            .abstain_threshold();
        let decided = votes > 0 && confidence >= threshold;
        let category = if decided {
            Decision::new(Some(label.clone()), confidence)
        } else {
            Decision::abstain(Some(label.clone()), confidence)
        }
        .map_err(|e| e.message)?;
        let (priority, source) = self.priority(ticket, &pred)?;
        let rationale = format!(
            "Re-classified ({}): classifier plus {} similar past tickets ({} voting for {label}); combined confidence {confidence:.2}{}; priority from {source}.",
            msg.reason.as_deref().unwrap_or("abstained"),
            similar.len(),
            votes,
            if decided {
                ""
            } else {
                ", still below the threshold: left to an employee"
            },
        );
        let result = self.build_result(
            ticket,
            category,
            priority,
            similar,
            CLASSIFY_DECIDER,
            rationale,
        );
        if result.category.abstained {
            self.store(&result).await?;
            self.record(ticket, &result).await?;
            let id = TicketMessage::version_id(ticket);
            let reason = "classification team abstained".to_owned();
            return self
                .enqueue(
                    queues::NEEDS_REVIEW,
                    id,
                    &ticket.tenant,
                    &ActionMessage::for_ticket(ticket, result, reason),
                )
                .await
                .map_err(err);
        }
        self.finish(ticket, result).await
    }

    /// The tenant a stored result belongs to (for tools).
    pub async fn triage_results(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<TriageResult>, String> {
        let docs = self
            .0
            .results
            .list_docs(&Scope::Tenant(tenant.clone()), RESULTS, None, limit)
            .await
            .map_err(err)?;
        Ok(docs
            .into_iter()
            .filter_map(|d| serde_json::from_value(d.body).ok())
            .collect())
    }
}

fn similar_from(hit: &Value, own_id: &str) -> Option<SimilarTicket> {
    let id = hit.get("ticketId")?.as_str()?;
    if id == own_id {
        return None;
    }
    Some(SimilarTicket {
        ticket_id: id.to_owned(),
        score: hit
            .get("score")
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite())
            .unwrap_or(0.0),
        category: hit
            .get("category")
            .and_then(Value::as_str)
            .map(str::to_owned),
        resolution: hit
            .get("resolution")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Combines the classifier's probabilities with similar tickets' categories:
/// `score(label) = p(label) + sum of positive similarities of neighbours with that label`,
/// normalized. Returns the winner, its share and how many neighbours voted for it.
pub(crate) fn vote(pred: &TicketPrediction, similar: &[SimilarTicket]) -> (String, f64, usize) {
    let mut scores: Vec<(String, f64)> = pred.category.scores.clone();
    for s in similar {
        let Some(cat) = &s.category else { continue };
        let w = s.score.max(0.0);
        match scores.iter_mut().find(|(l, _)| l == cat) {
            Some((_, v)) => *v += w,
            None => scores.push((cat.clone(), w)),
        }
    }
    let total: f64 = scores.iter().map(|(_, v)| v).sum();
    let Some((label, best)) = scores.into_iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return (String::new(), 0.0, 0);
    };
    let votes = similar
        .iter()
        .filter(|s| s.category.as_deref() == Some(label.as_str()))
        .count();
    let share = if total > 0.0 {
        (best / total).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (label, share, votes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use omega_classifier::Prediction;

    fn pred(scores: &[(&str, f64)]) -> TicketPrediction {
        TicketPrediction {
            category: Prediction {
                label: None,
                confidence: scores[0].1,
                abstained: true,
                abstain_reason: None,
                scores: scores.iter().map(|(l, v)| ((*l).to_owned(), *v)).collect(),
            },
            priority: None,
        }
    }

    fn sim(cat: &str, score: f64) -> SimilarTicket {
        SimilarTicket {
            ticket_id: format!("t-{cat}-{score}"),
            score,
            category: Some(cat.into()),
            resolution: None,
        }
    }

    #[test]
    fn neighbours_outvote_a_weak_model() {
        let p = pred(&[("Hardware", 0.4), ("Access", 0.35), ("Storage", 0.25)]);
        let (l, c, v) = vote(
            &p,
            &[sim("Access", 0.9), sim("Access", 0.8), sim("Hardware", 0.1)],
        );
        assert_eq!((l.as_str(), v), ("Access", 2));
        // (0.35 + 1.7) / (1.0 + 1.8)
        assert!((c - 2.05 / 2.8).abs() < 1e-9, "{c}");
        let (l, _, v) = vote(&p, &[]);
        assert_eq!((l.as_str(), v), ("Hardware", 0));
    }
}
