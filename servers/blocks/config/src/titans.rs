//! `[titans]`: which LLM providers are on, their base URLs, models, the
//! *names* of the secrets holding their keys, deadlines and per-model prices.
//!
//! A provider is enabled by being present. The default configuration has
//! only the local Titan, so everything runs without keys. These are the
//! plain data types; `omega-titans` re-exports them and builds the Titans
//! with `omega_titans::build_titans(&config.titans, secrets, local_model)`.
//!
//! ```toml
//! [titans]
//! defaultTitan = "gpt"
//!
//! [titans.gpt]
//! model = "gpt-4o-mini"
//! apiKeySecret = "OPENAI_API_KEY"
//! timeoutMs = 30000
//!
//! [titans.gpt.prices.gpt-4o-mini]
//! inputPerMtokUsd = 0.15
//! outputPerMtokUsd = 0.6
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Every Titan name OMEGA knows, in a stable order (`local` first).
pub const TITAN_NAMES: [&str; 6] = ["local", "gpt", "claude", "gemini", "grok", "augment"];

/// All Titans of a deployment (`[titans]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TitanConfig {
    /// The Titan used when a call names none (default `local`). Must be
    /// configured: `local`, or a provider with its own section.
    #[serde(default = "default_titan")]
    pub default_titan: String,
    /// OpenAI Chat Completions (`gpt`; `[titans.openai]` is accepted too).
    #[serde(default, alias = "openai", skip_serializing_if = "Option::is_none")]
    pub gpt: Option<HttpTitanConfig>,
    /// Anthropic Messages (`claude`; `[titans.anthropic]` is accepted too).
    #[serde(default, alias = "anthropic", skip_serializing_if = "Option::is_none")]
    pub claude: Option<HttpTitanConfig>,
    /// Google Gemini (`gemini`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemini: Option<HttpTitanConfig>,
    /// xAI, OpenAI-compatible (`grok`; `[titans.xai]` is accepted too).
    #[serde(default, alias = "xai", skip_serializing_if = "Option::is_none")]
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
/// default, so an empty table (`[titans.gpt]`) enables the provider with
/// its defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct HttpTitanConfig {
    /// Base URL (`https://api.openai.com/v1`, `https://api.anthropic.com`,
    /// `https://generativelanguage.googleapis.com`, `https://api.x.ai/v1`).
    /// Plain `http` is accepted for loopback only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Name of the secret holding the API key (default `OPENAI_API_KEY`,
    /// `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`, `XAI_API_KEY`). The name, not
    /// the key: the key itself never goes into this file.
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
    /// Prices per model, for cost accounting. A model the provider reports
    /// with a suffix (`gpt-4o-2024-08-06`) uses the longest configured
    /// prefix (`gpt-4o`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prices: BTreeMap<String, ModelPrice>,
}

/// The price of one model, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelPrice {
    /// Dollars per million input tokens.
    pub input_per_mtok_usd: f64,
    /// Dollars per million output tokens.
    pub output_per_mtok_usd: f64,
}

/// The Augment Titan: the Auggie CLI driven over ACP (stdio JSON-RPC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
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

/// The local Titan (the embedded classifier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
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

impl TitanConfig {
    /// Names of the configured Titans: `local` (always) and every provider
    /// with a section, in [`TITAN_NAMES`] order.
    pub fn configured(&self) -> Vec<&'static str> {
        let on = [
            true,
            self.gpt.is_some(),
            self.claude.is_some(),
            self.gemini.is_some(),
            self.grok.is_some(),
            self.augment.is_some(),
        ];
        TITAN_NAMES
            .into_iter()
            .zip(on)
            .filter_map(|(n, on)| on.then_some(n))
            .collect()
    }

    /// Whether the Titan `name` is configured.
    pub fn is_configured(&self, name: &str) -> bool {
        self.configured().contains(&name)
    }

    /// Checks every value that can be checked without the network or the
    /// secrets. Paths are relative to `[titans]` (`gpt.baseUrl`).
    /// `defaultTitan` is checked by `OmegaConfig::validate` (it may name a
    /// Titan served by a peer) and by `omega_titans::build_titans`.
    pub fn validate(&self) -> Result<(), FieldError> {
        let http = [
            ("gpt", &self.gpt),
            ("claude", &self.claude),
            ("gemini", &self.gemini),
            ("grok", &self.grok),
        ];
        for (name, cfg) in http {
            if let Some(cfg) = cfg {
                cfg.check(name)?;
            }
        }
        if let Some(augment) = &self.augment {
            augment.check()?;
        }
        if self.local.model.trim().is_empty() {
            return Err(FieldError::new("local.model", "must not be empty"));
        }
        Ok(())
    }
}

