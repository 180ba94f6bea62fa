//! Size limits applied at every server's edge.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// Size limits. Requests over a limit are refused with `payload_too_large`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest single stored value (session value, cache value, memory text), in bytes.
    pub max_value_bytes: usize,
    /// Largest HTTP request body, in bytes. Must be at least `maxValueBytes`.
    pub max_request_bytes: usize,
    /// Time a client has to send a request's head, in seconds (default 10).
    pub header_read_timeout_secs: u64,
    /// How long an idle keep-alive connection is kept, in seconds (default 120).
    pub keep_alive_idle_timeout_secs: u64,
    /// Concurrent connections per listener; more wait in the backlog (default 1024).
    pub max_connections: usize,
    /// Time a client has to send a request's body, in seconds (default 30; then 408).
    pub body_read_timeout_secs: u64,
    /// Time from a request's head to the response's head, in seconds (default 300; then 504).
    pub request_timeout_secs: u64,
    /// MCP sessions (2025-11-25) per role; a new one over the cap gets 503 (default 512).
    pub max_sessions: usize,
    /// An MCP session unused this long is closed, in seconds (default 300).
    pub session_idle_timeout_secs: u64,
    /// Bytes a tenant may keep in the context server (sessions, cache,
    /// memory, ticket history); a write over it gets `quota_exceeded`
    /// (default 64 MiB).
    pub tenant_quota_bytes: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_value_bytes: 1024 * 1024,
            max_request_bytes: 4 * 1024 * 1024,
            header_read_timeout_secs: 10,
            keep_alive_idle_timeout_secs: 120,
            max_connections: 1024,
            body_read_timeout_secs: 30,
            request_timeout_secs: 300,
            max_sessions: 512,
            session_idle_timeout_secs: 300,
            tenant_quota_bytes: 64 * 1024 * 1024,
        }
    }
}

impl LimitsConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let zero = [
            ("headerReadTimeoutSecs", self.header_read_timeout_secs),
            (
                "keepAliveIdleTimeoutSecs",
                self.keep_alive_idle_timeout_secs,
            ),
            ("maxConnections", self.max_connections as u64),
            ("bodyReadTimeoutSecs", self.body_read_timeout_secs),
            ("requestTimeoutSecs", self.request_timeout_secs),
            ("maxSessions", self.max_sessions as u64),
            ("sessionIdleTimeoutSecs", self.session_idle_timeout_secs),
            ("tenantQuotaBytes", self.tenant_quota_bytes),
        ]
        .into_iter()
        .find(|(_, v)| *v == 0);
        if let Some((key, _)) = zero {
            return Err(ConfigError::Invalid(format!(
                "limits.{key}: must be above 0"
            )));
        }
        if self.max_value_bytes == 0 || self.max_request_bytes < self.max_value_bytes {
            return Err(ConfigError::Invalid(format!(
                "limits: maxRequestBytes ({}) must be at least maxValueBytes ({}), and both above 0",
                self.max_request_bytes, self.max_value_bytes
            )));
        }
        Ok(())
    }
}
