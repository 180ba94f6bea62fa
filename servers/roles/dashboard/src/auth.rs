//! Employee sign-in: [`EmployeeTokens`] verifies a per-employee token, and
//! [`HmacTokens`] is the built-in HMAC-SHA256 implementation until the
//! security crate's tokens are plugged in.
//!
//! Token format of [`HmacTokens`]: `v1.<base64url(claims JSON)>.<base64url(HMAC-SHA256(secret, "v1." + claims part))>`,
//! claims `{"sub": employee id, "tenants": [...], "exp": unix seconds}`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use omega_protocol::TenantId;
use omega_stack::{Authenticator, Caller, CallerKind, TenantGrant};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A signed-in MSP employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Employee {
    /// Stable employee id (a pseudonym or staff id, never an email).
    pub id: String,
    /// The tenants whose tickets the employee may see and change.
    pub tenants: Vec<TenantId>,
}

impl Employee {
    /// Whether the employee may act for `tenant`.
    pub fn may_act_for(&self, tenant: &TenantId) -> bool {
        self.tenants.contains(tenant)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No token was presented.
    #[error("no employee token was presented")]
    Missing,
    /// The token is not in the expected format.
    #[error("the employee token is malformed")]
    Malformed,
    /// The signature does not match.
    #[error("the employee token's signature is invalid")]
    BadSignature,
    /// The token has expired.
    #[error("the employee token expired")]
    Expired,
}

/// Verifies per-employee tokens.
pub trait EmployeeTokens: Send + Sync + 'static {
    /// The employee a token belongs to, or why it is refused.
    fn verify(&self, token: &str) -> Result<Employee, TokenError>;
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    sub: String,
    tenants: Vec<TenantId>,
    exp: i64,
}

/// HMAC-SHA256 signed employee tokens with an expiry.
#[derive(Clone)]
pub struct HmacTokens {
    secret: Arc<Vec<u8>>,
}

impl std::fmt::Debug for HmacTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacTokens")
    }
}

impl HmacTokens {
    /// Tokens signed with `secret` (at least 16 bytes).
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, crate::DashboardError> {
        let secret = secret.into();
        if secret.len() < 16 {
            return Err(crate::DashboardError::Invalid(
                "the employee token secret must be at least 16 bytes".into(),
            ));
        }
        Ok(Self {
            secret: Arc::new(secret),
        })
    }

    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(signed.as_bytes());
        mac
    }

    /// Issues a token for `employee` that expires `ttl` from now.
    pub fn issue(&self, employee: &Employee, ttl: chrono::Duration) -> String {
        self.issue_until(employee, chrono::Utc::now() + ttl)
    }

    /// Issues a token for `employee` that expires at `exp`.
    pub fn issue_until(&self, employee: &Employee, exp: chrono::DateTime<chrono::Utc>) -> String {
        let claims = Claims {
            sub: employee.id.clone(),
            tenants: employee.tenants.clone(),
            exp: exp.timestamp(),
        };
        let body = B64.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let signed = format!("v1.{body}");
        let sig = B64.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{sig}")
    }

    /// Verifies `token` as of `now`.
    pub fn verify_at(
        &self,
        token: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Employee, TokenError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let (signed, sig) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let body = signed.strip_prefix("v1.").ok_or(TokenError::Malformed)?;
        let sig = B64.decode(sig).map_err(|_| TokenError::Malformed)?;
        self.mac(signed)
            .verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: Claims = B64
            .decode(body)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(Employee {
            id: claims.sub,
            tenants: claims.tenants,
        })
    }
}

impl EmployeeTokens for HmacTokens {
    fn verify(&self, token: &str) -> Result<Employee, TokenError> {
        self.verify_at(token, chrono::Utc::now())
    }
}

/// The stack authenticator for a server that serves the dashboard next to
/// MCP tools: requests under `/dashboard` pass with a caller that may act for
/// no tenant (the dashboard's handlers check the employee token themselves,
/// so the browser needs no service credentials); everything else goes to
/// `inner`.
pub struct DashboardAuthenticator {
    inner: Arc<dyn Authenticator>,
}

impl DashboardAuthenticator {
    /// Wraps the deployment's authenticator.
    pub fn new(inner: Arc<dyn Authenticator>) -> Self {
        Self { inner }
    }
}

impl Authenticator for DashboardAuthenticator {
    fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Caller, Box<axum::response::Response>> {
        let path = request.uri.path();
        if path == "/dashboard" || path.starts_with("/dashboard/") {
            return Ok(Caller {
                id: "dashboard-visitor".into(),
                kind: CallerKind::Anonymous,
                tenants: TenantGrant::Only(Vec::new()),
            });
        }
        self.inner.authenticate(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Employee {
        Employee {
            id: "alice".into(),
            tenants: vec![TenantId::parse("acme").unwrap()],
        }
    }

    #[test]
    fn round_trip_expiry_and_tampering() {
        let t = HmacTokens::new(b"0123456789abcdef0123".to_vec()).unwrap();
        let tok = t.issue(&alice(), chrono::Duration::minutes(5));
        assert_eq!(t.verify(&tok).unwrap(), alice());
        let later = chrono::Utc::now() + chrono::Duration::minutes(6);
        assert_eq!(t.verify_at(&tok, later), Err(TokenError::Expired));
        assert_eq!(t.verify(""), Err(TokenError::Missing));
        assert_eq!(t.verify("garbage"), Err(TokenError::Malformed));
        // Another tenant list with the old signature.
        let (head, sig) = tok.rsplit_once('.').unwrap();
        let _ = head;
        let forged_claims =
            B64.encode(br#"{"sub":"alice","tenants":["acme","globex"],"exp":9999999999}"#);
        let forged = format!("v1.{forged_claims}.{sig}");
        assert_eq!(t.verify(&forged), Err(TokenError::BadSignature));
        let other = HmacTokens::new(b"another-secret-of-16+".to_vec()).unwrap();
        assert_eq!(other.verify(&tok), Err(TokenError::BadSignature));
        assert!(HmacTokens::new(b"short".to_vec()).is_err());
    }
}
