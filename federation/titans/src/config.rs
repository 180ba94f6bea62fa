//! Titan configuration: which providers are on, their base URLs, models,
//! key secret names, deadlines and per-model prices.
//!
//! A provider is enabled by being present. The default configuration has
//! only the local Titan, so everything runs without keys.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Usage;

/// All Titans of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TitanConfig {
    /// The Titan used when a call names none (default `local`).
    #[serde(default = "default_titan")]
    pub default_titan: String,
    /// OpenAI Chat Completions (`gpt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpt: Option<HttpTitanConfig>,
    /// Anthropic Messages (`claude`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claude: Option<HttpTitanConfig>,
    /// Google Gemini (`gemini`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemini: Option<HttpTitanConfig>,
    /// xAI, OpenAI-compatible (`grok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grok: Option<HttpTitanConfig>,
    /// Augment through the Auggie CLI in ACP mode (`augment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<AugmentConfig>,
    /// The local classifier Titan (`local`), always on.
    #[serde(default)]
    pub local: LocalConfig,
}

fn default_titan() -> String {
    "local".into()
}

impl Default for TitanConfig {
    fn default() -> Self {
        Self {
            default_titan: default_titan(),
            gpt: None,
            claude: None,
            gemini: None,
            grok: None,
            augment: None,
            local: LocalConfig::default(),
        }
    }
}

/// One hosted provider reached over HTTPS. Every field has a provider
/// default, so `{}` enables the provider with its defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpTitanConfig {
    /// Base URL (`https://api.openai.com/v1`, `https://api.anthropic.com`,
    /// `https://generativelanguage.googleapis.com`, `https://api.x.ai/v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Name of the secret holding the API key (default `OPENAI_API_KEY`,
    /// `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`, `XAI_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_secret: Option<String>,
    /// Deadline of one call in milliseconds (default 60 000). For a stream
    /// it bounds the wait for the headers and for each following chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Output token limit sent when the call gives none (Anthropic requires
    /// one; default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// Prices per model, for cost accounting.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prices: BTreeMap<String, ModelPrice>,
}

/// The price of one model, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelPrice {
    /// Dollars per million input tokens.
    pub input_per_mtok_usd: f64,
    /// Dollars per million output tokens.
    pub output_per_mtok_usd: f64,
}

/// Prices by model name. A model the provider reports with a suffix
/// (`gpt-4o-2024-08-06`) uses the longest configured prefix (`gpt-4o`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable(BTreeMap<String, ModelPrice>);

impl PriceTable {
    /// A table from configured prices.
    pub fn new(prices: BTreeMap<String, ModelPrice>) -> Self {
        Self(prices)
    }

    /// The price of `model`, if configured.
    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        if let Some(p) = self.0.get(model) {
            return Some(*p);
        }
        self.0
            .iter()
            .filter(|(k, _)| model.starts_with(k.as_str()))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, p)| *p)
    }

    /// Usage with `cost_usd` filled from the token counts (0 for an
    /// unpriced model).
    pub fn priced(&self, model: &str, input_tokens: u64, output_tokens: u64) -> Usage {
        let cost_usd = self.price(model).map_or(0.0, |p| {
            (input_tokens as f64 * p.input_per_mtok_usd
                + output_tokens as f64 * p.output_per_mtok_usd)
                / 1_000_000.0
        });
        Usage {
            input_tokens,
            output_tokens,
            cost_usd,
        }
    }
}

/// The Augment Titan: the Auggie CLI driven over ACP (stdio JSON-RPC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AugmentConfig {
    /// The program to run (default `auggie`, found on `PATH`).
    #[serde(default = "default_auggie")]
    pub command: String,
    /// Its arguments (default `["--acp"]`).
    #[serde(default = "default_auggie_args")]
    pub args: Vec<String>,
    /// Working directory given to `session/new` as `cwd` (default: the
    /// process's current directory). Must be absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<PathBuf>,
    /// Model passed as `--model` when the call names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Name of the secret holding the Auggie session JSON (from `auggie
    /// login`), put into the child's `AUGMENT_SESSION_AUTH`. Without it the
    /// CLI uses its own login state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_auth_secret: Option<String>,
    /// Deadline of one call in milliseconds (default 120 000).
    #[serde(default = "default_augment_timeout")]
    pub timeout_ms: u64,
}

fn default_auggie() -> String {
    "auggie".into()
}
fn default_auggie_args() -> Vec<String> {
    vec!["--acp".into()]
}
fn default_augment_timeout() -> u64 {
    120_000
}

impl Default for AugmentConfig {
    fn default() -> Self {
        Self {
            command: default_auggie(),
            args: default_auggie_args(),
            workspace: None,
            model: None,
            session_auth_secret: None,
            timeout_ms: default_augment_timeout(),
        }
    }
}

/// The local Titan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalConfig {
    /// Model name reported in results (default `omega-classifier`).
    #[serde(default = "default_local_model")]
    pub model: String,
}

