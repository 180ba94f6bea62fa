//! The team runtime: the one worker loop and the one scaled pool every team
//! runs on (triage, classification, shadow, analytics), plus the fixed pools
//! of the pipeline's normalizer and router.
//!
//! ```text
//! Team::run ── every pollingInterval ──► queue.depth(q) ──► Scaler::observe ──► 0..n workers
//!   │                                                        └► CapacityView (replicas, decisions, series)
//!   └ worker (Workers::run): lease a batch ─► for each message, concurrently:
//!        [trackDone] ack_if_done ─► already finished? acked, skipped
//!        handler.handle(lease) ─► Ok  ─► [trackDone] mark_done ─► ack
//!                                └► Err(reason) ─► nack(reason): retried after the queue's
//!                                                  backoff, dead-lettered after maxAttempts
//! ```
//!
//! Delivery is at least once (a worker that dies mid-message leaves a lease
//! that expires and is delivered again), so handlers must be idempotent; with
//! [`WorkerSettings::track_done`] a redelivered message whose work finished is
//! acked without running the handler again. Retry backoff and dead-lettering
//! are the queue's job ([`omega_queue::QueueOptions`]); the worker only backs
//! off its own polling when leasing fails.
//!
//! A team stops gracefully: on cancel it stops polling, every worker finishes
//! the batch it holds, and [`Team::run`] returns once all workers have.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::FutureExt as _;
use futures::future::BoxFuture;
use omega_config::TeamConfig;
use omega_queue::{Lease, NackOutcome, Queue};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::scaler::{Scaler, ScalerSettings};
use crate::view::CapacityView;

/// What a worker does with one leased message.
///
/// `Ok(())` acks the message; `Err(reason)` nacks it with `reason`, which the
/// queue keeps with the message (and in the dead-letter queue).
pub trait MessageHandler: Send + Sync + 'static {
    /// Handles one message.
    fn handle<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), String>>;
}

struct FnHandler<F>(F);

impl<F, Fut> MessageHandler for FnHandler<F>
where
    F: Fn(Lease) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    fn handle<'a>(&'a self, lease: &'a Lease) -> BoxFuture<'a, Result<(), String>> {
        Box::pin((self.0)(lease.clone()))
    }
}

/// A [`MessageHandler`] from an async closure that takes the lease by value.
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn MessageHandler>
where
    F: Fn(Lease) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(FnHandler(f))
}

/// How each worker of a pool leases and settles messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSettings {
    /// Lease (visibility timeout) on each message: a message not settled
    /// within it is delivered again (default 30 s).
    pub lease: Duration,
    /// Messages leased at once and handled concurrently, so their durable
    /// writes share the queue's group commits (default 16, at least 1).
    pub batch: usize,
    /// How long a worker waits before polling an empty queue again (default 50 ms).
    pub idle_poll: Duration,
    /// When leasing fails the wait doubles from `idle_poll` up to this (default 2 s).
    pub max_error_wait: Duration,
    /// Skip messages whose work is already marked done (`ack_if_done`) and
    /// mark each handled message done before acking it (default true). Off
    /// for stages whose only effect is an enqueue the next queue dedupes.
    pub track_done: bool,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            batch: 16,
            idle_poll: Duration::from_millis(50),
            max_error_wait: Duration::from_secs(2),
            track_done: true,
        }
    }
}

