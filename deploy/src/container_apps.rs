//! Azure Container Apps: one YAML per app in the shape `az containerapp
//! create --yaml` reads (`properties.configuration`, `properties.template`,
//! `template.scale` with `minReplicas`, `maxReplicas`, custom KEDA `rules`).

use std::path::PathBuf;

use omega_config::{OmegaConfig, QueueBackend, TeamConfig};
use serde_json::{Value, json};

use crate::aks::{keda_trigger, team_workload};
use crate::render::{FileKind, RenderedFile, to_yaml};
use crate::{DeployConfig, DeployError};

const REDIS_SECRET: &str = "redis-password";

fn app(
    deploy: &DeployConfig,
    name: &str,
    args: Vec<String>,
    port: u16,
    scale: Value,
    secrets: Vec<Value>,
) -> Value {
    let id = &deploy.azure.managed_identity_resource_id;
    let probe = |kind: &str, path: &str| json!({"type": kind, "httpGet": {"path": path, "port": port, "scheme": "HTTP"}, "periodSeconds": 10});
    json!({
        "name": format!("omega-{name}"),
        "type": "Microsoft.App/containerApps",
        "location": deploy.azure.location,
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {id: {}}},
        "properties": {
            "managedEnvironmentId": deploy.azure.container_apps_environment_id,
            "configuration": {
                "activeRevisionsMode": "Single",
                "ingress": {"external": false, "targetPort": port, "transport": "http2", "allowInsecure": false},
                "registries": [{"server": deploy.registry, "identity": id}],
                "secrets": secrets,
            },
            "template": {
                "containers": [{
                    "name": "omega",
                    "image": deploy.image_ref(),
                    "args": args,
                    "env": [
                        {"name": "OMEGA_ROLE", "value": name},
                        {"name": "OMEGA_PORT", "value": port.to_string()},
                        {"name": "OMEGA_HOST", "value": "0.0.0.0"},
                        {"name": "OMEGA_ALLOWED_HOSTS", "value": "*"},
                        {"name": "AZURE_CLIENT_ID", "value": deploy.azure.workload_identity_client_id},
                        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": deploy.otel_endpoint},
                        {"name": "OTEL_SERVICE_NAME", "value": format!("omega-{name}")},
                    ],
                    "resources": {"cpu": deploy.container_apps.cpu, "memory": deploy.container_apps.memory},
                    "probes": [probe("Readiness", "/readyz"), probe("Liveness", "/healthz")],
                }],
                "scale": scale,
            }
        }
    })
}

fn file(name: &str, value: &Value) -> Result<RenderedFile, DeployError> {
    Ok(RenderedFile {
        path: PathBuf::from(format!("omega-{name}.yaml")),
        contents: to_yaml(value, name)?,
        kind: FileKind::ContainerApp {
            name: format!("omega-{name}"),
        },
    })
}

fn team_app(config: &OmegaConfig, deploy: &DeployConfig, team: &TeamConfig) -> Value {
    let (kind, metadata) = keda_trigger(config, deploy, team);
    let mut custom = json!({"type": kind, "metadata": metadata});
    let mut secrets = Vec::new();
    match config.teams.queue_backend {
        QueueBackend::AzureServicebus => {
            custom["identity"] = json!(deploy.azure.managed_identity_resource_id);
        }
        QueueBackend::RedisStreams => {
            custom["auth"] = json!([{"secretRef": REDIS_SECRET, "triggerParameter": "password"}]);
            secrets.push(json!({
                "name": REDIS_SECRET,
                "keyVaultUrl": format!(
                    "https://{}.vault.azure.net/secrets/{}",
                    deploy.azure.key_vault_name, deploy.queue.redis_password_secret
                ),
                "identity": deploy.azure.managed_identity_resource_id,
            }));
        }
        QueueBackend::NatsJetstream | QueueBackend::Embedded => {}
    }
    let name = team_workload(&team.name);
    let scale = json!({
        "minReplicas": team.min_replicas,
        "maxReplicas": team.max_replicas,
        "cooldownPeriod": team.cooldown_secs,
        "pollingInterval": team.polling_interval_secs,
        "rules": [{"name": "queue-depth", "custom": custom}],
    });
    let args = vec![
        "serve".into(),
        "team".into(),
        "--team".into(),
        team.name.clone(),
    ];
    app(deploy, &name, args, 8443, scale, secrets)
}

pub(crate) fn render(
    config: &OmegaConfig,
    deploy: &DeployConfig,
) -> Result<Vec<RenderedFile>, DeployError> {
    let mut files = Vec::new();
    for role in &deploy.roles {
        // Always on: never below the seed's replica count.
        let scale = json!({"minReplicas": role.replicas, "maxReplicas": role.replicas});
        let args = vec!["serve".into(), role.name.clone()];
        let value = app(deploy, &role.name, args, role.port, scale, Vec::new());
        files.push(file(&role.name, &value)?);
    }
    for team in &config.teams.teams {
        let value = team_app(config, deploy, team);
        files.push(file(&team_workload(&team.name), &value)?);
    }
    Ok(files)
}
