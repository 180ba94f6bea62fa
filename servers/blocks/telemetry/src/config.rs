//! Telemetry configuration.

use serde::{Deserialize, Serialize};

/// Logging and tracing settings of one OMEGA process.
///
/// `{}` logs human-readable text at `info` to stderr and exports nothing;
/// trace ids are still created and propagated to the next hop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `service.name` of exported spans (default `omega`).
    #[serde(default = "default_service")]
    pub service_name: String,
    /// `tracing-subscriber` filter directives (default `info`); the
    /// `RUST_LOG` environment variable overrides it.
    #[serde(default = "default_filter")]
    pub log_filter: String,
    /// Log line format.
    #[serde(default)]
    pub log_format: LogFormat,
    /// OTLP export; absent exports nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otlp: Option<OtlpConfig>,
}

fn default_service() -> String {
    "omega".into()
}

fn default_filter() -> String {
    "info".into()
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            service_name: default_service(),
            log_filter: default_filter(),
            log_format: LogFormat::default(),
            otlp: None,
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LogFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
    /// No log lines (spans are still exported).
    Off,
}

/// Where spans go: an OTLP/HTTP collector (protobuf over plain HTTP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OtlpConfig {
    /// Collector base URL, e.g. `http://127.0.0.1:4318`; `/v1/traces` is
    /// appended unless the URL already ends with it. Only `http://` (put a
    /// collector sidecar next to the process for TLS).
    pub endpoint: String,
    /// Deadline of one export in milliseconds (default 10 000).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
}

fn default_timeout() -> u64 {
    10_000
}

impl OtlpConfig {
    /// The traces URL.
    pub fn traces_url(&self) -> String {
        let base = self.endpoint.trim_end_matches('/');
        if base.ends_with("/v1/traces") {
            base.to_owned()
        } else {
            format!("{base}/v1/traces")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let c: TelemetryConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, TelemetryConfig::default());
        assert!(serde_json::from_str::<TelemetryConfig>(r#"{"otlp": {"url": "x"}}"#).is_err());
        let c: TelemetryConfig = serde_json::from_str(
            r#"{"logFormat": "json", "otlp": {"endpoint": "http://127.0.0.1:4318/"}}"#,
        )
        .unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(
            c.otlp.unwrap().traces_url(),
            "http://127.0.0.1:4318/v1/traces"
        );
    }
}
