//! The entry points the ingest endpoint calls: verify, parse, normalize, ack.

use chrono::{DateTime, Utc};
use http::HeaderMap;
use omega_protocol::{ErrorCode, OmegaError, SourcePlatform, TenantId, Ticket};
use serde_json::Value;

use crate::config::IngestConfig;
use crate::delivery::{PlatformRecord, RawDelivery};
use crate::errors::{
    CONTENT_TYPE_FIELD, check_content_type, json_syntax, media_type, not_utf8, shape,
    unauthenticated,
};
use crate::pseudonym::Pseudonymizer;
use crate::salesforce::{CaseOrigin, SOAP_ACK, SOAP_CONTENT_TYPE};
use crate::signature::{
    KASEYA_SIGNATURE_HEADER, verify_body_hmac, verify_omega_headers, verify_zendesk,
};
use crate::{kaseya, salesforce, servicenow, zendesk};

const JSON: &str = "application/json";
const XML_TYPES: &[&str] = &["text/xml", "application/xml", "application/soap+xml"];
const FORM: &str = "application/x-www-form-urlencoded";

/// Reads the `{platform}` path segment: `zendesk`, `servicenow`,
/// `salesforce` or `kaseya-bms`.
pub fn parse_platform(segment: &str) -> Result<SourcePlatform, OmegaError> {
    match SourcePlatform::parse(segment) {
        Some(p) if p != SourcePlatform::Omega => Ok(p),
        _ => Err(unknown_platform(segment)),
    }
}

fn unknown_platform(segment: &str) -> OmegaError {
    OmegaError::new(
        ErrorCode::NOT_FOUND,
        format!(
            "`{}` is not a platform OMEGA ingests from",
            segment.escape_default()
        ),
    )
    .with_field("platform")
    .with_hint("use one of: zendesk, servicenow, salesforce, kaseya-bms")
}

fn secret<'a>(
    value: &'a Option<String>,
    tenant: &TenantId,
    setting: &str,
) -> Result<&'a str, OmegaError> {
    value.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
        unauthenticated(
            format!("tenant `{tenant}` has no {setting} configured, so its deliveries cannot be authenticated"),
            &format!("set {setting} under [ingest.tenants.{tenant}] in omega.toml"),
        )
        .with_field(setting.to_owned())
    })
}

/// Checks that a delivery comes from the tenant's platform account.
///
/// `now` is the server time (the Zendesk signature timestamp must be within
/// `cfg.signature_tolerance_secs` of it). Errors: `tenant_unknown` for a
/// tenant without configuration, `unauthenticated` for missing secrets,
/// missing or wrong signatures and stale timestamps (the hint mentions clock
/// skew), `parse_error` when a Salesforce outbound message's XML cannot be
/// read to find its `OrganizationId`.
pub fn verify(
    platform: SourcePlatform,
    tenant: &TenantId,
    headers: &HeaderMap,
    raw_body: &[u8],
    now: DateTime<Utc>,
    cfg: &IngestConfig,
) -> Result<(), OmegaError> {
    let t = cfg.tenant(tenant)?;
    match platform {
        SourcePlatform::Zendesk => {
            let s = secret(&t.zendesk_secret, tenant, "zendeskSecret")?;
            verify_zendesk(s, headers, raw_body, now, cfg.signature_tolerance_secs)
        }
        SourcePlatform::Servicenow => {
            let s = secret(&t.servicenow_secret, tenant, "servicenowSecret")?;
            verify_omega_headers("servicenow", s, headers, raw_body, "servicenowSecret")
        }
        SourcePlatform::Salesforce if salesforce::is_xml(raw_body) => {
            let org = secret(&t.salesforce_org_id, tenant, "salesforceOrgId")?;
            let text = utf8(platform, raw_body)?;
            salesforce::verify_outbound(text, org)
        }
        SourcePlatform::Salesforce => {
            let s = secret(&t.salesforce_cdc_secret, tenant, "salesforceCdcSecret")?;
            verify_omega_headers("salesforce", s, headers, raw_body, "salesforceCdcSecret")
        }
        SourcePlatform::KaseyaBms => {
            let s = secret(&t.kaseya_secret, tenant, "kaseyaSecret")?;
            verify_body_hmac(
                "kaseya-bms",
                s,
                headers,
                KASEYA_SIGNATURE_HEADER,
                raw_body,
                "kaseyaSecret",
            )
        }
        SourcePlatform::Omega => Err(unknown_platform(platform.as_str())),
    }
}

fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

fn utf8(platform: SourcePlatform, body: &[u8]) -> Result<&str, OmegaError> {
    std::str::from_utf8(strip_bom(body)).map_err(|e| not_utf8(platform, e))
}

fn json(platform: SourcePlatform, body: &[u8]) -> Result<Value, OmegaError> {
    serde_json::from_slice(strip_bom(body)).map_err(|e| json_syntax(platform, &e))
}

/// Checks a delivery's syntax and shape and splits it into deliveries, each
/// with its dedupe key. Cheap: no HTML stripping, date parsing or hashing of
/// identities. A delivery with nothing to ingest (a Zendesk user event, a
/// Salesforce CDC `DELETE`) gives an empty list: acknowledge it.
///
/// `content_type` is the request's `Content-Type` (`None` sniffs the body).
/// `cfg` supplies the tenant's Zendesk field map and the item cap: a body
/// with more than `cfg.max_items_per_delivery` items (Salesforce outbound
/// notifications, CDC events or record ids, Kaseya or ServiceNow arrays) is
/// refused with `payload_too_large` naming the limit and the count.
pub fn parse(
    platform: SourcePlatform,
    tenant: &TenantId,
    content_type: Option<&str>,
    raw_body: &[u8],
    cfg: &IngestConfig,
) -> Result<Vec<RawDelivery>, OmegaError> {
    let max_items = cfg.max_items_per_delivery.get();
    parse_with_cap(platform, tenant, content_type, raw_body, cfg, max_items)
}

