//! Integration tests of the pipeline: the ingest endpoint's failure cases,
//! end-to-end triage per platform against the real context server, crash and
//! redelivery behaviour, the poison-message path and scaling from zero.

mod crash;
mod delivery;
mod e2e;
#[cfg(unix)]
mod files;
mod ingest;
mod redis;
mod scaling;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use omega_client::McpClient;
use omega_config::TeamsConfig;
use omega_ingest::{IngestConfig, TenantSecrets};
use omega_pipeline::{
    CapacityOverrides, Pipeline, PipelineConfig, PipelineDeps, WebhookClient, load_or_bootstrap,
    open_queue, signed_headers,
};
use omega_protocol::{SourcePlatform, TenantId, TriageResult};
use omega_queue::Queue;
use omega_stack::{McpOptions, TenantPolicy};
use omega_store::{DocStore, Document, EmbeddedStore, Scope, StoreError};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The tenant the tests post for.
pub const TENANT: &str = "acme";

/// [`TENANT`] as an id.
pub fn acme() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

/// The test tenant's webhook secrets.
pub fn secrets() -> TenantSecrets {
    TenantSecrets {
        zendesk_secret: Some("zendesk-test-secret".into()),
        servicenow_secret: Some("sn-test-secret".into()),
        salesforce_org_id: Some("00D5e000000KQ2e".into()),
        salesforce_cdc_secret: Some("cdc-test-secret".into()),
        kaseya_secret: Some("kaseya-test-secret".into()),
        zendesk_field_map: Default::default(),
    }
}

/// Short timings so tests run in seconds.
pub fn config() -> PipelineConfig {
    let mut ingest = IngestConfig::default();
    ingest.tenants.insert(acme(), secrets());
    PipelineConfig {
        ingest,
        max_body_bytes: 64 * 1024,
        lease_ms: 2_000,
        max_attempts: 3,
        backoff_base_ms: 10,
        backoff_max_ms: 50,
        idle_poll_ms: 5,
        capacity: CapacityOverrides {
            polling_interval_ms: Some(50),
            cooldown_ms: Some(300),
            scale_down_window_ms: Some(0),
        },
        ..PipelineConfig::default()
    }
}

/// A result store that counts writes per document, to check "stored once".
#[derive(Clone)]
pub struct CountingStore {
    inner: EmbeddedStore,
    puts: Arc<Mutex<HashMap<String, usize>>>,
}

impl CountingStore {
    /// How many times document `id` was written.
    pub fn puts(&self, id: &str) -> usize {
        self.puts.lock().unwrap().get(id).copied().unwrap_or(0)
    }
}

#[async_trait]
impl DocStore for CountingStore {
    async fn put_doc(
        &self,
        scope: &Scope,
        collection: &str,
        id: &str,
        body: &Value,
        index: &[(&str, String)],
    ) -> Result<(), StoreError> {
        *self.puts.lock().unwrap().entry(id.to_owned()).or_default() += 1;
        self.inner.put_doc(scope, collection, id, body, index).await
    }
    async fn get_doc(&self, s: &Scope, c: &str, id: &str) -> Result<Option<Value>, StoreError> {
        self.inner.get_doc(s, c, id).await
    }
    async fn delete_doc(&self, s: &Scope, c: &str, id: &str) -> Result<bool, StoreError> {
        self.inner.delete_doc(s, c, id).await
    }
    async fn list_docs(
        &self,
        s: &Scope,
        c: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        self.inner.list_docs(s, c, after, limit).await
    }
    async fn find_docs(
        &self,
        s: &Scope,
        c: &str,
        i: &str,
        v: &str,
    ) -> Result<Vec<Document>, StoreError> {
        self.inner.find_docs(s, c, i, v).await
    }
}

/// Opens a store, retrying while a previous (shut down) owner still holds the file.
async fn retry<T, E: std::fmt::Display>(mut f: impl FnMut() -> Result<T, E>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("opening a store: {e}"),
        }
    }
}

/// The real context server on port 0 over an embedded store in `dir`.
pub async fn context_server(dir: &Path, cancel: &CancellationToken) -> String {
    let store = retry(|| EmbeddedStore::open(dir)).await;
    let state = Arc::new(omega_context::ContextState {
        kv: Arc::new(store.clone()),
        vectors: Arc::new(store),
        max_value_bytes: 1 << 20,
        embedder: omega_context::Embedder,
    });
    let policy = TenantPolicy::new([acme(), TenantId::parse("demo").unwrap()]);
    let router =
        omega_context::app(state, policy, &McpOptions::default(), cancel.clone()).into_router();
    serve(router, cancel).await
}

async fn serve(router: axum::Router, cancel: &CancellationToken) -> String {
    let bound = omega_stack::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = bound.addr;
    let c = cancel.clone();
    tokio::spawn(async move {
        omega_stack::serve(bound.listener, router, c, Duration::from_secs(1)).await
    });
    format!("http://{addr}")
}

