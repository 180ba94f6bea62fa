//! Ordering server versions to find the latest.

use std::cmp::Ordering;

/// A parsed `major.minor.patch[-pre][+build]` version.
#[derive(Debug, PartialEq, Eq)]
struct Semver<'a> {
    core: [u64; 3],
    pre: Option<&'a str>,
}

fn parse(v: &str) -> Option<Semver<'_>> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let v = v.split_once('+').map_or(v, |(core, _)| core);
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let mut parts = core.split('.');
    let mut out = [0u64; 3];
    for slot in &mut out {
        *slot = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some(Semver { core: out, pre })
}

/// Compares two versions when both are semantic versions; `None` otherwise.
pub(crate) fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a)?, parse(b)?);
    Some(a.core.cmp(&b.core).then_with(|| match (a.pre, b.pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_semver_with_prereleases_first() {
        assert_eq!(compare("1.10.0", "1.9.3"), Some(Ordering::Greater));
        assert_eq!(compare("2.0.0-beta", "2.0.0"), Some(Ordering::Less));
        assert_eq!(compare("v1.2.3", "1.2.3+build5"), Some(Ordering::Equal));
        assert_eq!(compare("2024-01", "1.0.0"), None);
    }
}
