//! The review flow over the JSON API.

use serde_json::json;

use crate::{Harness, review_ticket, tenant};
use omega_dashboard::{TICKETS, queues};
use omega_store::Scope;

#[tokio::test]
async fn review_flow_updates_the_store_and_records_activity() {
    let h = Harness::new().await;
    let alice = h.token("alice", &["acme"]);
    h.dash
        .board()
        .ingest(review_ticket(
            "acme",
            "zendesk:1",
            "Hardware",
            "Cannot log in",
            "password reset needed, account locked",
        ))
        .await
        .unwrap();
    // The page itself is public (it shows the sign-in form).
    let (s, _) = h.req("GET", "/dashboard", None, None).await;
    assert_eq!(s, 200);
    let (s, v) = h
        .req(
            "GET",
            "/dashboard/api/tickets?status=open",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["version"], 1);
    assert!(
        v["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Access")
    );
    // Filters.
    let (_, v) = h
        .req(
            "GET",
            "/dashboard/api/tickets?priority=P1",
            Some(&alice),
            None,
        )
        .await;
    assert!(v["items"].as_array().unwrap().is_empty());
    let (_, v) = h
        .req(
            "GET",
            "/dashboard/api/tickets?category=Hardware&tenant=acme",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (s, v) = h
        .req(
            "GET",
            "/dashboard/api/tickets?status=bogus",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["data"]["field"].as_str()),
        (400, Some("status"))
    );

    let path = "/dashboard/api/tickets/acme/zendesk:1/actions";
    let (s, v) = h
        .req(
            "POST",
            path,
            Some(&alice),
            Some(json!({"version": 1, "action": {"type": "changeCategory", "category": "Access"}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["item"]["version"], 2);
    assert_eq!(v["item"]["status"], "reviewed");
    assert_eq!(v["item"]["triage"]["decidedBy"]["kind"], "employee");
    let (s, v) = h.req("POST", path, Some(&alice), Some(json!({"version": 2, "action": {"type": "pickAction", "index": 1, "description": "Ask for the exact error text, contact me at bob@example.com"}}))).await;
    assert_eq!(s, 200, "{v}");
    let chosen = v["item"]["chosenAction"]["description"].as_str().unwrap();
    assert!(
        !chosen.contains("bob@example.com"),
        "edited descriptions are redacted: {chosen}"
    );
    let (s, v) = h
        .req(
            "POST",
            path,
            Some(&alice),
            Some(json!({"version": 3, "action": {"type": "pickAction", "index": 7}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["data"]["field"].as_str()),
        (400, Some("action.index"))
    );
    let (s, v) = h.req("POST", path, Some(&alice), Some(json!({"version": 3, "action": {"type": "resolve", "note": "Reset the password; called +1 555 123 4567"}}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["item"]["status"], "resolved");
    assert!(
        !v["item"]["resolution"]
            .as_str()
            .unwrap()
            .contains("555 123 4567")
    );

    // The store has the change.
    let doc = h
        .dash
        .store()
        .get_doc(&Scope::Tenant(tenant("acme")), TICKETS, "zendesk:1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(doc["triage"]["category"]["value"], "Access");
    assert_eq!(doc["version"], 4);
    assert_eq!(doc["history"].as_array().unwrap().len(), 3);
    // Three activity events are queued for the shadow team.
    let d = h.queue.depth(queues::EMPLOYEE_ACTIVITY).await.unwrap();
    assert_eq!(d.ready, 3);

    // Analytics over the JSON route.
    let (s, v) = h
        .req(
            "GET",
            "/dashboard/api/analytics?tenant=acme",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 1);
    assert_eq!(v["byStatus"]["resolved"], 1);
    assert_eq!(v["agreement"]["categoryRate"], 0.0);
    // Operations view: an employee of one tenant sees that tenant's
    // accuracy, never the deployment's shared queues.
    let (s, v) = h.req("GET", "/dashboard/api/ops", Some(&alice), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["queues"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(v["accuracy"][0]["decided"], 1);
    // An employee of every tenant (an operator) sees the whole deployment.
    let ops = h.token("ops", &["acme", "globex"]);
    let (s, v) = h.req("GET", "/dashboard/api/ops", Some(&ops), None).await;
    assert_eq!(s, 200, "{v}");
    let q = v["queues"].as_array().unwrap();
    let act = q.iter().find(|q| q["name"] == "employee-activity").unwrap();
    assert_eq!(act["stats"]["ready"], 3);
    assert_eq!(v["accuracy"][0]["decided"], 1);
    assert_eq!(v["throughput"]["received"][0][1], 1);
}

#[tokio::test]
async fn analytics_report_is_an_mcp_tool() {
    let h = Harness::new().await;
    h.dash
        .board()
        .ingest(review_ticket(
            "acme",
            "zendesk:9",
            "Storage",
            "Quota",
            "disk quota full",
        ))
        .await
        .unwrap();
    let url = h.serve().await;
    let mcp = omega_client::McpClient::connect(&format!("{url}/mcp"))
        .await
        .unwrap();
    let tools = mcp.list_tools().await.unwrap();
    assert!(tools.iter().any(|t| t["name"] == "analytics_report"));
    let out = mcp
        .call_tool("analytics_report", json!({"tenant": "acme"}))
        .await
        .unwrap();
    assert_eq!(out["total"], 1);
    assert_eq!(out["byCategory"]["Storage"], 1);
    let err = mcp
        .call_tool("analytics_report", json!({"tenant": "initech"}))
        .await;
    assert!(err.is_err(), "an unconfigured tenant is refused");
}
