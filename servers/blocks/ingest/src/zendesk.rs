//! Zendesk: event-subscription webhooks and trigger/automation webhooks.

use omega_protocol::{OmegaError, SourcePlatform, TenantId, Ticket};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::ZendeskFieldMap;
use crate::delivery::{PlatformRecord, RawDelivery};
use crate::draft::Draft;
use crate::errors::{missing, shape};
use crate::json::{field, scalar, string_list};
use crate::priority::zendesk_priority;
use crate::pseudonym::Pseudonymizer;

const P: SourcePlatform = SourcePlatform::Zendesk;
const EVENT_PREFIX: &str = "zen:event-type:";
const TICKET_EVENT_PREFIX: &str = "zen:event-type:ticket.";

/// The ticket fields of a Zendesk delivery.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZendeskTicketFields {
    /// Ticket id.
    pub id: String,
    /// Subject line.
    pub subject: Option<String>,
    /// Description (first comment).
    pub description: Option<String>,
    /// `urgent`/`high`/`normal`/`low`, as sent.
    pub priority: Option<String>,
    /// Status, as sent.
    pub status: Option<String>,
    /// Ticket type (`incident`, `problem`, `question`, `task`).
    pub ticket_type: Option<String>,
    /// The requester's identity: an e-mail address or `zendesk-user:{id}`.
    pub requester: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Creation time as sent.
    pub created_at: Option<String>,
    /// Update time as sent.
    pub updated_at: Option<String>,
}

/// An event-subscription webhook (`"type": "zen:event-type:ticket.created"` etc.).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZendeskEvent {
    /// The event id (the dedupe key).
    pub event_id: String,
    /// The event type, e.g. `zen:event-type:ticket.created`.
    pub event_type: String,
    /// The Zendesk account id.
    pub account_id: Option<String>,
    /// When the event happened.
    pub time: Option<String>,
    /// The ticket as the `detail` object describes it.
    pub ticket: ZendeskTicketFields,
}

/// A trigger or automation webhook whose body the tenant defined.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ZendeskTrigger {
    /// The first 16 hex digits of SHA-256 of the raw body.
    pub body_hash: String,
    /// The tenant's field map the ticket was read with.
    pub field_map: ZendeskFieldMap,
    /// The ticket, read through the tenant's field map.
    pub ticket: ZendeskTicketFields,
}

/// Parses either kind of Zendesk webhook body.
pub(crate) fn parse(
    tenant: &TenantId,
    value: &Value,
    raw: &[u8],
    map: &ZendeskFieldMap,
) -> Result<Vec<RawDelivery>, OmegaError> {
    if !value.is_object() {
        return Err(shape(
            P,
            "",
            "the body is not a JSON object",
            "send the event payload or the trigger's JSON body object",
        ));
    }
    match value.get("type").and_then(Value::as_str) {
        Some(t) if t.starts_with(EVENT_PREFIX) => parse_event(tenant, value, t),
        _ => parse_trigger(tenant, value, raw, map).map(|d| vec![d]),
    }
}

fn parse_event(
    tenant: &TenantId,
    v: &Value,
    event_type: &str,
) -> Result<Vec<RawDelivery>, OmegaError> {
    let event_id = field(v, "id").ok_or_else(|| {
        missing(
            P,
            "id",
            "event webhooks always carry an event id; send the payload unchanged",
        )
    })?;
    if !event_type.starts_with(TICKET_EVENT_PREFIX) {
        // User, organization, article... events carry no ticket: nothing to ingest.
        return Ok(Vec::new());
    }
    let detail = v.get("detail").filter(|d| d.is_object()).ok_or_else(|| {
        missing(
            P,
            "detail",
            "ticket events carry the ticket in `detail`; send the payload unchanged",
        )
    })?;
    let id = field(detail, "id").ok_or_else(|| {
        missing(
            P,
            "detail.id",
            "ticket events carry the ticket id in `detail.id`",
        )
    })?;
    let ticket = ZendeskTicketFields {
        id: id.clone(),
        subject: field(detail, "subject"),
        description: field(detail, "description"),
        priority: field(detail, "priority"),
        status: field(detail, "status"),
        ticket_type: field(detail, "type"),
        requester: field(detail, "requester_id").map(|r| format!("zendesk-user:{r}")),
        tags: string_list(detail.get("tags")),
        created_at: field(detail, "created_at"),
        updated_at: field(detail, "updated_at"),
    };
    Ok(vec![RawDelivery {
        platform: P,
        tenant: tenant.clone(),
        delivery_id: event_id.clone(),
        external_id: id,
        record: PlatformRecord::ZendeskEvent(ZendeskEvent {
            event_id,
            event_type: event_type.to_owned(),
            account_id: field(v, "account_id"),
            time: field(v, "time"),
            ticket,
        }),
    }])
}

/// `/ticket/id` -> `ticket.id`, for error messages.
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

fn parse_trigger(
    tenant: &TenantId,
    v: &Value,
    raw: &[u8],
    map: &ZendeskFieldMap,
) -> Result<RawDelivery, OmegaError> {
    let at = |ptr: &str| v.pointer(ptr).and_then(scalar);
    let id = at(&map.id).ok_or_else(|| {
        missing(
            P,
            &dotted(&map.id),
            "put \"{{ticket.id}}\" in the trigger's JSON body, or set zendeskFieldMap.id to its JSON pointer",
        )
    })?;
    let ticket = ZendeskTicketFields {
        id: id.clone(),
        subject: at(&map.title),
        description: at(&map.description),
        priority: at(&map.priority).filter(|p| p != "-"),
        status: at(&map.status),
        ticket_type: at(&map.category).filter(|c| c != "-"),
        requester: at(&map.requester_email),
        tags: string_list(v.pointer(&map.tags)),
        created_at: at(&map.created_at),
        updated_at: at(&map.updated_at),
    };
    let body_hash = hex::encode(&Sha256::digest(raw)[..8]);
    Ok(RawDelivery {
        platform: P,
        tenant: tenant.clone(),
        delivery_id: format!("trigger:{id}:{body_hash}"),
        external_id: id,
        record: PlatformRecord::ZendeskTrigger(ZendeskTrigger {
            body_hash,
            field_map: map.clone(),
            ticket,
        }),
    })
}

/// Builds the ticket from either record kind.
pub(crate) fn normalize(
    d: &RawDelivery,
    fields: &ZendeskTicketFields,
    map: Option<&ZendeskFieldMap>,
    pseudonymizer: &dyn Pseudonymizer,
) -> Result<Ticket, OmegaError> {
    let names = match map {
        Some(m) => [
            dotted(&m.title),
            dotted(&m.created_at),
            dotted(&m.updated_at),
        ],
        None => [
            "detail.subject".into(),
            "detail.created_at".into(),
            "detail.updated_at".into(),
        ],
    };
    Draft {
        platform: P,
        tenant: &d.tenant,
        external_id: &d.external_id,
        title: (fields.subject.as_deref(), &names[0]),
        title_hint: "add the subject (\"{{ticket.title}}\") to the webhook body",
        body: fields.description.as_deref(),
        requester: fields.requester.clone(),
        created_at: (fields.created_at.as_deref(), &names[1]),
        updated_at: (fields.updated_at.as_deref(), &names[2]),
        priority_raw: fields.priority.as_deref(),
        priority_map: zendesk_priority,
        status: fields.status.as_deref(),
        category: fields.ticket_type.clone(),
        tags: fields.tags.clone(),
        attachments: Vec::new(),
    }
    .build(pseudonymizer)
}
