//! Kaseya BMS ticket webhooks.
//!
//! BMS documents its webhook UI (payload URL, content type, optional secret,
//! which ticket events) but not the signature algorithm: with a secret set it
//! adds a `Signature` header. OMEGA checks it as HMAC-SHA256 of the raw body
//! keyed with the secret, accepting base64 or hex (optionally `sha256=`).
//! The body is the BMS ticket object (PascalCase API field names; keys are
//! matched case-insensitively), possibly wrapped in `Data`/`Ticket`/`Payload`,
//! or sent as the `payload` field of an `application/x-www-form-urlencoded` body.

use omega_protocol::{OmegaError, SourcePlatform, TenantId, Ticket};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::delivery::{PlatformRecord, RawDelivery};
use crate::draft::Draft;
use crate::errors::{missing, shape, too_many_items};
use crate::json::{first_ci, get_ci};
use crate::priority::kaseya_priority;
use crate::pseudonym::Pseudonymizer;

const P: SourcePlatform = SourcePlatform::KaseyaBms;
const WRAPPERS: &[&str] = &["Data", "Ticket", "Payload", "Result", "Entity", "Tickets"];
const UPDATED: &[&str] = &[
    "LastActivityUpdate",
    "UpdatedOn",
    "UpdatedDate",
    "LastUpdatedDate",
    "ModifiedDate",
    "ModifiedOn",
    "LastModifiedDate",
];

/// A Kaseya BMS ticket as the webhook sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BmsTicket {
    /// `Id`: the external id.
    pub id: String,
    /// `TicketNumber`, e.g. `T20240301.0001`.
    pub ticket_number: Option<String>,
    /// `Title`.
    pub title: Option<String>,
    /// `Details` (often HTML).
    pub details: Option<String>,
    /// `AccountName`.
    pub account_name: Option<String>,
    /// `AccountId`.
    pub account_id: Option<String>,
    /// `ContactName`.
    pub contact_name: Option<String>,
    /// `ContactEmail`.
    pub contact_email: Option<String>,
    /// `ContactId`.
    pub contact_id: Option<String>,
    /// `StatusName`.
    pub status_name: Option<String>,
    /// `PriorityName`.
    pub priority_name: Option<String>,
    /// `TypeName`.
    pub type_name: Option<String>,
    /// `IssueTypeName`.
    pub issue_type_name: Option<String>,
    /// `SubIssueTypeName`.
    pub sub_issue_type_name: Option<String>,
    /// `QueueName`.
    pub queue_name: Option<String>,
    /// `OpenDate`.
    pub open_date: Option<String>,
    /// `DueDate`.
    pub due_date: Option<String>,
    /// The last update time, from the first of `LastActivityUpdate`,
    /// `UpdatedOn`, `UpdatedDate`, `LastUpdatedDate`, `ModifiedDate`... present.
    pub updated: Option<String>,
}

fn is_ticket(v: &Value) -> bool {
    get_ci(v, "Id").is_some()
        && ["Title", "TicketNumber", "Details"]
            .iter()
            .any(|k| get_ci(v, k).is_some())
}

/// Finds the ticket objects in the body.
fn tickets(v: &Value, depth: u8) -> Option<Vec<&Value>> {
    match v {
        Value::Array(items) if depth < 2 && !items.is_empty() => items
            .iter()
            .map(|i| tickets(i, depth + 1))
            .collect::<Option<Vec<Vec<&Value>>>>()
            .map(|v| v.into_iter().flatten().collect()),
        Value::Object(_) if is_ticket(v) => Some(vec![v]),
        Value::Object(_) if depth < 2 => WRAPPERS
            .iter()
            .find_map(|k| get_ci(v, k).and_then(|inner| tickets(inner, depth + 1))),
        _ => None,
    }
}

