//! Per-tenant ingest secrets and the Zendesk trigger-body field map.

use std::collections::HashMap;
use std::num::NonZeroUsize;

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The default tolerance for webhook timestamps: 5 minutes.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// The default of [`IngestConfig::max_items_per_delivery`]: 100 tickets.
pub const DEFAULT_MAX_ITEMS_PER_DELIVERY: usize = 100;

/// Ingest configuration, embedded in `omega.toml`:
///
/// ```toml
/// [ingest]
/// signatureToleranceSecs = 300
/// maxItemsPerDelivery = 100
///
/// [ingest.tenants.acme]
/// zendeskSecret = "dGhpcyBpcyBhIHNlY3JldA=="
/// salesforceOrgId = "00D5e000000KQ2eEAG"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngestConfig {
    /// How far a signed timestamp may be from the server clock, in seconds,
    /// before the delivery is refused as a replay (default 300).
    #[serde(default = "default_tolerance")]
    pub signature_tolerance_secs: u64,
    /// The most items (tickets) one webhook delivery may carry (default 100,
    /// at least 1): Salesforce outbound `Notification`s, Salesforce CDC
    /// events and their `recordIds`, Kaseya BMS ticket arrays, ServiceNow
    /// `result` arrays. A delivery with more is refused whole with 413
    /// `payload_too_large` naming the limit and the count, and nothing of it
    /// is stored. Salesforce outbound messages are also held to Salesforce's
    /// own maximum of 100 notifications.
    #[serde(default = "default_max_items")]
    pub max_items_per_delivery: NonZeroUsize,
    /// Secrets and mappings per tenant. A tenant missing here is refused.
    #[serde(default)]
    pub tenants: HashMap<TenantId, TenantSecrets>,
}

fn default_tolerance() -> u64 {
    DEFAULT_TOLERANCE_SECS
}

fn default_max_items() -> NonZeroUsize {
    NonZeroUsize::new(DEFAULT_MAX_ITEMS_PER_DELIVERY).unwrap_or(NonZeroUsize::MIN)
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            signature_tolerance_secs: DEFAULT_TOLERANCE_SECS,
            max_items_per_delivery: default_max_items(),
            tenants: HashMap::new(),
        }
    }
}

impl IngestConfig {
    /// The tenant's secrets, or `tenant_unknown`.
    pub fn tenant(&self, tenant: &TenantId) -> Result<&TenantSecrets, OmegaError> {
        self.tenants.get(tenant).ok_or_else(|| {
            OmegaError::new(
                ErrorCode::TENANT_UNKNOWN,
                format!("tenant `{tenant}` has no ingest configuration"),
            )
            .with_field("tenant")
            .with_hint(format!("add [ingest.tenants.{tenant}] to omega.toml"))
        })
    }

    /// The Zendesk field map of a tenant (the default when the tenant is not configured).
    pub fn zendesk_field_map(&self, tenant: &TenantId) -> ZendeskFieldMap {
        self.tenants
            .get(tenant)
            .map(|t| t.zendesk_field_map.clone())
            .unwrap_or_default()
    }
}

/// One tenant's webhook secrets. Every platform is refused until its secret
/// (or, for Salesforce outbound messages, the org id) is set. `Debug` redacts
/// the secrets.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantSecrets {
    /// The Zendesk webhook's signing secret (Admin Center > Webhooks > Reveal secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zendesk_secret: Option<String>,
    /// Shared secret for the ServiceNow business rule (`X-Omega-Signature` HMAC or `X-Omega-Secret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servicenow_secret: Option<String>,
    /// The Salesforce organization id (15 or 18 characters) outbound messages must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salesforce_org_id: Option<String>,
    /// Shared secret for relayed Salesforce Change Data Capture events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salesforce_cdc_secret: Option<String>,
    /// The Kaseya BMS webhook's secret (Admin > Integrations > Webhooks > Secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kaseya_secret: Option<String>,
    /// Where the fields of a Zendesk trigger/automation webhook body are.
    #[serde(default)]
    pub zendesk_field_map: ZendeskFieldMap,
}

