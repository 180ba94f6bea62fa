#![allow(missing_docs)]
//! Integration tests for the storage backends.

mod embedded;
mod redis;

use omega_protocol::TenantId;
use omega_store::Scope;

pub fn tenant(id: &str) -> Scope {
    Scope::Tenant(TenantId::parse(id).unwrap())
}
