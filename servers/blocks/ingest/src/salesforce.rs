//! Salesforce: Outbound Messages (SOAP) and Change Data Capture (JSON) for Cases.
//!
//! Outbound messages are not signed by Salesforce. They are authenticated by
//! their `OrganizationId`, which must equal the tenant's `salesforceOrgId`
//! (15- and 18-character forms compare equal). The org id is not a secret, so
//! keep the endpoint URL unguessable and, where possible, accept only
//! Salesforce's published IP ranges in front of OMEGA. CDC events reach OMEGA
//! through a relay (a Pub/Sub API subscriber) that signs them with the
//! tenant's `salesforceCdcSecret` (`X-Omega-Signature` or `X-Omega-Secret`).

mod cdc;
mod outbound;

pub use outbound::MAX_OUTBOUND_NOTIFICATIONS;

use std::collections::BTreeMap;

use omega_protocol::{OmegaError, SourcePlatform, TenantId, Ticket};
use serde::Serialize;
use serde_json::Value;

use crate::delivery::{PlatformRecord, RawDelivery};
use crate::draft::Draft;
use crate::errors::{missing, shape, too_many_items, unauthenticated};
use crate::priority::salesforce_priority;
use crate::pseudonym::Pseudonymizer;

const P: SourcePlatform = SourcePlatform::Salesforce;

/// The content type of [`SOAP_ACK`].
pub const SOAP_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// The answer Salesforce expects to an outbound message: `Ack` true for all
/// its notifications. Anything else makes Salesforce retry for up to 24 hours.
pub const SOAP_ACK: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">"#,
    r#"<soapenv:Body>"#,
    r#"<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">"#,
    r#"<Ack>true</Ack>"#,
    r#"</notificationsResponse>"#,
    r#"</soapenv:Body>"#,
    r#"</soapenv:Envelope>"#
);

/// How a Case reached OMEGA.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "via", rename_all = "camelCase")]
pub enum CaseOrigin {
    /// An Outbound Message notification.
    #[serde(rename_all = "camelCase")]
    OutboundMessage {
        /// `OrganizationId`.
        organization_id: String,
        /// `ActionId` (the workflow rule or flow that sent it).
        action_id: Option<String>,
    },
    /// A Change Data Capture event.
    #[serde(rename_all = "camelCase")]
    ChangeEvent {
        /// `CREATE`, `UPDATE`, `UNDELETE`.
        change_type: String,
        /// Fields changed by an `UPDATE`.
        changed_fields: Vec<String>,
        /// `commitTimestamp` (epoch milliseconds).
        commit_timestamp: Option<String>,
    },
}

/// A Salesforce Case: its fields by API name (`Subject`, `Priority`, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesforceCase {
    /// How it arrived.
    pub origin: CaseOrigin,
    /// The sObject's fields; nil and empty fields are absent.
    pub fields: BTreeMap<String, String>,
}

/// Whether the body is an XML outbound message (else CDC JSON), by its first byte.
pub(crate) fn is_xml(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
        .is_some_and(|b| *b == b'<')
}

/// The outbound message's `OrganizationId` must match the tenant's org id.
pub(crate) fn verify_outbound(text: &str, org_id: &str) -> Result<(), OmegaError> {
    // Only the header is needed: the notifications are counted, not kept.
    let msg = outbound::parse(text, 0)?;
    let got = msg.organization_id.unwrap_or_default();
    if same_org(&got, org_id) {
        Ok(())
    } else {
        Err(unauthenticated(
            format!(
                "salesforce OrganizationId `{}` is not the tenant's org",
                got.escape_default()
            ),
            "set salesforceOrgId to the org id shown in Salesforce Setup > Company Information",
        ))
    }
}

/// 15- and 18-character ids compare on their case-sensitive 15-character prefix.
fn same_org(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    let ok_len = |s: &str| s.len() == 15 || s.len() == 18;
    if !ok_len(a) || !ok_len(b) || !a.is_ascii() || !b.is_ascii() {
        return false;
    }
    if a.len() == b.len() {
        a == b
    } else {
        a[..15] == b[..15]
    }
}

/// Parses an outbound message (XML) into one delivery per notification;
/// more than `max_items` (or than Salesforce's own maximum of
/// [`MAX_OUTBOUND_NOTIFICATIONS`]) notifications refuse the message.
pub(crate) fn parse_outbound(
    tenant: &TenantId,
    text: &str,
    max_items: usize,
) -> Result<Vec<RawDelivery>, OmegaError> {
    let limit = max_items.min(MAX_OUTBOUND_NOTIFICATIONS);
    let msg = outbound::parse(text, limit)?;
    if msg.count > limit {
        return Err(too_many_items(
            P,
            "notifications.Notification",
            "Notification elements",
            msg.count,
            limit,
        ));
    }
    let org = msg.organization_id.clone().unwrap_or_default();
    msg.notifications
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let at = format!("Notification[{i}]");
            let id = n.id.ok_or_else(|| {
                missing(
                    P,
                    &format!("{at}.Id"),
                    "every Notification carries an Id; post the message unchanged",
                )
            })?;
            match n.object_type.as_deref() {
                Some("Case") => {}
                other => {
                    return Err(shape(
                        P,
                        &format!("{at}.sObject"),
                        &format!(
                            "sObject type `{}` is not a Case",
                            other.unwrap_or("").escape_default()
                        ),
                        "define the outbound message on the Case object",
                    ));
                }
            }
            let case_id = n.fields.get("Id").cloned().ok_or_else(|| {
                missing(
                    P,
                    &format!("{at}.sObject.Id"),
                    "outbound messages always include the record Id",
                )
            })?;
            Ok(RawDelivery {
                platform: P,
                tenant: tenant.clone(),
                delivery_id: id,
                external_id: case_id,
                record: PlatformRecord::SalesforceCase(SalesforceCase {
                    origin: CaseOrigin::OutboundMessage {
                        organization_id: org.clone(),
                        action_id: msg.action_id.clone(),
                    },
                    fields: n.fields,
                }),
            })
        })
        .collect()
}

