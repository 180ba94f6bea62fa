//! Builders for the stable errors this crate returns, and their HTTP status.

use http::StatusCode;
use omega_protocol::{ErrorCode, OmegaError, SourcePlatform};
use serde_json::json;

/// The `data.field` value of content-type errors; [`http_status`] maps it to 415.
pub(crate) const CONTENT_TYPE_FIELD: &str = "content-type";

/// The HTTP status the ingest endpoint should answer an error from this crate with.
///
/// | code | status |
/// |---|---|
/// | `unauthenticated` | 401 |
/// | `tenant_unknown` | 404 |
/// | `payload_too_large` | 413 |
/// | `invalid_params` naming the `content-type` field | 415 |
/// | `parse_error`, `invalid_params`, `schema_violation`, `tenant_required` | 400 |
/// | `forbidden` | 403 |
/// | anything else | 500 |
pub fn http_status(err: &OmegaError) -> StatusCode {
    match err.code {
        ErrorCode::UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
        ErrorCode::FORBIDDEN => StatusCode::FORBIDDEN,
        ErrorCode::TENANT_UNKNOWN | ErrorCode::NOT_FOUND => StatusCode::NOT_FOUND,
        ErrorCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::INVALID_PARAMS if err.data.field.as_deref() == Some(CONTENT_TYPE_FIELD) => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        ErrorCode::PARSE_ERROR
        | ErrorCode::INVALID_PARAMS
        | ErrorCode::SCHEMA_VIOLATION
        | ErrorCode::TENANT_REQUIRED => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Malformed JSON, naming the line and column.
pub(crate) fn json_syntax(platform: SourcePlatform, err: &serde_json::Error) -> OmegaError {
    OmegaError::new(
        ErrorCode::PARSE_ERROR,
        format!(
            "{} payload is not valid JSON at line {} column {}: {err}",
            platform.as_str(),
            err.line(),
            err.column()
        ),
    )
    .with_hint("send the platform's JSON body unchanged; check the webhook's body template")
    .with_extra(json!({ "line": err.line(), "column": err.column() }))
}

/// Malformed XML, naming the byte offset.
pub(crate) fn xml_syntax(platform: SourcePlatform, offset: u64, what: &str) -> OmegaError {
    OmegaError::new(
        ErrorCode::PARSE_ERROR,
        format!(
            "{} payload is not valid XML at byte {offset}: {what}",
            platform.as_str()
        ),
    )
    .with_hint("send the SOAP envelope exactly as Salesforce posted it")
    .with_extra(json!({ "offset": offset }))
}

/// The body is not UTF-8.
pub(crate) fn not_utf8(platform: SourcePlatform, err: std::str::Utf8Error) -> OmegaError {
    OmegaError::new(
        ErrorCode::PARSE_ERROR,
        format!(
            "{} payload is not UTF-8: invalid byte at offset {}",
            platform.as_str(),
            err.valid_up_to()
        ),
    )
    .with_hint("send the body as UTF-8")
    .with_extra(json!({ "offset": err.valid_up_to() }))
}

/// A required field is missing or empty.
pub(crate) fn missing(platform: SourcePlatform, field: &str, hint: &str) -> OmegaError {
    OmegaError::new(
        ErrorCode::SCHEMA_VIOLATION,
        format!(
            "{} payload has no `{field}` (or it is empty)",
            platform.as_str()
        ),
    )
    .with_field(field)
    .with_hint(hint.to_owned())
}

/// A field is present but its value cannot be used.
pub(crate) fn invalid(platform: SourcePlatform, field: &str, message: String) -> OmegaError {
    OmegaError::new(
        ErrorCode::SCHEMA_VIOLATION,
        format!("{} payload: {message}", platform.as_str()),
    )
    .with_field(field)
}

/// The structure is not the platform's documented shape.
pub(crate) fn shape(
    platform: SourcePlatform,
    field: &str,
    message: &str,
    hint: &str,
) -> OmegaError {
    OmegaError::new(
        ErrorCode::SCHEMA_VIOLATION,
        format!("{} payload: {message}", platform.as_str()),
    )
    .with_field(field)
    .with_hint(hint.to_owned())
}

/// The delivery carries more items than the limit (`pipeline.ingest.maxItemsPerDelivery`).
/// `what` names the items (`Notification elements`, `tickets`...), `field` where they are.
pub(crate) fn too_many_items(
    platform: SourcePlatform,
    field: &str,
    what: &str,
    count: usize,
    limit: usize,
) -> OmegaError {
    OmegaError::new(
        ErrorCode::PAYLOAD_TOO_LARGE,
        format!(
            "{} delivery carries {count} {what}; at most {limit} are accepted per delivery",
            platform.as_str()
        ),
    )
    .with_field(field)
    .with_hint(format!(
        "split the delivery into deliveries of at most {limit} items, or raise pipeline.ingest.maxItemsPerDelivery"
    ))
    .with_extra(json!({ "limit": limit, "count": count }))
}

/// Authentication failed.
pub(crate) fn unauthenticated(message: String, hint: &str) -> OmegaError {
    OmegaError::new(ErrorCode::UNAUTHENTICATED, message).with_hint(hint.to_owned())
}

/// Checks the request's media type against the accepted ones. `None` is
/// accepted (the body is sniffed).
pub(crate) fn check_content_type(
    platform: SourcePlatform,
    content_type: Option<&str>,
    accepted: &[&str],
) -> Result<(), OmegaError> {
    let Some(raw) = content_type else {
        return Ok(());
    };
    let media = media_type(raw);
    if accepted.iter().any(|a| *a == media) {
        return Ok(());
    }
    Err(OmegaError::new(
        ErrorCode::INVALID_PARAMS,
        format!(
            "{} deliveries must be {}, not `{}`",
            platform.as_str(),
            accepted.join(" or "),
            raw.escape_default()
        ),
    )
    .with_field(CONTENT_TYPE_FIELD)
    .with_hint(format!(
        "set the webhook's content type to {}",
        accepted.join(" or ")
    ))
    .with_extra(json!({ "accepted": accepted })))
}

/// The lowercased media type without parameters (`text/xml; charset=utf-8` -> `text/xml`).
pub(crate) fn media_type(raw: &str) -> String {
    raw.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        let p = SourcePlatform::Zendesk;
        assert!(
            check_content_type(
                p,
                Some("Application/JSON; charset=UTF-8"),
                &["application/json"]
            )
            .is_ok()
        );
        assert!(check_content_type(p, None, &["application/json"]).is_ok());
        let err = check_content_type(p, Some("text/xml"), &["application/json"]).unwrap_err();
        assert_eq!(err.code, ErrorCode::INVALID_PARAMS);
        assert_eq!(http_status(&err), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn statuses_follow_codes() {
        let e = missing(SourcePlatform::Zendesk, "ticket.subject", "add it");
        assert_eq!(e.code, ErrorCode::SCHEMA_VIOLATION);
        assert_eq!(e.data.field.as_deref(), Some("ticket.subject"));
        assert_eq!(http_status(&e), StatusCode::BAD_REQUEST);
        let e = unauthenticated("no".into(), "sign it");
        assert_eq!(http_status(&e), StatusCode::UNAUTHORIZED);
        let e = too_many_items(SourcePlatform::KaseyaBms, "Tickets", "tickets", 101, 100);
        assert_eq!(http_status(&e), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            e.message.contains("101") && e.message.contains("100"),
            "{}",
            e.message
        );
    }
}
