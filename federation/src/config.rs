//! Federation configuration: where the registries are, how the gateway
//! refreshes, and the resilience settings.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::layers::{BreakerConfig, RetryConfig};

/// Settings of the federation role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FederationConfig {
    /// MCP endpoint of the agent registry (`http://127.0.0.1:7702/mcp`).
    pub agent_registry_url: String,
    /// MCP endpoint of the MCP registry.
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
    fn default() -> Self {
        Self {
            agent_registry_url: "http://127.0.0.1:7702/mcp".into(),
            mcp_registry_url: "http://127.0.0.1:7703/mcp".into(),
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

/// (De)serializes a [`Duration`] as whole milliseconds.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_unknown_keys() {
        let cfg = FederationConfig::default();
        let json = serde_json::to_value(&cfg).unwrap();
        assert_eq!(json["attemptTimeoutMs"], 5000);
        assert_eq!(json["breaker"]["coolOffMs"], 5000);
        assert_eq!(json["retry"]["backoffMs"], 10);
        let back: FederationConfig = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, cfg);
        let mut bad = json;
        bad["maxInflight"] = 3.into();
        let err = serde_json::from_value::<FederationConfig>(bad).unwrap_err();
        assert!(err.to_string().contains("maxInflight"), "{err}");
    }
}
