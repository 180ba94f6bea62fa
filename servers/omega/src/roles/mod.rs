//! One file per role. Each implements [`Role`]: it reads its section of
//! the configuration from the [`crate::role::RoleContext`], connects to the
//! peers it needs, and returns its application and background work.

pub mod capacity;
mod cards;
pub use cards::card_url;
pub mod dashboard;
pub mod federation;
pub mod ingest;
pub mod orchestrator;
pub mod registries;
pub mod team;
pub mod titan;

use omega_config::OmegaConfig;
use omega_stack::TenantPolicy;

use crate::role::{Role, RoleId, TeamId, TitanId};

static TITANS: [titan::TitanRole; 6] = [
    titan::TitanRole(TitanId::Local),
    titan::TitanRole(TitanId::Gpt),
    titan::TitanRole(TitanId::Claude),
    titan::TitanRole(TitanId::Gemini),
    titan::TitanRole(TitanId::Grok),
    titan::TitanRole(TitanId::Augment),
];

static TEAMS: [team::TeamRole; 4] = [
    team::TeamRole(TeamId::Triage),
    team::TeamRole(TeamId::Classification),
    team::TeamRole(TeamId::Shadow),
    team::TeamRole(TeamId::Analytics),
];

/// The builder of `id`.
pub(crate) fn role_of(id: RoleId) -> &'static dyn Role {
    match id {
        RoleId::Context => &registries::ContextRole,
        RoleId::AgentRegistry => &registries::AgentRegistryRole,
        RoleId::McpRegistry => &registries::McpRegistryRole,
        RoleId::Titan(t) => &TITANS[t as usize],
        RoleId::Orchestrator => &orchestrator::OrchestratorRole,
        RoleId::Federation => &federation::FederationRole,
        RoleId::CapacityManager => &capacity::CapacityRole,
        RoleId::Ingest => &ingest::IngestRole,
        RoleId::Team(t) => &TEAMS[t as usize],
        RoleId::Dashboard => &dashboard::DashboardRole,
    }
}

/// The tenants this deployment serves.
pub(crate) fn policy(config: &OmegaConfig) -> TenantPolicy {
    TenantPolicy::new(config.tenants.iter().map(|t| t.id.clone()))
}
