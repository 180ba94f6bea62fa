//! [`AuditLog`]: hash-chained appends, group-committed to a write-ahead log by
//! a background writer, sealed into write-once segments, with a signed head.
//!
//! [`AuditLog::append`] numbers, stamps and chains the event under a short
//! lock and returns its seq without any I/O. A writer thread takes everything
//! appended so far as one batch, writes it to the open segment's WAL file,
//! fsyncs it, rewrites the signed head (when configured) and only then marks
//! the batch durable: [`AuditLog::flush`] and [`crate::AuditSink::record`]
//! wait for that, `append` does not. A crash can therefore lose the records
//! of the batch in flight that nobody waited for; everything before the last
//! `flush`/`record`/`close` survives.
//!
//! A segment is frozen when it holds `segment_max_records` or is older than
//! `segment_max_age`; [`AuditLog::seal`] (or the background sealer) uploads
//! frozen segments to the [`BlobStore`] and only then deletes their WAL files.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::blob::local::LocalBlobStore;
use crate::blob::{BlobError, BlobStore};
use crate::error::AuditError;
use crate::head::{Head, HeadFile, HeadKey, HeadState, is_inside};
use crate::record::{AuditEvent, AuditRecord, GENESIS_HASH};
use crate::segment::{self, SEGMENT_PREFIX, push_line, segment_name};
use crate::wal;

/// The sub-directory of a local audit directory that holds sealed segments.
pub const SEALED_DIR: &str = "sealed";
/// The sub-directory of a local audit directory that holds WAL files.
pub const WAL_DIR: &str = "wal";
/// The lock file in the WAL directory that keeps a second process out.
const LOCK_FILE: &str = "LOCK";

/// Where the signed head goes, and the key that signs it. Both must be
/// outside the audit directory, so that emptying the directory leaves the
/// head behind as evidence.
#[derive(Debug, Clone)]
pub struct HeadConfig {
    /// The head file, e.g. `<data-dir>/audit.head`.
    pub path: PathBuf,
    /// The key file (hex; created with mode 0600 when missing), e.g.
    /// `<data-dir>/audit.key`.
    pub key_path: PathBuf,
    /// Open a trail that has records but no head (written before signed
    /// heads existed) and start signing it. Without this, such a trail is
    /// refused: its head may have been deleted to hide a truncation.
    pub adopt_unsigned: bool,
}

impl HeadConfig {
    /// The head at `path`, signed with the key at `key_path`.
    pub fn new(path: impl Into<PathBuf>, key_path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            key_path: key_path.into(),
            adopt_unsigned: false,
        }
    }
}

/// Tuning for an [`AuditLog`].
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Where the open segment's write-ahead log lives (local disk).
    pub wal_dir: PathBuf,
    /// Seal a segment once it has this many records (default 1,000).
    pub segment_max_records: usize,
    /// Seal a non-empty segment once it is this old (default 5 minutes).
    pub segment_max_age: Duration,
    /// Appended records not yet written that make `append` wait for the
    /// writer (back-pressure when the disk cannot keep up; default 100,000).
    pub max_pending: usize,
    /// The signed head; `None` keeps no head (truncation of the newest
    /// records is then not detectable).
    pub head: Option<HeadConfig>,
}

impl AuditConfig {
    /// Defaults with the WAL in `wal_dir` and no signed head.
    pub fn new(wal_dir: impl Into<PathBuf>) -> Self {
        Self {
            wal_dir: wal_dir.into(),
            segment_max_records: 1_000,
            segment_max_age: Duration::from_secs(300),
            max_pending: 100_000,
            head: None,
        }
    }

    /// Keeps a signed head as `head` says.
    pub fn signed(mut self, head: HeadConfig) -> Self {
        self.head = Some(head);
        self
    }
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
    file: File,
}

/// The segments, owned by whoever writes files: the writer thread, or a
/// sealer freezing the open segment.
struct Io {
    open: Open,
    frozen: VecDeque<Arc<Segment>>,
}

impl Io {
    /// Whether the open segment is full or old enough to seal.
    fn due(&self, cfg: &AuditConfig) -> bool {
        let records = &self.open.seg.records;
        records.len() >= cfg.segment_max_records
            || (!records.is_empty() && self.open.opened.elapsed() >= cfg.segment_max_age)
    }

