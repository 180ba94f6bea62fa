//! The stack's limits, each tried against a running server over real TCP:
//! header-read and keep-alive idle timeouts, the connection cap, the body
//! and request deadlines, the MCP session cap with idle expiry, bounded
//! metric labels and panics answered as 500.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::get;
use omega_client::{ClientError, McpClient, McpVersion};
use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Limits, McpOptions, RoleApp, TenantPolicy, ToolSet, Transport};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Every test finishes within this, or fails.
const DEADLINE: Duration = Duration::from_secs(30);

#[derive(Deserialize, JsonSchema)]
struct Empty {}

#[derive(Deserialize, JsonSchema)]
struct Nap {
    millis: u64,
}

#[derive(Serialize, JsonSchema)]
struct Done {
    ok: bool,
}

/// A role with `ok`, a tool that panics and a tool that sleeps, plus an
/// HTTP route that panics.
fn app(options: &McpOptions) -> axum::Router {
    let tools = ToolSet::new(
        Arc::new(()),
        TenantPolicy::new([TenantId::parse("acme").unwrap()]),
    )
    .tool("ok", "Answers ok.", true, |_, _, _: Empty| async move {
        Ok::<_, OmegaError>(Done { ok: true })
    })
    .tool("explode", "Panics.", true, |_, _, _: Empty| async move {
        if std::hint::black_box(true) {
            panic!("the explode tool always panics");
        }
        Ok::<_, OmegaError>(Done { ok: false })
    })
    .tool("nap", "Sleeps.", true, |_, _, nap: Nap| async move {
        tokio::time::sleep(Duration::from_millis(nap.millis)).await;
        Ok::<_, OmegaError>(Done { ok: true })
    });
    RoleApp::new("limits-role")
        .with_tools("test", tools, options, CancellationToken::new())
        .with_routes(axum::Router::new().route(
            "/boom",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("the boom route always panics");
                }
                "unreachable"
            }),
        ))
        .into_router()
}

/// Serves `app` under `limits` on a free port.
async fn start(limits: Limits) -> SocketAddr {
    let options = McpOptions {
        limits: limits.clone(),
        ..McpOptions::default()
    };
    let bound = omega_stack::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = bound.addr;
    let router = app(&options);
    tokio::spawn(async move {
        omega_stack::serve_limited(
            bound.listener,
            router,
            Transport::Plain,
            &limits,
            CancellationToken::new(),
            Duration::from_secs(1),
        )
        .await
    });
    addr
}

/// A raw HTTP response.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.head,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// Reads one response (head, then a `content-length` body or until EOF).
async fn read_response(stream: &mut TcpStream) -> std::io::Result<Raw> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "closed before a response head: {:?}",
                    String::from_utf8_lossy(&buf)
                ),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head[9..12].parse().unwrap();
    let mut raw = Raw {
        status,
        head,
        body: buf[head_end..].to_vec(),
    };
    match raw.header("content-length") {
        Some(len) => {
            let len: usize = len.parse().unwrap();
            while raw.body.len() < len {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                raw.body.extend_from_slice(&chunk[..n]);
            }
        }
        None => {
            stream.read_to_end(&mut raw.body).await?;
        }
    }
    Ok(raw)
}

/// Sends `request` bytes on a new connection and reads one response.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_response(&mut stream).await.unwrap()
}

fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes()
}

/// A 2026-07-28 (stateless) `tools/call` as raw HTTP.
fn call_request(tool: &str, arguments: Value) -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "name": tool, "arguments": arguments,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string();
    format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2026-07-28\r\n\
         Mcp-Method: tools/call\r\nMcp-Name: {tool}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A 2025-11-25 `initialize` as raw HTTP (it opens a session).
