//! One parsed delivery: the dedupe key and the platform's record.

use omega_protocol::{SourcePlatform, TenantId};
use serde::Serialize;

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
