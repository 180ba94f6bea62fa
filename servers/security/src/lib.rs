//! OMEGA security building blocks, used by every server through the shared
//! stack (`omega-stack`) and by the `omega` binary:
//!
//! - [`certs`]: a deployment CA on disk, server and client certificates with
//!   a SPIFFE-style identity (`omega certs init|issue`, the dev CA of `omega up`);
//! - [`identity`]: the identity (role, instance, tenant scope) read from a
//!   peer's certificate, never from request data, and its [`omega_stack::Caller`];
//! - [`tls`]: rustls server and client configurations (ring provider) that
//!   reload when their files change, and the peer identity after a handshake;
//! - [`token`]: signed bearer tokens (JWT, HS256) for MCP clients and the dashboard;
//! - [`layer`]: the identity middleware (certificate, else bearer token, else
//!   401 with the MCP/RFC 9728 discovery hints) and the protected resource metadata;
//! - [`policy`]: roles, grants and tenant lists from configuration; deny by default;
//! - [`secrets`]: where keys come from (environment, files, Azure Key Vault);
//! - [`bench`]: the TLS handshake-rate measurement.
//!
//! Failures that reach a client carry stable [`omega_protocol::ErrorCode`]s
//! (`unauthenticated`, `forbidden`, `tenant_forbidden`).

pub mod bench;
pub mod certs;
pub mod identity;
pub mod layer;
pub mod policy;
pub mod secrets;
pub mod tls;
pub mod token;

pub use certs::{Ca, CertKind, CertSpec, DevPki, IssuedCert};
pub use identity::{Identity, IdentityError, PeerIdentity, TRUST_DOMAIN};
pub use layer::{IdentityLayer, IdentityService, ResourceServer};
pub use policy::{Policy, PolicyConfig};
pub use secrets::{Secret, SecretError, SecretSource};

pub use tls::{ClientAuth, ReloadingClientConfig, ReloadingServerConfig, TlsError, TlsFiles};
pub use token::{Claims, TokenError, TokenKey, TokenKind};

/// Installs nothing global: every configuration in this crate names the ring
/// provider explicitly, so no process-wide default provider is needed.
pub(crate) fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
