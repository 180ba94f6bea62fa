use chrono::{TimeZone, Utc};
use omega_ingest::{
    CaseOrigin, MAX_OUTBOUND_NOTIFICATIONS, PlatformRecord, Pseudonymizer, normalize,
    normalize_raw, parse,
};
use omega_protocol::{ErrorCode, Priority, SourcePlatform};

use crate::{acme, config, fixture, pseudonymizer};

const SF: SourcePlatform = SourcePlatform::Salesforce;

#[test]
fn outbound_message_with_two_cases() {
    let body = fixture("salesforce/outbound_case.xml");
    let deliveries = parse(
        SF,
        &acme(),
        Some("text/xml; charset=utf-8"),
        &body,
        &config(),
    )
    .unwrap();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].delivery_id, "04l5e00000Gx7QzAAJ");
    assert_eq!(deliveries[1].delivery_id, "04l5e00000Gx7R0AAJ");
    let PlatformRecord::SalesforceCase(c) = &deliveries[0].record else {
        panic!()
    };
    assert_eq!(
        c.origin,
        CaseOrigin::OutboundMessage {
            organization_id: "00D5e000000KQ2eEAG".into(),
            action_id: Some("04k5e000000CaRkAAK".into())
        }
    );

    let t = normalize(&deliveries[0], &pseudonymizer()).unwrap();
    assert_eq!(t.id, "salesforce:5005e00000AbCdEAAV");
    assert_eq!(t.title, "Generator shuts down intermittently");
    assert_eq!(
        t.body,
        "Generator <GC1060> keeps shutting down & restarting.\nCustomer is \"very\" unhappy."
    );
    assert_eq!(t.priority, Some(Priority::P2));
    assert_eq!(t.source_fields.priority.as_deref(), Some("High"));
    assert_eq!(t.source_fields.status.as_deref(), Some("New"));
    assert_eq!(t.source_fields.category.as_deref(), Some("Electrical"));
    assert_eq!(t.tags, ["number:00001026", "origin:Phone"]);
    assert_eq!(
        t.created_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 10, 15, 0).unwrap()
    );
    assert_eq!(
        t.updated_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 10, 20, 31).unwrap()
    );
    let want = pseudonymizer().pseudonym(&acme(), "jon.amos@edge.example");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));

    // Nil ContactEmail falls back to SuppliedEmail; CDATA HTML is stripped.
    let t = normalize(&deliveries[1], &pseudonymizer()).unwrap();
    assert_eq!(t.body, "Portal login fails with error 500");
    assert_eq!(t.priority, Some(Priority::P4));
    let want = pseudonymizer().pseudonym(&acme(), "lauren.boyle@express.example");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));
}

fn envelope(notifications: usize) -> String {
    let one = r#"<Notification><Id>04l000000000001AAA</Id><sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>500000000000001AAA</sf:Id><sf:Subject>s</sf:Subject><sf:CreatedDate>2024-03-01T10:15:00.000Z</sf:CreatedDate></sObject></Notification>"#;
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>00D5e000000KQ2eEAG</OrganizationId><ActionId>04k5e000000CaRkAAK</ActionId>{}</notifications></soapenv:Body></soapenv:Envelope>"#,
        one.repeat(notifications)
    )
}

