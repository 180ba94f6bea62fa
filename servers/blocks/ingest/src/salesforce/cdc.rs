//! Salesforce Change Data Capture events (`CaseChangeEvent`), relayed as JSON.

use std::collections::BTreeMap;

use omega_protocol::{OmegaError, SourcePlatform};
use serde_json::Value;

use crate::errors::{missing, shape};
use crate::json::{field, scalar, string_list};

const P: SourcePlatform = SourcePlatform::Salesforce;

/// One change event, reduced to what ingest needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChangeEvent {
    pub entity_name: String,
    pub record_ids: Vec<String>,
    pub change_type: String,
    pub changed_fields: Vec<String>,
    pub commit_timestamp: Option<String>,
    pub transaction_key: Option<String>,
    pub sequence_number: Option<String>,
    pub commit_user: Option<String>,
    pub fields: BTreeMap<String, String>,
}

/// The events of a relayed body: one event payload (with `ChangeEventHeader`),
/// the CometD message shape `{"data": {"payload": ...}}`, `{"payload": ...}`,
/// or an array of any of these.
pub(crate) fn parse(value: &Value) -> Result<Vec<ChangeEvent>, OmegaError> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| one(v, &format!("[{i}]")))
            .collect(),
        other => one(other, "").map(|e| vec![e]),
    }
}

fn payload(v: &Value) -> Option<&Value> {
    if v.get("ChangeEventHeader").is_some() {
        return Some(v);
    }
    v.get("payload")
        .or_else(|| v.get("data").and_then(|d| d.get("payload")))
        .filter(|p| p.get("ChangeEventHeader").is_some())
}

fn one(v: &Value, at: &str) -> Result<ChangeEvent, OmegaError> {
    let hint = "relay the CDC event payload with its ChangeEventHeader (for example {\"data\": {\"payload\": {...}}})";
    let p = payload(v).ok_or_else(|| {
        shape(
            P,
            &format!("{at}ChangeEventHeader"),
            "no change event payload with a ChangeEventHeader",
            hint,
        )
    })?;
    let h = &p["ChangeEventHeader"];
    if !h.is_object() {
        return Err(shape(
            P,
            "ChangeEventHeader",
            "ChangeEventHeader is not an object",
            hint,
        ));
    }
    let entity_name =
        field(h, "entityName").ok_or_else(|| missing(P, "ChangeEventHeader.entityName", hint))?;
    let change_type =
        field(h, "changeType").ok_or_else(|| missing(P, "ChangeEventHeader.changeType", hint))?;
    let record_ids = string_list(h.get("recordIds"));
    if record_ids.is_empty() {
        return Err(missing(P, "ChangeEventHeader.recordIds", hint));
    }
    let fields = p
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| k.as_str() != "ChangeEventHeader")
                .filter_map(|(k, v)| scalar(v).map(|s| (k.clone(), s)))
                .collect()
        })
        .unwrap_or_default();
    Ok(ChangeEvent {
        entity_name,
        record_ids,
        change_type,
        changed_fields: string_list(h.get("changedFields")),
        commit_timestamp: field(h, "commitTimestamp"),
        transaction_key: field(h, "transactionKey"),
        sequence_number: field(h, "sequenceNumber"),
        commit_user: field(h, "commitUser"),
        fields,
    })
}
