//! End to end: webhook → ticket-raw → normalizer → router → triage team
//! (context server over MCP, classifier) → TriageResult stored → published.

use std::time::Duration;

use omega_config::TeamsConfig;
use omega_ingest::parse;
use omega_pipeline::{DEMO_TENANT, demo_ingest_config, queues, run_demo};
use omega_protocol::{DeciderKind, Priority, SourcePlatform, TenantId, Ticket};

use crate::{Harness, acme, config, fixture, kaseya_ticket};

fn ticket_ids(platform: SourcePlatform, ct: &str, body: &[u8]) -> Vec<String> {
    parse(platform, &acme(), Some(ct), body, &config().ingest)
        .unwrap()
        .iter()
        .map(|d| Ticket::make_id(platform, &d.external_id))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_platform_ends_in_a_stored_triage_result() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open(dir.path(), config(), TeamsConfig::default()).await;
    let running = h.pipeline.start(&h.cancel);
    use SourcePlatform::*;
    let samples = [
        (
            Zendesk,
            "application/json",
            fixture("zendesk/ticket_created_event.json"),
        ),
        (
            Servicenow,
            "application/json",
            fixture("servicenow/incident_push.json"),
        ),
        (
            Salesforce,
            "text/xml",
            fixture("salesforce/outbound_case.xml"),
        ),
        (
            Salesforce,
            "application/json",
            fixture("salesforce/cdc_case_create.json"),
        ),
        (
            KaseyaBms,
            "application/json",
            fixture("kaseya/ticket_created.json"),
        ),
    ];
    let mut ids = Vec::new();
    for (p, ct, body) in &samples {
        let (status, resp) = h.post(*p, ct, body).await;
        assert!((200..300).contains(&status), "{p:?}: {status} {resp}");
        ids.extend(ticket_ids(*p, ct, body));
    }
    assert_eq!(ids.len(), 6);
    for id in &ids {
        let r = h.wait_result(id, Duration::from_secs(20)).await;
        assert_eq!(&r.ticket_id, id);
        assert_eq!(r.tenant, acme());
        assert_eq!(r.decided_by.kind, DeciderKind::LocalModel);
        assert!(r.category.value.is_some(), "{id}: {r:?}");
        assert!(r.priority.value.is_some(), "{id}: {r:?}");
        r.validate().unwrap();
    }
    // The Kaseya ticket is Critical on the platform: P1, escalation first, so a human reviews it.
    let k = h
        .wait_result("kaseya-bms:104211", Duration::from_secs(1))
        .await;
    assert_eq!(k.priority.value, Some(Priority::P1));
    assert_eq!(k.priority.confidence, 1.0);
    if !k.category.abstained {
        assert_eq!(
            k.suggested_actions[0].kind,
            omega_protocol::ActionKind::Escalate
        );
    }
    // Every ticket ends on exactly one of the two output queues.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = h.depth(queues::AUTO_ACTION).await + h.depth(queues::NEEDS_REVIEW).await;
        if out == ids.len() as u64 {
            break;
        }
        assert!(
            out < ids.len() as u64,
            "more published results than tickets: {out}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "only {out} of {} tickets published",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        h.depth(queues::RAW).await + h.depth(queues::TRIAGE).await,
        0
    );

    // A later, similar ticket gets the first one as context from the context server.
    let body = kaseya_ticket(
        104212,
        "Server BACKUP02 failed nightly backup",
        "The nightly backup job failed with VSS writer timed out error, please check and rerun.",
    );
    let (status, _) = h.post(KaseyaBms, "application/json", &body).await;
    assert_eq!(status, 202);
    let r = h
        .wait_result("kaseya-bms:104212", Duration::from_secs(20))
        .await;
    assert!(
        r.similar_tickets
            .iter()
            .any(|s| s.ticket_id == "kaseya-bms:104211"),
        "similar: {:?}",
        r.similar_tickets
    );
    // Requester identities never reach the stored result.
    let stored = serde_json::to_string(&r).unwrap();
    assert!(!stored.contains("@contoso.example"), "{stored}");
    running.stop().await;
    h.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_posts_every_platform_and_prints_each_triage() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = omega_pipeline::PipelineConfig {
        ingest: demo_ingest_config(),
        ..config()
    };
    let h = Harness::open(dir.path(), cfg, TeamsConfig::default()).await;
    let running = h.pipeline.start(&h.cancel);
    let mut out = Vec::new();
    let tenant = TenantId::parse(DEMO_TENANT).unwrap();
    let tickets = run_demo(
        &h.ingest,
        &h.pipeline,
        &tenant,
        Duration::from_secs(30),
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(tickets.len(), 6, "{text}");
    for t in &tickets {
        assert!(t.result.is_some(), "{} has no result:\n{text}", t.ticket_id);
        assert!(text.contains(&t.ticket_id), "{text}");
    }
    for platform in ["zendesk:", "servicenow:", "salesforce:", "kaseya-bms:"] {
        assert!(text.contains(platform), "{platform} missing:\n{text}");
    }
    assert!(text.contains("category"), "{text}");
    running.stop().await;
    h.shutdown();
}
