//! Tenant identifiers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, OmegaError};

/// The id of one MSP customer (tenant). Every stored value belongs to exactly
/// one tenant.
///
/// A tenant id is 1 to 64 characters of lowercase ASCII letters, digits, `-`
/// and `_`, starting with a letter or digit. The restricted alphabet means a
/// tenant id can be used in keys, paths and URLs without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(transparent)]
#[schemars(transparent)]
pub struct TenantId(
    #[schemars(
        regex(pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$"),
        length(min = 1, max = 64)
    )]
    String,
);

impl TenantId {
    /// The longest accepted tenant id.
    pub const MAX_LEN: usize = 64;

    /// Parses and validates a tenant id.
    pub fn parse(raw: &str) -> Result<Self, OmegaError> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && raw.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(OmegaError::new(
                ErrorCode::TENANT_REQUIRED,
                format!("`{}` is not a valid tenant id", raw.escape_default()),
            )
            .with_field("tenant")
            .with_hint(
                "use 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit",
            ))
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        TenantId::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl std::str::FromStr for TenantId {
    type Err = OmegaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TenantId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_simple_ids_and_refuses_the_rest() {
        for ok in ["acme", "t1", "globex-eu_2", "0day"] {
            assert!(TenantId::parse(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in ["", "Acme", "a b", "../x", "-x", "a/b", long.as_str(), "é"] {
            let err = TenantId::parse(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::TENANT_REQUIRED, "{bad}");
        }
    }
}
