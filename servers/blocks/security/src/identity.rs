//! Workload identities carried in certificates.
//!
//! A certificate names its holder with one SPIFFE-style URI SAN,
//! `spiffe://omega.local/role/{role}/instance/{instance}`, and its tenant
//! scope with further URI SANs: `urn:omega:tenant:{tenant}` once per tenant,
//! or `urn:omega:tenant:*` for every tenant. A certificate without a tenant
//! SAN grants no tenant (deny by default). The identity is read from the
//! certificate the TLS handshake verified, never from anything the peer
//! sends in a request.

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Caller, CallerKind, TenantGrant};

/// The SPIFFE trust domain of every OMEGA deployment's certificates.
pub const TRUST_DOMAIN: &str = "omega.local";

/// The URI prefix of tenant-scope SANs.
const TENANT_URN: &str = "urn:omega:tenant:";

/// The role whose certificates act as [`CallerKind::Operator`].
pub const OPERATOR_ROLE: &str = "operator";

/// Who holds a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The role (`context`, `triage`, `operator`, ...).
    pub role: String,
    /// The instance of the role (`0`, a pod name, a host name).
    pub instance: String,
    /// The tenants the holder may act for.
    pub tenants: TenantGrant,
}

/// The identity of the TLS peer, inserted into request extensions by the
/// identity layer next to the [`Caller`] derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity(pub Identity);

/// Why a certificate does not carry a usable identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The DER is not an X.509 certificate.
    #[error("the certificate cannot be parsed: {0}")]
    Unparseable(String),
    /// No `spiffe://omega.local/...` URI SAN.
    #[error(
        "the certificate has no `spiffe://{TRUST_DOMAIN}/role/<role>/instance/<instance>` URI SAN"
    )]
    NoSpiffeId,
    /// More than one SPIFFE URI SAN.
    #[error("the certificate has more than one SPIFFE URI SAN")]
    AmbiguousSpiffeId,
    /// A SPIFFE id or tenant SAN that does not follow the format.
    #[error("malformed identity `{0}`: {1}")]
    Malformed(String, &'static str),
}

impl IdentityError {
    /// The error a client sees.
    pub fn to_omega(&self) -> OmegaError {
        OmegaError::new(ErrorCode::UNAUTHENTICATED, self.to_string())
            .with_hint("issue the client certificate with `omega certs issue client --role <role> --instance <instance>`")
    }
}

/// Whether `s` is a valid role or instance name: 1-64 of `a-z 0-9 - _ .`.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        })
        && s != "."
        && s != ".."
}

impl Identity {
    /// An identity, checking that `role` and `instance` are valid names.
    pub fn new(
        role: impl Into<String>,
        instance: impl Into<String>,
        tenants: TenantGrant,
    ) -> Result<Self, IdentityError> {
        let (role, instance) = (role.into(), instance.into());
        for (what, v) in [("role", &role), ("instance", &instance)] {
            if !valid_name(v) {
                return Err(IdentityError::Malformed(
                    format!("{what} `{}`", v.escape_default()),
                    "use 1-64 characters of a-z, 0-9, '-', '_' and '.'",
                ));
            }
        }
        Ok(Self {
            role,
            instance,
            tenants,
        })
    }

    /// The SPIFFE id, `spiffe://omega.local/role/{role}/instance/{instance}`.
    pub fn spiffe_id(&self) -> String {
        format!(
            "spiffe://{TRUST_DOMAIN}/role/{}/instance/{}",
            self.role, self.instance
        )
    }

    /// Every URI SAN a certificate for this identity carries.
    pub fn uri_sans(&self) -> Vec<String> {
        let mut sans = vec![self.spiffe_id()];
        match &self.tenants {
            TenantGrant::All => sans.push(format!("{TENANT_URN}*")),
            TenantGrant::Only(list) => {
                sans.extend(list.iter().map(|t| format!("{TENANT_URN}{t}")));
            }
        }
        sans
    }

