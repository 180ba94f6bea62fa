//! Network policies: default deny in both namespaces, then one allow rule
//! per flow of the seed diagram.
//!
//! | rule | diagram edge |
//! |---|---|
//! | teams → federation | `TRIAGE/CLASSIFY/SHADOW --> FED` |
//! | federation → context, agent-registry, mcp-registry, orchestrator | `FED --> CTX/AR/MR/ORC` |
//! | orchestrator → titans, capacity-manager | `ORC --> GPT…AUG`, `ORC --> CAP` |
//! | ingest, teams, capacity-manager → queue | `… --> SB_*`, `SB_TRIAGE -.-> TRIAGE` |
//! | data roles and teams → Private Link endpoints | `AR --> COSMOS`, `CTX --> REDIS/AI_SEARCH`, `TRIAGE --> BLOB`, `FED --> PRIVATE_LINK` |
//! | every pod → OTel collector | `FED/ORC/TRIAGE --> OTEL` |
//! | every pod → DNS | (needed by every name lookup) |
//! | every pod → Entra ID (443) | workload identity token exchange (`--> KV`) |
//! | titans → model providers (443) | the Titans' upstream APIs |
//!
//! Ingress rules are written on the destination and egress rules on the
//! source, because both directions are denied by default.

use omega_config::{OmegaConfig, QueueBackend};
use serde_json::{Value, json};

use super::{ROLE_LABEL, TIER_LABEL};
use crate::DeployConfig;

const NS_LABEL: &str = "kubernetes.io/metadata.name";
/// Data-service ports behind Private Link: HTTPS, Redis TLS, Cosmos Mongo API.
const DATA_PORTS: [u16; 3] = [443, 6380, 10255];
/// Roles that talk to the data layer.
const DATA_ROLES: [&str; 5] = [
    "federation",
    "context",
    "agent-registry",
    "mcp-registry",
    "orchestrator",
];
/// Diagram edges between always-on roles (`titan-*` matches every Titan).
const CORE_FLOWS: [(&str, &str); 6] = [
    ("federation", "context"),
    ("federation", "agent-registry"),
    ("federation", "mcp-registry"),
    ("federation", "orchestrator"),
    ("orchestrator", "titan-*"),
    ("orchestrator", "capacity-manager"),
];

fn policy(
    name: &str,
    ns: &str,
    selector: Value,
    ingress: Option<Value>,
    egress: Option<Value>,
) -> Value {
    let mut types = Vec::new();
    let mut spec = json!({"podSelector": selector});
    if let Some(i) = ingress {
        types.push("Ingress");
        spec["ingress"] = i;
    }
    if let Some(e) = egress {
        types.push("Egress");
        spec["egress"] = e;
    }
    spec["policyTypes"] = json!(types);
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/part-of": "omega"}},
        "spec": spec,
    })
}

fn role_sel(role: &str) -> Value {
    json!({"matchLabels": {ROLE_LABEL: role}})
}

fn peer(ns: &str, pods: Value) -> Value {
    json!({"namespaceSelector": {"matchLabels": {NS_LABEL: ns}}, "podSelector": pods})
}

fn tcp(ports: &[u16]) -> Value {
    Value::Array(
        ports
            .iter()
            .map(|p| json!({"protocol": "TCP", "port": p}))
            .collect(),
    )
}

fn cidrs(list: &[String]) -> Vec<Value> {
    list.iter()
        .map(|c| json!({"ipBlock": {"cidr": c}}))
        .collect()
}

