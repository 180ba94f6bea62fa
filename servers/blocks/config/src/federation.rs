//! `[federation]`: the federation core's deadlines, load shedding, retries,
//! circuit breaker and gateway catalog refresh.
//!
//! Where the registries are is not here: the federation finds them in
//! `[peers]` (`peers.agentRegistry`, `peers.mcpRegistry`) when they run in
//! another process, and in its own process under `omega up`. The runtime
//! [`FederationConfig`] (re-exported as `omega_federation::FederationConfig`)
//! is [`FederationSettings::to_runtime`] with the registries' MCP endpoints
//! set, or [`FederationConfig::from_settings`].
//!
//! ```toml
//! [federation]
//! defaultDeadlineMs = 10000
//! attemptTimeoutMs = 5000
//!
//! [federation.retry]
//! maxAttempts = 3
//!
//! [federation.breaker]
//! failureThreshold = 5
//! coolOffMs = 5000
//! ```

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The federation's settings (`[federation]`). Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FederationSettings {
    /// How long an agent discovery answer is reused, in milliseconds
    /// (default 1000; 0: ask the registry on every routed call).
    #[serde(with = "millis", rename = "discoveryTtlMs")]
    #[schemars(with = "u64")]
    pub discovery_ttl: Duration,
    /// How often the gateway re-reads the MCP registry and the upstreams'
    /// tool lists, in milliseconds (default 10 000; it also refreshes at
    /// once after an upstream fails).
    #[serde(with = "millis", rename = "catalogRefreshMs")]
    #[schemars(with = "u64")]
    pub catalog_refresh: Duration,
    /// Deadline of a call whose caller gave none, in milliseconds (default 10 000).
    #[serde(with = "millis", rename = "defaultDeadlineMs")]
    #[schemars(with = "u64")]
    pub default_deadline: Duration,
    /// Longest deadline a caller may ask for, in milliseconds (default 120 000).
    #[serde(with = "millis", rename = "maxDeadlineMs")]
    #[schemars(with = "u64")]
    pub max_deadline: Duration,
    /// Longest one attempt on one replica may take, in milliseconds
    /// (default 5000; shorter than the call's deadline, so a hung replica
    /// leaves time to retry elsewhere).
    #[serde(with = "millis", rename = "attemptTimeoutMs")]
    #[schemars(with = "u64")]
    pub attempt_timeout: Duration,
    /// Calls in flight through the federation before new ones are shed (default 4096).
    pub max_in_flight: usize,
    /// Calls in flight to one upstream replica before new ones are shed (default 512).
    pub max_in_flight_per_upstream: usize,
    /// Retries.
    pub retry: RetryConfig,
    /// Circuit breaker per upstream replica.
    pub breaker: BreakerConfig,
    /// Largest JSON-RPC request body, in bytes (default 4 MiB).
    pub max_request_bytes: u32,
    /// Most calls in one JSON-RPC batch (default 64).
    pub max_batch_len: u32,
}

impl Default for FederationSettings {
    fn default() -> Self {
        Self {
            discovery_ttl: Duration::from_secs(1),
            catalog_refresh: Duration::from_secs(10),
            default_deadline: Duration::from_secs(10),
            max_deadline: Duration::from_secs(120),
            attempt_timeout: Duration::from_secs(5),
            max_in_flight: 4096,
            max_in_flight_per_upstream: 512,
            retry: RetryConfig::default(),
            breaker: BreakerConfig::default(),
            max_request_bytes: 4 * 1024 * 1024,
            max_batch_len: 64,
        }
    }
}

