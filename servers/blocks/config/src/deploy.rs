//! `DeployConfig`: what the renderer needs beyond `OmegaConfig` (roles and
//! replicas, node pools, resources, image, namespaces, Azure names, prices).
//! Designed to be embedded as `OmegaConfig.deploy` (a `[deploy]` section of
//! `omega.toml`); every field has a seed default.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod prices;

pub use prices::{ManagedService, PriceTable};

/// Deployment settings. The defaults reproduce the seed design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DeployConfig {
    /// Container registry host, e.g. `omegaacr.azurecr.io`.
    pub registry: String,
    /// Image repository inside the registry.
    pub image: String,
    /// Image tag.
    pub tag: String,
    /// Kubernetes namespaces.
    pub namespaces: Namespaces,
    /// Azure resource names.
    pub azure: AzureConfig,
    /// AKS node pools.
    pub node_pools: NodePools,
    /// Always-on roles, each run as `omega serve <name>`.
    pub roles: Vec<RoleDeploy>,
    /// Per-team deployment settings; each must name a team of `teams.teams`.
    pub teams: Vec<TeamDeploy>,
    /// Requests/limits used where a role or team sets none.
    pub default_resources: Resources,
    /// Container Apps CPU (cores) and memory per replica.
    pub container_apps: ContainerAppsSizing,
    /// Queue endpoints used by the KEDA triggers.
    pub queue: QueueDeploy,
    /// Network policy destinations outside the cluster.
    pub network: NetworkDeploy,
    /// OTLP endpoint given to every pod as `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub otel_endpoint: String,
    /// Namespace of the OpenTelemetry collector (egress is allowed to it).
    pub otel_namespace: String,
    /// OTLP port of the collector.
    pub otel_port: u16,
    /// Key Vault secrets mounted into every pod through the CSI driver.
    pub key_vault_secrets: Vec<String>,
    /// Monthly prices used by the cost model.
    pub prices: PriceTable,
}

/// Kubernetes namespaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Namespaces {
    /// The always-on tier.
    pub core: String,
    /// The dynamic (KEDA-scaled) tier.
    pub dynamic: String,
}

impl Default for Namespaces {
    fn default() -> Self {
        Self {
            core: "omega-core".into(),
            dynamic: "omega-dynamic".into(),
        }
    }
}

/// Azure resource names and identities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AzureConfig {
    /// Region.
    pub location: String,
    /// Resource group.
    pub resource_group: String,
    /// AKS cluster name.
    pub cluster_name: String,
    /// Entra tenant id.
    pub tenant_id: String,
    /// Client id of the user-assigned managed identity federated with the
    /// `omega` service accounts (workload identity).
    pub workload_identity_client_id: String,
    /// Resource id of that managed identity (Container Apps, scale rules).
    pub managed_identity_resource_id: String,
    /// Key Vault name.
    pub key_vault_name: String,
    /// Service Bus namespace (for the `azure-servicebus` trigger).
    pub service_bus_namespace: String,
    /// Resource id of the Container Apps managed environment.
    pub container_apps_environment_id: String,
}

impl Default for AzureConfig {
    fn default() -> Self {
        let rg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/omega-rg";
        Self {
            location: "eastus".into(),
            resource_group: "omega-rg".into(),
            cluster_name: "omega-aks".into(),
            tenant_id: "00000000-0000-0000-0000-000000000000".into(),
            workload_identity_client_id: "00000000-0000-0000-0000-000000000000".into(),
            managed_identity_resource_id: format!(
                "{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/omega-workload"
            ),
            key_vault_name: "omega-kv".into(),
            service_bus_namespace: "omega-servicebus".into(),
            container_apps_environment_id: format!(
                "{rg}/providers/Microsoft.App/managedEnvironments/omega-env"
            ),
        }
    }
}

/// The two AKS node pools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NodePools {
    /// Pool for the always-on tier (`tier=always-on`).
    pub always_on: NodePool,
    /// Pool for the teams (`tier=dynamic`), scaled by the cluster autoscaler.
    pub dynamic: NodePool,
}

