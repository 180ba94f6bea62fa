//! `GET /dashboard/api/events`: Server-Sent Events of ticket changes for the
//! employee's tenants. A reconnecting client sends `Last-Event-ID` (or
//! `?since=` with the list's cursor) and gets what it missed, or a `reset`
//! event when that is no longer in the buffer.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use omega_protocol::TenantId;
use serde::Deserialize;
use tokio::sync::{broadcast, watch};

use crate::Dashboard;
use crate::error::ApiError;
use crate::events::{EventHub, HubEvent};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamQuery {
    #[serde(default)]
    since: Option<String>,
}

struct St {
    hub: Arc<EventHub>,
    hello: bool,
    reset: Option<u64>,
    replay: VecDeque<Arc<HubEvent>>,
    live: broadcast::Receiver<Arc<HubEvent>>,
    generation: watch::Receiver<u64>,
    tenants: Vec<TenantId>,
}

fn event(hub: &EventHub, ev: &HubEvent) -> Event {
    Event::default()
        .id(hub.id(ev.seq))
        .event(ev.kind)
        .data(ev.data.clone())
}

pub(crate) async fn events(
    State(d): State<Dashboard>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let emp = super::employee(&d, &headers)?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.since);
    let hub = d.board().hub().clone();
    let sub = hub.subscribe(last.as_deref());
    tracing::debug!(employee = %emp.id, replay = sub.replay.len(), reset = sub.reset, "event stream opened");
    let st = St {
        hub,
        hello: true,
        reset: sub.reset.then_some(sub.cursor),
        replay: sub.replay.into(),
        live: sub.live,
        generation: sub.generation,
        tenants: emp.tenants,
    };
    let stream = futures::stream::unfold(st, |mut st| async move {
        if std::mem::take(&mut st.hello) {
            let ev = Event::default()
                .retry(Duration::from_millis(1000))
                .comment("connected");
            return Some((Ok(ev), st));
        }
        if let Some(cursor) = st.reset.take() {
            let ev = Event::default()
                .id(st.hub.id(cursor))
                .event("reset")
                .data("{}");
            return Some((Ok(ev), st));
        }
        while let Some(ev) = st.replay.pop_front() {
            if st.tenants.contains(&ev.tenant) {
                let e = event(&st.hub, &ev);
                return Some((Ok(e), st));
            }
        }
        loop {
            tokio::select! {
                r = st.live.recv() => match r {
                    Ok(ev) if st.tenants.contains(&ev.tenant) => {
                        let e = event(&st.hub, &ev);
                        return Some((Ok(e), st));
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow a reader: have it reload rather than miss events.
                        let e = Event::default().event("reset").data("{}");
                        return Some((Ok(e), st));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = st.generation.changed() => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
