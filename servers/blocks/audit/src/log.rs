//! [`AuditLog`]: hash-chained appends with group-committed fsync, sealed into
//! write-once segments.
//!
//! Every append is written to the open segment's WAL file and fsynced before
//! it returns, so an acknowledged record survives a crash. Concurrent appends
//! share fsyncs (group commit): one caller writes and syncs everything queued
//! so far while the others wait for it. A segment is frozen when it holds
//! `segment_max_records` or is older than `segment_max_age`; [`AuditLog::seal`]
//! (or the background sealer) uploads frozen segments to the [`BlobStore`]
//! and only then deletes their WAL files.

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::blob::local::LocalBlobStore;
use crate::blob::{BlobError, BlobStore};
use crate::error::AuditError;
use crate::record::{AuditEvent, AuditRecord, GENESIS_HASH};
use crate::segment::{self, SEGMENT_PREFIX, push_line, segment_name};
use crate::wal;

/// The sub-directory of a local audit directory that holds sealed segments.
pub const SEALED_DIR: &str = "sealed";
/// The sub-directory of a local audit directory that holds WAL files.
pub const WAL_DIR: &str = "wal";

/// Tuning for an [`AuditLog`].
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Where the open segment's write-ahead log lives (local disk).
    pub wal_dir: PathBuf,
    /// Seal a segment once it has this many records (default 1,000).
    pub segment_max_records: usize,
    /// Seal a non-empty segment once it is this old (default 5 minutes).
    pub segment_max_age: Duration,
}

impl AuditConfig {
    /// Defaults with the WAL in `wal_dir`.
    pub fn new(wal_dir: impl Into<PathBuf>) -> Self {
        Self {
            wal_dir: wal_dir.into(),
            segment_max_records: 1_000,
            segment_max_age: Duration::from_secs(300),
        }
    }
}

/// The last record of the log: publish it somewhere else (a ticket, another
/// system's log) to make truncation of the newest records detectable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The last seq (0 when the log is empty).
    pub seq: u64,
    /// Its hash ([`GENESIS_HASH`] when the log is empty).
    pub hash: String,
}

struct Segment {
    index: u64,
    first_seq: u64,
    prev_segment_hash: String,
    records: Vec<AuditRecord>,
}

struct Open {
    seg: Segment,
    opened: Instant,
    file: Arc<File>,
}

struct State {
    next_seq: u64,
    last_hash: String,
    last_at: DateTime<Utc>,
    open: Open,
    frozen: VecDeque<Arc<Segment>>,
    /// Encoded records not yet handed to a writer.
    pending: Vec<u8>,
    pending_last: u64,
    syncing: bool,
    synced: u64,
    stopped: Option<String>,
}

struct Inner {
    store: Arc<dyn BlobStore>,
    cfg: AuditConfig,
    state: Mutex<State>,
    cond: Condvar,
    seal_lock: tokio::sync::Mutex<()>,
}

/// An append-only, hash-chained audit log. Cheap to clone; all clones share one log.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("store", &self.inner.store)
            .field("wal_dir", &self.inner.cfg.wal_dir)
            .finish()
    }
}

fn stopped<T>(_: std::sync::PoisonError<T>) -> AuditError {
    AuditError::Stopped {
        reason: "a thread panicked while holding the log".into(),
    }
}

impl AuditLog {
    /// Opens the log in a local directory: sealed segments in `dir/sealed`
    /// (a [`LocalBlobStore`]), the WAL in `dir/wal`.
    pub async fn open_local(dir: &Path) -> Result<Self, AuditError> {
        let store = Arc::new(LocalBlobStore::new(dir.join(SEALED_DIR)));
        Self::open(store, AuditConfig::new(dir.join(WAL_DIR))).await
    }

