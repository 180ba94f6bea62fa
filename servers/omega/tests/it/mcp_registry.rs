use omega::role::RoleId as Role;
use omega_client::{McpRegistryClient, McpVersion};
use omega_protocol::{ErrorCode, McpServerRecord};
use serde_json::{Value, json};

use crate::harness::{Harness, VERSIONS, get_json};

fn record(name: &str, version: &str) -> Value {
    json!({
        "name": name,
        "description": "Ticket tools for MSP technicians",
        "version": version,
        "packages": [{
            "registryType": "npm",
            "identifier": "@acme/ticket-tools",
            "version": version,
            "transport": {"type": "stdio"}
        }],
        "remotes": [{"type": "streamable-http", "url": "https://tools.acme.example/mcp"}]
    })
}

#[tokio::test]
async fn publish_get_list_search_and_status_in_both_versions() {
    let h = Harness::start().await;
    for version in VERSIONS {
        let mcp = h.client(Role::McpRegistry, version).await;
        let reg = McpRegistryClient::new(mcp.clone());
        let name = format!("io.github.acme/tickets-{}", version.as_str());
        for v in ["1.0.0", "1.10.0", "1.9.0"] {
            let rec: McpServerRecord = serde_json::from_value(record(&name, v)).unwrap();
            reg.publish(&rec).await.unwrap();
        }
        // Latest is the highest semantic version, not the last published.
        let latest = reg.get(&name, None).await.unwrap();
        assert_eq!(latest.server.version, "1.10.0");
        assert!(latest.meta.official.as_ref().unwrap().is_latest);
        let old = reg.get(&name, Some("1.0.0")).await.unwrap();
        assert!(!old.meta.official.unwrap().is_latest);
        let err = reg.get(&name, Some("7.0.0")).await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::NOT_FOUND));

        let page = mcp
            .call_tool(
                "mcp_server_list",
                json!({"search": name, "version": "latest"}),
            )
            .await
            .unwrap();
        assert_eq!(page["metadata"]["count"], 1);
        let hits = mcp
            .call_tool("mcp_server_search", json!({"query": "ticket technicians"}))
            .await
            .unwrap();
        assert!(hits["servers"].as_array().unwrap().len() >= 3);
        let changed = mcp
            .call_tool(
                "mcp_server_set_status",
                json!({"name": name, "version": "1.0.0", "status": "deleted"}),
            )
            .await
            .unwrap();
        assert_eq!(
            changed["_meta"]["io.modelcontextprotocol.registry/official"]["status"],
            "deleted"
        );
        let page = mcp
            .call_tool("mcp_server_list", json!({"search": name}))
            .await
            .unwrap();
        assert_eq!(page["metadata"]["count"], 2, "deleted versions are hidden");
    }
}

#[tokio::test]
async fn bad_records_and_duplicates_are_refused() {
    let h = Harness::start().await;
    let mcp = h.client(Role::McpRegistry, McpVersion::V2026_07_28).await;
    mcp.call_tool(
        "mcp_server_publish",
        json!({"server": record("io.github.acme/dup", "1.0.0")}),
    )
    .await
    .unwrap();
    let err = mcp
        .call_tool(
            "mcp_server_publish",
            json!({"server": record("io.github.acme/dup", "1.0.0")}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ALREADY_EXISTS));
    for (bad, field) in [
        (record("no-namespace", "1.0.0"), "server.name"),
        (record("io.github.acme/range", "^1.0"), "server.version"),
    ] {
        match mcp
            .call_tool("mcp_server_publish", json!({"server": bad}))
            .await
            .unwrap_err()
        {
            omega_client::ClientError::Server(e) => {
                assert_eq!(e.code, ErrorCode::SCHEMA_VIOLATION, "{e}");
                assert_eq!(e.data.field.as_deref(), Some(field), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    let mut long = record("io.github.acme/long", "1.0.0");
    long["description"] = json!("d".repeat(101));
    let err = mcp
        .call_tool("mcp_server_publish", json!({"server": long}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::SCHEMA_VIOLATION));
    let mut unknown_field = record("io.github.acme/extra", "1.0.0");
    unknown_field["homepage"] = json!("https://x.example");
    let err = mcp
        .call_tool("mcp_server_publish", json!({"server": unknown_field}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::INVALID_PARAMS));
}

#[tokio::test]
async fn official_rest_read_api() {
    let h = Harness::start().await;
    let mcp = h.client(Role::McpRegistry, McpVersion::V2026_07_28).await;
    for i in 0..5 {
        mcp.call_tool(
            "mcp_server_publish",
            json!({"server": record(&format!("io.github.rest/s{i}"), "1.0.0")}),
        )
        .await
        .unwrap();
    }
    mcp.call_tool(
        "mcp_server_publish",
        json!({"server": record("io.github.rest/s0", "2.0.0")}),
    )
    .await
    .unwrap();
    let base = h.base(Role::McpRegistry);

    // Cursor paging walks every entry exactly once.
    let mut seen = Vec::new();
    let mut url = format!("{base}/v0.1/servers?limit=2");
    loop {
        let (status, page) = get_json(&url).await;
        assert_eq!(status, 200, "{page}");
        for s in page["servers"].as_array().unwrap() {
            seen.push(format!(
                "{}@{}",
                s["server"]["name"].as_str().unwrap(),
                s["server"]["version"].as_str().unwrap()
            ));
        }
        match page["metadata"]["nextCursor"].as_str() {
            Some(c) => {
                url = format!(
                    "{base}/v0.1/servers?limit=2&cursor={}",
                    c.replace('/', "%2F").replace('@', "%40")
                )
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
    let (_, latest) = get_json(&format!(
        "{base}/v0.1/servers?version=latest&search=rest/s0"
    ))
    .await;
    assert_eq!(latest["servers"][0]["server"]["version"], "2.0.0");
    let (_, none) = get_json(&format!(
        "{base}/v0.1/servers?updated_since=2999-01-01T00:00:00Z"
    ))
    .await;
    assert_eq!(none["metadata"]["count"], 0);

    let (status, versions) =
        get_json(&format!("{base}/v0.1/servers/io.github.rest%2Fs0/versions")).await;
    assert_eq!(status, 200);
    assert_eq!(versions["servers"].as_array().unwrap().len(), 2);
    let (status, one) = get_json(&format!(
        "{base}/v0.1/servers/io.github.rest%2Fs0/versions/latest"
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(one["server"]["version"], "2.0.0");
    assert_eq!(
        one["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"],
        true
    );
    let (status, missing) = get_json(&format!(
        "{base}/v0.1/servers/io.github.rest%2Fnope/versions/1.0.0"
    ))
    .await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], ErrorCode::NOT_FOUND.0);
    let (status, bad) = get_json(&format!("{base}/v0.1/servers?limit=1000")).await;
    assert_eq!(status, 400);
    assert_eq!(bad["error"]["data"]["field"], "limit");
    let (status, _) = get_json(&format!("{base}/v0.1/servers?colour=red")).await;
    assert_eq!(status, 400);
}
