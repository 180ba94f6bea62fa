//! The dashboard's data: tickets under review, employee actions and the
//! activity events the shadow agents learn from.

use chrono::{DateTime, Utc};
use omega_protocol::{Priority, SuggestedAction, TenantId, TriageResult};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A triaged ticket that needs an employee, as a [`crate::ReviewSource`] yields it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewTicket {
    /// OMEGA's triage of the ticket.
    pub triage: TriageResult,
    /// The ticket's title (redacted).
    #[serde(default)]
    pub title: String,
    /// Title and body as the classifier reads them (redacted); empty when the
    /// source does not have it (then the shadow agent cannot teach the classifier).
    #[serde(default)]
    pub text: String,
    /// Why it needs review (no PII).
    #[serde(default)]
    pub reason: String,
    /// When the ticket was created on its platform, when known.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// Where a ticket is in the employee loop.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum ReviewStatus {
    /// Waiting for an employee.
    Open,
    /// An employee accepted or corrected the triage; not resolved yet.
    Reviewed,
    /// Resolved with a note.
    Resolved,
}

impl ReviewStatus {
    /// `open`, `reviewed` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Reviewed => "reviewed",
            Self::Resolved => "resolved",
        }
    }

    /// Parses [`ReviewStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Reviewed, Self::Resolved]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// What OMEGA suggested, frozen when the ticket arrived (the baseline the
/// shadow agent and the agreement figures compare with).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The suggested category (the best guess when triage abstained).
    pub category: Option<String>,
    /// Its confidence.
    pub category_confidence: f64,
    /// Whether triage abstained on the category.
    pub abstained: bool,
    /// The suggested priority.
    pub priority: Option<Priority>,
    /// The first suggested action.
    pub action: Option<SuggestedAction>,
}

impl Suggestion {
    /// The suggestion of a triage result.
    pub fn of(t: &TriageResult) -> Self {
        Self {
            category: t.category.value.clone(),
            category_confidence: t.category.confidence,
            abstained: t.category.abstained,
            priority: t.priority.value,
            action: t.suggested_actions.first().cloned(),
        }
    }
}

/// One change in a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The version this change produced.
    pub version: u64,
    /// Who made it.
    pub employee: String,
    /// What it was, in words.
    pub summary: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A ticket on the dashboard: the triage (with employee changes applied),
/// what OMEGA first suggested, status and a version for optimistic concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewItem {
    /// The ticket id.
    pub ticket_id: String,
    /// Its tenant.
    pub tenant: TenantId,
    /// Title (redacted).
    pub title: String,
    /// Text (redacted).
    #[serde(default)]
    pub text: String,
    /// Why it needs review.
    pub reason: String,
    /// The current triage (employee changes applied).
    pub triage: TriageResult,
    /// What OMEGA suggested when the ticket arrived.
    pub suggested: Suggestion,
    /// Status.
    pub status: ReviewStatus,
    /// The action the employee picked (possibly edited).
    #[serde(default)]
    pub chosen_action: Option<SuggestedAction>,
    /// The resolution note (redacted).
    #[serde(default)]
    pub resolution: Option<String>,
    /// Incremented by every change; an action must name the version it saw.
    pub version: u64,
    /// When the ticket was created on its platform, when known.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// When OMEGA triaged it (the first triage the dashboard saw).
    pub triaged_at: DateTime<Utc>,
    /// When the dashboard received it.
    pub received_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When an employee first reviewed it.
    #[serde(default)]
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When it was resolved.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Changes, oldest first.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

impl ReviewItem {
    /// A new open item from a review ticket.
    pub fn new(t: ReviewTicket, now: DateTime<Utc>) -> Self {
        Self {
            ticket_id: t.triage.ticket_id.clone(),
            tenant: t.triage.tenant.clone(),
            title: t.title,
            text: t.text,
            reason: t.reason,
            suggested: Suggestion::of(&t.triage),
            triaged_at: t.triage.decided_at,
            triage: t.triage,
            status: ReviewStatus::Open,
            chosen_action: None,
            resolution: None,
            version: 1,
            created_at: t.created_at,
            received_at: now,
            updated_at: now,
            reviewed_at: None,
            resolved_at: None,
            history: Vec::new(),
        }
    }

