//! In-memory index of the embedded queue: which messages are ready, leased or delayed.
//!
//! Leases live only here. After a restart everything on disk is ready (or delayed) again, which is
//! the at-least-once contract.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::types::{Message, QueueOptions, QueueStats, dlq_name, push_failure};

use super::store::{Op, Record};

/// A lease held on one message.
#[derive(Debug)]
pub(super) struct LeaseInfo {
    pub token: u64,
    pub consumer: String,
    pub deadline: u64,
}

/// One live message.
#[derive(Debug)]
pub(super) struct Entry {
    pub msg: Message,
    pub lease: Option<LeaseInfo>,
    pub due: Option<u64>,
}

/// One queue.
#[derive(Debug, Default)]
pub(super) struct QState {
    pub entries: HashMap<u64, Entry>,
    ready: VecDeque<u64>,
    delayed: BTreeSet<(u64, u64)>,
    leases: BTreeSet<(u64, u64)>,
}

/// All queues.
#[derive(Debug, Default)]
pub(super) struct State {
    pub queues: HashMap<String, QState>,
    next_token: u64,
}

impl State {
    /// Adds a stored message, ready now or at `due`.
    pub fn insert(&mut self, queue: &str, seq: u64, msg: Message, due: Option<u64>) {
        let q = self.queues.entry(queue.to_owned()).or_default();
        match due {
            Some(t) => {
                q.delayed.insert((t, seq));
            }
            None => q.ready.push_back(seq),
        }
        q.entries.insert(
            seq,
            Entry {
                msg,
                lease: None,
                due,
            },
        );
    }

    /// Expires leases and promotes due retries of `queue`, emitting the writes that follow.
    pub fn tick(&mut self, queue: &str, opts: &QueueOptions, now: u64, ops: &mut Vec<Op>) {
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        while let Some(&(deadline, seq)) = q.leases.first() {
            if deadline > now {
                break;
            }
            q.leases.pop_first();
            let Some(e) = q.entries.get_mut(&seq) else {
                continue;
            };
            let consumer = e.lease.take().map(|l| l.consumer).unwrap_or_default();
            push_failure(
                &mut e.msg.failures,
                &format!("lease expired (consumer {consumer})"),
            );
            tracing::debug!(
                queue,
                seq,
                consumer,
                attempts = e.msg.attempts,
                "lease expired"
            );
            if e.msg.attempts >= opts.max_attempts {
                if let Some(e) = q.entries.remove(&seq) {
                    ops.push(Op::DeadLetter {
                        queue: queue.to_owned(),
                        seq,
                        dlq: dlq_name(queue),
                        msg: e.msg,
                        reply: None,
                    });
                }
            } else {
                q.ready.push_front(seq);
                ops.push(Op::Put {
                    queue: queue.to_owned(),
                    seq,
                    record: Record {
                        msg: e.msg.clone(),
                        not_before_ms: 0,
                    },
                    reply: None,
                });
            }
        }
        while let Some(&(due, seq)) = q.delayed.first() {
            if due > now {
                break;
            }
            q.delayed.pop_first();
            if let Some(e) = q.entries.get_mut(&seq) {
                e.due = None;
                q.ready.push_back(seq);
            }
        }
    }

    /// Leases up to `max` ready messages; returns (seq, token, message) per lease.
    pub fn lease(
        &mut self,
        queue: &str,
        consumer: &str,
        max: usize,
        deadline: u64,
    ) -> Vec<(u64, u64, Message)> {
        let Some(q) = self.queues.get_mut(queue) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(max.min(q.ready.len()));
        while out.len() < max {
            let Some(seq) = q.ready.pop_front() else {
                break;
            };
            let Some(e) = q.entries.get_mut(&seq) else {
                continue;
            };
            self.next_token += 1;
            let token = self.next_token;
            e.msg.attempts += 1;
            e.lease = Some(LeaseInfo {
                token,
                consumer: consumer.to_owned(),
                deadline,
            });
            q.leases.insert((deadline, seq));
            out.push((seq, token, e.msg.clone()));
        }
        out
    }

    /// Whether `token` still holds the lease on `seq`.
    pub fn held(&self, queue: &str, seq: u64, token: u64) -> bool {
        self.queues
            .get(queue)
            .and_then(|q| q.entries.get(&seq))
            .and_then(|e| e.lease.as_ref())
            .is_some_and(|l| l.token == token)
    }