/// A pipeline over a data directory, its ingest endpoint and the context server.
pub struct Harness {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// Its queue.
    pub queue: Arc<dyn Queue>,
    /// Its result store.
    pub store: CountingStore,
    /// Base URL of the ingest endpoint.
    pub ingest: String,
    /// Stops the servers and workers.
    pub cancel: CancellationToken,
    /// Posts webhooks.
    pub client: WebhookClient,
}

impl Harness {
    /// Opens the pipeline in `dir` (queue in `dir/queue`, context and results in
    /// `dir/context` and `dir/results`) and serves its ingest endpoint.
    pub async fn open(dir: &Path, cfg: PipelineConfig, teams: TeamsConfig) -> Self {
        Self::open_wrapped(dir, cfg, teams, |q| q).await
    }

    /// [`Harness::open`] with the pipeline's queue wrapped by `wrap` (to
    /// inject failures); [`Harness::queue`] stays the unwrapped queue.
    pub async fn open_wrapped(
        dir: &Path,
        cfg: PipelineConfig,
        teams: TeamsConfig,
        wrap: impl FnOnce(Arc<dyn Queue>) -> Arc<dyn Queue>,
    ) -> Self {
        let cancel = CancellationToken::new();
        let ctx_dir = dir.join("context");
        std::fs::create_dir_all(&ctx_dir).unwrap();
        let ctx_url = context_server(&ctx_dir, &cancel).await;
        let mcp = McpClient::connect(&format!("{ctx_url}/mcp")).await.unwrap();
        let res_dir = dir.join("results");
        std::fs::create_dir_all(&res_dir).unwrap();
        let store = CountingStore {
            inner: retry(|| EmbeddedStore::open(&res_dir)).await,
            puts: Default::default(),
        };
        let queue = {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match open_queue(&cfg, &teams, dir).await {
                    Ok(q) => break q,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("opening the queue: {e}"),
                }
            }
        };
        let (classifier, _) = load_or_bootstrap(dir).unwrap();
        let pipeline = Pipeline::new(PipelineDeps {
            config: cfg,
            teams,
            queue: wrap(queue.clone()),
            results: Arc::new(store.clone()),
            classifier: std::sync::Arc::new(std::sync::RwLock::new(classifier)),
            context: Some(Arc::new(mcp)),
            orchestrator: None,
            pseudonym_secret: b"test pseudonym secret, 32 bytes or more".to_vec(),
        })
        .unwrap();
        let ingest = serve(pipeline.ingest_app().into_router(), &cancel).await;
        Self {
            pipeline,
            queue,
            store,
            ingest,
            cancel,
            client: WebhookClient::default(),
        }
    }

    /// Posts `body` for `platform`, signed correctly.
    pub async fn post(
        &self,
        platform: SourcePlatform,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let headers = signed_headers(platform, &secrets(), body, chrono::Utc::now());
        self.post_with(
            platform.as_str(),
            TENANT,
            Some(content_type),
            &headers,
            body,
        )
        .await
    }

    /// Posts anything; returns the status and the body as JSON (or as a string).
    pub async fn post_with(
        &self,
        platform: &str,
        tenant: &str,
        content_type: Option<&str>,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> (u16, Value) {
        let url = format!("{}/ingest/{platform}/{tenant}", self.ingest);
        let (status, resp) = self
            .client
            .post(
                &url,
                content_type,
                headers,
                bytes::Bytes::copy_from_slice(body),
            )
            .await
            .unwrap();
        let v = serde_json::from_slice(&resp)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&resp).into()));
        (status, v)
    }

    /// Waits until the ticket's triage result is stored.
    pub async fn wait_result(&self, ticket_id: &str, timeout: Duration) -> TriageResult {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self
                .pipeline
                .triage_result(&acme(), ticket_id)
                .await
                .unwrap()
            {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "no triage result for {ticket_id} within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Messages on `queue` (ready + leased + delayed).
    pub async fn depth(&self, queue: &str) -> u64 {
        let s = self.queue.depth(queue).await.unwrap();
        s.ready + s.leased + s.delayed
    }

    /// Stops the servers; the pipeline and queue are dropped with `self`.
    pub fn shutdown(self) {
        self.cancel.cancel();
    }
}

/// Reads a bundled omega-ingest fixture.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!(
        "{}/../ingest/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A Kaseya BMS ticket with the given id and text.
pub fn kaseya_ticket(id: u64, title: &str, details: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "Id": id,
        "TicketNumber": format!("T20240301.{id:04}"),
        "Title": title,
        "Details": details,
        "AccountName": "Contoso Dental",
        "StatusName": "New",
        "PriorityName": "Medium",
        "OpenDate": "2024-03-01T09:00:00",
        "ContactEmail": "user@contoso.example"
    }))
    .unwrap()
}