fn default_local_model() -> String {
    "omega-classifier".into()
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            model: default_local_model(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field has a bad value.
    #[error("titans.{field}: {message}")]
    Invalid {
        /// Dotted path of the field.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A Titan's key secret could not be read.
    #[error("titans.{titan}: {source}")]
    Secret {
        /// Titan name.
        titan: String,
        /// The secret error.
        source: crate::SecretError,
    },
    /// The TLS roots could not be loaded.
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

/// A hosted provider's settings with defaults applied.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub base_url: String,
    pub model: String,
    pub api_key_secret: String,
    pub timeout: Duration,
    pub max_output_tokens: u32,
    pub prices: PriceTable,
}

/// Defaults of one provider.
pub(crate) struct ProviderDefaults {
    pub base_url: &'static str,
    pub model: &'static str,
    pub api_key_secret: &'static str,
}

impl HttpTitanConfig {
    pub(crate) fn resolve(
        &self,
        titan: &str,
        defaults: &ProviderDefaults,
    ) -> Result<Resolved, ConfigError> {
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            field: format!("{titan}.{field}"),
            message,
        };
        let base_url = self
            .base_url
            .clone()
            .unwrap_or_else(|| defaults.base_url.into());
        let base_url = base_url.trim_end_matches('/').to_owned();
        match base_url.parse::<http::Uri>() {
            Ok(uri) if uri.scheme_str() == Some("https") => {}
            // Plain http would send the API key in clear: loopback only
            // (local proxies and test fakes).
            Ok(uri)
                if uri.scheme_str() == Some("http")
                    && matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]")) => {}
            Ok(uri) if uri.scheme_str() == Some("http") => {
                return Err(invalid(
                    "baseUrl",
                    format!(
                        "{base_url:?} uses plain http; use https (http is allowed for loopback only)"
                    ),
                ));
            }
            _ => {
                return Err(invalid(
                    "baseUrl",
                    format!("{base_url:?} is not an http(s) URL"),
                ));
            }
        }
        let timeout_ms = self.timeout_ms.unwrap_or(60_000);
        if timeout_ms == 0 {
            return Err(invalid("timeoutMs", "must be positive".into()));
        }
        if self.max_output_tokens == Some(0) {
            return Err(invalid("maxOutputTokens", "must be positive".into()));
        }
        for (model, p) in &self.prices {
            let ok = |v: f64| v.is_finite() && v >= 0.0;
            if !ok(p.input_per_mtok_usd) || !ok(p.output_per_mtok_usd) {
                return Err(invalid(
                    &format!("prices.{model}"),
                    "prices must be finite and non-negative".into(),
                ));
            }
        }
        Ok(Resolved {
            base_url,
            model: self.model.clone().unwrap_or_else(|| defaults.model.into()),
            api_key_secret: self
                .api_key_secret
                .clone()
                .unwrap_or_else(|| defaults.api_key_secret.into()),
            timeout: Duration::from_millis(timeout_ms),
            max_output_tokens: self.max_output_tokens.unwrap_or(1024),
            prices: PriceTable::new(self.prices.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_local_only() {
        let cfg: TitanConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(cfg, TitanConfig::default());
        assert_eq!(cfg.default_titan, "local");
        assert!(cfg.gpt.is_none() && cfg.augment.is_none());
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<TitanConfig>(r#"{"openai":{}}"#).is_err());
        assert!(serde_json::from_str::<TitanConfig>(r#"{"gpt":{"apiKey":"sk"}}"#).is_err());
    }

    #[test]
    fn prices_use_longest_prefix() {
        let cfg: HttpTitanConfig = serde_json::from_str(
            r#"{"prices":{"gpt-4o":{"inputPerMtokUsd":2.5,"outputPerMtokUsd":10.0},
                          "gpt-4o-mini":{"inputPerMtokUsd":0.15,"outputPerMtokUsd":0.6}}}"#,
        )
        .unwrap();
        let table = PriceTable::new(cfg.prices);
        let u = table.priced("gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000);
        assert!((u.cost_usd - 0.75).abs() < 1e-9);
        let u = table.priced("gpt-4o-2024-08-06", 1000, 0);
        assert!((u.cost_usd - 0.0025).abs() < 1e-12);
        assert_eq!(table.priced("o3", 10, 10).cost_usd, 0.0);
    }

    #[test]
    fn resolve_checks_values() {
        let d = ProviderDefaults {
            base_url: "https://api.openai.com/v1/",
            model: "gpt-4o-mini",
            api_key_secret: "OPENAI_API_KEY",
        };
        let r = HttpTitanConfig::default().resolve("gpt", &d).unwrap();
        assert_eq!(r.base_url, "https://api.openai.com/v1");
        let bad = HttpTitanConfig {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        };
        let err = bad.resolve("gpt", &d).unwrap_err().to_string();
        assert!(err.contains("gpt.baseUrl"), "{err}");
        let cleartext = HttpTitanConfig {
            base_url: Some("http://api.openai.com/v1".into()),
            ..Default::default()
        };
        assert!(cleartext.resolve("gpt", &d).is_err());
        let loopback = HttpTitanConfig {
            base_url: Some("http://127.0.0.1:8080/v1".into()),
            ..Default::default()
        };
        assert!(loopback.resolve("gpt", &d).is_ok());
        let bad = HttpTitanConfig {
            timeout_ms: Some(0),
            ..Default::default()
        };
        assert!(bad.resolve("gpt", &d).is_err());
    }
}
