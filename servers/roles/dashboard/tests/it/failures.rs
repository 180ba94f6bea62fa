//! The failure cases: missing or expired tokens, another tenant's ticket,
//! two employees changing the same ticket at once.

use serde_json::json;

use crate::{Harness, review_ticket, tenant};
use omega_dashboard::{Employee, TICKETS};
use omega_store::Scope;

#[tokio::test]
async fn missing_expired_or_forged_tokens_get_401_and_no_data() {
    let h = Harness::new().await;
    h.dash
        .board()
        .ingest(review_ticket(
            "acme",
            "zendesk:1",
            "Hardware",
            "Secret title",
            "x",
        ))
        .await
        .unwrap();
    let expired = h.tokens.issue_until(
        &Employee {
            id: "alice".into(),
            tenants: vec![tenant("acme")],
        },
        chrono::Utc::now() - chrono::Duration::seconds(1),
    );
    for path in [
        "/dashboard/api/tickets",
        "/dashboard/api/me",
        "/dashboard/api/events",
        "/dashboard/api/ops",
        "/dashboard/api/shadow",
        "/dashboard/api/analytics?tenant=acme",
        "/dashboard/api/tickets/acme/zendesk:1",
    ] {
        let (s, v) = h.req("GET", path, None, None).await;
        assert_eq!(s, 401, "{path}");
        assert_eq!(v["error"]["data"]["extra"]["reason"], "missing");
        assert!(!v.to_string().contains("Secret title"));
        let (s, v) = h.req("GET", path, Some(&expired), None).await;
        assert_eq!(s, 401, "{path}");
        assert_eq!(v["error"]["data"]["name"], "unauthenticated");
        assert_eq!(v["error"]["data"]["extra"]["reason"], "expired");
        let (s, _) = h.req("GET", path, Some("v1.e30.AAAA"), None).await;
        assert_eq!(s, 401, "{path}");
    }
    let (s, _) = h
        .req(
            "POST",
            "/dashboard/api/tickets/acme/zendesk:1/actions",
            Some(&expired),
            Some(json!({"version": 1, "action": {"type": "accept"}})),
        )
        .await;
    assert_eq!(s, 401);
    let (s, v) = h
        .req(
            "POST",
            "/dashboard/api/session",
            None,
            Some(json!({"token": expired})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), &v["error"]["data"]["extra"]["reason"]),
        (401, &json!("expired"))
    );
    // The page served without a session is the sign-in form only.
    let (s, _) = h.req("GET", "/dashboard/app.js", None, None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn acting_on_another_tenants_ticket_is_refused() {
    let h = Harness::new().await;
    h.dash
        .board()
        .ingest(review_ticket(
            "globex",
            "zendesk:7",
            "Hardware",
            "Globex ticket",
            "x",
        ))
        .await
        .unwrap();
    let alice = h.token("alice", &["acme"]);
    let (s, v) = h
        .req(
            "POST",
            "/dashboard/api/tickets/globex/zendesk:7/actions",
            Some(&alice),
            Some(json!({"version": 1, "action": {"type": "changeCategory", "category": "Access"}})),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["data"]["name"], "tenant_forbidden");
    let (s, _) = h
        .req(
            "GET",
            "/dashboard/api/tickets/globex/zendesk:7",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = h
        .req(
            "GET",
            "/dashboard/api/tickets?tenant=globex",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = h
        .req(
            "GET",
            "/dashboard/api/analytics?tenant=globex",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (_, v) = h
        .req("GET", "/dashboard/api/tickets", Some(&alice), None)
        .await;
    assert!(v["items"].as_array().unwrap().is_empty(), "{v}");
    // Nothing changed.
    let doc = h
        .dash
        .store()
        .get_doc(&Scope::Tenant(tenant("globex")), TICKETS, "zendesk:7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["triage"]["category"]["value"], "Hardware");
}

#[tokio::test]
async fn concurrent_changes_one_wins_the_other_gets_409_with_the_current_ticket() {
    let h = Harness::new().await;
    h.dash
        .board()
        .ingest(review_ticket(
            "acme",
            "zendesk:3",
            "Hardware",
            "Printer",
            "x",
        ))
        .await
        .unwrap();
    let alice = h.token("alice", &["acme"]);
    let bob = h.token("bob", &["acme"]);
    let path = "/dashboard/api/tickets/acme/zendesk:3/actions";
    // Both saw version 1 and submit at the same time.
    let (a, b) = tokio::join!(
        h.req(
            "POST",
            path,
            Some(&alice),
            Some(json!({"version": 1, "action": {"type": "changeCategory", "category": "Access"}}))
        ),
        h.req(
            "POST",
            path,
            Some(&bob),
            Some(
                json!({"version": 1, "action": {"type": "changeCategory", "category": "Storage"}})
            )
        ),
    );
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let (winner, loser) = if a.0 == 200 { (&a, &b) } else { (&b, &a) };
    let current = &loser.1["error"]["data"]["extra"]["current"];
    assert_eq!(loser.1["error"]["data"]["name"], "conflict");
    assert_eq!(current["version"], 2);
    assert_eq!(
        current["triage"]["category"],
        winner.1["item"]["triage"]["category"]
    );
    // The loser retries on the current version: applied, and both changes are in the history.
    let retry_cat = if a.0 == 200 { "Storage" } else { "Access" };
    let (s, v) = h
        .req(
            "POST",
            path,
            Some(if a.0 == 200 { &bob } else { &alice }),
            Some(
                json!({"version": 2, "action": {"type": "changeCategory", "category": retry_cat}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["item"]["version"], 3);
    assert_eq!(v["item"]["history"].as_array().unwrap().len(), 2);
    // A stale version never overwrites.
    let (s, _) = h
        .req(
            "POST",
            path,
            Some(&alice),
            Some(json!({"version": 1, "action": {"type": "accept"}})),
        )
        .await;
    assert_eq!(s, 409);
}
