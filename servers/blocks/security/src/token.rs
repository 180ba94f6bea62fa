//! Signed bearer tokens for MCP clients, the dashboard and scripts.
//!
//! A token is a compact JWT signed with HMAC-SHA256 (`alg: HS256`) under a
//! deployment key from the secrets provider. Claims: `sub` (a stable,
//! non-personal id: an employee pseudonym, a service name), `kind`
//! (`employee`, `operator` or `service`), `tenants` (tenant ids, or `["*"]`),
//! `aud` (the deployment's audience, e.g. its public URL), `iat` and `exp`
//! (Unix seconds). Only HS256 is accepted; `alg: none` and every other
//! algorithm are refused.
//!
//! Each way verification can fail has its own [`TokenError`] variant and a
//! stable `reason` in the error a client sees (`data.extra.reason`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Caller, CallerKind, TenantGrant};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::secrets::Secret;

/// The secret name of the token signing key (hex-encoded bytes).
pub const SIGNING_KEY_SECRET: &str = "omega-token-signing-key";
/// The shortest accepted signing key.
pub const MIN_KEY_BYTES: usize = 32;
/// Clock skew tolerated on `exp`.
pub const LEEWAY_SECS: i64 = 30;

/// The HMAC key tokens are signed with. `Debug` hides it.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

impl TokenKey {
    /// A key from raw bytes; at least [`MIN_KEY_BYTES`] long.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, TokenError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(TokenError::WeakKey(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// A key from a secret holding hex-encoded bytes
    /// (`omega-token-signing-key`; generate one with `openssl rand -hex 32`).
    pub fn from_secret(secret: &Secret) -> Result<Self, TokenError> {
        let text = secret.expose_str().map_err(|_| TokenError::KeyNotHex)?;
        let bytes = hex::decode(text.trim()).map_err(|_| TokenError::KeyNotHex)?;
        Self::new(bytes)
    }

    /// A fresh random key (256 bits), e.g. for `omega up`.
    pub fn generate() -> Self {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(bytes)
    }

    /// The development key of `omega up`: read from
    /// `{data_dir}/secrets/omega-token-signing-key` (hex), created there
    /// (mode 0600) on first start. The same file is what [`crate::secrets::FileSecrets`]
    /// over `{data_dir}/secrets` serves under that name.
    pub fn dev(data_dir: &std::path::Path) -> Result<Self, crate::certs::CertError> {
        let dir = data_dir.join("secrets");
        let path = dir.join(SIGNING_KEY_SECRET);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes =
                    hex::decode(text.trim()).map_err(|e| crate::certs::CertError::Invalid {
                        path: path.clone(),
                        what: format!("not hex: {e}"),
                    })?;
                Self::new(bytes).map_err(|e| crate::certs::CertError::Invalid {
                    path,
                    what: e.to_string(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                std::fs::create_dir_all(&dir).map_err(|source| crate::certs::CertError::Io {
                    path: dir.clone(),
                    source,
                })?;
                crate::certs::write_atomic(&path, hex::encode(&key.0).as_bytes(), true)?;
                Ok(key)
            }
            Err(source) => Err(crate::certs::CertError::Io { path, source }),
        }
    }

    /// The key as a hex secret (for writing it to a secret store).
    pub fn to_hex_secret(&self) -> Secret {
        Secret::new(hex::encode(&self.0))
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length")
    }
}

/// What kind of principal a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenKind {
    /// An MSP employee: their tenants only.
    Employee,
    /// An operator of the deployment.
    Operator,
    /// A service or agent without a certificate.
    Service,
}

impl TokenKind {
    fn caller_kind(self) -> CallerKind {
        match self {
            TokenKind::Employee => CallerKind::Employee,
            TokenKind::Operator => CallerKind::Operator,
            TokenKind::Service => CallerKind::Service,
        }
    }
}

