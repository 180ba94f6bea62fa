//! Redaction of personal data in free text (ticket subjects, bodies, notes).
//!
//! [`redact`] replaces each finding with a typed placeholder and counts the
//! findings per [`PiiKind`]. Detectors run in a fixed order on the text left by
//! the previous ones (credentials in URLs, e-mail, IBAN, IPv6, MAC, IPv4, card,
//! SSN, phone, secrets, names), and the whole sequence repeats until nothing
//! changes, so `redact(redact(x).text).text == redact(x).text`.
//!
//! # What is redacted
//!
//! | kind | placeholder | rule |
//! |---|---|---|
//! | URL userinfo | `https://[CREDENTIALS]@host` | `scheme://user[:pass]@` |
//! | e-mail | `[EMAIL]` | `local@domain.tld` |
//! | IBAN | `[IBAN]` | upper-case, optional spaces per 4, known country length, mod-97 check |
//! | IPv6 | `[IP]` | parses as IPv6 (`::`-compressed, zone ids, embedded IPv4) |
//! | MAC | `[MAC]` | six hex pairs joined by all `:` or all `-` (a device id ties to a person) |
//! | IPv4 | `[IP]` | dotted quad, every octet 0-255 without leading zeros, see below |
//! | card | `[CARD]` | 13-19 digits, optional space/dash groups of 4 (or Amex 4-6-5), card-network prefix, Luhn |
//! | SSN | `[SSN]` | `AAA-GG-SSSS`, valid area/group/serial |
//! | phone | `[PHONE]` | `+CC …` (8-15 digits), US `(555) 123-4567` / `555-123-4567`, national `0…` with consistent separators (9-12 digits), or bare digits right after a phone word (`tel`, `phone`, `mobile`, `call`, …) |
//! | secret | `[SECRET]` | the value after `password:`, `pwd=`, `api key:`, `token:`, `pin:` … |
//! | name | `[NAME]` | after "my name is", on a `Name:` line, or the line after a closing ("Regards,", "Thanks,") |
//!
//! **IPv4 versus version numbers.** A dotted quad is an address only when each
//! octet is `0..=255` without a leading zero, it is not part of a longer dotted
//! chain (`1.2.3.4.5`), it is not followed by a pre-release suffix
//! (`1.2.3.4-beta`, `1.2.3.4+build7`), and the word before it is not a version
//! word (`v`, `ver`, `version`, `build`, `release`, `rev`, `firmware`, `fw`,
//! `driver`, `bios`, `agent`, `patch`). Loopback (`127.x.x.x`, `::1`), the
//! unspecified address, the broadcast address and netmasks (`255.255.255.0`)
//! are kept: they identify nobody and help triage.
//!
//! # What is kept
//!
//! Ticket numbers (`INC0012345`, `CS-10023`, `#4521`, `T20231104.0042`),
//! versions (`10.0.19045`, `v2.3.1`), error codes (`0x80070005`, `404`,
//! `ERR_CONNECTION_RESET`, `KB5034441`), dates and times, order numbers,
//! GUIDs, hashes and certificate fingerprints.
//!
//! # What is NOT caught
//!
//! Names in running text ("ask Sarah in accounting"), postal addresses, dates
//! of birth, account names (`ACME\jdoe`) and host names built from names
//! (`LAPTOP-JSMITH`), national ids other than the US SSN, SSNs written without
//! dashes, lower-case IBANs, cards with unknown network prefixes, obfuscated
//! e-mail ("jane at example dot com"), phone numbers without separators and
//! without a phone word before them, Cisco-style MACs (`0011.2233.4455`), and
//! secrets that are not introduced by a `key: value` label. Treat redacted text
//! as lower-risk, not as anonymous.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

mod checks;

/// A kind of personal data the redactor finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum PiiKind {
    /// The userinfo part of a URL (`user:password@`).
    UrlCredentials,
    /// An e-mail address.
    Email,
    /// An International Bank Account Number.
    Iban,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A MAC (hardware) address.
    Mac,
    /// A payment card number.
    Card,
    /// A US Social Security Number.
    Ssn,
    /// A telephone number.
    Phone,
    /// A password, PIN, token or key given as `label: value`.
    Secret,
    /// A person's name in a recognised position.
    Name,
}

impl PiiKind {
    /// The placeholder that replaces a finding of this kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::UrlCredentials => "[CREDENTIALS]",
            PiiKind::Email => "[EMAIL]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::Ip => "[IP]",
            PiiKind::Mac => "[MAC]",
            PiiKind::Card => "[CARD]",
            PiiKind::Ssn => "[SSN]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Secret => "[SECRET]",
            PiiKind::Name => "[NAME]",
        }
    }
}

/// Redacted text and what was removed from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redacted {
    /// The text with placeholders.
    pub text: String,
    /// How many findings of each kind were replaced (kinds with none are absent).
    pub counts: BTreeMap<PiiKind, usize>,
}

impl Redacted {
    /// How many findings of `kind` were replaced.
    pub fn count(&self, kind: PiiKind) -> usize {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// How many findings were replaced in total.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }
}

/// Decides whether a regex match is a finding, and which byte range to replace.
type Check = fn(text: &str, start: usize, end: usize) -> Option<(usize, usize)>;

struct Rule {
    kind: PiiKind,
    re: Regex,
    /// The capture group to replace; 0 is the whole match.
    group: usize,
    check: Check,
}

/// A compiled set of detectors. Build once and share; [`redact`] uses a global one.
pub struct Redactor {
    rules: Vec<Rule>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("rules", &self.rules.len())
            .finish()
    }
}