    /// Opens the log: finds the end of the sealed chain in `store`, replays
    /// the WAL, and uploads segments that were frozen but not yet sealed.
    pub async fn open(store: Arc<dyn BlobStore>, cfg: AuditConfig) -> Result<Self, AuditError> {
        assert!(
            cfg.segment_max_records > 0,
            "segment_max_records must be at least 1"
        );
        std::fs::create_dir_all(&cfg.wal_dir)
            .map_err(AuditError::io(format!("create {}", cfg.wal_dir.display())))?;
        let (mut index, mut next_seq, mut last_hash) = (0, 1, GENESIS_HASH.to_owned());
        let mut last_at = DateTime::<Utc>::MIN_UTC;
        if let Some(last) = store.list(SEGMENT_PREFIX).await?.last() {
            let parsed = segment::parse(&store.get(last).await?);
            let (Some(t), Some((_, r))) = (parsed.trailer, parsed.records.last()) else {
                return Err(AuditError::Corrupt {
                    what: format!("the newest sealed segment `{last}` has no trailer"),
                });
            };
            (index, next_seq, last_hash, last_at) =
                (t.index + 1, t.last_seq + 1, t.final_hash, r.at);
        }
        let files = wal::list(&cfg.wal_dir)?;
        let mut frozen = VecDeque::new();
        let mut open = None;
        for (i, (first, path)) in files.iter().enumerate() {
            let is_last = i + 1 == files.len();
            let records = wal::read(path)?;
            if records.last().is_some_and(|r| r.seq < next_seq) {
                // Sealed before the crash; the WAL file was not yet removed.
                std::fs::remove_file(path)
                    .map_err(AuditError::io(format!("remove {}", path.display())))?;
                continue;
            }
            if records.is_empty() && !(is_last && *first == next_seq) {
                std::fs::remove_file(path)
                    .map_err(AuditError::io(format!("remove {}", path.display())))?;
                continue;
            }
            let mut prev = last_hash.clone();
            for (k, r) in records.iter().enumerate() {
                if r.seq != next_seq + k as u64 || r.prev_hash != prev || r.compute_hash() != r.hash
                {
                    return Err(AuditError::Corrupt {
                        what: format!(
                            "{} does not continue the log at seq {} (found seq {})",
                            path.display(),
                            next_seq + k as u64,
                            r.seq
                        ),
                    });
                }
                prev = r.hash.clone();
            }
            let seg = Segment {
                index,
                first_seq: next_seq,
                prev_segment_hash: last_hash.clone(),
                records,
            };
            next_seq += seg.records.len() as u64;
            last_hash = prev;
            if let Some(r) = seg.records.last() {
                last_at = r.at;
            }
            if is_last {
                open = Some(Open {
                    seg,
                    opened: Instant::now(),
                    file: Arc::new(wal::reopen(path)?),
                });
            } else {
                frozen.push_back(Arc::new(seg));
                index += 1;
            }
        }
        let open = match open {
            Some(o) => o,
            None => Open {
                seg: Segment {
                    index,
                    first_seq: next_seq,
                    prev_segment_hash: last_hash.clone(),
                    records: Vec::new(),
                },
                opened: Instant::now(),
                file: Arc::new(wal::create(&cfg.wal_dir, next_seq)?),
            },
        };
        let log = Self {
            inner: Arc::new(Inner {
                store,
                cfg,
                state: Mutex::new(State {
                    synced: next_seq - 1,
                    pending_last: next_seq - 1,
                    next_seq,
                    last_hash,
                    last_at,
                    open,
                    frozen,
                    pending: Vec::new(),
                    syncing: false,
                    stopped: None,
                }),
                cond: Condvar::new(),
                seal_lock: tokio::sync::Mutex::new(()),
            }),
        };
        let _guard = log.inner.seal_lock.lock().await;
        log.upload_frozen().await?;
        drop(_guard);
        Ok(log)
    }

    /// The store sealed segments go to.
    pub fn store(&self) -> &Arc<dyn BlobStore> {
        &self.inner.store
    }

    /// The last record's seq and hash.
    pub fn head(&self) -> Result<Head, AuditError> {
        let st = self.inner.state.lock().map_err(stopped)?;
        Ok(Head {
            seq: st.next_seq - 1,
            hash: st.last_hash.clone(),
        })
    }

    /// Appends `event`; returns its seq once it is durable on local disk.
    /// Blocks for one fsync (shared with concurrent callers). Safe to call from
    /// many threads; async callers use [`crate::AuditSink`].
    pub fn append(&self, event: AuditEvent) -> Result<u64, AuditError> {
        let inner = &*self.inner;
        let mut st = inner.state.lock().map_err(stopped)?;
        if let Some(reason) = &st.stopped {
            return Err(AuditError::Stopped {
                reason: reason.clone(),
            });
        }
        if self.due(&st) {
            st = self.freeze(st, false)?;
        }
        let seq = st.next_seq;
        let at = Utc::now().max(st.last_at);
        let record = AuditRecord::seal(seq, at, event, st.last_hash.clone());
        push_line(&mut st.pending, &record);
        st.pending_last = seq;
        st.last_hash.clone_from(&record.hash);
        st.last_at = at;
        st.next_seq += 1;
        if st.open.seg.records.is_empty() {
            st.open.opened = Instant::now();
        }
        st.open.seg.records.push(record);
        self.wait_durable(st, seq)?;
        Ok(seq)
    }

