//! In-process cost of one context `session_get` through the tool set (no
//! HTTP): tenant check, argument parsing, the embedded store read, result
//! encoding. `cargo run --release -p omega-bench --example handler_cost`

use std::sync::Arc;
use std::time::Instant;

use omega_context::{ContextState, Embedder, tool_set};
use omega_protocol::TenantId;
use omega_stack::{Caller, TenantPolicy};
use omega_store::{EmbeddedStore, KvStore, Scope};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("omega-handler-cost-{}", std::process::id()));
    let store = EmbeddedStore::open(&dir)?;
    let acme = TenantId::parse("acme").map_err(|e| anyhow::anyhow!(e.message))?;
    store
        .put(
            &Scope::Tenant(acme.clone()),
            "session",
            "bench",
            br#"{"turn":1}"#,
            None,
        )
        .await?;
    let state = Arc::new(ContextState {
        kv: Arc::new(store.clone()),
        vectors: Arc::new(store.clone()),
        max_value_bytes: 1 << 20,
        embedder: Embedder,
    });
    let tools = tool_set(state, TenantPolicy::new([acme.clone()]));
    let args = serde_json::json!({"tenant": "acme", "sessionId": "bench"});
    let n = 200_000;
    let started = Instant::now();
    for _ in 0..n {
        let out = tools
            .call(
                Caller::anonymous(),
                "session_get",
                args.as_object().cloned(),
            )
            .await;
        assert!(matches!(out, Some(Ok(_))));
    }
    println!(
        "tool set session_get: {:.2} us per call",
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let scope = Scope::Tenant(acme);
    let started = Instant::now();
    for _ in 0..n {
        store.get(&scope, "session", "bench").await?;
    }
    println!(
        "embedded store get alone: {:.2} us per call",
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
