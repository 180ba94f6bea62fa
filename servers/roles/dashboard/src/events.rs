//! [`EventHub`]: the live update stream behind the dashboard's Server-Sent
//! Events, with a replay buffer so a client that lost its stream catches up
//! from its `Last-Event-ID`.
//!
//! Event ids are `{epoch}-{seq}`: `epoch` changes with every process start,
//! so an id from an earlier process (or one older than the buffer) makes the
//! hub send a `reset` event, and the client reloads the list instead.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use omega_protocol::TenantId;
use tokio::sync::{broadcast, watch};

/// One published event.
#[derive(Debug, Clone, PartialEq)]
pub struct HubEvent {
    /// Sequence number (1, 2, ...).
    pub seq: u64,
    /// The tenant it belongs to (only that tenant's employees see it).
    pub tenant: TenantId,
    /// The SSE event name (`ticket`).
    pub kind: &'static str,
    /// The JSON data.
    pub data: String,
}

struct State {
    seq: u64,
    buffer: VecDeque<Arc<HubEvent>>,
}

/// Where a new subscriber starts.
#[derive(Debug)]
pub struct Subscription {
    /// Buffered events after the client's last id, oldest first.
    pub replay: Vec<Arc<HubEvent>>,
    /// The client's id is unknown or too old: it must reload (send `reset`).
    pub reset: bool,
    /// Live events after the replay.
    pub live: broadcast::Receiver<Arc<HubEvent>>,
    /// Changes when [`EventHub::disconnect_all`] is called.
    pub generation: watch::Receiver<u64>,
    /// The newest sequence number when the subscription started.
    pub cursor: u64,
}

/// Publishes ticket updates to every connected dashboard.
pub struct EventHub {
    epoch: String,
    capacity: usize,
    state: Mutex<State>,
    tx: broadcast::Sender<Arc<HubEvent>>,
    generation: watch::Sender<u64>,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// A hub keeping the last `capacity` events for catch-up.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let epoch = format!("{:x}", chrono::Utc::now().timestamp_micros());
        Self {
            epoch,
            capacity: capacity.max(1),
            state: Mutex::new(State {
                seq: 0,
                buffer: VecDeque::new(),
            }),
            tx,
            generation: watch::channel(0).0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The SSE id of sequence number `seq`.
    pub fn id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.epoch)
    }

    /// The id of the newest event (a cursor for `?since=`).
    pub fn cursor(&self) -> String {
        self.id(self.lock().seq)
    }

    /// Publishes an event.
    pub fn publish(&self, tenant: TenantId, kind: &'static str, data: String) -> u64 {
        let mut s = self.lock();
        s.seq += 1;
        let ev = Arc::new(HubEvent {
            seq: s.seq,
            tenant,
            kind,
            data,
        });
        if s.buffer.len() == self.capacity {
            s.buffer.pop_front();
        }
        s.buffer.push_back(ev.clone());
        // Sent under the lock so replay + live never skip or repeat an event.
        let _ = self.tx.send(ev);
        s.seq
    }

    /// Subscribes after the event with id `last` (`None`: only new events).
    pub fn subscribe(&self, last: Option<&str>) -> Subscription {
        let s = self.lock();
        let live = self.tx.subscribe();
        let generation = self.generation.subscribe();
        let Some(last) = last else {
            return Subscription {
                replay: Vec::new(),
                reset: false,
                live,
                generation,
                cursor: s.seq,
            };
        };
        let parsed = last
            .rsplit_once('-')
            .filter(|(epoch, _)| *epoch == self.epoch)
            .and_then(|(_, seq)| seq.parse::<u64>().ok())
            .filter(|seq| *seq <= s.seq);
        let oldest = s.buffer.front().map_or(s.seq + 1, |e| e.seq);
        match parsed {
            Some(seq) if seq + 1 >= oldest => Subscription {
                replay: s.buffer.iter().filter(|e| e.seq > seq).cloned().collect(),
                reset: false,
                live,
                generation,
                cursor: s.seq,
            },
            _ => Subscription {
                replay: Vec::new(),
                reset: true,
                live,
                generation,
                cursor: s.seq,
            },
        }
    }

    /// Ends every open stream (clients reconnect with their `Last-Event-ID`).
    /// Used on shutdown and by tests of the reconnect path.
    pub fn disconnect_all(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// Connected streams.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[test]
    fn catch_up_after_a_gap_and_reset_when_too_old() {
        let hub = EventHub::new(3);
        let first = hub.publish(acme(), "ticket", "1".into());
        let id1 = hub.id(first);
        hub.publish(acme(), "ticket", "2".into());
        hub.publish(acme(), "ticket", "3".into());
        let sub = hub.subscribe(Some(&id1));
        assert!(!sub.reset);
        let got: Vec<_> = sub.replay.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(got, ["2", "3"]);
        hub.publish(acme(), "ticket", "4".into());
        hub.publish(acme(), "ticket", "5".into());
        // Event 2 left the buffer (capacity 3): id1 is too old.
        assert!(hub.subscribe(Some(&id1)).reset);
        // An id from another process.
        assert!(hub.subscribe(Some("abc-2")).reset);
        assert!(hub.subscribe(Some("garbage")).reset);
        // The newest id: nothing to replay, no reset.
        let sub = hub.subscribe(Some(&hub.cursor()));
        assert!(!sub.reset && sub.replay.is_empty());
    }

    #[tokio::test]
    async fn live_events_follow_the_replay() {
        let hub = EventHub::new(10);
        let mut sub = hub.subscribe(None);
        hub.publish(acme(), "ticket", "x".into());
        assert_eq!(sub.live.recv().await.unwrap().data, "x");
        assert_eq!(hub.subscribers(), 1);
    }
}
