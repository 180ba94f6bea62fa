//! Replacing requester identities with keyed pseudonyms.

use hmac::{Hmac, Mac};
use omega_protocol::TenantId;
use sha2::Sha256;

/// Turns a platform identity (an e-mail address, or `{platform}-user:{id}` when
/// only a user id is known) into a stable pseudonymous id. The ingest endpoint
/// passes its own implementation (OMEGA's privacy service); any
/// `Fn(&TenantId, &str) -> String` closure works too.
pub trait Pseudonymizer {
    /// The pseudonym of `identity` within `tenant`.
    fn pseudonym(&self, tenant: &TenantId, identity: &str) -> String;
}

impl<F> Pseudonymizer for F
where
    F: Fn(&TenantId, &str) -> String,
{
    fn pseudonym(&self, tenant: &TenantId, identity: &str) -> String {
        self(tenant, identity)
    }
}

/// A simple default: `req_` + the first 16 bytes (hex) of
/// `HMAC-SHA256(key, tenant || 0x00 || trimmed lowercase identity)`.
///
/// `Debug` never prints the key.
#[derive(Clone)]
pub struct HmacPseudonymizer {
    mac: Hmac<Sha256>,
}

impl HmacPseudonymizer {
    /// A pseudonymizer keyed by `key` (use at least 32 random bytes).
    pub fn new(key: impl AsRef<[u8]>) -> Self {
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self { mac }
    }
}

impl std::fmt::Debug for HmacPseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacPseudonymizer { key: <redacted> }")
    }
}

impl Pseudonymizer for HmacPseudonymizer {
    fn pseudonym(&self, tenant: &TenantId, identity: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(tenant.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(identity.trim().to_lowercase().as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("req_{}", hex::encode(&digest[..16]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_tenant_and_case_insensitive() {
        let p = HmacPseudonymizer::new(b"0123456789abcdef0123456789abcdef");
        let acme = TenantId::parse("acme").unwrap();
        let globex = TenantId::parse("globex").unwrap();
        let a = p.pseudonym(&acme, "Jane@Example.com ");
        assert_eq!(a, p.pseudonym(&acme, "jane@example.com"));
        assert_ne!(a, p.pseudonym(&globex, "jane@example.com"));
        assert!(a.starts_with("req_") && a.len() == 36, "{a}");
        assert!(!a.contains("jane"));
        assert!(!format!("{p:?}").contains("0123"));
        let other = HmacPseudonymizer::new(b"another key");
        assert_ne!(a, other.pseudonym(&acme, "jane@example.com"));
    }

    #[test]
    fn closures_are_pseudonymizers() {
        let f = |t: &TenantId, id: &str| format!("{t}/{}", id.len());
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(Pseudonymizer::pseudonym(&f, &acme, "abc"), "acme/3");
    }
}
