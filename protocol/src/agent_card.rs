//! Agent cards in the shape of the A2A 1.0 `AgentCard`, plus OMEGA's fields.
//!
//! Field names and nesting follow the A2A 1.0 specification (the JSON
//! mapping of `lf.a2a.v1.AgentCard`): `supportedInterfaces` with
//! `url`/`protocolBinding`/`protocolVersion`, `capabilities` with
//! `streaming`/`pushNotifications`/`extendedAgentCard`/`extensions`,
//! `securitySchemes` keyed by name, `securityRequirements`, and skills.
//!
//! # OMEGA fields
//!
//! OMEGA adds one top-level field, `omega` ([`OmegaAgentFields`]: role, tier,
//! tenant scope). The OMEGA agent registry stores and serves cards with it.
//! Strict A2A parsers (the protobuf JSON mapping rejects unknown fields) may
//! refuse that field, so a card served to third-party A2A clients should be
//! [`AgentCard::to_public`]: it moves the same fields into an A2A extension
//! in `capabilities.extensions` with uri [`OMEGA_EXTENSION_URI`] and `params`
//! holding the fields. [`AgentCard::omega_fields`] reads either form.
//!
//! Cards are inputs to the registry, so unknown fields are refused
//! (`deny_unknown_fields`): a typo such as `skils` is an error, not silently
//! dropped.

mod security;
mod validate;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::TenantId;

pub use security::{
    ApiKeySecurityScheme, AuthorizationCodeOAuthFlow, ClientCredentialsOAuthFlow,
    DeviceCodeOAuthFlow, HttpAuthSecurityScheme, ImplicitOAuthFlow, MutualTlsSecurityScheme,
    OAuth2SecurityScheme, OAuthFlows, OpenIdConnectSecurityScheme, PasswordOAuthFlow,
    SecurityRequirement, SecurityScheme, StringList,
};

/// The A2A protocol version OMEGA agents speak.
pub const A2A_PROTOCOL_VERSION: &str = "1.0";
/// The A2A JSON-RPC protocol binding name.
pub const BINDING_JSONRPC: &str = "JSONRPC";
/// The A2A gRPC protocol binding name.
pub const BINDING_GRPC: &str = "GRPC";
/// The A2A HTTP+JSON (REST) protocol binding name.
pub const BINDING_HTTP_JSON: &str = "HTTP+JSON";
/// The A2A extension URI under which [`AgentCard::to_public`] carries
/// [`OmegaAgentFields`] (`capabilities.extensions[].params`).
pub const OMEGA_EXTENSION_URI: &str = "urn:omega:a2a:agent:v1";

/// A self-describing manifest for an agent (A2A 1.0 `AgentCard`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentCard {
    /// Human-readable name, e.g. `"Triage Agent"`.
    pub name: String,
    /// What the agent does, for users and other agents.
    pub description: String,
    /// Interfaces the agent serves, preferred first. At least one.
    pub supported_interfaces: Vec<AgentInterface>,
    /// The organization operating the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<AgentProvider>,
    /// The agent's own version, e.g. `"1.4.0"`.
    pub version: String,
    /// A URL with documentation about the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Optional A2A capabilities.
    #[serde(default)]
    pub capabilities: AgentCapabilities,
    /// Security schemes by name (OpenAPI 3.2 Security Scheme objects).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub security_schemes: BTreeMap<String, SecurityScheme>,
    /// Security requirements for contacting the agent (any one suffices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_requirements: Vec<SecurityRequirement>,
    /// Media types the agent accepts across all skills, e.g. `"text/plain"`.
    pub default_input_modes: Vec<String>,
    /// Media types the agent produces across all skills.
    pub default_output_modes: Vec<String>,
    /// What the agent can do.
    pub skills: Vec<AgentSkill>,
    /// JWS signatures over the card (RFC 7515 JSON serialization).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<AgentCardSignature>,
    /// A URL of an icon for the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// OMEGA's own fields (not part of A2A; see the module docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omega: Option<OmegaAgentFields>,
}

/// One URL + protocol binding + protocol version at which the agent is served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentInterface {
    /// Absolute URL of the interface (HTTPS in production).
    pub url: String,
    /// `JSONRPC`, `GRPC`, `HTTP+JSON` or another binding name.
    pub protocol_binding: String,
    /// Tenant id to send in requests made through this interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// A2A version of the interface, `"major.minor"`, e.g. `"1.0"`.
    pub protocol_version: String,
}

