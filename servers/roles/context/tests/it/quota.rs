//! The per-tenant storage quota, against a running context server.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use omega_client::{ClientError, McpClient};
use omega_context::{ContextState, Embedder};
use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Limits, McpOptions, TenantPolicy};
use omega_store::EmbeddedStore;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Every test finishes within this, or fails.
const DEADLINE: Duration = Duration::from_secs(60);

/// The quota the tests run with.
const QUOTA: u64 = 100_000;

/// Serves the context role over an embedded store in `dir` with `QUOTA`;
/// returns its MCP URL.
async fn start(dir: &Path, cancel: &CancellationToken) -> String {
    // A server that was just stopped may still hold the file for a moment.
    let mut tries = 0;
    let store = loop {
        match EmbeddedStore::open(dir) {
            Ok(store) => break store,
            Err(e) if tries < 100 => {
                tries += 1;
                tracing::debug!(error = %e, "store still open; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("opening the store: {e}"),
        }
    };
    let state = Arc::new(ContextState {
        kv: Arc::new(store.clone()),
        vectors: Arc::new(store),
        max_value_bytes: 1 << 20,
        embedder: Embedder,
    });
    let policy = TenantPolicy::new(["acme", "globex"].map(|t| TenantId::parse(t).unwrap()));
    let options = McpOptions {
        limits: Limits {
            tenant_quota_bytes: QUOTA,
            ..Limits::default()
        },
        ..McpOptions::default()
    };
    let router = omega_context::app(state, policy, &options, cancel.clone()).into_router();
    let bound = omega_stack::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{}/mcp", bound.addr);
    tokio::spawn(omega_stack::serve(
        bound.listener,
        router,
        cancel.clone(),
        Duration::from_millis(200),
    ));
    url
}

/// A JSON string value of about `n` bytes.
fn blob(n: usize) -> Value {
    json!("x".repeat(n))
}

async fn put(client: &McpClient, id: &str) -> Result<Value, ClientError> {
    client
        .call_tool(
            "session_put",
            json!({"tenant": "acme", "sessionId": id, "value": blob(45_000)}),
        )
        .await
}

fn quota_error(err: ClientError) -> OmegaError {
    match err {
        ClientError::Server(e) if e.code == ErrorCode::QUOTA_EXCEEDED => e,
        other => panic!("expected quota_exceeded, got {other:?}"),
    }
}

#[tokio::test]
async fn writes_over_the_quota_are_refused_and_store_nothing() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let client = McpClient::connect(&start(dir.path(), &cancel).await)
            .await
            .unwrap();
        let put_n = |tenant: &'static str, id: &'static str, n: usize| {
            client.call_tool(
                "session_put",
                json!({"tenant": tenant, "sessionId": id, "value": blob(n)}),
            )
        };
        put_n("acme", "s1", 40_000).await.unwrap();
        put_n("acme", "s2", 40_000).await.unwrap();

        // The third would take acme over 100 000 bytes.
        let err = quota_error(put_n("acme", "s3", 40_000).await.unwrap_err());
        assert!(err.message.contains("tenantQuotaBytes"), "{err:?}");
        let extra = err.data.extra.clone().unwrap();
        assert_eq!(extra["quota"], "tenantQuotaBytes");
        assert_eq!(extra["limitBytes"], QUOTA);
        assert_eq!(err.data.name.as_deref(), Some("quota_exceeded"));
        // Nothing was stored.
        let missing = client
            .call_tool("session_get", json!({"tenant": "acme", "sessionId": "s3"}))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Some(ErrorCode::NOT_FOUND));

        // The same goes for the cache and long-term memory.
        let err = client
            .call_tool(
                "cache_put",
                json!({"tenant": "acme", "key": "big", "value": blob(40_000)}),
            )
            .await
            .unwrap_err();
        quota_error(err);
        let hit = client
            .call_tool("cache_get", json!({"tenant": "acme", "key": "big"}))
            .await
            .unwrap();
        assert_eq!(hit["hit"], false);
        let text = format!("quota probe {}", "word ".repeat(8_000));
        let err = client
            .call_tool(
                "memory_store",
                json!({"tenant": "acme", "id": "m-big", "text": text}),
            )
            .await
            .unwrap_err();
        quota_error(err);
        let found = client
            .call_tool(
                "memory_search",
                json!({"tenant": "acme", "query": "quota probe word", "k": 10}),
            )
            .await
            .unwrap();
        assert_eq!(found["results"], json!([]), "{found}");

        // Small writes still fit; replacing a value with one no larger is
        // always allowed; another tenant has its own quota.
        put_n("acme", "small", 100).await.unwrap();
        put_n("acme", "s1", 40_000).await.unwrap();
        put_n("globex", "s1", 40_000).await.unwrap();
        put_n("globex", "s2", 40_000).await.unwrap();

        // Deleting frees the space.
        let deleted = client
            .call_tool(
                "session_delete",
                json!({"tenant": "acme", "sessionId": "s2"}),
            )
            .await
            .unwrap();
        assert_eq!(deleted["deleted"], true);
        put_n("acme", "s3", 40_000).await.unwrap();
        let stored = client
            .call_tool("session_get", json!({"tenant": "acme", "sessionId": "s3"}))
            .await
            .unwrap();
        assert_eq!(stored["value"], blob(40_000));
        cancel.cancel();
    })
    .await
    .expect("test deadline");
}

#[tokio::test]
async fn expired_entries_free_their_space_and_the_quota_survives_a_restart() {
    tokio::time::timeout(DEADLINE, async {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let client = McpClient::connect(&start(dir.path(), &cancel).await)
            .await
            .unwrap();
        // Two cache entries that expire in two seconds fill most of the quota.
        for key in ["c1", "c2"] {
            client
                .call_tool(
                    "cache_put",
                    json!({"tenant": "acme", "key": key, "value": blob(45_000), "ttlSecs": 2}),
                )
                .await
                .unwrap();
        }
        quota_error(put(&client, "s1").await.unwrap_err());
        // Once they expired, the space is free again.
        tokio::time::sleep(Duration::from_millis(2300)).await;
        put(&client, "s1").await.unwrap();
        put(&client, "s2").await.unwrap();
        quota_error(put(&client, "s3").await.unwrap_err());
        drop(client);
        cancel.cancel();

        // A new server over the same data counts what is stored.
        let cancel = CancellationToken::new();
        let client = McpClient::connect(&start(dir.path(), &cancel).await)
            .await
            .unwrap();
        quota_error(put(&client, "s3").await.unwrap_err());
        let err = client
            .call_tool(
                "ticket_record",
                json!({"tenant": "acme", "ticketId": "t:1", "title": "Printer", "resolution": blob(20_000)}),
            )
            .await
            .unwrap_err();
        quota_error(err);
        let context = client
            .call_tool("ticket_context", json!({"tenant": "acme", "title": "Printer"}))
            .await
            .unwrap();
        assert_eq!(context["similar"], json!([]), "{context}");
        cancel.cancel();
    })
    .await
    .expect("test deadline");
}