/// The claims of a token. Unknown claims are ignored (JWTs from other
/// tools may carry `iss`, `jti`, ...); the ones below are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: a stable, non-personal id.
    pub sub: String,
    /// The principal's kind.
    pub kind: TokenKind,
    /// Tenant ids, or `["*"]` for all.
    pub tenants: Vec<String>,
    /// Audience: the deployment the token is for.
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Claims {
    /// Claims for `sub` valid for `ttl` from now.
    pub fn new(
        sub: &str,
        kind: TokenKind,
        tenants: &TenantGrant,
        aud: &str,
        ttl: Duration,
    ) -> Self {
        let iat = now_secs();
        Self {
            sub: sub.to_owned(),
            kind,
            tenants: match tenants {
                TenantGrant::All => vec!["*".into()],
                TenantGrant::Only(list) => list.iter().map(|t| t.to_string()).collect(),
            },
            aud: aud.to_owned(),
            iat,
            exp: iat + ttl.as_secs() as i64,
        }
    }

    /// The tenants the token grants.
    pub fn tenant_grant(&self) -> Result<TenantGrant, TokenError> {
        if self.tenants.iter().any(|t| t == "*") {
            return Ok(TenantGrant::All);
        }
        self.tenants
            .iter()
            .map(|t| {
                TenantId::parse(t).map_err(|_| {
                    TokenError::Malformed("a tenant in `tenants` is not a valid tenant id")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TenantGrant::Only)
    }

    /// The caller the token stands for: id `{kind}:{sub}`.
    pub fn to_caller(&self) -> Result<Caller, TokenError> {
        let kind = match self.kind {
            TokenKind::Employee => "employee",
            TokenKind::Operator => "operator",
            TokenKind::Service => "service",
        };
        Ok(Caller {
            id: format!("{kind}:{}", self.sub),
            kind: self.kind.caller_kind(),
            tenants: self.tenant_grant()?,
        })
    }

    /// Fails with [`TokenError::TenantForbidden`] unless the token covers `tenant`.
    pub fn require_tenant(&self, tenant: &TenantId) -> Result<(), TokenError> {
        if self.tenant_grant()?.covers(tenant) {
            Ok(())
        } else {
            Err(TokenError::TenantForbidden(tenant.clone()))
        }
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token: send `Authorization: Bearer <token>` or a client certificate")]
    Missing,
    /// Not a well-formed HS256 JWT with the required claims.
    #[error("malformed bearer token: {0}")]
    Malformed(&'static str),
    /// The signature does not verify under the deployment key.
    #[error("the bearer token's signature is not valid for this deployment")]
    BadSignature,
    /// `exp` is in the past.
    #[error("the bearer token expired at {0} (Unix seconds)")]
    Expired(i64),
    /// `aud` names another deployment.
    #[error("the bearer token is for audience `{got}`, not `{expected}`")]
    WrongAudience {
        /// This deployment's audience.
        expected: String,
        /// The token's audience.
        got: String,
    },
    /// The token does not cover the tenant the request is for.
    #[error("the bearer token does not grant tenant `{0}`")]
    TenantForbidden(TenantId),
    /// The signing key secret is not hex text.
    #[error("the token signing key secret must be hex text (e.g. `openssl rand -hex 32`)")]
    KeyNotHex,
    /// A signing key shorter than [`MIN_KEY_BYTES`].
    #[error("the token signing key has {0} bytes; use at least {MIN_KEY_BYTES} random bytes")]
    WeakKey(usize),
}

impl TokenError {
    /// A stable, machine-readable reason (`missing`, `malformed`,
    /// `bad_signature`, `expired`, `wrong_audience`, `tenant_forbidden`, `weak_key`).
    pub fn reason(&self) -> &'static str {
        match self {
            TokenError::Missing => "missing",
            TokenError::Malformed(_) => "malformed",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired(_) => "expired",
            TokenError::WrongAudience { .. } => "wrong_audience",
            TokenError::TenantForbidden(_) => "tenant_forbidden",
            TokenError::WeakKey(_) => "weak_key",
            TokenError::KeyNotHex => "key_not_hex",
        }
    }

    /// The error code: `tenant_forbidden` for a tenant the token does not
    /// cover, `internal_error` for a weak key, `unauthenticated` otherwise.
    pub fn code(&self) -> ErrorCode {
        match self {
            TokenError::TenantForbidden(_) => ErrorCode::TENANT_FORBIDDEN,
            TokenError::WeakKey(_) | TokenError::KeyNotHex => ErrorCode::INTERNAL_ERROR,
            _ => ErrorCode::UNAUTHENTICATED,
        }
    }

    /// The error a client sees.
    pub fn to_omega(&self) -> OmegaError {
        let hint = match self {
            TokenError::Expired(_) => "request a new token (`omega token issue`)",
            TokenError::TenantForbidden(_) => "use a token issued for this tenant",
            TokenError::WeakKey(_) | TokenError::KeyNotHex => {
                "configure the token signing key as at least 32 random bytes in hex"
            }
            _ => {
                "send `Authorization: Bearer <token>` with a token issued by this deployment (`omega token issue`)"
            }
        };
        OmegaError::new(self.code(), self.to_string())
            .with_hint(hint)
            .with_extra(json!({ "reason": self.reason() }))
    }
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Signs `claims` into a compact JWT.
pub fn issue(key: &TokenKey, claims: &Claims) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
    let mut mac = key.mac();
    mac.update(signing_input.as_bytes());
    let sig = mac.finalize().into_bytes();
    format!("{signing_input}.{}", B64.encode(sig))
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Verifies `token` for `audience` now.
pub fn verify(key: &TokenKey, token: &str, audience: &str) -> Result<Claims, TokenError> {
    verify_at(key, token, audience, now_secs())
}

/// Verifies `token` for `audience` at `now` (Unix seconds).
pub fn verify_at(
    key: &TokenKey,
    token: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed(
            "expected three base64url parts separated by '.'",
        ));
    };
    let header = B64
        .decode(h)
        .map_err(|_| TokenError::Malformed("the header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header)
        .map_err(|_| TokenError::Malformed("the header is not a JSON object with `alg`"))?;
    if header.alg != "HS256" {
        return Err(TokenError::Malformed("only `alg: HS256` is accepted"));
    }
    let sig = B64
        .decode(s)
        .map_err(|_| TokenError::Malformed("the signature is not base64url"))?;
    let mut mac = key.mac();
    mac.update(h.as_bytes());
    mac.update(b".");
    mac.update(p.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&sig)
        .map_err(|_| TokenError::BadSignature)?;
    let payload = B64
        .decode(p)
        .map_err(|_| TokenError::Malformed("the payload is not base64url"))?;
    let claims: Claims = serde_json::from_slice(&payload).map_err(|_| {
        TokenError::Malformed(
            "the payload lacks a required claim (sub, kind, tenants, aud, iat, exp)",
        )
    })?;
    if claims.exp + LEEWAY_SECS < now {
        return Err(TokenError::Expired(claims.exp));
    }
    if claims.aud != audience {
        return Err(TokenError::WrongAudience {
            expected: audience.to_owned(),
            got: claims.aud,
        });
    }
    claims.tenant_grant()?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new(vec![7u8; 32]).unwrap()
    }

    fn acme() -> TenantGrant {
        TenantGrant::Only(vec![TenantId::parse("acme").unwrap()])
    }

    #[test]
    fn round_trip_and_caller() {
        let claims = Claims::new(
            "emp-1f3a",
            TokenKind::Employee,
            &acme(),
            "omega",
            Duration::from_secs(60),
        );
        let tok = issue(&key(), &claims);
        let back = verify(&key(), &tok, "omega").unwrap();
        assert_eq!(back, claims);
        let caller = back.to_caller().unwrap();
        assert_eq!(caller.kind, CallerKind::Employee);
        assert_eq!(caller.id, "employee:emp-1f3a");
        assert_eq!(caller.tenants, acme());
    }

    #[test]
    fn each_failure_is_distinct() {
        let k = key();
        let claims = Claims::new(
            "s",
            TokenKind::Service,
            &acme(),
            "omega",
            Duration::from_secs(60),
        );
        let tok = issue(&k, &claims);
        let reason = |r: Result<Claims, TokenError>| r.unwrap_err().reason();
        assert_eq!(reason(verify(&k, "abc", "omega")), "malformed");
        assert_eq!(reason(verify(&k, "a.b.c", "omega")), "malformed");
        let other = TokenKey::new(vec![8u8; 32]).unwrap();
        assert_eq!(reason(verify(&other, &tok, "omega")), "bad_signature");
        assert_eq!(reason(verify(&k, &tok, "elsewhere")), "wrong_audience");
        assert_eq!(
            reason(verify_at(&k, &tok, "omega", claims.exp + LEEWAY_SECS + 1)),
            "expired"
        );
        assert!(verify_at(&k, &tok, "omega", claims.exp + LEEWAY_SECS).is_ok());
        // Tampered payload: signature no longer matches.
        let mut parts: Vec<String> = tok.split('.').map(str::to_owned).collect();
        let mut forged = claims.clone();
        forged.tenants = vec!["*".into()];
        parts[1] = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            reason(verify(&k, &parts.join("."), "omega")),
            "bad_signature"
        );
        // alg none is refused even with an empty signature.
        let none = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), parts[1]);
        assert_eq!(reason(verify(&k, &none, "omega")), "malformed");
        let globex = TenantId::parse("globex").unwrap();
        let err = claims.require_tenant(&globex).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TENANT_FORBIDDEN);
        assert_eq!(
            err.to_omega().data.extra.unwrap()["reason"],
            "tenant_forbidden"
        );
        assert_eq!(
            TokenError::Missing.to_omega().code,
            ErrorCode::UNAUTHENTICATED
        );
        assert!(matches!(
            TokenKey::new(vec![1u8; 8]),
            Err(TokenError::WeakKey(8))
        ));
        assert_eq!(format!("{k:?}"), "TokenKey(<redacted>)");
    }

    #[test]
    fn dev_key_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = TokenKey::dev(dir.path()).unwrap();
        let b = TokenKey::dev(dir.path()).unwrap();
        assert_eq!(a.0, b.0);
        let claims = Claims::new(
            "ops",
            TokenKind::Operator,
            &TenantGrant::All,
            "omega",
            Duration::from_secs(60),
        );
        assert!(verify(&b, &issue(&a, &claims), "omega").is_ok());
        assert_ne!(TokenKey::generate().0, a.0);
        let from_secret = TokenKey::from_secret(&a.to_hex_secret()).unwrap();
        assert_eq!(from_secret.0, a.0);
        assert_eq!(
            TokenKey::from_secret(&Secret::new("not hex")).unwrap_err(),
            TokenError::KeyNotHex
        );
    }
}