    /// Moves the open segment (which has records) to `frozen` and opens
    /// `next` in its place.
    fn rotate(&mut self, next: Open) {
        let old = std::mem::replace(&mut self.open, next);
        tracing::debug!(
            index = old.seg.index,
            first_seq = old.seg.first_seq,
            records = old.seg.records.len(),
            "audit segment frozen"
        );
        self.frozen.push_back(Arc::new(old.seg));
    }

    /// The seq and hash the next segment starts after.
    fn end(&self) -> (u64, String) {
        match self.open.seg.records.last() {
            Some(r) => (r.seq, r.hash.clone()),
            None => (
                self.open.seg.first_seq - 1,
                self.open.seg.prev_segment_hash.clone(),
            ),
        }
    }
}

/// Appends waiting for the writer, and what is durable.
struct State {
    next_seq: u64,
    last_hash: String,
    last_at: DateTime<Utc>,
    /// Chained records not yet handed to the writer.
    pending: Vec<AuditRecord>,
    /// Everything up to this seq is fsynced (and the head says so).
    written: u64,
    stopped: Option<String>,
    /// `close` was called: appends are refused.
    closed: bool,
    /// The writer exits once `pending` is empty.
    shutdown: bool,
}

/// What the writer publishes to async waiters.
#[derive(Debug, Clone)]
struct Progress {
    written: u64,
    stopped: Option<String>,
}

struct Inner {
    store: Arc<dyn BlobStore>,
    cfg: AuditConfig,
    head: Option<HeadFile>,
    state: Mutex<State>,
    /// The writer waits here for work.
    work: Condvar,
    /// Flushers and back-pressured appenders wait here.
    done: Condvar,
    progress: watch::Sender<Progress>,
    io: Mutex<Io>,
    seal_lock: tokio::sync::Mutex<()>,
    /// Held (flock) while the log is open.
    _lock: File,
}

/// Owns the writer thread; the last [`AuditLog`] clone dropping it drains
/// the pending records and stops the thread.
struct Writer {
    inner: Arc<Inner>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Asks the writer to drain and exit; returns its thread if still running.
    fn stop(&self) -> Option<JoinHandle<()>> {
        {
            let mut st = self.inner.lock_state();
            st.shutdown = true;
        }
        self.inner.work.notify_all();
        self.thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(thread) = self.stop() {
            // Writes what was appended; bounded by one batch of disk I/O.
            let _ = thread.join();
        }
    }
}

/// An append-only, hash-chained audit log. Cheap to clone (`Send + Sync`);
/// all clones share one log and one writer.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
    writer: Arc<Writer>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("store", &self.inner.store)
            .field("wal_dir", &self.inner.cfg.wal_dir)
            .field("head", &self.inner.head.as_ref().map(HeadFile::path))
            .finish()
    }
}

fn poisoned<T>(_: PoisonError<T>) -> AuditError {
    AuditError::Stopped {
        reason: "a thread panicked while holding the log".into(),
    }
}

