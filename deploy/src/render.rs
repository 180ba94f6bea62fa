//! The in-memory plan (what would be deployed) and writing it to a folder.

use std::path::{Path, PathBuf};

use omega_config::{OmegaConfig, QueueBackend, TeamConfig};
use serde::Serialize;
use serde_json::Value;

use crate::{DeployConfig, DeployError, Target, aks, container_apps, validate};

/// What a rendered file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum FileKind {
    /// One Kubernetes object.
    Kubernetes {
        /// `apiVersion`.
        api_version: String,
        /// `kind`.
        kind: String,
        /// `metadata.name`.
        name: String,
    },
    /// One Container App in the `az containerapp create --yaml` shape.
    ContainerApp {
        /// App name.
        name: String,
    },
    /// A shell script the operator runs (`az` commands).
    Script,
    /// A Dockerfile or other text.
    Text,
}

impl FileKind {
    /// Whether this is a core Kubernetes kind (validated with the
    /// Kubernetes OpenAPI schemas) rather than a CRD or a non-Kubernetes file.
    pub fn is_core_kubernetes(&self) -> bool {
        matches!(self, FileKind::Kubernetes { api_version, .. }
            if !api_version.contains(".sh/") && !api_version.contains(".x-k8s.io/"))
    }
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedFile {
    /// Path relative to the output folder.
    pub path: PathBuf,
    /// What it holds.
    pub kind: FileKind,
    /// The text written.
    pub contents: String,
}

/// An always-on workload of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlwaysOnWorkload {
    /// Role name.
    pub name: String,
    /// Replicas.
    pub replicas: u32,
    /// Price class.
    pub size_class: String,
}

/// A team workload of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamWorkload {
    /// The team's scaling settings.
    pub team: TeamConfig,
    /// Price class.
    pub size_class: String,
    /// Work per ticket relative to the assumed processing time.
    pub work_per_ticket: f64,
}

/// A rendered deployment, in memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The target.
    pub target: Target,
    /// The teams' queue backend.
    pub queue_backend: QueueBackend,
    /// Always-on workloads.
    pub always_on: Vec<AlwaysOnWorkload>,
    /// Team workloads.
    pub teams: Vec<TeamWorkload>,
    /// Files, in apply order.
    pub files: Vec<RenderedFile>,
}

/// What [`render`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderReport {
    /// The folder written to (`<out>/<target>`).
    pub dir: PathBuf,
    /// Absolute paths of the files written.
    pub written: Vec<PathBuf>,
    /// The plan that was written.
    pub plan: Plan,
}

impl Plan {
    /// The files holding a Kubernetes object of `kind`.
    pub fn objects(&self, kind: &str) -> impl Iterator<Item = &RenderedFile> {
        self.files
            .iter()
            .filter(move |f| matches!(&f.kind, FileKind::Kubernetes { kind: k, .. } if k == kind))
    }
}

/// Validates, then builds the whole deployment in memory.
pub fn plan(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    target: Target,
) -> Result<Plan, DeployError> {
    validate(config, deploy, target)?;
    let always_on = deploy
        .roles
        .iter()
        .map(|r| AlwaysOnWorkload {
            name: r.name.clone(),
            replicas: r.replicas,
            size_class: r.size_class.clone(),
        })
        .collect();
    let teams = config
        .teams
        .teams
        .iter()
        .map(|t| {
            let d = deploy
                .team(&t.name)
                .expect("validated: every team has a deploy entry");
            TeamWorkload {
                team: t.clone(),
                size_class: d.size_class.clone(),
                work_per_ticket: d.work_per_ticket,
            }
        })
        .collect();
    let files = match target {
        Target::Aks => aks::render(config, deploy)?,
        Target::ContainerApps => container_apps::render(config, deploy)?,
    };
    Ok(Plan {
        target,
        queue_backend: config.teams.queue_backend,
        always_on,
        teams,
        files,
    })
}

/// Validates, renders, and writes the files under `out_dir/<target>/`.
/// Nothing is written when the configuration is invalid.
pub fn render(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    target: Target,
    out_dir: &Path,
) -> Result<RenderReport, DeployError> {
    let plan = plan(config, deploy, target)?;
    let dir = out_dir.join(target.as_str());
    let mut written = Vec::with_capacity(plan.files.len());
    for file in &plan.files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| DeployError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        std::fs::write(&path, &file.contents).map_err(|source| DeployError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(RenderReport { dir, written, plan })
}

/// Serialises one Kubernetes object to a YAML file entry.
pub(crate) fn k8s_file(order: u8, value: Value) -> Result<RenderedFile, DeployError> {
    let field = |k: &str| -> String {
        let v = match k {
            "name" => &value["metadata"]["name"],
            other => &value[other],
        };
        v.as_str().unwrap_or_default().to_owned()
    };
    let (api_version, kind, name) = (field("apiVersion"), field("kind"), field("name"));
    let ns = value["metadata"]["namespace"].as_str().unwrap_or("cluster");
    let path = PathBuf::from(format!(
        "{order:02}-{ns}-{}-{name}.yaml",
        kind.to_ascii_lowercase()
    ));
    Ok(RenderedFile {
        path,
        contents: to_yaml(&value, &format!("{kind}/{name}"))?,
        kind: FileKind::Kubernetes {
            api_version,
            kind,
            name,
        },
    })
}

/// YAML text of `value`.
pub(crate) fn to_yaml(value: &Value, what: &str) -> Result<String, DeployError> {
    serde_norway::to_string(value).map_err(|e| DeployError::Manifest {
        what: what.into(),
        message: e.to_string(),
    })
}