/// Parses relayed CDC JSON: one delivery per Case record id of each
/// `CREATE`/`UPDATE`/`UNDELETE` event; `DELETE` and `GAP_*` events yield none.
/// More than `max_items` events, or record ids to ingest, refuse the body.
pub(crate) fn parse_cdc(
    tenant: &TenantId,
    value: &Value,
    max_items: usize,
) -> Result<Vec<RawDelivery>, OmegaError> {
    if let Value::Array(events) = value
        && events.len() > max_items
    {
        return Err(too_many_items(
            P,
            "events",
            "change events",
            events.len(),
            max_items,
        ));
    }
    let events = cdc::parse(value)?;
    let records: usize = events
        .iter()
        .filter(|ev| matches!(ev.change_type.as_str(), "CREATE" | "UPDATE" | "UNDELETE"))
        .map(|ev| ev.record_ids.len())
        .sum();
    if records > max_items {
        return Err(too_many_items(
            P,
            "ChangeEventHeader.recordIds",
            "Case record ids",
            records,
            max_items,
        ));
    }
    let mut out = Vec::new();
    for ev in events {
        if ev.entity_name != "Case" {
            return Err(shape(
                P,
                "ChangeEventHeader.entityName",
                &format!(
                    "change event for `{}`, not Case",
                    ev.entity_name.escape_default()
                ),
                "relay only CaseChangeEvent (/data/CaseChangeEvent)",
            ));
        }
        if !matches!(ev.change_type.as_str(), "CREATE" | "UPDATE" | "UNDELETE") {
            continue;
        }
        let key_hint = "CDC headers always carry transactionKey and sequenceNumber, the dedupe key; relay the header unchanged";
        let txn = ev
            .transaction_key
            .clone()
            .ok_or_else(|| missing(P, "ChangeEventHeader.transactionKey", key_hint))?;
        let seq = ev
            .sequence_number
            .clone()
            .ok_or_else(|| missing(P, "ChangeEventHeader.sequenceNumber", key_hint))?;
        for record_id in &ev.record_ids {
            let mut fields = ev.fields.clone();
            fields.insert("Id".into(), record_id.clone());
            out.push(RawDelivery {
                platform: P,
                tenant: tenant.clone(),
                delivery_id: format!("{txn}:{seq}:{record_id}"),
                external_id: record_id.clone(),
                record: PlatformRecord::SalesforceCase(SalesforceCase {
                    origin: CaseOrigin::ChangeEvent {
                        change_type: ev.change_type.clone(),
                        changed_fields: ev.changed_fields.clone(),
                        commit_timestamp: ev.commit_timestamp.clone(),
                    },
                    fields,
                }),
            });
        }
    }
    Ok(out)
}

/// Builds the ticket.
pub(crate) fn normalize(
    d: &RawDelivery,
    case: &SalesforceCase,
    pseudonymizer: &dyn Pseudonymizer,
) -> Result<Ticket, OmegaError> {
    let f = |k: &str| case.fields.get(k).map(String::as_str);
    let (title_hint, commit) = match &case.origin {
        CaseOrigin::OutboundMessage { .. } => {
            ("add Subject to the outbound message's fields", None)
        }
        CaseOrigin::ChangeEvent {
            commit_timestamp, ..
        } => (
            "CDC UPDATE events carry only changed fields; have the relay send the full Case",
            commit_timestamp.as_deref(),
        ),
    };
    let requester = f("ContactEmail")
        .or(f("SuppliedEmail"))
        .map(str::to_owned)
        .or_else(|| f("ContactId").map(|c| format!("salesforce-contact:{c}")));
    let mut tags: Vec<String> = f("CaseNumber")
        .map(|n| format!("number:{n}"))
        .into_iter()
        .collect();
    tags.extend(f("Origin").map(|o| format!("origin:{o}")));
    Draft {
        platform: P,
        tenant: &d.tenant,
        external_id: &d.external_id,
        title: (f("Subject"), "Subject"),
        title_hint,
        body: f("Description"),
        requester,
        created_at: (f("CreatedDate"), "CreatedDate"),
        updated_at: (f("LastModifiedDate").or(commit), "LastModifiedDate"),
        priority_raw: f("Priority"),
        priority_map: salesforce_priority,
        status: f("Status"),
        category: f("Type").map(str::to_owned),
        tags,
        attachments: Vec::new(),
    }
    .build(pseudonymizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids_compare_on_the_15_char_prefix() {
        assert!(same_org("00D5e000000KQ2eEAG", "00D5e000000KQ2e"));
        assert!(same_org("00D5e000000KQ2eEAG", "00D5e000000KQ2eEAG"));
        assert!(!same_org("00D5e000000KQ2fEAG", "00D5e000000KQ2e"));
        assert!(!same_org("00d5e000000kq2e", "00D5e000000KQ2e"));
        assert!(!same_org("", "00D5e000000KQ2e"));
        assert!(!same_org("00D5e000000KQ2eEAGX", "00D5e000000KQ2eEAG"));
    }

    #[test]
    fn sniffs_xml() {
        assert!(is_xml(b"  <?xml"));
        assert!(is_xml(b"\xEF\xBB\xBF<soapenv:Envelope"));
        assert!(!is_xml(b"{\"a\":1}"));
        assert!(!is_xml(b""));
    }
}