/// [`parse`] for a body the endpoint already accepted and stored (the
/// normalizer's step): the item cap is not applied again, so lowering
/// `maxItemsPerDelivery` never strands a delivery that was acknowledged
/// under the old value.
pub fn parse_accepted(
    platform: SourcePlatform,
    tenant: &TenantId,
    content_type: Option<&str>,
    raw_body: &[u8],
    cfg: &IngestConfig,
) -> Result<Vec<RawDelivery>, OmegaError> {
    parse_with_cap(platform, tenant, content_type, raw_body, cfg, usize::MAX)
}

fn parse_with_cap(
    platform: SourcePlatform,
    tenant: &TenantId,
    content_type: Option<&str>,
    raw_body: &[u8],
    cfg: &IngestConfig,
    max_items: usize,
) -> Result<Vec<RawDelivery>, OmegaError> {
    match platform {
        SourcePlatform::Zendesk => {
            check_content_type(platform, content_type, &[JSON])?;
            let v = json(platform, raw_body)?;
            zendesk::parse(tenant, &v, raw_body, &cfg.zendesk_field_map(tenant))
        }
        SourcePlatform::Servicenow => {
            check_content_type(platform, content_type, &[JSON])?;
            servicenow::parse(tenant, &json(platform, raw_body)?, max_items)
        }
        SourcePlatform::Salesforce => {
            let xml = match content_type.map(media_type) {
                Some(m) if XML_TYPES.contains(&m.as_str()) => true,
                Some(m) if m == JSON => false,
                Some(_) => {
                    let all = [XML_TYPES, &[JSON]].concat();
                    return check_content_type(platform, content_type, &all).map(|()| Vec::new());
                }
                None => salesforce::is_xml(raw_body),
            };
            if xml {
                salesforce::parse_outbound(tenant, utf8(platform, raw_body)?, max_items)
            } else {
                salesforce::parse_cdc(tenant, &json(platform, raw_body)?, max_items)
            }
        }
        SourcePlatform::KaseyaBms => {
            check_content_type(platform, content_type, &[JSON, FORM])?;
            let is_form = content_type.is_some_and(|c| media_type(c) == FORM);
            if is_form {
                let inner = kaseya::form_payload(raw_body).ok_or_else(|| {
                    shape(
                        platform,
                        "payload",
                        "the form body has no `payload` field",
                        "choose application/json as the BMS webhook's content type",
                    )
                    .with_field(CONTENT_TYPE_FIELD)
                })?;
                kaseya::parse(tenant, &json(platform, &inner)?, raw_body, max_items)
            } else {
                kaseya::parse(tenant, &json(platform, raw_body)?, raw_body, max_items)
            }
        }
        SourcePlatform::Omega => Err(unknown_platform(platform.as_str())),
    }
}

/// Turns one delivery into a normalized ticket: priority mapped onto P1..P4
/// (the source value kept in `source_fields`), description HTML stripped,
/// requester pseudonymized, dates parsed. Missing required fields give
/// `schema_violation` naming the field.
pub fn normalize(
    delivery: &RawDelivery,
    pseudonymizer: &dyn Pseudonymizer,
) -> Result<Ticket, OmegaError> {
    match &delivery.record {
        PlatformRecord::ZendeskEvent(e) => {
            zendesk::normalize(delivery, &e.ticket, None, pseudonymizer)
        }
        PlatformRecord::ZendeskTrigger(t) => {
            zendesk::normalize(delivery, &t.ticket, Some(&t.field_map), pseudonymizer)
        }
        PlatformRecord::ServiceNowIncident(i) => servicenow::normalize(delivery, i, pseudonymizer),
        PlatformRecord::SalesforceCase(c) => salesforce::normalize(delivery, c, pseudonymizer),
        PlatformRecord::KaseyaTicket(t) => kaseya::normalize(delivery, t, pseudonymizer),
    }
}

/// [`parse_accepted`] then [`normalize`] every delivery: the step that runs
/// later, from the raw bytes stored on the `ticket-raw` queue (store the
/// content type with them).
pub fn normalize_raw(
    platform: SourcePlatform,
    tenant: &TenantId,
    content_type: Option<&str>,
    raw_body: &[u8],
    cfg: &IngestConfig,
    pseudonymizer: &dyn Pseudonymizer,
) -> Result<Vec<Ticket>, OmegaError> {
    parse_accepted(platform, tenant, content_type, raw_body, cfg)?
        .iter()
        .map(|d| normalize(d, pseudonymizer))
        .collect()
}

/// The 2xx body to answer a delivery with: `(content type, body)`.
///
/// Salesforce outbound messages get the SOAP `notificationsResponse` with
/// `<Ack>true</Ack>` (without it Salesforce retries); everything else gets
/// `{"received": n, "deliveryIds": [...]}`.
pub fn ack_response(
    platform: SourcePlatform,
    deliveries: &[RawDelivery],
) -> (&'static str, String) {
    let soap = platform == SourcePlatform::Salesforce
        && deliveries.iter().any(|d| {
            matches!(
                &d.record,
                PlatformRecord::SalesforceCase(c) if matches!(c.origin, CaseOrigin::OutboundMessage { .. })
            )
        });
    if soap {
        return (SOAP_CONTENT_TYPE, SOAP_ACK.to_owned());
    }
    let ids: Vec<&str> = deliveries.iter().map(|d| d.delivery_id.as_str()).collect();
    let body = serde_json::json!({ "received": ids.len(), "deliveryIds": ids });
    ("application/json", body.to_string())
}
