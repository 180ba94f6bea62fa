//! Crashes and bad messages: a worker dying mid-ticket, a poison message, a
//! process crash after the 2xx.

use std::time::{Duration, Instant};

use omega_config::TeamsConfig;
use omega_pipeline::{RawMessage, Stage, queues};
use omega_protocol::SourcePlatform;
use omega_queue::Message;

use crate::{Harness, TENANT, acme, config, kaseya_ticket};

async fn lease_one(
    h: &Harness,
    queue: &str,
    consumer: &str,
    lease: Duration,
) -> omega_queue::Lease {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(l) = h
            .queue
            .lease(queue, consumer, 1, lease)
            .await
            .unwrap()
            .pop()
        {
            return l;
        }
        assert!(Instant::now() < deadline, "nothing to lease on {queue}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_ticket_is_replaced_and_the_result_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
    let body = kaseya_ticket(
        501,
        "Monitor flickering on my desk",
        "The second monitor flickers and goes black every few minutes.",
    );
    assert_eq!(
        h.post(SourcePlatform::KaseyaBms, "application/json", &body)
            .await
            .0,
        202
    );
    // Move it to ticket-triage the way the normalizer and router do.
    let l = lease_one(&h, queues::RAW, "normalizer-test", Duration::from_secs(5)).await;
    h.pipeline.process(Stage::Normalize, &l).await;
    let l = lease_one(
        &h,
        queues::NORMALIZED,
        "router-test",
        Duration::from_secs(5),
    )
    .await;
    h.pipeline.process(Stage::Route, &l).await;
    // A triage worker takes the ticket and dies without settling it.
    let doomed = lease_one(
        &h,
        queues::TRIAGE,
        "triage-doomed",
        Duration::from_millis(300),
    )
    .await;
    assert_eq!(doomed.message.attempts, 1);
    drop(doomed);
    assert_eq!(h.store.puts("kaseya-bms:501"), 0);

    // The team scales from zero, and after the lease expires another worker finishes it.
    let running = h.pipeline.start(&h.cancel);
    let r = h
        .wait_result("kaseya-bms:501", Duration::from_secs(20))
        .await;
    assert_eq!(r.ticket_id, "kaseya-bms:501");
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.depth(queues::AUTO_ACTION).await + h.depth(queues::NEEDS_REVIEW).await == 0 {
        assert!(Instant::now() < deadline, "the ticket was never published");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let published = h.depth(queues::AUTO_ACTION).await + h.depth(queues::NEEDS_REVIEW).await;
    if r.category.abstained || r.decided_by.name == omega_pipeline::CLASSIFY_DECIDER {
        // Triage stored the abstention, the classification team its decision.
        assert_eq!(h.store.puts("kaseya-bms:501"), 2);
    } else {
        assert_eq!(
            h.store.puts("kaseya-bms:501"),
            1,
            "the result was stored more than once"
        );
    }
    assert_eq!(published, 1, "the ticket was published {published} times");
    assert_eq!(h.depth(queues::TRIAGE).await, 0);
    running.stop().await;
    h.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_dead_lettered_with_its_reason_and_the_queue_keeps_flowing() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
    // A stored delivery that can no longer be parsed (e.g. written by an older release).
    let poison = RawMessage {
        platform: SourcePlatform::Zendesk,
        tenant: acme(),
        content_type: Some("application/json".into()),
        delivery_ids: vec!["poison-1".into()],
        delivery_id: None,
        body: "{\"type\": \"zen:event-type:ticket.created\", ".into(),
        body_base64: false,
        received_at: chrono::Utc::now(),
    };
    let msg = Message::new(
        "zendesk:poison-1",
        TENANT,
        serde_json::to_value(&poison).unwrap(),
    );
    h.queue.enqueue(queues::RAW, msg).await.unwrap();
    for i in 0..3 {
        let body = kaseya_ticket(
            600 + i,
            "Mailbox full cannot send email",
            "My mailbox is over quota and email sending fails.",
        );
        assert_eq!(
            h.post(SourcePlatform::KaseyaBms, "application/json", &body)
                .await
                .0,
            202
        );
    }
    let running = h.pipeline.start(&h.cancel);
    for i in 0..3 {
        h.wait_result(&format!("kaseya-bms:{}", 600 + i), Duration::from_secs(20))
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.queue.depth(queues::RAW).await.unwrap().dead_lettered == 0 {
        assert!(
            Instant::now() < deadline,
            "the poison message never reached the DLQ"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await;
    let dlq = omega_queue::dlq_name(queues::RAW);
    let dead = h
        .queue
        .lease(&dlq, "inspector", 10, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    let m = &dead[0].message;
    assert_eq!(m.id, "zendesk:poison-1");
    assert_eq!(m.failures.len(), 3, "{:?}", m.failures);
    assert!(
        m.failures.iter().all(|f| f.contains("parse_error")),
        "{:?}",
        m.failures
    );
    assert_eq!(h.depth(queues::RAW).await, 0);
    h.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_acknowledged_before_a_crash_is_processed_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
        let body = kaseya_ticket(
            701,
            "VPN access request",
            "I need VPN access to work from home next week.",
        );
        assert_eq!(
            h.post(SourcePlatform::KaseyaBms, "application/json", &body)
                .await
                .0,
            202
        );
        // The process dies before any worker ran: no graceful hand-over of anything.
        h.shutdown();
    }
    let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
    assert_eq!(
        h.depth(queues::RAW).await,
        1,
        "the acknowledged delivery was lost"
    );
    let running = h.pipeline.start(&h.cancel);
    let r = h
        .wait_result("kaseya-bms:701", Duration::from_secs(20))
        .await;
    assert_eq!(r.tenant, acme());
    running.stop().await;
    h.shutdown();
}
