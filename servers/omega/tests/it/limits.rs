//! The stack's limits in force on every role `omega up` runs, with the
//! default settings: a half-sent request head is closed, invented HTTP
//! methods do not grow `/metrics`, and the context server refuses a
//! tenant's writes past its storage quota.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use omega::role::{RoleId, Scaling};
use omega::up::{Ports, start};
use omega_client::{ClientError, McpClient};
use omega_config::OmegaConfig;
use omega_protocol::ErrorCode;
use omega_stack::Limits;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr_of(base: &str) -> SocketAddr {
    base.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|e| panic!("{base}: {e}"))
}

/// Sends half a request head and returns how long the server took to close.
async fn half_sent_head_closed_after(addr: SocketAddr) -> Duration {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        .await
        .unwrap();
    let started = Instant::now();
    let mut sink = [0u8; 256];
    loop {
        match stream.read(&mut sink).await {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

/// One request with an invented method; the answer does not matter.
async fn invented(addr: SocketAddr, i: usize) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let path = if i.is_multiple_of(2) {
        "/healthz"
    } else {
        "/made-up"
    };
    stream
        .write_all(
            format!(
                "MADEUP{i} {path}/{i} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink).await;
}

async fn metrics(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut body = Vec::new();
    stream.read_to_end(&mut body).await.unwrap();
    String::from_utf8(body).unwrap()
}

#[tokio::test]
async fn every_role_of_omega_up_runs_under_the_default_limits() {
    tokio::time::timeout(Duration::from_secs(300), async {
        let dir = tempfile::tempdir().unwrap();
        let mut config = OmegaConfig::default();
        omega::demo::prepare(&mut config);
        let roles = omega::up::up_roles(&config);
        let running = start(
            &config,
            dir.path(),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Ports::Base(0),
            &roles,
            Scaling::InProcess,
        )
        .await
        .expect("roles start");
        let addrs: Vec<(RoleId, SocketAddr)> = roles
            .iter()
            .map(|&r| {
                (
                    r,
                    addr_of(running.peers.get(r).expect("every role has a URL")),
                )
            })
            .collect();
        let header_timeout = Limits::default().header_read_timeout;

        // Every role's listener closes a half-sent head at the header timeout
        // (all roles in parallel, while the quota part below runs).
        let heads =
            futures::future::join_all(addrs.iter().map(|&(role, addr)| async move {
                (role, half_sent_head_closed_after(addr).await)
            }));

        // The context server refuses the write that would take a tenant over
        // the default 64 MiB, and stores nothing of it.
        let quota = async {
            let client = McpClient::connect(running.url(RoleId::Context))
                .await
                .unwrap();
            // A 1 MiB value (the largest allowed) under a 3-byte key: 63 fit
            // in 64 MiB, the 64th does not.
            let value = json!("v".repeat(config.limits.max_value_bytes - 2));
            for i in 0..63 {
                client
                    .call_tool(
                        "session_put",
                        json!({"tenant": "acme", "sessionId": format!("s{i:02}"), "value": value}),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("write {i}: {e}"));
            }
            let err = client
                .call_tool(
                    "session_put",
                    json!({"tenant": "acme", "sessionId": "s63", "value": value}),
                )
                .await
                .unwrap_err();
            match &err {
                ClientError::Server(e) => {
                    assert_eq!(e.code, ErrorCode::QUOTA_EXCEEDED, "{e:?}");
                    let extra = e.data.extra.clone().unwrap_or_default();
                    assert_eq!(extra["quota"], "tenantQuotaBytes");
                    assert_eq!(extra["limitBytes"], Limits::default().tenant_quota_bytes);
                }
                other => panic!("expected quota_exceeded, got {other:?}"),
            }
            let missing = client
                .call_tool("session_get", json!({"tenant": "acme", "sessionId": "s63"}))
                .await
                .unwrap_err();
            assert_eq!(missing.code(), Some(ErrorCode::NOT_FOUND));
        };
        let (heads, ()) = tokio::join!(heads, quota);
        for (role, took) in heads {
            assert!(
                took >= header_timeout - Duration::from_secs(1)
                    && took < header_timeout + Duration::from_secs(5),
                "{role}: a half-sent head was closed after {took:?}"
            );
        }

        // Invented methods, to every role: the first round adds the `other`
        // series, the second (as many again) adds nothing of its own.
        let (_, probe) = addrs[0];
        let round = |first: usize| {
            let addrs = addrs.clone();
            async move {
                for (n, &(_, addr)) in addrs.iter().enumerate() {
                    for i in 0..25 {
                        invented(addr, first + n * 100 + i).await;
                    }
                }
            }
        };
        round(0).await;
        let before = metrics(probe).await.lines().count();
        round(10_000).await;
        let after = metrics(probe).await;
        // Background work (heartbeats, queue gauges) may add a series or
        // two; each invented method used to add about 20 lines.
        assert!(
            after.lines().count() < before + 60,
            "{} more invented methods grew /metrics from {before} to {} lines",
            25 * addrs.len(),
            after.lines().count()
        );
        assert!(!after.contains("MADEUP"), "{after}");
        assert!(!after.contains("/made-up"), "{after}");
        running.stop().await.unwrap();
    })
    .await
    .expect("test deadline");
}