pub(crate) fn policies(config: &OmegaConfig, deploy: &DeployConfig) -> Vec<Value> {
    let core = deploy.namespaces.core.as_str();
    let dynamic = deploy.namespaces.dynamic.as_str();
    let dyn_tier = deploy.node_pools.dynamic.tier.as_str();
    let teams_sel = json!({"matchLabels": {TIER_LABEL: dyn_tier}});
    let mut out = Vec::new();
    for ns in [core, dynamic] {
        out.push(policy(
            "default-deny",
            ns,
            json!({}),
            Some(json!([])),
            Some(json!([])),
        ));
        out.push(policy(
            "allow-dns",
            ns,
            json!({}),
            None,
            Some(json!([{
                "to": [peer("kube-system", json!({"matchLabels": {"k8s-app": "kube-dns"}}))],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
            }])),
        ));
        out.push(policy(
            "allow-otel-collector",
            ns,
            json!({}),
            None,
            Some(json!([{"to": [peer(&deploy.otel_namespace, json!({}))], "ports": tcp(&[deploy.otel_port])}])),
        ));
        out.push(policy(
            "allow-entra-id",
            ns,
            json!({}),
            None,
            Some(
                json!([{"to": cidrs(&deploy.network.identity_egress_cidrs), "ports": tcp(&[443])}]),
            ),
        ));
    }
    let port_of = |role: &str| deploy.role(role).map(|r| r.port);
    // Teams -> federation.
    if let Some(port) = port_of("federation") {
        out.push(policy(
            "allow-federation-from-teams",
            core,
            role_sel("federation"),
            Some(json!([{"from": [peer(dynamic, teams_sel.clone())], "ports": tcp(&[port])}])),
            None,
        ));
        out.push(policy(
            "allow-teams-to-federation",
            dynamic,
            teams_sel.clone(),
            None,
            Some(json!([{"to": [peer(core, role_sel("federation"))], "ports": tcp(&[port])}])),
        ));
    }
    // Always-on flows.
    for (src, dst) in CORE_FLOWS {
        if deploy.role(src).is_none() {
            continue;
        }
        let targets: Vec<_> = deploy
            .roles
            .iter()
            .filter(|r| match dst.strip_suffix('*') {
                Some(prefix) => r.name.starts_with(prefix),
                None => r.name == dst,
            })
            .collect();
        for target in targets {
            let t = target.name.as_str();
            out.push(policy(
                &format!("allow-{t}-from-{src}"),
                core,
                role_sel(t),
                Some(json!([{"from": [peer(core, role_sel(src))], "ports": tcp(&[target.port])}])),
                None,
            ));
            out.push(policy(
                &format!("allow-{src}-to-{t}"),
                core,
                role_sel(src),
                None,
                Some(json!([{"to": [peer(core, role_sel(t))], "ports": tcp(&[target.port])}])),
            ));
        }
    }
    // Data layer behind Private Link.
    let data = cidrs(&deploy.network.private_endpoint_cidrs);
    let data_roles: Vec<&str> = DATA_ROLES
        .into_iter()
        .filter(|r| deploy.role(r).is_some())
        .collect();
    if !data_roles.is_empty() {
        out.push(policy(
            "allow-data-services",
            core,
            json!({"matchExpressions": [{"key": ROLE_LABEL, "operator": "In", "values": data_roles}]}),
            None,
            Some(json!([{"to": data, "ports": tcp(&DATA_PORTS)}])),
        ));
    }
    out.push(policy(
        "allow-teams-data-services",
        dynamic,
        teams_sel.clone(),
        None,
        Some(json!([{"to": data, "ports": tcp(&DATA_PORTS)}])),
    ));
    // Queue: producers (ingest), consumers (teams), depth readers (capacity-manager).
    let (queue_to, queue_ports): (Vec<Value>, Vec<u16>) = match config.teams.queue_backend {
        QueueBackend::NatsJetstream => (
            vec![peer(&deploy.queue.nats_namespace, json!({}))],
            vec![4222],
        ),
        QueueBackend::RedisStreams => {
            let port = deploy
                .queue
                .redis_address
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse().ok())
                .unwrap_or(6380);
            (data.clone(), vec![port])
        }
        // AMQP over TLS, and AMQP over WebSockets.
        QueueBackend::AzureServicebus | QueueBackend::Embedded => (data.clone(), vec![5671, 443]),
    };
    let queue_roles: Vec<&str> = ["ingest", "capacity-manager"]
        .into_iter()
        .filter(|r| deploy.role(r).is_some())
        .collect();
    if !queue_roles.is_empty() {
        out.push(policy(
            "allow-queue",
            core,
            json!({"matchExpressions": [{"key": ROLE_LABEL, "operator": "In", "values": queue_roles}]}),
            None,
            Some(json!([{"to": queue_to, "ports": tcp(&queue_ports)}])),
        ));
    }
    out.push(policy(
        "allow-teams-queue",
        dynamic,
        teams_sel,
        None,
        Some(json!([{"to": queue_to, "ports": tcp(&queue_ports)}])),
    ));
    // Titans -> model providers.
    let titans: Vec<&str> = deploy
        .roles
        .iter()
        .map(|r| r.name.as_str())
        .filter(|n| n.starts_with("titan-"))
        .collect();
    if !titans.is_empty() {
        out.push(policy(
            "allow-titans-model-providers",
            core,
            json!({"matchExpressions": [{"key": ROLE_LABEL, "operator": "In", "values": titans}]}),
            None,
            Some(json!([{"to": cidrs(&deploy.network.titan_egress_cidrs), "ports": tcp(&[443])}])),
        ));
    }
    out
}