    /// Ends the lease on a held entry (the caller checked it with [`State::held`]).
    pub fn release(&mut self, queue: &str, seq: u64) -> Option<&mut Entry> {
        let q = self.queues.get_mut(queue)?;
        let e = q.entries.get_mut(&seq)?;
        if let Some(l) = e.lease.take() {
            q.leases.remove(&(l.deadline, seq));
        }
        Some(e)
    }

    /// Removes an entry for good.
    pub fn remove(&mut self, queue: &str, seq: u64) -> Option<Entry> {
        self.release(queue, seq);
        self.queues.get_mut(queue)?.entries.remove(&seq)
    }

    /// Puts a released entry back to wait until `due`.
    pub fn delay(&mut self, queue: &str, seq: u64, due: u64) {
        if let Some(q) = self.queues.get_mut(queue)
            && let Some(e) = q.entries.get_mut(&seq)
        {
            e.due = Some(due);
            q.delayed.insert((due, seq));
        }
    }

    /// Moves a held lease's deadline.
    pub fn extend(&mut self, queue: &str, seq: u64, deadline: u64) {
        if let Some(q) = self.queues.get_mut(queue)
            && let Some(e) = q.entries.get_mut(&seq)
            && let Some(l) = e.lease.as_mut()
        {
            q.leases.remove(&(l.deadline, seq));
            l.deadline = deadline;
            q.leases.insert((deadline, seq));
        }
    }

    /// Counts of `queue` (after [`State::tick`]).
    pub fn stats(&self, queue: &str, now: u64) -> QueueStats {
        let mut s = QueueStats::default();
        if let Some(q) = self.queues.get(queue) {
            s.ready = q.ready.len() as u64;
            s.leased = q.leases.len() as u64;
            s.delayed = q.delayed.len() as u64;
            s.oldest_age_ms = q
                .entries
                .values()
                .filter(|e| e.due.is_none())
                .map(|e| now.saturating_sub(e.msg.enqueued_at_ms))
                .max();
        }
        s.dead_lettered = self
            .queues
            .get(&dlq_name(queue))
            .map_or(0, |d| d.entries.len() as u64);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str) -> Message {
        Message::new(id, "t1", serde_json::json!({}))
    }

    #[test]
    fn expired_lease_comes_back_first_and_counts_an_attempt() {
        let mut st = State::default();
        st.insert("q", 1, msg("a"), None);
        st.insert("q", 2, msg("b"), None);
        let got = st.lease("q", "c1", 1, 100);
        assert_eq!(got[0].2.id, "a");
        let mut ops = Vec::new();
        st.tick("q", &QueueOptions::default(), 99, &mut ops);
        assert!(ops.is_empty());
        assert_eq!(st.stats("q", 99).leased, 1);
        st.tick("q", &QueueOptions::default(), 100, &mut ops);
        assert_eq!(ops.len(), 1);
        let again = st.lease("q", "c2", 1, 500);
        assert_eq!(again[0].2.id, "a");
        assert_eq!(again[0].2.attempts, 2);
        assert_eq!(again[0].2.failures, vec!["lease expired (consumer c1)"]);
        assert!(!st.held("q", 1, got[0].1));
        assert!(st.held("q", 1, again[0].1));
    }

    #[test]
    fn last_expiry_dead_letters() {
        let mut st = State::default();
        st.insert("q", 1, msg("a"), None);
        let opts = QueueOptions {
            max_attempts: 1,
            ..QueueOptions::default()
        };
        st.lease("q", "c1", 1, 10);
        let mut ops = Vec::new();
        st.tick("q", &opts, 10, &mut ops);
        assert!(matches!(ops.as_slice(), [Op::DeadLetter { dlq, .. }] if dlq == "q.dlq"));
        assert_eq!(st.stats("q", 10), QueueStats::default());
    }

    #[test]
    fn delayed_entries_wait_for_their_time() {
        let mut st = State::default();
        st.insert("q", 1, msg("a"), Some(50));
        let mut ops = Vec::new();
        st.tick("q", &QueueOptions::default(), 49, &mut ops);
        assert!(st.lease("q", "c", 1, 100).is_empty());
        st.tick("q", &QueueOptions::default(), 50, &mut ops);
        assert_eq!(st.lease("q", "c", 1, 100).len(), 1);
    }
}
