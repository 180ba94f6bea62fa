//! OMEGA configuration: the one file (`omega.toml`) that drives `omega up`,
//! every role, the Titans, the orchestrator, the federation, the dashboard,
//! the in-process capacity manager and the deployment renderer.
//!
//! Every type uses `camelCase` keys and refuses unknown keys, so a typo is an
//! error and not a silently ignored setting. [`OmegaConfig::default`] runs on
//! one machine with nothing else installed.
//!
//! [`OmegaConfig::load`] and [`OmegaConfig::from_toml`] name the full dotted
//! path of a bad key or value (`titans.gpt.modle: unknown field …`), and
//! [`OmegaConfig::validate`] names the path of an inconsistent value
//! (``orchestrator.tasks.classify.titans[1]: titan `foo` is not configured …``).
//! [`OmegaConfig::effective_toml_redacted`] renders the configuration in
//! force with every secret value replaced by `"<redacted>"`.
//!
//! # Editor completion
//!
//! The JSON Schema of the file is checked in as
//! `servers/blocks/config/omega.schema.json` (generated from [`OmegaConfig`] by
//! [`json_schema`]; regenerate with
//! `OMEGA_UPDATE_SCHEMAS=1 cargo test -p omega-config`). Editors that use
//! taplo or tombi (VS Code's *Even Better TOML*, Helix, Zed, …) complete
//! and check `omega.toml` when its first line is a schema directive with
//! the schema's path relative to the TOML file (here, an `omega.toml` at
//! the repository root), followed by a blank line:
//!
//! ```toml
//! #:schema ./servers/blocks/config/omega.schema.json
//!
//! tenants = [{ id = "acme" }]
//! ```
//!
//! `servers/blocks/config/examples/omega.toml` is a commented example of every
//! section.

pub mod dashboard;
pub mod deploy;
pub mod federation;
mod limits;
pub mod orchestrator;
pub mod peers;
pub mod pipeline;
pub mod redact;
pub mod security;
mod storage;
mod teams;
pub mod titans;

use std::path::Path;

use omega_protocol::TenantId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use dashboard::{DashboardSettings, SlaTargets};
pub use federation::FederationSettings;
pub use limits::LimitsConfig;

pub use orchestrator::OrchestratorConfig;
pub use peers::PeersConfig;
pub use security::{PolicyConfig, SecurityConfig};
pub use storage::{KvBackend, StorageConfig};
pub use teams::{QueueBackend, TeamConfig, TeamsConfig};
pub use titans::TitanConfig;

/// The whole configuration of one OMEGA deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OmegaConfig {
    /// Tenants served by this deployment. A call for any other tenant is
    /// refused with `tenant_unknown`.
    pub tenants: Vec<TenantConfig>,
    /// Where each kind of data lives.
    pub storage: StorageConfig,
    /// Size limits applied at every server's edge.
    pub limits: LimitsConfig,
    /// Agent registry settings.
    pub agent_registry: AgentRegistryConfig,
    /// Team definitions shared by the capacity manager and the deployment renderer.
    pub teams: TeamsConfig,
    /// How `omega deploy render` lays the deployment out on Azure, and its prices.
    pub deploy: deploy::DeployConfig,
    /// Settings of every role's HTTP listener.
    pub server: ServerSettings,
    /// The ticket pipeline: webhook secrets, thresholds, queue behaviour.
    pub pipeline: pipeline::PipelineConfig,
    /// The Titans (LLM providers and the local classifier): base URLs,
    /// models, key secret names, deadlines, prices.
    pub titans: TitanConfig,
    /// The orchestrator: a strategy per task type over the configured
    /// Titans, Titan costs, per-tenant budgets, classification.
    pub orchestrator: OrchestratorConfig,
    /// The federation core: deadlines, load shedding, retries, circuit
    /// breaker, catalog refresh. Registry URLs are in `peers`.
    pub federation: FederationSettings,
    /// The employee dashboard (it serves the top-level `tenants`).
    pub dashboard: DashboardSettings,
    /// Base URLs of the roles a role calls when they run in another process.
    pub peers: PeersConfig,
    /// The authorization policy.
    pub security: SecurityConfig,
}

/// A bad value and the dotted path of its key (`gpt.baseUrl`,
/// `tasks.classify.titans[1]`), relative to the section that checked it
/// unless it came from [`OmegaConfig::validate`], which gives full paths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    /// Dotted path of the key.
    pub path: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl FieldError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error under the section `section` (`titans` + `gpt.baseUrl`
    /// → `titans.gpt.baseUrl`).
    pub fn within(self, section: &str) -> Self {
        Self {
            path: format!("{section}.{}", self.path),
            message: self.message,
        }
    }
}

/// Settings of every role's HTTP listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Accepted `Host` header values (protection against DNS rebinding for
    /// servers on a workstation). `["*"]` disables the check, for
    /// deployments behind mTLS and network policies.
    pub allowed_hosts: Vec<String>,
    /// How every listener is secured and callers are identified. Absent:
    /// `omega up` uses `dev`, `omega serve` serves plain HTTP and says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSettings>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            tls: None,
        }
    }
}

