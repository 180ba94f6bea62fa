use chrono::{TimeZone, Utc};
use omega_ingest::{Pseudonymizer, ServiceNowPoller, normalize, normalize_raw, parse};
use omega_protocol::{ErrorCode, Priority, SourcePlatform};

use crate::{acme, config, fixture, pseudonymizer};

const S: SourcePlatform = SourcePlatform::Servicenow;

#[test]
fn pushed_incident_in_table_api_shape() {
    let body = fixture("servicenow/incident_push.json");
    let deliveries = parse(
        S,
        &acme(),
        Some("application/json; charset=utf-8"),
        &body,
        &config(),
    )
    .unwrap();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(
        d.delivery_id,
        "9d385017c611228701d22104cc95c371:2024-03-01 10:20:31"
    );
    let t = normalize(d, &pseudonymizer()).unwrap();
    assert_eq!(t.id, "servicenow:9d385017c611228701d22104cc95c371");
    assert_eq!(
        t.title,
        "Exchange server unreachable for the whole Berlin office"
    );
    assert_eq!(
        t.body,
        "Users in Berlin get \"Cannot connect to server\" in Outlook.\nOWA works."
    );
    assert_eq!(t.priority, Some(Priority::P1));
    assert_eq!(t.source_fields.priority.as_deref(), Some("1"));
    assert_eq!(t.source_fields.status.as_deref(), Some("2"));
    assert_eq!(t.source_fields.category.as_deref(), Some("network / email"));
    assert_eq!(t.tags, ["number:INC0010042"]);
    assert_eq!(
        t.created_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 10, 15, 0).unwrap()
    );
    assert_eq!(
        t.updated_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 10, 20, 31).unwrap()
    );
    let want =
        pseudonymizer().pseudonym(&acme(), "servicenow-user:5137153cc611227c000bbd1bd8cd2005");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));
}

#[test]
fn display_value_all_and_bare_records_are_read() {
    let body = br#"[{"sys_id": {"display_value": "abc", "value": "abc"},
        "short_description": {"display_value": "Disk full", "value": "Disk full"},
        "priority": {"display_value": "4 - Low", "value": "4"},
        "caller_id.email": "ops@example.com",
        "sys_created_on": {"display_value": "01/03/2024 11:15:00", "value": "2024-03-01 10:15:00"},
        "sys_updated_on": {"display_value": "01/03/2024 11:16:00", "value": "2024-03-01 10:16:00"}}]"#;
    let t = &normalize_raw(S, &acme(), None, body, &config(), &pseudonymizer()).unwrap()[0];
    assert_eq!(t.external_id, "abc");
    assert_eq!(t.priority, Some(Priority::P4));
    assert_eq!(t.source_fields.priority.as_deref(), Some("4"));
    let want = pseudonymizer().pseudonym(&acme(), "ops@example.com");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));
}

#[test]
fn planning_priority_maps_to_p4_and_missing_fields_are_named() {
    let page = fixture("servicenow/incident_page.json");
    let tickets = normalize_raw(S, &acme(), None, &page, &config(), &pseudonymizer()).unwrap();
    assert_eq!(tickets.len(), 2);
    assert_eq!(tickets[0].priority, Some(Priority::P3));
    assert_eq!(tickets[0].body, "");
    assert_eq!(tickets[1].priority, Some(Priority::P4));
    assert_eq!(tickets[1].source_fields.priority.as_deref(), Some("5"));

    let err = parse(
        S,
        &acme(),
        None,
        br#"{"result": {"short_description": "x"}}"#,
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    assert_eq!(err.data.field.as_deref(), Some("sys_id"));
    let err = parse(S, &acme(), None, br#"{"sys_id": "a"}"#, &config()).unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("sys_updated_on"));
    let body = br#"{"sys_id": "a", "sys_updated_on": "2024-03-01 10:16:00"}"#;
    let err = normalize_raw(S, &acme(), None, body, &config(), &pseudonymizer()).unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("short_description"));
}

#[test]
fn poller_walks_pages_from_the_watermark() {
    let since = Utc.with_ymd_and_hms(2024, 2, 29, 0, 0, 0).unwrap();
    let mut poller = ServiceNowPoller::new("https://dev12345.service-now.com", since, 2).unwrap();
    let url = poller.request_url();
    assert!(url.starts_with("https://dev12345.service-now.com/api/now/table/incident?sysparm_query=sys_updated_on%3E%3D2024-02-29%2000%3A00%3A00%5EORDERBYsys_updated_on"), "{url}");
    assert!(url.contains("&sysparm_limit=2"));

    let page = poller
        .ingest_page(&acme(), &fixture("servicenow/incident_page.json"))
        .unwrap();
    assert!(page.more);
    assert_eq!(page.deliveries.len(), 2);
    assert_eq!(
        page.deliveries[1].delivery_id,
        "57af7aec73d423002728660c4cf6a71c:2024-03-01 08:03:17"
    );
    assert_eq!(
        poller.watermark(),
        Utc.with_ymd_and_hms(2024, 3, 1, 8, 3, 17).unwrap()
    );
    assert!(poller.request_url().contains("2024-03-01%2008%3A03%3A17"));
    assert!(poller.request_url().contains("&sysparm_offset=1&"));

    // The poller state survives a restart.
    let saved = serde_json::to_string(&poller).unwrap();
    let restored: ServiceNowPoller = serde_json::from_str(&saved).unwrap();
    assert_eq!(restored, poller);

    let empty = poller.ingest_page(&acme(), br#"{"result": []}"#).unwrap();
    assert!(!empty.more && empty.deliveries.is_empty());
    assert_eq!(
        poller.watermark(),
        Utc.with_ymd_and_hms(2024, 3, 1, 8, 3, 17).unwrap()
    );
}
