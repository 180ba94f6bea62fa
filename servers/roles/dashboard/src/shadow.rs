//! Shadow agents: one per active employee. Each compares what its employee
//! did with what OMEGA suggested, stores learning patterns in long-term
//! memory (corrected labels, preferred actions per category, redacted
//! resolution notes), teaches the classifier from corrections, and assists
//! the employee on the next ticket.
//!
//! The agents' work arrives on the `employee-activity` queue; the `shadow`
//! team's workers (omega-capacity's team runtime, scaled 0..n by that
//! queue's depth; see [`crate::Dashboard::start`]) hand each event to its
//! employee's agent.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use omega_privacy::Redactor;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::DashboardError;
use crate::memory::{CorrectionSink, LearningMemory};
use crate::types::{ActivityEvent, ReviewItem};

/// What one shadow agent has seen of its employee.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentStats {
    /// The employee.
    pub employee: String,
    /// Activity events observed.
    pub observed: u64,
    /// Decisions that kept OMEGA's category.
    pub category_agreed: u64,
    /// Category corrections.
    pub category_corrected: u64,
    /// Priority corrections.
    pub priority_corrected: u64,
    /// Suggested actions picked.
    pub actions_picked: u64,
    /// Of those, with an edited description.
    pub actions_edited: u64,
    /// Tickets resolved.
    pub resolutions: u64,
    /// Corrections sent to the classifier.
    pub classifier_updates: u64,
    /// Patterns stored in long-term memory.
    pub patterns_stored: u64,
    /// The last ticket acted on.
    pub last_ticket: Option<String>,
    /// The last correction: `(ticket, from, to)`.
    pub last_correction: Option<(String, Option<String>, String)>,
    /// When the employee was last active.
    pub last_seen: Option<DateTime<Utc>>,
    /// Picked action kinds per category: `category → kind → (count, last description)`.
    pub preferred: BTreeMap<String, BTreeMap<String, (u64, String)>>,
}

/// The usual action of an employee for a category.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsualAction {
    /// The category.
    pub category: String,
    /// The action kind (`reset_password`, ...).
    pub kind: String,
    /// The description the employee last used.
    pub description: String,
    /// How often they picked it for this category.
    pub times: u64,
    /// How many actions they picked for this category.
    pub of: u64,
}

/// A similar ticket an employee corrected.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CorrectedTicket {
    /// The ticket.
    pub ticket_id: String,
    /// Its title.
    pub title: String,
    /// OMEGA's category.
    pub from: Option<String>,
    /// The employee's.
    pub to: String,
    /// Similarity.
    pub score: f64,
}

/// Assistance on one ticket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Assistance {
    /// "You usually ... for tickets like this", when there is a habit to show.
    pub message: Option<String>,
    /// The habit behind the message.
    pub usual: Option<UsualAction>,
    /// Similar tickets whose category employees corrected.
    pub corrected_similar: Vec<CorrectedTicket>,
}

struct Agent {
    stats: AgentStats,
    seen: HashSet<String>,
    order: VecDeque<String>,
}

/// The shadow agents of every active employee.
pub struct ShadowTeam {
    memory: Arc<dyn LearningMemory>,
    corrections: Option<Arc<dyn CorrectionSink>>,
    agents: Mutex<HashMap<String, Agent>>,
    redactor: Redactor,
}

impl std::fmt::Debug for ShadowTeam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShadowTeam").finish_non_exhaustive()
    }
}

fn meta_str<'a>(m: &'a Value, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

impl ShadowTeam {
    /// Agents storing patterns in `memory` and teaching `corrections` (none: no classifier feedback).
    pub fn new(
        memory: Arc<dyn LearningMemory>,
        corrections: Option<Arc<dyn CorrectionSink>>,
    ) -> Self {
        Self {
            memory,
            corrections,
            agents: Mutex::new(HashMap::new()),
            redactor: Redactor::new(),
        }
    }