impl HttpTitanConfig {
    /// Checks the values of the provider `titan` (paths `{titan}.baseUrl`, ...).
    pub fn check(&self, titan: &str) -> Result<(), FieldError> {
        let field = |f: &str| format!("{titan}.{f}");
        if let Some(url) = &self.base_url {
            check_titan_base_url(url).map_err(|m| FieldError::new(field("baseUrl"), m))?;
        }
        if self.timeout_ms == Some(0) {
            return Err(FieldError::new(field("timeoutMs"), "must be positive"));
        }
        if self.max_output_tokens == Some(0) {
            return Err(FieldError::new(
                field("maxOutputTokens"),
                "must be positive",
            ));
        }
        if matches!(&self.api_key_secret, Some(s) if s.trim().is_empty()) {
            return Err(FieldError::new(
                field("apiKeySecret"),
                "name the secret holding the key, or omit it for the provider default",
            ));
        }
        for (model, p) in &self.prices {
            let ok = |v: f64| v.is_finite() && v >= 0.0;
            if !ok(p.input_per_mtok_usd) || !ok(p.output_per_mtok_usd) {
                return Err(FieldError::new(
                    field(&format!("prices.{model}")),
                    "prices must be finite and non-negative",
                ));
            }
        }
        Ok(())
    }
}

impl AugmentConfig {
    /// Checks the values (paths `augment.command`, ...).
    pub fn check(&self) -> Result<(), FieldError> {
        if self.command.trim().is_empty() {
            return Err(FieldError::new(
                "augment.command",
                "name the auggie program",
            ));
        }
        if self.timeout_ms == 0 {
            return Err(FieldError::new("augment.timeoutMs", "must be positive"));
        }
        if matches!(&self.workspace, Some(w) if !w.is_absolute()) {
            return Err(FieldError::new(
                "augment.workspace",
                "must be an absolute path",
            ));
        }
        Ok(())
    }
}

/// Checks a hosted Titan's base URL: `https`, or plain `http` to a loopback
/// host only (plain http would send the API key in clear). A trailing `/`
/// is ignored.
pub fn check_titan_base_url(url: &str) -> Result<(), String> {
    let trimmed = url.trim_end_matches('/');
    match trimmed.parse::<http::Uri>() {
        Ok(uri) if uri.scheme_str() == Some("https") && uri.host().is_some() => Ok(()),
        Ok(uri)
            if uri.scheme_str() == Some("http")
                && matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]")) =>
        {
            Ok(())
        }
        Ok(uri) if uri.scheme_str() == Some("http") => Err(format!(
            "{trimmed:?} uses plain http; use https (http is allowed for loopback only)"
        )),
        _ => Err(format!("{trimmed:?} is not an http(s) URL")),
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
        assert_eq!(cfg.configured(), ["local"]);
        cfg.validate().unwrap();
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<TitanConfig>(r#"{"chatgpt":{}}"#).is_err());
        assert!(serde_json::from_str::<TitanConfig>(r#"{"gpt":{"apiKey":"sk"}}"#).is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let path = |json: &str| {
            let c: TitanConfig = serde_json::from_str(json).unwrap();
            c.validate().unwrap_err().path
        };
        assert_eq!(path(r#"{"gpt":{"baseUrl":"ftp://x"}}"#), "gpt.baseUrl");
        assert_eq!(
            path(r#"{"claude":{"baseUrl":"http://api.anthropic.com"}}"#),
            "claude.baseUrl"
        );
        assert_eq!(path(r#"{"grok":{"timeoutMs":0}}"#), "grok.timeoutMs");
        assert_eq!(
            path(r#"{"gemini":{"prices":{"m":{"inputPerMtokUsd":-1,"outputPerMtokUsd":1}}}}"#),
            "gemini.prices.m"
        );
        assert_eq!(
            path(r#"{"augment":{"workspace":"relative"}}"#),
            "augment.workspace"
        );
        let ok: TitanConfig = serde_json::from_str(
            r#"{"defaultTitan":"gpt","gpt":{"baseUrl":"http://127.0.0.1:9/v1/"}}"#,
        )
        .unwrap();
        ok.validate().unwrap();
        assert_eq!(ok.configured(), ["local", "gpt"]);
    }
}