/// Settings of the federation role at run time: [`FederationSettings`] plus
/// the MCP endpoints of the two registries. `omega_federation` re-exports
/// it and `FederationState::new` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FederationConfig {
    /// MCP endpoint of the agent registry (`http://127.0.0.1:7701/mcp`).
    pub agent_registry_url: String,
    /// MCP endpoint of the MCP registry (`http://127.0.0.1:7702/mcp`).
    pub mcp_registry_url: String,
    /// How long an agent discovery answer is reused (0: ask the registry
    /// on every routed call).
    #[serde(with = "millis", rename = "discoveryTtlMs")]
    pub discovery_ttl: Duration,
    /// How often the gateway re-reads the MCP registry and the upstreams'
    /// tool lists (it also refreshes at once after an upstream fails).
    #[serde(with = "millis", rename = "catalogRefreshMs")]
    pub catalog_refresh: Duration,
    /// Deadline of a call whose caller gave none.
    #[serde(with = "millis", rename = "defaultDeadlineMs")]
    pub default_deadline: Duration,
    /// Longest deadline a caller may ask for.
    #[serde(with = "millis", rename = "maxDeadlineMs")]
    pub max_deadline: Duration,
    /// Longest one attempt on one replica may take (shorter than the call's
    /// deadline, so a hung replica leaves time to retry elsewhere).
    #[serde(with = "millis", rename = "attemptTimeoutMs")]
    pub attempt_timeout: Duration,
    /// Calls in flight through the federation before new ones are shed.
    pub max_in_flight: usize,
    /// Calls in flight to one upstream replica before new ones are shed.
    pub max_in_flight_per_upstream: usize,
    /// Retries.
    #[serde(default)]
    pub retry: RetryConfig,
    /// Circuit breaker per upstream replica.
    #[serde(default)]
    pub breaker: BreakerConfig,
    /// Largest JSON-RPC request body, in bytes.
    pub max_request_bytes: u32,
    /// Most calls in one JSON-RPC batch.
    pub max_batch_len: u32,
}

impl Default for FederationConfig {
    /// The default settings, with the registries of `omega up` on loopback.
    fn default() -> Self {
        FederationSettings::default().to_runtime()
    }
}

impl FederationConfig {
    /// The runtime configuration from `[federation]` and the registries'
    /// MCP endpoints (`{peers.agentRegistry}/mcp`, `{peers.mcpRegistry}/mcp`).
    pub fn from_settings(
        settings: &FederationSettings,
        agent_registry_url: impl Into<String>,
        mcp_registry_url: impl Into<String>,
    ) -> Self {
        let FederationSettings {
            discovery_ttl,
            catalog_refresh,
            default_deadline,
            max_deadline,
            attempt_timeout,
            max_in_flight,
            max_in_flight_per_upstream,
            retry,
            breaker,
            max_request_bytes,
            max_batch_len,
        } = settings.clone();
        Self {
            agent_registry_url: agent_registry_url.into(),
            mcp_registry_url: mcp_registry_url.into(),
            discovery_ttl,
            catalog_refresh,
            default_deadline,
            max_deadline,
            attempt_timeout,
            max_in_flight,
            max_in_flight_per_upstream,
            retry,
            breaker,
            max_request_bytes,
            max_batch_len,
        }
    }

    /// The `[federation]` part (everything but the registry URLs).
    pub fn settings(&self) -> FederationSettings {
        FederationSettings {
            discovery_ttl: self.discovery_ttl,
            catalog_refresh: self.catalog_refresh,
            default_deadline: self.default_deadline,
            max_deadline: self.max_deadline,
            attempt_timeout: self.attempt_timeout,
            max_in_flight: self.max_in_flight,
            max_in_flight_per_upstream: self.max_in_flight_per_upstream,
            retry: self.retry,
            breaker: self.breaker,
            max_request_bytes: self.max_request_bytes,
            max_batch_len: self.max_batch_len,
        }
    }
}

impl FederationSettings {
    /// The runtime configuration with these settings and the registries of
    /// `omega up` on loopback (`http://127.0.0.1:7701/mcp`,
    /// `http://127.0.0.1:7702/mcp`); set `agent_registry_url` and
    /// `mcp_registry_url` from the peers for a role in its own process.
    pub fn to_runtime(&self) -> FederationConfig {
        FederationConfig::from_settings(
            self,
            "http://127.0.0.1:7701/mcp",
            "http://127.0.0.1:7702/mcp",
        )
    }
}

/// Retry settings (`[federation.retry]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Most attempts per call, the first included (default 3; 1 disables retries).
    pub max_attempts: u32,
    /// Retries allowed as a fraction of recent successful calls (default 0.2 = 20 %).
    pub budget_ratio: f32,
    /// Retries per second always allowed, whatever the ratio says (default 10).
    pub budget_min_per_sec: u32,
    /// Delay before the first retry, in milliseconds (default 10); doubled
    /// for each further one.
    #[serde(with = "millis", rename = "backoffMs")]
    #[schemars(with = "u64")]
    pub backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            budget_ratio: 0.2,
            budget_min_per_sec: 10,
            backoff: Duration::from_millis(10),
        }
    }
}

