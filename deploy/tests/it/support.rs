//! Shared fixtures.

use std::path::PathBuf;

use omega_config::{OmegaConfig, QueueBackend};
use omega_deploy::DeployConfig;

/// The seed design: default teams on Azure Service Bus, default deploy
/// settings without the local Titan's role (the seed prices only the five
/// hosted Titans' pods).
pub fn seed() -> (OmegaConfig, DeployConfig) {
    let mut config = OmegaConfig::default();
    config.teams.queue_backend = QueueBackend::AzureServicebus;
    let mut deploy = DeployConfig::default();
    deploy.roles.retain(|r| r.name != "titan-local");
    (config, deploy)
}

/// A non-default configuration: Redis Streams, other replica counts and
/// scaling settings.
pub fn non_default() -> (OmegaConfig, DeployConfig) {
    let mut config = OmegaConfig::default();
    config.teams.queue_backend = QueueBackend::RedisStreams;
    let triage = &mut config.teams.teams[0];
    triage.min_replicas = 1;
    triage.max_replicas = 7;
    triage.activation_message_count = 2;
    triage.cooldown_secs = 120;
    triage.polling_interval_secs = 15;
    let shadow = &mut config.teams.teams[2];
    shadow.max_replicas = 40;
    shadow.message_count = 3;
    shadow.cooldown_secs = 60;
    let mut deploy = DeployConfig::default();
    deploy.roles.retain(|r| r.name != "titan-grok");
    deploy.roles[0].replicas = 5;
    deploy.roles[1].port = 9443;
    deploy.namespaces.core = "omega-perimeter".into();
    (config, deploy)
}

/// The repository's `deploy/` folder.
pub fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The KEDA CRDs copied into the repository (`deploy/crds`, Apache-2.0).
pub fn crd_dir() -> PathBuf {
    deploy_dir().join("crds")
}

/// The recorded trace fixture.
pub fn trace_path() -> PathBuf {
    deploy_dir().join("tests/fixtures/depth-trace.csv")
}
