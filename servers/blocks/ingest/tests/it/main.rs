//! Integration tests for omega-ingest: real-shaped fixtures per platform,
//! signature checks, error codes and never-panic property tests.

mod ack;
mod caps;
mod errors;
mod fuzz;
mod kaseya;
mod salesforce;
mod servicenow;
mod verify;
mod zendesk;

use std::collections::HashMap;

use omega_ingest::{HmacPseudonymizer, IngestConfig, TenantSecrets};
use omega_protocol::TenantId;

/// The Zendesk signing secret of tenant `acme`.
pub const ZENDESK_SECRET: &str = "dGhpc19pc19hX3plbmRlc2tfc2VjcmV0";
/// The ServiceNow shared secret of tenant `acme`.
pub const SN_SECRET: &str = "sn-shared-secret-1";
/// The Salesforce org id of tenant `acme` (configured in its 15-character form).
pub const SF_ORG: &str = "00D5e000000KQ2eEAG";
/// The Salesforce CDC relay secret of tenant `acme`.
pub const SF_CDC_SECRET: &str = "cdc-relay-secret";
/// The Kaseya BMS webhook secret of tenant `acme`.
pub const KASEYA_SECRET: &str = "bms webhook s3cret!";

/// Reads `tests/fixtures/{path}`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The tenant every test uses.
pub fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

/// `acme` with every secret set, `bare` with none.
pub fn config() -> IngestConfig {
    let mut tenants = HashMap::new();
    tenants.insert(
        acme(),
        TenantSecrets {
            zendesk_secret: Some(ZENDESK_SECRET.into()),
            servicenow_secret: Some(SN_SECRET.into()),
            salesforce_org_id: Some(SF_ORG[..15].into()),
            salesforce_cdc_secret: Some(SF_CDC_SECRET.into()),
            kaseya_secret: Some(KASEYA_SECRET.into()),
            zendesk_field_map: Default::default(),
        },
    );
    tenants.insert(TenantId::parse("bare").unwrap(), TenantSecrets::default());
    IngestConfig {
        tenants,
        ..IngestConfig::default()
    }
}

/// The pseudonymizer every test uses.
pub fn pseudonymizer() -> HmacPseudonymizer {
    HmacPseudonymizer::new(b"test key test key test key test key")
}
