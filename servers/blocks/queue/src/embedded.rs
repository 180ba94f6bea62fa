//! The default backend: a durable queue in one redb file under a data directory.
//!
//! - `enqueue`, `ack`, `nack`, `mark_done` go to a single writer thread that commits everything
//!   waiting in one fsynced transaction (group commit) and answers once the data is on disk.
//! - The ready/leased/delayed index is kept in memory and rebuilt from the file at open; leases are
//!   not stored, so after a crash every un-acked message is delivered again.
//! - Attempts and failure reasons are stored on nack and on lease expiry. A process crash while a
//!   message is leased does not count as a failed attempt.
//! - Dedupe keys `(queue, tenant, id)` are kept forever unless `dedupeWindowSecs` is set.
//! - Message bodies are held in memory while queued, so size a backlog accordingly.

mod state;
mod store;

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use redb::Database;
use tokio::sync::oneshot;

use self::state::State;
use self::store::{Op, Record};
use crate::error::{QueueError, Result};
use crate::queue::Queue;
use crate::types::{
    EnqueueOutcome, Lease, Message, NackOutcome, QueueSettings, QueueStats, dlq_name, now_ms,
    push_failure, validate_queue_name,
};

/// A durable queue stored under a data directory. Cheap to share: wrap it in an `Arc`.
pub struct EmbeddedQueue {
    dir: PathBuf,
    db: Arc<Database>,
    state: Arc<Mutex<State>>,
    settings: QueueSettings,
    tx: Option<Sender<Op>>,
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EmbeddedQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedQueue")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl EmbeddedQueue {
    /// Opens (or creates) the queue store in `dir` (file `queue.redb`) and loads every stored
    /// message as ready. Only one process may open a directory at a time.
    pub fn open(dir: impl AsRef<Path>, settings: QueueSettings) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let db = Arc::new(store::open_db(&dir)?);
        let (state, next_seq) = store::load(&db, &dir)?;
        let state = Arc::new(Mutex::new(state));
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = {
            let (db, wdir, state) = (db.clone(), dir.clone(), state.clone());
            std::thread::Builder::new()
                .name("omega-queue-writer".into())
                .spawn(move || store::writer(db, wdir, rx, state, next_seq))
                .map_err(|e| store::storage(&dir, e))?
        };
        tracing::info!(path = %dir.display(), "embedded queue opened");
        Ok(Self {
            dir,
            db,
            state,
            settings,
            tx: Some(tx),
            writer: Some(writer),
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, op: Op) -> Result<()> {
        self.tx
            .as_ref()
            .ok_or(QueueError::Closed)?
            .send(op)
            .map_err(|_| QueueError::Closed)
    }

    fn parse(lease: &Lease) -> Result<(u64, u64)> {
        let foreign = || QueueError::ForeignLease {
            token: lease.token.clone(),
        };
        let rest = lease.token.strip_prefix("e:").ok_or_else(foreign)?;
        let (a, b) = rest.split_once(':').ok_or_else(foreign)?;
        Ok((
            a.parse().map_err(|_| foreign())?,
            b.parse().map_err(|_| foreign())?,
        ))
    }

    fn lost(lease: &Lease) -> QueueError {
        QueueError::LeaseLost {
            queue: lease.queue.clone(),
            id: lease.message.id.clone(),
        }
    }
}

impl Drop for EmbeddedQueue {
    fn drop(&mut self) {
        // Closing the channel lets the writer commit what is queued and exit; wait for it so the
        // file is closed before anyone reopens the directory.
        self.tx.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

async fn wait<T>(rx: oneshot::Receiver<Result<T>>) -> Result<T> {
    rx.await.map_err(|_| QueueError::Closed)?
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn enqueue(&self, queue: &str, msg: Message) -> Result<EnqueueOutcome> {
        let mut out = self.enqueue_batch(queue, vec![msg]).await?;
        out.pop().ok_or(QueueError::Closed)
    }

    async fn enqueue_batch(&self, queue: &str, msgs: Vec<Message>) -> Result<Vec<EnqueueOutcome>> {
        validate_queue_name(queue)?;
        for m in &msgs {
            m.validate()?;
        }
        let window_ms = self.settings.options(queue).dedupe_window_ms();
        let mut waits = Vec::with_capacity(msgs.len());
        for mut msg in msgs {
            msg.attempts = 0;
            msg.failures.clear();
            let (tx, rx) = oneshot::channel();
            self.send(Op::Enqueue {
                queue: queue.to_owned(),
                msg,
                window_ms,
                reply: Some(tx),
            })?;
            waits.push(rx);
        }
        let mut out = Vec::with_capacity(waits.len());
        for rx in waits {
            out.push(wait(rx).await?);
        }
        Ok(out)
    }

    async fn lease(
        &self,
        queue: &str,
        consumer: &str,
        max: usize,
        lease_duration: Duration,
    ) -> Result<Vec<Lease>> {
        validate_queue_name(queue)?;
        let opts = self.settings.options(queue);
        let now = now_ms();
        let deadline = now.saturating_add(lease_duration.as_millis() as u64);
        let mut ops = Vec::new();
        let got = {
            let mut st = self.lock();
            st.tick(queue, &opts, now, &mut ops);
            let got = st.lease(queue, consumer, max, deadline);
            for op in ops {
                self.send(op)?;
            }
            got
        };
        Ok(got
            .into_iter()
            .map(|(seq, token, message)| Lease {
                queue: queue.to_owned(),
                consumer: consumer.to_owned(),
                message,
                expires_at_ms: deadline,
                token: format!("e:{seq}:{token}"),
            })
            .collect())
    }

    async fn extend_lease(&self, lease: &Lease, lease_duration: Duration) -> Result<Lease> {
        let (seq, token) = Self::parse(lease)?;
        let deadline = now_ms().saturating_add(lease_duration.as_millis() as u64);
        let mut st = self.lock();
        if !st.held(&lease.queue, seq, token) {
            return Err(Self::lost(lease));
        }
        st.extend(&lease.queue, seq, deadline);
        Ok(Lease {
            expires_at_ms: deadline,
            ..lease.clone()
        })
    }

    async fn ack(&self, lease: &Lease) -> Result<()> {
        let (seq, token) = Self::parse(lease)?;
        let (tx, rx) = oneshot::channel();
        {
            let mut st = self.lock();
            if !st.held(&lease.queue, seq, token) {
                return Err(Self::lost(lease));
            }
            st.remove(&lease.queue, seq);
            self.send(Op::Delete {
                queue: lease.queue.clone(),
                seq,
                reply: Some(tx),
            })?;
        }
        wait(rx).await
    }

    async fn nack(&self, lease: &Lease, reason: &str) -> Result<NackOutcome> {
        let (seq, token) = Self::parse(lease)?;
        let opts = self.settings.options(&lease.queue);
        let q = lease.queue.as_str();
        let (tx, rx) = oneshot::channel();
        let outcome = {
            let mut st = self.lock();
            if !st.held(q, seq, token) {
                return Err(Self::lost(lease));
            }
            let e = st.release(q, seq).ok_or_else(|| Self::lost(lease))?;
            push_failure(&mut e.msg.failures, reason);
            let attempts = e.msg.attempts;
            if attempts >= opts.max_attempts {
                let e = st.remove(q, seq).ok_or_else(|| Self::lost(lease))?;
                tracing::warn!(queue = q, id = %e.msg.id, tenant = %e.msg.tenant, attempts, "message dead-lettered");
                self.send(Op::DeadLetter {
                    queue: q.to_owned(),
                    seq,
                    dlq: dlq_name(q),
                    msg: e.msg,
                    reply: Some(tx),
                })?;
                NackOutcome::DeadLettered { attempts }
            } else {
                let delay = opts.backoff(attempts);
                let due = now_ms().saturating_add(delay.as_millis() as u64);
                let record = Record {
                    msg: e.msg.clone(),
                    not_before_ms: due,
                };
                st.delay(q, seq, due);
                self.send(Op::Put {
                    queue: q.to_owned(),
                    seq,
                    record,
                    reply: Some(tx),
                })?;
                NackOutcome::Retry { delay, attempts }
            }
        };
        wait(rx).await?;
        Ok(outcome)
    }

    async fn depth(&self, queue: &str) -> Result<QueueStats> {
        validate_queue_name(queue)?;
        let opts = self.settings.options(queue);
        let now = now_ms();
        let mut ops = Vec::new();
        let mut st = self.lock();
        st.tick(queue, &opts, now, &mut ops);
        for op in ops {
            self.send(op)?;
        }
        Ok(st.stats(queue, now))
    }

    async fn mark_done(&self, queue: &str, tenant: &str, id: &str) -> Result<()> {
        validate_queue_name(queue)?;
        let (tx, rx) = oneshot::channel();
        self.send(Op::MarkDone {
            queue: queue.to_owned(),
            tenant: tenant.to_owned(),
            id: id.to_owned(),
            reply: Some(tx),
        })?;
        wait(rx).await
    }

    async fn is_done(&self, queue: &str, tenant: &str, id: &str) -> Result<bool> {
        validate_queue_name(queue)?;
        let window = self.settings.options(queue).dedupe_window_ms();
        store::is_done(&self.db, &self.dir, (queue, tenant, id), window)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[tokio::test]
    async fn the_queue_directory_is_0700_and_its_file_0600() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("queue");
        let q = EmbeddedQueue::open(&dir, QueueSettings::default()).unwrap();
        q.enqueue("q", Message::new("m1", "acme", serde_json::json!({})))
            .await
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries, [dir.join("queue.redb")]);
        assert_eq!(mode(&dir.join("queue.redb")), 0o600);
    }

    #[tokio::test]
    async fn an_existing_queue_left_readable_is_tightened_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("queue");
        {
            let q = EmbeddedQueue::open(&dir, QueueSettings::default()).unwrap();
            q.enqueue("q", Message::new("m1", "acme", serde_json::json!({})))
                .await
                .unwrap();
        }
        // As an older OMEGA (or `create_dir_all` with the default umask) left them.
        let path = dir.join("queue.redb");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let q = EmbeddedQueue::open(&dir, QueueSettings::default()).unwrap();
        assert_eq!((mode(&dir), mode(&path)), (0o700, 0o600));
        assert_eq!(q.depth("q").await.unwrap().ready, 1);
    }
}
