//! AKS manifests: namespaces, identities, always-on Deployments, team
//! Deployments with KEDA, network policies and the node pool script.

mod keda;
mod network;
mod nodepools;

pub(crate) use keda::trigger as keda_trigger;

use omega_config::OmegaConfig;
use serde_json::{Value, json};

use crate::render::{RenderedFile, k8s_file};
use crate::{DeployConfig, DeployError};
use omega_config::deploy::{NodePool, Resources};

/// Name of the service account (workload identity) in both namespaces.
pub(crate) const SERVICE_ACCOUNT: &str = "omega";
/// Name of the Key Vault `SecretProviderClass` in both namespaces.
const KEY_VAULT_CLASS: &str = "omega-keyvault";
/// Label naming the OMEGA role (or `team-<name>`) of a pod.
pub(crate) const ROLE_LABEL: &str = "omega.io/role";
/// Label naming the tier (`always-on` or `dynamic`).
pub(crate) const TIER_LABEL: &str = "omega.io/tier";

/// The Deployment / Service name of a team.
pub(crate) fn team_workload(team: &str) -> String {
    format!("team-{team}")
}

pub(crate) fn render(
    config: &OmegaConfig,
    deploy: &DeployConfig,
) -> Result<Vec<RenderedFile>, DeployError> {
    let ns = &deploy.namespaces;
    let mut files = Vec::new();
    for name in [&ns.core, &ns.dynamic] {
        files.push(k8s_file(
            0,
            json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "omega"}}
            }),
        )?);
    }
    for name in [&ns.core, &ns.dynamic] {
        files.push(k8s_file(10, service_account(deploy, name))?);
        files.push(k8s_file(20, secret_provider_class(deploy, name))?);
    }
    for policy in network::policies(config, deploy) {
        files.push(k8s_file(30, policy)?);
    }
    let pool = &deploy.node_pools.always_on;
    for role in &deploy.roles {
        let res = role.resources.as_ref().unwrap_or(&deploy.default_resources);
        let labels = labels(&role.name, &pool.tier);
        let mut pod = pod_spec(
            deploy,
            pool,
            &role.name,
            vec!["serve".into(), role.name.clone()],
            role.port,
            res,
        );
        if role.replicas >= 3 {
            pod["topologySpreadConstraints"] = json!([{
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {ROLE_LABEL: role.name}}
            }]);
        }
        files.push(k8s_file(
            40,
            deployment(
                &role.name,
                &ns.core,
                labels.clone(),
                Some(role.replicas),
                pod,
            ),
        )?);
        files.push(k8s_file(
            50,
            json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": role.name, "namespace": ns.core, "labels": labels},
                "spec": {
                    "selector": {ROLE_LABEL: role.name},
                    "ports": [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]
                }
            }),
        )?);
        files.push(k8s_file(
            60,
            json!({
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": role.name, "namespace": ns.core, "labels": labels},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {ROLE_LABEL: role.name}}}
            }),
        )?);
    }
    let pool = &deploy.node_pools.dynamic;
    for team in &config.teams.teams {
        let d = deploy.team(&team.name).expect("validated");
        let res = d.resources.as_ref().unwrap_or(&deploy.default_resources);
        let name = team_workload(&team.name);
        let args = vec![
            "serve".into(),
            "team".into(),
            "--team".into(),
            team.name.clone(),
        ];
        let pod = pod_spec(deploy, pool, &name, args, 8443, res);
        // No `replicas`: KEDA and the HPA own the count.
        files.push(k8s_file(
            40,
            deployment(&name, &ns.dynamic, labels(&name, &pool.tier), None, pod),
        )?);
        if let Some(auth) = keda::trigger_authentication(config, deploy, team) {
            files.push(k8s_file(70, auth)?);
        }
        files.push(k8s_file(80, keda::scaled_object(config, deploy, team))?);
    }
    files.push(nodepools::script(deploy));
    Ok(files)
}

fn labels(role: &str, tier: &str) -> Value {
    json!({
        "app.kubernetes.io/name": "omega",
        "app.kubernetes.io/component": role,
        "app.kubernetes.io/part-of": "omega",
        ROLE_LABEL: role,
        TIER_LABEL: tier,
    })
}

