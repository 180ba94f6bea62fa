//! [`PipelineConfig`]: ingest secrets, limits, thresholds, queue behaviour and
//! capacity overrides. Meant to be embedded as `OmegaConfig.pipeline`
//! (`[pipeline]` in `omega.toml`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::TeamsConfig;
use omega_ingest::IngestConfig;
use omega_protocol::TenantId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Queue names of the pipeline (defined once, in `omega_protocol::queues`).
pub use omega_protocol::queues;

/// The pipeline's settings. Every field has a default that runs on one machine.
///
/// ```toml
/// [pipeline]
/// autoActionThreshold = 0.85
/// maxBodyBytes = 1048576
///
/// [pipeline.tenantThresholds]
/// acme = 0.9
///
/// [pipeline.ingest.tenants.acme]
/// zendeskSecret = "..."
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Per-tenant webhook secrets and the signature tolerance.
    pub ingest: IngestConfig,
    /// Largest webhook body accepted, in bytes (default 1 MiB); larger gets 413.
    pub max_body_bytes: usize,
    /// Default confidence at or above which an automatic action goes to `auto-action`
    /// (default 0.85); below it the ticket goes to `needs-review`.
    pub auto_action_threshold: f64,
    /// Per-tenant overrides of `autoActionThreshold`.
    pub tenant_thresholds: BTreeMap<TenantId, f64>,
    /// Lease (visibility timeout) of a worker on a message, in milliseconds (default 30000).
    pub lease_ms: u64,
    /// Deliveries before a message is dead-lettered (default 5).
    pub max_attempts: u32,
    /// First retry backoff in milliseconds, doubling per attempt (default 1000).
    pub backoff_base_ms: u64,
    /// Largest retry backoff in milliseconds (default 60000).
    pub backoff_max_ms: u64,
    /// Similar past tickets fetched from the context server per ticket (default 5).
    pub similar_k: u32,
    /// Normalizer workers (fixed pool; default 2).
    pub normalizer_workers: usize,
    /// Router workers (fixed pool; default 1).
    pub router_workers: usize,
    /// Workers one team pod runs under `omega serve team`, where KEDA
    /// scales the pods (default 2).
    pub team_pod_workers: usize,
    /// Messages a worker leases at once (default 16).
    pub lease_batch: usize,
    /// How long an idle worker waits before polling an empty queue again, in ms (default 20).
    pub idle_poll_ms: u64,
    /// Overrides of the teams' KEDA timings, for tests and the demo.
    pub capacity: CapacityOverrides,
    /// Redis URL of the queues when `teams.queueBackend` is `redis-streams`
    /// (default `redis://127.0.0.1:6379`).
    pub redis_url: String,
    /// Prefix of the Redis queue keys (default `omega:q`).
    pub redis_key_prefix: String,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            ingest: IngestConfig::default(),
            max_body_bytes: 1 << 20,
            auto_action_threshold: 0.85,
            tenant_thresholds: BTreeMap::new(),
            lease_ms: 30_000,
            max_attempts: 5,
            backoff_base_ms: 1000,
            backoff_max_ms: 60_000,
            similar_k: 5,
            normalizer_workers: 2,
            router_workers: 1,
            team_pod_workers: 2,
            lease_batch: 16,
            idle_poll_ms: 20,
            capacity: CapacityOverrides::default(),
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_key_prefix: "omega:q".into(),
        }
    }
}

/// Overrides of the seed's KEDA timings (which are in whole seconds). Unset
/// fields keep each team's configured values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CapacityOverrides {
    /// Polling interval of every team, in milliseconds.
    pub polling_interval_ms: Option<u64>,
    /// Cooldown before scaling to zero, in milliseconds.
    pub cooldown_ms: Option<u64>,
    /// HPA scale-down stabilisation window, in milliseconds (default 300000).
    pub scale_down_window_ms: Option<u64>,
}

impl PipelineConfig {
    /// The auto-action threshold of `tenant`.
    pub fn threshold(&self, tenant: &TenantId) -> f64 {
        self.tenant_thresholds
            .get(tenant)
            .copied()
            .unwrap_or(self.auto_action_threshold)
    }

    /// The lease duration.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms.max(1))
    }

    /// Checks ranges; the error says which key to fix.
    pub fn validate(&self, teams: &TeamsConfig) -> Result<(), String> {
        let in_unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        if !in_unit(self.auto_action_threshold) {
            return Err("pipeline.autoActionThreshold must be between 0 and 1".into());
        }
        if let Some((t, _)) = self.tenant_thresholds.iter().find(|(_, v)| !in_unit(**v)) {
            return Err(format!(
                "pipeline.tenantThresholds.{t} must be between 0 and 1"
            ));
        }
        if self.max_body_bytes == 0 || self.lease_batch == 0 {
            return Err("pipeline.maxBodyBytes and pipeline.leaseBatch must be at least 1".into());
        }
        for needed in ["triage", "classification"] {
            if teams.team(needed).is_none() {
                return Err(format!(
                    "teams.teams has no `{needed}` team; the pipeline needs it"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let cfg: PipelineConfig = serde_json::from_value(serde_json::json!({
            "autoActionThreshold": 0.7,
            "tenantThresholds": {"acme": 0.95},
            "capacity": {"pollingIntervalMs": 50}
        }))
        .unwrap();
        let acme = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("globex").unwrap();
        assert_eq!(cfg.threshold(&acme), 0.95);
        assert_eq!(cfg.threshold(&other), 0.7);
        assert_eq!(cfg.capacity.polling_interval_ms, Some(50));
        assert_eq!(cfg.max_body_bytes, 1 << 20);
        cfg.validate(&TeamsConfig::default()).unwrap();
        assert!(
            serde_json::from_value::<PipelineConfig>(serde_json::json!({"autoActionTreshold": 1}))
                .is_err()
        );
        let bad = PipelineConfig {
            auto_action_threshold: 1.5,
            ..PipelineConfig::default()
        };
        assert!(bad.validate(&TeamsConfig::default()).is_err());
    }
}