impl Default for NodePools {
    fn default() -> Self {
        Self {
            always_on: NodePool {
                name: "perimeter".into(),
                vm_size: "Standard_D8s_v5".into(),
                min_nodes: 3,
                max_nodes: 10,
                tier: "always-on".into(),
            },
            dynamic: NodePool {
                name: "dynamic".into(),
                vm_size: "Standard_D4s_v5".into(),
                min_nodes: 0,
                max_nodes: 50,
                tier: "dynamic".into(),
            },
        }
    }
}

/// One AKS node pool. Nodes carry the label `tier=<tier>` and the taint
/// `tier=<tier>:NoSchedule`; pods of that tier get the matching
/// `nodeSelector` and toleration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    /// Pool name (lowercase letters and digits, at most 12).
    pub name: String,
    /// VM size.
    pub vm_size: String,
    /// Fewest nodes.
    pub min_nodes: u32,
    /// Most nodes.
    pub max_nodes: u32,
    /// Value of the `tier` label and taint.
    pub tier: String,
}

/// One always-on role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleDeploy {
    /// Role name, passed to `omega serve <name>`.
    pub name: String,
    /// Replicas.
    pub replicas: u32,
    /// Price class (a key of `prices.replicaMonthly`), e.g. `D8s_v5`.
    pub size_class: String,
    /// HTTPS port the role serves (`/readyz`, `/healthz`, its API).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Requests/limits; `defaultResources` when absent.
    #[serde(default)]
    pub resources: Option<Resources>,
}

/// Deployment settings of one team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamDeploy {
    /// Team name (must exist in `teams.teams`).
    pub name: String,
    /// Price class (a key of `prices.replicaMonthly`).
    pub size_class: String,
    /// Worker-seconds of this team's work per ticket, as a multiple of the
    /// assumed load's `processingSecs` (used by `Load::Assumed`).
    pub work_per_ticket: f64,
    /// Requests/limits; `defaultResources` when absent.
    #[serde(default)]
    pub resources: Option<Resources>,
}

fn default_port() -> u16 {
    8443
}

/// Container requests and limits, in Kubernetes quantity syntax.
///
/// The defaults are sized from measured memory: an idle `omega serve`
/// process holds 11-13 MB resident (context 10.9 MB, agent registry 11.6 MB,
/// MCP registry 13.2 MB; `omega up` with all three 16.2 MB; release build,
/// measured with `scripts/bench foundation` and /proc/PID/status). A 64 MiB
/// request leaves room for connection buffers and the in-memory vector index
/// of a small tenant base; the 256 MiB limit bounds a leak. The context
/// server's vector index costs about 1 KiB per stored memory (256 f32s plus
/// payload), so raise its limit with the memory corpus (100k memories ≈
/// 110 MB) and for Titans that hold large prompts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Resources {
    /// CPU request.
    pub cpu_request: String,
    /// Memory request.
    pub memory_request: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory limit.
    pub memory_limit: String,
}

impl Default for Resources {
    fn default() -> Self {
        Self {
            cpu_request: "100m".into(),
            memory_request: "64Mi".into(),
            cpu_limit: "1".into(),
            memory_limit: "256Mi".into(),
        }
    }
}

/// Container Apps sizing (must be one of the combinations Azure allows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ContainerAppsSizing {
    /// vCPU per replica.
    pub cpu: f64,
    /// Memory per replica, e.g. `0.5Gi`.
    pub memory: String,
}

impl Default for ContainerAppsSizing {
    fn default() -> Self {
        Self {
            cpu: 0.25,
            memory: "0.5Gi".into(),
        }
    }
}

/// Queue endpoints for the KEDA triggers.
///
/// Naming: `azure-servicebus` uses `team.queue` as the queue name, or
/// `topic/subscription` when it contains a `/`; `redis-streams` uses
/// `team.queue` as the stream and the team name as the consumer group;
/// `nats-jetstream` uses `natsStream` as the stream and `team.queue` as the
/// durable consumer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct QueueDeploy {
    /// `host:port` of Redis (Azure Cache for Redis TLS port 6380).
    pub redis_address: String,
    /// Whether Redis uses TLS.
    pub redis_tls: bool,
    /// Kubernetes Secret (and key `password`) holding the Redis password.
    pub redis_password_secret: String,
    /// `host:port` of the NATS monitoring endpoint.
    pub nats_monitoring_endpoint: String,
    /// NATS account (`$G` when none is configured).
    pub nats_account: String,
    /// JetStream stream carrying team work.
    pub nats_stream: String,
    /// Namespace NATS runs in (egress to port 4222 is allowed).
    pub nats_namespace: String,
}