impl Inner {
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The writer thread: one batch per loop, until shut down and drained.
    fn run_writer(self: Arc<Self>) {
        loop {
            let batch = {
                let mut st = self.lock_state();
                while st.pending.is_empty() && !st.shutdown && st.stopped.is_none() {
                    st = self.work.wait(st).unwrap_or_else(PoisonError::into_inner);
                }
                if st.pending.is_empty() || st.stopped.is_some() {
                    return;
                }
                std::mem::take(&mut st.pending)
            };
            self.done.notify_all();
            let upto = batch.last().map_or(0, |r| r.seq);
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.write_batch(batch)))
                    .unwrap_or_else(|_| {
                        Err(AuditError::Stopped {
                            reason: "the audit writer panicked".into(),
                        })
                    });
            let progress = {
                let mut st = self.lock_state();
                match result {
                    Ok(()) => st.written = upto,
                    Err(e) => {
                        tracing::error!(error = %e, "audit WAL write failed; the log stops");
                        st.stopped = Some(e.to_string());
                        st.pending.clear();
                    }
                }
                Progress {
                    written: st.written,
                    stopped: st.stopped.clone(),
                }
            };
            self.done.notify_all();
            let stop = progress.stopped.is_some();
            self.progress.send_replace(progress);
            if stop {
                return;
            }
        }
    }

    /// Writes `batch` (chained, in seq order) to the WAL, starting new
    /// segments where the open one fills up, fsyncs, then signs the head.
    fn write_batch(&self, batch: Vec<AuditRecord>) -> Result<(), AuditError> {
        let cfg = &self.cfg;
        let mut io = self.io.lock().map_err(poisoned)?;
        // groups[0] continues the open segment; each further group starts one.
        let mut groups: Vec<Vec<AuditRecord>> = vec![Vec::new()];
        let mut count = io.open.seg.records.len();
        if count > 0 && io.open.opened.elapsed() >= cfg.segment_max_age {
            groups.push(Vec::new());
            count = 0;
        }
        for r in batch {
            if count >= cfg.segment_max_records {
                groups.push(Vec::new());
                count = 0;
            }
            groups.last_mut().expect("one group").push(r);
            count += 1;
        }
        let Some(last) = groups.last().and_then(|g| g.last()) else {
            return Ok(());
        };
        let head = Head {
            seq: last.seq,
            hash: last.hash.clone(),
        };
        let encode = |records: &[AuditRecord]| {
            let mut buf = Vec::with_capacity(records.len() * 400);
            for r in records {
                push_line(&mut buf, r);
            }
            buf
        };
        if !groups[0].is_empty() {
            wal::write_durable(&io.open.file, &encode(&groups[0]))
                .map_err(AuditError::io("write the audit WAL"))?;
        }
        let mut files = Vec::with_capacity(groups.len() - 1);
        for g in groups.iter().skip(1) {
            let file = wal::create(&cfg.wal_dir, g[0].seq)?;
            wal::write_durable(&file, &encode(g)).map_err(AuditError::io("write the audit WAL"))?;
            files.push(file);
        }
        if let Some(h) = &self.head {
            h.write(&head)?;
        }
        // Durable and signed: now the records may be sealed.
        let now = Instant::now();
        let mut groups = groups.into_iter();
        let first = groups.next().expect("one group");
        if !first.is_empty() {
            if io.open.seg.records.is_empty() {
                io.open.opened = now;
            }
            io.open.seg.records.extend(first);
        }
        for (records, file) in groups.zip(files) {
            let (_, prev) = io.end();
            let next = Open {
                seg: Segment {
                    index: io.open.seg.index + 1,
                    first_seq: records[0].seq,
                    prev_segment_hash: prev,
                    records,
                },
                opened: now,
                file,
            };
            io.rotate(next);
        }
        Ok(())
    }
}

impl AuditLog {
    /// Opens the log in a local audit directory: sealed segments in
    /// `dir/sealed` (a [`LocalBlobStore`]), the WAL in `dir/wal`, and the
    /// signed head as `head` says (its files must be outside `dir`).
    pub async fn open_local(dir: &Path, head: HeadConfig) -> Result<Self, AuditError> {
        std::fs::create_dir_all(dir)
            .map_err(AuditError::io(format!("create {}", dir.display())))?;
        for (what, path) in [("head", &head.path), ("head key", &head.key_path)] {
            if is_inside(path, dir) {
                return Err(AuditError::Config {
                    what: format!(
                        "the audit {what} {} is inside the audit directory {}; keep it outside, \
                         so that emptying the directory cannot remove it too",
                        path.display(),
                        dir.display()
                    ),
                });
            }
        }
        let store = Arc::new(LocalBlobStore::new(dir.join(SEALED_DIR)));
        Self::open(store, AuditConfig::new(dir.join(WAL_DIR)).signed(head)).await
    }

