//! The team runtime against the real embedded queue: scale from zero,
//! exactly-once processing under normal operation, retries with backoff and
//! the dead-letter queue, scale to zero after the cooldown, graceful stop.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omega_capacity::{
    CapacityView, MessageHandler, Reason, ScalerSettings, Team, WorkerSettings, Workers, handler_fn,
};
use omega_config::TeamConfig;
use omega_config::pipeline::CapacityOverrides;
use omega_queue::{EmbeddedQueue, Lease, Message, Queue, QueueOptions, QueueSettings, dlq_name};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const QUEUE: &str = "work";
const TENANT: &str = "acme";
/// Every test finishes well within this, or fails.
const DEADLINE: Duration = Duration::from_secs(30);

fn open_queue(dir: &std::path::Path, backoff_base_ms: u64) -> Arc<dyn Queue> {
    let settings = QueueSettings {
        default: QueueOptions {
            max_attempts: 3,
            backoff_base_ms,
            backoff_max_ms: 10 * backoff_base_ms,
            dedupe_window_secs: None,
        },
        queues: BTreeMap::new(),
    };
    Arc::new(EmbeddedQueue::open(dir, settings).unwrap())
}

/// A team of 0..4 workers, 5 messages each, polled every 20 ms, cooling down
/// after `cooldown_ms`.
fn team_config() -> TeamConfig {
    TeamConfig {
        name: "workers".into(),
        queue: QUEUE.into(),
        min_replicas: 0,
        max_replicas: 4,
        message_count: 5,
        activation_message_count: 0,
        cooldown_secs: 300,
        polling_interval_secs: 30,
    }
}

fn fast(cooldown_ms: u64) -> ScalerSettings {
    ScalerSettings::from_team_with(
        &team_config(),
        &CapacityOverrides {
            polling_interval_ms: Some(20),
            cooldown_ms: Some(cooldown_ms),
            scale_down_window_ms: Some(0),
        },
    )
}

fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        lease: Duration::from_secs(10),
        batch: 5,
        idle_poll: Duration::from_millis(5),
        ..WorkerSettings::default()
    }
}

/// Calls of the handler per message id, with when they happened.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<HashMap<String, Vec<Instant>>>>);

impl Calls {
    fn record(&self, id: &str) {
        self.0
            .lock()
            .unwrap()
            .entry(id.to_owned())
            .or_default()
            .push(Instant::now());
    }
    fn get(&self, id: &str) -> Vec<Instant> {
        self.0.lock().unwrap().get(id).cloned().unwrap_or_default()
    }
    fn ids(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn counts(&self) -> HashMap<String, usize> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.len()))
            .collect()
    }
}

/// Succeeds, except for ids starting with `fail` (errors) and `panic` (panics).
fn handler(calls: Calls) -> Arc<dyn MessageHandler> {
    handler_fn(move |lease: Lease| {
        let calls = calls.clone();
        async move {
            calls.record(&lease.message.id);
            tokio::time::sleep(Duration::from_millis(2)).await;
            if lease.message.id.starts_with("fail") {
                return Err(format!("boom on attempt {}", lease.message.attempts));
            }
            if lease.message.id.starts_with("panic") {
                panic!("handler bug");
            }
            Ok(())
        }
    })
}

