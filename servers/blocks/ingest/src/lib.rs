//! Webhook payload parsing, signature checks and normalization for Kaseya BMS,
//! Zendesk, ServiceNow and Salesforce.
//!
//! This crate is the pure library behind `POST /ingest/{platform}/{tenant}`:
//! it does no network I/O, holds no queue and reads no clock (the caller
//! passes `now`). The endpoint calls it in three steps:
//!
//! 1. [`verify`] checks that the request really comes from the tenant's
//!    platform account (HMAC signatures, shared secrets or, for Salesforce
//!    outbound messages, the organization id allow-list).
//! 2. [`parse`] checks the payload's syntax and shape and returns one
//!    [`RawDelivery`] per ticket it carries, each with a `delivery_id` to
//!    deduplicate retries ([`delivery_key`] gives the key of the whole
//!    request). It refuses a body with more than `maxItemsPerDelivery` items.
//!    It is cheap, so the endpoint can answer quickly: store the raw bytes
//!    once, then answer with [`ack_response`].
//! 3. [`normalize`] (or [`normalize_raw`] from the stored bytes, in a later
//!    step, which reads them with [`parse_accepted`]) turns each delivery into an [`omega_protocol::Ticket`]: priorities
//!    mapped onto P1..P4 (the source value is kept), HTML stripped, the
//!    requester replaced by a keyed pseudonym.
//!
//! ServiceNow can also be polled: [`ServiceNowPoller`] builds the Table API
//! URL from a watermark and parses each page; the caller owns the HTTP client.
//!
//! Authentication per platform (see `README.md` in this crate for details):
//!
//! | platform | check |
//! |---|---|
//! | Zendesk | `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)), timestamp within the tolerance |
//! | ServiceNow | `X-Omega-Signature` = HMAC-SHA256(secret, body) (base64 or hex), or `X-Omega-Secret` = secret |
//! | Salesforce outbound messages | `OrganizationId` in the body equals the tenant's org id (Salesforce does not sign them) |
//! | Salesforce CDC (relayed JSON) | same as ServiceNow, with the tenant's CDC secret |
//! | Kaseya BMS | `Signature` = HMAC-SHA256(secret, body) (base64 or hex) |

mod config;
mod delivery;
mod draft;
mod errors;
mod html;
mod json;
mod kaseya;
mod pipeline;
mod priority;
mod pseudonym;
mod salesforce;
mod servicenow;
mod signature;
mod time;
mod zendesk;

pub use config::{DEFAULT_MAX_ITEMS_PER_DELIVERY, IngestConfig, TenantSecrets, ZendeskFieldMap};
pub use delivery::{PlatformRecord, RawDelivery, delivery_key};
pub use errors::http_status;
pub use html::strip_html;
pub use kaseya::BmsTicket;
pub use pipeline::{
    ack_response, normalize, normalize_raw, parse, parse_accepted, parse_platform, verify,
};
pub use priority::{kaseya_priority, salesforce_priority, servicenow_priority, zendesk_priority};
pub use pseudonym::{HmacPseudonymizer, Pseudonymizer};
pub use salesforce::{
    CaseOrigin, MAX_OUTBOUND_NOTIFICATIONS, SOAP_ACK, SOAP_CONTENT_TYPE, SalesforceCase,
};
pub use servicenow::{PollPage, ServiceNowIncident, ServiceNowPoller, sn_field};
pub use signature::{
    KASEYA_SIGNATURE_HEADER, OMEGA_SECRET_HEADER, OMEGA_SIGNATURE_HEADER, ZENDESK_SIGNATURE_HEADER,
    ZENDESK_TIMESTAMP_HEADER, sign_base64,
};
pub use zendesk::{ZendeskEvent, ZendeskTicketFields, ZendeskTrigger};