/// How every role's listener is secured (`[server.tls]`).
///
/// With TLS on, a caller is identified by its client certificate (the
/// roles of a deployment call each other with theirs: mTLS) or by a bearer
/// token (MCP clients, scripts); a request with neither is refused with 401
/// and a `WWW-Authenticate` pointing at the protected resource metadata.
/// Webhooks (`/ingest/…`, authenticated by their platform signature) and the
/// dashboard's pages and API (employee sign-in) are exempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(
    tag = "mode",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum TlsSettings {
    /// Plain HTTP, every caller anonymous with every tenant: development on
    /// loopback only.
    Off,
    /// A development CA in `<data-dir>/pki`, created on first start, one
    /// certificate per role, an operator client certificate, a token
    /// signing key and an operator token (`<data-dir>/token`).
    Dev,
    /// Certificates from files (a deployment: mounted from Key Vault).
    Files {
        /// PEM certificate chain of this process's role.
        cert_file: String,
        /// PEM private key.
        key_file: String,
        /// PEM certificate of the deployment's CA (trusted for servers and clients).
        ca_file: String,
        /// File holding the bearer-token signing key (hex or raw bytes);
        /// without it bearer tokens are refused and only certificates admitted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_key_file: Option<String>,
    },
}

impl ServerSettings {
    /// The host list for the MCP transport: empty means "do not check".
    pub fn effective_allowed_hosts(&self) -> Vec<String> {
        if self.allowed_hosts.iter().any(|h| h == "*") {
            Vec::new()
        } else {
            self.allowed_hosts.clone()
        }
    }
}

/// One tenant (an MSP customer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantConfig {
    /// The tenant id used in every call.
    pub id: TenantId,
    /// A display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Agent registry settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AgentRegistryConfig {
    /// An agent that has not sent a heartbeat for this many seconds is not live.
    pub heartbeat_expiry_secs: u64,
}

impl Default for AgentRegistryConfig {
    fn default() -> Self {
        Self {
            heartbeat_expiry_secs: 30,
        }
    }
}

impl Default for OmegaConfig {
    fn default() -> Self {
        Self {
            tenants: ["demo", "acme", "globex"]
                .into_iter()
                .map(|id| TenantConfig {
                    id: TenantId::parse(id).expect("static tenant id is valid"),
                    name: None,
                })
                .collect(),
            storage: StorageConfig::default(),
            limits: LimitsConfig::default(),
            agent_registry: AgentRegistryConfig::default(),
            teams: TeamsConfig::default(),
            deploy: deploy::DeployConfig::default(),
            server: ServerSettings::default(),
            pipeline: pipeline::PipelineConfig::default(),
            titans: TitanConfig::default(),
            orchestrator: OrchestratorConfig::default(),
            federation: FederationSettings::default(),
            dashboard: DashboardSettings::default(),
            peers: PeersConfig::default(),
            security: SecurityConfig::default(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The path that was read.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema.
    #[error("invalid config {path}: {message}")]
    Parse {
        /// The path that was read.
        path: String,
        /// What is wrong, with its location.
        message: String,
    },
    /// The file parses but its values are inconsistent.
    #[error("invalid config: {0}")]
    Invalid(String),
    /// The file parses but the value at a path is unusable.
    #[error("invalid config: {0}")]
    Field(FieldError),
}

impl From<FieldError> for ConfigError {
    fn from(e: FieldError) -> Self {
        ConfigError::Field(e)
    }
}

impl OmegaConfig {
    /// Loads and validates a TOML configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates configuration text. An unknown key or a bad
    /// value is reported with its full dotted path and its line and column
    /// (``titans.gpt.modle: unknown field `modle`, expected … (line 3, column 1)``).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config = Self::parse(text).map_err(|message| ConfigError::Parse {
            path: "<text>".into(),
            message,
        })?;
        config.validate()?;
        Ok(config)
    }

