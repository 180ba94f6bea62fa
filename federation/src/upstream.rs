//! Upstream MCP servers: the leaf service that sends `tools/call` with
//! [`McpClient`], and the pool that keeps one resilient [`Endpoint`] (and
//! so one circuit and one in-flight limit) per upstream URL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use omega_client::{ClientError, Connection, McpClient, McpVersion};
use omega_protocol::{ErrorCode, OmegaError};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tower::{Service, ServiceBuilder};

use crate::layers::{
    Balance, Breaker, BreakerConfig, CircuitBreakerLayer, DeadlineLayer, Endpoint, InFlight,
    ShedLayer,
};
use crate::{CallError, UpstreamCall};

/// Sends an [`UpstreamCall`] as MCP `tools/call` to one server and returns
/// the raw result (`content`, `structuredContent`, `isError`). The call's
/// trace context and remaining deadline go in `params._meta`. A tool error
/// that says the upstream itself is failing (`internal_error`,
/// `backend_unavailable`, `overloaded`) becomes a [`CallError`], so
/// breakers and retries see it; other tool errors are answers.
#[derive(Clone, Debug)]
pub struct McpUpstream {
    url: Arc<str>,
    client: Arc<OnceCell<Arc<McpClient>>>,
    connection: Connection,
}

impl McpUpstream {
    /// The upstream at `url`, reached over `connection` (credentials, mTLS,
    /// the shared HTTP pool); no request is made until the first call. The
    /// connection's timeout is a backstop; the layers above enforce deadlines.
    pub fn new(url: impl Into<Arc<str>>, connection: Connection) -> Self {
        Self {
            url: url.into(),
            client: Arc::default(),
            connection,
        }
    }

    async fn client(&self) -> Result<&Arc<McpClient>, ClientError> {
        self.client
            .get_or_try_init(|| async {
                McpClient::over(&self.connection, &self.url, McpVersion::V2026_07_28)
                    .await
                    .map(Arc::new)
            })
            .await
    }
}

/// The [`OmegaError`] inside a tool result with `isError: true`, if any.
pub(crate) fn tool_error(result: &Value) -> Option<OmegaError> {
    if result["isError"].as_bool() != Some(true) {
        return None;
    }
    Some(
        serde_json::from_value::<OmegaError>(result["structuredContent"]["error"].clone())
            .unwrap_or_else(|_| {
                OmegaError::new(
                    ErrorCode::UPSTREAM_FAILED,
                    result["content"][0]["text"]
                        .as_str()
                        .unwrap_or("the tool reported an error without details"),
                )
            }),
    )
}

impl Service<UpstreamCall> for McpUpstream {
    type Response = Value;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<Value, CallError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: UpstreamCall) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let meta = req.next_hop_meta(Instant::now());
            let mut params = json!({"name": req.tool, "arguments": req.arguments});
            if !meta.is_empty() {
                params["_meta"] = Value::Object(meta);
            }
            let client = this.client().await.map_err(CallError::from)?;
            let result = client
                .request("tools/call", params)
                .await
                .map_err(CallError::from)?;
            if let Some(err) = tool_error(&result)
                && matches!(
                    err.code,
                    ErrorCode::INTERNAL_ERROR
                        | ErrorCode::BACKEND_UNAVAILABLE
                        | ErrorCode::OVERLOADED
                )
            {
                return Err(CallError::from(ClientError::Server(err)));
            }
            Ok(result)
        })
    }
}

/// Settings of every upstream endpoint.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig {
    /// Circuit breaker per upstream.
    pub breaker: BreakerConfig,
    /// Longest single attempt.
    pub attempt_timeout: Duration,
    /// Calls in flight to one upstream before new ones are shed.
    pub max_in_flight: usize,
}

/// One resilient [`Endpoint`] per upstream URL, kept across calls so that
/// circuits and in-flight counts persist.
#[derive(Debug)]
pub struct UpstreamPool {
    config: PoolConfig,
    connection: Connection,
    endpoints: Mutex<HashMap<String, (Endpoint, Arc<Breaker>)>>,
}

impl UpstreamPool {
    /// An empty pool whose upstreams are reached over `connection`.
    pub fn new(config: PoolConfig, connection: Connection) -> Self {
        Self {
            config,
            connection,
            endpoints: Mutex::default(),
        }
    }

    /// The endpoint for `url`, created on first use:
    /// circuit breaker ─ attempt deadline ─ shed ─ [`McpUpstream`].
    pub fn endpoint(&self, url: &str) -> Endpoint {
        let mut map = self.endpoints.lock().expect("pool lock");
        if let Some((e, _)) = map.get(url) {
            return e.clone();
        }
        let breaker = Arc::new(Breaker::new(url, self.config.breaker));
        let service = ServiceBuilder::new()
            .layer(CircuitBreakerLayer::new(breaker.clone()))
            .layer(DeadlineLayer::new(
                self.config.attempt_timeout,
                self.config.attempt_timeout,
            ))
            .layer(ShedLayer::new(InFlight::new(
                format!("upstream {url}"),
                self.config.max_in_flight,
            )))
            .service(McpUpstream::new(url, self.connection.clone()));
        let endpoint = Endpoint::new(url, Some(breaker.clone()), service);
        map.insert(url.to_owned(), (endpoint.clone(), breaker));
        endpoint
    }

    /// The circuit of `url`, if the pool has called it.
    pub fn breaker(&self, url: &str) -> Option<Arc<Breaker>> {
        self.endpoints
            .lock()
            .expect("pool lock")
            .get(url)
            .map(|(_, b)| b.clone())
    }

    /// A balancer over the endpoints for `urls`.
    pub fn balance(&self, what: &str, urls: &[String]) -> Balance {
        Balance::new(what, urls.iter().map(|u| self.endpoint(u)).collect())
    }
}