    /// The current category (decided or best guess).
    pub fn category(&self) -> Option<&str> {
        self.triage.category.value.as_deref()
    }
}

/// An employee's action on a ticket (the body of `POST .../actions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionRequest {
    /// The ticket version the employee saw; a stale version is refused with 409.
    pub version: u64,
    /// What to do.
    pub action: EmployeeAction,
}

/// What an employee did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum EmployeeAction {
    /// Accept OMEGA's triage as it is.
    Accept,
    /// Change the category.
    ChangeCategory {
        /// The new category.
        category: String,
    },
    /// Change the priority.
    ChangePriority {
        /// The new priority.
        priority: Priority,
    },
    /// Pick one of the suggested actions, optionally with an edited description.
    PickAction {
        /// Index into the suggested actions.
        index: usize,
        /// The edited description (the suggestion's own when absent).
        #[serde(default)]
        description: Option<String>,
    },
    /// Resolve the ticket with a note.
    Resolve {
        /// What was done (redacted before it is stored).
        note: String,
    },
}

impl EmployeeAction {
    /// The action's kind: `accept`, `changeCategory`, `changePriority`, `pickAction`, `resolve`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::ChangeCategory { .. } => "changeCategory",
            Self::ChangePriority { .. } => "changePriority",
            Self::PickAction { .. } => "pickAction",
            Self::Resolve { .. } => "resolve",
        }
    }
}

/// What the employee decided, after an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decided {
    /// The category after the action.
    pub category: Option<String>,
    /// The priority after the action.
    pub priority: Option<Priority>,
    /// The action picked so far.
    pub action: Option<SuggestedAction>,
    /// Whether the picked action's description was edited.
    pub action_edited: bool,
    /// The resolution note (redacted), when resolving.
    pub note: Option<String>,
}

/// One employee activity event, published to the `employee-activity` queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEvent {
    /// Unique event id (the queue's idempotency key).
    pub id: String,
    /// Who acted.
    pub employee: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The ticket.
    pub ticket_id: String,
    /// The action's kind (see [`EmployeeAction::kind`]).
    pub kind: String,
    /// The ticket version the action produced.
    pub version: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// What OMEGA suggested.
    pub suggested: Suggestion,
    /// What the employee decided.
    pub decided: Decided,
    /// The ticket's title (redacted).
    pub title: String,
    /// The ticket's text (redacted), for learning.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_and_unknown_fields_fail() {
        let a: ActionRequest = serde_json::from_value(serde_json::json!({
            "version": 3, "action": {"type": "changeCategory", "category": "Access"}
        }))
        .unwrap();
        assert_eq!(
            a.action,
            EmployeeAction::ChangeCategory {
                category: "Access".into()
            }
        );
        let a: ActionRequest = serde_json::from_value(serde_json::json!({
            "version": 1, "action": {"type": "pickAction", "index": 1, "description": "x"}
        }))
        .unwrap();
        assert_eq!(a.action.kind(), "pickAction");
        assert!(
            serde_json::from_value::<ActionRequest>(serde_json::json!({
                "version": 1, "action": {"type": "accept"}, "extra": 1
            }))
            .is_err()
        );
        assert!(
            serde_json::from_value::<ActionRequest>(serde_json::json!({
                "version": 1, "action": {"type": "changePriority", "priority": "P9"}
            }))
            .is_err()
        );
        assert_eq!(
            ReviewStatus::parse("reviewed"),
            Some(ReviewStatus::Reviewed)
        );
        assert_eq!(ReviewStatus::parse("x"), None);
    }
}
