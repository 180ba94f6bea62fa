//! OMEGA configuration: the one file (`omega.toml`) that drives `omega up`,
//! every role, the in-process capacity manager and the deployment renderer.
//!
//! Every type uses `camelCase` keys and refuses unknown keys, so a typo is an
//! error and not a silently ignored setting. [`OmegaConfig::default`] runs on
//! one machine with nothing else installed.

pub mod deploy;
mod limits;
pub mod pipeline;
mod storage;
mod teams;

use std::path::Path;

use omega_protocol::TenantId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use limits::LimitsConfig;
pub use storage::{KvBackend, StorageConfig};
pub use teams::{QueueBackend, TeamConfig, TeamsConfig};

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
}

/// Settings of every role's HTTP listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Accepted `Host` header values (protection against DNS rebinding for
    /// servers on a workstation). `["*"]` disables the check, for
    /// deployments behind mTLS and network policies.
    pub allowed_hosts: Vec<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        }
    }
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

    /// Parses and validates configuration text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: OmegaConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: "<text>".into(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks cross-field rules that the types alone cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for tenant in &self.tenants {
            if !seen.insert(tenant.id.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "tenant `{}` is listed twice in `tenants`",
                    tenant.id
                )));
            }
        }
        self.limits.validate()?;
        self.teams.validate()?;
        self.pipeline
            .validate(&self.teams)
            .map_err(ConfigError::Invalid)?;
        Ok(())
    }

    /// Whether `tenant` is configured.
    pub fn has_tenant(&self, tenant: &TenantId) -> bool {
        self.tenants.iter().any(|t| &t.id == tenant)
    }
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