    fn parse(text: &str) -> Result<Self, String> {
        let de = toml::Deserializer::parse(text).map_err(|e| describe(text, None, &e))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            describe(text, Some(&path), e.inner())
        })
    }

    /// The MCP endpoint of the context server when it runs in another
    /// process: `{peers.context}/mcp`.
    pub fn context_mcp_url(&self) -> Option<String> {
        self.peers.context.as_deref().map(PeersConfig::mcp_endpoint)
    }

    /// The Titans the orchestrator may use: `local`, every provider with a
    /// `[titans.<name>]` section, and every Titan in `[peers.titans]`, in
    /// [`titans::TITAN_NAMES`] order.
    pub fn available_titans(&self) -> Vec<&'static str> {
        titans::TITAN_NAMES
            .into_iter()
            .filter(|n| self.titans.is_configured(n) || self.peers.titans.contains_key(*n))
            .collect()
    }

    /// Checks cross-field rules that the types alone cannot express. Every
    /// error names the dotted path of the key to fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for (i, tenant) in self.tenants.iter().enumerate() {
            if !seen.insert(tenant.id.as_str()) {
                return Err(FieldError::new(
                    format!("tenants[{i}].id"),
                    format!("tenant `{}` is listed twice in `tenants`", tenant.id),
                )
                .into());
            }
        }
        self.limits.validate()?;
        self.teams.validate()?;
        self.pipeline
            .validate(&self.teams)
            .map_err(ConfigError::Invalid)?;
        self.titans.validate().map_err(|e| e.within("titans"))?;
        self.peers.validate().map_err(|e| e.within("peers"))?;
        let titans = self.available_titans();
        if !titans.contains(&self.titans.default_titan.as_str()) {
            return Err(FieldError::new(
                "titans.defaultTitan",
                format!(
                    "titan `{}` is not configured; configured titans: {}",
                    self.titans.default_titan,
                    titans.join(", ")
                ),
            )
            .into());
        }
        self.orchestrator.validate(&titans).map_err(
            |orchestrator::ConfigError::Invalid { field, message }| {
                FieldError::new(format!("orchestrator.{field}"), message)
            },
        )?;
        for tenant in self.orchestrator.budgets.tenants.keys() {
            if !self.tenants.iter().any(|t| t.id.as_str() == tenant) {
                return Err(
                    self.unknown_tenant(format!("orchestrator.budgets.tenants.{tenant}"), tenant)
                );
            }
        }
        self.federation
            .validate()
            .map_err(|e| e.within("federation"))?;
        self.dashboard
            .validate()
            .map_err(|e| e.within("dashboard"))?;
        self.security
            .policy
            .validate()
            .map_err(|e| FieldError::new(format!("security.policy.{}", e.field), e.message))?;
        for (i, grant) in self.security.policy.grants.iter().enumerate() {
            for (j, tenant) in grant.tenants.iter().flatten().enumerate() {
                if !self.has_tenant(tenant) {
                    return Err(self.unknown_tenant(
                        format!("security.policy.grants[{i}].tenants[{j}]"),
                        tenant.as_str(),
                    ));
                }
            }
        }
        Ok(())
    }

    fn unknown_tenant(&self, path: String, tenant: &str) -> ConfigError {
        let known: Vec<&str> = self.tenants.iter().map(|t| t.id.as_str()).collect();
        FieldError::new(
            path,
            format!(
                "tenant `{tenant}` is not listed in `tenants` (configured: {})",
                known.join(", ")
            ),
        )
        .into()
    }

    /// The effective configuration as TOML, with every secret value (webhook
    /// signing and shared secrets, passwords and tokens in URLs) replaced by
    /// `"<redacted>"`. Names of secrets (`apiKeySecret`, ...) are shown.
    /// Safe to print and to log.
    pub fn effective_toml_redacted(&self) -> String {
        let mut value =
            toml::Value::try_from(self).expect("every OmegaConfig serializes to TOML (tested)");
        redact::redact(&mut value);
        toml::to_string(&value).expect("a TOML table serializes (tested)")
    }

    /// Whether `tenant` is configured.
    pub fn has_tenant(&self, tenant: &TenantId) -> bool {
        self.tenants.iter().any(|t| &t.id == tenant)
    }
}

/// The JSON Schema of `omega.toml` (checked in as
/// `servers/blocks/config/omega.schema.json`).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(OmegaConfig)).expect("a JSON Schema serializes")
}

/// `message` with the path and the line and column of `error` in `text`.
fn describe(text: &str, path: Option<&str>, error: &toml::de::Error) -> String {
    let mut out = String::new();
    if let Some(p) = path.filter(|p| *p != ".") {
        out.push_str(p);
        out.push_str(": ");
    }
    out.push_str(error.message().trim_end());
    if path == Some("pipeline.contextUrl") {
        out.push_str(
            "; it moved to `peers.context`, the context server's base URL without `/mcp` \
             (e.g. `[peers] context = \"http://context:7700\"`)",
        );
    }
    if let Some(span) = error.span() {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        out.push_str(&format!(" (line {line}, column {column})"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid_and_round_trips() {
        let config = OmegaConfig::default();
        config.validate().unwrap();
        let text = toml::to_string(&config).unwrap();
        assert_eq!(OmegaConfig::from_toml(&text).unwrap(), config);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = OmegaConfig::from_toml("tenant = []").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn duplicate_tenants_are_refused() {
        let err = OmegaConfig::from_toml("tenants = [{id = \"a\"}, {id = \"a\"}]").unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
    }

    #[test]
    fn bad_tenant_id_names_the_problem() {
        let err = OmegaConfig::from_toml("tenants = [{id = \"Bad Id\"}]").unwrap_err();
        assert!(err.to_string().contains("not a valid tenant id"), "{err}");
    }
}
