//! Agent cards of the roles that are agents (Titans, the orchestrator,
//! teams): an A2A JSON-RPC interface at `<base>/a2a/` and an MCP interface
//! at `<base>/mcp`, so `federation.route` by skill reaches their tools.

use omega_protocol::{
    A2A_PROTOCOL_VERSION, AgentCapabilities, AgentCard, AgentInterface, AgentSkill,
    OmegaAgentFields, TenantScope, Tier,
};

/// Where a role mounts its A2A agent.
pub const A2A_PREFIX: &str = "/a2a";

/// The A2A card URL of a role at `base`.
pub fn card_url(base: &str) -> String {
    format!(
        "{base}{A2A_PREFIX}{}",
        omega_orchestrator::a2a::AGENT_CARD_PATH
    )
}

/// One skill of a card.
pub struct Skill<'a> {
    /// Skill id (what `federation.route` matches as `skill`).
    pub id: &'a str,
    /// Short name.
    pub name: &'a str,
    /// What it does.
    pub description: String,
    /// Tags (also matched by discovery).
    pub tags: Vec<String>,
}

/// A card for a role at `base`: A2A first, MCP second.
pub fn card(
    name: String,
    description: String,
    base: &str,
    omega_role: &str,
    tier: Tier,
    skills: Vec<Skill<'_>>,
) -> AgentCard {
    let interface = |url: String, binding: &str| AgentInterface {
        url,
        protocol_binding: binding.into(),
        tenant: None,
        protocol_version: A2A_PROTOCOL_VERSION.into(),
    };
    AgentCard {
        name,
        description,
        supported_interfaces: vec![
            interface(format!("{base}{A2A_PREFIX}/"), "JSONRPC"),
            interface(format!("{base}/mcp"), "MCP"),
        ],
        provider: None,
        version: env!("CARGO_PKG_VERSION").into(),
        documentation_url: None,
        capabilities: AgentCapabilities {
            streaming: Some(true),
            push_notifications: Some(false),
            ..AgentCapabilities::default()
        },
        security_schemes: Default::default(),
        security_requirements: Vec::new(),
        default_input_modes: vec!["text/plain".into(), "application/json".into()],
        default_output_modes: vec!["text/plain".into(), "application/json".into()],
        skills: skills
            .into_iter()
            .map(|s| AgentSkill {
                id: s.id.into(),
                name: s.name.into(),
                description: s.description,
                tags: s.tags,
                examples: Vec::new(),
                input_modes: Vec::new(),
                output_modes: Vec::new(),
                security_requirements: Vec::new(),
            })
            .collect(),
        signatures: Vec::new(),
        icon_url: None,
        omega: Some(OmegaAgentFields {
            role: omega_role.into(),
            tier,
            tenants: TenantScope::All,
        }),
    }
}
