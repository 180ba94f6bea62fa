//! [`CapacityView`]: what the team runtime shows the outside world — the
//! workers each team runs now, every scaling decision, and workers per team
//! over time for charts.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::manager::TeamDecision;
use crate::scaler::Decision;

/// Decisions kept by default (oldest dropped first).
const HISTORY: usize = 100_000;
/// Chart points kept per team (oldest dropped first).
const SERIES_POINTS: usize = 10_000;
/// An unchanged worker count is still charted this often (ms), so a chart
/// shows the team was watched.
const SERIES_HEARTBEAT_MS: u64 = 300_000;

struct State {
    history: VecDeque<TeamDecision>,
    history_limit: usize,
    replicas: BTreeMap<String, u32>,
    series: BTreeMap<String, VecDeque<(u64, u32)>>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            history: VecDeque::new(),
            history_limit: HISTORY,
            replicas: BTreeMap::new(),
            series: BTreeMap::new(),
        }
    }
}

/// A shared, read-only view of one or more running teams: the workers each
/// runs now (for the metrics gauges), every scaling decision, and workers per
/// team over time (for the dashboard's operations view). Cheap to clone;
/// clones share the same state, so one view can be handed to several teams.
#[derive(Clone, Default)]
pub struct CapacityView(Arc<Mutex<State>>);

impl std::fmt::Debug for CapacityView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CapacityView")
            .field(&self.snapshot())
            .finish()
    }
}

impl CapacityView {
    /// An empty view keeping [`HISTORY`] decisions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes how many decisions [`CapacityView::history`] keeps (at least 1).
    pub fn with_history_limit(self, limit: usize) -> Self {
        {
            let mut s = self.lock();
            s.history_limit = limit.max(1);
            while s.history.len() > s.history_limit {
                s.history.pop_front();
            }
        }
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Workers `team` runs now (0 when unknown).
    pub fn replicas(&self, team: &str) -> u32 {
        self.lock().replicas.get(team).copied().unwrap_or(0)
    }

    /// Workers of every team this view has seen, by team name.
    pub fn snapshot(&self) -> BTreeMap<String, u32> {
        self.lock().replicas.clone()
    }

    /// Every recorded decision, oldest first (`atMs` is wall-clock ms since the epoch).
    pub fn history(&self) -> Vec<TeamDecision> {
        self.lock().history.iter().cloned().collect()
    }

    /// Workers of `team` over time, `(at ms since the epoch, workers)`, oldest
    /// first: a point whenever the count changed, and at least every five
    /// minutes while it did not.
    pub fn series(&self, team: &str) -> Vec<(u64, u32)> {
        self.lock()
            .series
            .get(team)
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default()
    }

    /// [`CapacityView::series`] of every team.
    pub fn all_series(&self) -> BTreeMap<String, Vec<(u64, u32)>> {
        self.lock()
            .series
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().copied().collect()))
            .collect()
    }

    /// Records a decision of `team` after which it runs `running` workers.
    pub(crate) fn record(&self, team: &str, decision: Decision, running: u32) {
        let mut s = self.lock();
        if s.history.len() >= s.history_limit {
            s.history.pop_front();
        }
        s.history.push_back(TeamDecision {
            team: team.to_owned(),
            decision,
        });
        Self::set(&mut s, team, decision.at_ms, running);
    }

    /// Records that `team` runs `running` workers at `at_ms` without a
    /// decision (when it starts and stops).
    pub(crate) fn set_running(&self, team: &str, at_ms: u64, running: u32) {
        Self::set(&mut self.lock(), team, at_ms, running);
    }

    fn set(s: &mut State, team: &str, at_ms: u64, running: u32) {
        s.replicas.insert(team.to_owned(), running);
        let points = s.series.entry(team.to_owned()).or_default();
        if let Some(&(t, n)) = points.back()
            && n == running
            && at_ms.saturating_sub(t) < SERIES_HEARTBEAT_MS
        {
            return;
        }
        if points.len() >= SERIES_POINTS {
            points.pop_front();
        }
        points.push_back((at_ms, running));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    fn decision(at_ms: u64, replicas: u32) -> Decision {
        Decision {
            at_ms,
            depth: 0,
            previous: 0,
            replicas,
            reason: Reason::Steady,
            next_poll_ms: at_ms + 1,
        }
    }

    #[test]
    fn series_keeps_changes_and_a_heartbeat() {
        let v = CapacityView::new();
        v.set_running("triage", 0, 0);
        v.record("triage", decision(10, 0), 0);
        v.record("triage", decision(20, 2), 2);
        v.record("triage", decision(30, 2), 2);
        v.record("triage", decision(20 + SERIES_HEARTBEAT_MS, 2), 2);
        v.record("triage", decision(400_000, 0), 0);
        assert_eq!(
            v.series("triage"),
            [(0, 0), (20, 2), (20 + SERIES_HEARTBEAT_MS, 2), (400_000, 0)]
        );
        assert_eq!(v.history().len(), 5);
        assert_eq!(v.replicas("triage"), 0);
        assert_eq!(v.replicas("unknown"), 0);
        assert!(v.series("unknown").is_empty());
    }

    #[test]
    fn clones_share_state_and_history_is_bounded() {
        let v = CapacityView::new().with_history_limit(2);
        let w = v.clone();
        w.record("shadow", decision(1, 3), 3);
        w.record("analytics", decision(2, 1), 1);
        w.record("shadow", decision(3, 4), 4);
        let kept: Vec<_> = v.history().iter().map(|d| d.decision.at_ms).collect();
        assert_eq!(kept, [2, 3]);
        assert_eq!(
            v.snapshot().into_iter().collect::<Vec<_>>(),
            [("analytics".to_owned(), 1), ("shadow".to_owned(), 4)]
        );
        assert_eq!(v.all_series()["shadow"], [(1, 3), (3, 4)]);
        assert!(format!("{v:?}").contains("shadow"));
    }
}
