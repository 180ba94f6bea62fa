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
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_value_bytes: 1024 * 1024,
            max_request_bytes: 4 * 1024 * 1024,
        }
    }
}

impl LimitsConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_value_bytes == 0 || self.max_request_bytes < self.max_value_bytes {
            return Err(ConfigError::Invalid(format!(
                "limits: maxRequestBytes ({}) must be at least maxValueBytes ({}), and both above 0",
                self.max_request_bytes, self.max_value_bytes
            )));
        }
        Ok(())
    }
}
