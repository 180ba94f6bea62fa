//! OMEGA security building blocks. The secrets module is in use (the Titan
//! roles read their API keys through it); the server parts (certificates,
//! TLS, tokens, the identity layer, the policy) are built and tested here
//! but not yet put in force on the running roles:
//!
//! - [`certs`]: a deployment CA on disk, server and client certificates with
//!   a SPIFFE-style identity;
//! - [`identity`]: the identity (role, instance, tenant scope) read from a
//!   peer's certificate, never from request data, and its [`omega_stack::Caller`];
//! - [`tls`]: rustls server and client configurations (ring provider) that
//!   reload when their files change, and the peer identity after a handshake;
//! - [`token`]: signed bearer tokens (JWT, HS256) for MCP clients and the dashboard;
//! - [`layer`]: the identity middleware (certificate, else bearer token, else
//!   401 with the MCP/RFC 9728 discovery hints) and the protected resource metadata;
//! - [`policy`]: roles, grants and tenant lists from configuration; deny by default;
//! - [`secrets`]: where keys come from (environment, files, Azure Key Vault),
//!   the one secrets module of the workspace (the Titans read their API keys
//!   through it too);
//! - [`bench`]: the TLS handshake-rate measurement.
//!
//! Everything but [`secrets`] is behind the default `server` feature; without
//! it the crate is only the secrets module, with no dependency beyond the
//! HTTPS client Key Vault needs.
//!
//! Failures that reach a client carry stable [`omega_protocol::ErrorCode`]s
//! (`unauthenticated`, `forbidden`, `tenant_forbidden`).

#[cfg(feature = "server")]
pub mod bench;
#[cfg(feature = "server")]
pub mod certs;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
pub mod layer;
#[cfg(feature = "server")]
pub mod policy;
pub mod secrets;
#[cfg(feature = "server")]
pub mod tls;
#[cfg(feature = "server")]
pub mod token;

#[cfg(feature = "server")]
pub use certs::{Ca, CertKind, CertSpec, DevPki, IssuedCert};
#[cfg(feature = "server")]
pub use identity::{Identity, IdentityError, PeerIdentity, TRUST_DOMAIN};
#[cfg(feature = "server")]
pub use layer::{IdentityLayer, IdentityService, LayerAuthenticator, ResourceServer};
#[cfg(feature = "server")]
pub use policy::{Policy, PolicyConfig};
pub use secrets::{Secret, SecretError, SecretSource};

#[cfg(feature = "server")]
pub use tls::{ClientAuth, ReloadingClientConfig, ReloadingServerConfig, TlsError, TlsFiles};
#[cfg(feature = "server")]
pub use token::{Claims, TokenError, TokenKey, TokenKind};

/// Installs nothing global: every configuration in this crate names the ring
/// provider explicitly, so no process-wide default provider is needed.
#[cfg(feature = "server")]
pub(crate) fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