    /// Opens the log: finds the end of the sealed chain in `store`, replays
    /// the WAL, checks the signed head against it (refusing a trail that
    /// ends before its head, a head that does not match, or a missing head,
    /// see [`HeadConfig::adopt_unsigned`]), signs the recovered end, starts
    /// the writer thread and uploads segments that were frozen but not yet
    /// sealed. Fails when another process has the WAL directory open.
    pub async fn open(store: Arc<dyn BlobStore>, cfg: AuditConfig) -> Result<Self, AuditError> {
        assert!(
            cfg.segment_max_records > 0,
            "segment_max_records must be at least 1"
        );
        std::fs::create_dir_all(&cfg.wal_dir)
            .map_err(AuditError::io(format!("create {}", cfg.wal_dir.display())))?;
        let lock = lock_dir(&cfg.wal_dir)?;
        let (mut index, mut next_seq, mut last_hash) = (0, 1, GENESIS_HASH.to_owned());
        let mut last_at = DateTime::<Utc>::MIN_UTC;
        // Hashes of the records a valid head can point at: the newest sealed
        // segment and the WAL.
        let mut known: HashMap<u64, String> = HashMap::new();
        let mut sealed_end = 0;
        if let Some(last) = store.list(SEGMENT_PREFIX).await?.last() {
            let parsed = segment::parse(&store.get(last).await?);
            let (Some(t), Some((_, r))) = (parsed.trailer, parsed.records.last()) else {
                return Err(AuditError::Corrupt {
                    what: format!("the newest sealed segment `{last}` has no trailer"),
                });
            };
            known.extend(parsed.records.iter().map(|(_, r)| (r.seq, r.hash.clone())));
            sealed_end = t.last_seq;
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
                known.insert(r.seq, r.hash.clone());
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
                    file: wal::reopen(path)?,
                });
            } else {
                frozen.push_back(Arc::new(seg));
                index += 1;
            }
        }
        let end = Head {
            seq: next_seq - 1,
            hash: last_hash.clone(),
        };
        let head = match &cfg.head {
            None => None,
            Some(hc) => {
                if is_inside(&hc.path, &cfg.wal_dir) || is_inside(&hc.key_path, &cfg.wal_dir) {
                    return Err(AuditError::Config {
                        what: format!(
                            "the audit head {} and its key {} must be outside the WAL directory {}",
                            hc.path.display(),
                            hc.key_path.display(),
                            cfg.wal_dir.display()
                        ),
                    });
                }
                let (key, _) = HeadKey::load_or_create(&hc.key_path)?;
                let file = HeadFile::new(&hc.path, key);
                check_head_at_open(&file, hc, &end, sealed_end, &known)?;
                // Sign the recovered end (records written after the last head
                // update before a crash) before any of them is sealed.
                file.write(&end)?;
                Some(file)
            }
        };
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
                file: wal::create(&cfg.wal_dir, next_seq)?,
            },
        };
        let (progress, _) = watch::channel(Progress {
            written: next_seq - 1,
            stopped: None,
        });
        let inner = Arc::new(Inner {
            store,
            cfg,
            head,
            state: Mutex::new(State {
                next_seq,
                last_hash,
                last_at,
                pending: Vec::new(),
                written: next_seq - 1,
                stopped: None,
                closed: false,
                shutdown: false,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            progress,
            io: Mutex::new(Io { open, frozen }),
            seal_lock: tokio::sync::Mutex::new(()),
            _lock: lock,
        });
        let thread = {
            let inner = inner.clone();
            std::thread::Builder::new()
                .name("omega-audit-writer".into())
                .spawn(move || inner.run_writer())
                .map_err(AuditError::io("start the audit writer thread"))?
        };
        let log = Self {
            writer: Arc::new(Writer {
                inner: inner.clone(),
                thread: Mutex::new(Some(thread)),
            }),
            inner,
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

    /// The last appended record's seq and hash (durable or not; see
    /// [`AuditLog::flush`] for the durable one).
    pub fn head(&self) -> Result<Head, AuditError> {
        let st = self.inner.state.lock().map_err(poisoned)?;
        Ok(Head {
            seq: st.next_seq - 1,
            hash: st.last_hash.clone(),
        })
    }

    /// Appends `event` and returns its seq at once: the record is numbered,
    /// stamped and chained here, and written by the writer thread in the next
    /// group commit. No I/O on the caller's path; it waits only when
    /// `max_pending` records are already queued. Durable once
    /// [`AuditLog::flush`] (or [`AuditLog::close`]) returns.
    pub fn append(&self, event: AuditEvent) -> Result<u64, AuditError> {
        let inner = &*self.inner;
        let mut st = inner.state.lock().map_err(poisoned)?;
        loop {
            if let Some(reason) = &st.stopped {
                return Err(AuditError::Stopped {
                    reason: reason.clone(),
                });
            }
            if st.closed {
                return Err(AuditError::Closed);
            }
            if st.pending.len() < inner.cfg.max_pending {
                break;
            }
            st = inner.done.wait(st).map_err(poisoned)?;
        }
        let seq = st.next_seq;
        let at = Utc::now().max(st.last_at);
        let record = AuditRecord::seal(seq, at, event, st.last_hash.clone());
        st.last_hash.clone_from(&record.hash);
        st.last_at = at;
        st.next_seq += 1;
        st.pending.push(record);
        drop(st);
        inner.work.notify_one();
        Ok(seq)
    }

    /// Waits (asynchronously) until the record `seq` is durable.
    pub(crate) async fn wait_durable(&self, seq: u64) -> Result<(), AuditError> {
        let mut rx = self.inner.progress.subscribe();
        let progress = rx
            .wait_for(|p| p.written >= seq || p.stopped.is_some())
            .await
            .map_err(|_| AuditError::Closed)?
            .clone();
        if progress.written >= seq {
            Ok(())
        } else {
            Err(AuditError::Stopped {
                reason: progress.stopped.unwrap_or_default(),
            })
        }
    }

    /// The head to flush to: everything appended so far.
    fn flush_target(&self) -> Result<Head, AuditError> {
        let st = self.inner.state.lock().map_err(poisoned)?;
        if let Some(reason) = &st.stopped
            && st.written < st.next_seq - 1
        {
            return Err(AuditError::Stopped {
                reason: reason.clone(),
            });
        }
        Ok(Head {
            seq: st.next_seq - 1,
            hash: st.last_hash.clone(),
        })
    }

    /// Waits until every record appended before the call is fsynced (and
    /// the signed head covers it); returns that head.
    pub async fn flush(&self) -> Result<Head, AuditError> {
        let head = self.flush_target()?;
        self.wait_durable(head.seq).await?;
        Ok(head)
    }

    /// [`AuditLog::flush`] for synchronous callers (blocks the thread).
    pub fn flush_blocking(&self) -> Result<Head, AuditError> {
        let head = self.flush_target()?;
        let inner = &*self.inner;
        let mut st = inner.state.lock().map_err(poisoned)?;
        loop {
            if st.written >= head.seq {
                return Ok(head);
            }
            if let Some(reason) = &st.stopped {
                return Err(AuditError::Stopped {
                    reason: reason.clone(),
                });
            }
            st = inner.done.wait(st).map_err(poisoned)?;
        }
    }

    /// Shuts the log down: refuses further appends, makes every appended
    /// record durable, seals the open segment, and stops the writer thread.
    /// Returns the final head. When sealing fails (blob store unreachable)
    /// the records stay in the WAL, are sealed at the next start, and the
    /// error is returned.
    pub async fn close(&self) -> Result<Head, AuditError> {
        self.inner.state.lock().map_err(poisoned)?.closed = true;
        let head = self.flush().await?;
        let sealed = self.seal().await;
        if let Some(thread) = self.writer.stop() {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .map_err(|e| AuditError::Stopped {
                    reason: format!("joining the audit writer failed: {e}"),
                })?
                .map_err(|_| AuditError::Stopped {
                    reason: "the audit writer panicked".into(),
                })?;
        }
        sealed?;
        Ok(head)
    }

    /// Freezes the open segment if it has records (starting a new WAL file).
    fn freeze_open(&self) -> Result<(), AuditError> {
        let mut io = self.inner.io.lock().map_err(poisoned)?;
        if io.open.seg.records.is_empty() {
            return Ok(());
        }
        let (end_seq, end_hash) = io.end();
        let next = Open {
            seg: Segment {
                index: io.open.seg.index + 1,
                first_seq: end_seq + 1,
                prev_segment_hash: end_hash,
                records: Vec::new(),
            },
            opened: Instant::now(),
            file: wal::create(&self.inner.cfg.wal_dir, end_seq + 1)?,
        };
        io.rotate(next);
        Ok(())
    }

    /// Makes every record appended so far durable, seals the open segment
    /// (if it has records) and uploads every frozen segment. Returns how many
    /// segments were uploaded.
    pub async fn seal(&self) -> Result<usize, AuditError> {
        self.flush().await?;
        let _guard = self.inner.seal_lock.lock().await;
        let log = self.clone();
        tokio::task::spawn_blocking(move || log.freeze_open())
            .await
            .map_err(|e| AuditError::Stopped {
                reason: format!("freezing the open segment failed: {e}"),
            })??;
        self.upload_frozen().await
    }

    /// Seals what is due: a full or old open segment, and frozen segments not
    /// yet uploaded (after a failed upload). Call it periodically, or use
    /// [`AuditLog::spawn_sealer`].
    pub async fn tick(&self) -> Result<usize, AuditError> {
        let due = {
            let io = self.inner.io.lock().map_err(poisoned)?;
            !io.frozen.is_empty() || io.due(&self.inner.cfg)
        };
        if due { self.seal().await } else { Ok(0) }
    }

    /// Runs [`AuditLog::tick`] every `every` on the current Tokio runtime.
    /// The task holds a clone of the log: abort it before [`AuditLog::close`]
    /// returns control to a shutdown that expects the log to be released.
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
                .io
                .lock()
                .map_err(poisoned)?
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
            self.inner.io.lock().map_err(poisoned)?.frozen.pop_front();
            uploaded += 1;
        }
    }
}