impl Default for QueueDeploy {
    fn default() -> Self {
        Self {
            redis_address: "omega-redis.redis.cache.windows.net:6380".into(),
            redis_tls: true,
            redis_password_secret: "omega-redis-auth".into(),
            nats_monitoring_endpoint: "nats.nats.svc.cluster.local:8222".into(),
            nats_account: "$G".into(),
            nats_stream: "omega-teams".into(),
            nats_namespace: "nats".into(),
        }
    }
}

/// Destinations outside the cluster that network policies allow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NetworkDeploy {
    /// Subnet(s) of the Private Link endpoints (Cosmos DB, Redis, AI Search,
    /// Blob, Service Bus).
    pub private_endpoint_cidrs: Vec<String>,
    /// Entra ID ranges for the workload identity token exchange (port 443).
    pub identity_egress_cidrs: Vec<String>,
    /// Where Titans may call their model providers (port 443).
    pub titan_egress_cidrs: Vec<String>,
}

impl Default for NetworkDeploy {
    fn default() -> Self {
        Self {
            private_endpoint_cidrs: vec!["10.240.0.0/16".into()],
            identity_egress_cidrs: vec!["20.190.128.0/18".into(), "40.126.0.0/18".into()],
            titan_egress_cidrs: vec!["0.0.0.0/0".into()],
        }
    }
}

impl Default for DeployConfig {
    fn default() -> Self {
        let role = |name: &str, replicas: u32, size: &str| RoleDeploy {
            name: name.into(),
            replicas,
            size_class: size.into(),
            port: default_port(),
            resources: None,
        };
        let team = |name: &str, size: &str, work: f64| TeamDeploy {
            name: name.into(),
            size_class: size.into(),
            work_per_ticket: work,
            resources: None,
        };
        Self {
            registry: "omegaacr.azurecr.io".into(),
            image: "omega".into(),
            tag: env!("CARGO_PKG_VERSION").into(),
            namespaces: Namespaces::default(),
            azure: AzureConfig::default(),
            node_pools: NodePools::default(),
            roles: vec![
                role("federation", 3, "D8s_v5"),
                role("context", 3, "D8s_v5"),
                role("agent-registry", 2, "D4s_v5"),
                role("mcp-registry", 2, "D4s_v5"),
                role("orchestrator", 2, "D4s_v5"),
                // The embedded classifier: the orchestrator's default and
                // fallback Titan, so it runs like the core (two replicas).
                role("titan-local", 2, "D4s_v5"),
                role("titan-gpt", 1, "D8s_v5"),
                role("titan-claude", 1, "D8s_v5"),
                role("titan-gemini", 1, "D8s_v5"),
                role("titan-grok", 1, "D8s_v5"),
                role("titan-augment", 1, "D8s_v5"),
                role("capacity-manager", 1, "D4s_v5"),
            ],
            // Seed average instances at the seed's assumed load (600 tickets/h,
            // 30 s each = 5 busy workers): triage 5, classification 2, shadow 10,
            // analytics 1.
            teams: vec![
                team("triage", "D4s_v5", 1.0),
                team("classification", "D4s_v5", 0.4),
                team("shadow", "D2s_v5", 2.0),
                team("analytics", "D4s_v5", 0.2),
            ],
            default_resources: Resources::default(),
            container_apps: ContainerAppsSizing::default(),
            queue: QueueDeploy::default(),
            network: NetworkDeploy::default(),
            otel_endpoint: "http://otel-collector.observability.svc.cluster.local:4317".into(),
            otel_namespace: "observability".into(),
            otel_port: 4317,
            key_vault_secrets: vec!["omega-token-signing-key".into()],
            prices: PriceTable::default(),
        }
    }
}

impl DeployConfig {
    /// The image reference `registry/image:tag`.
    pub fn image_ref(&self) -> String {
        format!("{}/{}:{}", self.registry, self.image, self.tag)
    }

    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<&RoleDeploy> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The team settings named `name`.
    pub fn team(&self, name: &str) -> Option<&TeamDeploy> {
        self.teams.iter().find(|t| t.name == name)
    }
}
