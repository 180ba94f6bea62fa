//! Shadow agents with the real context server: corrections teach the
//! classifier, patterns land in long-term memory, the next ticket gets help;
//! the shadow team scales from zero with the activity queue.

use std::sync::Arc;

use serde_json::json;

use crate::{Harness, context_server, eventually, review_ticket, tenant};
use omega_client::{ContextClient, McpClient};
use omega_dashboard::{ContextMemory, LearningMemory, TeamTimings, queues};

#[tokio::test]
async fn shadow_agent_learns_from_corrections_and_assists_on_the_next_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let ctx = context_server(dir.path(), &cancel).await;
    let mcp = McpClient::connect(&format!("{ctx}/mcp")).await.unwrap();
    let memory = Arc::new(ContextMemory::new(ContextClient::new(mcp, tenant("acme"))));
    let h = Harness::with_memory(memory.clone()).await;
    let text = "vpn token expired cannot connect remote access";
    let before = h.model.read().unwrap().predict(text).scores.clone();
    let p_before = before.iter().find(|(l, _)| l == "Access").unwrap().1;

    let timings = TeamTimings {
        polling_interval_ms: Some(50),
        cooldown_ms: Some(300),
        scale_down_window_ms: Some(0),
    };
    let running = h.dash.start(
        None,
        &omega_config::TeamsConfig::default(),
        &timings,
        &h.cancel,
    );

    let alice = h.token("alice", &["acme"]);
    let board = h.dash.board();
    board
        .ingest(review_ticket(
            "acme",
            "zendesk:10",
            "Hardware",
            "VPN token expired",
            text,
        ))
        .await
        .unwrap();
    let (s, v) = h
        .req(
            "POST",
            "/dashboard/api/tickets/acme/zendesk:10/actions",
            Some(&alice),
            Some(json!({"version": 1, "action": {"type": "changeCategory", "category": "Access"}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = h.req("POST", "/dashboard/api/tickets/acme/zendesk:10/actions", Some(&alice),
        Some(json!({"version": 2, "action": {"type": "pickAction", "index": 1, "description": "Reissue the VPN token and confirm."}}))).await;
    assert_eq!(s, 200);

    // The shadow team scales up, the agent sees both events.
    let stats = eventually(|| async {
        let (_, v) = h
            .req("GET", "/dashboard/api/shadow", Some(&alice), None)
            .await;
        (v["agent"]["observed"] == 2).then_some(v)
    })
    .await;
    assert_eq!(stats["agent"]["categoryCorrected"], 1);
    assert_eq!(stats["agent"]["classifierUpdates"], 1);
    assert_eq!(stats["agent"]["patternsStored"], 2);
    assert_eq!(stats["classifierUpdates"], 1);
    // The classifier moved towards the correction.
    let after = h.model.read().unwrap().predict(text).scores.clone();
    let p_after = after.iter().find(|(l, _)| l == "Access").unwrap().1;
    assert!(p_after > p_before, "{p_before} -> {p_after}");
    // The pattern is in the context server's long-term memory.
    let hits = memory.search(&tenant("acme"), text, 5).await.unwrap();
    assert!(
        hits.iter()
            .any(|h| h.metadata["kind"] == "correction" && h.metadata["to"] == "Access"),
        "{hits:?}"
    );
    // And not in another tenant's.
    let other = memory.search(&tenant("globex"), text, 5).await.unwrap();
    assert!(other.is_empty());

    // The next similar ticket: habit and the similar corrected ticket are offered.
    board
        .ingest(review_ticket(
            "acme",
            "zendesk:11",
            "Access",
            "VPN token expired again",
            "vpn token expired remote access fails",
        ))
        .await
        .unwrap();
    let (s, v) = h
        .req(
            "GET",
            "/dashboard/api/tickets/acme/zendesk:11",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let a = &v["assistance"];
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("Reissue the VPN token"),
        "{a}"
    );
    assert_eq!(a["correctedSimilar"][0]["ticketId"], "zendesk:10");
    assert_eq!(a["correctedSimilar"][0]["to"], "Access");

    // The team scales back to zero once the queue is empty past the cooldown.
    eventually(|| async { (h.dash.capacity().replicas("shadow") == 0).then_some(()) }).await;
    let series = omega_dashboard::CapacitySource::series(h.dash.capacity());
    assert!(series["shadow"].iter().any(|(_, n)| *n >= 1), "{series:?}");
    assert_eq!(series["shadow"].last().map(|p| p.1), Some(0), "{series:?}");
    assert_eq!(
        h.queue
            .depth(queues::EMPLOYEE_ACTIVITY)
            .await
            .unwrap()
            .ready,
        0
    );
    running.stop().await;
    cancel.cancel();
}
