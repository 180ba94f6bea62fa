//! A small HTTPS client for the secret store and the identity endpoints.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::SecretError;

/// How long one request to a secret store or token endpoint may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response body read.
const MAX_BODY: usize = 1 << 20;

/// An HTTP/1.1 client over rustls (ring). Plain `http://` is allowed only
/// to loopback and to the instance metadata address, never to anything
/// that could be on another machine's path.
#[derive(Clone)]
pub(crate) struct Http {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Http")
    }
}

/// The instance metadata service address (managed identity).
pub(crate) const IMDS_HOST: &str = "169.254.169.254";

impl Http {
    /// Trusting the public web PKI (production), or `tls` when given (tests).
    pub(crate) fn new(tls: Option<Arc<rustls::ClientConfig>>) -> Result<Self, SecretError> {
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match tls {
            Some(cfg) => {
                // The connector sets ALPN itself.
                let mut cfg = (*cfg).clone();
                cfg.alpn_protocols.clear();
                builder.with_tls_config(cfg)
            }
            None => builder
                .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
                .map_err(|e| SecretError::Unavailable(format!("TLS setup: {e}")))?,
        };
        let connector = builder.https_or_http().enable_http1().build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// Sends `req`; returns status, headers and body.
    pub(crate) async fn send(
        &self,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, HeaderMap, Bytes), SecretError> {
        let uri = req.uri().clone();
        if uri.scheme_str() != Some("https") {
            let host = uri.host().unwrap_or("");
            let local = host == IMDS_HOST
                || host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !local {
                return Err(SecretError::Protocol(format!(
                    "refusing plain http to {host}: use https"
                )));
            }
        }
        let fut = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| SecretError::Unavailable(format!("{uri}: {e}")))?;
            let (parts, body) = resp.into_parts();
            let body = http_body_util::Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| SecretError::Unavailable(format!("{uri}: reading the response: {e}")))?
                .to_bytes();
            Ok((parts.status, parts.headers, body))
        };
        tokio::time::timeout(TIMEOUT, fut)
            .await
            .map_err(|_| SecretError::Unavailable(format!("{uri}: no answer within {TIMEOUT:?}")))?
    }
}

/// `application/x-www-form-urlencoded` encoding of `pairs`.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything except RFC 3986 unreserved characters.
pub(crate) fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `error.message` (Key Vault) or `error_description` (Entra ID) of
/// an error body, else the body itself (shortened).
pub(crate) fn error_message(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let msg = v["error"]["message"]
        .as_str()
        .or_else(|| v["error_description"].as_str())
        .or_else(|| v["error"].as_str());
    match msg {
        Some(m) => m.to_owned(),
        None => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form(&[
                ("scope", "https://vault.azure.net/.default"),
                ("a b", "x&y")
            ]),
            "scope=https%3A%2F%2Fvault.azure.net%2F.default&a%20b=x%26y"
        );
        assert_eq!(
            error_message(br#"{"error":{"code":"SecretNotFound","message":"gone"}}"#),
            "gone"
        );
        assert_eq!(
            error_message(br#"{"error":"invalid_client","error_description":"bad"}"#),
            "bad"
        );
    }

    #[tokio::test]
    async fn refuses_plain_http_off_host() {
        let http = Http::new(None).unwrap();
        let req = Request::get("http://example.com/x")
            .body(Full::default())
            .unwrap();
        assert!(matches!(
            http.send(req).await,
            Err(SecretError::Protocol(_))
        ));
    }
}
