//! Integration tests of the dashboard: API and failure cases over the real
//! router, the shadow team with the real context server, the event stream's
//! catch-up, the MCP tool, and the browser test.

mod api;
mod e2e;
mod failures;
mod shadow;
mod stream;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use omega_classifier::{LabelledText, Model, TrainConfig};
use omega_dashboard::{
    Dashboard, DashboardConfig, DashboardDeps, Employee, HmacTokens, LearningMemory, LocalMemory,
    ReviewTicket, SharedModel, app,
};
use omega_protocol::{
    ActionKind, DecidedBy, DeciderKind, Decision, Priority, SuggestedAction, TenantId, TriageResult,
};
use omega_queue::{EmbeddedQueue, Queue, QueueSettings};
use omega_stack::{McpOptions, TenantPolicy};
use omega_store::EmbeddedStore;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

pub(crate) fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

/// A small category model: Access, Hardware, Storage.
pub(crate) fn small_model() -> Model {
    let mut ex = Vec::new();
    let sets = [
        (
            "Access",
            [
                "password reset",
                "account locked",
                "login fails",
                "mfa token lost",
                "cannot sign in",
                "access to vpn",
            ],
        ),
        (
            "Hardware",
            [
                "laptop screen broken",
                "keyboard keys stuck",
                "battery does not charge",
                "monitor flickers",
                "dock not working",
                "mouse broken",
            ],
        ),
        (
            "Storage",
            [
                "disk quota full",
                "shared drive missing",
                "backup failed",
                "folder permissions share",
                "file server slow",
                "restore deleted file",
            ],
        ),
    ];
    for (label, texts) in sets {
        for (i, t) in texts.iter().enumerate() {
            for k in 0..3 {
                ex.push(LabelledText::new(format!("{t} please help {k} {i}"), label));
            }
        }
    }
    Model::train(&ex, &TrainConfig::default()).unwrap()
}

/// A triaged ticket as the pipeline would send it to review.
pub(crate) fn review_ticket(
    t: &str,
    id: &str,
    category: &str,
    title: &str,
    text: &str,
) -> ReviewTicket {
    ReviewTicket {
        triage: TriageResult {
            ticket_id: id.into(),
            tenant: tenant(t),
            category: Decision::new(Some(category.to_owned()), 0.62).unwrap(),
            priority: Decision::new(Some(Priority::P3), 0.5).unwrap(),
            suggested_actions: vec![
                SuggestedAction {
                    kind: ActionKind::AssignQueue,
                    description: "Route to the hardware desk queue.".into(),
                    automatic: true,
                },
                SuggestedAction {
                    kind: ActionKind::RequestInfo,
                    description: "Ask the requester for details.".into(),
                    automatic: true,
                },
            ],
            similar_tickets: vec![],
            decided_by: DecidedBy {
                kind: DeciderKind::LocalModel,
                name: "omega-embedded-classifier".into(),
            },
            rationale: format!("Embedded classifier: {category} at confidence 0.62."),
            decided_at: chrono::Utc::now(),
        },
        title: title.into(),
        text: text.into(),
        reason: "confidence 0.62 is below the tenant threshold 0.85".into(),
        created_at: Some(chrono::Utc::now() - chrono::Duration::minutes(5)),
    }
}

pub(crate) struct Harness {
    pub(crate) dash: Dashboard,
    pub(crate) router: Router,
    pub(crate) tokens: HmacTokens,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) model: Arc<RwLock<Model>>,
    pub(crate) cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Harness {
    pub(crate) async fn new() -> Self {
        Self::with_memory(Arc::new(LocalMemory::default())).await
    }

    pub(crate) async fn with_memory(memory: Arc<dyn LearningMemory>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(&dir.path().join("store")).unwrap();
        let queue: Arc<dyn Queue> = Arc::new(
            EmbeddedQueue::open(dir.path().join("queue"), QueueSettings::default()).unwrap(),
        );
        let tokens = HmacTokens::new(b"test-secret-0123456789".to_vec()).unwrap();
        let model = Arc::new(RwLock::new(small_model()));
        let config = DashboardConfig {
            tenants: vec![tenant("acme"), tenant("globex")],
            ..DashboardConfig::default()
        };
        let dash = Dashboard::new(DashboardDeps {
            config,
            store: Arc::new(store),
            queue: queue.clone(),
            tokens: Arc::new(tokens.clone()),
            memory,
            corrections: Some(Arc::new(SharedModel(model.clone()))),
            capacity: vec![],
            triage_results: None,
        });
        let cancel = CancellationToken::new();
        let router = app(&dash, &McpOptions::default(), cancel.clone()).into_router();
        Self {
            dash,
            router,
            tokens,
            queue,
            model,
            cancel,
            _dir: dir,
        }
    }

    pub(crate) fn token(&self, id: &str, tenants: &[&str]) -> String {
        self.tokens.issue(
            &Employee {
                id: id.into(),
                tenants: tenants.iter().map(|t| tenant(t)).collect(),
            },
            chrono::Duration::hours(1),
        )
    }

    pub(crate) async fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Serves the dashboard on 127.0.0.1:0; returns the base URL.
    pub(crate) async fn serve(&self) -> String {
        let bound = omega_stack::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = bound.addr;
        let (router, c) = (self.router.clone(), self.cancel.clone());
        tokio::spawn(async move {
            omega_stack::serve(bound.listener, router, c, Duration::from_secs(1)).await
        });
        format!("http://{addr}")
    }
}

/// The real context server on port 0 (for long-term memory).
pub(crate) async fn context_server(dir: &std::path::Path, cancel: &CancellationToken) -> String {
    let store = EmbeddedStore::open(dir).unwrap();
    let state = Arc::new(omega_context::ContextState {
        kv: Arc::new(store.clone()),
        vectors: Arc::new(store),
        max_value_bytes: 1 << 20,
        embedder: omega_context::Embedder,
    });
    let policy = TenantPolicy::new([tenant("acme"), tenant("globex")]);
    let router =
        omega_context::app(state, policy, &McpOptions::default(), cancel.clone()).into_router();
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

/// Polls `f` until it returns `Some`, for up to 10 s.
pub(crate) async fn eventually<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
