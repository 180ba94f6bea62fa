//! The MCP gateway: aggregation, names, filtering, forwarding, upstreams
//! going away.

use std::time::Duration;

use omega_client::ClientError;
use omega_protocol::ErrorCode;
use serde_json::json;

use crate::support::{TestAgent, World};

async fn names(client: &omega_client::McpClient) -> Vec<String> {
    client
        .list_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn aggregates_filters_forwards_and_drops_dead_upstreams() {
    let w = World::start().await;
    let a = TestAgent::start("a").await;
    let b = TestAgent::start("b").await;
    let c = TestAgent::start("c").await;
    // a and b share the short name `tools`: both get their full names.
    w.publish("io.github.acme/tools", &[&a.url], None).await;
    w.publish("io.omega.test/tools", &[&b.url], None).await;
    w.publish("io.omega.test/weather", &[&c.url], Some(&["globex"]))
        .await;
    assert_eq!(w.state.refresh_catalog().await.unwrap(), 9);

    let admin = w.gateway(None).await;
    let all = names(&admin).await;
    assert_eq!(
        all,
        [
            "io.github.acme.tools__echo",
            "io.github.acme.tools__fail",
            "io.github.acme.tools__whoami",
            "io.omega.test.tools__echo",
            "io.omega.test.tools__fail",
            "io.omega.test.tools__whoami",
            "weather__echo",
            "weather__fail",
            "weather__whoami",
        ]
    );
    // The acme user: no globex-only server, no whoami (authorizer).
    let acme = w.gateway(Some("acme")).await;
    let theirs = names(&acme).await;
    assert_eq!(
        theirs,
        [
            "io.github.acme.tools__echo",
            "io.github.acme.tools__fail",
            "io.omega.test.tools__echo",
            "io.omega.test.tools__fail",
        ]
    );
    // Hidden tools cannot be called, and look like tools that do not exist.
    for hidden in [
        "weather__echo",
        "io.github.acme.tools__whoami",
        "nope__nope",
    ] {
        let err = acme
            .call_tool(hidden, json!({"text": "x"}))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(ErrorCode::INVALID_PARAMS),
            "{hidden}: {err:?}"
        );
    }
    // A tenant argument the caller may not act for.
    let err = acme
        .call_tool(
            "io.github.acme.tools__echo",
            json!({"text": "x", "tenant": "globex"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::TENANT_FORBIDDEN));
    // Forwarding, with the upstream's own errors passed on.
    let out = acme
        .call_tool("io.github.acme.tools__echo", json!({"text": "hello"}))
        .await
        .unwrap();
    assert_eq!(out, json!({"text": "hello", "from": "a"}));
    let out = admin
        .call_tool("io.omega.test.tools__whoami", json!({}))
        .await
        .unwrap();
    assert_eq!(out["from"], "b");
    let err = admin
        .call_tool("weather__fail", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::NOT_FOUND));
    let err = admin
        .call_tool("weather__echo", json!({"txt": "typo"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::INVALID_PARAMS), "{err:?}");

    // b goes away: its call fails, it drops out of the list, the others keep working.
    b.stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = admin
        .call_tool("io.omega.test.tools__whoami", json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Server(ref e) if e.code == ErrorCode::UPSTREAM_FAILED),
        "{err:?}"
    );
    let mut gone = false;
    for _ in 0..40 {
        if !names(&admin)
            .await
            .iter()
            .any(|n| n.starts_with("io.omega.test.tools"))
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the dead upstream is still listed");
    let now = names(&admin).await;
    // With b gone, a's short name is free again.
    assert!(now.contains(&"tools__echo".to_owned()), "{now:?}");
    let out = admin
        .call_tool("tools__echo", json!({"text": "still"}))
        .await
        .unwrap();
    assert_eq!(out["from"], "a");
    let out = admin
        .call_tool("weather__echo", json!({"text": "up"}))
        .await
        .unwrap();
    assert_eq!(out["from"], "c");
}
