//! The tenant check every tenant-scoped call passes at the server's edge.

use std::collections::HashSet;
use std::sync::Arc;

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use serde_json::Value;

use crate::Caller;

/// Which tenants this deployment serves.
#[derive(Debug, Clone)]
pub struct TenantPolicy {
    configured: Arc<HashSet<TenantId>>,
}

impl TenantPolicy {
    /// A policy that serves exactly `tenants`.
    pub fn new(tenants: impl IntoIterator<Item = TenantId>) -> Self {
        Self {
            configured: Arc::new(tenants.into_iter().collect()),
        }
    }

    /// Resolves the `tenant` argument of a call for `caller`.
    ///
    /// Fails with `tenant_required` when the argument is missing or
    /// malformed, `tenant_unknown` when the tenant is not configured and
    /// `tenant_forbidden` when the caller may not act for it.
    pub fn resolve(&self, caller: &Caller, raw: Option<&Value>) -> Result<TenantId, OmegaError> {
        let raw = match raw {
            Some(Value::String(s)) => s,
            Some(_) => {
                return Err(OmegaError::new(
                    ErrorCode::TENANT_REQUIRED,
                    "`tenant` must be a string",
                )
                .with_field("tenant"));
            }
            None => {
                return Err(OmegaError::new(
                    ErrorCode::TENANT_REQUIRED,
                    "this tool is tenant-scoped and the `tenant` argument is missing",
                )
                .with_field("tenant")
                .with_hint("pass the tenant id, e.g. {\"tenant\": \"acme\", ...}"));
            }
        };
        let tenant = TenantId::parse(raw)?;
        if !self.configured.contains(&tenant) {
            return Err(OmegaError::new(
                ErrorCode::TENANT_UNKNOWN,
                format!("tenant `{tenant}` is not configured on this deployment"),
            )
            .with_field("tenant")
            .with_hint("use a tenant listed under `tenants` in omega.toml"));
        }
        if !caller.tenants.covers(&tenant) {
            return Err(OmegaError::new(
                ErrorCode::TENANT_FORBIDDEN,
                format!("caller `{}` may not act for tenant `{tenant}`", caller.id),
            )
            .with_field("tenant"));
        }
        Ok(tenant)
    }

    /// The configured tenants.
    pub fn tenants(&self) -> impl Iterator<Item = &TenantId> {
        self.configured.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallerKind, TenantGrant};
    use serde_json::json;

    fn policy() -> TenantPolicy {
        TenantPolicy::new(["acme", "globex"].map(|t| TenantId::parse(t).unwrap()))
    }

    #[test]
    fn each_failure_has_its_code() {
        let p = policy();
        let anyone = Caller::anonymous();
        let code = |r: Result<TenantId, OmegaError>| r.unwrap_err().code;
        assert_eq!(code(p.resolve(&anyone, None)), ErrorCode::TENANT_REQUIRED);
        assert_eq!(
            code(p.resolve(&anyone, Some(&json!(5)))),
            ErrorCode::TENANT_REQUIRED
        );
        assert_eq!(
            code(p.resolve(&anyone, Some(&json!("Bad")))),
            ErrorCode::TENANT_REQUIRED
        );
        assert_eq!(
            code(p.resolve(&anyone, Some(&json!("initech")))),
            ErrorCode::TENANT_UNKNOWN
        );
        let acme_only = Caller {
            id: "svc".into(),
            kind: CallerKind::Service,
            tenants: TenantGrant::Only(vec![TenantId::parse("acme").unwrap()]),
        };
        assert_eq!(
            code(p.resolve(&acme_only, Some(&json!("globex")))),
            ErrorCode::TENANT_FORBIDDEN
        );
        assert_eq!(
            p.resolve(&acme_only, Some(&json!("acme")))
                .unwrap()
                .as_str(),
            "acme"
        );
    }
}
