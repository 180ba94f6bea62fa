//! Integration tests for omega-security: real TLS handshakes on loopback,
//! the identity layer behind the shared listener, bearer tokens, policy,
//! certificate reload and the Key Vault backend against a fake vault.

mod bearer;
mod certs_files;
mod harness;
mod keyvault;
mod mtls;
mod reload;
