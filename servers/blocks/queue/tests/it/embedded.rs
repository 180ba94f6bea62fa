//! The behaviour suite on the embedded backend, plus crash and restart tests.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use omega_queue::{EmbeddedQueue, EnqueueOutcome, Message, Queue};
use serde_json::json;

pub struct Harness {
    _dir: tempfile::TempDir,
    q: Arc<EmbeddedQueue>,
    pub name: String,
}

impl Harness {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let q = Arc::new(EmbeddedQueue::open(dir.path(), crate::suite::settings(None)).unwrap());
        Self {
            _dir: dir,
            q,
            name: "ticket-raw".into(),
        }
    }
    pub fn queue(&self) -> Arc<dyn Queue> {
        self.q.clone()
    }
    pub async fn cleanup(self) {}
}

behaviour_tests!(Harness);

const LONG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn unacked_messages_survive_a_restart_and_dedupe_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::suite::settings(None);
    {
        let q = EmbeddedQueue::open(dir.path(), settings.clone()).unwrap();
        for id in ["a", "b", "c"] {
            q.enqueue("ticket-raw", Message::new(id, "t", json!({"id": id})))
                .await
                .unwrap();
        }
        let leases = q.lease("ticket-raw", "w", 3, LONG).await.unwrap();
        q.ack(&leases[0]).await.unwrap();
        q.nack(&leases[1], "boom").await.unwrap();
        // leases[2] is held when the process goes away.
    }
    let q = EmbeddedQueue::open(dir.path(), settings).unwrap();
    let s = q.depth("ticket-raw").await.unwrap();
    assert_eq!(s.ready + s.delayed, 2, "{s:?}");
    assert_eq!(
        q.enqueue("ticket-raw", Message::new("a", "t", json!(null)))
            .await
            .unwrap(),
        EnqueueOutcome::Duplicate
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut got = q.lease("ticket-raw", "w2", 10, LONG).await.unwrap();
    got.sort_by(|a, b| a.message.id.cmp(&b.message.id));
    let ids: Vec<_> = got.iter().map(|l| l.message.id.as_str()).collect();
    assert_eq!(ids, ["b", "c"]);
    assert_eq!(got[0].message.failures, ["boom"], "nack reasons are stored");
    assert_eq!(got[0].message.attempts, 2);
    assert_eq!(
        got[1].message.attempts, 1,
        "a crash is not a failed attempt"
    );
    assert_eq!(got[1].message.payload, json!({"id": "c"}));
}

const CHILD_DIR: &str = "OMEGA_QUEUE_TEST_CHILD_DIR";

/// Body of the child process of `enqueued_messages_survive_kill_9`; does nothing unless that test
/// started this binary with `OMEGA_QUEUE_TEST_CHILD_DIR` set.
#[tokio::test]
async fn child_enqueue_until_killed() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let q = EmbeddedQueue::open(&dir, crate::suite::settings(None)).unwrap();
    let mut out = std::io::stdout();
    for i in 0.. {
        let m = Message::new(format!("k{i}"), "t", json!({ "i": i }));
        q.enqueue("ticket-raw", m).await.unwrap();
        writeln!(out, "ENQUEUED {i}").unwrap();
        out.flush().unwrap();
    }
}

#[tokio::test]
async fn enqueued_messages_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "embedded::child_enqueue_until_killed",
            "--exact",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut confirmed = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("ENQUEUED ") {
            let n: u64 = n.parse().unwrap();
            confirmed = Some(n);
            if n >= 300 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructors, no flush.
    child.wait().unwrap();
    let last = confirmed.expect("child confirmed enqueues");
    let q = EmbeddedQueue::open(dir.path(), crate::suite::settings(None)).unwrap();
    let got = q.lease("ticket-raw", "w", 100_000, LONG).await.unwrap();
    assert!(
        got.len() as u64 > last,
        "{} leased, {} confirmed",
        got.len(),
        last + 1
    );
    for (i, l) in got.iter().enumerate().take(last as usize + 1) {
        assert_eq!(l.message.id, format!("k{i}"));
        assert_eq!(l.message.payload, json!({ "i": i }));
    }
}

#[tokio::test]
async fn a_directory_is_opened_once() {
    let dir = tempfile::tempdir().unwrap();
    let _q = EmbeddedQueue::open(dir.path(), Default::default()).unwrap();
    let e = EmbeddedQueue::open(dir.path(), Default::default()).unwrap_err();
    assert!(
        e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
}
