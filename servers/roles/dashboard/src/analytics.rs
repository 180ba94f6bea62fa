//! The analytics team's per-tenant report: volumes, time to triage and to
//! resolve, SLA risk, auto-action rate, and OMEGA–employee agreement over time.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use omega_protocol::{Priority, TenantId};
use omega_store::{DocStore, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::DashboardError;
use crate::board::{Board, ListFilter};
use crate::types::{ReviewItem, ReviewStatus};

/// Where reports are stored (per tenant; id `latest` and one per run).
pub const REPORTS: &str = "analytics-reports";

/// Resolution targets per priority (`[dashboard.sla]`; defined in `omega-config`).
pub use omega_config::dashboard::SlaTargets;

/// Summary statistics of durations, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Durations {
    /// How many tickets.
    pub count: u64,
    /// Mean.
    pub mean_ms: Option<f64>,
    /// Median.
    pub p50_ms: Option<i64>,
    /// 90th percentile.
    pub p90_ms: Option<i64>,
}

impl Durations {
    fn of(mut v: Vec<i64>) -> Self {
        v.sort_unstable();
        let n = v.len();
        let pick = |q: f64| (n > 0).then(|| v[(((n as f64) * q).ceil() as usize).clamp(1, n) - 1]);
        Self {
            count: n as u64,
            mean_ms: (n > 0).then(|| v.iter().map(|x| *x as f64).sum::<f64>() / n as f64),
            p50_ms: pick(0.5),
            p90_ms: pick(0.9),
        }
    }
}

/// An unresolved ticket near or past its resolution target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaTicket {
    /// The ticket.
    pub ticket_id: String,
    /// Its priority.
    pub priority: Priority,
    /// Minutes since it was created (or received).
    pub age_minutes: u64,
    /// The target.
    pub target_minutes: u64,
    /// Whether the target already passed.
    pub breached: bool,
}

/// SLA risk of unresolved tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaRisk {
    /// Past the risk fraction of the target, not yet breached.
    pub at_risk: u64,
    /// Past the target.
    pub breached: u64,
    /// The worst 20, oldest relative to target first.
    pub tickets: Vec<SlaTicket>,
}

/// Automatic versus human handling.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoAction {
    /// Tickets triaged (stored triage results), when the pipeline's store is connected.
    pub triaged: Option<u64>,
    /// Tickets sent to employees.
    pub needs_review: u64,
    /// `triaged − needsReview`: handled by an automatic action.
    pub auto: Option<u64>,
    /// `auto / triaged`.
    pub rate: Option<f64>,
}

/// Agreement in one time bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgreementPoint {
    /// Bucket start, ms since the epoch.
    pub at_ms: i64,
    /// Tickets decided by an employee.
    pub decided: u64,
    /// Kept OMEGA's category.
    pub category_agreed: u64,
    /// Kept OMEGA's priority.
    pub priority_agreed: u64,
}

/// Agreement between OMEGA and employees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Agreement {
    /// Tickets an employee decided.
    pub decided: u64,
    /// Share that kept OMEGA's category.
    pub category_rate: Option<f64>,
    /// Share that kept OMEGA's priority.
    pub priority_rate: Option<f64>,
    /// Per bucket, oldest first.
    pub series: Vec<AgreementPoint>,
}

/// One tenant's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsReport {
    /// The tenant.
    pub tenant: TenantId,
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// Tickets on the dashboard.
    pub total: u64,
    /// Tickets per category.
    pub by_category: BTreeMap<String, u64>,
    /// Tickets per priority.
    pub by_priority: BTreeMap<String, u64>,
    /// Tickets per status.
    pub by_status: BTreeMap<String, u64>,
    /// From creation (or receipt) to OMEGA's triage.
    pub time_to_triage: Durations,
    /// From creation (or receipt) to the first employee review.
    pub time_to_review: Durations,
    /// From creation (or receipt) to resolution.
    pub time_to_resolve: Durations,
    /// SLA risk.
    pub sla: SlaRisk,
    /// Auto-action rate.
    pub auto_action: AutoAction,
    /// OMEGA–employee agreement over time.
    pub agreement: Agreement,
    /// Bucket size of `agreement.series`, minutes.
    pub bucket_minutes: u32,
}

/// Computes reports from the board (and, when connected, the pipeline's triage results).
pub struct Analytics {
    board: Arc<Board>,
    triage_results: Option<(Arc<dyn DocStore>, String)>,
    sla: SlaTargets,
}

