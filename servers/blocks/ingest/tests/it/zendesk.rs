use chrono::{TimeZone, Utc};
use omega_ingest::{PlatformRecord, Pseudonymizer, normalize, normalize_raw, parse};
use omega_protocol::{ErrorCode, Priority, SourcePlatform};

use crate::{acme, config, fixture, pseudonymizer};

const Z: SourcePlatform = SourcePlatform::Zendesk;

#[test]
fn event_subscription_ticket_created() {
    let body = fixture("zendesk/ticket_created_event.json");
    let deliveries = parse(Z, &acme(), Some("application/json"), &body, &config()).unwrap();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d.delivery_id, "cbe4028c-7239-495d-b020-f22348516046");
    assert_eq!(d.external_id, "5158");
    let PlatformRecord::ZendeskEvent(ev) = &d.record else {
        panic!("{:?}", d.record)
    };
    assert_eq!(ev.event_type, "zen:event-type:ticket.created");
    assert_eq!(ev.account_id.as_deref(), Some("12514403"));

    let t = normalize(d, &pseudonymizer()).unwrap();
    assert_eq!(t.id, "zendesk:5158");
    assert_eq!(t.tenant, acme());
    assert_eq!(t.title, "Outlook password prompt loop");
    assert!(t.body.starts_with("Outlook keeps asking"));
    assert!(t.body.contains("\n\nI already restarted"));
    assert_eq!(t.priority, Some(Priority::P2));
    assert_eq!(t.source_fields.priority.as_deref(), Some("HIGH"));
    assert_eq!(t.source_fields.status.as_deref(), Some("NEW"));
    assert_eq!(t.source_fields.category.as_deref(), Some("INCIDENT"));
    assert_eq!(t.tags, ["email", "outlook"]);
    assert_eq!(
        t.created_at,
        Utc.with_ymd_and_hms(2025, 1, 8, 10, 12, 7).unwrap()
    );
    let want = pseudonymizer().pseudonym(&acme(), "zendesk-user:8447388090495");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));
}

#[test]
fn non_ticket_events_yield_nothing() {
    let body = fixture("zendesk/user_event.json");
    let deliveries = parse(Z, &acme(), None, &body, &config()).unwrap();
    assert!(deliveries.is_empty());
}

#[test]
fn trigger_webhook_with_default_field_map() {
    let body = fixture("zendesk/trigger_body.json");
    let tickets = normalize_raw(
        Z,
        &acme(),
        Some("application/json"),
        &body,
        &config(),
        &pseudonymizer(),
    )
    .unwrap();
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(t.id, "zendesk:35436");
    assert_eq!(t.title, "VPN drops every 10 minutes");
    assert_eq!(t.priority, Some(Priority::P1));
    assert_eq!(t.source_fields.priority.as_deref(), Some("Urgent"));
    assert_eq!(t.source_fields.category.as_deref(), Some("Problem"));
    assert_eq!(t.tags, ["vpn", "network", "vip"]);
    assert_eq!(
        t.updated_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 10, 20, 31).unwrap()
    );
    let want = pseudonymizer().pseudonym(&acme(), "maria.lopez@contoso.example");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));
    assert!(!serde_json::to_string(t).unwrap().contains("maria.lopez"));

    let d = &parse(Z, &acme(), None, &body, &config()).unwrap()[0];
    assert!(
        d.delivery_id.starts_with("trigger:35436:"),
        "{}",
        d.delivery_id
    );
    // A byte-identical retry dedupes; a changed body is a new delivery.
    let again = &parse(Z, &acme(), None, &body, &config()).unwrap()[0];
    assert_eq!(again.delivery_id, d.delivery_id);
    let changed = String::from_utf8(body)
        .unwrap()
        .replace("10:20:31", "10:25:00");
    let other = &parse(Z, &acme(), None, changed.as_bytes(), &config()).unwrap()[0];
    assert_ne!(other.delivery_id, d.delivery_id);
}

#[test]
fn trigger_webhook_with_a_custom_field_map() {
    let mut cfg = config();
    let map = &mut cfg.tenants.get_mut(&acme()).unwrap().zendesk_field_map;
    map.id = "/tid".into();
    map.title = "/subject".into();
    map.created_at = "/at".into();
    let body = br#"{"tid": 7, "subject": "Laptop <b>broken</b>", "at": "2024-03-01T10:15:00Z"}"#;
    let t = &normalize_raw(Z, &acme(), None, body, &cfg, &pseudonymizer()).unwrap()[0];
    assert_eq!(t.external_id, "7");
    assert_eq!(t.title, "Laptop broken");
    assert_eq!(t.priority, None);
    assert_eq!(t.requester, None);
    assert_eq!(t.updated_at, t.created_at);
}

#[test]
fn trigger_missing_title_names_the_mapped_field() {
    let body = br#"{"ticket": {"id": "1", "created_at": "2024-03-01T10:15:00Z"}}"#;
    let err = normalize_raw(Z, &acme(), None, body, &config(), &pseudonymizer()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    assert_eq!(err.data.field.as_deref(), Some("ticket.title"));

    let body = br#"{"ticket": {"title": "x"}}"#;
    let err = parse(Z, &acme(), None, body, &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    assert_eq!(err.data.field.as_deref(), Some("ticket.id"));

    let body = br#"{"ticket": {"id": "1", "title": "x"}}"#;
    let err = normalize_raw(Z, &acme(), None, body, &config(), &pseudonymizer()).unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("ticket.created_at"));

    let body = br#"{"ticket": {"id": "1", "title": "x", "created_at": "last tuesday"}}"#;
    let err = normalize_raw(Z, &acme(), None, body, &config(), &pseudonymizer()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    assert!(err.message.contains("last tuesday"), "{}", err.message);
}

#[test]
fn event_without_detail_subject_is_a_schema_violation() {
    let mut v: serde_json::Value =
        serde_json::from_slice(&fixture("zendesk/ticket_created_event.json")).unwrap();
    v["detail"].as_object_mut().unwrap().remove("subject");
    let err = normalize_raw(
        Z,
        &acme(),
        None,
        v.to_string().as_bytes(),
        &config(),
        &pseudonymizer(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    assert_eq!(err.data.field.as_deref(), Some("detail.subject"));

    v["detail"] = serde_json::Value::Null;
    let err = parse(Z, &acme(), None, v.to_string().as_bytes(), &config()).unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("detail"));
}
