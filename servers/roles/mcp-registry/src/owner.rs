//! Who may change a server name's records: the identity that first
//! published it, or an operator.

use omega_protocol::{ErrorCode, OmegaError};
use omega_stack::{Caller, CallerKind};

/// Whether `caller` may publish versions of, or change the status of, a
/// server owned by `owner`.
///
/// Records stored before the registry recorded owners (`owner` is `None`)
/// belong to nobody: only operators may change them, and anonymous callers,
/// who exist only with `[server.tls] mode = "off"`, where every call comes
/// from the same identity and the registry behaves as before.
pub(crate) fn may_change(owner: Option<&str>, caller: &Caller) -> bool {
    caller.kind == CallerKind::Operator
        || match owner {
            Some(owner) => owner == caller.id,
            None => caller.kind == CallerKind::Anonymous,
        }
}

/// Refuses `caller`'s change (`what`, e.g. "publish versions of") of server
/// `name` unless it may make it. `field` names the input field to blame.
pub(crate) fn check(
    name: &str,
    owner: Option<&str>,
    caller: &Caller,
    what: &str,
    field: &str,
) -> Result<(), OmegaError> {
    if may_change(owner, caller) {
        return Ok(());
    }
    let err = match owner {
        Some(_) => OmegaError::new(
            ErrorCode::FORBIDDEN,
            format!(
                "server `{name}` is owned by the identity that first published it; `{}` may not {what} it",
                caller.id
            ),
        )
        .with_hint(
            "only the identity that published a server name, or an operator, may publish its versions or change their status",
        ),
        None => OmegaError::new(
            ErrorCode::FORBIDDEN,
            format!(
                "server `{name}` was published before the registry recorded owners and is owned by nobody; `{}` may not {what} it",
                caller.id
            ),
        )
        .with_hint(
            "only an operator may change a server published before owners were recorded; publish under another name to own it",
        ),
    };
    Err(err.with_field(field))
}
