//! The audit hook of the server stack: every call of a state-changing MCP
//! tool becomes one record.

use omega_stack::{CallerKind, ToolAudit, ToolCallAudit, ToolOutcome};

use crate::log::AuditLog;
use crate::record::{AuditEvent, Outcome};

/// The record of a tool call: `actor` is the caller's id and `actorKind`
/// its kind, `action` the tool's name, `target` the role that served it,
/// `tenant` the resolved tenant, `outcome` the result (denied or failed
/// with the code the caller saw). No arguments are recorded.
pub fn tool_event(call: &ToolCallAudit<'_>) -> AuditEvent {
    let kind = match call.caller.kind {
        CallerKind::Anonymous => "anonymous",
        CallerKind::Service => "service",
        CallerKind::Employee => "employee",
        CallerKind::Operator => "operator",
    };
    let outcome = match call.outcome {
        ToolOutcome::Ok => Outcome::Ok,
        ToolOutcome::Denied(code) => Outcome::Denied { code },
        ToolOutcome::Error(code) => Outcome::Error { code },
    };
    let event = AuditEvent::new(call.caller.id.clone(), call.tool, call.role)
        .actor_kind(kind)
        .outcome(outcome);
    match call.tenant {
        Some(t) => event.tenant(t.clone()),
        None => event,
    }
}

impl ToolAudit for AuditLog {
    /// Appends without waiting for the disk (the next group commit writes
    /// it). A log that stopped or was closed cannot take it: that is logged
    /// as an error, and the tool call itself is not failed.
    fn tool_called(&self, call: &ToolCallAudit<'_>) {
        if let Err(e) = self.append(tool_event(call)) {
            tracing::error!(
                error = %e,
                role = call.role,
                tool = call.tool,
                caller = %call.caller.id,
                "audit record of a tool call lost"
            );
        }
    }
}
