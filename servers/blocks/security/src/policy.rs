//! Authorization: which callers may call which tools and methods, for which
//! tenants. Deny by default: a caller may call a tool only when a grant
//! that matches the caller gives a role whose patterns match the tool.
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
//! A grant selects callers by id pattern (`identities`, matched against
//! [`Caller::id`]: a SPIFFE id or `employee:<pseudonym>`) and/or by `kinds`;
//! when both are given, both must match. Its `tenants`, when present, limit
//! the grant to those tenants, on top of the tenants the credential itself
//! carries. Patterns use `*` for any run of characters (`session_*`,
//! `context.*`, `*`). Tools a caller may not call are hidden from its
//! listings ([`Policy::visible_tools`]).

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Caller, CallerKind, TenantGrant};

/// The policy as written in configuration (`[security.policy]` of
/// `omega.toml`). The data types and their checks live in `omega-config`.
pub use omega_config::security::{GrantConfig, KindName, PolicyConfig, PolicyError, RoleConfig};

fn kind_matches(name: KindName, kind: CallerKind) -> bool {
    matches!(
        (name, kind),
        (KindName::Anonymous, CallerKind::Anonymous)
            | (KindName::Service, CallerKind::Service)
            | (KindName::Employee, CallerKind::Employee)
            | (KindName::Operator, CallerKind::Operator)
    )
}

/// `*` matches any run of characters (including none); everything else
/// matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[derive(Debug, Clone)]
struct Grant {
    identities: Vec<String>,
    kinds: Vec<KindName>,
    tools: Vec<String>,
    tenants: Option<Vec<TenantId>>,
}

impl Grant {
    fn selects(&self, caller: &Caller) -> bool {
        (self.identities.is_empty() || self.identities.iter().any(|p| glob(p, &caller.id)))
            && (self.kinds.is_empty() || self.kinds.iter().any(|k| kind_matches(*k, caller.kind)))
    }

    fn allows(&self, tool: &str) -> bool {
        self.tools.iter().any(|p| glob(p, tool))
    }

    fn covers(&self, tenant: &TenantId) -> bool {
        self.tenants.as_ref().is_none_or(|l| l.contains(tenant))
    }
}

/// A checked policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    grants: Vec<Grant>,
}

impl Policy {
    /// Checks `config`: every grant selects someone and names known roles;
    /// every pattern is non-empty.
    pub fn new(config: &PolicyConfig) -> Result<Self, PolicyError> {
        config.validate()?;
        let grants = config
            .grants
            .iter()
            .map(|g| Grant {
                identities: g.identities.clone(),
                kinds: g.kinds.clone(),
                tools: g
                    .roles
                    .iter()
                    .filter_map(|r| config.roles.get(r))
                    .flat_map(|role| role.tools.iter().cloned())
                    .collect(),
                tenants: g.tenants.clone(),
            })
            .collect();
        Ok(Self { grants })
    }

