//! Titan configuration: which providers are on, their base URLs, models,
//! key secret names, deadlines and per-model prices.
//!
//! A provider is enabled by being present. The default configuration has
//! only the local Titan, so everything runs without keys. The data types
//! live in `omega-config` (`[titans]` of `omega.toml`) and are re-exported
//! here; this module adds what needs the runtime: the price table, the
//! errors, and the provider defaults applied when a Titan is built.

use std::collections::BTreeMap;
use std::time::Duration;

pub use omega_config::FieldError;
pub use omega_config::titans::{
    AugmentConfig, HttpTitanConfig, LocalConfig, ModelPrice, TITAN_NAMES, TitanConfig,
    check_titan_base_url,
};

use crate::Usage;

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

impl From<FieldError> for ConfigError {
    /// A check of `omega-config` (its path is relative to `[titans]`).
    fn from(e: FieldError) -> Self {
        ConfigError::Invalid {
            field: e.path,
            message: e.message,
        }
    }
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

/// `cfg` of the provider `titan` with the provider's `defaults` applied,
/// after the checks of [`HttpTitanConfig::check`].
pub(crate) fn resolve(
    cfg: &HttpTitanConfig,
    titan: &str,
    defaults: &ProviderDefaults,
) -> Result<Resolved, ConfigError> {
    cfg.check(titan)?;
    let base_url = cfg
        .base_url
        .clone()
        .unwrap_or_else(|| defaults.base_url.into());
    let base_url = base_url.trim_end_matches('/').to_owned();
    check_titan_base_url(&base_url).map_err(|message| ConfigError::Invalid {
        field: format!("{titan}.baseUrl"),
        message,
    })?;
    Ok(Resolved {
        base_url,
        model: cfg.model.clone().unwrap_or_else(|| defaults.model.into()),
        api_key_secret: cfg
            .api_key_secret
            .clone()
            .unwrap_or_else(|| defaults.api_key_secret.into()),
        timeout: Duration::from_millis(cfg.timeout_ms.unwrap_or(60_000)),
        max_output_tokens: cfg.max_output_tokens.unwrap_or(1024),
        prices: PriceTable::new(cfg.prices.clone()),
    })
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
        assert!(serde_json::from_str::<TitanConfig>(r#"{"chatgpt":{}}"#).is_err());
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
        let r = resolve(&HttpTitanConfig::default(), "gpt", &d).unwrap();
        assert_eq!(r.base_url, "https://api.openai.com/v1");
        let bad = HttpTitanConfig {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        };
        let err = resolve(&bad, "gpt", &d).unwrap_err().to_string();
        assert!(err.contains("gpt.baseUrl"), "{err}");
        let cleartext = HttpTitanConfig {
            base_url: Some("http://api.openai.com/v1".into()),
            ..Default::default()
        };
        assert!(resolve(&cleartext, "gpt", &d).is_err());
        let loopback = HttpTitanConfig {
            base_url: Some("http://127.0.0.1:8080/v1".into()),
            ..Default::default()
        };
        assert!(resolve(&loopback, "gpt", &d).is_ok());
        let bad = HttpTitanConfig {
            timeout_ms: Some(0),
            ..Default::default()
        };
        assert!(resolve(&bad, "gpt", &d).is_err());
    }
}
