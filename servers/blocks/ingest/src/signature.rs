//! HMAC signature and shared-secret checks (constant time).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use omega_protocol::OmegaError;
use sha2::Sha256;

use crate::errors::unauthenticated;
use crate::time::parse_timestamp_header;

type HmacSha256 = Hmac<Sha256>;

/// Zendesk's signature header: base64(HMAC-SHA256(secret, timestamp + body)).
pub const ZENDESK_SIGNATURE_HEADER: &str = "x-zendesk-webhook-signature";
/// Zendesk's signature timestamp header (ISO 8601, e.g. `2024-04-17T17:18:10Z`).
pub const ZENDESK_TIMESTAMP_HEADER: &str = "x-zendesk-webhook-signature-timestamp";
/// Kaseya BMS's signature header (present when the webhook has a secret).
pub const KASEYA_SIGNATURE_HEADER: &str = "signature";
/// OMEGA's header for HMAC-SHA256(secret, body), base64 or hex, optionally `sha256=`-prefixed
/// (ServiceNow business rules, Salesforce CDC relays).
pub const OMEGA_SIGNATURE_HEADER: &str = "x-omega-signature";
/// OMEGA's header carrying the shared secret itself, for senders that cannot compute an HMAC.
pub const OMEGA_SECRET_HEADER: &str = "x-omega-secret";

/// The single value of a header as text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn mac(secret: &str) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// Decodes a signature given as base64 (standard or URL-safe) or hex, with an
/// optional `sha256=` prefix. Only 32-byte results are kept.
fn decode_signature(raw: &str) -> Vec<Vec<u8>> {
    let s = raw.trim();
    let s = s
        .strip_prefix("sha256=")
        .or_else(|| s.strip_prefix("SHA256="))
        .unwrap_or(s);
    let mut out = Vec::new();
    if s.len() == 64
        && let Ok(b) = hex::decode(s)
    {
        out.push(b);
    }
    if let Ok(b) = STANDARD.decode(s) {
        out.push(b);
    }
    if let Ok(b) = base64::engine::general_purpose::URL_SAFE.decode(s) {
        out.push(b);
    }
    out.retain(|b| b.len() == 32);
    out
}

/// Whether `signature` is HMAC-SHA256(secret, parts...) in any accepted encoding.
/// The comparison is constant time (`Mac::verify_slice`).
pub(crate) fn hmac_matches(secret: &str, parts: &[&[u8]], signature: &str) -> bool {
    let mut m = mac(secret);
    for p in parts {
        m.update(p);
    }
    decode_signature(signature)
        .iter()
        .any(|candidate| m.clone().verify_slice(candidate).is_ok())
}

/// Constant-time equality of two secrets (compares their HMACs under a fixed
/// key so that lengths do not leak either).
pub(crate) fn secret_matches(expected: &str, given: &str) -> bool {
    let mut a = mac("omega-ingest/secret-compare");
    a.update(given.as_bytes());
    let given_tag = a.finalize().into_bytes();
    let mut b = mac("omega-ingest/secret-compare");
    b.update(expected.as_bytes());
    b.verify_slice(&given_tag).is_ok()
}

/// The HMAC-SHA256 of `parts` as base64 (for tests and for senders' docs).
pub fn sign_base64(secret: &str, parts: &[&[u8]]) -> String {
    let mut m = mac(secret);
    for p in parts {
        m.update(p);
    }
    STANDARD.encode(m.finalize().into_bytes())
}

/// Zendesk: `X-Zendesk-Webhook-Signature` over timestamp + body, timestamp
/// within `tolerance_secs` of `now`.
pub(crate) fn verify_zendesk(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance_secs: u64,
) -> Result<(), OmegaError> {
    let sig = header(headers, ZENDESK_SIGNATURE_HEADER).ok_or_else(|| {
        unauthenticated(
            "zendesk delivery has no X-Zendesk-Webhook-Signature header".into(),
            "Zendesk signs every webhook; check that the request comes from the Zendesk webhook",
        )
    })?;
    let ts_raw = header(headers, ZENDESK_TIMESTAMP_HEADER).ok_or_else(|| {
        unauthenticated(
            "zendesk delivery has no X-Zendesk-Webhook-Signature-Timestamp header".into(),
            "Zendesk sends the timestamp with every signature; check proxies that strip headers",
        )
    })?;
    let ts = parse_timestamp_header(ts_raw).ok_or_else(|| {
        unauthenticated(
            format!(
                "zendesk signature timestamp `{}` is not a date-time",
                ts_raw.escape_default()
            ),
            "expected ISO 8601 such as 2024-04-17T17:18:10Z",
        )
    })?;
    check_fresh("zendesk", ts, now, tolerance_secs)?;
    if !hmac_matches(secret, &[ts_raw.as_bytes(), body], sig) {
        return Err(unauthenticated(
            "zendesk signature does not match the body".into(),
            "check the tenant's zendeskSecret against the webhook's signing secret in Zendesk Admin Center",
        ));
    }
    Ok(())
}

