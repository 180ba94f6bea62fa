//! Who is calling: the identity a request carries through the stack.

use omega_protocol::TenantId;

/// What kind of principal a caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// No credentials were presented (development mode on loopback).
    Anonymous,
    /// Another OMEGA service or agent, identified by its certificate.
    Service,
    /// An MSP employee, identified by a bearer token.
    Employee,
    /// An operator with deployment-wide rights.
    Operator,
}

/// Which tenants a caller may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantGrant {
    /// Every configured tenant.
    All,
    /// Only these tenants.
    Only(Vec<TenantId>),
}

impl TenantGrant {
    /// Whether the grant covers `tenant`.
    pub fn covers(&self, tenant: &TenantId) -> bool {
        match self {
            TenantGrant::All => true,
            TenantGrant::Only(list) => list.contains(tenant),
        }
    }
}

/// The authenticated caller of a request, inserted into the request's
/// extensions by the identity layer and read by every tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// A stable identity string (a SPIFFE id, an employee pseudonym, or `anonymous`).
    pub id: String,
    /// The kind of principal.
    pub kind: CallerKind,
    /// The tenants the caller may act for.
    pub tenants: TenantGrant,
}

impl Caller {
    /// The caller used when no identity layer is configured: development
    /// mode, loopback only. It may act for every configured tenant.
    pub fn anonymous() -> Self {
        Self {
            id: "anonymous".into(),
            kind: CallerKind::Anonymous,
            tenants: TenantGrant::All,
        }
    }
}
