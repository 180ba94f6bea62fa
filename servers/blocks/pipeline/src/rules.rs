//! Suggested actions by category, and the priority fallback.
//!
//! Categories are the eight of the bundled seed (and of the IT ticket data):
//! Hardware, HR Support, Access, Miscellaneous, Storage, Purchase, Internal
//! Project, Administrative rights. A tenant's own categories get the generic
//! rule. An action is `automatic` only when it is safe without a human:
//! routing to a queue, a self-service password reset or unlock, asking for
//! information. Granting rights, buying things and escalating always need one.

use omega_protocol::{ActionKind, Priority, SuggestedAction};

fn action(kind: ActionKind, automatic: bool, description: &str) -> SuggestedAction {
    SuggestedAction {
        kind,
        description: description.to_owned(),
        automatic,
    }
}

fn mentions(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// Suggested actions for a ticket of `category` with `text` (lowercased by the caller)
/// at `priority`, most useful first.
pub fn suggest_actions(category: &str, text: &str, priority: Priority) -> Vec<SuggestedAction> {
    use ActionKind::*;
    let mut out = Vec::new();
    if priority == Priority::P1 {
        out.push(action(
            Escalate,
            false,
            "Page the on-call engineer: the ticket is marked critical.",
        ));
    }
    match category.to_ascii_lowercase().as_str() {
        "access" => {
            if mentions(text, &["locked", "lockout", "locked out"]) {
                out.push(action(UnlockAccount, true, "Unlock the requester's account through self-service and confirm they can sign in."));
            } else if mentions(text, &["password", "reset", "expired"]) {
                out.push(action(
                    ResetPassword,
                    true,
                    "Send the requester a self-service password reset link.",
                ));
            } else {
                out.push(action(
                    GrantAccess,
                    false,
                    "Grant the requested access after the resource owner approves it.",
                ));
            }
        }
        "administrative rights" => {
            out.push(action(
                GrantAccess,
                false,
                "Grant temporary local administrator rights once the manager approves.",
            ));
            out.push(action(
                RequestInfo,
                true,
                "Ask which software needs administrator rights and for how long.",
            ));
        }
        "hardware" => {
            out.push(action(
                AssignQueue,
                true,
                "Route to the hardware desk queue.",
            ));
            out.push(action(
                OrderHardware,
                false,
                "Order a replacement if the device cannot be repaired.",
            ));
        }
        "storage" => {
            out.push(action(
                AssignQueue,
                true,
                "Route to the storage and backup team queue.",
            ));
        }
        "purchase" => {
            out.push(action(
                AssignQueue,
                true,
                "Route to procurement with the requested items.",
            ));
        }
        "hr support" => {
            out.push(action(
                AssignQueue,
                true,
                "Route to the HR service desk queue.",
            ));
        }
        "internal project" => {
            out.push(action(
                AssignQueue,
                true,
                "Route to the project's delivery queue.",
            ));
        }
        "miscellaneous" => {
            out.push(action(
                RequestInfo,
                true,
                "Ask the requester for details: what they tried and what they expected.",
            ));
        }
        _ => {
            out.push(action(
                AssignQueue,
                false,
                "Route to the queue that owns this category.",
            ));
        }
    }
    out
}

/// A priority from the text when neither the platform nor the model gives one.
pub fn fallback_priority(text: &str) -> Priority {
    if mentions(
        text,
        &[
            "outage",
            "down for everyone",
            "all users",
            "production down",
            "ransomware",
        ],
    ) {
        Priority::P1
    } else if mentions(
        text,
        &[
            "urgent",
            "asap",
            "cannot work",
            "can't work",
            "not working",
            "failed",
        ],
    ) {
        Priority::P2
    } else if mentions(
        text,
        &["question", "request", "would like", "when possible"],
    ) {
        Priority::P4
    } else {
        Priority::P3
    }
}

/// Parses `P1`..`P4` (any case).
pub fn parse_priority(label: &str) -> Option<Priority> {
    Priority::ALL
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(label.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tickets_get_self_service_first() {
        let a = suggest_actions("Access", "my account is locked out", Priority::P3);
        assert_eq!(a[0].kind, ActionKind::UnlockAccount);
        assert!(a[0].automatic);
        let a = suggest_actions("access", "password expired", Priority::P3);
        assert_eq!(a[0].kind, ActionKind::ResetPassword);
        let a = suggest_actions("Access", "need the finance share", Priority::P3);
        assert_eq!(a[0].kind, ActionKind::GrantAccess);
        assert!(!a[0].automatic);
    }

    #[test]
    fn critical_tickets_escalate_first_and_unknown_categories_need_a_human() {
        let a = suggest_actions("Hardware", "server down", Priority::P1);
        assert_eq!(a[0].kind, ActionKind::Escalate);
        assert!(!a[0].automatic);
        let a = suggest_actions("Billing", "invoice", Priority::P3);
        assert!(!a[0].automatic);
    }

    #[test]
    fn priorities() {
        assert_eq!(
            fallback_priority("email outage for all users"),
            Priority::P1
        );
        assert_eq!(fallback_priority("printer not working"), Priority::P2);
        assert_eq!(fallback_priority("a question about vpn"), Priority::P4);
        assert_eq!(fallback_priority("monitor flickers"), Priority::P3);
        assert_eq!(parse_priority(" p2"), Some(Priority::P2));
        assert_eq!(parse_priority("high"), None);
    }
}