async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let until = Instant::now() + Duration::from_secs(15);
    while !f().await {
        assert!(Instant::now() < until, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn enqueue(q: &Arc<dyn Queue>, ids: impl IntoIterator<Item = String>) {
    let msgs = ids
        .into_iter()
        .map(|id| Message::new(id.clone(), TENANT, json!({ "id": id })))
        .collect();
    q.enqueue_batch(QUEUE, msgs).await.unwrap();
}

fn reasons(view: &CapacityView) -> Vec<Reason> {
    view.history().iter().map(|d| d.decision.reason).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scales_from_zero_processes_everything_once_and_scales_back_to_zero() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let q = open_queue(dir.path(), 20);
        let calls = Calls::default();
        let cooldown_ms = 300;
        let team = Team::new(&team_config(), q.clone(), handler(calls.clone()))
            .with_scaler(fast(cooldown_ms))
            .with_worker_settings(worker_settings());
        let view = team.view().clone();
        let cancel = CancellationToken::new();
        let running = team.spawn(&cancel);

        // An empty queue: the team stays at zero.
        eventually("a few polls ran", || async { view.history().len() >= 3 }).await;
        assert_eq!(view.replicas("workers"), 0);
        assert!(
            reasons(&view).iter().all(|r| *r == Reason::Idle),
            "{:?}",
            view.history()
        );

        // Work arrives: the team activates and drains the queue.
        let n = 60;
        enqueue(&q, (0..n).map(|i| format!("m{i}"))).await;
        eventually("every message was handled", || async { calls.ids() == n }).await;
        eventually("the queue is empty", || async {
            let s = q.depth(QUEUE).await.unwrap();
            s.ready + s.leased + s.delayed == 0
        })
        .await;
        // Exactly once: no message was handled twice, none dead-lettered.
        assert!(
            calls.counts().values().all(|&c| c == 1),
            "{:?}",
            calls.counts()
        );
        assert_eq!(q.depth(QUEUE).await.unwrap().dead_lettered, 0);
        let history = view.history();
        let activated = history
            .iter()
            .find(|d| d.decision.reason == Reason::Activated)
            .expect("the team was activated");
        assert!(activated.decision.depth > 0 && activated.decision.replicas >= 1);
        assert!(
            history.iter().all(|d| d.decision.replicas <= 4),
            "{history:?}"
        );

        // Back to zero once the queue was empty for longer than the cooldown.
        eventually("the team is back at zero", || async {
            view.replicas("workers") == 0
        })
        .await;
        let history = view.history();
        let to_zero = history
            .iter()
            .find(|d| d.decision.reason == Reason::ScaledToZero)
            .expect("scaled to zero");
        let last_busy = history
            .iter()
            .filter(|d| d.decision.depth > 0)
            .map(|d| d.decision.at_ms)
            .max()
            .unwrap();
        assert!(
            to_zero.decision.at_ms > last_busy + cooldown_ms,
            "scaled to zero at {} though the queue was busy at {last_busy}",
            to_zero.decision.at_ms
        );
        let series = view.series("workers");
        assert_eq!(series.first().map(|p| p.1), Some(0), "{series:?}");
        assert!(series.iter().any(|p| p.1 >= 1), "{series:?}");
        assert_eq!(series.last().map(|p| p.1), Some(0), "{series:?}");

        cancel.cancel();
        running.await.unwrap();
        assert_eq!(view.replicas("workers"), 0);
    })
    .await
    .expect("test deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_message_is_retried_with_backoff_then_dead_lettered() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let backoff_ms = 100;
        let q = open_queue(dir.path(), backoff_ms);
        let calls = Calls::default();
        let team = Team::new(&team_config(), q.clone(), handler(calls.clone()))
            .with_scaler(fast(10_000))
            .with_worker_settings(worker_settings());
        let cancel = CancellationToken::new();
        let running = team.spawn(&cancel);

        enqueue(&q, ["fail-1", "panic-1", "ok-1", "ok-2"].map(str::to_owned)).await;
        eventually("both bad messages are dead-lettered", || async {
            q.depth(QUEUE).await.unwrap().dead_lettered == 2
        })
        .await;

        // Three attempts each (maxAttempts 3), spaced by the queue's backoff:
        // 100 ms after the first failure, 200 ms after the second.
        for id in ["fail-1", "panic-1"] {
            let at = calls.get(id);
            assert_eq!(at.len(), 3, "{id}: {at:?}");
            let gaps: Vec<u128> = at.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect();
            assert!(
                gaps[0] + 5 >= u128::from(backoff_ms) && gaps[1] + 5 >= u128::from(2 * backoff_ms),
                "{id}: gaps {gaps:?}"
            );
        }
        // The good messages were handled once, around the failures.
        assert_eq!((calls.get("ok-1").len(), calls.get("ok-2").len()), (1, 1));
        let s = q.depth(QUEUE).await.unwrap();
        assert_eq!(s.ready + s.leased + s.delayed, 0);

        // The dead letters keep every failure reason.
        let dead = q
            .lease(&dlq_name(QUEUE), "inspector", 10, Duration::from_secs(5))
            .await
            .unwrap();
        let failures: HashMap<&str, &Vec<String>> = dead
            .iter()
            .map(|l| (l.message.id.as_str(), &l.message.failures))
            .collect();
        assert_eq!(
            failures["fail-1"],
            &[
                "boom on attempt 1",
                "boom on attempt 2",
                "boom on attempt 3"
            ]
        );
        assert_eq!(failures["panic-1"].len(), 3);
        assert!(
            failures["panic-1"]
                .iter()
                .all(|r| r.contains("handler panicked: handler bug"))
        );

        cancel.cancel();
        running.await.unwrap();
    })
    .await
    .expect("test deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_team_after_the_batch_in_hand() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let q = open_queue(dir.path(), 20);
        let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let slow = {
            let (started, finished) = (started.clone(), finished.clone());
            handler_fn(move |_lease: Lease| {
                let (started, finished) = (started.clone(), finished.clone());
                async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    finished.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
        };
        let team = Team::new(&team_config(), q.clone(), slow)
            .with_scaler(fast(10_000))
            .with_worker_settings(WorkerSettings {
                batch: 2,
                ..worker_settings()
            });
        let view = team.view().clone();
        let cancel = CancellationToken::new();
        let running = team.spawn(&cancel);
        enqueue(&q, (0..40).map(|i| format!("m{i}"))).await;
        eventually("work is in progress", || async {
            started.load(Ordering::SeqCst) > 0
        })
        .await;

        cancel.cancel();
        running.await.unwrap();
        // Every message a worker had started was finished and acked; the
        // rest are still on the queue, none is left leased.
        let done = finished.load(Ordering::SeqCst);
        assert_eq!(started.load(Ordering::SeqCst), done);
        let s = q.depth(QUEUE).await.unwrap();
        assert_eq!(s.leased, 0, "{s:?}");
        assert_eq!(s.ready as usize, 40 - done, "{s:?}");
        assert_eq!(view.replicas("workers"), 0);
        // Nothing runs after the stop.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(started.load(Ordering::SeqCst), done);
    })
    .await
    .expect("test deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_pools_and_finished_work() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let q = open_queue(dir.path(), 20);
        let calls = Calls::default();
        let workers = Workers::new("fixed", q.clone(), QUEUE, handler(calls.clone()))
            .with_settings(worker_settings());

        // A message whose work is already marked done is acked, not handled.
        enqueue(&q, ["done-1".to_owned()]).await;
        q.mark_done(QUEUE, TENANT, "done-1").await.unwrap();
        let lease = q
            .lease(QUEUE, "t", 1, Duration::from_secs(5))
            .await
            .unwrap()
            .remove(0);
        workers.process(&lease).await;
        assert!(calls.get("done-1").is_empty());
        // A handled message is marked done, so a later copy is skipped too.
        enqueue(&q, ["m-1".to_owned()]).await;
        let lease = q
            .lease(QUEUE, "t", 1, Duration::from_secs(5))
            .await
            .unwrap()
            .remove(0);
        workers.process(&lease).await;
        assert!(q.is_done(QUEUE, TENANT, "m-1").await.unwrap());
        assert_eq!(calls.get("m-1").len(), 1);

        // A fixed pool drains the queue and stops on cancel.
        let cancel = CancellationToken::new();
        let tasks = workers.spawn(2, &cancel);
        assert_eq!(tasks.len(), 2);
        enqueue(&q, (0..30).map(|i| format!("p{i}"))).await;
        eventually("the pool handled everything", || async {
            calls.ids() == 31
        })
        .await;
        cancel.cancel();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(calls.counts().values().all(|&c| c == 1));
        let s = q.depth(QUEUE).await.unwrap();
        assert_eq!(s.ready + s.leased + s.delayed, 0, "{s:?}");
    })
    .await
    .expect("test deadline");
}
