//! Polling the ServiceNow Table API by `sys_updated_on` watermark.

use chrono::{DateTime, Utc};
use omega_protocol::{OmegaError, SourcePlatform, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::delivery::RawDelivery;
use crate::errors::{invalid, json_syntax, shape};
use crate::time::{parse_datetime, servicenow_format};

const P: SourcePlatform = SourcePlatform::Servicenow;

/// The largest page size accepted (ServiceNow's own default cap is 10,000).
pub const MAX_LIMIT: u32 = 10_000;

/// Builds Table API requests for incidents updated since a watermark and
/// advances the watermark from each page. Holds no HTTP client: the caller
/// GETs [`request_url`](Self::request_url) (with its own credentials and
/// `Accept: application/json`) and hands the body to
/// [`ingest_page`](Self::ingest_page), repeating while [`PollPage::more`].
///
/// The query is `sys_updated_on>=WATERMARK^ORDERBYsys_updated_on^ORDERBYsys_id`
/// with `sysparm_offset` = the number of records already consumed at exactly
/// the watermark second. Plain `>` would lose records that share the last
/// second of a full page; `>=` plus the offset takes each record once (and
/// `delivery_id` = `sys_id:sys_updated_on` catches the rare repeat).
///
/// The poller's state is serializable: persist it after each page.
/// ServiceNow compares the watermark in the integration user's time zone:
/// give that user the UTC time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceNowPoller {
    instance_url: String,
    table: String,
    limit: u32,
    watermark: DateTime<Utc>,
    consumed_at_watermark: u32,
}

/// One page's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PollPage {
    /// The page's incidents, oldest update first.
    pub deliveries: Vec<RawDelivery>,
    /// Whether the page was full, so the next request may return more.
    pub more: bool,
}

impl ServiceNowPoller {
    /// A poller for `instance_url` (e.g. `https://acme.service-now.com`),
    /// starting at `since`, asking for `limit` records per page.
    pub fn new(instance_url: &str, since: DateTime<Utc>, limit: u32) -> Result<Self, OmegaError> {
        let base = instance_url.trim().trim_end_matches('/');
        let host = base.strip_prefix("https://").unwrap_or("");
        if host.is_empty() || host.contains(['/', '?', '#', ' ', '@']) {
            return Err(OmegaError::invalid_params(format!(
                "`{}` is not a ServiceNow instance URL",
                instance_url.escape_default()
            ))
            .with_field("instanceUrl")
            .with_hint("use https://<instance>.service-now.com, without a path"));
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(OmegaError::invalid_params(format!(
                "page size {limit} is outside 1..={MAX_LIMIT}"
            ))
            .with_field("limit"));
        }
        Ok(Self {
            instance_url: base.to_owned(),
            table: "incident".into(),
            limit,
            watermark: since,
            consumed_at_watermark: 0,
        })
    }

    /// The `sys_updated_on` of the newest record taken so far.
    pub fn watermark(&self) -> DateTime<Utc> {
        self.watermark
    }

    /// The URL of the next page.
    pub fn request_url(&self) -> String {
        let query = format!(
            "sys_updated_on>={}^ORDERBYsys_updated_on^ORDERBYsys_id",
            servicenow_format(self.watermark)
        );
        let mut url = format!(
            "{}/api/now/table/{}?sysparm_query={}&sysparm_limit={}",
            self.instance_url,
            self.table,
            percent_encode(&query),
            self.limit
        );
        if self.consumed_at_watermark > 0 {
            url.push_str(&format!("&sysparm_offset={}", self.consumed_at_watermark));
        }
        url.push_str("&sysparm_display_value=false&sysparm_exclude_reference_link=true");
        url
    }

