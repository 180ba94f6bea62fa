//! Showing a URL without its credentials.
//!
//! Every Redis URL that can reach an error message, a log line, a `Debug`
//! rendering or `/readyz` goes through [`redact_url`] first (the store's
//! [`RedisKv`](crate::RedisKv) and the queue's Redis Streams backend).
//!
//! `omega_config` renders configuration files with its own redaction;
//! this crate cannot depend on `omega-config`, and needs stricter rules for
//! URLs it did not parse itself: a password may hold characters that are
//! not allowed unescaped (`/`, `?`, `@`), and Redis also takes credentials
//! in the query (`redis+unix:///run/redis.sock?user=u&pass=p`).

/// What credentials are replaced by.
pub const REDACTED: &str = "<redacted>";

/// Query parameters whose values are credentials.
const SECRET_PARAMS: &[&str] = &["pass", "password", "user", "username"];

/// `url` with its credentials replaced by [`REDACTED`]:
///
/// - the userinfo, user name and password together
///   (`redis://user:pw@host:6379/0` → `redis://<redacted>@host:6379/0`,
///   also `redis://:pw@host` and `redis://token@host`). Everything up to
///   the **last** `@` counts as userinfo, so a password with an unescaped
///   `@`, `/` or `?` is still hidden (an `@` in a path or query hides more
///   than needed, never less);
/// - the values of the query parameters `pass`, `password`, `user` and
///   `username` (`redis+unix:///s.sock?user=u&pass=p`).
///
/// The scheme, host, port, path and the other parameters are kept, so the
/// result still says which server was meant.
pub fn redact_url(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let (head, rest) = url.split_at(start);
    let mut out = String::with_capacity(url.len() + REDACTED.len());
    out.push_str(head);
    let rest = match rest.rfind('@') {
        Some(at) if at > 0 => {
            out.push_str(REDACTED);
            &rest[at..]
        }
        _ => rest,
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    out.push_str(before_query);
    if let Some(query) = query {
        let (query, fragment) = match query.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (query, None),
        };
        out.push('?');
        for (i, param) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match param.split_once('=') {
                Some((key, _)) if SECRET_PARAMS.contains(&key.to_ascii_lowercase().as_str()) => {
                    out.push_str(key);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(param),
            }
        }
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(fragment);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_replaced_whole() {
        let cases = [
            (
                "redis://user:hunter2@127.0.0.1:1/",
                "redis://<redacted>@127.0.0.1:1/",
            ),
            (
                "redis://:hunter2@cache:6379/0",
                "redis://<redacted>@cache:6379/0",
            ),
            (
                "rediss://default:hunter2@cache.example:6380",
                "rediss://<redacted>@cache.example:6380",
            ),
            ("redis://hunter2@cache", "redis://<redacted>@cache"),
            // Unescaped `@`, `/`, `?` in the password.
            ("redis://u:hun@ter2@cache:1", "redis://<redacted>@cache:1"),
            ("redis://u:hun/ter2@cache:1", "redis://<redacted>@cache:1"),
            ("redis://u:hun?ter2@cache:1", "redis://<redacted>@cache:1"),
            // No scheme at all.
            ("u:hunter2@cache:1", "<redacted>@cache:1"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn credentials_in_the_query_are_replaced() {
        assert_eq!(
            redact_url("redis+unix:///run/redis.sock?db=2&user=u&pass=hunter2#f"),
            "redis+unix:///run/redis.sock?db=2&user=<redacted>&pass=<redacted>#f"
        );
        assert_eq!(
            redact_url("unix:///s.sock?PASSWORD=hunter2"),
            "unix:///s.sock?PASSWORD=<redacted>"
        );
        assert_eq!(
            redact_url("redis://u:p@h:1/0?pass=hunter2"),
            "redis://<redacted>@h:1/0?pass=<redacted>"
        );
    }

    #[test]
    fn urls_without_credentials_are_unchanged() {
        for url in [
            "redis://127.0.0.1:6379",
            "redis://cache:6379/0?protocol=resp3",
            "rediss://cache.example:6380/",
            "not-a-url",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
