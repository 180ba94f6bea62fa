//! A small, fast MCP client for the streamable HTTP transport.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::{BodyExt, Full};
use omega_protocol::{ErrorCode, OmegaError};
use serde_json::{Value, json};

use crate::ClientError;
use crate::connection::{Connection, HttpClient};

/// Which MCP protocol version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpVersion {
    /// 2025-11-25: an `initialize` handshake and an `Mcp-Session-Id`.
    V2025_11_25,
    /// 2026-07-28: stateless; every request carries its protocol metadata.
    V2026_07_28,
}

impl McpVersion {
    /// The version string on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            McpVersion::V2025_11_25 => "2025-11-25",
            McpVersion::V2026_07_28 => "2026-07-28",
        }
    }
}

/// An MCP client bound to one server endpoint. Cheap to share by reference;
/// connections are pooled and kept alive.
#[derive(Debug)]
pub struct McpClient {
    http: HttpClient,
    url: Uri,
    version: McpVersion,
    session: Mutex<Option<String>>,
    next_id: AtomicU64,
    timeout: Duration,
    bearer: Option<String>,
    retries: u32,
}

/// Decodes a JSON-RPC error object into an [`OmegaError`].
fn rpc_error(error: &Value) -> OmegaError {
    let code = error["code"]
        .as_i64()
        .unwrap_or(ErrorCode::INTERNAL_ERROR.0 as i64) as i32;
    let mut err = OmegaError::new(
        ErrorCode(code),
        error["message"]
            .as_str()
            .unwrap_or("error without a message"),
    );
    if let Some(hint) = error["data"]["hint"].as_str() {
        err = err.with_hint(hint);
    }
    if let Some(field) = error["data"]["field"].as_str() {
        err = err.with_field(field);
    }
    err
}

/// Finds the JSON-RPC response in an SSE body.
fn response_from_sse(body: &str, id: u64) -> Option<Value> {
    body.split("\n\n").find_map(|event| {
        let data: String = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim_start)
            .collect::<Vec<_>>()
            .join("\n");
        let msg: Value = serde_json::from_str(&data).ok()?;
        (msg["id"].as_u64() == Some(id)).then_some(msg)
    })
}