    /// Parses one `{"result": [...]}` page and advances the watermark. On an
    /// error the watermark is left unchanged.
    pub fn ingest_page(&mut self, tenant: &TenantId, body: &[u8]) -> Result<PollPage, OmegaError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| json_syntax(P, &e))?;
        let hint = "the Table API answers {\"result\": [...]}; check the URL and the Accept header";
        let items = match value.get("result") {
            Some(Value::Array(items)) => items,
            _ => return Err(shape(P, "result", "the page has no `result` list", hint)),
        };
        let mut deliveries = Vec::with_capacity(items.len());
        let (mut wm, mut consumed) = (self.watermark, self.consumed_at_watermark);
        for (i, item) in items.iter().enumerate() {
            if !item.is_object() {
                return Err(shape(
                    P,
                    &format!("result[{i}]"),
                    "a record is not a JSON object",
                    hint,
                ));
            }
            let d = super::delivery(tenant, item)?;
            let raw_updated = super::sn_field(item, "sys_updated_on").unwrap_or_default();
            let updated = parse_datetime(&raw_updated).ok_or_else(|| {
                invalid(
                    P,
                    "sys_updated_on",
                    format!(
                        "`sys_updated_on` = `{}` is not a date-time",
                        raw_updated.escape_default()
                    ),
                )
            })?;
            if updated > wm {
                wm = updated;
                consumed = 1;
            } else if updated == wm {
                consumed = consumed.saturating_add(1);
            }
            deliveries.push(d);
        }
        self.watermark = wm;
        self.consumed_at_watermark = consumed;
        Ok(PollPage {
            more: items.len() >= self.limit as usize,
            deliveries,
        })
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(sys_id: &str, updated: &str) -> Value {
        serde_json::json!({"sys_id": sys_id, "sys_updated_on": updated, "short_description": "x"})
    }

    #[test]
    fn builds_the_documented_url() {
        let since = Utc.with_ymd_and_hms(2024, 3, 1, 10, 15, 0).unwrap();
        let p = ServiceNowPoller::new("https://acme.service-now.com/", since, 100).unwrap();
        assert_eq!(
            p.request_url(),
            "https://acme.service-now.com/api/now/table/incident?sysparm_query=sys_updated_on%3E%3D2024-03-01%2010%3A15%3A00%5EORDERBYsys_updated_on%5EORDERBYsys_id&sysparm_limit=100&sysparm_display_value=false&sysparm_exclude_reference_link=true"
        );
        for bad in [
            "http://acme.service-now.com",
            "acme",
            "https://",
            "https://a.com/path",
        ] {
            assert!(ServiceNowPoller::new(bad, since, 100).is_err(), "{bad}");
        }
        assert!(ServiceNowPoller::new("https://a.service-now.com", since, 0).is_err());
    }

    #[test]
    fn advances_the_watermark_and_offset() {
        let tenant = TenantId::parse("acme").unwrap();
        let since = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
        let mut p = ServiceNowPoller::new("https://acme.service-now.com", since, 3).unwrap();
        let page = serde_json::json!({"result": [
            record("a", "2024-03-01 10:00:00"),
            record("b", "2024-03-01 10:00:05"),
            record("c", "2024-03-01 10:00:05"),
        ]});
        let out = p.ingest_page(&tenant, page.to_string().as_bytes()).unwrap();
        assert!(out.more);
        assert_eq!(out.deliveries.len(), 3);
        assert_eq!(out.deliveries[1].delivery_id, "b:2024-03-01 10:00:05");
        assert_eq!(
            p.watermark(),
            Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 5).unwrap()
        );
        assert!(p.request_url().contains("&sysparm_offset=2&"));

        let page = serde_json::json!({"result": [record("d", "2024-03-01 10:00:09")]});
        let out = p.ingest_page(&tenant, page.to_string().as_bytes()).unwrap();
        assert!(!out.more);
        assert!(!p.request_url().contains("sysparm_offset=2"));
        assert!(p.request_url().contains("&sysparm_offset=1&"));

        let before = p.clone();
        let bad = serde_json::json!({"result": [record("e", "soon")]});
        assert!(p.ingest_page(&tenant, bad.to_string().as_bytes()).is_err());
        assert_eq!(p, before);
        assert!(p.ingest_page(&tenant, b"{\"error\": {}}").is_err());
        assert!(p.ingest_page(&tenant, b"<html>").is_err());
    }
}
