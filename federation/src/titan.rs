//! How the federation reaches Titans: through a [`TitanRouter`] the
//! deployment plugs in (the orchestrator, or a plain registry of Titan
//! adapters). The federation only adds tenant checks and deadlines.

use futures::future::BoxFuture;
use omega_protocol::{OmegaError, ReachableTitan, TitanCallRequest, TitanCallResult};

/// Calls Titans by name, or chooses one by policy.
pub trait TitanRouter: Send + Sync + 'static {
    /// Calls the Titan named `titan`, or (for `None`) the one policy
    /// chooses. Errors keep the protocol's codes (`not_found` for an
    /// unknown Titan, `upstream_failed` naming each cause when every
    /// candidate failed, `budget_exhausted`, ...).
    fn call<'a>(
        &'a self,
        titan: Option<&'a str>,
        request: &'a TitanCallRequest,
    ) -> BoxFuture<'a, Result<TitanCallResult, OmegaError>>;

    /// The Titans a caller may use.
    fn reachable(&self) -> Vec<ReachableTitan>;
}
