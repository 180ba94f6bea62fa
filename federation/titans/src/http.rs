//! The HTTPS client shared by the hosted Titans (hyper + rustls with the
//! `ring` provider, webpki roots; plain `http://` for loopback fakes), and
//! the mapping of provider HTTP statuses to [`TitanError`].

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::time::Instant;

use crate::config::ConfigError;
use crate::error::TitanError;
use crate::sse::{SseEvent, SseParser};

/// When a call must be done by, and the configured timeout it came from
/// (for the error message).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    /// The instant.
    pub at: Instant,
    /// The timeout that set it.
    pub after: Duration,
}

impl Deadline {
    /// `after` from now.
    pub fn after(after: Duration) -> Self {
        Self {
            at: Instant::now() + after,
            after,
        }
    }

    fn error(&self, titan: &str) -> TitanError {
        TitanError::Timeout {
            titan: titan.into(),
            after: self.after,
        }
    }
}

/// Largest non-streaming response body read.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// A cloneable HTTP/1.1 client with TLS (ring) and connection pooling.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpClient {
    /// A client trusting the webpki (Mozilla) roots.
    pub fn new() -> Result<Self, ConfigError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| ConfigError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        Ok(Self { inner })
    }

    /// POSTs `body` as JSON and waits (until `deadline`) for the response
    /// head. A non-2xx status is read and turned into a [`TitanError`] by
    /// `parse_error`.
    pub(crate) async fn post_json(
        &self,
        titan: &str,
        url: &str,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: &serde_json::Value,
        deadline: Deadline,
        parse_error: fn(&[u8]) -> ErrorInfo,
    ) -> Result<http::Response<Incoming>, TitanError> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header(http::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            req = req.header(name, value);
        }
        let bytes = serde_json::to_vec(body).map_err(|e| TitanError::BadRequest {
            titan: titan.into(),
            detail: format!("request does not serialize: {e}"),
        })?;
        let req = req
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| TitanError::BadRequest {
                titan: titan.into(),
                detail: format!("bad request URL {url:?}: {e}"),
            })?;
        let resp = tokio::time::timeout_at(deadline.at, self.inner.request(req))
            .await
            .map_err(|_| deadline.error(titan))?
            .map_err(|e| TitanError::Transport {
                titan: titan.into(),
                detail: error_chain(&e),
            })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        // The error body is short; read what arrives before the deadline.
        let body = read_body(titan, resp.into_body(), deadline)
            .await
            .unwrap_or_default();
        Err(status_error(titan, status, &headers, &parse_error(&body)))
    }
}

/// Reads a whole body before `deadline`.
pub(crate) async fn read_body(
    titan: &str,
    body: Incoming,
    deadline: Deadline,
) -> Result<Bytes, TitanError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match tokio::time::timeout_at(deadline.at, limited.collect()).await {
        Err(_) => Err(deadline.error(titan)),
        Ok(Err(e)) => Err(TitanError::Transport {
            titan: titan.into(),
            detail: format!("reading the response failed: {e}"),
        }),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Reads a JSON response body into `T`.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    titan: &str,
    resp: http::Response<Incoming>,
    deadline: Deadline,
) -> Result<T, TitanError> {
    let body = read_body(titan, resp.into_body(), deadline).await?;
    serde_json::from_slice(&body).map_err(|e| TitanError::Malformed {
        titan: titan.into(),
        detail: format!("response is not the documented JSON: {e}"),
    })
}

/// The body of a response as server-sent events. Each chunk must arrive
/// within `idle` of the previous one.
pub(crate) fn sse_events(
    titan: String,
    resp: http::Response<Incoming>,
    idle: Duration,
) -> BoxStream<'static, Result<SseEvent, TitanError>> {
    struct State {
        titan: String,
        body: Incoming,
        parser: SseParser,
        ready: VecDeque<SseEvent>,
        done: bool,
    }
    let state = State {
        titan,
        body: resp.into_body(),
        parser: SseParser::new(),
        ready: VecDeque::new(),
        done: false,
    };
    stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(ev) = st.ready.pop_front() {
                return Some((Ok(ev), st));
            }
            if st.done {
                return None;
            }
            let frame = match tokio::time::timeout(idle, st.body.frame()).await {
                Err(_) => {
                    st.done = true;
                    let err = TitanError::Timeout {
                        titan: st.titan.clone(),
                        after: idle,
                    };
                    return Some((Err(err), st));
                }
                Ok(f) => f,
            };
            match frame {
                None => {
                    st.done = true;
                    st.parser.finish();
                }
                Some(Err(e)) => {
                    st.done = true;
                    let err = TitanError::Transport {
                        titan: st.titan.clone(),
                        detail: format!("stream broke: {e}"),
                    };
                    return Some((Err(err), st));
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    match st.parser.feed(&data) {
                        Ok(evs) => st.ready.extend(evs),
                        Err(detail) => {
                            st.done = true;
                            let err = TitanError::Malformed {
                                titan: st.titan.clone(),
                                detail,
                            };
                            return Some((Err(err), st));
                        }
                    }
                }
            }
        }
    })
    .boxed()
}

