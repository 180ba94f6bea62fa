//! [`Board`]: tickets under review in a [`DocStore`], changed by employee
//! actions with optimistic concurrency, each change published to the live
//! stream and recorded as an activity event.
//!
//! The version check and the write happen under a per-ticket lock in this
//! process; a deployment runs one dashboard writer per store (the document
//! store has no compare-and-swap).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use omega_privacy::Redactor;
use omega_protocol::{DecidedBy, DeciderKind, Decision, Priority, TenantId};
use omega_store::{DocStore, Scope};
use serde::{Deserialize, Serialize};

use crate::DashboardError;
use crate::auth::Employee;
use crate::events::EventHub;
use crate::ops::Metrics;
use crate::sources::ActivitySink;
use crate::types::{
    ActionRequest, ActivityEvent, Decided, EmployeeAction, HistoryEntry, ReviewItem, ReviewStatus,
    ReviewTicket,
};

/// The collection of review items (per tenant, id = ticket id).
pub const TICKETS: &str = "dashboard-tickets";

const STRIPES: usize = 64;

/// Filters of the review list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListFilter {
    /// Only this tenant (must be one of the employee's).
    #[serde(default)]
    pub tenant: Option<String>,
    /// Only this priority (`P1`..`P4`).
    #[serde(default)]
    pub priority: Option<String>,
    /// Only this category.
    #[serde(default)]
    pub category: Option<String>,
    /// Only this status (`open`, `reviewed`, `resolved`).
    #[serde(default)]
    pub status: Option<String>,
}

/// Why an action was not applied.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApplyError {
    /// No such ticket in the tenant.
    NotFound,
    /// The employee may not act for the tenant.
    Forbidden,
    /// The ticket changed since the version the employee saw.
    Conflict(Box<ReviewItem>),
    /// The action is invalid: `(field, message)`.
    Invalid(&'static str, String),
    /// A backend failed.
    Backend(DashboardError),
}

impl From<DashboardError> for ApplyError {
    fn from(e: DashboardError) -> Self {
        Self::Backend(e)
    }
}

/// Tickets under review and the employee actions on them.
pub struct Board {
    store: Arc<dyn DocStore>,
    hub: Arc<EventHub>,
    activity: Arc<dyn ActivitySink>,
    metrics: Arc<Metrics>,
    redactor: Redactor,
    locks: Vec<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board").finish_non_exhaustive()
    }
}

fn decided_by_employee<T>(v: T) -> Decision<T> {
    Decision {
        value: Some(v),
        confidence: 1.0,
        abstained: false,
    }
}

fn scope(t: &TenantId) -> Scope {
    Scope::Tenant(t.clone())
}