#[test]
fn at_most_100_notifications() {
    let ok = parse(
        SF,
        &acme(),
        None,
        envelope(MAX_OUTBOUND_NOTIFICATIONS).as_bytes(),
        &config(),
    )
    .unwrap();
    assert_eq!(ok.len(), 100);
    let err = parse(SF, &acme(), None, envelope(101).as_bytes(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::PAYLOAD_TOO_LARGE);
    assert!(
        err.message.contains("101") && err.message.contains("100"),
        "{}",
        err.message
    );
    let err = parse(SF, &acme(), None, envelope(0).as_bytes(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
}

#[test]
fn namespaces_are_checked() {
    let wrong_ns = envelope(1).replace("http://soap.sforce.com/2005/09/outbound", "urn:other");
    let err = parse(SF, &acme(), None, wrong_ns.as_bytes(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    let no_soap = envelope(1).replace("http://schemas.xmlsoap.org/soap/envelope/", "urn:not-soap");
    let err = parse(SF, &acme(), None, no_soap.as_bytes(), &config()).unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("Envelope"));
    // Other prefixes for the same namespaces are fine.
    let renamed = envelope(1)
        .replace("soapenv:", "s:")
        .replace("xmlns:soapenv", "xmlns:s");
    assert_eq!(
        parse(SF, &acme(), None, renamed.as_bytes(), &config())
            .unwrap()
            .len(),
        1
    );
    let account = envelope(1).replace("sf:Case", "sf:Account");
    let err = parse(SF, &acme(), None, account.as_bytes(), &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    assert!(err.message.contains("Account"), "{}", err.message);
}

#[test]
fn outbound_case_without_subject_names_the_field() {
    let body = envelope(1).replace("<sf:Subject>s</sf:Subject>", "");
    let err = normalize_raw(
        SF,
        &acme(),
        None,
        body.as_bytes(),
        &config(),
        &pseudonymizer(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
    assert_eq!(err.data.field.as_deref(), Some("Subject"));
}

#[test]
fn change_data_capture_create() {
    let body = fixture("salesforce/cdc_case_create.json");
    let deliveries = parse(SF, &acme(), Some("application/json"), &body, &config()).unwrap();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(
        d.delivery_id,
        "0002343d-9d90-e395-ed20-cf416ba652ad:1:5005e00000AbCdGAAV"
    );
    let t = normalize(d, &pseudonymizer()).unwrap();
    assert_eq!(t.id, "salesforce:5005e00000AbCdGAAV");
    assert_eq!(t.title, "Printer on 3rd floor jams on every job");
    assert_eq!(t.priority, Some(Priority::P3));
    let want = pseudonymizer().pseudonym(&acme(), "tim.barr@pyramid.example");
    assert_eq!(t.requester.as_deref(), Some(want.as_str()));
    assert_eq!(
        t.created_at,
        Utc.with_ymd_and_hms(2024, 3, 1, 10, 15, 0).unwrap()
    );
}

#[test]
fn change_data_capture_update_delete_and_other_entities() {
    let header = |change: &str, entity: &str| {
        serde_json::json!({"payload": {
            "ChangeEventHeader": {"entityName": entity, "recordIds": ["500A", "500B"], "changeType": change,
                "changedFields": ["Priority", "LastModifiedDate"], "transactionKey": "tk", "sequenceNumber": 2,
                "commitTimestamp": 1709288100000u64, "commitUser": "005X"},
            "Priority": "Critical",
            "LastModifiedDate": "2024-03-01T10:15:00.000Z"
        }})
    };
    // A merged UPDATE fans out per record id; without Subject it cannot become a ticket.
    let upd = header("UPDATE", "Case").to_string();
    let ds = parse(SF, &acme(), None, upd.as_bytes(), &config()).unwrap();
    assert_eq!(
        ds.iter()
            .map(|d| d.delivery_id.as_str())
            .collect::<Vec<_>>(),
        ["tk:2:500A", "tk:2:500B"]
    );
    let err = normalize(&ds[0], &pseudonymizer()).unwrap_err();
    assert_eq!(err.data.field.as_deref(), Some("Subject"));
    assert!(err.data.hint.unwrap().contains("CDC UPDATE"));

    let del = header("DELETE", "Case").to_string();
    assert!(
        parse(SF, &acme(), None, del.as_bytes(), &config())
            .unwrap()
            .is_empty()
    );
    let acct = header("CREATE", "Account").to_string();
    let err = parse(SF, &acme(), None, acct.as_bytes(), &config()).unwrap_err();
    assert_eq!(
        err.data.field.as_deref(),
        Some("ChangeEventHeader.entityName")
    );
    let mut no_key = header("CREATE", "Case");
    no_key["payload"]["ChangeEventHeader"]
        .as_object_mut()
        .unwrap()
        .remove("transactionKey");
    let err = parse(SF, &acme(), None, no_key.to_string().as_bytes(), &config()).unwrap_err();
    assert_eq!(
        err.data.field.as_deref(),
        Some("ChangeEventHeader.transactionKey")
    );
    let err = parse(SF, &acme(), None, br#"{"payload": {}}"#, &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::SCHEMA_VIOLATION);
}