/// Takes the exclusive lock on `dir/LOCK`.
fn lock_dir(dir: &Path) -> Result<File, AuditError> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(AuditError::io(format!("open {}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(AuditError::Io {
            context: format!("lock {}", path.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                "the audit log is already open (in this or another process)",
            ),
        }),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(AuditError::io(format!("lock {}", path.display()))(e))
        }
    }
}

/// Refuses to open a trail whose signed head shows it was cut, replaced or
/// rolled back, or whose head is missing (unless adopting an unsigned trail).
fn check_head_at_open(
    file: &HeadFile,
    cfg: &HeadConfig,
    end: &Head,
    sealed_end: u64,
    known: &HashMap<u64, String>,
) -> Result<(), AuditError> {
    let path = file.path().display();
    let verify = "run `omega audit verify` for the details";
    let head = match file.read_checked()? {
        HeadState::Valid(head) => head,
        HeadState::Invalid(reason) => {
            return Err(AuditError::Corrupt {
                what: format!("the signed head {path} is invalid: {reason}"),
            });
        }
        HeadState::Missing if end.seq == 0 => return Ok(()),
        HeadState::Missing if cfg.adopt_unsigned => {
            tracing::warn!(
                head = %path,
                records = end.seq,
                "adopting an audit trail without a signed head; it is signed from now on"
            );
            return Ok(());
        }
        HeadState::Missing => {
            return Err(AuditError::Corrupt {
                what: format!(
                    "there is no signed head at {path}, but the trail holds records up to seq {}: \
                     the head was deleted, or the trail predates signed heads (check it with \
                     `omega audit verify --legacy`, then adopt it explicitly)",
                    end.seq
                ),
            });
        }
    };
    if head.seq > end.seq {
        return Err(AuditError::Corrupt {
            what: format!(
                "the trail ends at seq {} but the signed head {path} is seq {}: records seq {}..={} \
                 were removed (newest segments or the WAL deleted); {verify}",
                end.seq,
                head.seq,
                end.seq + 1,
                head.seq
            ),
        });
    }
    if sealed_end > head.seq {
        return Err(AuditError::Corrupt {
            what: format!(
                "sealed segments reach seq {sealed_end}, beyond the signed head {path} at seq {}: \
                 the head was replaced by an older copy; {verify}",
                head.seq
            ),
        });
    }
    let found = if head.seq == 0 {
        Some(GENESIS_HASH)
    } else {
        known.get(&head.seq).map(String::as_str)
    };
    if found != Some(head.hash.as_str()) {
        return Err(AuditError::Corrupt {
            what: format!(
                "the record at seq {} does not match the signed head {path}: records were \
                 replaced; {verify}",
                head.seq
            ),
        });
    }
    Ok(())
}
