//! Small validation helpers shared by the record types (crate-private).

use crate::error::{ErrorCode, OmegaError};

/// A [`ErrorCode::SCHEMA_VIOLATION`] naming `field`, with a hint.
pub(crate) fn violation(
    field: impl Into<String>,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> OmegaError {
    OmegaError::new(ErrorCode::SCHEMA_VIOLATION, message)
        .with_field(field)
        .with_hint(hint)
}

/// Fails when `value` is empty or only whitespace.
pub(crate) fn non_empty(field: &str, value: &str) -> Result<(), OmegaError> {
    if value.trim().is_empty() {
        Err(violation(
            field,
            format!("`{field}` is empty"),
            format!("give `{field}` a non-empty value"),
        ))
    } else {
        Ok(())
    }
}

/// Whether `raw` is an absolute `http` or `https` URL with a host and no
/// credentials or whitespace. Braces are allowed so that URL templates such
/// as `https://{host}/mcp` pass; they are substituted before use.
pub(crate) fn is_http_url(raw: &str) -> bool {
    let rest = if let Some(rest) = raw.strip_prefix("https://") {
        rest
    } else if let Some(rest) = raw.strip_prefix("http://") {
        rest
    } else {
        return false;
    };
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        // `[::1]:8080` and `host:443`; a bare IPv6 literal keeps its colons.
        Some((host, port))
            if !authority.ends_with(']') && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => authority,
    };
    !host.is_empty() && !authority.contains('@')
}

/// Fails unless `value` is an absolute http(s) URL.
pub(crate) fn http_url(field: &str, value: &str) -> Result<(), OmegaError> {
    if is_http_url(value) {
        Ok(())
    } else {
        Err(violation(
            field,
            format!(
                "`{field}` is not an absolute http(s) URL: `{}`",
                value.escape_default()
            ),
            "use an absolute URL such as https://host.example/path, without credentials",
        ))
    }
}

/// Whether `raw` looks like a version range or tag rather than one concrete
/// version (`^1.2`, `~1`, `>=1.0`, `1.x`, `1.*`, `1.0 - 2.0`, `latest`).
pub(crate) fn is_version_range(raw: &str) -> bool {
    let v = raw.trim();
    v.eq_ignore_ascii_case("latest")
        || v.starts_with(['^', '~', '>', '<', '=', '*'])
        || v.contains("||")
        || v.contains(' ')
        || v.split(['.', '-', '+'])
            .any(|part| part == "x" || part == "X" || part == "*")
}

/// Whether `raw` is a dotted numeric version with one to three parts and an
/// optional `-pre` / `+build` suffix: `1`, `1.0`, `1.0.2`, `2.1.0-alpha.1`.
pub(crate) fn is_plain_version(raw: &str) -> bool {
    let core_end = raw.find(['-', '+']).unwrap_or(raw.len());
    let (core, suffix) = raw.split_at(core_end);
    let parts: Vec<&str> = core.split('.').collect();
    let core_ok = (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let suffix_ok = suffix.is_empty()
        || (suffix.len() > 1
            && suffix[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'+'));
    core_ok && suffix_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://a.example",
            "http://127.0.0.1:8080/a2a",
            "https://[::1]:9000/x",
            "https://{host}/mcp",
            "https://api.example.com/mcp?x=1",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "",
            "ftp://a.example",
            "https://",
            "https:///path",
            "https://user:pw@a.example/",
            "https://a b.example",
            "a.example/path",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn versions() {
        for range in [
            "^1.0",
            "~1.2.3",
            ">=1",
            "1.x",
            "1.*",
            "latest",
            "1.0 - 2.0",
            "1 || 2",
        ] {
            assert!(is_version_range(range), "{range}");
        }
        for exact in ["1.0.2", "2.1.0-alpha", "0.3", "1.0.0+build.5", "2025.1.1"] {
            assert!(!is_version_range(exact), "{exact}");
            assert!(is_plain_version(exact), "{exact}");
        }
        for bad in ["", "v1", "1..2", "1.2.3.4", "1.0-", "one"] {
            assert!(!is_plain_version(bad), "{bad}");
        }
    }
}
