//! Hooks for authentication and authorization. The stack calls them; the
//! security crate implements them (certificates, bearer tokens, policy).
//! The defaults are for development on loopback: everyone is the anonymous
//! caller and every tool is allowed.

use axum::response::Response;

use crate::Caller;

/// Decides who is calling, from the request's headers and the connection's
/// peer certificates ([`crate::PeerCertificates`] in the extensions).
pub trait Authenticator: Send + Sync + 'static {
    /// The caller, or the response that refuses the request (typically 401
    /// with a `WWW-Authenticate` header). Boxed: refusals are the cold path.
    fn authenticate(&self, request: &http::request::Parts) -> Result<Caller, Box<Response>>;
}

/// Decides which tools a caller may see and call.
pub trait Authorizer: Send + Sync + 'static {
    /// Whether `caller` may call `tool` on the role named `role`. A tool the
    /// caller may not call is also hidden from `tools/list`.
    fn may_call(&self, caller: &Caller, role: &str, tool: &str) -> bool;
}

/// Development authentication: every request is the anonymous caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct DevAuthenticator;

impl Authenticator for DevAuthenticator {
    fn authenticate(&self, _request: &http::request::Parts) -> Result<Caller, Box<Response>> {
        Ok(Caller::anonymous())
    }
}

/// Development authorization: every tool is allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn may_call(&self, _caller: &Caller, _role: &str, _tool: &str) -> bool {
        true
    }
}
