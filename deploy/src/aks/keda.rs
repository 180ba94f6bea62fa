//! KEDA `ScaledObject` and `TriggerAuthentication` per team.
//!
//! Trigger metadata names follow the KEDA scaler docs:
//! * `azure-servicebus`: `queueName` (or `topicName` + `subscriptionName`),
//!   `namespace`, `messageCount`, `activationMessageCount`; authenticated by
//!   workload identity (`podIdentity.provider: azure-workload`).
//! * `redis-streams`: lag-based (`stream`, `consumerGroup`, `lagCount`,
//!   `activationLagCount`) — the only redis-streams mode that can reach zero;
//!   the password comes from a Secret through a `TriggerAuthentication`.
//! * `nats-jetstream`: `natsServerMonitoringEndpoint`, `account`, `stream`,
//!   `consumer`, `lagThreshold`, `activationLagThreshold`. The monitoring
//!   endpoint takes no credentials, so no `TriggerAuthentication` is rendered.

use omega_config::{OmegaConfig, QueueBackend, TeamConfig};
use serde_json::{Map, Value, json};

use super::team_workload;
use crate::DeployConfig;

/// Seconds per HPA rate-policy period in the rendered behaviour.
const POLICY_PERIOD_SECS: u32 = 15;
/// Scale-down stabilisation window rendered into every `ScaledObject`.
pub(crate) const SCALE_DOWN_WINDOW_SECS: u64 = 300;

/// The KEDA trigger type and metadata for `team`.
pub(crate) fn trigger(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    team: &TeamConfig,
) -> (&'static str, Map<String, Value>) {
    let mut m = Map::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_owned(), Value::String(v));
    };
    let kind = match config.teams.queue_backend {
        QueueBackend::AzureServicebus => {
            match team.queue.split_once('/') {
                Some((topic, sub)) => {
                    put("topicName", topic.into());
                    put("subscriptionName", sub.into());
                }
                None => put("queueName", team.queue.clone()),
            }
            put("namespace", deploy.azure.service_bus_namespace.clone());
            put("messageCount", team.message_count.to_string());
            put(
                "activationMessageCount",
                team.activation_message_count.to_string(),
            );
            "azure-servicebus"
        }
        QueueBackend::RedisStreams => {
            put("address", deploy.queue.redis_address.clone());
            put("enableTLS", deploy.queue.redis_tls.to_string());
            put("stream", team.queue.clone());
            put("consumerGroup", team.name.clone());
            put("lagCount", team.message_count.to_string());
            put(
                "activationLagCount",
                team.activation_message_count.to_string(),
            );
            "redis-streams"
        }
        // Embedded is refused by validation before rendering.
        QueueBackend::NatsJetstream | QueueBackend::Embedded => {
            put(
                "natsServerMonitoringEndpoint",
                deploy.queue.nats_monitoring_endpoint.clone(),
            );
            put("account", deploy.queue.nats_account.clone());
            put("stream", deploy.queue.nats_stream.clone());
            put("consumer", team.queue.clone());
            put("lagThreshold", team.message_count.to_string());
            put(
                "activationLagThreshold",
                team.activation_message_count.to_string(),
            );
            "nats-jetstream"
        }
    };
    (kind, m)
}

/// The name of a team's `TriggerAuthentication`.
pub(crate) fn auth_name(team: &TeamConfig) -> String {
    format!("{}-trigger-auth", team_workload(&team.name))
}

pub(crate) fn trigger_authentication(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    team: &TeamConfig,
) -> Option<Value> {
    let spec = match config.teams.queue_backend {
        QueueBackend::AzureServicebus => json!({
            "podIdentity": {
                "provider": "azure-workload",
                "identityId": deploy.azure.workload_identity_client_id,
            }
        }),
        QueueBackend::RedisStreams => json!({
            "secretTargetRef": [{
                "parameter": "password",
                "name": deploy.queue.redis_password_secret,
                "key": "password",
            }]
        }),
        QueueBackend::NatsJetstream | QueueBackend::Embedded => return None,
    };
    Some(json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
        "metadata": {"name": auth_name(team), "namespace": deploy.namespaces.dynamic},
        "spec": spec,
    }))
}

pub(crate) fn scaled_object(
    config: &OmegaConfig,
    deploy: &DeployConfig,
    team: &TeamConfig,
) -> Value {
    let name = team_workload(&team.name);
    let (kind, metadata) = trigger(config, deploy, team);
    let mut trig = json!({
        "type": kind,
        "name": "queue-depth",
        "metricType": "AverageValue",
        // The HPA reads the value KEDA polled, so both act on one number.
        "useCachedMetrics": true,
        "metadata": metadata,
    });
    if trigger_authentication(config, deploy, team).is_some() {
        trig["authenticationRef"] =
            json!({"name": auth_name(team), "kind": "TriggerAuthentication"});
    }
    json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {
            "name": name, "namespace": deploy.namespaces.dynamic,
            "labels": {"app.kubernetes.io/part-of": "omega", super::ROLE_LABEL: name}
        },
        "spec": {
            "scaleTargetRef": {"name": name, "kind": "Deployment", "apiVersion": "apps/v1"},
            "minReplicaCount": team.min_replicas,
            "maxReplicaCount": team.max_replicas,
            "pollingInterval": team.polling_interval_secs,
            "cooldownPeriod": team.cooldown_secs,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "behavior": {
                        // Immediate scale-up, unlimited by rate policies.
                        "scaleUp": {
                            "stabilizationWindowSeconds": 0,
                            "selectPolicy": "Max",
                            "policies": [{"type": "Pods", "value": team.max_replicas.max(1), "periodSeconds": POLICY_PERIOD_SECS}]
                        },
                        // Highest recommendation within 300 s; then all at once.
                        "scaleDown": {
                            "stabilizationWindowSeconds": SCALE_DOWN_WINDOW_SECS,
                            "selectPolicy": "Max",
                            "policies": [{"type": "Percent", "value": 100, "periodSeconds": POLICY_PERIOD_SECS}]
                        }
                    }
                }
            },
            "triggers": [trig],
        }
    })
}
