//! The redb file and its single writer thread (group commit).
//!
//! Every change goes through one channel to one thread. The thread takes all waiting operations,
//! applies them in one write transaction, commits with `Durability::Immediate` (fsync), then
//! answers every caller. Under load, many enqueues and acks share one fsync.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use omega_store::files;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::state::State;
use crate::error::{QueueError, Result};
use crate::types::{EnqueueOutcome, Message, now_ms};

/// Live messages: (queue, seq) → JSON [`Record`].
pub(super) const MESSAGES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("messages");
/// Accepted ids: (queue, tenant, id) → accept time in ms.
pub(super) const DEDUPE: TableDefinition<(&str, &str, &str), u64> = TableDefinition::new("dedupe");
/// Finished work: (queue, tenant, id) → time in ms.
pub(super) const DONE: TableDefinition<(&str, &str, &str), u64> = TableDefinition::new("done");

/// Most operations applied in one transaction.
const MAX_BATCH: usize = 8192;

/// A stored message and when it may be delivered next.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Record {
    pub msg: Message,
    pub not_before_ms: u64,
}

/// Reply channel for one operation.
pub(super) type Reply<T> = Option<oneshot::Sender<Result<T>>>;

/// A change for the writer thread.
pub(super) enum Op {
    /// Dedupe-check and store a new message; on commit it becomes ready in memory.
    Enqueue {
        queue: String,
        msg: Message,
        window_ms: Option<u64>,
        reply: Reply<EnqueueOutcome>,
    },
    /// Remove a settled message.
    Delete {
        queue: String,
        seq: u64,
        reply: Reply<()>,
    },
    /// Overwrite a message (attempts, failures, backoff).
    Put {
        queue: String,
        seq: u64,
        record: Record,
        reply: Reply<()>,
    },
    /// Remove from `queue` and store in `dlq`; on commit it becomes ready in the dlq in memory.
    DeadLetter {
        queue: String,
        seq: u64,
        dlq: String,
        msg: Message,
        reply: Reply<()>,
    },
    /// Record finished work.
    MarkDone {
        queue: String,
        tenant: String,
        id: String,
        reply: Reply<()>,
    },
}

/// Opens (or creates) the database file under `dir`.
///
/// `dir` is made private first (created `0700`, a wider existing one tightened, see
/// [`omega_store::files::ensure_private_dir`]), and `queue.redb` is created `0600` here before
/// redb opens it: redb's `Database::create` opens with the default mode and initializes an
/// existing empty file, so it never creates the file itself.
pub(super) fn open_db(dir: &Path) -> Result<Database> {
    files::ensure_private_dir(dir).map_err(|e| storage(dir, e))?;
    let path = dir.join("queue.redb");
    drop(files::open_private_file(&path).map_err(|e| storage(dir, e))?);
    let db = Database::create(&path).map_err(|e| storage(dir, e))?;
    let txn = db.begin_write().map_err(|e| storage(dir, e))?;
    {
        txn.open_table(MESSAGES).map_err(|e| storage(dir, e))?;
        txn.open_table(DEDUPE).map_err(|e| storage(dir, e))?;
        txn.open_table(DONE).map_err(|e| storage(dir, e))?;
    }
    txn.commit().map_err(|e| storage(dir, e))?;
    Ok(db)
}

/// Loads every live message into a fresh in-memory state; returns it and the next free seq.
pub(super) fn load(db: &Database, dir: &Path) -> Result<(State, u64)> {
    let now = now_ms();
    let mut state = State::default();
    let mut next_seq = 1;
    let txn = db.begin_read().map_err(|e| storage(dir, e))?;
    let table = txn.open_table(MESSAGES).map_err(|e| storage(dir, e))?;
    for row in table.iter().map_err(|e| storage(dir, e))? {
        let (k, v) = row.map_err(|e| storage(dir, e))?;
        let (queue, seq) = k.value();
        let rec: Record =
            serde_json::from_slice(v.value()).map_err(|e| QueueError::Corrupt(e.to_string()))?;
        next_seq = next_seq.max(seq + 1);
        let due = (rec.not_before_ms > now).then_some(rec.not_before_ms);
        state.insert(queue, seq, rec.msg, due);
    }
    Ok((state, next_seq))
}

/// Checks `DONE` for a key inside its window.
pub(super) fn is_done(
    db: &Database,
    dir: &Path,
    key: (&str, &str, &str),
    window_ms: Option<u64>,
) -> Result<bool> {
    let txn = db.begin_read().map_err(|e| storage(dir, e))?;
    let table = txn.open_table(DONE).map_err(|e| storage(dir, e))?;
    let at = table
        .get(key)
        .map_err(|e| storage(dir, e))?
        .map(|g| g.value());
    Ok(at.is_some_and(|at| within(at, window_ms, now_ms())))
}

fn within(at: u64, window_ms: Option<u64>, now: u64) -> bool {
    window_ms.is_none_or(|w| now.saturating_sub(at) < w)
}

pub(super) fn storage(dir: &Path, e: impl std::fmt::Display) -> QueueError {
    QueueError::Storage {
        path: dir.display().to_string(),
        message: e.to_string(),
    }
}

/// Effect on memory once a batch is durable.
enum Effect {
    Ready {
        queue: String,
        seq: u64,
        msg: Message,
    },
}

