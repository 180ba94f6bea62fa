//! Keyed, per-tenant pseudonyms for people (requesters, employees, contacts).
//!
//! A pseudonym is `psn_` followed by 20 lowercase base32 characters (100 bits)
//! of `HMAC-SHA256(tenant_key, normalized_identity)`, where
//! `tenant_key = HMAC-SHA256(master_secret, "omega/pseudonym/v1/" || tenant)`.
//!
//! Properties:
//!
//! - **Stable.** The same person in the same tenant always gets the same
//!   pseudonym, because identities are normalized first (see [`normalize_identity`]).
//! - **Unlinkable across tenants.** Each tenant has its own derived key, so the
//!   same e-mail address in two tenants yields two unrelated pseudonyms.
//! - **No reverse lookup.** A pseudonym is a keyed one-way hash: nothing in
//!   OMEGA stores the identity next to it, and without the master secret it
//!   cannot even be recomputed from a guessed identity. With the secret, the
//!   only way "back" is to pseudonymize a candidate identity and compare.
//! - **Erasure by pseudonym.** To erase one data subject (GDPR art. 17), the
//!   operator supplies the identity once; [`Pseudonymizer::pseudonym`] gives the
//!   key under which every store indexed the subject's data, and the stores
//!   delete by that key. The identity itself never needs to be stored.
//!
//! Rotating the master secret changes every pseudonym; treat it as a long-lived
//! secret (a Key Vault secret in production).

use hmac::{Hmac, Mac};
use omega_protocol::TenantId;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of every pseudonym.
pub const PSEUDONYM_PREFIX: &str = "psn_";

/// The number of base32 characters after the prefix (100 bits).
pub const PSEUDONYM_CHARS: usize = 20;

/// The shortest accepted master secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// Why a [`Pseudonymizer`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PseudonymError {
    /// The master secret is too short to be a key.
    #[error(
        "the pseudonym master secret is {len} bytes; use at least {MIN_SECRET_LEN} random bytes"
    )]
    SecretTooShort {
        /// The length that was given.
        len: usize,
    },
}

/// Derives per-tenant pseudonyms from one master secret.
///
/// `Debug` never prints the secret.
#[derive(Clone)]
pub struct Pseudonymizer {
    master: HmacSha256,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer { master: <redacted> }")
    }
}

impl Pseudonymizer {
    /// A pseudonymizer keyed by `master_secret` (at least [`MIN_SECRET_LEN`] bytes).
    pub fn new(master_secret: &[u8]) -> Result<Self, PseudonymError> {
        if master_secret.len() < MIN_SECRET_LEN {
            return Err(PseudonymError::SecretTooShort {
                len: master_secret.len(),
            });
        }
        let master =
            HmacSha256::new_from_slice(master_secret).expect("HMAC accepts keys of any length");
        Ok(Self { master })
    }

    /// The tenant's derived key.
    fn tenant_key(&self, tenant: &TenantId) -> HmacSha256 {
        let mut mac = self.master.clone();
        mac.update(b"omega/pseudonym/v1/");
        mac.update(tenant.as_str().as_bytes());
        let key = mac.finalize().into_bytes();
        HmacSha256::new_from_slice(&key).expect("HMAC accepts keys of any length")
    }

