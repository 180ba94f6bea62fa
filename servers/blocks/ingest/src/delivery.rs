//! One parsed delivery: the dedupe key and the platform's record.

use omega_protocol::{SourcePlatform, TenantId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::kaseya::BmsTicket;
use crate::salesforce::SalesforceCase;
use crate::servicenow::ServiceNowIncident;
use crate::zendesk::{ZendeskEvent, ZendeskTrigger};

/// One ticket-carrying item of a webhook delivery, as [`crate::parse`] returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RawDelivery {
    /// The platform that sent it.
    pub platform: SourcePlatform,
    /// The tenant it was sent for.
    pub tenant: TenantId,
    /// The key to deduplicate retries with, unique per platform and tenant:
    /// Zendesk event id; `trigger:{ticket id}:{body hash}` for Zendesk trigger
    /// webhooks; Salesforce Notification Id; `{transactionKey}:{sequenceNumber}:{recordId}`
    /// for Salesforce CDC; `{sys_id}:{sys_updated_on}` for ServiceNow;
    /// `{Id}:{updated time or body hash}` for Kaseya BMS.
    pub delivery_id: String,
    /// The platform's ticket id (becomes `Ticket::external_id`).
    pub external_id: String,
    /// The platform record, as parsed.
    pub record: PlatformRecord,
}

/// The platform record a delivery carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum PlatformRecord {
    /// A Zendesk event-subscription webhook (`zen:event-type:ticket.*`).
    ZendeskEvent(ZendeskEvent),
    /// A Zendesk trigger/automation webhook with a tenant-defined body.
    ZendeskTrigger(ZendeskTrigger),
    /// A ServiceNow incident (pushed or polled).
    ServiceNowIncident(ServiceNowIncident),
    /// A Salesforce Case (outbound message or CDC event).
    SalesforceCase(SalesforceCase),
    /// A Kaseya BMS ticket.
    KaseyaTicket(BmsTicket),
}

/// The dedupe key of a whole request, from the keys of the items it carries
/// (as [`crate::parse`] returned them): the item's own key for a request with
/// one item, `batch:{n}:{hash}` for several, where the hash (128 bits of
/// SHA-256) covers the sorted item keys. A retry of the same request gets
/// the same key whatever the order of its items; a request that carries
/// other items (a re-batched retry) gets another one. `None` for no items.
pub fn delivery_key(deliveries: &[RawDelivery]) -> Option<String> {
    match deliveries {
        [] => None,
        [one] => Some(one.delivery_id.clone()),
        many => {
            let mut ids: Vec<&str> = many.iter().map(|d| d.delivery_id.as_str()).collect();
            ids.sort_unstable();
            let mut h = Sha256::new();
            for id in &ids {
                h.update((id.len() as u64).to_be_bytes());
                h.update(id.as_bytes());
            }
            Some(format!(
                "batch:{}:{}",
                ids.len(),
                hex::encode(&h.finalize()[..16])
            ))
        }
    }
}