impl std::fmt::Debug for Analytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analytics").finish_non_exhaustive()
    }
}

fn start(it: &ReviewItem) -> DateTime<Utc> {
    it.created_at.unwrap_or(it.received_at)
}

impl Analytics {
    /// Reports over `board`; `triage_results` is the pipeline's store and collection
    /// (`triage-results`) for the auto-action rate.
    pub fn new(
        board: Arc<Board>,
        triage_results: Option<(Arc<dyn DocStore>, String)>,
        sla: SlaTargets,
    ) -> Self {
        Self {
            board,
            triage_results,
            sla,
        }
    }

    /// Computes the report of `tenant` now.
    pub async fn report(
        &self,
        tenant: &TenantId,
        bucket_minutes: u32,
    ) -> Result<AnalyticsReport, DashboardError> {
        let items = self
            .board
            .list(std::slice::from_ref(tenant), &ListFilter::default())
            .await?;
        let triaged = match &self.triage_results {
            Some((store, coll)) => {
                let mut n = 0u64;
                let mut after: Option<String> = None;
                loop {
                    let page = store
                        .list_docs(&Scope::Tenant(tenant.clone()), coll, after.as_deref(), 1000)
                        .await?;
                    n += page.len() as u64;
                    if page.len() < 1000 {
                        break;
                    }
                    after = page.last().map(|d| d.id.clone());
                }
                Some(n)
            }
            None => None,
        };
        Ok(build(
            tenant,
            &items,
            triaged,
            &self.sla,
            bucket_minutes,
            Utc::now(),
        ))
    }
}