fn initialize_request() -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"}}})
    .to_string();
    format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2025-11-25\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Waits until the server closes `stream` (EOF or reset); returns how long it took.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut sink = [0u8; 1024];
    loop {
        match stream.read(&mut sink).await {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn a_half_sent_header_is_closed_within_the_header_timeout() {
    tokio::time::timeout(DEADLINE, async {
        let limits = Limits {
            header_read_timeout: Duration::from_millis(500),
            ..Limits::default()
        };
        let addr = start(limits).await;

        // Half a request head, then silence.
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        let took = closed_after(&mut slow).await;
        assert!(
            took >= Duration::from_millis(350) && took < Duration::from_secs(3),
            "closed after {took:?}"
        );

        // A connection that never sends a byte is closed just the same.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let took = closed_after(&mut silent).await;
        assert!(took < Duration::from_secs(3), "closed after {took:?}");

        // A prompt client is served.
        assert_eq!(exchange(addr, &get_request("/healthz")).await.status, 200);
    })
    .await
    .expect("test deadline");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    tokio::time::timeout(DEADLINE, async {
        let limits = Limits {
            header_read_timeout: Duration::from_millis(300),
            keep_alive_idle_timeout: Duration::from_millis(2000),
            ..Limits::default()
        };
        let addr = start(limits).await;
        let mut conn = TcpStream::connect(addr).await.unwrap();
        // Requests on one kept-alive connection, with idle pauses longer
        // than the header timeout but shorter than the idle timeout.
        for _ in 0..3 {
            conn.write_all(&get_request("/healthz")).await.unwrap();
            let raw = read_response(&mut conn).await.unwrap();
            assert_eq!(raw.status, 200);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        // Then idle: closed at the idle timeout (500 ms of it already passed).
        let took = closed_after(&mut conn).await;
        assert!(
            took >= Duration::from_millis(1000) && took < Duration::from_millis(4000),
            "closed {took:?} after the last pause"
        );

        // On a kept-alive connection, a slow head is cut by the header
        // timeout, not the (longer) idle timeout.
        let mut conn = TcpStream::connect(addr).await.unwrap();
        conn.write_all(&get_request("/healthz")).await.unwrap();
        assert_eq!(read_response(&mut conn).await.unwrap().status, 200);
        conn.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        let took = closed_after(&mut conn).await;
        assert!(took < Duration::from_millis(1500), "closed after {took:?}");
    })
    .await
    .expect("test deadline");
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    tokio::time::timeout(DEADLINE, async {
        let limits = Limits {
            max_connections: 2,
            ..Limits::default()
        };
        let addr = start(limits).await;
        // Two served connections, kept open.
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            conn.write_all(&get_request("/healthz")).await.unwrap();
            assert_eq!(read_response(&mut conn).await.unwrap().status, 200);
            held.push(conn);
        }
        // A third connects (the kernel accepts it into the backlog) but is
        // not served while both slots are taken...
        let mut third = TcpStream::connect(addr).await.unwrap();
        third.write_all(&get_request("/healthz")).await.unwrap();
        let early =
            tokio::time::timeout(Duration::from_millis(700), read_response(&mut third)).await;
        assert!(early.is_err(), "served over the cap: {early:?}");
        // ...and is served as soon as one closes.
        drop(held.pop());
        let raw = tokio::time::timeout(Duration::from_secs(3), read_response(&mut third))
            .await
            .expect("served once a slot is free")
            .unwrap();
        assert_eq!(raw.status, 200);
    })
    .await
    .expect("test deadline");
}

#[tokio::test]
async fn a_slow_body_is_answered_408_and_a_slow_handler_504() {
    tokio::time::timeout(DEADLINE, async {
        let limits = Limits {
            body_read_timeout: Duration::from_millis(1000),
            request_timeout: Duration::from_millis(2000),
            ..Limits::default()
        };
        let addr = start(limits).await;

        // Announce 1000 bytes of body, send 10.
        let mut conn = TcpStream::connect(addr).await.unwrap();
        conn.write_all(
            b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc",
        )
        .await
        .unwrap();
        let started = Instant::now();
        let raw = read_response(&mut conn).await.unwrap();
        assert_eq!(raw.status, 408, "{raw:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        let body = raw.json();
        assert_eq!(body["error"]["code"], ErrorCode::DEADLINE_EXCEEDED.0);
        assert_eq!(
            body["error"]["data"]["extra"]["limit"],
            "bodyReadTimeoutSecs"
        );
        assert_eq!(raw.header("connection").as_deref(), Some("close"));

        // A tool slower than the request timeout.
        let raw = exchange(addr, &call_request("nap", json!({"millis": 5000}))).await;
        assert_eq!(raw.status, 504, "{raw:?}");
        assert_eq!(raw.json()["error"]["code"], ErrorCode::DEADLINE_EXCEEDED.0);
        assert_eq!(
            raw.json()["error"]["data"]["extra"]["limit"],
            "requestTimeoutSecs"
        );

        // A fast one is served, also with a body that took a while (but
        // less than the body timeout) to arrive.
        let raw = exchange(addr, &call_request("nap", json!({"millis": 10}))).await;
        assert_eq!(raw.status, 200, "{raw:?}");
        let request = call_request("ok", json!({}));
        let (first, rest) = request.split_at(request.len() - 5);
        let mut conn = TcpStream::connect(addr).await.unwrap();
        conn.write_all(first).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        conn.write_all(rest).await.unwrap();
        let raw = read_response(&mut conn).await.unwrap();
        assert_eq!(raw.status, 200, "{raw:?}");
        assert_eq!(raw.json()["result"]["structuredContent"]["ok"], true);
    })
    .await
    .expect("test deadline");
}

#[tokio::test]
async fn sessions_over_the_cap_are_refused_and_idle_ones_expire() {
    tokio::time::timeout(DEADLINE, async {
        let limits = Limits {
            max_sessions: 2,
            session_idle_timeout: Duration::from_millis(2000),
            ..Limits::default()
        };
        let addr = start(limits).await;
        let url = format!("http://{addr}/mcp");
        let connect =
            |version| McpClient::connect_with(&url, version, Duration::from_secs(5), None);

        let first = connect(McpVersion::V2025_11_25).await.unwrap();
        let second = connect(McpVersion::V2025_11_25).await.unwrap();
        assert_eq!(first.call_tool("ok", json!({})).await.unwrap()["ok"], true);

        // The third session is refused with a clear error...
        let refused = connect(McpVersion::V2025_11_25).await.unwrap_err();
        match &refused {
            ClientError::Server(e) => {
                assert_eq!(e.code, ErrorCode::OVERLOADED, "{e:?}");
                assert!(e.message.contains("maximum of 2 MCP sessions"), "{e:?}");
            }
            other => panic!("expected an overloaded error, got {other:?}"),
        }
        // ...as HTTP 503 with Retry-After and a JSON-RPC error naming the limit.
        let raw = exchange(addr, &initialize_request()).await;
        assert_eq!(raw.status, 503, "{raw:?}");
        assert!(raw.header("retry-after").is_some(), "{raw:?}");
        let body = raw.json();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["error"]["code"], ErrorCode::OVERLOADED.0);
        assert_eq!(body["error"]["data"]["name"], "overloaded");
        assert_eq!(body["error"]["data"]["extra"]["maxSessions"], 2);
        // Stateless 2026-07-28 calls need no session and still work.
        let stateless = connect(McpVersion::V2026_07_28).await.unwrap();
        assert_eq!(
            stateless.call_tool("ok", json!({})).await.unwrap()["ok"],
            true
        );

        // Keep `first` busy; let `second` idle past the timeout.
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(first.call_tool("ok", json!({})).await.unwrap()["ok"], true);
        }
        // The idle session is gone (its id is unknown now) and its place is free.
        let gone = second.call_tool("ok", json!({})).await.unwrap_err();
        assert!(gone.to_string().contains("404"), "{gone}");
        let third = connect(McpVersion::V2025_11_25).await.unwrap();
        assert_eq!(third.call_tool("ok", json!({})).await.unwrap()["ok"], true);
        assert_eq!(first.call_tool("ok", json!({})).await.unwrap()["ok"], true);
    })
    .await
    .expect("test deadline");
}

fn metric_lines(text: &str) -> usize {
    text.lines().count()
}

#[tokio::test]
async fn invented_methods_and_paths_do_not_grow_metrics() {
    tokio::time::timeout(DEADLINE, async {
        let addr = start(Limits::default()).await;
        let metrics = || async { exchange(addr, &get_request("/metrics")).await };
        // Warm up the series of /metrics itself and of the known routes.
        assert_eq!(metrics().await.status, 200);
        assert_eq!(exchange(addr, &get_request("/healthz")).await.status, 200);

        let invent = |i: usize| {
            let path = if i.is_multiple_of(2) {
                "/healthz".to_owned()
            } else {
                format!("/nowhere/{i}")
            };
            format!("INVENTED{i} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .into_bytes()
        };
        for i in 0..10 {
            let raw = exchange(addr, &invent(i)).await;
            assert!(raw.status >= 400, "{raw:?}");
        }
        let after_ten = String::from_utf8(metrics().await.body).unwrap();
        for i in 10..300 {
            exchange(addr, &invent(i)).await;
        }
        let after_300 = String::from_utf8(metrics().await.body).unwrap();
        // The first invented methods added their `other` series; the next
        // 290 added nothing.
        assert_eq!(
            metric_lines(&after_ten),
            metric_lines(&after_300),
            "{after_300}"
        );
        assert!(metric_lines(&after_300) < 400, "{after_300}");
        assert!(!after_300.contains("INVENTED"), "{after_300}");
        assert!(!after_300.contains("/nowhere"), "{after_300}");
        assert!(
            after_300.contains(r#"route="unmatched",method="other""#),
            "{after_300}"
        );
        assert!(
            after_300.contains(r#"route="/healthz",method="other""#),
            "{after_300}"
        );
    })
    .await
    .expect("test deadline");
}

#[tokio::test]
async fn a_panic_answers_500_with_a_json_error_and_the_server_keeps_serving() {
    tokio::time::timeout(DEADLINE, async {
        let addr = start(Limits::default()).await;

        // A panicking MCP tool: HTTP 500, JSON-RPC internal error for the call.
        let raw = exchange(addr, &call_request("explode", json!({}))).await;
        assert_eq!(raw.status, 500, "{raw:?}");
        let body = raw.json();
        assert_eq!(body["id"], 7);
        assert_eq!(body["error"]["code"], ErrorCode::INTERNAL_ERROR.0);
        assert!(!body.to_string().contains("always panics"), "{body}");
        // The client sees it as the call's error.
        let client = McpClient::connect(&format!("http://{addr}/mcp"))
            .await
            .unwrap();
        let err = client.call_tool("explode", json!({})).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::INTERNAL_ERROR), "{err}");

        // A panicking HTTP route: 500 with a JSON error, not a dropped connection.
        for _ in 0..3 {
            let raw = exchange(addr, &get_request("/boom")).await;
            assert_eq!(raw.status, 500, "{raw:?}");
            assert_eq!(raw.json()["error"]["code"], ErrorCode::INTERNAL_ERROR.0);
        }

        // The server keeps serving, and counted the panics.
        assert_eq!(client.call_tool("ok", json!({})).await.unwrap()["ok"], true);
        let metrics =
            String::from_utf8(exchange(addr, &get_request("/metrics")).await.body).unwrap();
        assert!(
            metrics.contains(r#"omega_errors_total{service="limits-role",kind="panic"} 3"#),
            "{metrics}"
        );
        assert!(
            metrics.contains(r#"route="/boom",method="GET",status="500"} 3"#),
            "{metrics}"
        );
        assert!(
            metrics.contains(r#"route="/mcp",method="POST",status="500"} 2"#),
            "{metrics}"
        );
    })
    .await
    .expect("test deadline");
}
