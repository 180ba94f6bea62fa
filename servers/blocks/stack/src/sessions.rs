//! A cap on MCP 2025-11-25 sessions, with idle expiry.
//!
//! rmcp's [`LocalSessionManager`] keeps every session in memory (≈ 40 KB
//! each) and has no limit on how many. [`CappedSessions`] wraps it: a new
//! session over `max_sessions` is refused, and sessions idle for
//! `session_idle_timeout` are closed by rmcp's session worker (which then
//! removes them, freeing their place).
//!
//! rmcp answers a failed session creation with a plain-text `500`; the
//! [`refusals`] middleware in front of `/mcp` turns the cap's refusal into
//! `503 Service Unavailable` with `Retry-After` and a JSON-RPC error
//! `overloaded` (-32010) that names the limit. The refusal is signalled
//! through a task-local, which works because rmcp creates the session
//! inline in the request's own future.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::Stream;
use omega_protocol::{ErrorCode, OmegaError};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{
    EventStore, RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};
use serde_json::json;

tokio::task_local! {
    /// Set by [`CappedSessions::create_session`] when it refuses, read by
    /// [`refusals`] around the same request.
    static REFUSED: Cell<Option<usize>>;
}

/// rmcp's in-memory session manager with a cap on live sessions.
#[derive(Debug)]
pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    /// Serializes creations so that check-then-insert cannot overshoot.
    creating: tokio::sync::Mutex<()>,
}

impl CappedSessions {
    /// At most `max` sessions; each closes after `idle` without a request.
    pub fn new(max: usize, idle: Duration) -> Self {
        let mut inner = LocalSessionManager::default();
        let mut config = SessionConfig::default();
        config.keep_alive = Some(idle);
        inner.session_config = config;
        Self {
            inner,
            max,
            creating: tokio::sync::Mutex::new(()),
        }
    }

    /// The number of live sessions.
    pub async fn len(&self) -> usize {
        self.inner.sessions.read().await.len()
    }

    /// Whether there is no live session.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.max
    }
}

/// Why [`CappedSessions`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CappedSessionsError {
    /// The server already holds its maximum of sessions.
    #[error("this server already holds its maximum of {0} MCP sessions")]
    Full(usize),
    /// rmcp's session manager failed.
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

impl SessionManager for CappedSessions {
    type Error = CappedSessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let _creating = self.creating.lock().await;
        if self.len().await >= self.max {
            tracing::warn!(
                max_sessions = self.max,
                "MCP session refused: the server holds its maximum of sessions"
            );
            let _ = REFUSED.try_with(|r| r.set(Some(self.max)));
            return Err(CappedSessionsError::Full(self.max));
        }
        Ok(self.inner.create_session().await?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.resume(id, last_event_id).await?)
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        Ok(self.inner.restore_session(id).await?)
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.inner.event_store()
    }
}

/// Middleware in front of `/mcp`: answers a request whose session the cap
/// refused with `503`, `Retry-After` and a JSON-RPC `overloaded` error.
pub(crate) async fn refusals(request: Request, next: Next) -> Response {
    REFUSED
        .scope(Cell::new(None), async move {
            let response = next.run(request).await;
            match REFUSED.with(Cell::get) {
                None => response,
                Some(max) => refusal(max),
            }
        })
        .await
}

fn refusal(max: usize) -> Response {
    let err = OmegaError::new(
        ErrorCode::OVERLOADED,
        format!("this server already holds its maximum of {max} MCP sessions"),
    )
    .with_hint(
        "retry later, close sessions you no longer use (HTTP DELETE with Mcp-Session-Id), \
         or use the stateless 2026-07-28 protocol, which needs no session",
    )
    .with_extra(json!({"limit": "maxSessions", "maxSessions": max}));
    let mut response = crate::guard::error_response(http::StatusCode::SERVICE_UNAVAILABLE, &err);
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("5"),
    );
    response.into_response()
}
