//! The endpoint's failure cases: each gets a 4xx with an OmegaError body
//! naming the problem, and nothing reaches `ticket-raw`.

use chrono::{Duration as ChronoDuration, Utc};
use omega_config::TeamsConfig;
use omega_ingest::{ZENDESK_SIGNATURE_HEADER, ZENDESK_TIMESTAMP_HEADER, sign_base64};
use omega_pipeline::{queues, signed_headers};
use omega_protocol::{ErrorCode, SourcePlatform};
use serde_json::Value;

use crate::{Harness, TENANT, config, fixture, kaseya_ticket, secrets};

fn assert_error(
    case: &str,
    (status, body): &(u16, Value),
    want_status: u16,
    code: ErrorCode,
    field: Option<&str>,
) {
    assert_eq!(*status, want_status, "{case}: {body}");
    assert_eq!(body["code"], code.0, "{case}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{case}: {body}"
    );
    if let Some(f) = field {
        assert_eq!(body["data"]["field"], f, "{case}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_deliveries_are_refused_and_nothing_is_enqueued() {
    let dir = tempfile::tempdir().unwrap();
    // Workers are not started: whatever the endpoint enqueues stays on ticket-raw.
    let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
    let zendesk = fixture("zendesk/ticket_created_event.json");
    let kaseya = fixture("kaseya/ticket_created.json");
    use SourcePlatform::*;

    let r = h
        .post(
            Zendesk,
            "application/json",
            b"{\"type\": \"zen:event-type:ticket.created\",",
        )
        .await;
    assert_error("malformed JSON", &r, 400, ErrorCode::PARSE_ERROR, None);

    let good_xml = String::from_utf8(fixture("salesforce/outbound_case.xml")).unwrap();
    let xml = good_xml.replacen("</sf:Subject>", "</sf:Subjekt>", 1);
    let r = h.post(Salesforce, "text/xml", xml.as_bytes()).await;
    assert_eq!(r.0, 400, "malformed XML: {}", r.1);
    assert_eq!(
        r.1["code"],
        ErrorCode::PARSE_ERROR.0,
        "malformed XML: {}",
        r.1
    );

    let r = h.post(Zendesk, "text/plain", &zendesk).await;
    assert_error(
        "wrong content type",
        &r,
        415,
        ErrorCode::INVALID_PARAMS,
        Some("content-type"),
    );

    let big = kaseya_ticket(1, "Huge", &"x".repeat(70 * 1024));
    let r = h.post(KaseyaBms, "application/json", &big).await;
    assert_error(
        "body over the limit",
        &r,
        413,
        ErrorCode::PAYLOAD_TOO_LARGE,
        Some("body"),
    );

    let r = h
        .post_with("jira", TENANT, Some("application/json"), &[], &zendesk)
        .await;
    assert_error(
        "unknown platform",
        &r,
        404,
        ErrorCode::NOT_FOUND,
        Some("platform"),
    );

    let headers = signed_headers(Zendesk, &secrets(), &zendesk, Utc::now());
    let r = h
        .post_with(
            "zendesk",
            "globex",
            Some("application/json"),
            &headers,
            &zendesk,
        )
        .await;
    assert_error(
        "unknown tenant",
        &r,
        404,
        ErrorCode::TENANT_UNKNOWN,
        Some("tenant"),
    );

    let r = h
        .post_with("zendesk", TENANT, Some("application/json"), &[], &zendesk)
        .await;
    assert_error(
        "missing signature",
        &r,
        401,
        ErrorCode::UNAUTHENTICATED,
        None,
    );

    let mut wrong = secrets();
    wrong.kaseya_secret = Some("not the secret".into());
    let headers = signed_headers(KaseyaBms, &wrong, &kaseya, Utc::now());
    let r = h
        .post_with(
            "kaseya-bms",
            TENANT,
            Some("application/json"),
            &headers,
            &kaseya,
        )
        .await;
    assert_error("bad signature", &r, 401, ErrorCode::UNAUTHENTICATED, None);

    let stale = (Utc::now() - ChronoDuration::minutes(20))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let sig = sign_base64("zendesk-test-secret", &[stale.as_bytes(), &zendesk]);
    let headers = [
        (ZENDESK_SIGNATURE_HEADER, sig),
        (ZENDESK_TIMESTAMP_HEADER, stale),
    ];
    let r = h
        .post_with(
            "zendesk",
            TENANT,
            Some("application/json"),
            &headers,
            &zendesk,
        )
        .await;
    assert_error("stale timestamp", &r, 401, ErrorCode::UNAUTHENTICATED, None);

    let no_title = br#"{"Id": 77, "Details": "printer broken", "OpenDate": "2024-03-01T09:00:00"}"#;
    let r = h.post(KaseyaBms, "application/json", no_title).await;
    assert_error(
        "missing required field",
        &r,
        400,
        ErrorCode::SCHEMA_VIOLATION,
        Some("Title"),
    );
    assert!(
        r.1["message"].as_str().unwrap().contains("Title"),
        "{}",
        r.1
    );

    assert_eq!(
        h.depth(queues::RAW).await,
        0,
        "a refused delivery reached ticket-raw"
    );

    // The same checks let a good delivery through, once.
    let r = h.post(KaseyaBms, "application/json", &kaseya).await;
    assert_eq!(r.0, 202, "{}", r.1);
    assert_eq!(
        (r.1["received"].as_u64(), r.1["duplicates"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(h.depth(queues::RAW).await, 1);
    let again = h.post(KaseyaBms, "application/json", &kaseya).await;
    assert_eq!(again.0, 202, "{}", again.1);
    assert_eq!(again.1["duplicates"].as_u64(), Some(1), "{}", again.1);
    assert_eq!(
        h.depth(queues::RAW).await,
        1,
        "a duplicate delivery was enqueued twice"
    );
    h.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_outbound_messages_get_the_soap_ack() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
    let xml = fixture("salesforce/outbound_case.xml");
    let (status, body) = h
        .post(SourcePlatform::Salesforce, "text/xml; charset=utf-8", &xml)
        .await;
    assert_eq!(status, 200);
    let text = body.as_str().unwrap();
    assert!(
        text.contains("notificationsResponse") && text.contains("<Ack>true</Ack>"),
        "{text}"
    );
    // One message for the request, however many Notifications it carries.
    assert_eq!(h.depth(queues::RAW).await, 1);
    // Salesforce retries the same notifications: acknowledged, not stored again.
    let (status, _) = h.post(SourcePlatform::Salesforce, "text/xml", &xml).await;
    assert_eq!(status, 200);
    assert_eq!(h.depth(queues::RAW).await, 1);
    h.shutdown();
}