/// Refuses timestamps further than the tolerance from `now`, either way.
pub(crate) fn check_fresh(
    platform: &str,
    ts: DateTime<Utc>,
    now: DateTime<Utc>,
    tolerance_secs: u64,
) -> Result<(), OmegaError> {
    let skew = (now - ts).num_seconds().unsigned_abs();
    if skew > tolerance_secs {
        return Err(unauthenticated(
            format!(
                "{platform} signature timestamp {} is {skew}s away from server time {} (tolerance {tolerance_secs}s)",
                ts.to_rfc3339(),
                now.to_rfc3339()
            ),
            "a replayed or delayed delivery, or clock skew: check that this server's clock is synchronized (NTP)",
        )
        .with_field(ZENDESK_TIMESTAMP_HEADER)
        .with_extra(serde_json::json!({ "skewSecs": skew, "toleranceSecs": tolerance_secs })));
    }
    Ok(())
}

/// Body HMAC in `header_name` (base64 or hex).
pub(crate) fn verify_body_hmac(
    platform: &str,
    secret: &str,
    headers: &HeaderMap,
    header_name: &str,
    body: &[u8],
    setting: &str,
) -> Result<(), OmegaError> {
    let sig = header(headers, header_name).ok_or_else(|| {
        unauthenticated(
            format!("{platform} delivery has no {header_name} header"),
            &format!("the tenant has {setting} set, so every delivery must be signed"),
        )
    })?;
    if hmac_matches(secret, &[body], sig) {
        Ok(())
    } else {
        Err(unauthenticated(
            format!("{platform} signature in {header_name} does not match the body"),
            &format!(
                "the signature must be HMAC-SHA256 of the raw body keyed with the tenant's {setting}, base64 or hex"
            ),
        ))
    }
}

/// `X-Omega-Signature` (HMAC of the body) or `X-Omega-Secret` (the secret itself).
pub(crate) fn verify_omega_headers(
    platform: &str,
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    setting: &str,
) -> Result<(), OmegaError> {
    if headers.contains_key(OMEGA_SIGNATURE_HEADER) {
        return verify_body_hmac(
            platform,
            secret,
            headers,
            OMEGA_SIGNATURE_HEADER,
            body,
            setting,
        );
    }
    match header(headers, OMEGA_SECRET_HEADER) {
        Some(given) if secret_matches(secret, given) => Ok(()),
        Some(_) => Err(unauthenticated(
            format!("{platform} X-Omega-Secret does not match"),
            &format!("send the tenant's {setting} unchanged"),
        )),
        None => Err(unauthenticated(
            format!("{platform} delivery has neither X-Omega-Signature nor X-Omega-Secret"),
            "send X-Omega-Signature: base64(HMAC-SHA256(secret, body)) (preferred) or X-Omega-Secret: secret",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_base64_hex_and_prefixed() {
        let body = b"{\"a\":1}";
        let b64 = sign_base64("k", &[body]);
        let raw = STANDARD.decode(&b64).unwrap();
        let hexed = hex::encode(&raw);
        for sig in [
            b64.clone(),
            hexed.clone(),
            format!("sha256={hexed}"),
            hexed.to_uppercase(),
        ] {
            assert!(hmac_matches("k", &[body], &sig), "{sig}");
        }
        assert!(!hmac_matches("other", &[body], &b64));
        assert!(!hmac_matches("k", &[b"{\"a\":2}"], &b64));
        assert!(!hmac_matches("k", &[body], "not a signature"));
        assert!(!hmac_matches("k", &[body], ""));
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(secret_matches("abc", "abc"));
        assert!(!secret_matches("abc", "abd"));
        assert!(!secret_matches("abc", "abcd"));
        assert!(!secret_matches("abc", ""));
    }
}
