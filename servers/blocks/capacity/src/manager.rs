//! All teams' scalers plus a bounded record of their decisions.

use std::collections::{BTreeMap, VecDeque};

use omega_config::TeamsConfig;
use serde::Serialize;

use crate::scaler::{Decision, HpaBehavior, Scaler, ScalerSettings};

/// Why the manager refused a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapacityError {
    /// The team is not configured.
    #[error("team `{0}` is not configured in teams.teams")]
    UnknownTeam(String),
}

/// One recorded decision, with its team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamDecision {
    /// The team.
    pub team: String,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
}

/// Scalers for every team of a [`TeamsConfig`], with a history of decisions.
#[derive(Debug, Clone)]
pub struct CapacityManager {
    scalers: BTreeMap<String, Scaler>,
    history: VecDeque<TeamDecision>,
    history_limit: usize,
}

impl CapacityManager {
    /// Default number of decisions kept (oldest dropped first).
    pub const DEFAULT_HISTORY: usize = 100_000;

    /// One scaler per team, with the default HPA behaviour.
    pub fn new(teams: &TeamsConfig) -> Self {
        Self::with_hpa(teams, HpaBehavior::default())
    }

    /// One scaler per team, with the given HPA behaviour.
    pub fn with_hpa(teams: &TeamsConfig, hpa: HpaBehavior) -> Self {
        let scalers = teams
            .teams
            .iter()
            .map(|t| {
                let settings = ScalerSettings {
                    hpa,
                    ..ScalerSettings::from_team(t)
                };
                (t.name.clone(), Scaler::new(settings))
            })
            .collect();
        Self {
            scalers,
            history: VecDeque::new(),
            history_limit: Self::DEFAULT_HISTORY,
        }
    }

    /// Changes how many decisions are kept.
    pub fn with_history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit.max(1);
        self
    }

    /// Records a depth observation for `team` made at `now_ms`.
    pub fn observe(
        &mut self,
        team: &str,
        now_ms: u64,
        depth: u64,
    ) -> Result<Decision, CapacityError> {
        let scaler = self
            .scalers
            .get_mut(team)
            .ok_or_else(|| CapacityError::UnknownTeam(team.to_owned()))?;
        let decision = scaler.observe(now_ms, depth);
        if self.history.len() == self.history_limit {
            self.history.pop_front();
        }
        self.history.push_back(TeamDecision {
            team: team.to_owned(),
            decision,
        });
        Ok(decision)
    }

    /// Teams whose poll is due at `now_ms`, in name order.
    pub fn due(&self, now_ms: u64) -> Vec<&str> {
        self.scalers
            .iter()
            .filter(|(_, s)| s.is_due(now_ms))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The earliest time any team's poll is due.
    pub fn next_poll_ms(&self) -> Option<u64> {
        self.scalers.values().map(Scaler::next_poll_ms).min()
    }

    /// Current replicas of `team`.
    pub fn replicas(&self, team: &str) -> Option<u32> {
        self.scalers.get(team).map(Scaler::replicas)
    }

    /// Current replicas of every team, in name order.
    pub fn snapshot(&self) -> Vec<(&str, u32)> {
        self.scalers
            .iter()
            .map(|(n, s)| (n.as_str(), s.replicas()))
            .collect()
    }

    /// The team's scaler.
    pub fn scaler(&self, team: &str) -> Option<&Scaler> {
        self.scalers.get(team)
    }

    /// Every recorded decision, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &TeamDecision> {
        self.history.iter()
    }

    /// Workers of `team` over time: `(at_ms, replicas)` after each decision.
    pub fn series(&self, team: &str) -> Vec<(u64, u32)> {
        self.history
            .iter()
            .filter(|d| d.team == team)
            .map(|d| (d.decision.at_ms, d.decision.replicas))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    #[test]
    fn holds_one_scaler_per_team_and_records_decisions() {
        let mut m = CapacityManager::new(&TeamsConfig::default());
        assert_eq!(
            m.snapshot(),
            [
                ("analytics", 0),
                ("classification", 0),
                ("shadow", 0),
                ("triage", 0)
            ]
        );
        // shadow: messageCount 1 -> ceil(7/1) = 7.
        assert_eq!(m.observe("shadow", 0, 7).unwrap().replicas, 7);
        // analytics: messageCount 10, max 3 -> ceil(45/10) = 5, clamped to 3.
        let d = m.observe("analytics", 0, 45).unwrap();
        assert_eq!((d.replicas, d.reason), (3, Reason::Activated));
        assert_eq!(m.series("shadow"), [(0, 7)]);
        assert_eq!(m.history().count(), 2);
        assert_eq!(m.due(0), ["classification", "triage"]);
        assert_eq!(m.next_poll_ms(), Some(0));
        let json = serde_json::to_value(m.history().next().unwrap()).unwrap();
        assert_eq!(json["team"], "shadow");
        assert_eq!(json["replicas"], 7);
        assert_eq!(json["reason"], "activated");
    }

    #[test]
    fn unknown_team_is_an_error() {
        let mut m = CapacityManager::new(&TeamsConfig::default());
        assert_eq!(
            m.observe("nope", 0, 1),
            Err(CapacityError::UnknownTeam("nope".into()))
        );
    }

    #[test]
    fn history_is_bounded() {
        let mut m = CapacityManager::new(&TeamsConfig::default()).with_history_limit(2);
        for t in 0..5 {
            m.observe("triage", t * 30_000, t).unwrap();
        }
        let kept: Vec<_> = m.history().map(|d| d.decision.depth).collect();
        assert_eq!(kept, [3, 4]);
    }
}