    /// Whether `caller` may call `tool` (for some tenant).
    pub fn may_call(&self, caller: &Caller, tool: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.selects(caller) && g.allows(tool))
    }

    /// Whether `caller` may call `tool` for `tenant`: a grant allows the
    /// tool for the tenant and the caller's credential covers the tenant.
    pub fn may_call_for(&self, caller: &Caller, tool: &str, tenant: &TenantId) -> bool {
        caller.tenants.covers(tenant)
            && self
                .grants
                .iter()
                .any(|g| g.selects(caller) && g.allows(tool) && g.covers(tenant))
    }

    /// The tenants `caller` may call `tool` for.
    pub fn tenants_for(&self, caller: &Caller, tool: &str) -> TenantGrant {
        let mut all = false;
        let mut list: Vec<TenantId> = Vec::new();
        for g in self
            .grants
            .iter()
            .filter(|g| g.selects(caller) && g.allows(tool))
        {
            match &g.tenants {
                None => all = true,
                Some(ts) => list.extend(ts.iter().cloned()),
            }
        }
        let by_policy = if all {
            TenantGrant::All
        } else {
            list.sort();
            list.dedup();
            TenantGrant::Only(list)
        };
        match (by_policy, &caller.tenants) {
            (TenantGrant::All, own) => own.clone(),
            (TenantGrant::Only(l), TenantGrant::All) => TenantGrant::Only(l),
            (TenantGrant::Only(l), TenantGrant::Only(own)) => {
                TenantGrant::Only(l.into_iter().filter(|t| own.contains(t)).collect())
            }
        }
    }

    /// Checks a call: `forbidden` when the caller may not call the tool at
    /// all, `tenant_forbidden` when not for `tenant`.
    pub fn authorize(
        &self,
        caller: &Caller,
        tool: &str,
        tenant: Option<&TenantId>,
    ) -> Result<(), OmegaError> {
        if !self.may_call(caller, tool) {
            // Same wording as an unknown tool would get would leak less, but
            // callers never see this tool in listings, so a plain refusal is fine.
            return Err(OmegaError::new(
                ErrorCode::FORBIDDEN,
                format!("caller `{}` may not call `{tool}`", caller.id),
            )
            .with_hint("ask an operator for a grant in the security policy"));
        }
        if let Some(t) = tenant
            && !self.may_call_for(caller, tool, t)
        {
            return Err(OmegaError::new(
                ErrorCode::TENANT_FORBIDDEN,
                format!(
                    "caller `{}` may not call `{tool}` for tenant `{t}`",
                    caller.id
                ),
            )
            .with_field("tenant"));
        }
        Ok(())
    }

    /// The subset of `names` that `caller` may call, in order.
    pub fn visible_tools<S: AsRef<str> + Clone>(&self, caller: &Caller, names: &[S]) -> Vec<S> {
        names
            .iter()
            .filter(|n| self.may_call(caller, n.as_ref()))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    #[test]
    fn globs() {
        assert!(glob("*", ""));
        assert!(glob("session_*", "session_put"));
        assert!(!glob("session_*", "sessions_put"));
        assert!(glob("context.*", "context.get"));
        assert!(glob("*_get", "session_get"));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c-y-b"));
        assert!(glob(
            "spiffe://omega.local/role/triage/*",
            "spiffe://omega.local/role/triage/instance/3"
        ));
        assert!(!glob("exact", "exactly"));
    }

    fn policy() -> Policy {
        let cfg: PolicyConfig = toml::from_str(
            r#"
            [roles.triage]
            tools = ["ticket_context", "session_*"]
            [roles.admin]
            tools = ["*"]
            [[grants]]
            identities = ["spiffe://omega.local/role/triage/instance/*"]
            roles = ["triage"]
            tenants = ["acme"]
            [[grants]]
            kinds = ["operator"]
            roles = ["admin"]
            "#,
        )
        .unwrap();
        Policy::new(&cfg).unwrap()
    }

    fn caller(id: &str, kind: CallerKind, tenants: TenantGrant) -> Caller {
        Caller {
            id: id.into(),
            kind,
            tenants,
        }
    }

    #[test]
    fn deny_by_default_and_grants() {
        let p = policy();
        let triage = caller(
            "spiffe://omega.local/role/triage/instance/0",
            CallerKind::Service,
            TenantGrant::All,
        );
        let ingest = caller(
            "spiffe://omega.local/role/ingest/instance/0",
            CallerKind::Service,
            TenantGrant::All,
        );
        let op = caller("operator:ops", CallerKind::Operator, TenantGrant::All);
        assert!(p.may_call(&triage, "session_put"));
        assert!(!p.may_call(&triage, "agent_register"));
        assert!(!p.may_call(&ingest, "session_put"), "no grant for ingest");
        assert!(!p.may_call(&Caller::anonymous(), "session_put"));
        assert!(p.may_call(&op, "agent_register"));
        assert!(p.may_call_for(&triage, "session_put", &t("acme")));
        assert!(
            !p.may_call_for(&triage, "session_put", &t("globex")),
            "grant limited to acme"
        );
        assert_eq!(
            p.tenants_for(&triage, "session_put"),
            TenantGrant::Only(vec![t("acme")])
        );
        let narrow = caller(
            &op.id,
            CallerKind::Operator,
            TenantGrant::Only(vec![t("globex")]),
        );
        assert!(
            !p.may_call_for(&narrow, "x", &t("acme")),
            "credential limits too"
        );
        assert_eq!(
            p.authorize(&ingest, "session_put", None).unwrap_err().code,
            ErrorCode::FORBIDDEN
        );
        assert_eq!(
            p.authorize(&triage, "session_put", Some(&t("globex")))
                .unwrap_err()
                .code,
            ErrorCode::TENANT_FORBIDDEN
        );
        let names = ["session_get", "agent_list", "ticket_context"];
        assert_eq!(
            p.visible_tools(&triage, &names),
            vec!["session_get", "ticket_context"]
        );
        assert!(p.visible_tools(&ingest, &names).is_empty());
    }

    #[test]
    fn bad_configs_name_the_field() {
        let bad = |s: &str| {
            Policy::new(&toml::from_str::<PolicyConfig>(s).unwrap())
                .unwrap_err()
                .field
        };
        assert_eq!(bad("[[grants]]\nroles = [\"x\"]"), "grants[0]");
        assert_eq!(
            bad("[[grants]]\nkinds = [\"service\"]\nroles = [\"nope\"]"),
            "grants[0].roles"
        );
        assert_eq!(bad("[roles.r]\ntools = []"), "roles.r.tools");
        assert!(toml::from_str::<PolicyConfig>("[roles.r]\ntools = [\"a\"]\ncolour = 1").is_err());
        assert!(
            toml::from_str::<PolicyConfig>("[[grants]]\nkinds = [\"robot\"]\nroles = []").is_err()
        );
        assert!(Policy::new(&PolicyConfig::dev_default()).is_ok());
    }
}
