//! ServiceNow: incident records in Table API shape, pushed by a business rule
//! or pulled by [`ServiceNowPoller`].

mod poller;

pub use poller::{PollPage, ServiceNowPoller};

use omega_protocol::{OmegaError, SourcePlatform, TenantId, Ticket};
use serde::Serialize;
use serde_json::Value;

use crate::delivery::{PlatformRecord, RawDelivery};
use crate::draft::Draft;
use crate::errors::{missing, shape, too_many_items};
use crate::json::scalar;
use crate::priority::servicenow_priority;
use crate::pseudonym::Pseudonymizer;

const P: SourcePlatform = SourcePlatform::Servicenow;

/// Reads one Table API field: a plain string, a reference
/// `{"link": ..., "value": sys_id}`, or `{"display_value": ..., "value": ...}`
/// (with `sysparm_display_value=all`). The stored `value` wins over the display value.
pub fn sn_field(record: &Value, name: &str) -> Option<String> {
    let v = record.get(name)?;
    match v {
        Value::Object(o) => o
            .get("value")
            .and_then(scalar)
            .or_else(|| o.get("display_value").and_then(scalar)),
        other => scalar(other),
    }
}

/// A ServiceNow incident, as the Table API returns it (all values are strings).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceNowIncident {
    /// `sys_id` (32 hex digits): the external id.
    pub sys_id: String,
    /// `number`, e.g. `INC0010001`.
    pub number: Option<String>,
    /// `short_description`: the title.
    pub short_description: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `priority` code `1`..`5`.
    pub priority: Option<String>,
    /// `impact` code `1`..`3`.
    pub impact: Option<String>,
    /// `urgency` code `1`..`3`.
    pub urgency: Option<String>,
    /// `state` code (`1` New, `2` In Progress, `3` On Hold, `6` Resolved, `7` Closed, `8` Canceled).
    pub state: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `subcategory`.
    pub subcategory: Option<String>,
    /// The caller: `caller_id.email` when the rule dot-walks it, else `servicenow-user:{caller sys_id}`.
    pub caller: Option<String>,
    /// `sys_created_on` (or `opened_at`), `YYYY-MM-DD hh:mm:ss` UTC.
    pub created_on: Option<String>,
    /// `sys_updated_on`, `YYYY-MM-DD hh:mm:ss` UTC.
    pub updated_on: String,
}

/// The records of a push body: one record, `{"result": record}`,
/// `{"result": [records]}` or `[records]`.
pub(crate) fn records(value: &Value) -> Result<Vec<&Value>, OmegaError> {
    let hint = "send the incident as the Table API shapes it: a record, {\"result\": record} or {\"result\": [records]}";
    let list: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(o) => match o.get("result") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(r @ Value::Object(_)) => vec![r],
            Some(_) => {
                return Err(shape(
                    P,
                    "result",
                    "`result` is neither a record nor a list",
                    hint,
                ));
            }
            None => vec![value],
        },
        _ => return Err(shape(P, "", "the body is not a JSON object or array", hint)),
    };
    if let Some(i) = list.iter().position(|r| !r.is_object()) {
        return Err(shape(
            P,
            &format!("result[{i}]"),
            "a record is not a JSON object",
            hint,
        ));
    }
    Ok(list)
}

/// One record as a delivery.
pub(crate) fn delivery(tenant: &TenantId, record: &Value) -> Result<RawDelivery, OmegaError> {
    let sys_id = sn_field(record, "sys_id").ok_or_else(|| {
        missing(
            P,
            "sys_id",
            "include sys_id in the payload (current.sys_id in the business rule)",
        )
    })?;
    let updated_on = sn_field(record, "sys_updated_on").ok_or_else(|| {
        missing(
            P,
            "sys_updated_on",
            "include sys_updated_on in the payload; it is the dedupe key with sys_id",
        )
    })?;
    let caller = sn_field(record, "caller_id.email")
        .or_else(|| sn_field(record, "caller_email"))
        .or_else(|| sn_field(record, "caller_id").map(|c| format!("servicenow-user:{c}")));
    let incident = ServiceNowIncident {
        sys_id: sys_id.clone(),
        number: sn_field(record, "number"),
        short_description: sn_field(record, "short_description"),
        description: sn_field(record, "description"),
        priority: sn_field(record, "priority"),
        impact: sn_field(record, "impact"),
        urgency: sn_field(record, "urgency"),
        state: sn_field(record, "state"),
        category: sn_field(record, "category"),
        subcategory: sn_field(record, "subcategory"),
        caller,
        created_on: sn_field(record, "sys_created_on").or_else(|| sn_field(record, "opened_at")),
        updated_on: updated_on.clone(),
    };
    Ok(RawDelivery {
        platform: P,
        tenant: tenant.clone(),
        delivery_id: format!("{sys_id}:{updated_on}"),
        external_id: sys_id,
        record: PlatformRecord::ServiceNowIncident(incident),
    })
}

/// Parses a pushed body.
pub(crate) fn parse(
    tenant: &TenantId,
    value: &Value,
    max_items: usize,
) -> Result<Vec<RawDelivery>, OmegaError> {
    let list = records(value)?;
    if list.len() > max_items {
        return Err(too_many_items(
            P,
            "result",
            "incident records",
            list.len(),
            max_items,
        ));
    }
    list.into_iter().map(|r| delivery(tenant, r)).collect()
}

/// Builds the ticket.
pub(crate) fn normalize(
    d: &RawDelivery,
    inc: &ServiceNowIncident,
    pseudonymizer: &dyn Pseudonymizer,
) -> Result<Ticket, OmegaError> {
    let category = match (&inc.category, &inc.subcategory) {
        (Some(c), Some(s)) => Some(format!("{c} / {s}")),
        (c, _) => c.clone(),
    };
    Draft {
        platform: P,
        tenant: &d.tenant,
        external_id: &d.external_id,
        title: (inc.short_description.as_deref(), "short_description"),
        title_hint: "include short_description in the payload",
        body: inc.description.as_deref(),
        requester: inc.caller.clone(),
        created_at: (inc.created_on.as_deref(), "sys_created_on"),
        updated_at: (Some(&inc.updated_on), "sys_updated_on"),
        priority_raw: inc.priority.as_deref(),
        priority_map: servicenow_priority,
        status: inc.state.as_deref(),
        category,
        tags: inc.number.iter().map(|n| format!("number:{n}")).collect(),
        attachments: Vec::new(),
    }
    .build(pseudonymizer)
}
