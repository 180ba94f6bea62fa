//! The item cap (`maxItemsPerDelivery`): every array format is refused over
//! it with 413 `payload_too_large` naming the limit and the count; the
//! request's dedupe key.

use std::num::NonZeroUsize;

use http::{HeaderMap, StatusCode};
use omega_ingest::{
    IngestConfig, MAX_OUTBOUND_NOTIFICATIONS, delivery_key, http_status, parse, parse_accepted,
    verify,
};
use omega_protocol::{ErrorCode, OmegaError, SourcePlatform};
use serde_json::{Value, json};

use crate::{acme, config};

fn capped(n: usize) -> IngestConfig {
    IngestConfig {
        max_items_per_delivery: NonZeroUsize::new(n).unwrap(),
        ..config()
    }
}

/// An outbound message with `n` distinct Case notifications.
pub fn outbound(n: usize) -> String {
    let items: String = (0..n)
        .map(|i| {
            format!(
                r#"<Notification><Id>04l0000000{i:05}AAA</Id><sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>5000000000{i:05}AAA</sf:Id><sf:Subject>case {i}</sf:Subject><sf:CreatedDate>2024-03-01T10:15:00.000Z</sf:CreatedDate></sObject></Notification>"#
            )
        })
        .collect();
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>00D5e000000KQ2eEAG</OrganizationId><ActionId>04k5e000000CaRkAAK</ActionId>{items}</notifications></soapenv:Body></soapenv:Envelope>"#
    )
}

fn cdc_event(change: &str, records: usize, seq: usize) -> Value {
    let ids: Vec<String> = (0..records).map(|i| format!("500{seq:03}{i:05}")).collect();
    json!({"payload": {
        "ChangeEventHeader": {"entityName": "Case", "recordIds": ids, "changeType": change,
            "transactionKey": "tk", "sequenceNumber": seq},
        "Subject": "Printer jammed",
        "CreatedDate": "2024-03-01T10:15:00.000Z"
    }})
}

fn kaseya(n: usize) -> Value {
    let tickets: Vec<Value> = (0..n)
        .map(|i| json!({"Id": 1000 + i, "Title": format!("ticket {i}"), "OpenDate": "2024-03-01T09:00:00"}))
        .collect();
    json!({"Tickets": tickets})
}

fn servicenow(n: usize) -> Value {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"sys_id": format!("{i:032x}"), "short_description": "VPN down",
                "sys_updated_on": "2024-03-01 10:00:00", "sys_created_on": "2024-03-01 10:00:00"})
        })
        .collect();
    json!({"result": records})
}

fn assert_cap(case: &str, err: &OmegaError, count: usize, limit: usize) {
    assert_eq!(err.code, ErrorCode::PAYLOAD_TOO_LARGE, "{case}: {err:?}");
    assert_eq!(
        http_status(err),
        StatusCode::PAYLOAD_TOO_LARGE,
        "{case}: {err:?}"
    );
    assert!(
        err.message.contains(&format!("carries {count} "))
            && err.message.contains(&format!("at most {limit} ")),
        "{case}: {}",
        err.message
    );
    let extra = err.data.extra.clone().unwrap_or_default();
    assert_eq!(extra["limit"], limit, "{case}: {extra}");
    assert_eq!(extra["count"], count, "{case}: {extra}");
    assert!(
        err.data
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("maxItemsPerDelivery")),
        "{case}: {err:?}"
    );
}

#[test]
fn every_array_format_is_capped_and_names_limit_and_count() {
    use SourcePlatform::*;
    let json_ct = Some("application/json");
    let cfg = capped(3);

    // Salesforce outbound: 3 pass, 4 are refused (counted to the end).
    let ok = parse(
        Salesforce,
        &acme(),
        Some("text/xml"),
        outbound(3).as_bytes(),
        &cfg,
    )
    .unwrap();
    assert_eq!(ok.len(), 3);
    let err = parse(
        Salesforce,
        &acme(),
        Some("text/xml"),
        outbound(7).as_bytes(),
        &cfg,
    )
    .unwrap_err();
    assert_cap("outbound", &err, 7, 3);
    assert_eq!(
        err.data.field.as_deref(),
        Some("notifications.Notification")
    );

    // Salesforce CDC: record ids of one event, and events of an array.
    let one = cdc_event("UPDATE", 3, 1).to_string();
    assert_eq!(
        parse(Salesforce, &acme(), json_ct, one.as_bytes(), &cfg)
            .unwrap()
            .len(),
        3
    );
    let many_ids = cdc_event("CREATE", 5, 1).to_string();
    let err = parse(Salesforce, &acme(), json_ct, many_ids.as_bytes(), &cfg).unwrap_err();
    assert_cap("cdc recordIds", &err, 5, 3);
    assert_eq!(
        err.data.field.as_deref(),
        Some("ChangeEventHeader.recordIds")
    );
    let spread = json!([cdc_event("CREATE", 2, 1), cdc_event("UPDATE", 2, 2)]).to_string();
    let err = parse(Salesforce, &acme(), json_ct, spread.as_bytes(), &cfg).unwrap_err();
    assert_cap("cdc record ids over several events", &err, 4, 3);
    let events: Vec<Value> = (0..4).map(|i| cdc_event("DELETE", 1, i)).collect();
    let err = parse(
        Salesforce,
        &acme(),
        json_ct,
        Value::from(events).to_string().as_bytes(),
        &cfg,
    )
    .unwrap_err();
    assert_cap("cdc events", &err, 4, 3);
    // Deleted records yield no ticket and do not count.
    let deletes = cdc_event("DELETE", 50, 1).to_string();
    assert!(
        parse(Salesforce, &acme(), json_ct, deletes.as_bytes(), &cfg)
            .unwrap()
            .is_empty()
    );

    // Kaseya BMS arrays.
    let body = kaseya(3).to_string();
    assert_eq!(
        parse(KaseyaBms, &acme(), json_ct, body.as_bytes(), &cfg)
            .unwrap()
            .len(),
        3
    );
    let body = kaseya(11).to_string();
    let err = parse(KaseyaBms, &acme(), json_ct, body.as_bytes(), &cfg).unwrap_err();
    assert_cap("kaseya", &err, 11, 3);
    let bare_array = kaseya(4)["Tickets"].to_string();
    let err = parse(KaseyaBms, &acme(), json_ct, bare_array.as_bytes(), &cfg).unwrap_err();
    assert_cap("kaseya bare array", &err, 4, 3);

    // ServiceNow result lists.
    let body = servicenow(3).to_string();
    assert_eq!(
        parse(Servicenow, &acme(), json_ct, body.as_bytes(), &cfg)
            .unwrap()
            .len(),
        3
    );
    let body = servicenow(4).to_string();
    let err = parse(Servicenow, &acme(), json_ct, body.as_bytes(), &cfg).unwrap_err();
    assert_cap("servicenow", &err, 4, 3);
    assert_eq!(err.data.field.as_deref(), Some("result"));
}