fn index(item: &ReviewItem) -> Vec<(&'static str, String)> {
    vec![
        ("status", item.status.as_str().to_owned()),
        ("category", item.category().unwrap_or_default().to_owned()),
        (
            "priority",
            item.triage
                .priority
                .value
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ]
}

impl Board {
    /// A board over `store`, publishing to `hub` and `activity`.
    pub fn new(
        store: Arc<dyn DocStore>,
        hub: Arc<EventHub>,
        activity: Arc<dyn ActivitySink>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            hub,
            activity,
            metrics,
            redactor: Redactor::new(),
            locks: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    /// The live event hub.
    pub fn hub(&self) -> &Arc<EventHub> {
        &self.hub
    }

    /// Throughput counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn DocStore> {
        &self.store
    }

    fn lock_for(&self, tenant: &TenantId, id: &str) -> &tokio::sync::Mutex<()> {
        let mut h = DefaultHasher::new();
        (tenant.as_str(), id).hash(&mut h);
        &self.locks[(h.finish() as usize) % STRIPES]
    }

    async fn put(&self, item: &ReviewItem) -> Result<(), DashboardError> {
        let body = serde_json::to_value(item).map_err(|e| DashboardError::decode("item", e))?;
        let idx = index(item);
        let idx: Vec<(&str, String)> = idx.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.store
            .put_doc(&scope(&item.tenant), TICKETS, &item.ticket_id, &body, &idx)
            .await?;
        Ok(())
    }

    fn announce(&self, item: &ReviewItem) {
        match serde_json::to_string(item) {
            Ok(data) => {
                self.hub.publish(item.tenant.clone(), "ticket", data);
            }
            Err(e) => tracing::warn!(error = %e, "cannot encode a ticket event"),
        }
    }

    /// Reads one item.
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<ReviewItem>, DashboardError> {
        let doc = self.store.get_doc(&scope(tenant), TICKETS, id).await?;
        doc.map(|v| serde_json::from_value(v).map_err(|e| DashboardError::decode("item", e)))
            .transpose()
    }

    /// Stores a ticket that needs review (idempotent: a redelivery, or an
    /// older triage of a ticket already here, changes nothing; a newer triage
    /// replaces an item nobody reviewed yet).
    pub async fn ingest(&self, t: ReviewTicket) -> Result<ReviewItem, DashboardError> {
        t.triage
            .validate()
            .map_err(|e| DashboardError::Invalid(e.message))?;
        let _g = self
            .lock_for(&t.triage.tenant, &t.triage.ticket_id)
            .lock()
            .await;
        let now = Utc::now();
        let item = match self.get(&t.triage.tenant, &t.triage.ticket_id).await? {
            Some(old)
                if old.triage.decided_at >= t.triage.decided_at
                    || old.status != ReviewStatus::Open =>
            {
                return Ok(old);
            }
            Some(old) => {
                let mut item = ReviewItem::new(t, now);
                item.version = old.version + 1;
                item.received_at = old.received_at;
                item
            }
            None => ReviewItem::new(t, now),
        };
        self.put(&item).await?;
        self.metrics.record("received", now);
        tracing::debug!(tenant = %item.tenant, ticket = %item.ticket_id, "ticket ready for review");
        self.announce(&item);
        Ok(item)
    }

    /// Every item of `tenants` matching `filter`, newest first.
    pub async fn list(
        &self,
        tenants: &[TenantId],
        filter: &ListFilter,
    ) -> Result<Vec<ReviewItem>, DashboardError> {
        let mut out = Vec::new();
        for t in tenants {
            let docs = match &filter.status {
                Some(s) => {
                    self.store
                        .find_docs(&scope(t), TICKETS, "status", s)
                        .await?
                }
                None => self.all_docs(t).await?,
            };
            for d in docs {
                let item: ReviewItem = serde_json::from_value(d.body)
                    .map_err(|e| DashboardError::decode("item", e))?;
                let keep =
                    filter.priority.as_deref().is_none_or(|p| {
                        item.triage.priority.value.map(Priority::as_str) == Some(p)
                    }) && filter
                        .category
                        .as_deref()
                        .is_none_or(|c| item.category() == Some(c));
                if keep {
                    out.push(item);
                }
            }
        }
        out.sort_by(|a, b| {
            b.received_at
                .cmp(&a.received_at)
                .then(a.ticket_id.cmp(&b.ticket_id))
        });
        Ok(out)
    }

    async fn all_docs(&self, t: &TenantId) -> Result<Vec<omega_store::Document>, DashboardError> {
        let mut out: Vec<omega_store::Document> = Vec::new();
        loop {
            let after = out.last().map(|d| d.id.clone());
            let page = self
                .store
                .list_docs(&scope(t), TICKETS, after.as_deref(), 500)
                .await?;
            let n = page.len();
            out.extend(page);
            if n < 500 {
                return Ok(out);
            }
        }
    }

    /// Applies an employee's action with optimistic concurrency: the request
    /// must name the current version, else [`ApplyError::Conflict`] carries
    /// the current item (nothing is silently overwritten).
    pub async fn apply(
        &self,
        employee: &Employee,
        tenant: &TenantId,
        ticket_id: &str,
        req: ActionRequest,
    ) -> Result<ReviewItem, ApplyError> {
        if !employee.may_act_for(tenant) {
            return Err(ApplyError::Forbidden);
        }
        let _g = self.lock_for(tenant, ticket_id).lock().await;
        let mut item = self
            .get(tenant, ticket_id)
            .await?
            .ok_or(ApplyError::NotFound)?;
        if item.version != req.version {
            return Err(ApplyError::Conflict(Box::new(item)));
        }
        let now = Utc::now();
        let (summary, edited, note) = self.change(&mut item, employee, &req.action, now)?;
        item.version += 1;
        item.updated_at = now;
        if item.status == ReviewStatus::Open {
            item.status = ReviewStatus::Reviewed;
        }
        item.reviewed_at.get_or_insert(now);
        item.history.push(HistoryEntry {
            version: item.version,
            employee: employee.id.clone(),
            summary,
            at: now,
        });
        self.put(&item).await?;
        self.metrics.record(
            if item.status == ReviewStatus::Resolved {
                "resolved"
            } else {
                "reviewed"
            },
            now,
        );
        self.announce(&item);
        let event = ActivityEvent {
            id: uuid::Uuid::now_v7().to_string(),
            employee: employee.id.clone(),
            tenant: tenant.clone(),
            ticket_id: ticket_id.to_owned(),
            kind: req.action.kind().to_owned(),
            version: item.version,
            at: now,
            suggested: item.suggested.clone(),
            decided: Decided {
                category: item.category().map(str::to_owned),
                priority: item.triage.priority.value,
                action: item.chosen_action.clone(),
                action_edited: edited,
                note,
            },
            title: item.title.clone(),
            text: item.text.clone(),
        };
        self.publish_activity(&event).await;
        Ok(item)
    }

    async fn publish_activity(&self, event: &ActivityEvent) {
        for attempt in 1..=3u32 {
            match self.activity.publish(event).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(attempt, error = %e, event = %event.id, "activity event not published yet");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt)))
                        .await;
                }
            }
        }
        tracing::error!(event = %event.id, ticket = %event.ticket_id, "activity event lost after 3 attempts");
    }

    /// Applies `action` to `item`; returns the history summary, whether an
    /// action description was edited, and the redacted note.
    fn change(
        &self,
        item: &mut ReviewItem,
        employee: &Employee,
        action: &EmployeeAction,
        now: DateTime<Utc>,
    ) -> Result<(String, bool, Option<String>), ApplyError> {
        let by_employee = DecidedBy {
            kind: DeciderKind::Employee,
            name: employee.id.clone(),
        };
        match action {
            EmployeeAction::Accept => {
                if item.triage.category.value.is_none() {
                    return Err(ApplyError::Invalid(
                        "action",
                        "OMEGA gave no category to accept: choose one with changeCategory".into(),
                    ));
                }
                item.triage.category.abstained = false;
                Ok(("accepted OMEGA's triage".into(), false, None))
            }
            EmployeeAction::ChangeCategory { category } => {
                let category = category.trim();
                if category.is_empty() || category.chars().count() > 100 {
                    return Err(ApplyError::Invalid(
                        "action.category",
                        "category must be 1 to 100 characters".into(),
                    ));
                }
                let from = item.category().unwrap_or("none").to_owned();
                item.triage.category = decided_by_employee(category.to_owned());
                item.triage.decided_by = by_employee;
                item.triage.decided_at = now;
                item.triage.rationale = format!(
                    "{} Category changed from {from} to {category} by employee {}.",
                    item.triage.rationale, employee.id
                );
                Ok((format!("category {from} → {category}"), false, None))
            }
            EmployeeAction::ChangePriority { priority } => {
                let from = item.triage.priority.value.map_or("none", Priority::as_str);
                item.triage.priority = decided_by_employee(*priority);
                item.triage.decided_by = by_employee;
                item.triage.decided_at = now;
                Ok((
                    format!("priority {from} → {}", priority.as_str()),
                    false,
                    None,
                ))
            }
            EmployeeAction::PickAction { index, description } => {
                let Some(base) = item.triage.suggested_actions.get(*index) else {
                    return Err(ApplyError::Invalid(
                        "action.index",
                        format!(
                            "there are {} suggested actions; pick an index below that",
                            item.triage.suggested_actions.len()
                        ),
                    ));
                };
                let mut chosen = base.clone();
                let mut edited = false;
                if let Some(d) = description {
                    let d = d.trim();
                    if d.is_empty() || d.chars().count() > 500 {
                        return Err(ApplyError::Invalid(
                            "action.description",
                            "description must be 1 to 500 characters".into(),
                        ));
                    }
                    let d = self.redactor.redact(d).text;
                    edited = d != base.description;
                    chosen.description = d;
                }
                let summary = format!(
                    "picked action {index}{}",
                    if edited { " (edited)" } else { "" }
                );
                item.chosen_action = Some(chosen);
                Ok((summary, edited, None))
            }
            EmployeeAction::Resolve { note } => {
                let note = note.trim();
                if note.is_empty() || note.chars().count() > 4000 {
                    return Err(ApplyError::Invalid(
                        "action.note",
                        "a resolution note of 1 to 4000 characters is required".into(),
                    ));
                }
                let note = self.redactor.redact(note).text;
                item.resolution = Some(note.clone());
                item.status = ReviewStatus::Resolved;
                item.resolved_at = Some(now);
                Ok(("resolved".into(), false, Some(note)))
            }
        }
    }
}
