//! `[security]`: the authorization policy (roles, grants, tenant lists).
//!
//! These are the plain data types; `omega-security` re-exports them
//! (`omega_security::PolicyConfig`) and checks callers against them with
//! `omega_security::Policy::new(&config.security.policy)`.
//!
//! ```toml
//! [security.policy.roles.triage]
//! tools = ["ticket_context", "memory_search", "session_*", "triage.*"]
//!
//! [security.policy.roles.admin]
//! tools = ["*"]
//!
//! [[security.policy.grants]]
//! identities = ["spiffe://omega.local/role/triage/instance/*"]
//! roles = ["triage"]
//! tenants = ["acme", "globex"]
//!
//! [[security.policy.grants]]
//! kinds = ["operator"]
//! roles = ["admin"]
//! ```
//!
//! Writing `[security.policy]` (or any of its tables) replaces the
//! development default ([`PolicyConfig::dev_default`]) entirely.

use std::collections::BTreeMap;

use omega_protocol::TenantId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Security settings (`[security]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Who may call which tools and methods, for which tenants. Deny by
    /// default. Default: [`PolicyConfig::dev_default`].
    pub policy: PolicyConfig,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            policy: PolicyConfig::dev_default(),
        }
    }
}

/// The policy as written in configuration. A caller may call a tool only
/// when a grant that matches the caller gives a role whose patterns match
/// the tool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyConfig {
    /// Role name → what it may call.
    #[serde(default)]
    pub roles: BTreeMap<String, RoleConfig>,
    /// Who has which roles.
    #[serde(default)]
    pub grants: Vec<GrantConfig>,
}

/// One role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleConfig {
    /// Tool and method name patterns (`*` matches any run of characters).
    pub tools: Vec<String>,
}

/// A caller kind as written in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum KindName {
    /// Unauthenticated callers (development only).
    Anonymous,
    /// Services and agents.
    Service,
    /// MSP employees.
    Employee,
    /// Operators.
    Operator,
}

/// One grant of roles to callers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantConfig {
    /// Caller id patterns (a SPIFFE id or `employee:<pseudonym>`; `*`
    /// matches any run of characters).
    #[serde(default)]
    pub identities: Vec<String>,
    /// Caller kinds.
    #[serde(default)]
    pub kinds: Vec<KindName>,
    /// Roles granted (names from `roles`).
    pub roles: Vec<String>,
    /// The tenants the grant is limited to; absent: the credential's tenants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenants: Option<Vec<TenantId>>,
}

/// Why a policy configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy.{field}: {message}")]
pub struct PolicyError {
    /// The offending field (`grants[1].roles`).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl PolicyConfig {
    /// The policy `omega up` uses in development: operators may call
    /// everything; services (certificates from the dev CA) may call
    /// everything for the tenants their certificate names; employees may
    /// call read tools for the tenants their token names; anonymous
    /// callers nothing.
    pub fn dev_default() -> Self {
        let role = |tools: &[&str]| RoleConfig {
            tools: tools.iter().map(|s| (*s).to_owned()).collect(),
        };
        let grant = |kind, r: &str| GrantConfig {
            kinds: vec![kind],
            roles: vec![r.to_owned()],
            ..GrantConfig::default()
        };
        Self {
            roles: BTreeMap::from([
                ("admin".to_owned(), role(&["*"])),
                ("service".to_owned(), role(&["*"])),
                (
                    "reader".to_owned(),
                    role(&[
                        "*_get",
                        "*_list",
                        "*_search",
                        "*_discover",
                        "ticket_context",
                    ]),
                ),
            ]),
            grants: vec![
                grant(KindName::Operator, "admin"),
                grant(KindName::Service, "service"),
                grant(KindName::Employee, "reader"),
            ],
        }
    }

    /// Checks the policy: every role lists non-empty patterns; every grant
    /// selects someone and names defined roles. Paths are relative to the
    /// policy (`grants[1].roles`).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let err = |field: String, message: &str| PolicyError {
            field,
            message: message.to_owned(),
        };
        for (name, role) in &self.roles {
            if role.tools.is_empty() || role.tools.iter().any(String::is_empty) {
                return Err(err(
                    format!("roles.{name}.tools"),
                    "list at least one non-empty tool pattern",
                ));
            }
        }
        for (i, g) in self.grants.iter().enumerate() {
            if g.identities.is_empty() && g.kinds.is_empty() {
                return Err(err(
                    format!("grants[{i}]"),
                    "a grant must name `identities` or `kinds` (a grant to everyone is not allowed)",
                ));
            }
            if g.identities.iter().any(String::is_empty) {
                return Err(err(format!("grants[{i}].identities"), "empty pattern"));
            }
            if g.roles.is_empty() {
                return Err(err(format!("grants[{i}].roles"), "list at least one role"));
            }
            for r in &g.roles {
                if !self.roles.contains_key(r) {
                    return Err(err(
                        format!("grants[{i}].roles"),
                        &format!("unknown role `{r}`; define it under `roles`"),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_the_dev_policy_and_checks_name_the_field() {
        let s: SecurityConfig = toml::from_str("").unwrap();
        assert_eq!(s.policy, PolicyConfig::dev_default());
        s.policy.validate().unwrap();
        let bad = |s: &str| {
            toml::from_str::<PolicyConfig>(s)
                .unwrap()
                .validate()
                .unwrap_err()
                .field
        };
        assert_eq!(bad("[[grants]]\nroles = [\"x\"]"), "grants[0]");
        assert_eq!(
            bad("[[grants]]\nkinds = [\"service\"]\nroles = [\"nope\"]"),
            "grants[0].roles"
        );
        assert_eq!(bad("[roles.r]\ntools = []"), "roles.r.tools");
    }
}
