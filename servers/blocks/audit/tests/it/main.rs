//! Integration tests for omega-audit.

mod azure;
mod log;
mod tamper;

use omega_audit::{AuditEvent, Outcome};
use omega_protocol::{ErrorCode, TenantId};

/// A realistic event number `i`.
pub fn event(i: u64) -> AuditEvent {
    let base = AuditEvent::new(
        "spiffe://omega.local/ns/prod/sa/triage",
        "tool.call",
        format!("ticket.get/T{i}"),
    )
    .tenant(TenantId::parse("acme").unwrap())
    .details(serde_json::json!({"ticket": format!("INC{i:07}"), "latencyMs": i % 97}));
    if i % 10 == 3 {
        base.outcome(Outcome::Denied {
            code: ErrorCode::FORBIDDEN,
        })
    } else {
        base
    }
}