fn service_account(deploy: &DeployConfig, namespace: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {
            "name": SERVICE_ACCOUNT, "namespace": namespace,
            "annotations": {
                "azure.workload.identity/client-id": deploy.azure.workload_identity_client_id,
                "azure.workload.identity/tenant-id": deploy.azure.tenant_id,
            },
            "labels": {"azure.workload.identity/use": "true"}
        }
    })
}

fn secret_provider_class(deploy: &DeployConfig, namespace: &str) -> Value {
    let mut objects = String::from("array:\n");
    for s in &deploy.key_vault_secrets {
        objects.push_str(&format!(
            "  - |\n    objectName: {s}\n    objectType: secret\n"
        ));
    }
    json!({
        "apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
        "metadata": {"name": KEY_VAULT_CLASS, "namespace": namespace},
        "spec": {
            "provider": "azure",
            "parameters": {
                "usePodIdentity": "false",
                "clientID": deploy.azure.workload_identity_client_id,
                "keyvaultName": deploy.azure.key_vault_name,
                "tenantId": deploy.azure.tenant_id,
                "objects": objects,
            }
        }
    })
}

fn deployment(
    name: &str,
    namespace: &str,
    labels: Value,
    replicas: Option<u32>,
    pod: Value,
) -> Value {
    let mut pod_labels = labels.clone();
    pod_labels["azure.workload.identity/use"] = json!("true");
    let mut spec = json!({
        "selector": {"matchLabels": {ROLE_LABEL: name}},
        "template": {"metadata": {"labels": pod_labels}, "spec": pod},
    });
    if let Some(r) = replicas {
        spec["replicas"] = json!(r);
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
    })
}

fn pod_spec(
    deploy: &DeployConfig,
    pool: &NodePool,
    role: &str,
    args: Vec<String>,
    port: u16,
    res: &Resources,
) -> Value {
    // The servers answer plain HTTP until the security issue puts TLS on
    // every listener; the probes must match what the container serves.
    let probe = |path: &str, delay: u32| {
        json!({
            "httpGet": {"path": path, "port": "https", "scheme": "HTTP"},
            "initialDelaySeconds": delay, "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3
        })
    };
    json!({
        "serviceAccountName": SERVICE_ACCOUNT,
        "nodeSelector": {"tier": pool.tier},
        "tolerations": [{"key": "tier", "operator": "Equal", "value": pool.tier, "effect": "NoSchedule"}],
        "securityContext": {
            "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"}
        },
        "containers": [{
            "name": "omega",
            "image": deploy.image_ref(),
            "imagePullPolicy": "IfNotPresent",
            "args": args,
            "ports": [{"name": "https", "containerPort": port, "protocol": "TCP"}],
            "env": [
                {"name": "OMEGA_ROLE", "value": role},
                {"name": "OMEGA_PORT", "value": port.to_string()},
                {"name": "OMEGA_HOST", "value": "0.0.0.0"},
                // In-cluster traffic is protected by mTLS and network policies;
                // the Host check guards workstations against DNS rebinding.
                {"name": "OMEGA_ALLOWED_HOSTS", "value": "*"},
                {"name": "OMEGA_TLS_DIR", "value": "/etc/omega/tls"},
                {"name": "OMEGA_SECRETS_DIR", "value": "/mnt/secrets-store"},
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": deploy.otel_endpoint},
                {"name": "OTEL_SERVICE_NAME", "value": format!("omega-{role}")},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "readinessProbe": probe("/readyz", 2),
            "livenessProbe": probe("/healthz", 10),
            "resources": {
                "requests": {"cpu": res.cpu_request, "memory": res.memory_request},
                "limits": {"cpu": res.cpu_limit, "memory": res.memory_limit},
            },
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"]}
            },
            "volumeMounts": [
                {"name": "tls", "mountPath": "/etc/omega/tls", "readOnly": true},
                {"name": "secrets-store", "mountPath": "/mnt/secrets-store", "readOnly": true},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }],
        "volumes": [
            // mTLS: tls.crt, tls.key and ca.crt issued per role (e.g. by cert-manager).
            {"name": "tls", "secret": {"secretName": format!("{role}-mtls"), "defaultMode": 0o440}},
            {"name": "secrets-store", "csi": {
                "driver": "secrets-store.csi.k8s.io", "readOnly": true,
                "volumeAttributes": {"secretProviderClass": KEY_VAULT_CLASS}
            }},
            {"name": "tmp", "emptyDir": {}},
        ],
    })
}
