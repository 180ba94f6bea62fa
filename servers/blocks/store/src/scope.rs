//! Scopes: whose data an operation touches.

use omega_protocol::TenantId;

/// Whose data an operation reads or writes.
///
/// Tenant data is always addressed through [`Scope::Tenant`]. Deployment-wide
/// catalogs (the agent and MCP registries) use [`Scope::Global`]; a tenant
/// cannot name the global scope, since tenant ids never contain the global
/// marker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One tenant's data.
    Tenant(TenantId),
    /// Deployment-wide data not owned by any tenant.
    Global,
}

impl Scope {
    /// The prefix every physical key of this scope starts with. Tenant ids
    /// are `[a-z0-9_-]` only, so `#global` can never collide with a tenant,
    /// and the trailing separator stops `acme` matching `acme2`.
    pub fn prefix(&self) -> String {
        match self {
            Scope::Tenant(t) => format!("t:{}:", t.as_str()),
            Scope::Global => "#global:".to_owned(),
        }
    }

    /// The physical key for `(namespace, key)` in this scope.
    ///
    /// `namespace` is a static name chosen by the server (`session`,
    /// `cache`, `agents`), never caller input, and contains no `:`.
    pub fn key(&self, namespace: &str, key: &str) -> String {
        debug_assert!(!namespace.contains(':'), "namespace must not contain ':'");
        format!("{}{namespace}:{key}", self.prefix())
    }

    /// The tenant, if this is a tenant scope.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Scope::Tenant(t) => Some(t),
            Scope::Global => None,
        }
    }
}

impl From<TenantId> for Scope {
    fn from(t: TenantId) -> Self {
        Scope::Tenant(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tenant(s: &str) -> Scope {
        Scope::Tenant(TenantId::parse(s).unwrap())
    }

    #[test]
    fn prefixes_do_not_nest() {
        assert!(
            !tenant("acme2")
                .key("kv", "x")
                .starts_with(&tenant("acme").prefix())
        );
        assert!(
            !Scope::Global
                .key("kv", "x")
                .starts_with(&tenant("acme").prefix())
        );
    }

    proptest! {
        // For any two distinct tenants and any keys, the physical keys differ
        // and neither lies under the other's prefix.
        #[test]
        fn distinct_tenants_never_share_keys(
            a in "[a-z0-9][a-z0-9_-]{0,12}",
            b in "[a-z0-9][a-z0-9_-]{0,12}",
            ka in ".{0,20}",
            kb in ".{0,20}",
        ) {
            prop_assume!(a != b);
            let (sa, sb) = (tenant(&a), tenant(&b));
            let (pa, pb) = (sa.key("session", &ka), sb.key("session", &kb));
            prop_assert_ne!(&pa, &pb);
            prop_assert!(!pa.starts_with(&sb.prefix()));
            prop_assert!(!pb.starts_with(&sa.prefix()));
        }
    }
}
