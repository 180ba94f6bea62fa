//! A request is stored once however many items it carries; the item cap; a
//! crash between storing a request and splitting it loses and duplicates
//! nothing; messages written by the per-item release are still processed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use omega_config::TeamsConfig;
use omega_pipeline::{PipelineConfig, RawMessage, Stage, queues};
use omega_protocol::{ErrorCode, SourcePlatform};
use omega_queue::{EnqueueOutcome, Lease, Message, NackOutcome, Queue, QueueStats};
use serde_json::{Value, json};

use crate::{Harness, TENANT, acme, config};

/// Every test here finishes within this, or fails.
const DEADLINE: Duration = Duration::from_secs(240);

const TEXTS: [(&str, &str); 5] = [
    (
        "Cannot log in after password reset",
        "The user is locked out of the account after several failed password attempts and cannot sign in. ",
    ),
    (
        "Printer on the third floor jams",
        "The printer jams on every print job and shows a paper jam error on the display panel. ",
    ),
    (
        "VPN disconnects every few minutes",
        "The VPN client drops the connection to the office network and the remote desktop freezes. ",
    ),
    (
        "Laptop does not boot after update",
        "The laptop shows a black screen after the update and does not start even in safe mode. ",
    ),
    (
        "Mailbox full cannot send email",
        "The mailbox is over its quota and sending email fails with a quota exceeded error. ",
    ),
];

/// The notification id and Case id of item `i`.
fn ids(i: usize) -> (String, String) {
    (format!("04l5e000{i:07}AAJ"), format!("5005e000{i:07}AAV"))
}

