use chrono::{DateTime, Duration, TimeZone, Utc};
use http::{HeaderMap, HeaderValue};
use omega_ingest::{http_status, sign_base64, verify};
use omega_protocol::{ErrorCode, SourcePlatform, TenantId};

use crate::{KASEYA_SECRET, SF_CDC_SECRET, SN_SECRET, ZENDESK_SECRET, acme, config, fixture};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 8, 10, 12, 9).unwrap()
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn zendesk_headers(ts: &str, body: &[u8], secret: &str) -> HeaderMap {
    let sig = sign_base64(secret, &[ts.as_bytes(), body]);
    headers(&[
        ("X-Zendesk-Webhook-Signature", &sig),
        ("X-Zendesk-Webhook-Signature-Timestamp", ts),
        ("X-Zendesk-Webhook-Id", "01GK8E6BKWMJZD2T8Y5AXJQMG5"),
    ])
}

const Z: SourcePlatform = SourcePlatform::Zendesk;

#[test]
fn zendesk_signature_over_timestamp_and_body() {
    let body = fixture("zendesk/ticket_created_event.json");
    let ts = "2025-01-08T10:12:08Z";
    let h = zendesk_headers(ts, &body, ZENDESK_SECRET);
    verify(Z, &acme(), &h, &body, now(), &config()).unwrap();

    // Tampered body, wrong secret, missing headers.
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    let err = verify(Z, &acme(), &h, &tampered, now(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);
    let bad = zendesk_headers(ts, &body, "wrong");
    assert_eq!(
        verify(Z, &acme(), &bad, &body, now(), &config())
            .unwrap_err()
            .code,
        ErrorCode::UNAUTHENTICATED
    );
    let err = verify(Z, &acme(), &HeaderMap::new(), &body, now(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);
    assert_eq!(http_status(&err), http::StatusCode::UNAUTHORIZED);
    // The timestamp is part of what is signed.
    let mut swapped = h.clone();
    swapped.insert(
        "X-Zendesk-Webhook-Signature-Timestamp",
        HeaderValue::from_static("2025-01-08T10:12:07Z"),
    );
    assert!(verify(Z, &acme(), &swapped, &body, now(), &config()).is_err());
}

#[test]
fn zendesk_stale_timestamps_are_refused_with_a_clock_hint() {
    let body = fixture("zendesk/ticket_created_event.json");
    let ts = "2025-01-08T10:12:08Z";
    let h = zendesk_headers(ts, &body, ZENDESK_SECRET);
    let sent = Utc.with_ymd_and_hms(2025, 1, 8, 10, 12, 8).unwrap();
    // Exactly at the tolerance is fine, one second past it is not, both ways.
    verify(
        Z,
        &acme(),
        &h,
        &body,
        sent + Duration::seconds(300),
        &config(),
    )
    .unwrap();
    verify(
        Z,
        &acme(),
        &h,
        &body,
        sent - Duration::seconds(300),
        &config(),
    )
    .unwrap();
    for late in [sent + Duration::seconds(301), sent - Duration::seconds(301)] {
        let err = verify(Z, &acme(), &h, &body, late, &config()).unwrap_err();
        assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);
        assert!(
            err.data.hint.as_deref().unwrap().contains("clock"),
            "{err:?}"
        );
    }
    let mut cfg = config();
    cfg.signature_tolerance_secs = 3600;
    verify(Z, &acme(), &h, &body, sent + Duration::seconds(1800), &cfg).unwrap();
}

#[test]
fn servicenow_hmac_or_shared_secret() {
    let s = SourcePlatform::Servicenow;
    let body = fixture("servicenow/incident_push.json");
    let sig = sign_base64(SN_SECRET, &[&body]);
    verify(
        s,
        &acme(),
        &headers(&[("X-Omega-Signature", &sig)]),
        &body,
        now(),
        &config(),
    )
    .unwrap();
    verify(
        s,
        &acme(),
        &headers(&[("X-Omega-Secret", SN_SECRET)]),
        &body,
        now(),
        &config(),
    )
    .unwrap();
    for h in [
        headers(&[("X-Omega-Secret", "nope")]),
        headers(&[("X-Omega-Signature", &sign_base64("nope", &[&body]))]),
        // A present but wrong signature is not rescued by a right secret.
        headers(&[("X-Omega-Signature", "AAAA"), ("X-Omega-Secret", SN_SECRET)]),
        HeaderMap::new(),
    ] {
        let err = verify(s, &acme(), &h, &body, now(), &config()).unwrap_err();
        assert_eq!(err.code, ErrorCode::UNAUTHENTICATED, "{h:?}");
    }
}

#[test]
fn salesforce_outbound_by_org_id_and_cdc_by_secret() {
    let sf = SourcePlatform::Salesforce;
    let xml = fixture("salesforce/outbound_case.xml");
    verify(sf, &acme(), &HeaderMap::new(), &xml, now(), &config()).unwrap();
    let other_org = String::from_utf8(xml.clone())
        .unwrap()
        .replace("00D5e000000KQ2eEAG", "00D5e000000ZZZZEAG");
    let err = verify(
        sf,
        &acme(),
        &HeaderMap::new(),
        other_org.as_bytes(),
        now(),
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);

    let cdc = fixture("salesforce/cdc_case_create.json");
    let err = verify(sf, &acme(), &HeaderMap::new(), &cdc, now(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);
    let sig = sign_base64(SF_CDC_SECRET, &[&cdc]);
    verify(
        sf,
        &acme(),
        &headers(&[("X-Omega-Signature", &sig)]),
        &cdc,
        now(),
        &config(),
    )
    .unwrap();
}

#[test]
fn kaseya_signature_base64_or_hex() {
    let k = SourcePlatform::KaseyaBms;
    let body = fixture("kaseya/ticket_created.json");
    let b64 = sign_base64(KASEYA_SECRET, &[&body]);
    use base64::Engine as _;
    let hexed = hex::encode(
        base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .unwrap(),
    );
    for sig in [b64.as_str(), hexed.as_str()] {
        verify(
            k,
            &acme(),
            &headers(&[("Signature", sig)]),
            &body,
            now(),
            &config(),
        )
        .unwrap();
    }
    let err = verify(k, &acme(), &HeaderMap::new(), &body, now(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);
    let err = verify(
        k,
        &acme(),
        &headers(&[("Signature", &b64)]),
        b"{}",
        now(),
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);
}

#[test]
fn unknown_tenant_and_missing_secrets() {
    let body = b"{}";
    let err = verify(
        Z,
        &TenantId::parse("nobody").unwrap(),
        &HeaderMap::new(),
        body,
        now(),
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::TENANT_UNKNOWN);
    let bare = TenantId::parse("bare").unwrap();
    for p in [
        SourcePlatform::Zendesk,
        SourcePlatform::Servicenow,
        SourcePlatform::Salesforce,
        SourcePlatform::KaseyaBms,
    ] {
        let err = verify(p, &bare, &HeaderMap::new(), body, now(), &config()).unwrap_err();
        assert_eq!(err.code, ErrorCode::UNAUTHENTICATED, "{p:?}");
        assert!(err.data.hint.is_some());
    }
}
