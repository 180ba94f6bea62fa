//! Who may change a registered agent: the identity that registered it, or an
//! operator.

use omega_protocol::{ErrorCode, OmegaError};
use omega_stack::{Caller, CallerKind};

/// Whether `caller` may heartbeat or deregister an agent owned by `owner`.
///
/// Agents stored before registries had owners (`owner` is `None`) belong to
/// nobody: only operators may change them, and anonymous callers, who exist
/// only with `[server.tls] mode = "off"`, where every call comes from the
/// same identity and the registry behaves as before.
pub(crate) fn may_change(owner: Option<&str>, caller: &Caller) -> bool {
    caller.kind == CallerKind::Operator
        || match owner {
            Some(owner) => owner == caller.id,
            None => caller.kind == CallerKind::Anonymous,
        }
}

/// Refuses `caller`'s change of agent `agent_id` unless it may make it.
pub(crate) fn check(
    agent_id: &str,
    owner: Option<&str>,
    caller: &Caller,
) -> Result<(), OmegaError> {
    if may_change(owner, caller) {
        return Ok(());
    }
    let err = match owner {
        Some(_) => OmegaError::new(
            ErrorCode::FORBIDDEN,
            format!(
                "agent `{agent_id}` is owned by the identity that registered it; `{}` may not heartbeat or deregister it",
                caller.id
            ),
        )
        .with_hint("only the identity that registered an agent, or an operator, may heartbeat or deregister it"),
        None => OmegaError::new(
            ErrorCode::FORBIDDEN,
            format!(
                "agent `{agent_id}` was registered before the registry recorded owners and is owned by nobody; `{}` may not heartbeat or deregister it",
                caller.id
            ),
        )
        .with_hint("only an operator may change an agent registered before owners were recorded; register a new instance with agent_register to own it"),
    };
    Err(err.with_field("agentId"))
}