impl std::fmt::Debug for TenantSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn set(v: &Option<String>) -> &'static str {
            if v.is_some() { "<set>" } else { "<unset>" }
        }
        f.debug_struct("TenantSecrets")
            .field("zendesk_secret", &set(&self.zendesk_secret))
            .field("servicenow_secret", &set(&self.servicenow_secret))
            .field("salesforce_org_id", &self.salesforce_org_id)
            .field("salesforce_cdc_secret", &set(&self.salesforce_cdc_secret))
            .field("kaseya_secret", &set(&self.kaseya_secret))
            .field("zendesk_field_map", &self.zendesk_field_map)
            .finish()
    }
}

/// JSON pointers (RFC 6901) into a Zendesk trigger webhook's tenant-defined
/// body. The defaults match this body template:
///
/// ```json
/// {"ticket": {
///   "id": "{{ticket.id}}",
///   "title": "{{ticket.title}}",
///   "description": "{{ticket.description}}",
///   "priority": "{{ticket.priority}}",
///   "status": "{{ticket.status}}",
///   "type": "{{ticket.ticket_type}}",
///   "tags": "{{ticket.tags}}",
///   "requester_email": "{{ticket.requester.email}}",
///   "created_at": "{{ticket.created_at_with_timestamp}}",
///   "updated_at": "{{ticket.updated_at_with_timestamp}}"
/// }}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ZendeskFieldMap {
    /// The ticket id (required).
    pub id: String,
    /// The subject line (required).
    pub title: String,
    /// The description (first comment).
    pub description: String,
    /// `urgent`, `high`, `normal` or `low` (any case).
    pub priority: String,
    /// The status.
    pub status: String,
    /// The ticket type, kept as the category.
    pub category: String,
    /// Tags: an array, or the space-separated string `{{ticket.tags}}` gives.
    pub tags: String,
    /// The requester's e-mail address (pseudonymized).
    pub requester_email: String,
    /// Creation time (ISO 8601). At least one of the two times is required.
    pub created_at: String,
    /// Last update time (ISO 8601).
    pub updated_at: String,
}

impl Default for ZendeskFieldMap {
    fn default() -> Self {
        Self {
            id: "/ticket/id".into(),
            title: "/ticket/title".into(),
            description: "/ticket/description".into(),
            priority: "/ticket/priority".into(),
            status: "/ticket/status".into(),
            category: "/ticket/type".into(),
            tags: "/ticket/tags".into(),
            requester_email: "/ticket/requester_email".into(),
            created_at: "/ticket/created_at".into(),
            updated_at: "/ticket/updated_at".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_camel_case_and_refuses_unknown_keys() {
        let cfg: IngestConfig = serde_json::from_value(serde_json::json!({
            "tenants": {"acme": {
                "zendeskSecret": "s3cret",
                "zendeskFieldMap": {"title": "/subject"}
            }}
        }))
        .unwrap();
        assert_eq!(cfg.signature_tolerance_secs, 300);
        assert_eq!(cfg.max_items_per_delivery.get(), 100);
        let acme = TenantId::parse("acme").unwrap();
        let t = cfg.tenant(&acme).unwrap();
        assert_eq!(t.zendesk_field_map.title, "/subject");
        assert_eq!(t.zendesk_field_map.id, "/ticket/id");
        assert!(!format!("{t:?}").contains("s3cret"));

        let bad = serde_json::from_value::<IngestConfig>(serde_json::json!({
            "tenants": {"acme": {"zendeskSecrett": "x"}}
        }));
        assert!(bad.is_err());
        let err = cfg.tenant(&TenantId::parse("globex").unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::TENANT_UNKNOWN);
    }

    #[test]
    fn the_item_cap_is_set_and_never_zero() {
        let cfg: IngestConfig =
            serde_json::from_value(serde_json::json!({"maxItemsPerDelivery": 7})).unwrap();
        assert_eq!(cfg.max_items_per_delivery.get(), 7);
        let zero =
            serde_json::from_value::<IngestConfig>(serde_json::json!({"maxItemsPerDelivery": 0}));
        assert!(zero.is_err());
        assert_eq!(IngestConfig::default().max_items_per_delivery.get(), 100);
    }
}