/// Decodes the `payload` field of a form-urlencoded body.
pub(crate) fn form_payload(body: &[u8]) -> Option<Vec<u8>> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let rest = pair.strip_prefix(b"payload=")?;
        Some(percent_decode(rest))
    })
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                match std::str::from_utf8(&s[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Parses the webhook body (already JSON).
///
/// More than `max_items` tickets refuse the body.
pub(crate) fn parse(
    tenant: &TenantId,
    value: &Value,
    raw: &[u8],
    max_items: usize,
) -> Result<Vec<RawDelivery>, OmegaError> {
    let list = tickets(value, 0).ok_or_else(|| {
        shape(
            P,
            "Id",
            "no ticket object (with Id and Title) in the body",
            "send the BMS ticket webhook body unchanged",
        )
    })?;
    if list.len() > max_items {
        return Err(too_many_items(
            P,
            "tickets",
            "tickets",
            list.len(),
            max_items,
        ));
    }
    let hash = hex::encode(&Sha256::digest(raw)[..8]);
    list.into_iter()
        .enumerate()
        .map(|(i, t)| {
            let s = |keys: &[&str]| first_ci(t, keys);
            let id = s(&["Id"]).ok_or_else(|| missing(P, "Id", "the ticket's Id is required"))?;
            let ticket = BmsTicket {
                id: id.clone(),
                ticket_number: s(&["TicketNumber"]),
                title: s(&["Title"]),
                details: s(&["Details", "Description"]),
                account_name: s(&["AccountName"]),
                account_id: s(&["AccountId"]),
                contact_name: s(&["ContactName"]),
                contact_email: s(&["ContactEmail", "Email"]),
                contact_id: s(&["ContactId"]),
                status_name: s(&["StatusName", "Status"]),
                priority_name: s(&["PriorityName", "Priority"]),
                type_name: s(&["TypeName", "TicketType"]),
                issue_type_name: s(&["IssueTypeName", "IssueType"]),
                sub_issue_type_name: s(&["SubIssueTypeName", "SubIssueType"]),
                queue_name: s(&["QueueName", "Queue"]),
                open_date: s(&["OpenDate", "CreatedOn", "CreatedDate"]),
                due_date: s(&["DueDate"]),
                updated: s(UPDATED),
            };
            let version = match &ticket.updated {
                Some(u) => u.clone(),
                None if i == 0 => hash.clone(),
                None => format!("{hash}.{i}"),
            };
            Ok(RawDelivery {
                platform: P,
                tenant: tenant.clone(),
                delivery_id: format!("{id}:{version}"),
                external_id: id,
                record: PlatformRecord::KaseyaTicket(ticket),
            })
        })
        .collect()
}

/// Builds the ticket.
pub(crate) fn normalize(
    d: &RawDelivery,
    t: &BmsTicket,
    pseudonymizer: &dyn Pseudonymizer,
) -> Result<Ticket, OmegaError> {
    let category: Vec<&str> = [&t.type_name, &t.issue_type_name, &t.sub_issue_type_name]
        .into_iter()
        .filter_map(|s| s.as_deref())
        .collect();
    let requester = t
        .contact_email
        .clone()
        .or_else(|| {
            t.contact_id
                .as_ref()
                .map(|c| format!("kaseya-bms-contact:{c}"))
        })
        .or_else(|| t.contact_name.clone());
    let mut tags: Vec<String> = t
        .ticket_number
        .iter()
        .map(|n| format!("number:{n}"))
        .collect();
    tags.extend(t.queue_name.iter().map(|q| format!("queue:{q}")));
    Draft {
        platform: P,
        tenant: &d.tenant,
        external_id: &d.external_id,
        title: (t.title.as_deref(), "Title"),
        title_hint: "the BMS ticket's Title is required",
        body: t.details.as_deref(),
        requester,
        created_at: (t.open_date.as_deref(), "OpenDate"),
        updated_at: (t.updated.as_deref(), "LastActivityUpdate"),
        priority_raw: t.priority_name.as_deref(),
        priority_map: kaseya_priority,
        status: t.status_name.as_deref(),
        category: (!category.is_empty()).then(|| category.join(" / ")),
        tags,
        attachments: Vec::new(),
    }
    .build(pseudonymizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_payload() {
        let body = b"foo=1&payload=%7B%22Id%22%3A5%2C%22Title%22%3A%22a+b%22%7D";
        let p = form_payload(body).unwrap();
        assert_eq!(p, br#"{"Id":5,"Title":"a b"}"#);
        assert_eq!(percent_decode(b"%4"), b"%4");
        assert_eq!(percent_decode(b"%zz%"), b"%zz%");
        assert!(form_payload(b"x=1").is_none());
    }
}
