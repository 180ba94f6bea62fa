//! The outcome of triaging one ticket: category, priority, suggested actions,
//! similar past tickets, and who decided.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::check::{non_empty, violation};
use crate::error::OmegaError;
use crate::{Priority, TenantId};

/// One decision with its confidence.
///
/// `abstained` means the decider declined to decide (confidence too low,
/// out-of-scope input, policy). An abstaining decision may still carry its best
/// guess in `value`, but nothing acts on it; a decision that does not abstain
/// always has a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decision<T> {
    /// The decided value; `None` only when the decider abstained.
    pub value: Option<T>,
    /// How sure the decider is, from 0 (guess) to 1 (certain).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub confidence: f64,
    /// True when the decider declined to decide.
    #[serde(default)]
    pub abstained: bool,
}

impl<T> Decision<T> {
    /// A decision for `value` (or an abstention when `value` is `None`) with
    /// `confidence`, which must be a finite number in `[0, 1]`.
    pub fn new(value: Option<T>, confidence: f64) -> Result<Self, OmegaError> {
        let abstained = value.is_none();
        let decision = Self {
            value,
            confidence,
            abstained,
        };
        decision.validate()?;
        Ok(decision)
    }

    /// An abstention keeping `best_guess` for the record.
    pub fn abstain(best_guess: Option<T>, confidence: f64) -> Result<Self, OmegaError> {
        let decision = Self {
            value: best_guess,
            confidence,
            abstained: true,
        };
        decision.validate()?;
        Ok(decision)
    }

    /// The value to act on: `None` when the decider abstained.
    pub fn decided(&self) -> Option<&T> {
        if self.abstained {
            None
        } else {
            self.value.as_ref()
        }
    }

    /// Checks the confidence range and that a non-abstaining decision has a value.
    pub fn validate(&self) -> Result<(), OmegaError> {
        self.validate_at("")
    }

    pub(crate) fn validate_at(&self, prefix: &str) -> Result<(), OmegaError> {
        if !(self.confidence.is_finite() && (0.0..=1.0).contains(&self.confidence)) {
            return Err(violation(
                format!("{prefix}confidence"),
                format!("confidence {} is outside [0, 1]", self.confidence),
                "give a confidence between 0 and 1 inclusive",
            ));
        }
        if !self.abstained && self.value.is_none() {
            return Err(violation(
                format!("{prefix}value"),
                "a decision that does not abstain has no value",
                "set `value`, or set `abstained: true`",
            ));
        }
        Ok(())
    }
}

/// What kind of step a suggested action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Reset a user's password.
    ResetPassword,
    /// Unlock a locked-out account.
    UnlockAccount,
    /// Grant access to a system, group or share.
    GrantAccess,
    /// Revoke access to a system, group or share.
    RevokeAccess,
    /// Restart a service or machine.
    RestartService,
    /// Escalate to a higher support tier or on-call.
    Escalate,
    /// Move the ticket to another queue.
    AssignQueue,
    /// Ask the requester for missing information.
    RequestInfo,
    /// Order replacement or new hardware.
    OrderHardware,
    /// Reply with a canned template.
    ReplyTemplate,
    /// Anything else; the description says what.
    Other,
}

/// One step the decider suggests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuggestedAction {
    /// The kind of step.
    pub kind: ActionKind,
    /// What to do, in one sentence a technician can follow.
    pub description: String,
    /// True when the step may run without a human approving it.
    #[serde(default)]
    pub automatic: bool,
}

/// A past ticket that resembles this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimilarTicket {
    /// OMEGA id of the similar ticket (same tenant).
    pub ticket_id: String,
    /// Similarity score; higher is closer (cosine similarity for vector search).
    pub score: f64,
    /// The category it was filed under, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// How it was resolved, when known (redacted text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

/// What kind of decider produced a triage result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeciderKind {
    /// An OMEGA agent (rules, classifier pipeline).
    Agent,
    /// A Titan: a large hosted model reached through the federation.
    Titan,
    /// A small model running inside the deployment.
    LocalModel,
    /// A human employee.
    Employee,
}

/// Who decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecidedBy {
    /// The kind of decider.
    pub kind: DeciderKind,
    /// Its name: agent or Titan name, model id, or an employee pseudonym.
    pub name: String,
}

/// The result of triaging one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriageResult {
    /// The OMEGA id of the triaged ticket.
    pub ticket_id: String,
    /// The tenant the ticket belongs to.
    pub tenant: TenantId,
    /// The category decision (category names are tenant-defined).
    pub category: Decision<String>,
    /// The priority decision.
    pub priority: Decision<Priority>,
    /// Suggested next steps, most useful first.
    #[serde(default)]
    pub suggested_actions: Vec<SuggestedAction>,
    /// Similar past tickets, closest first.
    #[serde(default)]
    pub similar_tickets: Vec<SimilarTicket>,
    /// Who decided.
    pub decided_by: DecidedBy,
    /// Why, in a few sentences (no PII).
    pub rationale: String,
    /// When the decision was made.
    pub decided_at: DateTime<Utc>,
}

impl TriageResult {
    /// Checks both decisions, the ids, and every action and similar ticket.
    /// Errors are [`crate::ErrorCode::SCHEMA_VIOLATION`] naming the field.
    pub fn validate(&self) -> Result<(), OmegaError> {
        non_empty("ticketId", &self.ticket_id)?;
        self.category.validate_at("category.")?;
        if let Some(category) = &self.category.value {
            non_empty("category.value", category)?;
        }
        self.priority.validate_at("priority.")?;
        non_empty("decidedBy.name", &self.decided_by.name)?;
        for (i, action) in self.suggested_actions.iter().enumerate() {
            non_empty(
                &format!("suggestedActions[{i}].description"),
                &action.description,
            )?;
        }
        for (i, similar) in self.similar_tickets.iter().enumerate() {
            non_empty(&format!("similarTickets[{i}].ticketId"), &similar.ticket_id)?;
            if !similar.score.is_finite() {
                return Err(violation(
                    format!("similarTickets[{i}].score"),
                    "similarity score is not a finite number",
                    "send a finite score",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn field(err: &OmegaError) -> &str {
        assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
        err.data.field.as_deref().unwrap()
    }

    #[test]
    fn decision_confidence_is_checked() {
        assert!(Decision::new(Some(Priority::P2), 0.0).is_ok());
        assert!(Decision::new(Some(Priority::P2), 1.0).is_ok());
        for bad in [-0.01, 1.01, f64::NAN, f64::INFINITY] {
            let err = Decision::new(Some(Priority::P2), bad).unwrap_err();
            assert_eq!(field(&err), "confidence");
        }
    }

    #[test]
    fn abstention_and_values() {
        let abstained = Decision::<String>::new(None, 0.2).unwrap();
        assert!(abstained.abstained);
        assert_eq!(abstained.decided(), None);
        let guess = Decision::abstain(Some("network".to_owned()), 0.4).unwrap();
        assert_eq!(guess.decided(), None);
        assert_eq!(guess.value.as_deref(), Some("network"));
        let broken = Decision::<String> {
            value: None,
            confidence: 0.9,
            abstained: false,
        };
        assert_eq!(field(&broken.validate().unwrap_err()), "value");
    }

    #[test]
    fn action_kinds_are_snake_case() {
        let json = serde_json::to_value(ActionKind::ResetPassword).unwrap();
        assert_eq!(json, "reset_password");
        let kind: DeciderKind = serde_json::from_value("local_model".into()).unwrap();
        assert_eq!(kind, DeciderKind::LocalModel);
    }
}
