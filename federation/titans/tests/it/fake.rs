//! A fake provider: an axum server on 127.0.0.1:0 that records each request
//! and answers with scripted replies.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use omega_protocol::{ChatMessage, ChatRole, TenantId, TitanCallRequest, ToolSpec};
use omega_titans::{Secret, SecretError, SecretSource};

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub content_type: &'static str,
    /// Wait this long before answering (deadline tests).
    pub delay: Duration,
    /// Send the body, then keep the connection open without ending it.
    pub stall_after_body: bool,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            content_type: "application/json",
            delay: Duration::ZERO,
            stall_after_body: false,
        }
    }

    pub fn sse(body: impl Into<String>) -> Self {
        Self {
            content_type: "text/event-stream",
            ..Self::json(200, body)
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn delayed(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    pub fn stalled(mut self) -> Self {
        self.stall_after_body = true;
        self
    }
}

#[derive(Default)]
struct Inner {
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
}

/// The running fake.
#[derive(Clone)]
pub struct Fake {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl Fake {
    /// Starts a fake that answers with `replies` in order.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            replies: replies.into(),
            requests: Vec::new(),
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            inner,
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The only request received.
    pub fn single(&self) -> Recorded {
        let r = self.requests();
        assert_eq!(r.len(), 1, "expected one request, got {}", r.len());
        r.into_iter().next().unwrap()
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let reply = {
        let mut g = inner.lock().unwrap();
        g.requests.push(Recorded {
            method,
            uri: uri.to_string(),
            headers,
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        });
        g.replies
            .pop_front()
            .unwrap_or_else(|| Reply::json(500, r#"{"error":"no scripted reply"}"#))
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let body = if reply.stall_after_body {
        let first =
            futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(reply.body)) });
        Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()))
    } else {
        Body::from(reply.body)
    };
    let mut resp = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap())
        .header("content-type", reply.content_type);
    for (k, v) in &reply.headers {
        resp = resp.header(*k, v);
    }
    resp.body(body).unwrap()
}

/// A golden fixture's text.
pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Secrets from a map (the test's secrets provider).
pub struct MapSecrets(pub BTreeMap<&'static str, &'static str>);

impl SecretSource for MapSecrets {
    fn get<'a>(
        &'a self,
        name: &'a str,
    ) -> omega_security::secrets::BoxFuture<'a, Result<Secret, SecretError>> {
        Box::pin(async move {
            self.0
                .get(name)
                .map(|v| Secret::new(*v))
                .ok_or_else(|| SecretError::NotFound {
                    name: name.into(),
                    source_name: "the test map".into(),
                })
        })
    }
}

pub fn secrets(pairs: &[(&'static str, &'static str)]) -> MapSecrets {
    MapSecrets(pairs.iter().copied().collect())
}

/// A short conversation with a system prompt.
pub fn request() -> TitanCallRequest {
    TitanCallRequest {
        tenant: TenantId::parse("acme").unwrap(),
        titan: None,
        model: None,
        messages: vec![
            ChatMessage::text(ChatRole::System, "You triage IT tickets."),
            ChatMessage::text(ChatRole::User, "VPN drops every hour"),
        ],
        tools: vec![],
        max_output_tokens: Some(256),
        temperature: Some(0.2),
        trace: None,
    }
}

/// The same with one tool.
pub fn tool_request() -> TitanCallRequest {
    let mut r = request();
    r.tools.push(ToolSpec {
        name: "lookup_ticket".into(),
        description: "Fetch a ticket by id".into(),
        input_schema: serde_json::json!({
            "type": "object",
            "properties": {"ticketId": {"type": "string"}},
            "required": ["ticketId"],
        }),
    });
    r
}

/// Header value as text.
pub fn header<'a>(r: &'a Recorded, name: &str) -> &'a str {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
}
