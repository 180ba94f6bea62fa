//! Behaviour every backend must show, written against `Arc<dyn Queue>` only.
//!
//! Backends under test use [`settings`]: 3 attempts, 100 ms base backoff, 400 ms cap.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use omega_queue::{
    EnqueueOutcome, Message, NackOutcome, Queue, QueueError, QueueOptions, QueueSettings,
};
use serde_json::json;

/// Settings shared by every backend under test.
pub fn settings(dedupe_window_secs: Option<u64>) -> QueueSettings {
    QueueSettings {
        default: QueueOptions {
            max_attempts: 3,
            backoff_base_ms: 100,
            backoff_max_ms: 400,
            dedupe_window_secs,
        },
        ..QueueSettings::default()
    }
}

const LONG: Duration = Duration::from_secs(30);

fn msg(id: &str) -> Message {
    Message::new(id, "tenant-a", json!({ "ticket": id, "n": 1 }))
}

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

pub async fn at_least_once_and_ack(q: Arc<dyn Queue>, name: &str) {
    for id in ["a", "b", "c"] {
        assert_eq!(
            q.enqueue(name, msg(id)).await.unwrap(),
            EnqueueOutcome::Enqueued
        );
    }
    let leases = q.lease(name, "w1", 10, LONG).await.unwrap();
    let ids: Vec<_> = leases.iter().map(|l| l.message.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"], "FIFO on first delivery");
    for l in &leases {
        assert_eq!(l.message.attempts, 1);
        assert_eq!(l.message.tenant, "tenant-a");
        assert_eq!(l.message.payload, json!({ "ticket": l.message.id, "n": 1 }));
        assert!(l.message.enqueued_at_ms > 0);
        assert!(l.message.failures.is_empty());
    }
    let s = q.depth(name).await.unwrap();
    assert_eq!((s.ready, s.leased, s.delayed), (0, 3, 0));
    assert!(q.lease(name, "w2", 10, LONG).await.unwrap().is_empty());
    for l in &leases {
        q.ack(l).await.unwrap();
    }
    let s = q.depth(name).await.unwrap();
    assert_eq!(
        (s.ready, s.leased, s.delayed, s.dead_lettered),
        (0, 0, 0, 0)
    );
    assert_eq!(s.oldest_age_ms, None);
    assert!(q.lease(name, "w1", 10, LONG).await.unwrap().is_empty());
    let again = q.ack(&leases[0]).await.unwrap_err();
    assert!(matches!(again, QueueError::LeaseLost { .. }), "{again}");
}

pub async fn duplicates_are_refused(q: Arc<dyn Queue>, name: &str) {
    assert_eq!(
        q.enqueue(name, msg("t-1")).await.unwrap(),
        EnqueueOutcome::Enqueued
    );
    assert_eq!(
        q.enqueue(name, msg("t-1")).await.unwrap(),
        EnqueueOutcome::Duplicate
    );
    let other_tenant = Message::new("t-1", "tenant-b", json!(null));
    assert_eq!(
        q.enqueue(name, other_tenant).await.unwrap(),
        EnqueueOutcome::Enqueued
    );
    let batch = vec![msg("t-2"), msg("t-2"), msg("t-1"), msg("t-3")];
    let out = q.enqueue_batch(name, batch).await.unwrap();
    use EnqueueOutcome::{Duplicate, Enqueued};
    assert_eq!(out, [Enqueued, Duplicate, Duplicate, Enqueued]);
    let leases = q.lease(name, "w", 10, LONG).await.unwrap();
    assert_eq!(leases.len(), 4);
    for l in &leases {
        q.ack(l).await.unwrap();
    }
    // Settled ids stay known: a redelivered webhook is still refused.
    assert_eq!(
        q.enqueue(name, msg("t-1")).await.unwrap(),
        EnqueueOutcome::Duplicate
    );
    assert_eq!(q.depth(name).await.unwrap().ready, 0);
}

/// A worker takes a message and dies: its lease runs out, another consumer gets the message,
/// and the message is acked exactly once.
pub async fn lease_expiry_redelivers_to_another_consumer(q: Arc<dyn Queue>, name: &str) {
    q.enqueue(name, msg("m")).await.unwrap();
    let first = q
        .lease(name, "dies", 1, Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(q.lease(name, "w2", 1, LONG).await.unwrap().is_empty());
    sleep_ms(350).await;
    let s = q.depth(name).await.unwrap();
    assert_eq!((s.ready, s.leased), (1, 0), "expired lease counts as ready");
    let second = q.lease(name, "w2", 1, LONG).await.unwrap();
    assert_eq!(second.len(), 1);
    let m = &second[0].message;
    assert_eq!((m.id.as_str(), m.attempts), ("m", 2));
    assert_eq!(m.failures.len(), 1);
    assert!(m.failures[0].contains("lease expired"), "{:?}", m.failures);
    let late = q.ack(&first[0]).await.unwrap_err();
    assert!(matches!(late, QueueError::LeaseLost { .. }), "{late}");
    let late = q.nack(&first[0], "too late").await.unwrap_err();
    assert!(matches!(late, QueueError::LeaseLost { .. }), "{late}");
    q.ack(&second[0]).await.unwrap();
    assert!(q.ack(&second[0]).await.is_err(), "acked once only");
    sleep_ms(200).await;
    assert!(q.lease(name, "w3", 1, LONG).await.unwrap().is_empty());
    assert_eq!(q.depth(name).await.unwrap(), Default::default());
}

pub async fn extend_lease_keeps_the_message_hidden(q: Arc<dyn Queue>, name: &str) {
    q.enqueue(name, msg("slow")).await.unwrap();
    let l = q
        .lease(name, "w1", 1, Duration::from_millis(150))
        .await
        .unwrap()
        .remove(0);
    let l2 = q.extend_lease(&l, Duration::from_secs(5)).await.unwrap();
    assert!(l2.expires_at_ms >= l.expires_at_ms + 4000);
    sleep_ms(300).await;
    assert!(q.lease(name, "w2", 1, LONG).await.unwrap().is_empty());
    assert_eq!(q.depth(name).await.unwrap().leased, 1);
    q.ack(&l2).await.unwrap();
    assert!(q.extend_lease(&l2, LONG).await.is_err());
}

pub async fn nack_retries_with_exponential_backoff(q: Arc<dyn Queue>, name: &str) {
    q.enqueue(name, msg("flaky")).await.unwrap();
    let l = q.lease(name, "w", 1, LONG).await.unwrap().remove(0);
    let out = q.nack(&l, "classifier timeout").await.unwrap();
    assert_eq!(
        out,
        NackOutcome::Retry {
            delay: Duration::from_millis(100),
            attempts: 1
        }
    );
    assert!(q.lease(name, "w", 1, LONG).await.unwrap().is_empty());
    let s = q.depth(name).await.unwrap();
    assert_eq!((s.ready, s.leased, s.delayed), (0, 0, 1));
    sleep_ms(180).await;
    let l = q.lease(name, "w", 1, LONG).await.unwrap().remove(0);
    assert_eq!(l.message.attempts, 2);
    assert_eq!(l.message.failures, ["classifier timeout"]);
    let out = q.nack(&l, "again").await.unwrap();
    assert!(
        matches!(out, NackOutcome::Retry { delay, attempts: 2 } if delay == Duration::from_millis(200))
    );
    sleep_ms(40).await;
    assert!(
        q.lease(name, "w", 1, LONG).await.unwrap().is_empty(),
        "second backoff is longer"
    );
    sleep_ms(260).await;
    let l = q.lease(name, "w", 1, LONG).await.unwrap().remove(0);
    assert_eq!(l.message.failures, ["classifier timeout", "again"]);
    q.ack(&l).await.unwrap();
}

pub async fn dead_letters_after_max_attempts_with_reasons(q: Arc<dyn Queue>, name: &str) {
    q.enqueue(name, msg("poison")).await.unwrap();
    let mut outcomes = Vec::new();
    for i in 1..=3 {
        let l = loop {
            if let Some(l) = q.lease(name, "w", 1, LONG).await.unwrap().pop() {
                break l;
            }
            sleep_ms(25).await;
        };
        assert_eq!(l.message.attempts, i);
        outcomes.push(q.nack(&l, &format!("bad input {i}")).await.unwrap());
    }
    assert!(
        matches!(outcomes[2], NackOutcome::DeadLettered { attempts: 3 }),
        "{outcomes:?}"
    );
    let s = q.depth(name).await.unwrap();
    assert_eq!(
        (s.ready, s.leased, s.delayed, s.dead_lettered),
        (0, 0, 0, 1)
    );
    sleep_ms(500).await;
    assert!(q.lease(name, "w", 1, LONG).await.unwrap().is_empty());
    let dlq = omega_queue::dlq_name(name);
    let dead = q.lease(&dlq, "ops", 10, LONG).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.id, "poison");
    assert_eq!(
        dead[0].message.payload,
        json!({ "ticket": "poison", "n": 1 })
    );
    assert_eq!(
        dead[0].message.failures,
        ["bad input 1", "bad input 2", "bad input 3"]
    );
    // Dead-letter queues never dead-letter again.
    let again = q.nack(&dead[0], "still bad").await.unwrap();
    assert!(matches!(again, NackOutcome::Retry { .. }), "{again:?}");
    assert_eq!(q.depth(&dlq).await.unwrap().delayed, 1);
}

pub async fn depth_and_lag(q: Arc<dyn Queue>, name: &str) {
    assert_eq!(q.depth(name).await.unwrap(), Default::default());
    q.enqueue(name, msg("x")).await.unwrap();
    q.enqueue(name, msg("y")).await.unwrap();
    sleep_ms(120).await;
    let s = q.depth(name).await.unwrap();
    assert_eq!((s.ready, s.leased), (2, 0));
    let age = s.oldest_age_ms.expect("lag of a non-empty queue");
    assert!((100..10_000).contains(&age), "lag {age} ms");
    let l = q.lease(name, "w", 1, LONG).await.unwrap();
    let s = q.depth(name).await.unwrap();
    assert_eq!((s.ready, s.leased), (1, 1));
    q.ack(&l[0]).await.unwrap();
    assert_eq!(q.depth(name).await.unwrap().ready, 1);
}

/// A message redelivered after a crash whose result was already stored is acked unprocessed.
pub async fn done_markers_skip_reprocessing(q: Arc<dyn Queue>, name: &str) {
    q.enqueue(name, msg("d1")).await.unwrap();
    let l = q
        .lease(name, "crashes", 1, Duration::from_millis(100))
        .await
        .unwrap()
        .remove(0);
    assert!(!q.is_done(name, "tenant-a", "d1").await.unwrap());
    // The worker stores its result, marks it done, and crashes before acking.
    q.mark_done(name, "tenant-a", "d1").await.unwrap();
    assert!(q.is_done(name, "tenant-a", "d1").await.unwrap());
    assert!(!q.is_done(name, "tenant-b", "d1").await.unwrap());
    drop(l);
    sleep_ms(200).await;
    let again = q.lease(name, "w2", 1, LONG).await.unwrap().remove(0);
    assert!(q.ack_if_done(&again).await.unwrap());
    assert_eq!(q.depth(name).await.unwrap(), Default::default());
    q.enqueue(name, msg("d2")).await.unwrap();
    let fresh = q.lease(name, "w2", 1, LONG).await.unwrap().remove(0);
    assert!(!q.ack_if_done(&fresh).await.unwrap());
    assert_eq!(q.depth(name).await.unwrap().leased, 1);
}

pub async fn bad_input_is_refused(q: Arc<dyn Queue>, name: &str) {
    let e = q.enqueue("bad name", msg("a")).await.unwrap_err();
    assert!(matches!(e, QueueError::InvalidQueueName { .. }), "{e}");
    let e = q.enqueue(name, msg("")).await.unwrap_err();
    assert!(matches!(e, QueueError::InvalidMessage { .. }), "{e}");
    let e = q
        .enqueue(name, Message::new("a", "", json!(1)))
        .await
        .unwrap_err();
    assert!(matches!(e, QueueError::InvalidMessage { .. }), "{e}");
    assert!(q.lease("", "w", 1, LONG).await.is_err());
    assert_eq!(q.depth(name).await.unwrap(), Default::default());
}

pub async fn concurrent_consumers_get_each_message_once(q: Arc<dyn Queue>, name: &str) {
    let n = 200;
    let msgs = (0..n).map(|i| msg(&format!("c{i}"))).collect();
    q.enqueue_batch(name, msgs).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let q = q.clone();
        let name = name.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let leases = q.lease(&name, &format!("w{w}"), 16, LONG).await.unwrap();
                if leases.is_empty() {
                    break seen;
                }
                for l in leases {
                    q.ack(&l).await.unwrap();
                    seen.push(l.message.id);
                }
            }
        }));
    }
    let mut all = HashSet::new();
    let mut total = 0;
    for t in tasks {
        let seen = t.await.unwrap();
        total += seen.len();
        all.extend(seen);
    }
    assert_eq!((total, all.len()), (n, n));
    assert_eq!(q.depth(name).await.unwrap(), Default::default());
}