    /// Group commit: waits until `seq` is fsynced, doing the write itself when
    /// no other caller is.
    fn wait_durable<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        seq: u64,
    ) -> Result<(), AuditError> {
        let inner = &*self.inner;
        loop {
            if st.synced >= seq {
                return Ok(());
            }
            if let Some(reason) = &st.stopped {
                return Err(AuditError::Stopped {
                    reason: reason.clone(),
                });
            }
            if st.syncing {
                st = inner.cond.wait(st).map_err(stopped)?;
                continue;
            }
            st.syncing = true;
            let batch = std::mem::take(&mut st.pending);
            let upto = st.pending_last;
            let file = Arc::clone(&st.open.file);
            drop(st);
            let result = wal::write_durable(&file, &batch);
            st = inner.state.lock().map_err(stopped)?;
            st.syncing = false;
            match result {
                Ok(()) => st.synced = st.synced.max(upto),
                Err(e) => {
                    tracing::error!(error = %e, "audit WAL write failed; the log stops");
                    st.stopped = Some(e.to_string());
                }
            }
            inner.cond.notify_all();
        }
    }

    /// Whether the open segment is full or old enough to seal.
    fn due(&self, st: &State) -> bool {
        let (open, cfg) = (&st.open, &self.inner.cfg);
        open.seg.records.len() >= cfg.segment_max_records
            || (!open.seg.records.is_empty() && open.opened.elapsed() >= cfg.segment_max_age)
    }

    /// Freezes the open segment (if it has records, and, unless `force`, if it
    /// is still due once pending writes are done) and starts a new WAL file.
    fn freeze<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        force: bool,
    ) -> Result<MutexGuard<'a, State>, AuditError> {
        let inner = &*self.inner;
        while st.syncing {
            st = inner.cond.wait(st).map_err(stopped)?;
        }
        if !st.pending.is_empty() {
            let batch = std::mem::take(&mut st.pending);
            if let Err(e) = wal::write_durable(&st.open.file, &batch) {
                st.stopped = Some(e.to_string());
                inner.cond.notify_all();
                return Err(AuditError::io("write audit WAL")(e));
            }
            st.synced = st.pending_last;
            inner.cond.notify_all();
        }
        // While this thread waited, another one may have frozen the segment.
        if st.open.seg.records.is_empty() || !(force || self.due(&st)) {
            return Ok(st);
        }
        let file = wal::create(&inner.cfg.wal_dir, st.next_seq)?;
        let next = Open {
            seg: Segment {
                index: st.open.seg.index + 1,
                first_seq: st.next_seq,
                prev_segment_hash: st.last_hash.clone(),
                records: Vec::with_capacity(inner.cfg.segment_max_records),
            },
            opened: Instant::now(),
            file: Arc::new(file),
        };
        let old = std::mem::replace(&mut st.open, next);
        tracing::debug!(
            index = old.seg.index,
            first_seq = old.seg.first_seq,
            records = old.seg.records.len(),
            "audit segment frozen"
        );
        st.frozen.push_back(Arc::new(old.seg));
        Ok(st)
    }

    /// Seals the open segment (if it has records) and uploads every frozen
    /// segment. Returns how many segments were uploaded.
    pub async fn seal(&self) -> Result<usize, AuditError> {
        let _guard = self.inner.seal_lock.lock().await;
        {
            let st = self.inner.state.lock().map_err(stopped)?;
            drop(self.freeze(st, true)?);
        }
        self.upload_frozen().await
    }

    /// Seals what is due: a full or old open segment, and frozen segments not
    /// yet uploaded (after a failed upload). Call it periodically, or use
    /// [`AuditLog::spawn_sealer`].
    pub async fn tick(&self) -> Result<usize, AuditError> {
        let due = {
            let st = self.inner.state.lock().map_err(stopped)?;
            !st.frozen.is_empty() || self.due(&st)
        };
        if due { self.seal().await } else { Ok(0) }
    }

    /// Runs [`AuditLog::tick`] every `every` on the current Tokio runtime.
    pub fn spawn_sealer(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let log = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if let Err(e) = log.tick().await {
                    tracing::warn!(error = %e, "sealing audit segments failed; will retry");
                }
            }
        })
    }

    /// Uploads frozen segments in order; the caller holds `seal_lock`.
    async fn upload_frozen(&self) -> Result<usize, AuditError> {
        let mut uploaded = 0;
        loop {
            let next = self
                .inner
                .state
                .lock()
                .map_err(stopped)?
                .frozen
                .front()
                .cloned();
            let Some(seg) = next else { return Ok(uploaded) };
            let bytes = segment::encode(seg.index, &seg.prev_segment_hash, &seg.records);
            let name = segment_name(seg.first_seq);
            match self.inner.store.put(&name, bytes.clone().into()).await {
                Ok(()) => {}
                Err(BlobError::AlreadyExists { .. }) => {
                    // Uploaded before a crash; same bytes means same records.
                    if self.inner.store.get(&name).await?[..] != bytes[..] {
                        return Err(AuditError::Conflict { name });
                    }
                }
                Err(e) => return Err(e.into()),
            }
            let path = self.inner.cfg.wal_dir.join(wal::wal_name(seg.first_seq));
            match std::fs::remove_file(&path) {
                Ok(()) => wal::sync_dir(&self.inner.cfg.wal_dir)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(AuditError::io(format!("remove {}", path.display()))(e)),
            }
            tracing::info!(segment = %name, records = seg.records.len(), "audit segment sealed");
            self.inner.state.lock().map_err(stopped)?.frozen.pop_front();
            uploaded += 1;
        }
    }
}
