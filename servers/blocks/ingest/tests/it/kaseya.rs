use chrono::{TimeZone, Utc};
use omega_ingest::{Pseudonymizer, normalize, normalize_raw, parse};
use omega_protocol::{ErrorCode, Priority, SourcePlatform};

use crate::{acme, config, fixture, pseudonymizer};

const K: SourcePlatform = SourcePlatform::KaseyaBms;

#[test]
fn ticket_webhook() {
    let body = fixture("kaseya/ticket_created.json");
    let deliveries = parse(K, &acme(), Some("application/json"), &body, &config()).unwrap();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d.delivery_id, "104211:2024-03-01T02:14:09");
    let t = normalize(d, &pseudonymizer()).unwrap();
    assert_eq!(t.id, "kaseya-bms:104211");
    assert_eq!(t.title, "Server BACKUP01 failed nightly backup");
    assert_eq!(
        t.body,
        "The nightly backup job Full-Weekly failed with error:\n\nVSS writer timed out (0x800423f2)\n\nPlease check & rerun."
    );
    assert_eq!(t.priority, Some(Priority::P1));
    assert_eq!(t.source_fields.priority.as_deref(), Some("Critical"));
    assert_eq!(t.source_fields.status.as_deref(), Some("New"));
    assert_eq!(
        t.source_fields.category.as_deref(),
        Some("Incident / Backup / Job Failure")
    );
    assert_eq!(t.tags, ["number:T20240301.0007", "queue:Level 1 Support"]);
    assert_eq!(
        t.created_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 2, 14, 9).unwrap()
    );
    let want = pseudonymizer().pseudonym(&acme(), "priya@contosodental.example");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));
}

#[test]
fn wrapped_camel_case_and_form_bodies() {
    let body = br#"{"Event": "TicketUpdated", "Data": {"id": 9, "title": "Wifi slow", "priorityName": "P2 - High",
        "openDate": "2024-03-01T09:00:00", "contactId": 44}}"#;
    let t = &normalize_raw(K, &acme(), None, body, &config(), &pseudonymizer()).unwrap()[0];
    assert_eq!(t.external_id, "9");
    assert_eq!(t.priority, Some(Priority::P2));
    let want = pseudonymizer().pseudonym(&acme(), "kaseya-bms-contact:44");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));

    let json = r#"{"Id":10,"Title":"a b","OpenDate":"2024-03-01T09:00:00"}"#;
    let form = format!(
        "payload={}",
        json.replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace(' ', "+")
    );
    let ts = normalize_raw(
        K,
        &acme(),
        Some("application/x-www-form-urlencoded"),
        form.as_bytes(),
        &config(),
        &pseudonymizer(),
    )
    .unwrap();
    assert_eq!(ts[0].title, "a b");
    let err = parse(
        K,
        &acme(),
        Some("application/x-www-form-urlencoded"),
        b"x=1",
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
}

#[test]
fn missing_fields_are_named() {
    let err = parse(K, &acme(), None, br#"{"Title": "x"}"#, &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    let err = normalize_raw(
        K,
        &acme(),
        None,
        br#"{"Id": 1, "Title": "x"}"#,
        &config(),
        &pseudonymizer(),
    )
    .unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("OpenDate"));
    let err = normalize_raw(
        K,
        &acme(),
        None,
        br#"{"Id": 1, "TicketNumber": "T1", "OpenDate": "2024-03-01T09:00:00"}"#,
        &config(),
        &pseudonymizer(),
    )
    .unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("Title"));
}
