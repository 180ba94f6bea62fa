//! The event stream: live updates, loss of the stream, catch-up from
//! `Last-Event-ID`, reset when the id is unknown.

use std::time::Duration;

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::{Harness, review_ticket};

#[derive(Debug, Default, Clone)]
struct Sse {
    id: Option<String>,
    event: String,
    data: String,
}

/// Reads SSE events (ignoring comments) until `n` are collected or the stream ends.
async fn read(body: &mut Body, buf: &mut String, n: usize) -> (Vec<Sse>, bool) {
    let mut out = Vec::new();
    loop {
        while let Some(pos) = buf.find("\n\n") {
            let block: String = buf.drain(..pos + 2).collect();
            let mut ev = Sse::default();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    ev.id = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("event:") {
                    ev.event = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    ev.data.push_str(v.trim());
                }
            }
            if !ev.event.is_empty() {
                out.push(ev);
            }
            if out.len() == n {
                return (out, false);
            }
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("stream stalled");
        match frame {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    buf.push_str(&String::from_utf8_lossy(&d));
                }
            }
            _ => return (out, true),
        }
    }
}

async fn open(h: &Harness, token: &str, last: Option<&str>) -> Body {
    let mut b =
        Request::get("/dashboard/api/events").header("authorization", format!("Bearer {token}"));
    if let Some(l) = last {
        b = b.header("last-event-id", l);
    }
    let resp = h
        .router
        .clone()
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    resp.into_body()
}

#[tokio::test]
async fn a_lost_stream_reconnects_and_catches_up_from_last_event_id() {
    let h = Harness::new().await;
    let alice = h.token("alice", &["acme"]);
    let board = h.dash.board();
    let mut body = open(&h, &alice, None).await;
    let mut buf = String::new();
    board
        .ingest(review_ticket("acme", "t:1", "Hardware", "one", ""))
        .await
        .unwrap();
    // Another tenant's ticket never reaches alice.
    board
        .ingest(review_ticket("globex", "t:x", "Hardware", "other", ""))
        .await
        .unwrap();
    let (evs, _) = read(&mut body, &mut buf, 1).await;
    assert_eq!(evs[0].event, "ticket");
    assert!(evs[0].data.contains("\"t:1\""));
    let last = evs[0].id.clone().unwrap();

    // The stream is lost (server side); two tickets arrive meanwhile.
    board.hub().disconnect_all();
    let (_, ended) = read(&mut body, &mut buf, 1).await;
    assert!(ended, "the stream ends");
    board
        .ingest(review_ticket("acme", "t:2", "Hardware", "two", ""))
        .await
        .unwrap();
    board
        .ingest(review_ticket("globex", "t:y", "Hardware", "other", ""))
        .await
        .unwrap();
    board
        .ingest(review_ticket("acme", "t:3", "Hardware", "three", ""))
        .await
        .unwrap();

    // Reconnect with Last-Event-ID: the missed acme tickets, in order, then live ones.
    let mut body = open(&h, &alice, Some(&last)).await;
    let mut buf = String::new();
    let (evs, _) = read(&mut body, &mut buf, 2).await;
    let ids: Vec<_> = evs
        .iter()
        .map(|e| e.data.contains("\"t:2\"") as u8 * 2 + e.data.contains("\"t:3\"") as u8 * 3)
        .collect();
    assert_eq!(ids, [2, 3], "{evs:?}");
    board
        .ingest(review_ticket("acme", "t:4", "Hardware", "four", ""))
        .await
        .unwrap();
    let (evs, _) = read(&mut body, &mut buf, 1).await;
    assert!(evs[0].data.contains("\"t:4\""));

    // An id from another server process: the client is told to reload.
    let mut body = open(&h, &alice, Some("0-99")).await;
    let mut buf = String::new();
    let (evs, _) = read(&mut body, &mut buf, 1).await;
    assert_eq!(evs[0].event, "reset");
}
