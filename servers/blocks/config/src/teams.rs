//! Team definitions: the one source of truth for the in-process capacity
//! manager and for the KEDA `ScaledObject`s the deployment renderer writes.

use omega_protocol::queues;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// Which queue service carries team work (and so which KEDA trigger scales it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum QueueBackend {
    /// The embedded durable queue (single process, `omega up`).
    Embedded,
    /// Redis Streams with consumer groups (`redis-streams` KEDA trigger).
    RedisStreams,
    /// NATS JetStream (`nats-jetstream` KEDA trigger).
    NatsJetstream,
    /// Azure Service Bus (`azure-servicebus` KEDA trigger).
    AzureServicebus,
}

/// All teams, plus the queue backend they share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TeamsConfig {
    /// The queue backend.
    pub queue_backend: QueueBackend,
    /// The teams, each scaled 0..n by queue depth.
    pub teams: Vec<TeamConfig>,
}

/// One team of workers scaled by the depth of one queue, with KEDA's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamConfig {
    /// Team name (`triage`, `classification`, `shadow`, `analytics`).
    pub name: String,
    /// The queue (or topic subscription) whose depth drives scaling.
    pub queue: String,
    /// Fewest workers (0 allows scale to zero).
    pub min_replicas: u32,
    /// Most workers.
    pub max_replicas: u32,
    /// Target messages per worker: desired = ceil(depth / messageCount).
    pub message_count: u32,
    /// Depth above which a team at zero is activated (KEDA `activationMessageCount`).
    #[serde(default)]
    pub activation_message_count: u32,
    /// Seconds with an empty queue before scaling to zero (KEDA `cooldownPeriod`).
    pub cooldown_secs: u64,
    /// Seconds between depth checks (KEDA `pollingInterval`).
    pub polling_interval_secs: u64,
}

impl TeamConfig {
    fn seed(name: &str, queue: &str, max: u32, message_count: u32) -> Self {
        Self {
            name: name.into(),
            queue: queue.into(),
            min_replicas: 0,
            max_replicas: max,
            message_count,
            activation_message_count: 0,
            cooldown_secs: 300,
            polling_interval_secs: 30,
        }
    }
}

impl Default for TeamsConfig {
    /// The seed design's teams: triage 0-10, classification 0-5, shadow 0-100
    /// (one per active employee), analytics 0-3.
    fn default() -> Self {
        Self {
            queue_backend: QueueBackend::Embedded,
            teams: vec![
                TeamConfig::seed("triage", queues::TRIAGE, 10, 5),
                TeamConfig::seed("classification", queues::CLASSIFY, 5, 5),
                TeamConfig::seed("shadow", queues::EMPLOYEE_ACTIVITY, 100, 1),
                TeamConfig::seed("analytics", queues::ANALYTICS_JOBS, 3, 10),
            ],
        }
    }
}

impl TeamsConfig {
    /// Looks a team up by name.
    pub fn team(&self, name: &str) -> Option<&TeamConfig> {
        self.teams.iter().find(|t| t.name == name)
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for team in &self.teams {
            let bad = |why: &str| {
                Err(ConfigError::Invalid(format!(
                    "teams.teams[name = {:?}]: {why}",
                    team.name
                )))
            };
            if team.name.is_empty()
                || !team
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return bad("name must be lowercase letters, digits and '-'");
            }
            if !seen.insert(team.name.as_str()) {
                return bad("team is defined twice");
            }
            if team.max_replicas == 0 || team.min_replicas > team.max_replicas {
                return bad("need 0 <= minReplicas <= maxReplicas and maxReplicas >= 1");
            }
            if team.message_count == 0 {
                return bad("messageCount must be at least 1");
            }
            if team.polling_interval_secs == 0 {
                return bad("pollingIntervalSecs must be at least 1");
            }
            if team.queue.is_empty() {
                return bad("queue must be set");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_teams_match_the_design() {
        let teams = TeamsConfig::default();
        let max: Vec<_> = teams
            .teams
            .iter()
            .map(|t| (t.name.as_str(), t.max_replicas))
            .collect();
        assert_eq!(
            max,
            [
                ("triage", 10),
                ("classification", 5),
                ("shadow", 100),
                ("analytics", 3)
            ]
        );
        teams.validate().unwrap();
    }

    #[test]
    fn inverted_bounds_are_refused() {
        let mut teams = TeamsConfig::default();
        teams.teams[0].min_replicas = 11;
        let err = teams.validate().unwrap_err().to_string();
        assert!(
            err.contains("triage") && err.contains("minReplicas"),
            "{err}"
        );
    }
}