/// What the workers of one pool do: consume `queue_name` on `queue` with a
/// [`MessageHandler`]. Cheap to clone. Run it as a fixed pool
/// ([`Workers::spawn`]) or scaled by queue depth ([`Team`]).
#[derive(Clone)]
pub struct Workers {
    name: Arc<str>,
    queue: Arc<dyn Queue>,
    queue_name: Arc<str>,
    handler: Arc<dyn MessageHandler>,
    settings: WorkerSettings,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("name", &self.name)
            .field("queue", &self.queue_name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Workers {
    /// Workers called `name` (in logs and consumer ids) consuming
    /// `queue_name` with `handler`, with default [`WorkerSettings`].
    pub fn new(
        name: impl Into<String>,
        queue: Arc<dyn Queue>,
        queue_name: impl Into<String>,
        handler: Arc<dyn MessageHandler>,
    ) -> Self {
        Self {
            name: name.into().into(),
            queue,
            queue_name: queue_name.into().into(),
            handler,
            settings: WorkerSettings::default(),
        }
    }

    /// Replaces the worker settings.
    pub fn with_settings(mut self, settings: WorkerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The queue consumed.
    pub fn queue_name(&self) -> &str {
        &self.queue_name
    }

    /// The worker settings.
    pub fn settings(&self) -> &WorkerSettings {
        &self.settings
    }

    /// Starts `n` workers (at least 1) that run until `cancel` fires; each
    /// finishes the batch it holds before its task ends.
    pub fn spawn(&self, n: usize, cancel: &CancellationToken) -> Vec<JoinHandle<()>> {
        (0..n.max(1))
            .map(|i| {
                let (w, cancel) = (self.clone(), cancel.clone());
                let consumer = consumer_id(&self.name, i as u64);
                tokio::spawn(async move { w.run(&consumer, cancel).await })
            })
            .collect()
    }

    /// One worker's loop as `consumer` until `cancel` fires: lease a batch,
    /// handle it concurrently, settle each message; wait `idle_poll` when the
    /// queue is empty and back off when leasing fails.
    pub async fn run(&self, consumer: &str, cancel: CancellationToken) {
        let s = self.settings;
        let idle = s.idle_poll.max(Duration::from_millis(1));
        let mut wait = idle;
        tracing::debug!(team = %self.name, consumer, "worker started");
        while !cancel.is_cancelled() {
            let leases = match self
                .queue
                .lease(&self.queue_name, consumer, s.batch.max(1), s.lease)
                .await
            {
                Ok(l) => {
                    wait = idle;
                    l
                }
                Err(e) => {
                    wait = (wait * 2).min(s.max_error_wait.max(idle));
                    tracing::warn!(team = %self.name, queue = %self.queue_name, error = %e, retry_in_ms = wait.as_millis() as u64, "lease failed");
                    Vec::new()
                }
            };
            if leases.is_empty() {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = cancel.cancelled() => break,
                }
                continue;
            }
            futures::future::join_all(leases.iter().map(|l| self.process(l))).await;
        }
        tracing::debug!(team = %self.name, consumer, "worker stopped");
    }

    /// Handles one leased message end to end, as a worker does: skip it if
    /// its work is done, run the handler, then mark done and ack, or nack
    /// with the handler's reason. Never fails: every error is logged, and a
    /// message that could not be settled is delivered again when its lease
    /// runs out.
    pub async fn process(&self, lease: &Lease) {
        let (team, id) = (&*self.name, &lease.message.id);
        if self.settings.track_done {
            match self.queue.ack_if_done(lease).await {
                Ok(true) => {
                    tracing::debug!(team, id, "already done; acked");
                    return;
                }
                Ok(false) => {}
                Err(e) => {
                    self.nack(lease, &format!("done check failed: {e}")).await;
                    return;
                }
            }
        }
        let outcome = AssertUnwindSafe(self.handler.handle(lease))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(format!("handler panicked: {}", panic_text(&*panic))));
        match outcome {
            Ok(()) => {
                let settle = async {
                    if self.settings.track_done {
                        let m = &lease.message;
                        self.queue.mark_done(&lease.queue, &m.tenant, &m.id).await?;
                    }
                    self.queue.ack(lease).await
                };
                if let Err(e) = settle.await {
                    // Typically the lease ran out and the message went to
                    // another worker: with trackDone that delivery finds the
                    // work done; otherwise the handler must be idempotent.
                    tracing::warn!(team, id, error = %e, "settling a handled message failed");
                }
            }
            Err(reason) => self.nack(lease, &reason).await,
        }
    }

    async fn nack(&self, lease: &Lease, reason: &str) {
        let (team, id) = (&*self.name, &lease.message.id);
        match self.queue.nack(lease, reason).await {
            Ok(NackOutcome::DeadLettered { attempts }) => {
                tracing::warn!(team, id, attempts, reason, "message dead-lettered");
            }
            Ok(NackOutcome::Retry { delay, attempts }) => {
                tracing::info!(
                    team,
                    id,
                    attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    reason,
                    "message failed; will retry"
                );
            }
            Ok(other) => tracing::warn!(team, id, ?other, reason, "message failed"),
            Err(e) => tracing::warn!(
                team, id, reason, error = %e,
                "nack failed; the message is delivered again when its lease runs out"
            ),
        }
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("non-text panic")
}

fn consumer_id(name: &str, n: u64) -> String {
    format!("{name}-{}-{n}", std::process::id())
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One team scaled by queue depth: every polling interval it reads the
/// depth (`ready + leased + delayed`) of its queue, applies the KEDA rules of
/// [`Scaler`], and starts or retires workers to match, recording each
/// decision in its [`CapacityView`].
#[derive(Debug, Clone)]
pub struct Team {
    workers: Workers,
    scaler: ScalerSettings,
    view: CapacityView,
}

impl Team {
    /// The team `config` describes: named like it, consuming and scaled by
    /// its queue with its KEDA settings, workers with default settings.
    pub fn new(
        config: &TeamConfig,
        queue: Arc<dyn Queue>,
        handler: Arc<dyn MessageHandler>,
    ) -> Self {
        Self::from_workers(
            Workers::new(&config.name, queue, &config.queue, handler),
            ScalerSettings::from_team(config),
        )
    }

    /// A team of `workers` scaled by the depth of their queue with `scaler`.
    pub fn from_workers(workers: Workers, scaler: ScalerSettings) -> Self {
        Self {
            workers,
            scaler,
            view: CapacityView::default(),
        }
    }

    /// Replaces the scaler settings (e.g. [`ScalerSettings::from_team_with`]).
    pub fn with_scaler(mut self, scaler: ScalerSettings) -> Self {
        self.scaler = scaler;
        self
    }

    /// Replaces the worker settings.
    pub fn with_worker_settings(mut self, settings: WorkerSettings) -> Self {
        self.workers = self.workers.with_settings(settings);
        self
    }

    /// Records into `view` (shared with other teams) instead of a view of its own.
    pub fn with_view(mut self, view: CapacityView) -> Self {
        self.view = view;
        self
    }

    /// The team's name.
    pub fn name(&self) -> &str {
        self.workers.name()
    }

    /// The workers.
    pub fn workers(&self) -> &Workers {
        &self.workers
    }

    /// The scaler settings.
    pub fn scaler(&self) -> &ScalerSettings {
        &self.scaler
    }

    /// Where decisions and workers are recorded.
    pub fn view(&self) -> &CapacityView {
        &self.view
    }

    /// Runs the team on a task until `cancel` fires (see [`Team::run`]).
    pub fn spawn(self, cancel: &CancellationToken) -> JoinHandle<()> {
        let cancel = cancel.clone();
        tokio::spawn(self.run(cancel))
    }

    /// Runs the team until `cancel` fires, then retires every worker (each
    /// finishes the batch it holds) and returns once all have stopped.
    pub async fn run(self, cancel: CancellationToken) {
        let Team {
            workers,
            scaler: settings,
            view,
        } = self;
        let name = workers.name().to_owned();
        let mut scaler = Scaler::new(settings);
        let mut pool: Vec<(CancellationToken, JoinHandle<()>)> = Vec::new();
        let mut retired: Vec<JoinHandle<()>> = Vec::new();
        let mut next_id = 0u64;
        // When the depth is read next: the scaler's next poll, or one
        // polling interval after a failed read.
        let mut next_check = 0u64;
        view.set_running(&name, now_ms(), 0);
        loop {
            let now = now_ms();
            if now >= next_check {
                match workers.queue.depth(&workers.queue_name).await {
                    Ok(s) => {
                        let depth = s.ready + s.leased + s.delayed;
                        let d = scaler.observe(now, depth);
                        let target = d.replicas as usize;
                        while pool.len() < target {
                            let token = cancel.child_token();
                            let consumer = consumer_id(&name, next_id);
                            next_id += 1;
                            let (w, t) = (workers.clone(), token.clone());
                            let handle = tokio::spawn(async move { w.run(&consumer, t).await });
                            pool.push((token, handle));
                        }
                        while pool.len() > target {
                            if let Some((token, handle)) = pool.pop() {
                                token.cancel();
                                retired.push(handle);
                            }
                        }
                        view.record(&name, d, pool.len() as u32);
                        if d.replicas != d.previous {
                            tracing::info!(team = %name, depth, from = d.previous, to = d.replicas, reason = ?d.reason, "team scaled");
                        }
                        next_check = scaler.next_poll_ms();
                    }
                    Err(e) => {
                        tracing::warn!(team = %name, queue = %workers.queue_name, error = %e, "queue depth unavailable; keeping the workers");
                        next_check = now.saturating_add(settings.polling_ms.max(1));
                    }
                }
            }
            reap(&name, &mut retired).await;
            let wait = Duration::from_millis(next_check.saturating_sub(now_ms()).max(1));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = cancel.cancelled() => break,
            }
        }
        for (token, handle) in pool.drain(..) {
            token.cancel();
            retired.push(handle);
        }
        for handle in retired {
            joined(&name, handle.await);
        }
        view.set_running(&name, now_ms(), 0);
        tracing::debug!(team = %name, "team stopped");
    }
}

/// Awaits the retired workers that have finished and drops them from the list.
async fn reap(team: &str, retired: &mut Vec<JoinHandle<()>>) {
    let mut i = 0;
    while i < retired.len() {
        if retired[i].is_finished() {
            joined(team, retired.swap_remove(i).await);
        } else {
            i += 1;
        }
    }
}

fn joined(team: &str, r: Result<(), tokio::task::JoinError>) {
    if let Err(e) = r
        && e.is_panic()
    {
        tracing::error!(team, error = %e, "a worker panicked");
    }
}

/// Background workers (a team, a worker pool, a feed) running until
/// [`Running::stop`]: the one handle every crate returns for them.
#[derive(Debug)]
pub struct Running {
    cancel: tokio_util::sync::CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Tasks that stop when `cancel` fires.
    pub fn new(
        cancel: tokio_util::sync::CancellationToken,
        tasks: Vec<tokio::task::JoinHandle<()>>,
    ) -> Self {
        Self { cancel, tasks }
    }

    /// Adds the tasks of `other` (stopped together).
    pub fn join(mut self, other: Running) -> Self {
        self.tasks.extend(other.tasks);
        let other_cancel = other.cancel;
        let parent = self.cancel.clone();
        // Cancelling this handle cancels the other's token too.
        self.tasks.push(tokio::spawn(async move {
            parent.cancelled().await;
            other_cancel.cancel();
        }));
        self
    }

    /// Stops every task (each worker finishes its batch) and waits for them.
    pub async fn stop(self) {
        self.cancel.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
