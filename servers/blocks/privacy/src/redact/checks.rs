//! Validators that turn regex candidates into findings (checksums, context rules).

use std::net::{Ipv4Addr, Ipv6Addr};

type Span = Option<(usize, usize)>;

fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn next_char(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// IBAN lengths by country (SWIFT IBAN registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// A known country, the right length and ISO 13616 mod-97 == 1.
pub(super) fn iban(text: &str, s: usize, e: usize) -> Span {
    let compact: Vec<u8> = text[s..e].bytes().filter(|b| *b != b' ').collect();
    let country = std::str::from_utf8(&compact[..2]).ok()?;
    let want = IBAN_LENGTHS.iter().find(|(c, _)| *c == country)?.1;
    if compact.len() != want {
        return None;
    }
    let mut rem: u32 = 0;
    for &b in compact[4..].iter().chain(&compact[..4]) {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    (rem == 1).then_some((s, e))
}

/// Parses as IPv6, stands alone (not `std::io`), and is not `::` or `::1`.
pub(super) fn ipv6(text: &str, s: usize, e: usize) -> Span {
    let candidate = &text[s..e];
    if is_word(prev_char(text, s)) || matches!(prev_char(text, s), Some(':' | '.')) {
        return None;
    }
    if is_word(next_char(text, e)) || matches!(next_char(text, e), Some(':' | '.')) {
        return None;
    }
    let addr: Ipv6Addr = candidate.split('%').next()?.parse().ok()?;
    (!addr.is_loopback() && !addr.is_unspecified()).then_some((s, e))
}

/// Six hex pairs that are not part of a longer fingerprint.
pub(super) fn mac(text: &str, s: usize, e: usize) -> Span {
    let sep = text.as_bytes()[s + 2];
    let joins = |c: Option<char>| c.is_some_and(|c| c as u32 == u32::from(sep));
    (!joins(prev_char(text, s)) && !joins(next_char(text, e))).then_some((s, e))
}

/// Words that make a following dotted quad a version number.
const VERSION_WORDS: &[&str] = &[
    "v", "ver", "version", "build", "release", "rev", "revision", "firmware", "fw", "driver",
    "bios", "agent", "patch",
];

pub(super) fn ipv4(text: &str, s: usize, e: usize) -> Span {
    let candidate = &text[s..e];
    if candidate
        .split('.')
        .any(|o| o.len() > 1 && o.starts_with('0'))
    {
        return None;
    }
    let addr: Ipv4Addr = candidate.parse().ok()?;
    let bytes = text.as_bytes();
    // Part of a longer dotted chain (1.2.3.4.5) on either side.
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    if (bytes.get(e) == Some(&b'.') && digit_at(e + 1))
        || (s >= 2 && bytes[s - 1] == b'.' && digit_at(s - 2))
    {
        return None;
    }
    // Pre-release or build suffix (1.2.3.4-beta, 1.2.3.4+build7).
    if matches!(bytes.get(e), Some(b'-' | b'+'))
        && bytes.get(e + 1).is_some_and(u8::is_ascii_alphabetic)
    {
        return None;
    }
    // Version word before it (build 10.0.0.1, version: 1.2.3.4).
    let before = text[..s].trim_end_matches([' ', '\t', ':', '=', '#', '-']);
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = before[word_start..].to_ascii_lowercase();
    if VERSION_WORDS.contains(&word.as_str()) {
        return None;
    }
    let v = u32::from(addr);
    let netmask = (!v).wrapping_add(1) & !v == 0;
    if addr.is_loopback() || addr.is_broadcast() || netmask {
        return None;
    }
    Some((s, e))
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Card-network prefix, sensible grouping and a Luhn check digit.
pub(super) fn card(text: &str, s: usize, e: usize) -> Span {
    let raw = &text[s..e];
    let digits: Vec<u8> = raw
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    if !(13..=19).contains(&digits.len()) {
        return None;
    }
    let prefix4 = digits[..4].iter().fold(0u32, |a, d| a * 10 + u32::from(*d));
    let network = matches!(digits[0], 3..=6) || (2221..=2720).contains(&prefix4);
    if !network {
        return None;
    }
    let seps: Vec<char> = raw.chars().filter(|c| !c.is_ascii_digit()).collect();
    if let Some(&first) = seps.first() {
        if seps.iter().any(|c| *c != first) {
            return None;
        }
        let groups: Vec<usize> = raw.split(first).map(str::len).collect();
        let fours = groups[..groups.len() - 1].iter().all(|g| *g == 4)
            && (1..=4).contains(&groups[groups.len() - 1]);
        let amex = groups == [4, 6, 5] || groups == [4, 6, 4];
        if !(fours || amex) {
            return None;
        }
    }
    luhn(&digits).then_some((s, e))
}

/// Area not 000, 666 or 9xx; group not 00; serial not 0000.
pub(super) fn ssn(text: &str, s: usize, e: usize) -> Span {
    let t = &text[s..e];
    let (area, group, serial) = (&t[..3], &t[4..6], &t[7..]);
    let ok = area != "000"
        && area != "666"
        && !area.starts_with('9')
        && group != "00"
        && serial != "0000";
    ok.then_some((s, e))
}

fn digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

/// Drops trailing digit groups while the number is too long or runs into a
/// time (`… 4567 10:30`).
fn trim_groups(text: &str, s: usize, mut e: usize, max_digits: usize) -> usize {
    loop {
        let too_long = digit_count(&text[s..e]) > max_digits;
        let into_time = text.as_bytes().get(e) == Some(&b':');
        if !(too_long || into_time) {
            return e;
        }
        match text[s..e].rfind([' ', '-', '.', '/', ')']) {
            Some(i) if i > 0 => e = s + i,
            _ => return s,
        }
    }
}

pub(super) fn phone_international(text: &str, s: usize, e: usize) -> Span {
    if is_word(prev_char(text, s)) || prev_char(text, s) == Some('+') {
        return None;
    }
    let e = trim_groups(text, s, e, 16);
    let e = text[s..e].trim_end_matches([' ', '-', '.', '(']).len() + s;
    (digit_count(&text[s..e]) >= 8).then_some((s, e))
}

/// Whether the candidate continues a longer run of digit groups
/// (`DE88 3704 0044 0532 …`, `1.555-123-4567`).
fn continues_digits(text: &str, s: usize) -> bool {
    let b = text.as_bytes();
    s >= 2 && matches!(b[s - 1], b' ' | b'.' | b'-' | b'/') && b[s - 2].is_ascii_digit()
}

pub(super) fn phone_us(text: &str, s: usize, e: usize) -> Span {
    if continues_digits(text, s) {
        return None;
    }
    (next_char(text, e) != Some(':')).then_some((s, e))
}

pub(super) fn phone_national(text: &str, s: usize, e: usize) -> Span {
    if matches!(prev_char(text, s), Some('.' | '-' | '/' | ':' | '#')) || continues_digits(text, s)
    {
        return None;
    }
    let e = trim_groups(text, s, e, 12);
    let t = &text[s..e];
    let seps: Vec<char> = t.chars().filter(|c| !c.is_ascii_digit()).collect();
    let Some(&first) = seps.first() else {
        return None; // bare digits only count after a phone word
    };
    if seps.iter().any(|c| *c != first) {
        return None;
    }
    (9..=12).contains(&digit_count(t)).then_some((s, e))
}

/// Skips values that are already a placeholder.
pub(super) fn secret(text: &str, s: usize, e: usize) -> Span {
    let v = &text[s..e];
    (!(v.starts_with('[') && v.contains(']'))).then_some((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(f: fn(&str, usize, usize) -> Span, s: &str) -> bool {
        f(s, 0, s.len()).is_some()
    }

    #[test]
    fn luhn_and_card_rules() {
        assert!(luhn(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
        assert!(!luhn(&[4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]));
        assert!(whole(card, "4111-1111-1111-1111"));
        assert!(!whole(card, "4111 1111-1111 1111"), "mixed separators");
        assert!(!whole(card, "41111111 1111 1111"), "odd grouping");
        assert!(
            !whole(card, "1111111111111117"),
            "no card network starts with 1"
        );
    }

    #[test]
    fn iban_checksum_and_length() {
        assert!(whole(iban, "GB82WEST12345698765432"));
        assert!(whole(iban, "NL91 ABNA 0417 1643 00"));
        assert!(!whole(iban, "NL91 ABNA 0417 1643 0"), "too short for NL");
        assert!(!whole(iban, "ZZ91ABNA0417164300"), "unknown country");
    }

    #[test]
    fn ipv4_context_rules() {
        assert!(whole(ipv4, "10.0.0.1"));
        assert!(!whole(ipv4, "10.0.0.256"));
        assert!(!whole(ipv4, "10.00.0.1"), "leading zero");
        assert!(!whole(ipv4, "255.255.240.0"), "netmask");
        assert!(!whole(ipv4, "127.0.0.1"));
        assert!(ipv4("at 8.8.4.4", 3, 10).is_some());
        assert!(ipv4("ver 8.8.4.4", 4, 11).is_none());
        assert!(ipv4("日本 8.8.4.4", 7, 14).is_some());
    }

    #[test]
    fn ssn_rules() {
        assert!(whole(ssn, "078-05-1120"));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "123-00-4567",
            "123-45-0000",
        ] {
            assert!(!whole(ssn, bad), "{bad}");
        }
    }
}
