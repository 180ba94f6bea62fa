//! Renders OMEGA's AKS and Container Apps deployment from the one configuration, with a cost model.
//!
//! * [`render`] validates an [`OmegaConfig`] plus a [`DeployConfig`] and, only
//!   if both are valid, writes the manifests for a [`Target`] into a folder.
//!   [`plan`] does the same without touching the disk.
//! * [`keda_model`] rebuilds KEDA+HPA behaviour from a rendered
//!   `ScaledObject`, so a test can prove the in-process capacity manager and
//!   the cluster agree on a recorded queue-depth trace.
//! * [`cost`] prices a plan under an assumed load or a recorded trace.
//! * [`cli`] holds the functions behind `omega deploy render` and
//!   `omega deploy cost`.

mod aks;
pub mod cli;
mod container_apps;
mod cost;
pub mod keda_model;
mod render;
mod trace;
mod validate;

use std::path::PathBuf;

pub use cost::{CostLine, CostReport, CostTier, Load, cost};
pub use omega_config::OmegaConfig;
pub use omega_config::deploy::{
    AzureConfig, ContainerAppsSizing, DeployConfig, Namespaces, NetworkDeploy, NodePool, NodePools,
    QueueDeploy, Resources, RoleDeploy, TeamDeploy,
};
pub use omega_config::deploy::{ManagedService, PriceTable};
pub use render::{FileKind, Plan, RenderReport, RenderedFile, plan, render};
pub use trace::DepthTrace;
pub use validate::validate;

/// Where the deployment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Azure Kubernetes Service with KEDA.
    Aks,
    /// Azure Container Apps.
    ContainerApps,
}

impl Target {
    /// The CLI spelling (`aks`, `container-apps`).
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Aks => "aks",
            Target::ContainerApps => "container-apps",
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Target {
    type Err = DeployError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aks" => Ok(Target::Aks),
            "container-apps" => Ok(Target::ContainerApps),
            other => Err(DeployError::Invalid {
                field: "--target".into(),
                message: format!("unknown target `{other}`: use `aks` or `container-apps`"),
            }),
        }
    }
}

/// Why rendering, modelling or costing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// A configuration value is wrong; nothing was written.
    #[error("invalid deployment config at {field}: {message}")]
    Invalid {
        /// Which setting.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The embedded queue runs inside one process and cannot be deployed.
    #[error(
        "teams.queueBackend is `embedded`, which only works inside one `omega up` process and cannot be deployed to {target}: set teams.queueBackend to `azure-servicebus`, `redis-streams` or `nats-jetstream`"
    )]
    EmbeddedBackend {
        /// The target asked for.
        target: Target,
    },
    /// Reading or writing a file failed.
    #[error("cannot write or read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A manifest could not be serialised or parsed.
    #[error("manifest {what}: {message}")]
    Manifest {
        /// Which manifest.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// A depth trace is malformed.
    #[error("depth trace line {line}: {message}")]
    Trace {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