/// What a provider's error body says.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ErrorInfo {
    /// The provider's error type or status (`rate_limit_error`,
    /// `RESOURCE_EXHAUSTED`, `insufficient_quota`).
    pub kind: Option<String>,
    /// Its message.
    pub message: Option<String>,
    /// A retry delay given in the body (Gemini `RetryInfo`).
    pub retry_delay: Option<Duration>,
}

/// Maps a failed status to a [`TitanError`].
pub(crate) fn status_error(
    titan: &str,
    status: StatusCode,
    headers: &HeaderMap,
    info: &ErrorInfo,
) -> TitanError {
    let titan = titan.to_owned();
    let detail = match (&info.kind, &info.message) {
        (Some(k), Some(m)) => format!("{k}: {m}"),
        (None, Some(m)) => m.clone(),
        (Some(k), None) => k.clone(),
        (None, None) => format!("HTTP {}", status.as_u16()),
    };
    let kind = info.kind.as_deref().unwrap_or("");
    match status.as_u16() {
        429 if kind == "insufficient_quota" => TitanError::QuotaExhausted { titan, detail },
        429 => TitanError::RateLimited {
            titan,
            retry_after: retry_after(headers).or(info.retry_delay),
        },
        529 | 503 => TitanError::Overloaded { titan },
        _ if kind == "overloaded_error" => TitanError::Overloaded { titan },
        401 | 403 => TitanError::Auth { titan, detail },
        400..=499 => TitanError::BadRequest { titan, detail },
        s @ 500..=599 => TitanError::Server { titan, status: s },
        s => TitanError::Malformed {
            titan,
            detail: format!("unexpected HTTP status {s}"),
        },
    }
}

/// The delay in `retry-after-ms` (OpenAI) or `retry-after` (seconds or an
/// HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// A header value from a secret or config string.
pub(crate) fn header_value(titan: &str, value: &str) -> Result<HeaderValue, TitanError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| TitanError::Auth {
        titan: titan.into(),
        detail: "the API key contains characters not allowed in a header".into(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut src = err.source();
    while let Some(e) = src {
        out.push_str(": ");
        out.push_str(&e.to_string());
        src = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250"), ("retry-after", "7")])),
            Some(Duration::from_millis(250))
        );
        let future = chrono::Utc::now() + chrono::Duration::seconds(30);
        let date = future.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let d = retry_after(&headers(&[("retry-after", &date)])).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
    }

    #[test]
    fn statuses_map() {
        let h = HeaderMap::new();
        let info = ErrorInfo::default();
        let s = |code: u16| StatusCode::from_u16(code).unwrap();
        assert!(matches!(
            status_error("t", s(529), &h, &info),
            TitanError::Overloaded { .. }
        ));
        assert!(matches!(
            status_error("t", s(401), &h, &info),
            TitanError::Auth { .. }
        ));
        assert!(matches!(
            status_error("t", s(502), &h, &info),
            TitanError::Server { status: 502, .. }
        ));
        let quota = ErrorInfo {
            kind: Some("insufficient_quota".into()),
            ..Default::default()
        };
        assert!(matches!(
            status_error("t", s(429), &h, &quota),
            TitanError::QuotaExhausted { .. }
        ));
        let gemini = ErrorInfo {
            retry_delay: Some(Duration::from_secs(3)),
            ..Default::default()
        };
        assert_eq!(
            status_error("t", s(429), &h, &gemini).retry_after(),
            Some(Duration::from_secs(3))
        );
    }
}
