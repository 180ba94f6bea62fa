use omega_ingest::{http_status, parse, parse_platform};
use omega_protocol::{ErrorCode, SourcePlatform};

use crate::{acme, config};

#[test]
fn malformed_json_names_the_position() {
    let body = b"{\n  \"type\": \"zen:event-type:ticket.created\",\n  \"id\": oops\n}";
    let err = parse(SourcePlatform::Zendesk, &acme(), None, body, &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::PARSE_ERROR);
    assert!(err.message.contains("line 3"), "{}", err.message);
    assert_eq!(err.data.extra.as_ref().unwrap()["line"], 3);
    assert_eq!(http_status(&err), http::StatusCode::BAD_REQUEST);
    for p in [
        SourcePlatform::Servicenow,
        SourcePlatform::KaseyaBms,
        SourcePlatform::Salesforce,
    ] {
        let err = parse(p, &acme(), Some("application/json"), b"{\"a\": ", &config()).unwrap_err();
        assert_eq!(err.code, ErrorCode::PARSE_ERROR, "{p:?}");
    }
}

#[test]
fn malformed_xml_names_the_offset() {
    let body = br#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body></soapenv:Envelop>"#;
    let err = parse(
        SourcePlatform::Salesforce,
        &acme(),
        Some("text/xml"),
        body,
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PARSE_ERROR);
    assert!(err.message.contains("at byte"), "{}", err.message);
    assert!(err.data.extra.as_ref().unwrap()["offset"].is_u64());
    let err = parse(
        SourcePlatform::Salesforce,
        &acme(),
        Some("text/xml"),
        b"<a>&bogus;</a>",
        &config(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err.code,
            ErrorCode::PARSE_ERROR | ErrorCode::SCHEMA_VIOLATION
        ),
        "{err:?}"
    );
    let err = parse(
        SourcePlatform::Salesforce,
        &acme(),
        Some("text/xml"),
        b"\xff\xfe<a/>",
        &config(),
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::PARSE_ERROR);
}

#[test]
fn wrong_content_type_is_415() {
    for (p, ct) in [
        (SourcePlatform::Zendesk, "text/xml"),
        (SourcePlatform::Servicenow, "text/plain"),
        (SourcePlatform::KaseyaBms, "application/xml"),
        (SourcePlatform::Salesforce, "text/plain"),
    ] {
        let err = parse(p, &acme(), Some(ct), b"{}", &config()).unwrap_err();
        assert_eq!(err.code, ErrorCode::INVALID_PARAMS, "{p:?}");
        assert_eq!(err.data.field.as_deref(), Some("content-type"));
        assert_eq!(http_status(&err), http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}

#[test]
fn unknown_platforms() {
    assert_eq!(
        parse_platform("kaseya-bms").unwrap(),
        SourcePlatform::KaseyaBms
    );
    for bad in ["jira", "omega", "", "Zendesk"] {
        let err = parse_platform(bad).unwrap_err();
        assert_eq!(err.code, ErrorCode::NOT_FOUND, "{bad}");
        assert_eq!(err.data.field.as_deref(), Some("platform"));
    }
    let err = parse(SourcePlatform::Omega, &acme(), None, b"{}", &config()).unwrap_err();
    assert_eq!(err.code, ErrorCode::NOT_FOUND);
}