/// A reply waiting for the commit.
enum Pending {
    Enqueue(oneshot::Sender<Result<EnqueueOutcome>>, EnqueueOutcome),
    Unit(oneshot::Sender<Result<()>>),
}

/// The writer thread body: runs until every sender is gone.
pub(super) fn writer(
    db: Arc<Database>,
    dir: PathBuf,
    rx: Receiver<Op>,
    state: Arc<Mutex<State>>,
    mut next_seq: u64,
) {
    while let Ok(first) = rx.recv() {
        let mut ops = vec![first];
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let mut effects = Vec::new();
        let mut pending = Vec::new();
        let res = apply(&db, ops, &mut next_seq, &mut effects, &mut pending);
        match res {
            Ok(()) => {
                {
                    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                    for Effect::Ready { queue, seq, msg } in effects {
                        st.insert(&queue, seq, msg, None);
                    }
                }
                for p in pending {
                    match p {
                        Pending::Enqueue(tx, o) => drop(tx.send(Ok(o))),
                        Pending::Unit(tx) => drop(tx.send(Ok(()))),
                    }
                }
            }
            Err(e) => {
                tracing::error!(path = %dir.display(), error = %e, "queue commit failed");
                for p in pending {
                    let err = storage(&dir, &e);
                    match p {
                        Pending::Enqueue(tx, _) => drop(tx.send(Err(err))),
                        Pending::Unit(tx) => drop(tx.send(Err(err))),
                    }
                }
            }
        }
    }
}

fn apply(
    db: &Database,
    ops: Vec<Op>,
    next_seq: &mut u64,
    effects: &mut Vec<Effect>,
    pending: &mut Vec<Pending>,
) -> std::result::Result<(), String> {
    let now = now_ms();
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    let mut failed = None;
    {
        let mut messages = txn.open_table(MESSAGES).map_err(|e| e.to_string())?;
        let mut dedupe = txn.open_table(DEDUPE).map_err(|e| e.to_string())?;
        let mut done = txn.open_table(DONE).map_err(|e| e.to_string())?;
        for op in ops {
            let r: std::result::Result<(), String> = (|| {
                match op {
                    Op::Enqueue {
                        queue,
                        mut msg,
                        window_ms,
                        reply,
                    } => {
                        let key = (queue.as_str(), msg.tenant.as_str(), msg.id.as_str());
                        let seen = dedupe
                            .get(key)
                            .map_err(|e| e.to_string())?
                            .map(|g| g.value());
                        let outcome = if seen.is_some_and(|at| within(at, window_ms, now)) {
                            EnqueueOutcome::Duplicate
                        } else {
                            dedupe.insert(key, now).map_err(|e| e.to_string())?;
                            msg.enqueued_at_ms = now;
                            let seq = *next_seq;
                            *next_seq += 1;
                            let rec = Record {
                                msg,
                                not_before_ms: 0,
                            };
                            let bytes = serde_json::to_vec(&rec).map_err(|e| e.to_string())?;
                            messages
                                .insert((queue.as_str(), seq), bytes.as_slice())
                                .map_err(|e| e.to_string())?;
                            effects.push(Effect::Ready {
                                queue,
                                seq,
                                msg: rec.msg,
                            });
                            EnqueueOutcome::Enqueued
                        };
                        if let Some(tx) = reply {
                            pending.push(Pending::Enqueue(tx, outcome));
                        }
                    }
                    Op::Delete { queue, seq, reply } => {
                        messages
                            .remove((queue.as_str(), seq))
                            .map_err(|e| e.to_string())?;
                        pending.extend(reply.map(Pending::Unit));
                    }
                    Op::Put {
                        queue,
                        seq,
                        record,
                        reply,
                    } => {
                        let bytes = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
                        messages
                            .insert((queue.as_str(), seq), bytes.as_slice())
                            .map_err(|e| e.to_string())?;
                        pending.extend(reply.map(Pending::Unit));
                    }
                    Op::DeadLetter {
                        queue,
                        seq,
                        dlq,
                        msg,
                        reply,
                    } => {
                        messages
                            .remove((queue.as_str(), seq))
                            .map_err(|e| e.to_string())?;
                        let new_seq = *next_seq;
                        *next_seq += 1;
                        let rec = Record {
                            msg,
                            not_before_ms: 0,
                        };
                        let bytes = serde_json::to_vec(&rec).map_err(|e| e.to_string())?;
                        messages
                            .insert((dlq.as_str(), new_seq), bytes.as_slice())
                            .map_err(|e| e.to_string())?;
                        effects.push(Effect::Ready {
                            queue: dlq,
                            seq: new_seq,
                            msg: rec.msg,
                        });
                        pending.extend(reply.map(Pending::Unit));
                    }
                    Op::MarkDone {
                        queue,
                        tenant,
                        id,
                        reply,
                    } => {
                        done.insert((queue.as_str(), tenant.as_str(), id.as_str()), now)
                            .map_err(|e| e.to_string())?;
                        pending.extend(reply.map(Pending::Unit));
                    }
                }
                Ok(())
            })();
            if let Err(e) = r {
                failed = Some(e);
                break;
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    txn.commit().map_err(|e| e.to_string())
}