/// The organization operating an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentProvider {
    /// The organization's website.
    pub url: String,
    /// The organization's name.
    pub organization: String,
}

/// Optional A2A capabilities of an agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentCapabilities {
    /// Whether the agent streams responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// Whether the agent sends push notifications for task updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_notifications: Option<bool>,
    /// Protocol extensions the agent supports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<AgentExtension>,
    /// Whether an authenticated client can fetch an extended card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_agent_card: Option<bool>,
    /// Whether the agent answers dynamic skill queries (newer A2A drafts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_query: Option<bool>,
}

/// A protocol extension the agent supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentExtension {
    /// The URI identifying the extension.
    pub uri: String,
    /// How this agent uses the extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether clients must understand the extension to talk to the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Extension-specific parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One skill: a focused set of things the agent is likely to do well.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentSkill {
    /// Unique id of the skill within the card, e.g. `"triage-ticket"`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What the skill does.
    pub description: String,
    /// Keywords describing the skill.
    pub tags: Vec<String>,
    /// Example prompts or scenarios.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Input media types, overriding the card's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_modes: Vec<String>,
    /// Output media types, overriding the card's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_modes: Vec<String>,
    /// Security requirements specific to this skill.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_requirements: Vec<SecurityRequirement>,
}

/// A JWS signature of a card (RFC 7515 JSON serialization).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentCardSignature {
    /// Base64url-encoded protected JWS header.
    pub protected: String,
    /// Base64url-encoded signature.
    pub signature: String,
    /// Unprotected header values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<serde_json::Map<String, serde_json::Value>>,
}

/// OMEGA's fields on an agent card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OmegaAgentFields {
    /// The agent's role in the triage pipeline, e.g. `"classifier"`, `"dispatcher"`.
    pub role: String,
    /// Whether the agent always runs or is started on demand.
    pub tier: Tier,
    /// Which tenants the agent may serve.
    pub tenants: TenantScope,
}

/// How an agent is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Always running; must be live for the deployment to be healthy.
    AlwaysOn,
    /// Started on demand and stopped when idle.
    Dynamic,
}

/// The tenants an agent may serve: `"all"` or `{"only": ["acme", ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TenantScope {
    /// Every tenant of the deployment.
    All,
    /// Only the listed tenants (at least one).
    Only(Vec<TenantId>),
}

impl TenantScope {
    /// Whether `tenant` is in scope.
    pub fn allows(&self, tenant: &TenantId) -> bool {
        match self {
            Self::All => true,
            Self::Only(list) => list.contains(tenant),
        }
    }
}

impl AgentCard {
    /// The OMEGA fields, from the top-level `omega` field or, failing that,
    /// from the [`OMEGA_EXTENSION_URI`] extension's params.
    pub fn omega_fields(&self) -> Option<OmegaAgentFields> {
        if let Some(fields) = &self.omega {
            return Some(fields.clone());
        }
        let ext = self
            .capabilities
            .extensions
            .iter()
            .find(|e| e.uri == OMEGA_EXTENSION_URI)?;
        let params = serde_json::Value::Object(ext.params.clone()?);
        serde_json::from_value(params).ok()
    }

    /// The card as served to third-party A2A clients: the top-level `omega`
    /// field is moved into the [`OMEGA_EXTENSION_URI`] extension (replacing
    /// any earlier one), so the card has only A2A fields.
    pub fn to_public(&self) -> AgentCard {
        let mut card = self.clone();
        if let Some(fields) = card.omega.take() {
            card.capabilities
                .extensions
                .retain(|e| e.uri != OMEGA_EXTENSION_URI);
            let params = match serde_json::to_value(&fields) {
                Ok(serde_json::Value::Object(map)) => map,
                _ => unreachable!("OmegaAgentFields serializes to an object"),
            };
            card.capabilities.extensions.push(AgentExtension {
                uri: OMEGA_EXTENSION_URI.to_owned(),
                description: Some("OMEGA role, tier and tenant scope".to_owned()),
                required: Some(false),
                params: Some(params),
            });
        }
        card
    }

    /// The skill with `id`, if the card has one.
    pub fn skill(&self, id: &str) -> Option<&AgentSkill> {
        self.skills.iter().find(|s| s.id == id)
    }
}
