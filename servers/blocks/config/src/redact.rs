//! Rendering a configuration without its secret values.
//!
//! A key listed in [`SECRET_KEYS`] holds a secret *value* and is replaced by
//! [`REDACTED`] wherever it occurs; the password (or bare token) of every
//! URL with credentials (`redis://:pw@host`) is replaced too. Keys in
//! [`SECRET_NAME_KEYS`] hold the *name* of a secret kept elsewhere and are
//! shown. A test walks the JSON Schema of `omega.toml` and fails when a key
//! that looks like a secret is in neither list, so a new secret field cannot
//! be printed by mistake.

/// What a secret value is replaced by.
pub const REDACTED: &str = "<redacted>";

/// Keys whose values are secrets (webhook signing and shared secrets).
pub const SECRET_KEYS: &[&str] = &[
    "zendeskSecret",
    "servicenowSecret",
    "salesforceCdcSecret",
    "kaseyaSecret",
];

/// Keys that look like secrets but hold the *name* of a secret (an
/// environment variable, a file, a Key Vault or Kubernetes secret), or a
/// count of tokens; their values are shown.
pub const SECRET_NAME_KEYS: &[&str] = &[
    "apiKeySecret",
    // Paths of files holding a key (the file is the secret, not its name).
    "tokenKeyFile",
    "keyFile",
    "sessionAuthSecret",
    "keyVaultSecrets",
    "keyVaultName",
    "redisPasswordSecret",
    "maxOutputTokens",
    "maxTokens",
];

/// Replaces every secret value in `value`, in place.
pub(crate) fn redact(value: &mut toml::Value) {
    match value {
        toml::Value::Table(table) => {
            for (key, v) in table.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *v = toml::Value::String(REDACTED.to_owned());
                } else {
                    redact(v);
                }
            }
        }
        toml::Value::Array(items) => items.iter_mut().for_each(redact),
        toml::Value::String(s) => {
            if let Some(clean) = redact_url_credentials(s) {
                *s = clean;
            }
        }
        _ => {}
    }
}

/// `scheme://user:password@host…` → `scheme://user:<redacted>@host…`, and
/// `scheme://token@host…` → `scheme://<redacted>@host…`. `None` when `s` is
/// not a URL with credentials.
pub(crate) fn redact_url_credentials(s: &str) -> Option<String> {
    let scheme_end = s.find("://")?;
    let scheme = &s[..scheme_end];
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let start = scheme_end + 3;
    let rest = &s[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    let userinfo = match authority[..at].split_once(':') {
        Some((user, _)) => format!("{user}:{REDACTED}"),
        None => REDACTED.to_owned(),
    };
    Some(format!("{}{userinfo}{}", &s[..start], &rest[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials() {
        let r = |s: &str| redact_url_credentials(s);
        assert_eq!(
            r("redis://:hunter2@cache:6379/0").as_deref(),
            Some("redis://:<redacted>@cache:6379/0")
        );
        assert_eq!(
            r("rediss://default:pw@cache:6380").as_deref(),
            Some("rediss://default:<redacted>@cache:6380")
        );
        assert_eq!(
            r("https://tok@host/a@b").as_deref(),
            Some("https://<redacted>@host/a@b")
        );
        assert_eq!(r("redis://cache:6379"), None);
        assert_eq!(r("http://host/path@x"), None);
        assert_eq!(r("not a url @ all"), None);
    }
}