    /// The pseudonym of `identity` (e-mail, UPN, account name, phone number,
    /// display name) within `tenant`. The identity is normalized first.
    pub fn pseudonym(&self, tenant: &TenantId, identity: &str) -> String {
        let mut mac = self.tenant_key(tenant);
        mac.update(normalize_identity(identity).as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(PSEUDONYM_PREFIX.len() + PSEUDONYM_CHARS);
        out.push_str(PSEUDONYM_PREFIX);
        base32_prefix(&digest, PSEUDONYM_CHARS, &mut out);
        out
    }
}

/// Whether `s` has the shape of a pseudonym (`psn_` + 20 base32 characters).
pub fn is_pseudonym(s: &str) -> bool {
    s.strip_prefix(PSEUDONYM_PREFIX).is_some_and(|rest| {
        rest.len() == PSEUDONYM_CHARS && rest.bytes().all(|b| BASE32.contains(&b))
    })
}

/// Normalizes an identity so that spellings of the same person agree:
///
/// - surrounding whitespace is trimmed and inner runs of whitespace become one space;
/// - a `mailto:` prefix is dropped;
/// - everything is lowercased (e-mail addresses, UPNs, `DOMAIN\user` accounts
///   and display names are case-insensitive in the directories MSPs use);
/// - a phone number (only digits, spaces, `-`, `.`, `(`, `)` and a leading `+`,
///   with at least 7 digits) keeps only its digits and leading `+`.
///
/// Not done: Unicode normalization (NFC), `+tag` sub-addressing, or mapping
/// a national phone number to its international form; those spellings give
/// different pseudonyms.
pub fn normalize_identity(identity: &str) -> String {
    let trimmed = identity.trim();
    let trimmed = trimmed
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("mailto:"))
        .map_or(trimmed, |_| &trimmed[7..]);
    let is_phone = trimmed.bytes().filter(u8::is_ascii_digit).count() >= 7
        && trimmed.char_indices().all(|(i, c)| {
            c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')') || (c == '+' && i == 0)
        });
    if is_phone {
        return trimmed
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
    }
    trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Appends the first `chars` RFC 4648 base32 characters (lowercase) of `bytes`.
fn base32_prefix(bytes: &[u8], chars: usize, out: &mut String) {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut written = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
            written += 1;
            if written == chars {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Pseudonymizer {
        Pseudonymizer::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn t(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    #[test]
    fn same_person_same_pseudonym_after_normalization() {
        let p = p();
        let a = p.pseudonym(&t("acme"), "Jane.Doe@Example.com");
        assert!(is_pseudonym(&a), "{a}");
        assert_eq!(a, p.pseudonym(&t("acme"), "  jane.doe@example.COM \n"));
        assert_eq!(a, p.pseudonym(&t("acme"), "mailto:jane.doe@example.com"));
        assert_ne!(a, p.pseudonym(&t("acme"), "john.doe@example.com"));
        let ph = p.pseudonym(&t("acme"), "+1 (555) 123-4567");
        assert_eq!(ph, p.pseudonym(&t("acme"), "+1-555-123-4567"));
        assert_eq!(
            p.pseudonym(&t("acme"), "ACME\\JDoe"),
            p.pseudonym(&t("acme"), "acme\\jdoe")
        );
        assert_eq!(
            p.pseudonym(&t("acme"), "Jane   Doe"),
            p.pseudonym(&t("acme"), "jane doe")
        );
    }

    #[test]
    fn tenants_and_secrets_separate_pseudonyms() {
        let p = p();
        let a = p.pseudonym(&t("acme"), "jane@example.com");
        let b = p.pseudonym(&t("globex"), "jane@example.com");
        assert_ne!(a, b);
        let other = Pseudonymizer::new(&[7u8; 32]).unwrap();
        assert_ne!(a, other.pseudonym(&t("acme"), "jane@example.com"));
    }

    #[test]
    fn short_secret_is_refused_and_debug_hides_it() {
        assert_eq!(
            Pseudonymizer::new(b"short").unwrap_err(),
            PseudonymError::SecretTooShort { len: 5 }
        );
        assert!(!format!("{:?}", p()).contains("0123"));
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 section 10: BASE32("foobar") = "MZXW6YTBOI======".
        let mut s = String::new();
        base32_prefix(b"foobar", 9, &mut s);
        assert_eq!(s, "mzxw6ytbo");
        assert!(!is_pseudonym("psn_short"));
        assert!(!is_pseudonym("psn_ABCDEFGHIJKLMNOPQRST"));
    }
}
