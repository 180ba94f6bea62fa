//! A recording HTTP/JSON-RPC client: every exchange keeps what was sent and
//! what came back, so a failed check can show both.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// One HTTP exchange, as text for the report.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// `POST /mcp` plus the body (abridged).
    pub sent: String,
    /// The status and the body (abridged); empty when nothing came back.
    pub received: String,
    /// The HTTP status (0 when the request failed).
    pub status: u16,
    /// The JSON-RPC message answering the request, when there was one.
    pub message: Option<Value>,
}

impl Exchange {
    /// The JSON-RPC `result`.
    pub fn result(&self) -> Option<&Value> {
        self.message.as_ref()?.get("result")
    }

    /// The JSON-RPC `error`.
    pub fn error(&self) -> Option<&Value> {
        self.message.as_ref()?.get("error")
    }
}

/// Shortens `text` to at most `max` characters for a report.
pub fn abridge(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let head: String = text.chars().take(max).collect();
        format!("{head}… ({} bytes in all)", text.len())
    }
}

/// Which protocol version a [`Probe`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// Stateful: `initialize`, then `Mcp-Session-Id` on every request.
    V2025,
    /// Stateless: protocol metadata in every request's `_meta`.
    V2026,
}

impl Version {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2025 => "2025-11-25",
            Version::V2026 => "2026-07-28",
        }
    }
}

/// A JSON-RPC client for one MCP endpoint.
#[derive(Debug)]
pub struct Probe {
    http: Client<HttpConnector, Full<Bytes>>,
    url: String,
    version: Version,
    session: Mutex<Option<String>>,
    next_id: AtomicU64,
    timeout: Duration,
}

fn find_in_sse(body: &str, id: u64) -> Option<Value> {
    body.split("\n\n").find_map(|event| {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim_start)
            .collect();
        let msg: Value = serde_json::from_str(&data.join("\n")).ok()?;
        (msg["id"].as_u64() == Some(id)).then_some(msg)
    })
}

impl Probe {
    /// A probe for `url` speaking `version` (no request is sent yet).
    pub fn new(url: &str, version: Version, timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
            url: url.to_owned(),
            version,
            session: Mutex::new(None),
            next_id: AtomicU64::new(1),
            timeout,
        }
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends a raw HTTP request.
    pub async fn raw(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Exchange {
        let sent = format!(
            "{method} {url}\n{}",
            abridge(&String::from_utf8_lossy(&body), 600)
        );
        let mut req = Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let req = match req.body(Full::new(Bytes::from(body))) {
            Ok(r) => r,
            Err(e) => {
                return Exchange {
                    sent,
                    received: format!("(request not built: {e})"),
                    ..Exchange::default()
                };
            }
        };
        let fut = async {
            let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
            let (parts, body) = resp.into_parts();
            let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok::<_, String>((parts, bytes))
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => Exchange {
                sent,
                received: format!("(no answer within {:?})", self.timeout),
                ..Exchange::default()
            },
            Ok(Err(e)) => Exchange {
                sent,
                received: format!("(transport error: {e})"),
                ..Exchange::default()
            },
            Ok(Ok((parts, bytes))) => {
                if let Some(s) = parts
                    .headers
                    .get("mcp-session-id")
                    .and_then(|v| v.to_str().ok())
                {
                    *self.session.lock().expect("session lock") = Some(s.to_owned());
                }
                let text = String::from_utf8_lossy(&bytes).into_owned();
                Exchange {
                    sent,
                    received: format!("HTTP {}\n{}", parts.status.as_u16(), abridge(&text, 1200)),
                    status: parts.status.as_u16(),
                    message: None,
                }
                .with_body(&parts.headers, &text)
            }
        }
    }

    /// Sends a JSON-RPC request and returns the exchange.
    pub async fn rpc(&self, method: &str, params: Value) -> Exchange {
        self.rpc_with(method, params, &[]).await
    }

    /// Like [`Probe::rpc`] with extra HTTP headers.
    pub async fn rpc_with(
        &self,
        method: &str,
        mut params: Value,
        extra: &[(&str, String)],
    ) -> Exchange {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json, text/event-stream".to_owned()),
            ("mcp-protocol-version", self.version.as_str().to_owned()),
        ];
        if self.version == Version::V2026 {
            headers.push(("mcp-method", method.to_owned()));
            if let Some(name) = params.get("name").and_then(Value::as_str) {
                headers.push(("mcp-name", name.to_owned()));
            }
            if let Some(obj) = params.as_object_mut() {
                let meta = obj.entry("_meta").or_insert_with(|| json!({}));
                meta["io.modelcontextprotocol/protocolVersion"] = json!(self.version.as_str());
                meta["io.modelcontextprotocol/clientCapabilities"] = json!({});
            }
        }
        if let Some(s) = self.session.lock().expect("session lock").clone() {
            headers.push(("mcp-session-id", s));
        }
        headers.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut ex = self
            .raw(
                Method::POST,
                &self.url,
                &headers,
                body.to_string().into_bytes(),
            )
            .await;
        if let Some(msg) = &ex.message
            && msg.get("id").and_then(Value::as_u64) != Some(id)
        {
            ex.message = None;
        }
        if ex.message.is_none() {
            // An SSE body may hold notifications before the answer.
            let text = ex.received.split_once('\n').map(|x| x.1).unwrap_or("");
            ex.message = find_in_sse(text, id);
        }
        ex
    }

    /// Sends a JSON-RPC notification (no answer expected).
    pub async fn notify(&self, method: &str) -> Exchange {
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json, text/event-stream".to_owned()),
            ("mcp-protocol-version", self.version.as_str().to_owned()),
        ];
        if let Some(s) = self.session.lock().expect("session lock").clone() {
            headers.push(("mcp-session-id", s));
        }
        let body = json!({"jsonrpc": "2.0", "method": method});
        self.raw(
            Method::POST,
            &self.url,
            &headers,
            body.to_string().into_bytes(),
        )
        .await
    }

    /// Whether the server gave this probe a session.
    pub fn has_session(&self) -> bool {
        self.session.lock().expect("session lock").is_some()
    }
}

impl Exchange {
    fn with_body(mut self, headers: &http::HeaderMap, text: &str) -> Self {
        let sse = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        if !sse {
            self.message = serde_json::from_str(text).ok();
        } else {
            // Keep the whole stream for the id lookup in `rpc_with`.
            self.received = format!("HTTP {}\n{}", self.status, text);
        }
        self
    }
}