    fn with_agent<R>(&self, employee: &str, f: impl FnOnce(&mut Agent) -> R) -> R {
        let mut a = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        let agent = a.entry(employee.to_owned()).or_insert_with(|| Agent {
            stats: AgentStats {
                employee: employee.to_owned(),
                ..AgentStats::default()
            },
            seen: HashSet::new(),
            order: VecDeque::new(),
        });
        f(agent)
    }

    /// The stats of `employee`'s agent, if it has seen anything.
    pub fn agent(&self, employee: &str) -> Option<AgentStats> {
        let a = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        a.get(employee).map(|a| a.stats.clone())
    }

    /// Employees active since `since` (one shadow agent each).
    pub fn active_agents(&self, since: DateTime<Utc>) -> usize {
        let a = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        a.values()
            .filter(|a| a.stats.last_seen.is_some_and(|t| t >= since))
            .count()
    }

    /// Handles one activity event (idempotent on the event id).
    pub async fn observe(&self, ev: &ActivityEvent) -> Result<(), DashboardError> {
        let fresh = self.with_agent(&ev.employee, |a| {
            if !a.seen.insert(ev.id.clone()) {
                return false;
            }
            a.order.push_back(ev.id.clone());
            if a.order.len() > 10_000
                && let Some(old) = a.order.pop_front()
            {
                a.seen.remove(&old);
            }
            true
        });
        if !fresh {
            return Ok(());
        }
        let category = ev.decided.category.clone().unwrap_or_default();
        let mut stored = 0u64;
        let mut updates = 0u64;
        let mut patterns: Vec<(String, Value)> = Vec::new();
        let corrected = ev.kind == "changeCategory" && ev.decided.category != ev.suggested.category;
        if corrected {
            if let Some(sink) = &self.corrections
                && !ev.text.trim().is_empty()
            {
                sink.learn(&ev.text, &category)?;
                updates += 1;
            }
            patterns.push((
                format!("{}\n{}", ev.title, ev.text),
                json!({
                    "kind": "correction", "employee": ev.employee, "ticketId": ev.ticket_id,
                    "title": ev.title, "from": ev.suggested.category, "to": category,
                }),
            ));
        }
        if ev.kind == "changePriority" && ev.decided.priority != ev.suggested.priority {
            patterns.push((
                format!("{}\n{}", ev.title, ev.text),
                json!({
                    "kind": "priority-correction", "employee": ev.employee, "ticketId": ev.ticket_id,
                    "from": ev.suggested.priority, "to": ev.decided.priority,
                }),
            ));
        }
        let picked = (ev.kind == "pickAction")
            .then_some(ev.decided.action.as_ref())
            .flatten();
        if let Some(action) = picked {
            let kind = serde_json::to_value(action.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            patterns.push((
                format!("{category}: {}", action.description),
                json!({
                    "kind": "preferred-action", "employee": ev.employee, "ticketId": ev.ticket_id,
                    "category": category, "actionKind": kind, "description": action.description,
                    "edited": ev.decided.action_edited,
                }),
            ));
        }
        let note = (ev.kind == "resolve")
            .then_some(ev.decided.note.as_deref())
            .flatten()
            .map(|n| self.redactor.redact(n).text);
        if let Some(note) = &note {
            patterns.push((
                format!("{}\n{note}", ev.title),
                json!({
                    "kind": "resolution", "employee": ev.employee, "ticketId": ev.ticket_id,
                    "category": category, "note": note,
                }),
            ));
        }
        for (text, meta) in patterns {
            self.memory.store(&ev.tenant, &text, meta).await?;
            stored += 1;
        }
        self.with_agent(&ev.employee, |a| {
            let s = &mut a.stats;
            s.observed += 1;
            s.last_ticket = Some(ev.ticket_id.clone());
            s.last_seen = Some(ev.at);
            s.patterns_stored += stored;
            s.classifier_updates += updates;
            match ev.kind.as_str() {
                "accept" => s.category_agreed += 1,
                "changeCategory" if corrected => {
                    s.category_corrected += 1;
                    s.last_correction = Some((
                        ev.ticket_id.clone(),
                        ev.suggested.category.clone(),
                        category.clone(),
                    ));
                }
                "changeCategory" => s.category_agreed += 1,
                "changePriority" if ev.decided.priority != ev.suggested.priority => {
                    s.priority_corrected += 1;
                }
                "resolve" => s.resolutions += 1,
                _ => {}
            }
            if let Some(action) = picked {
                s.actions_picked += 1;
                s.actions_edited += u64::from(ev.decided.action_edited);
                let kind = serde_json::to_value(action.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let e = s
                    .preferred
                    .entry(category.clone())
                    .or_default()
                    .entry(kind)
                    .or_insert((0, String::new()));
                e.0 += 1;
                e.1 = action.description.clone();
            }
        });
        tracing::debug!(employee = %ev.employee, kind = %ev.kind, stored, updates, "shadow agent observed");
        Ok(())
    }

    /// Assistance for `employee` on `item`: their usual action for its
    /// category, and similar tickets whose category employees corrected.
    pub async fn assist(
        &self,
        employee: &str,
        item: &ReviewItem,
    ) -> Result<Assistance, DashboardError> {
        let category = item.category().unwrap_or_default().to_owned();
        let mut usual = self.agent(employee).and_then(|s| {
            let kinds = s.preferred.get(&category)?;
            let of: u64 = kinds.values().map(|v| v.0).sum();
            let (kind, (times, description)) = kinds.iter().max_by_key(|(_, v)| v.0)?;
            Some(UsualAction {
                category: category.clone(),
                kind: kind.clone(),
                description: description.clone(),
                times: *times,
                of,
            })
        });
        let query = if item.text.is_empty() {
            item.title.clone()
        } else {
            format!("{}\n{}", item.title, item.text)
        };
        let hits = self.memory.search(&item.tenant, &query, 20).await?;
        if usual.is_none() {
            // After a restart: rebuild the habit from stored patterns.
            let mut counts: BTreeMap<String, (u64, String)> = BTreeMap::new();
            let prefs = self
                .memory
                .search(&item.tenant, &format!("{category}: "), 50)
                .await?;
            for h in &prefs {
                let m = &h.metadata;
                if meta_str(m, "kind") == Some("preferred-action")
                    && meta_str(m, "employee") == Some(employee)
                    && meta_str(m, "category") == Some(category.as_str())
                {
                    let e = counts
                        .entry(meta_str(m, "actionKind").unwrap_or_default().to_owned())
                        .or_insert((0, String::new()));
                    e.0 += 1;
                    e.1 = meta_str(m, "description").unwrap_or_default().to_owned();
                }
            }
            let of = counts.values().map(|v| v.0).sum();
            usual =
                counts
                    .into_iter()
                    .max_by_key(|(_, v)| v.0)
                    .map(|(kind, (times, description))| UsualAction {
                        category: category.clone(),
                        kind,
                        description,
                        times,
                        of,
                    });
        }
        let mut corrected_similar = Vec::new();
        let mut seen = HashSet::new();
        for h in hits {
            let m = &h.metadata;
            let Some(id) = meta_str(m, "ticketId") else {
                continue;
            };
            if meta_str(m, "kind") != Some("correction")
                || id == item.ticket_id
                || h.score <= 0.0
                || !seen.insert(id.to_owned())
            {
                continue;
            }
            corrected_similar.push(CorrectedTicket {
                ticket_id: id.to_owned(),
                title: meta_str(m, "title").unwrap_or_default().to_owned(),
                from: meta_str(m, "from").map(str::to_owned),
                to: meta_str(m, "to").unwrap_or_default().to_owned(),
                score: h.score,
            });
            if corrected_similar.len() == 3 {
                break;
            }
        }
        let message = usual.as_ref().map(|u| {
            format!(
                "You usually do this for {} tickets ({} of {} times): {}",
                u.category, u.times, u.of, u.description
            )
        });
        Ok(Assistance {
            message,
            usual,
            corrected_similar,
        })
    }
}