/// Circuit breaker settings (`[federation.breaker]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct BreakerConfig {
    /// Consecutive failures (errors that count against the upstream:
    /// transport failures, deadlines, upstream internal errors) that open
    /// the circuit (default 5).
    pub failure_threshold: u32,
    /// How long an open circuit refuses calls before letting one probe
    /// through, in milliseconds (default 5000).
    #[serde(with = "millis", rename = "coolOffMs")]
    #[schemars(with = "u64")]
    pub cool_off: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cool_off: Duration::from_secs(5),
        }
    }
}

impl FederationSettings {
    /// Checks ranges. Paths are relative to `[federation]`.
    pub fn validate(&self) -> Result<(), FieldError> {
        let positive = [
            ("catalogRefreshMs", self.catalog_refresh),
            ("defaultDeadlineMs", self.default_deadline),
            ("maxDeadlineMs", self.max_deadline),
            ("attemptTimeoutMs", self.attempt_timeout),
        ];
        for (field, d) in positive {
            if d.is_zero() {
                return Err(FieldError::new(field, "must be positive"));
            }
        }
        if self.max_deadline < self.default_deadline {
            return Err(FieldError::new(
                "maxDeadlineMs",
                format!(
                    "must be at least defaultDeadlineMs ({})",
                    self.default_deadline.as_millis()
                ),
            ));
        }
        let at_least_one = [
            ("maxInFlight", self.max_in_flight as u64),
            (
                "maxInFlightPerUpstream",
                self.max_in_flight_per_upstream as u64,
            ),
            ("maxRequestBytes", u64::from(self.max_request_bytes)),
            ("maxBatchLen", u64::from(self.max_batch_len)),
            ("retry.maxAttempts", u64::from(self.retry.max_attempts)),
            (
                "breaker.failureThreshold",
                u64::from(self.breaker.failure_threshold),
            ),
        ];
        for (field, v) in at_least_one {
            if v == 0 {
                return Err(FieldError::new(field, "must be at least 1"));
            }
        }
        let ratio = self.retry.budget_ratio;
        if !(ratio.is_finite() && ratio >= 0.0) {
            return Err(FieldError::new(
                "retry.budgetRatio",
                "must be finite and non-negative",
            ));
        }
        Ok(())
    }
}

/// (De)serializes a [`Duration`] as whole milliseconds (for `…Ms` keys).
pub mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes whole milliseconds.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// Reads whole milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_keys() {
        let cfg = FederationSettings::default();
        cfg.validate().unwrap();
        let json = serde_json::to_value(&cfg).unwrap();
        assert_eq!(json["attemptTimeoutMs"], 5000);
        assert_eq!(json["breaker"]["coolOffMs"], 5000);
        assert_eq!(json["retry"]["backoffMs"], 10);
        let back: FederationSettings = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, cfg);
        let mut bad = json;
        bad["maxInflight"] = 3.into();
        let err = serde_json::from_value::<FederationSettings>(bad).unwrap_err();
        assert!(err.to_string().contains("maxInflight"), "{err}");
        let empty: FederationSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, cfg);
    }

    #[test]
    fn runtime_config_carries_the_settings() {
        let mut settings = FederationSettings::default();
        settings.retry.max_attempts = 7;
        let rt = FederationConfig::from_settings(&settings, "http://a/mcp", "http://m/mcp");
        assert_eq!(rt.settings(), settings);
        assert_eq!(rt.agent_registry_url, "http://a/mcp");
        assert_eq!(
            FederationConfig::default().settings(),
            FederationSettings::default()
        );
        let json = serde_json::to_value(FederationConfig::default()).unwrap();
        assert_eq!(json["retry"]["backoffMs"], 10);
        let back: FederationConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, FederationConfig::default());
    }

    #[test]
    fn validation_names_the_field() {
        let path = |json: &str| {
            let c: FederationSettings = serde_json::from_str(json).unwrap();
            c.validate().unwrap_err().path
        };
        assert_eq!(path(r#"{"catalogRefreshMs": 0}"#), "catalogRefreshMs");
        assert_eq!(
            path(r#"{"defaultDeadlineMs": 5000, "maxDeadlineMs": 10}"#),
            "maxDeadlineMs"
        );
        assert_eq!(
            path(r#"{"retry": {"maxAttempts": 0}}"#),
            "retry.maxAttempts"
        );
        assert_eq!(
            path(r#"{"retry": {"budgetRatio": -1}}"#),
            "retry.budgetRatio"
        );
    }
}