#[test]
fn the_default_cap_is_100_and_outbound_messages_never_exceed_salesforce_s_own_100() {
    let cfg = config();
    assert_eq!(cfg.max_items_per_delivery.get(), 100);
    let json_ct = Some("application/json");
    let body = kaseya(100).to_string();
    assert_eq!(
        parse(
            SourcePlatform::KaseyaBms,
            &acme(),
            json_ct,
            body.as_bytes(),
            &cfg
        )
        .unwrap()
        .len(),
        100
    );
    let body = kaseya(101).to_string();
    let err = parse(
        SourcePlatform::KaseyaBms,
        &acme(),
        json_ct,
        body.as_bytes(),
        &cfg,
    )
    .unwrap_err();
    assert_cap("kaseya default", &err, 101, 100);

    let raised = capped(500);
    let body = kaseya(300).to_string();
    assert_eq!(
        parse(
            SourcePlatform::KaseyaBms,
            &acme(),
            json_ct,
            body.as_bytes(),
            &raised
        )
        .unwrap()
        .len(),
        300
    );
    let err = parse(
        SourcePlatform::Salesforce,
        &acme(),
        None,
        outbound(MAX_OUTBOUND_NOTIFICATIONS + 1).as_bytes(),
        &raised,
    )
    .unwrap_err();
    assert_cap("outbound over salesforce's maximum", &err, 101, 100);
}

#[test]
fn stored_bodies_are_parsed_without_the_cap() {
    // Accepted under a larger cap, then the cap was lowered: still processed.
    let body = kaseya(20).to_string();
    let cfg = capped(5);
    assert!(
        parse(
            SourcePlatform::KaseyaBms,
            &acme(),
            None,
            body.as_bytes(),
            &cfg
        )
        .is_err()
    );
    let all = parse_accepted(
        SourcePlatform::KaseyaBms,
        &acme(),
        None,
        body.as_bytes(),
        &cfg,
    )
    .unwrap();
    assert_eq!(all.len(), 20);
}

#[test]
fn an_over_cap_outbound_message_from_another_org_is_unauthenticated_first() {
    let other = outbound(150).replace("00D5e000000KQ2eEAG", "00D5e000000ZZZZEAG");
    let sf = SourcePlatform::Salesforce;
    let err = verify(
        sf,
        &acme(),
        &HeaderMap::new(),
        other.as_bytes(),
        chrono::Utc::now(),
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::UNAUTHENTICATED);
    // The tenant's own org: authenticated, then refused by the cap.
    let own = outbound(150);
    verify(
        sf,
        &acme(),
        &HeaderMap::new(),
        own.as_bytes(),
        chrono::Utc::now(),
        &config(),
    )
    .unwrap();
    let err = parse(sf, &acme(), None, own.as_bytes(), &config()).unwrap_err();
    assert_cap("outbound 150", &err, 150, 100);
}

#[test]
fn the_request_key_is_stable_per_item_set() {
    let sf = SourcePlatform::Salesforce;
    let cfg = config();
    let one = parse(sf, &acme(), None, outbound(1).as_bytes(), &cfg).unwrap();
    assert_eq!(delivery_key(&one).as_deref(), Some("04l000000000000AAA"));
    assert_eq!(delivery_key(&[]), None);

    let three = parse(sf, &acme(), None, outbound(3).as_bytes(), &cfg).unwrap();
    let key = delivery_key(&three).unwrap();
    assert!(key.starts_with("batch:3:"), "{key}");
    assert_eq!(key.len(), "batch:3:".len() + 32, "{key}");
    let mut reversed = three.clone();
    reversed.reverse();
    assert_eq!(
        delivery_key(&reversed).unwrap(),
        key,
        "order does not matter"
    );
    let two = &three[..2];
    assert_ne!(delivery_key(two).unwrap(), key);
    let four = parse(sf, &acme(), None, outbound(4).as_bytes(), &cfg).unwrap();
    assert_ne!(
        delivery_key(&four[1..]).unwrap(),
        key,
        "other items, other key"
    );
}
