//! The operations view's data: queue depths, workers per team over time,
//! throughput, classifier accuracy against employee decisions, and cost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use omega_capacity::CapacityView;
use omega_queue::{Queue, QueueStats};
use serde::Serialize;

use crate::types::{ReviewItem, ReviewStatus};

/// Counts of board events per minute (`received`, `reviewed`, `resolved`).
#[derive(Debug, Default)]
pub struct Metrics {
    buckets: Mutex<BTreeMap<(i64, &'static str), u64>>,
}

/// Minutes of throughput kept.
const KEEP_MINUTES: i64 = 24 * 60;

impl Metrics {
    /// Counts one event of `kind` at `at`.
    pub fn record(&self, kind: &'static str, at: DateTime<Utc>) {
        let minute = at.timestamp().div_euclid(60);
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        *b.entry((minute, kind)).or_default() += 1;
        b.retain(|(m, _), _| *m > minute - KEEP_MINUTES);
    }

    /// `(minute start ms, count)` of `kind`, oldest first.
    pub fn series(&self, kind: &str) -> Vec<(i64, u64)> {
        let b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        b.iter()
            .filter(|((_, k), _)| *k == kind)
            .map(|((m, _), c)| (m * 60_000, *c))
            .collect()
    }
}

/// Workers per team over time, from a capacity runtime.
pub trait CapacitySource: Send + Sync + 'static {
    /// `team → [(at ms, workers)]`, oldest first.
    fn series(&self) -> BTreeMap<String, Vec<(u64, u32)>>;
}

/// The team runtime's view: workers of every team it recorded.
impl CapacitySource for CapacityView {
    fn series(&self) -> BTreeMap<String, Vec<(u64, u32)>> {
        self.all_series()
    }
}

/// One queue's depth.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    /// Queue name.
    pub name: String,
    /// Its statistics (absent when the backend did not answer).
    pub stats: Option<QueueStats>,
}

/// Agreement of OMEGA's category with the employee's, per hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccuracyPoint {
    /// Start of the hour, ms since the epoch.
    pub at_ms: i64,
    /// Tickets an employee decided in that hour.
    pub decided: u64,
    /// Of those, how many kept OMEGA's category.
    pub agreed: u64,
}

/// Everything the operations view draws.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpsSnapshot {
    /// When it was taken.
    pub now_ms: i64,
    /// Queue depths.
    pub queues: Vec<QueueDepth>,
    /// Workers per team over time.
    pub workers: BTreeMap<String, Vec<(u64, u32)>>,
    /// Board events per minute: `received`, `reviewed`, `resolved`.
    pub throughput: BTreeMap<String, Vec<(i64, u64)>>,
    /// Classifier accuracy against employee decisions, per hour.
    pub accuracy: Vec<AccuracyPoint>,
    /// Estimated compute cost over time: `(at ms, cumulative cost)` from
    /// worker-hours × `costPerWorkerHour`.
    pub cost: Vec<(u64, f64)>,
    /// The hourly rate used for `cost`.
    pub cost_per_worker_hour: f64,
}

/// Accuracy of OMEGA's category against the employees' decisions, per hour of review.
pub fn accuracy(items: &[ReviewItem]) -> Vec<AccuracyPoint> {
    let mut by_hour: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for it in items {
        if it.status == ReviewStatus::Open {
            continue;
        }
        let Some(at) = it.reviewed_at else { continue };
        let hour = at.timestamp().div_euclid(3600) * 3_600_000;
        let e = by_hour.entry(hour).or_default();
        e.0 += 1;
        if it.suggested.category.as_deref() == it.category() {
            e.1 += 1;
        }
    }
    by_hour
        .into_iter()
        .map(|(at_ms, (decided, agreed))| AccuracyPoint {
            at_ms,
            decided,
            agreed,
        })
        .collect()
}

/// Cumulative cost of the workers in `series` up to `now_ms`: each step of
/// each team runs `workers` for the time until its next step.
pub fn cost(
    series: &BTreeMap<String, Vec<(u64, u32)>>,
    now_ms: u64,
    per_hour: f64,
) -> Vec<(u64, f64)> {
    // Every change point across teams, with the total workers after it.
    let mut points: Vec<(u64, &str, u32)> = series
        .iter()
        .flat_map(|(team, v)| v.iter().map(move |(t, n)| (*t, team.as_str(), *n)))
        .collect();
    points.sort_by_key(|p| p.0);
    let mut current: BTreeMap<&str, u32> = BTreeMap::new();
    let mut out = Vec::new();
    let mut total = 0.0;
    let mut last_t: Option<u64> = None;
    for (t, team, n) in points {
        if let Some(lt) = last_t {
            let workers: u32 = current.values().sum();
            total += f64::from(workers) * (t.saturating_sub(lt) as f64) / 3_600_000.0 * per_hour;
        }
        current.insert(team, n);
        last_t = Some(t);
        out.push((t, total));
    }
    if let Some(lt) = last_t {
        let workers: u32 = current.values().sum();
        total += f64::from(workers) * (now_ms.saturating_sub(lt) as f64) / 3_600_000.0 * per_hour;
        out.push((now_ms.max(lt), total));
    }
    out
}

/// Reads the depth of each queue.
pub async fn depths(queue: &Arc<dyn Queue>, names: &[String]) -> Vec<QueueDepth> {
    let mut out = Vec::new();
    for name in names {
        out.push(QueueDepth {
            name: name.clone(),
            stats: queue.depth(name).await.ok(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_integrates_workers_over_time() {
        let mut s = BTreeMap::new();
        // triage: 2 workers for 1 h, then 0; shadow: 1 worker from 30 min on.
        s.insert("triage".to_owned(), vec![(0, 2), (3_600_000, 0)]);
        s.insert("shadow".to_owned(), vec![(1_800_000, 1)]);
        let c = cost(&s, 7_200_000, 0.1);
        // 2 h of shadow from 0.5 h = 1.5 worker-h, triage 2 worker-h: 3.5 × 0.1.
        let last = c.last().unwrap();
        assert_eq!(last.0, 7_200_000);
        assert!((last.1 - 0.35).abs() < 1e-9, "{c:?}");
        assert!(c.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn metrics_bucket_by_minute() {
        let m = Metrics::default();
        let t = DateTime::from_timestamp(120, 0).unwrap();
        m.record("received", t);
        m.record("received", t + chrono::Duration::seconds(30));
        m.record("received", t + chrono::Duration::seconds(60));
        assert_eq!(m.series("received"), vec![(120_000, 2), (180_000, 1)]);
        assert!(m.series("resolved").is_empty());
    }
}
