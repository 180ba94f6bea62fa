//! Each platform's priority scheme mapped onto OMEGA's P1..P4.

use omega_protocol::Priority;

/// Zendesk: `urgent` → P1, `high` → P2, `normal` → P3, `low` → P4 (any case).
pub fn zendesk_priority(raw: &str) -> Option<Priority> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "urgent" => Some(Priority::P1),
        "high" => Some(Priority::P2),
        "normal" => Some(Priority::P3),
        "low" => Some(Priority::P4),
        _ => None,
    }
}

/// ServiceNow: `1` (Critical) → P1, `2` (High) → P2, `3` (Moderate) → P3,
/// `4` (Low) and `5` (Planning) → P4. Display values such as `1 - Critical`
/// are read by their leading digit.
pub fn servicenow_priority(raw: &str) -> Option<Priority> {
    match raw.trim().chars().next()? {
        '1' => Some(Priority::P1),
        '2' => Some(Priority::P2),
        '3' => Some(Priority::P3),
        '4' | '5' => Some(Priority::P4),
        _ => None,
    }
}

/// Salesforce Case priority picklist: `Critical`/`Urgent` → P1, `High` → P2,
/// `Medium`/`Normal` → P3, `Low` → P4 (any case).
pub fn salesforce_priority(raw: &str) -> Option<Priority> {
    by_name(raw)
}

/// Kaseya BMS priority names: `Critical`/`Emergency`/`Urgent` → P1,
/// `High` → P2, `Medium`/`Normal`/`Moderate` → P3, `Low`/`Planning` → P4; a
/// name that contains one of these words (`P1 - Critical`, `High Priority`)
/// or starts with `P1`..`P4` or a digit 1..4 maps the same way.
pub fn kaseya_priority(raw: &str) -> Option<Priority> {
    by_name(raw)
        .or_else(|| by_word(raw))
        .or_else(|| by_rank(raw))
}

fn by_name(raw: &str) -> Option<Priority> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "critical" | "urgent" | "emergency" => Some(Priority::P1),
        "high" => Some(Priority::P2),
        "medium" | "normal" | "moderate" => Some(Priority::P3),
        "low" | "planning" => Some(Priority::P4),
        _ => None,
    }
}

fn by_word(raw: &str) -> Option<Priority> {
    let lower = raw.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .find_map(by_name)
}

fn by_rank(raw: &str) -> Option<Priority> {
    let t = raw.trim();
    let rest = t.strip_prefix(['p', 'P']).unwrap_or(t);
    match rest.chars().next()? {
        '1' => Some(Priority::P1),
        '2' => Some(Priority::P2),
        '3' => Some(Priority::P3),
        '4' => Some(Priority::P4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Priority::*;

    #[test]
    fn zendesk() {
        for (raw, p) in [("urgent", P1), ("HIGH", P2), ("Normal", P3), ("low", P4)] {
            assert_eq!(zendesk_priority(raw), Some(p), "{raw}");
        }
        assert_eq!(zendesk_priority("-"), None);
    }

    #[test]
    fn servicenow() {
        for (raw, p) in [
            ("1", P1),
            ("2", P2),
            ("3", P3),
            ("4", P4),
            ("5", P4),
            ("1 - Critical", P1),
        ] {
            assert_eq!(servicenow_priority(raw), Some(p), "{raw}");
        }
        assert_eq!(servicenow_priority(""), None);
        assert_eq!(servicenow_priority("9"), None);
    }

    #[test]
    fn salesforce() {
        for (raw, p) in [("Critical", P1), ("High", P2), ("Medium", P3), ("Low", P4)] {
            assert_eq!(salesforce_priority(raw), Some(p), "{raw}");
        }
        assert_eq!(salesforce_priority("Whenever"), None);
    }

    #[test]
    fn kaseya() {
        for (raw, p) in [
            ("Critical", P1),
            ("High", P2),
            ("Medium", P3),
            ("Low", P4),
            ("P1 - Critical", P1),
            ("High Priority", P2),
            ("3", P3),
            ("p4", P4),
        ] {
            assert_eq!(kaseya_priority(raw), Some(p), "{raw}");
        }
        assert_eq!(kaseya_priority("Whenever"), None);
    }
}