/// The report of `items` (pure; `now` for ages).
pub fn build(
    tenant: &TenantId,
    items: &[ReviewItem],
    triaged: Option<u64>,
    sla: &SlaTargets,
    bucket_minutes: u32,
    now: DateTime<Utc>,
) -> AnalyticsReport {
    let bucket_ms = i64::from(bucket_minutes.max(1)) * 60_000;
    let mut by_category = BTreeMap::new();
    let mut by_priority = BTreeMap::new();
    let mut by_status = BTreeMap::new();
    let (mut tt, mut tr, mut ts) = (Vec::new(), Vec::new(), Vec::new());
    let mut risk = SlaRisk::default();
    let mut buckets: BTreeMap<i64, (u64, u64, u64)> = BTreeMap::new();
    for it in items {
        *by_category
            .entry(it.category().unwrap_or("(none)").to_owned())
            .or_insert(0) += 1;
        let p = it.triage.priority.value;
        *by_priority
            .entry(p.map_or("(none)", Priority::as_str).to_owned())
            .or_insert(0) += 1;
        *by_status.entry(it.status.as_str().to_owned()).or_insert(0) += 1;
        let s = start(it);
        tt.push((it.triaged_at - s).num_milliseconds().max(0));
        if let Some(r) = it.reviewed_at {
            tr.push((r - s).num_milliseconds().max(0));
            let b = (r.timestamp_millis()).div_euclid(bucket_ms) * bucket_ms;
            let e = buckets.entry(b).or_default();
            e.0 += 1;
            e.1 += u64::from(it.suggested.category.as_deref() == it.category());
            e.2 += u64::from(it.suggested.priority == p);
        }
        if let Some(r) = it.resolved_at {
            ts.push((r - s).num_milliseconds().max(0));
        }
        if it.status != ReviewStatus::Resolved
            && let Some(p) = p
        {
            let age = (now - s).num_minutes().max(0) as u64;
            let target = sla.minutes_for(p);
            let breached = age >= target;
            if breached {
                risk.breached += 1;
            } else if age as f64 >= target as f64 * sla.risk_fraction {
                risk.at_risk += 1;
            } else {
                continue;
            }
            risk.tickets.push(SlaTicket {
                ticket_id: it.ticket_id.clone(),
                priority: p,
                age_minutes: age,
                target_minutes: target,
                breached,
            });
        }
    }
    risk.tickets.sort_by(|a, b| {
        let ra = a.age_minutes as f64 / a.target_minutes.max(1) as f64;
        let rb = b.age_minutes as f64 / b.target_minutes.max(1) as f64;
        rb.total_cmp(&ra)
    });
    risk.tickets.truncate(20);
    let needs_review = items.len() as u64;
    let auto = triaged.map(|t| t.saturating_sub(needs_review));
    let rate = match (auto, triaged) {
        (Some(a), Some(t)) if t > 0 => Some(a as f64 / t as f64),
        _ => None,
    };
    let series: Vec<AgreementPoint> = buckets
        .into_iter()
        .map(|(at_ms, (d, c, p))| AgreementPoint {
            at_ms,
            decided: d,
            category_agreed: c,
            priority_agreed: p,
        })
        .collect();
    let decided: u64 = series.iter().map(|p| p.decided).sum();
    let ratio = |f: fn(&AgreementPoint) -> u64| {
        (decided > 0).then(|| series.iter().map(f).sum::<u64>() as f64 / decided as f64)
    };
    AnalyticsReport {
        tenant: tenant.clone(),
        generated_at: now,
        total: items.len() as u64,
        by_category,
        by_priority,
        by_status,
        time_to_triage: Durations::of(tt),
        time_to_review: Durations::of(tr),
        time_to_resolve: Durations::of(ts),
        sla: risk,
        auto_action: AutoAction {
            triaged,
            needs_review,
            auto,
            rate,
        },
        agreement: Agreement {
            decided,
            category_rate: ratio(|p| p.category_agreed),
            priority_rate: ratio(|p| p.priority_agreed),
            series,
        },
        bucket_minutes: bucket_minutes.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ReviewTicket;
    use omega_protocol::{DecidedBy, DeciderKind, Decision, TriageResult};

    fn item(id: &str, cat: &str, p: Priority, age_min: i64, now: DateTime<Utc>) -> ReviewItem {
        let created = now - chrono::Duration::minutes(age_min);
        let triage = TriageResult {
            ticket_id: id.into(),
            tenant: TenantId::parse("acme").unwrap(),
            category: Decision::new(Some(cat.to_owned()), 0.9).unwrap(),
            priority: Decision::new(Some(p), 0.9).unwrap(),
            suggested_actions: vec![],
            similar_tickets: vec![],
            decided_by: DecidedBy {
                kind: DeciderKind::LocalModel,
                name: "m".into(),
            },
            rationale: "r".into(),
            decided_at: created + chrono::Duration::seconds(2),
        };
        let mut it = ReviewItem::new(
            ReviewTicket {
                triage,
                title: "t".into(),
                text: String::new(),
                reason: String::new(),
                created_at: Some(created),
            },
            created,
        );
        it.created_at = Some(created);
        it
    }

    #[test]
    fn volumes_sla_agreement_and_auto_rate() {
        let now = Utc::now();
        let tenant = TenantId::parse("acme").unwrap();
        let a = item("a", "Access", Priority::P1, 300, now); // P1 past 240 min: breached
        let b = item("b", "Hardware", Priority::P2, 400, now); // P2 at 400/480 ≥ 0.75: at risk
        let mut c = item("c", "Hardware", Priority::P3, 60, now);
        // An employee changed c's category an hour after creation.
        c.triage.category = Decision::new(Some("Storage".to_owned()), 1.0).unwrap();
        c.status = ReviewStatus::Resolved;
        c.reviewed_at = Some(now);
        c.resolved_at = Some(now);
        let mut d = item("d", "Access", Priority::P4, 10, now);
        d.status = ReviewStatus::Reviewed;
        d.reviewed_at = Some(now);
        let r = build(
            &tenant,
            &[a, b, c, d],
            Some(10),
            &SlaTargets::default(),
            60,
            now,
        );
        assert_eq!(r.total, 4);
        assert_eq!(r.by_category["Access"], 2);
        assert_eq!(r.by_category["Storage"], 1);
        assert_eq!(r.by_priority["P1"], 1);
        assert_eq!((r.sla.breached, r.sla.at_risk), (1, 1));
        assert_eq!(r.sla.tickets[0].ticket_id, "a");
        assert_eq!(r.agreement.decided, 2);
        assert_eq!(r.agreement.category_rate, Some(0.5));
        assert_eq!(r.agreement.priority_rate, Some(1.0));
        assert_eq!(r.auto_action.auto, Some(6));
        assert_eq!(r.auto_action.rate, Some(0.6));
        assert_eq!(r.time_to_triage.p50_ms, Some(2000));
        assert_eq!(r.time_to_resolve.count, 1);
        assert_eq!(r.time_to_resolve.p50_ms, Some(3_600_000));
    }
}
