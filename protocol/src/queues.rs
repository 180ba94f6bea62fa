//! Names of the work queues OMEGA's roles exchange messages on. They are part
//! of the contract between producers and consumers (the ingest endpoint, the
//! pipeline's stages, the dashboard and its teams) and of the deployment (the
//! KEDA triggers scale the teams on them), so every crate takes them from here.

/// Raw webhook deliveries, written before the 2xx (ingest → normalizer).
pub const RAW: &str = "ticket-raw";
/// Normalized, redacted, pseudonymized tickets (normalizer → router).
pub const NORMALIZED: &str = "ticket-normalized";
/// Tickets for the triage team (router → triage).
pub const TRIAGE: &str = "ticket-triage";
/// Tickets for the classification team: abstained or reopened (triage, dashboard → classification).
pub const CLASSIFY: &str = "ticket-classify";
/// Triaged tickets whose first action may run automatically.
pub const AUTO_ACTION: &str = "auto-action";
/// Triaged tickets an employee should look at (pipeline → dashboard review queue).
pub const NEEDS_REVIEW: &str = "needs-review";
/// Employee activity events (dashboard → shadow team).
pub const EMPLOYEE_ACTIVITY: &str = "employee-activity";
/// Report jobs (dashboard scheduler → analytics team).
pub const ANALYTICS_JOBS: &str = "analytics-jobs";

/// Every queue above, in the order a ticket meets them (the operations view's order).
pub const ALL: [&str; 8] = [
    RAW,
    NORMALIZED,
    TRIAGE,
    CLASSIFY,
    NEEDS_REVIEW,
    AUTO_ACTION,
    EMPLOYEE_ACTIVITY,
    ANALYTICS_JOBS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_valid_queue_names() {
        let mut seen = std::collections::HashSet::new();
        for name in ALL {
            // omega-queue's rule: 1..=200 of ASCII letters, digits, '.', '_', '-';
            // '.dlq' is the dead-letter suffix, so no name may end in it.
            assert!(
                !name.is_empty()
                    && name.len() <= 200
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                    && !name.ends_with(".dlq"),
                "{name}"
            );
            assert!(seen.insert(name), "{name} twice");
        }
    }
}