impl McpClient {
    /// Connects with protocol 2026-07-28 (stateless).
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        Self::connect_with(url, McpVersion::V2026_07_28, Duration::from_secs(30), None).await
    }

    /// Connects with an explicit version, timeout and optional bearer token.
    /// For 2025-11-25 this performs the `initialize` handshake.
    pub async fn connect_with(
        url: &str,
        version: McpVersion,
        timeout: Duration,
        bearer: Option<String>,
    ) -> Result<Self, ClientError> {
        let credentials = match bearer {
            Some(token) => crate::Credentials::Bearer(token),
            None => crate::Credentials::None,
        };
        let connection = Connection::new(credentials, timeout, 2)?;
        Self::over(&connection, url, version).await
    }

    /// Connects over a configured [`Connection`] (credentials, mTLS,
    /// timeouts, retries).
    pub async fn over(
        connection: &Connection,
        url: &str,
        version: McpVersion,
    ) -> Result<Self, ClientError> {
        let url: Uri = url
            .parse()
            .map_err(|e| ClientError::Protocol(format!("`{url}` is not a valid URL: {e}")))?;
        let client = Self {
            http: connection.http.clone(),
            url,
            version,
            session: Mutex::new(None),
            next_id: AtomicU64::new(1),
            timeout: connection.timeout,
            bearer: connection.bearer.clone(),
            retries: connection.retries,
        };
        if version == McpVersion::V2025_11_25 {
            client
                .request(
                    "initialize",
                    json!({
                        "protocolVersion": version.as_str(),
                        "capabilities": {},
                        "clientInfo": {"name": "omega-client", "version": env!("CARGO_PKG_VERSION")},
                    }),
                )
                .await?;
            client.notify("notifications/initialized").await?;
        }
        Ok(client)
    }

    /// The protocol version in use.
    pub fn version(&self) -> McpVersion {
        self.version
    }

    fn build(
        &self,
        method: &str,
        name: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Request<Full<Bytes>>, ClientError> {
        let mut req = Request::post(self.url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json, text/event-stream")
            .header("mcp-protocol-version", self.version.as_str());
        if self.version == McpVersion::V2026_07_28 {
            req = req.header("mcp-method", method);
            if let Some(name) = name {
                req = req.header("mcp-name", name);
            }
        }
        if let Some(session) = self.session.lock().expect("session lock").as_deref() {
            req = req.header("mcp-session-id", session);
        }
        if let Some(token) = &self.bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        // W3C trace context of the current span, so the next hop continues the trace.
        if let Some(headers) = req.headers_mut() {
            omega_telemetry::propagation::inject_current_headers(headers);
        }
        req.body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }

    async fn send(
        &self,
        req: Request<Full<Bytes>>,
    ) -> Result<(http::response::Parts, Bytes), ClientError> {
        let fut = async {
            let resp = self
                .http
                .request(req)
                .await
                .map_err(|e| ClientError::Transport(e.to_string()))?;
            let (parts, body) = resp.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| ClientError::Transport(e.to_string()))?
                .to_bytes();
            Ok((parts, bytes))
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| ClientError::Timeout(self.timeout))?
    }

    async fn notify(&self, method: &str) -> Result<(), ClientError> {
        let body = serde_json::to_vec(&json!({"jsonrpc": "2.0", "method": method}))
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let (parts, _) = self.send(self.build(method, None, body)?).await?;
        if !parts.status.is_success() {
            return Err(ClientError::Protocol(format!(
                "{method} answered HTTP {}",
                parts.status
            )));
        }
        Ok(())
    }

    /// Sends one JSON-RPC request and returns its `result`.
    pub async fn request(&self, method: &str, mut params: Value) -> Result<Value, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if self.version == McpVersion::V2026_07_28 && method != "initialize" {
            let meta = params
                .as_object_mut()
                .ok_or_else(|| ClientError::Protocol("params must be an object".into()))?
                .entry("_meta")
                .or_insert_with(|| json!({}));
            meta["io.modelcontextprotocol/protocolVersion"] = json!(self.version.as_str());
            meta["io.modelcontextprotocol/clientCapabilities"] = json!({});
        }
        // The trace context also travels in `_meta`, for hops that are not HTTP.
        omega_telemetry::propagation::inject_current_params(&mut params);
        let body = serde_json::to_vec(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let (parts, bytes) = self
            .send(self.build(method, name.as_deref(), body)?)
            .await?;
        if let Some(session) = parts
            .headers
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            *self.session.lock().expect("session lock") = Some(session.to_owned());
        }
        let is_sse = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        let message: Value = if is_sse {
            let text =
                std::str::from_utf8(&bytes).map_err(|e| ClientError::Protocol(e.to_string()))?;
            response_from_sse(text, id).ok_or_else(|| {
                ClientError::Protocol(format!("no response to request {id} in the event stream"))
            })?
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                ClientError::Protocol(format!(
                    "HTTP {} with a body that is not JSON-RPC: {e}: {}",
                    parts.status,
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                ))
            })?
        };
        if let Some(error) = message.get("error") {
            return Err(ClientError::Server(rpc_error(error)));
        }
        message.get("result").cloned().ok_or_else(|| {
            ClientError::Protocol(format!("response to {method} has neither result nor error"))
        })
    }

    /// Lists the server's tools (every page).
    pub async fn list_tools(&self) -> Result<Vec<Value>, ClientError> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let result = self.request("tools/list", params).await?;
            tools.extend(result["tools"].as_array().cloned().unwrap_or_default());
            match result["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(tools),
            }
        }
    }

    /// Calls a tool and returns its `structuredContent`. A result with
    /// `isError: true` becomes [`ClientError::Server`] with the tool's code.
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<Value, ClientError> {
        let result = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await?;
        if result["isError"].as_bool() == Some(true) {
            let err =
                serde_json::from_value::<OmegaError>(result["structuredContent"]["error"].clone())
                    .unwrap_or_else(|_| {
                        OmegaError::new(
                            ErrorCode::INTERNAL_ERROR,
                            result["content"][0]["text"]
                                .as_str()
                                .unwrap_or("tool failed"),
                        )
                    });
            return Err(ClientError::Server(err));
        }
        result.get("structuredContent").cloned().ok_or_else(|| {
            ClientError::Protocol(format!("tool `{name}` returned no structuredContent"))
        })
    }

    /// Like [`McpClient::call_tool`], retrying transport failures and
    /// retryable server errors (up to the connection's retry count, with
    /// backoff). Use it only for idempotent tools.
    pub async fn call_idempotent(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<Value, ClientError> {
        let retries = self.retries;
        let mut attempt = 0;
        loop {
            match self.call_tool(name, arguments.clone()).await {
                Err(e) if e.is_retryable() && attempt < retries => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * 2u64.pow(attempt))).await;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_response_among_sse_events() {
        let body = "id: 1\nretry: 3000\ndata: \n\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n";
        assert_eq!(response_from_sse(body, 7).unwrap()["id"], 7);
        assert!(response_from_sse(body, 8).is_none());
    }
}