    /// Parses an identity from certificate URI SANs.
    pub fn from_uri_sans<'a>(
        uris: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, IdentityError> {
        let prefix = format!("spiffe://{TRUST_DOMAIN}/");
        let mut spiffe = None;
        let mut all = false;
        let mut tenants = Vec::new();
        for uri in uris {
            if let Some(path) = uri.strip_prefix(&prefix) {
                if spiffe.replace(path).is_some() {
                    return Err(IdentityError::AmbiguousSpiffeId);
                }
            } else if let Some(t) = uri.strip_prefix(TENANT_URN) {
                if t == "*" {
                    all = true;
                } else {
                    let t = TenantId::parse(t).map_err(|_| {
                        IdentityError::Malformed(uri.to_owned(), "not a valid tenant id")
                    })?;
                    tenants.push(t);
                }
            }
        }
        let path = spiffe.ok_or(IdentityError::NoSpiffeId)?;
        let parts: Vec<&str> = path.split('/').collect();
        let [kw_role, role, kw_instance, instance] = parts[..] else {
            return Err(IdentityError::Malformed(
                format!("{prefix}{path}"),
                "expected role/<role>/instance/<instance>",
            ));
        };
        if kw_role != "role" || kw_instance != "instance" {
            return Err(IdentityError::Malformed(
                format!("{prefix}{path}"),
                "expected role/<role>/instance/<instance>",
            ));
        }
        let tenants = if all {
            TenantGrant::All
        } else {
            tenants.sort();
            tenants.dedup();
            TenantGrant::Only(tenants)
        };
        Self::new(role, instance, tenants)
    }

    /// Reads the identity from a DER certificate's URI SANs. Call this only
    /// on a certificate a TLS handshake verified against the deployment CA.
    pub fn from_cert(der: &[u8]) -> Result<Self, IdentityError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| IdentityError::Unparseable(e.to_string()))?;
        let san = cert
            .subject_alternative_name()
            .map_err(|e| IdentityError::Unparseable(e.to_string()))?;
        let uris = san.iter().flat_map(|ext| {
            ext.value.general_names.iter().filter_map(|n| match n {
                x509_parser::extensions::GeneralName::URI(u) => Some(*u),
                _ => None,
            })
        });
        Self::from_uri_sans(uris)
    }

    /// The caller this identity acts as: `operator` certificates are
    /// operators, every other role is a service. The caller id is the
    /// SPIFFE id.
    pub fn to_caller(&self) -> Caller {
        Caller {
            id: self.spiffe_id(),
            kind: if self.role == OPERATOR_ROLE {
                CallerKind::Operator
            } else {
                CallerKind::Service
            },
            tenants: self.tenants.clone(),
        }
    }
}

impl From<&Identity> for Caller {
    fn from(id: &Identity) -> Self {
        id.to_caller()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    #[test]
    fn sans_round_trip() {
        for tenants in [
            TenantGrant::All,
            TenantGrant::Only(vec![]),
            TenantGrant::Only(vec![t("acme"), t("globex")]),
        ] {
            let id = Identity::new("triage", "pod-1", tenants).unwrap();
            let sans = id.uri_sans();
            let back = Identity::from_uri_sans(sans.iter().map(String::as_str)).unwrap();
            assert_eq!(back, id);
        }
    }

    #[test]
    fn rejects_bad_sans() {
        let err = |sans: &[&str]| Identity::from_uri_sans(sans.iter().copied()).unwrap_err();
        assert_eq!(err(&[]), IdentityError::NoSpiffeId);
        assert_eq!(
            err(&["spiffe://other.domain/role/a/instance/b"]),
            IdentityError::NoSpiffeId
        );
        assert_eq!(
            err(&[
                "spiffe://omega.local/role/a/instance/b",
                "spiffe://omega.local/role/c/instance/d"
            ]),
            IdentityError::AmbiguousSpiffeId
        );
        assert!(matches!(
            err(&["spiffe://omega.local/role/a"]),
            IdentityError::Malformed(..)
        ));
        assert!(matches!(
            err(&["spiffe://omega.local/role/A/instance/b"]),
            IdentityError::Malformed(..)
        ));
        assert!(matches!(
            err(&[
                "spiffe://omega.local/role/a/instance/b",
                "urn:omega:tenant:Bad!"
            ]),
            IdentityError::Malformed(..)
        ));
    }

    #[test]
    fn callers_by_role() {
        let svc = Identity::new("context", "0", TenantGrant::Only(vec![t("acme")])).unwrap();
        let c = svc.to_caller();
        assert_eq!(c.kind, CallerKind::Service);
        assert_eq!(c.id, "spiffe://omega.local/role/context/instance/0");
        assert!(c.tenants.covers(&t("acme")) && !c.tenants.covers(&t("globex")));
        let op = Identity::new("operator", "alice", TenantGrant::All).unwrap();
        assert_eq!(op.to_caller().kind, CallerKind::Operator);
    }
}
