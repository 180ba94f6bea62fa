use omega_ingest::{SOAP_ACK, ack_response, parse};
use omega_protocol::SourcePlatform;

use crate::{acme, config, fixture};

#[test]
fn salesforce_outbound_gets_the_soap_ack() {
    let body = fixture("salesforce/outbound_case.xml");
    let ds = parse(SourcePlatform::Salesforce, &acme(), None, &body, &config()).unwrap();
    let (ct, ack) = ack_response(SourcePlatform::Salesforce, &ds);
    assert_eq!(ct, "text/xml; charset=utf-8");
    assert_eq!(ack, SOAP_ACK);
    // The ack is well-formed and says Ack=true inside notificationsResponse.
    let compact: String = ack.split_whitespace().collect();
    assert!(compact.contains(r#"<notificationsResponsexmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>"#));
    assert!(ack.contains(r#"xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/""#));
}

#[test]
fn others_get_json_with_delivery_ids() {
    let body = fixture("zendesk/ticket_created_event.json");
    let ds = parse(SourcePlatform::Zendesk, &acme(), None, &body, &config()).unwrap();
    let (ct, ack) = ack_response(SourcePlatform::Zendesk, &ds);
    assert_eq!(ct, "application/json");
    let v: serde_json::Value = serde_json::from_str(&ack).unwrap();
    assert_eq!(v["received"], 1);
    assert_eq!(v["deliveryIds"][0], "cbe4028c-7239-495d-b020-f22348516046");
    let cdc = fixture("salesforce/cdc_case_create.json");
    let ds = parse(SourcePlatform::Salesforce, &acme(), None, &cdc, &config()).unwrap();
    assert_eq!(
        ack_response(SourcePlatform::Salesforce, &ds).0,
        "application/json"
    );
}