/// Compiles `pattern`, making every `\b` an ASCII word boundary (fast on any input).
fn re(pattern: &str) -> Regex {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)")).expect("built-in pattern compiles")
}

fn always(_: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    Some((s, e))
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    /// Compiles the built-in detectors.
    pub fn new() -> Self {
        use PiiKind::*;
        let rule = |kind, pattern: &str, group, check: Check| Rule {
            kind,
            re: re(pattern),
            group,
            check,
        };
        let name = r"[A-Z][a-zA-Z'\-]+(?: [A-Z][a-zA-Z'\-]+){0,2}";
        let rules = vec![
            rule(
                UrlCredentials,
                r"(?i)\b[a-z][a-z0-9+.\-]*://([^\s/?#\[\]]+)@",
                1,
                always,
            ),
            rule(
                Email,
                r"(?i)\b[a-z0-9][a-z0-9._%+\-]*@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b",
                0,
                always,
            ),
            rule(
                Iban,
                r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
                0,
                checks::iban,
            ),
            rule(
                Ip,
                r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9a-f]{1,4})?(?:%[0-9a-z]+)?",
                0,
                checks::ipv6,
            ),
            rule(
                Mac,
                r"(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b|\b[0-9a-f]{2}(?:-[0-9a-f]{2}){5}\b",
                0,
                checks::mac,
            ),
            rule(Ip, r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b", 0, checks::ipv4),
            rule(Card, r"\b[0-9](?:[ \-]?[0-9]){12,18}\b", 0, checks::card),
            rule(Ssn, r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b", 0, checks::ssn),
            rule(
                Phone,
                r"\+[0-9]{1,3}(?:[ .\-]?(?:\([0-9]{1,4}\)[ .\-]?)?[0-9]{1,5}){1,6}\b",
                0,
                checks::phone_international,
            ),
            rule(
                Phone,
                r"(?:\([2-9][0-9]{2}\) ?|\b[2-9][0-9]{2}[\-. ])[0-9]{3}[\-. ][0-9]{4}\b",
                0,
                checks::phone_us,
            ),
            rule(
                Phone,
                r"\b0[1-9][0-9]{0,4}(?:[ \-./]?[0-9]{2,8}){1,4}\b",
                0,
                checks::phone_national,
            ),
            rule(
                Phone,
                r"(?i)\b(?:tel|telephone|phone|mobile|mob|cell|call|ph|fax|whatsapp)\b[^0-9\n]{0,16}([0-9]{9,15})\b",
                1,
                always,
            ),
            rule(
                Secret,
                r"(?i)\b(?:password|passwd|pwd|passcode|pin|api[ _\-]?key|secret|token)\s*[:=]\s*(\S+)",
                1,
                checks::secret,
            ),
            rule(Name, &format!(r"\b(?i:my name is)\s+({name})"), 1, always),
            rule(
                Name,
                &format!(r"(?m)^[ \t]*(?i:(?:full )?name)[ \t]*:[ \t]*({name})[ \t]*\r?$"),
                1,
                always,
            ),
            rule(
                Name,
                &format!(
                    r"(?m)^[ \t]*(?i:(?:best |kind |warm |many )?(?:regards|thanks|thank you|cheers|sincerely|br|greetings))[ \t]*[,.!]?[ \t]*\r?\n[ \t]*({name})[ \t]*\r?$"
                ),
                1,
                always,
            ),
        ];
        Self { rules }
    }

    /// Redacts `text`; see the [module docs](self) for the rules.
    pub fn redact(&self, text: &str) -> Redacted {
        let mut counts = BTreeMap::new();
        let mut current = std::borrow::Cow::Borrowed(text);
        // Repeat until a full round changes nothing (one extra round in practice),
        // so that redaction is idempotent even when one detector's output exposes
        // a match for an earlier one.
        for _ in 0..4 {
            let mut changed = false;
            for rule in &self.rules {
                if let Some(next) = apply(rule, &current, &mut counts) {
                    current = std::borrow::Cow::Owned(next);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Redacted {
            text: current.into_owned(),
            counts,
        }
    }
}

/// Applies one rule; `None` when it found nothing.
fn apply(rule: &Rule, text: &str, counts: &mut BTreeMap<PiiKind, usize>) -> Option<String> {
    let mut out = String::new();
    let mut last = 0;
    let mut found = 0;
    let mut replace = |s: usize, e: usize, out: &mut String| {
        if s < last || s >= e {
            return;
        }
        if let Some((s, e)) = (rule.check)(text, s, e) {
            out.push_str(&text[last..s]);
            out.push_str(rule.kind.placeholder());
            last = e;
            found += 1;
        }
    };
    if rule.group == 0 {
        for m in rule.re.find_iter(text) {
            replace(m.start(), m.end(), &mut out);
        }
    } else {
        for c in rule.re.captures_iter(text) {
            if let Some(m) = c.get(rule.group) {
                replace(m.start(), m.end(), &mut out);
            }
        }
    }
    if found == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    *counts.entry(rule.kind).or_insert(0) += found;
    Some(out)
}

static DEFAULT: LazyLock<Redactor> = LazyLock::new(Redactor::new);

/// Redacts `text` with the built-in detectors (compiled once per process).
pub fn redact(text: &str) -> Redacted {
    DEFAULT.redact(text)
}