/// A Salesforce outbound message with `n` Case notifications, each with a
/// description of about `desc_bytes` bytes.
fn outbound(n: usize, desc_bytes: usize) -> String {
    let items: String = (0..n)
        .map(|i| {
            let (subject, sentence) = TEXTS[i % TEXTS.len()];
            let (nid, cid) = ids(i);
            let desc = sentence.repeat(desc_bytes / sentence.len() + 1);
            format!(
                r#"<Notification><Id>{nid}</Id><sObject xsi:type="sf:Case" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>{cid}</sf:Id><sf:CaseNumber>{num:08}</sf:CaseNumber><sf:ContactEmail>user{i}@contoso.example</sf:ContactEmail><sf:CreatedDate>2024-03-01T10:15:00.000Z</sf:CreatedDate><sf:Description>{desc}(case {i})</sf:Description><sf:Origin>Web</sf:Origin><sf:Priority>Medium</sf:Priority><sf:Status>New</sf:Status><sf:Subject>{subject} #{i}</sf:Subject></sObject></Notification>"#,
                num = 1000 + i
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>00D5e000000KQ2eEAG</OrganizationId><ActionId>04k5e000000CaRkAAK</ActionId>{items}</notifications></soapenv:Body></soapenv:Envelope>"#
    )
}

fn ticket_id(i: usize) -> String {
    format!("salesforce:{}", ids(i).1)
}

/// Config for bodies near 1 MB and 100 tickets at once: a lease long
/// enough that a loaded test machine never lets one run out (which would
/// legitimately process a ticket twice and hide a real duplicate).
fn big_config() -> PipelineConfig {
    PipelineConfig {
        max_body_bytes: 1 << 20,
        lease_ms: 60_000,
        ..config()
    }
}

fn queue_file(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join("queue").join("queue.redb"))
        .map(|m| m.len())
        .unwrap_or(0)
}

async fn all_stats(h: &Harness) -> Vec<(&'static str, QueueStats)> {
    let mut out = Vec::new();
    for q in queues::ALL {
        out.push((q, h.queue.depth(q).await.unwrap()));
    }
    out
}

/// Waits for a triage result of every item, then until exactly `n`
/// tickets were published and nothing is left in flight; checks every
/// result was stored once (twice when the classification team decided).
async fn assert_all_triaged_once(h: &Harness, n: usize) {
    for i in 0..n {
        let id = ticket_id(i);
        let r = h.wait_result(&id, Duration::from_secs(120)).await;
        assert_eq!(r.ticket_id, id);
        assert_eq!(r.tenant, acme());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let published = h.depth(queues::AUTO_ACTION).await + h.depth(queues::NEEDS_REVIEW).await;
        let in_flight = h.depth(queues::RAW).await
            + h.depth(queues::NORMALIZED).await
            + h.depth(queues::TRIAGE).await
            + h.depth(queues::CLASSIFY).await;
        assert!(
            published <= n as u64,
            "{published} tickets published for {n} items"
        );
        if published == n as u64 && in_flight == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{published} of {n} published, {in_flight} in flight"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let any duplicate that would still be on its way arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let published = h.depth(queues::AUTO_ACTION).await + h.depth(queues::NEEDS_REVIEW).await;
    assert_eq!(published, n as u64, "a ticket was published twice");
    for i in 0..n {
        let id = ticket_id(i);
        let r = h
            .pipeline
            .triage_result(&acme(), &id)
            .await
            .unwrap()
            .unwrap();
        let want = if r.category.abstained || r.decided_by.name == omega_pipeline::CLASSIFY_DECIDER
        {
            2
        } else {
            1
        };
        assert_eq!(
            h.store.puts(&id),
            want,
            "{id} was stored {} times",
            h.store.puts(&id)
        );
    }
    assert_eq!(h.queue.depth(queues::RAW).await.unwrap().dead_lettered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_notification_message_is_stored_once_and_every_item_is_triaged() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let h = Harness::open(dir.path(), big_config(), TeamsConfig::default()).await;
        let body = outbound(100, 9_000);
        assert!(
            (900_000..1_000_000).contains(&body.len()),
            "{} bytes",
            body.len()
        );
        let before = queue_file(dir.path());
        let (status, ack) = h.post(SourcePlatform::Salesforce, "text/xml", body.as_bytes()).await;
        assert_eq!(status, 200, "{ack}");
        assert!(ack.as_str().is_some_and(|a| a.contains("<Ack>true</Ack>")), "{ack}");
        let after = queue_file(dir.path());

        // One message on ticket-raw, about one body in size.
        assert_eq!(h.depth(queues::RAW).await, 1);
        let stored = h
            .queue
            .lease(queues::RAW, "inspector", 10, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        let bytes = serde_json::to_vec(&stored[0].message).unwrap().len();
        let raw: RawMessage = serde_json::from_value(stored[0].message.payload.clone()).unwrap();
        assert_eq!(raw.delivery_ids.len(), 100);
        assert_eq!(raw.body_bytes().unwrap(), body.as_bytes());
        eprintln!(
            "100-notification message: body {} bytes; ticket-raw message {bytes} bytes; queue file {before} -> {after} bytes (+{})",
            body.len(),
            after.saturating_sub(before)
        );
        assert!(
            bytes < body.len() * 11 / 10 + 4096,
            "the stored message is {bytes} bytes for a {}-byte body",
            body.len()
        );
        let growth = after.saturating_sub(before) as usize;
        assert!(
            growth <= 3 * body.len(),
            "the queue file grew by {growth} bytes for a {}-byte body",
            body.len()
        );
        assert!(matches!(
            h.queue.nack(&stored[0], "inspected by the test").await.unwrap(),
            NackOutcome::Retry { .. }
        ));

        // A retry of the same message is recognized, nothing is stored again.
        let (status, _) = h.post(SourcePlatform::Salesforce, "text/xml", body.as_bytes()).await;
        assert_eq!(status, 200);
        assert_eq!(h.depth(queues::RAW).await, 1);

        // Every item ends in its own triage result, once.
        let running = h.pipeline.start(&h.cancel);
        assert_all_triaged_once(&h, 100).await;
        running.stop().await;
        h.shutdown();
    })
    .await
    .expect("the test ran past its deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_cap_deliveries_are_refused_for_every_array_format_and_nothing_is_enqueued() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config();
        cfg.ingest.max_items_per_delivery = std::num::NonZeroUsize::new(5).unwrap();
        let h = Harness::open(dir.path(), cfg, TeamsConfig::default()).await;
        use SourcePlatform::*;

        let kaseya = |n: usize| {
            let t: Vec<Value> = (0..n)
                .map(|i| json!({"Id": 3000 + i, "Title": "Printer jammed", "OpenDate": "2024-03-01T09:00:00"}))
                .collect();
            serde_json::to_vec(&json!({"Tickets": t})).unwrap()
        };
        let cdc_event = |records: usize, seq: usize| {
            let ids: Vec<String> = (0..records).map(|i| format!("500x{seq:03}{i:05}")).collect();
            json!({"data": {"payload": {
                "ChangeEventHeader": {"entityName": "Case", "recordIds": ids, "changeType": "CREATE",
                    "transactionKey": "tk-cap", "sequenceNumber": seq},
                "Subject": "Printer jammed",
                "CreatedDate": "2024-03-01T10:15:00.000Z"
            }}})
        };
        let servicenow = |n: usize| {
            let r: Vec<Value> = (0..n)
                .map(|i| json!({"sys_id": format!("{i:032x}"), "short_description": "VPN down",
                    "sys_updated_on": "2024-03-01 10:00:00", "sys_created_on": "2024-03-01 10:00:00"}))
                .collect();
            serde_json::to_vec(&json!({"result": r})).unwrap()
        };
        let cases: Vec<(&str, SourcePlatform, &str, Vec<u8>, usize)> = vec![
            ("salesforce outbound", Salesforce, "text/xml", outbound(6, 100).into_bytes(), 6),
            ("salesforce cdc recordIds", Salesforce, "application/json", serde_json::to_vec(&cdc_event(9, 1)).unwrap(), 9),
            (
                "salesforce cdc events",
                Salesforce,
                "application/json",
                serde_json::to_vec(&json!([cdc_event(2, 1), cdc_event(2, 2), cdc_event(2, 3)])).unwrap(),
                6,
            ),
            ("kaseya array", KaseyaBms, "application/json", kaseya(6), 6),
            ("servicenow result list", Servicenow, "application/json", servicenow(40), 40),
        ];
        for (case, platform, ct, body, count) in &cases {
            let (status, err) = h.post(*platform, ct, body).await;
            assert_eq!(status, 413, "{case}: {err}");
            assert_eq!(err["code"], ErrorCode::PAYLOAD_TOO_LARGE.0, "{case}: {err}");
            let msg = err["message"].as_str().unwrap_or_default();
            assert!(
                msg.contains(&format!("carries {count} ")) && msg.contains("at most 5 "),
                "{case}: {msg}"
            );
            assert_eq!(err["data"]["extra"]["limit"], 5, "{case}: {err}");
            assert_eq!(err["data"]["extra"]["count"], *count, "{case}: {err}");
            for (q, s) in all_stats(&h).await {
                assert_eq!(
                    s.ready + s.leased + s.delayed + s.dead_lettered,
                    0,
                    "{case}: something reached {q}"
                );
            }
        }

        // At the cap, each format is accepted: one message per request.
        let at_cap: Vec<(SourcePlatform, &str, Vec<u8>)> = vec![
            (Salesforce, "text/xml", outbound(5, 100).into_bytes()),
            (Salesforce, "application/json", serde_json::to_vec(&cdc_event(5, 1)).unwrap()),
            (KaseyaBms, "application/json", kaseya(5)),
            (Servicenow, "application/json", servicenow(5)),
        ];
        for (i, (platform, ct, body)) in at_cap.iter().enumerate() {
            let (status, resp) = h.post(*platform, ct, body).await;
            assert!((200..300).contains(&status), "{platform:?}: {status} {resp}");
            assert_eq!(h.depth(queues::RAW).await, i as u64 + 1);
        }
        h.shutdown();
    })
    .await
    .expect("the test ran past its deadline");
}

/// A queue that lets `allow` messages onto `ticket-normalized`, then hangs
/// every further enqueue there (the process is about to die mid-split).
struct HangAfter {
    inner: Arc<dyn Queue>,
    allow: AtomicUsize,
}

#[async_trait]
impl Queue for HangAfter {
    async fn enqueue(&self, queue: &str, msg: Message) -> omega_queue::Result<EnqueueOutcome> {
        if queue == queues::NORMALIZED
            && self
                .allow
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_err()
        {
            std::future::pending::<()>().await;
        }
        self.inner.enqueue(queue, msg).await
    }
    async fn lease(
        &self,
        queue: &str,
        consumer: &str,
        max: usize,
        lease: Duration,
    ) -> omega_queue::Result<Vec<Lease>> {
        self.inner.lease(queue, consumer, max, lease).await
    }
    async fn extend_lease(&self, lease: &Lease, d: Duration) -> omega_queue::Result<Lease> {
        self.inner.extend_lease(lease, d).await
    }
    async fn ack(&self, lease: &Lease) -> omega_queue::Result<()> {
        self.inner.ack(lease).await
    }
    async fn nack(&self, lease: &Lease, reason: &str) -> omega_queue::Result<NackOutcome> {
        self.inner.nack(lease, reason).await
    }
    async fn depth(&self, queue: &str) -> omega_queue::Result<QueueStats> {
        self.inner.depth(queue).await
    }
    async fn mark_done(&self, queue: &str, tenant: &str, id: &str) -> omega_queue::Result<()> {
        self.inner.mark_done(queue, tenant, id).await
    }
    async fn is_done(&self, queue: &str, tenant: &str, id: &str) -> omega_queue::Result<bool> {
        self.inner.is_done(queue, tenant, id).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_and_during_the_split_loses_nothing_and_duplicates_nothing() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let body = outbound(100, 2_000);
        // 1. The request is acknowledged; the process dies before any worker ran.
        {
            let h = Harness::open(dir.path(), big_config(), TeamsConfig::default()).await;
            let (status, _) = h
                .post(SourcePlatform::Salesforce, "text/xml", body.as_bytes())
                .await;
            assert_eq!(status, 200);
            h.shutdown();
        }
        // 2. Restarted: the request is there; the normalizer forwards 40 of its
        //    items, then the process dies mid-split (no ack, no nack).
        {
            let h = Harness::open_wrapped(dir.path(), big_config(), TeamsConfig::default(), |q| {
                Arc::new(HangAfter {
                    inner: q,
                    allow: AtomicUsize::new(40),
                })
            })
            .await;
            assert_eq!(
                h.depth(queues::RAW).await,
                1,
                "the acknowledged request was lost"
            );
            let lease = h
                .pipeline
                .queue()
                .lease(queues::RAW, "normalizer-doomed", 1, Duration::from_secs(60))
                .await
                .unwrap()
                .pop()
                .expect("the request is ready");
            let pipeline = h.pipeline.clone();
            let split =
                tokio::spawn(async move { pipeline.process(Stage::Normalize, &lease).await });
            let deadline = Instant::now() + Duration::from_secs(30);
            while h.depth(queues::NORMALIZED).await < 40 {
                assert!(Instant::now() < deadline, "the split never got going");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert_eq!(h.depth(queues::NORMALIZED).await, 40);
            assert!(!split.is_finished(), "the split should be stuck mid-way");
            split.abort();
            let _ = split.await;
            h.shutdown();
        }
        // 3. Restarted again: the request is redelivered, the split resumes,
        //    and every item is triaged and published exactly once.
        let h = Harness::open(dir.path(), big_config(), TeamsConfig::default()).await;
        assert_eq!(
            h.depth(queues::RAW).await,
            1,
            "the half-split request was lost"
        );
        assert_eq!(h.depth(queues::NORMALIZED).await, 40);
        let running = h.pipeline.start(&h.cancel);
        assert_all_triaged_once(&h, 100).await;
        running.stop().await;
        h.shutdown();
    })
    .await
    .expect("the test ran past its deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_item_is_dead_lettered_by_name_and_the_good_ones_go_on() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let h = Harness::open(dir.path(), big_config(), TeamsConfig::default()).await;
        // A stored request whose third item no longer normalizes (say, written
        // before a validation rule changed): no Subject.
        let subject = format!("<sf:Subject>{} #2</sf:Subject>", TEXTS[2].0);
        let body = outbound(3, 100).replace(&subject, "");
        assert!(!body.contains(&subject));
        let raw = RawMessage {
            platform: SourcePlatform::Salesforce,
            tenant: acme(),
            content_type: Some("text/xml".into()),
            delivery_ids: (0..3).map(|i| ids(i).0).collect(),
            delivery_id: None,
            body: body.clone(),
            body_base64: false,
            received_at: chrono::Utc::now(),
        };
        let msg = Message::new(
            "salesforce:bad-item",
            TENANT,
            serde_json::to_value(&raw).unwrap(),
        );
        h.queue.enqueue(queues::RAW, msg).await.unwrap();
        let running = h.pipeline.start(&h.cancel);
        for i in 0..2 {
            h.wait_result(&ticket_id(i), Duration::from_secs(60)).await;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while h.queue.depth(queues::RAW).await.unwrap().dead_lettered == 0 {
            assert!(
                Instant::now() < deadline,
                "the request never reached the DLQ"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        running.stop().await;
        let dead = h
            .queue
            .lease(
                &omega_queue::dlq_name(queues::RAW),
                "inspector",
                10,
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        assert_eq!(dead.len(), 1);
        let failures = &dead[0].message.failures;
        assert_eq!(failures.len(), 3, "{failures:?}");
        let bad = ids(2).0;
        assert!(
            failures
                .iter()
                .all(|f| f.contains(&bad) && f.contains("Subject") && f.contains("1 of 3")),
            "{failures:?}"
        );
        // Retries forwarded nothing twice: two tickets, each published once.
        assert_eq!(
            h.depth(queues::AUTO_ACTION).await + h.depth(queues::NEEDS_REVIEW).await,
            2
        );
        assert!(
            h.pipeline
                .triage_result(&acme(), &ticket_id(2))
                .await
                .unwrap()
                .is_none()
        );
        h.shutdown();
    })
    .await
    .expect("the test ran past its deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_item_messages_of_the_previous_release_are_still_processed() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let h = Harness::open(dir.path(), big_config(), TeamsConfig::default()).await;
        // The old layout: one message per item, each with the whole body.
        // Only items 0 and 1 still wait on the queue (item 2 was done).
        let body = outbound(3, 100);
        for i in 0..2 {
            let (nid, _) = ids(i);
            let old = json!({
                "platform": "salesforce",
                "tenant": TENANT,
                "contentType": "text/xml",
                "deliveryId": nid,
                "body": body,
                "receivedAt": "2024-03-01T10:15:00Z"
            });
            let msg = Message::new(format!("salesforce:{nid}"), TENANT, old);
            h.queue.enqueue(queues::RAW, msg).await.unwrap();
        }
        let running = h.pipeline.start(&h.cancel);
        assert_all_triaged_once(&h, 2).await;
        running.stop().await;
        // Each message stood for its own item only.
        assert!(
            h.pipeline
                .triage_result(&acme(), &ticket_id(2))
                .await
                .unwrap()
                .is_none()
        );
        h.shutdown();
    })
    .await
    .expect("the test ran past its deadline");
}
