//! The triage team scales from zero with queue depth and back to zero after the cooldown.

use std::time::{Duration, Instant};

use omega_config::TeamsConfig;
use omega_pipeline::queues;
use omega_protocol::SourcePlatform;

use crate::{Harness, config, kaseya_ticket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_triage_team_scales_from_zero_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
    // A backlog arrives while nothing runs.
    let n = 30;
    for i in 0..n {
        let body = kaseya_ticket(
            800 + i,
            "Printer jammed on third floor",
            "The printer keeps jamming with a paper feed error.",
        );
        assert_eq!(
            h.post(SourcePlatform::KaseyaBms, "application/json", &body)
                .await
                .0,
            202
        );
    }
    let running = h.pipeline.start(&h.cancel);
    for i in 0..n {
        h.wait_result(&format!("kaseya-bms:{}", 800 + i), Duration::from_secs(30))
            .await;
    }
    // Back to zero once the queue has been empty for the 300 ms cooldown.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.pipeline.capacity().replicas("triage") != 0 {
        assert!(
            Instant::now() < deadline,
            "triage never scaled back to zero: {:?}",
            h.pipeline.capacity()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.depth(queues::TRIAGE).await, 0);
    let series = h.pipeline.capacity().series("triage");
    let peak = series.iter().map(|(_, r)| *r).max().unwrap();
    assert!(peak >= 1, "{series:?}");
    assert_eq!(series.last().unwrap().1, 0, "{series:?}");
    // It went 0 -> n -> 0: the first non-zero decision follows zeros or is the first one.
    let first_up = series.iter().position(|(_, r)| *r > 0).unwrap();
    assert!(series[..first_up].iter().all(|(_, r)| *r == 0));
    let history = h.pipeline.capacity().history();
    assert!(
        history
            .iter()
            .any(|d| d.team == "triage" && format!("{:?}", d.decision.reason) == "Activated"),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .any(|d| d.team == "triage" && format!("{:?}", d.decision.reason) == "ScaledToZero"),
        "{history:?}"
    );
    // The classification team was never needed unless the classifier abstained.
    assert!(
        h.pipeline
            .capacity()
            .series("classification")
            .iter()
            .all(|(_, r)| *r <= 5)
    );
    running.stop().await;
    h.shutdown();
}
