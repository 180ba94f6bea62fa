//! The browser test: headless Chromium driven by playwright-core
//! (`tests/e2e/run.sh` installs both when missing) against the dashboard on
//! port 0. Screenshot: `target/e2e/dashboard.png`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use omega_dashboard::{QueueReviewSource, ReviewSource, TeamTimings, queues};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::{Harness, eventually, review_ticket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_signs_in_sees_a_ticket_arrive_and_changes_its_category() {
    let h = Harness::new().await;
    let timings = TeamTimings {
        polling_interval_ms: Some(50),
        cooldown_ms: Some(1000),
        scale_down_window_ms: Some(0),
    };
    let source: Arc<dyn ReviewSource> =
        Arc::new(QueueReviewSource::new(h.queue.clone(), "dashboard-e2e"));
    let running = h.dash.start(
        Some(source),
        &omega_config::TeamsConfig::default(),
        &timings,
        &h.cancel,
    );
    // One ticket is there before the page loads.
    h.dash
        .board()
        .ingest(review_ticket(
            "acme",
            "kaseya:100",
            "Storage",
            "Backup job failed",
            "nightly backup failed on file server",
        ))
        .await
        .unwrap();
    let url = h.serve().await;
    // An employee of every tenant: the operations view shows the deployment.
    let token = h.token("alice", &["acme", "globex"]);

    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let artifacts = manifest.join("../../../target/e2e");
    let mut child = tokio::process::Command::new("bash")
        .arg(manifest.join("tests/e2e/run.sh"))
        .env("DASHBOARD_URL", &url)
        .env("DASHBOARD_TOKEN", &token)
        .env("E2E_DIR", &artifacts)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("bash runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let queue = h.queue.clone();
    let hub = h.dash.board().hub().clone();
    let driver = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            println!("e2e: {line}");
            match line.trim() {
                // The page is signed in and streaming: a demo ticket arrives through the pipeline's queue.
                "READY" => {
                    let t = review_ticket(
                        "acme",
                        "zendesk:4242",
                        "Hardware",
                        "Demo: cannot reset my password",
                        "password reset link expired, account locked",
                    );
                    queue
                        .enqueue(queues::NEEDS_REVIEW, QueueReviewSource::message(&t))
                        .await
                        .unwrap();
                }
                // The stream is cut; a ticket arrives while the page is disconnected.
                "DROP" => {
                    hub.disconnect_all();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let t = review_ticket(
                        "acme",
                        "zendesk:4343",
                        "Storage",
                        "Demo: while offline",
                        "quota full on share",
                    );
                    queue
                        .enqueue(queues::NEEDS_REVIEW, QueueReviewSource::message(&t))
                        .await
                        .unwrap();
                }
                _ => {}
            }
        }
    };
    let status = tokio::time::timeout(Duration::from_secs(240), async {
        driver.await;
        child.wait().await.unwrap()
    })
    .await
    .expect("browser test finished in time");
    assert!(status.success(), "the browser script failed: {status}");

    // The change reached the store and the shadow agent.
    let (_, v) = h
        .req(
            "GET",
            "/dashboard/api/tickets/acme/zendesk:4242",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(v["item"]["triage"]["category"]["value"], "Access");
    assert_eq!(v["item"]["triage"]["decidedBy"]["name"], "alice");
    let stats = eventually(|| async {
        let (_, v) = h
            .req("GET", "/dashboard/api/shadow", Some(&token), None)
            .await;
        (v["agent"]["categoryCorrected"] == 1).then_some(v)
    })
    .await;
    assert_eq!(stats["agent"]["lastCorrection"][0], "zendesk:4242");
    assert!(artifacts.join("dashboard.png").exists());
    running.stop().await;
}
