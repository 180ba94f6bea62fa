//! Titans and the orchestrator in other roles, reached over MCP with the
//! protocol's wire types: [`RemoteTitan`] is a Titan role seen by the
//! orchestrator; [`OrchestratedTitans`] is the orchestrator role seen by
//! the federation.

use std::sync::Arc;

use futures::future::BoxFuture;
use omega_client::{ClientError, McpClient, OrchestratorClient, TitanClient};
use omega_federation::TitanRouter;
use omega_protocol::{ErrorCode, OmegaError, ReachableTitan, TitanCallRequest, TitanCallResult};
use omega_titans::{Titan, TitanError, TitanEvent, TitanStream};
use serde::{Deserialize, Serialize};

/// What a Titan role says about itself (`titan_info`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TitanInfo {
    /// Routing name (`local`, `gpt`, ...).
    pub name: String,
    /// The model used when a call names none.
    pub default_model: String,
    /// True when the Titan runs inside the deployment.
    pub local: bool,
}

/// A Titan served by a Titan role, called over MCP (`titan_call`). The
/// answer crosses the hop whole: `stream` yields it as one text delta and
/// the completion.
pub struct RemoteTitan {
    info: TitanInfo,
    client: TitanClient,
}

impl RemoteTitan {
    /// Connects to the Titan role at `mcp_url` and asks who it is.
    pub async fn connect(
        connection: &omega_client::Connection,
        mcp_url: &str,
    ) -> Result<Self, ClientError> {
        let mcp = Arc::new(
            McpClient::over(connection, mcp_url, omega_client::McpVersion::V2026_07_28).await?,
        );
        let raw = mcp
            .call_idempotent("titan_info", serde_json::json!({}))
            .await?;
        let info: TitanInfo = serde_json::from_value(raw)
            .map_err(|e| ClientError::Protocol(format!("unexpected titan_info: {e}")))?;
        Ok(Self {
            info,
            client: TitanClient::new(mcp),
        })
    }
}

/// Folds a remote Titan role's error back into the Titan error kinds the
/// orchestrator's fallback and retry logic reads.
fn titan_error(titan: &str, e: ClientError) -> TitanError {
    let titan = titan.to_owned();
    match e {
        ClientError::Server(err) => TitanError::from_omega(&titan, &err),
        ClientError::Timeout(after) => TitanError::Timeout { titan, after },
        other => TitanError::Transport {
            titan,
            detail: other.to_string(),
        },
    }
}

#[async_trait::async_trait]
impl Titan for RemoteTitan {
    fn name(&self) -> &str {
        &self.info.name
    }

    fn default_model(&self) -> &str {
        &self.info.default_model
    }

    fn is_local(&self) -> bool {
        self.info.local
    }

    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        self.client
            .call(req)
            .await
            .map_err(|e| titan_error(&self.info.name, e))
    }

    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError> {
        let result = self.call(req).await?;
        let events = vec![
            Ok(TitanEvent::TextDelta {
                text: result.message.content.clone(),
            }),
            Ok(TitanEvent::Completed(result)),
        ];
        Ok(Box::pin(futures::stream::iter(events)))
    }
}

/// The federation's Titan calls, sent to the orchestrator role.
pub struct OrchestratedTitans {
    /// The orchestrator role's client.
    pub client: OrchestratorClient,
    /// The Titans the orchestrator reaches (read when the federation starts).
    pub reachable: Vec<ReachableTitan>,
}

/// The task type of a `federation.callTitan` that names no Titan: the
/// orchestrator answers it with `orchestrator.tasks.call`, or its default strategy.
pub const FEDERATION_TASK: &str = "call";

impl TitanRouter for OrchestratedTitans {
    fn call<'a>(
        &'a self,
        titan: Option<&'a str>,
        req: &'a TitanCallRequest,
    ) -> BoxFuture<'a, Result<TitanCallResult, OmegaError>> {
        Box::pin(async move {
            let mut req = req.clone();
            if let Some(name) = titan {
                req.titan = Some(name.to_owned());
            }
            match self.client.call(FEDERATION_TASK, req).await {
                Ok(done) => Ok(done.result),
                Err(ClientError::Server(e)) => Err(e),
                Err(e) => Err(OmegaError::new(
                    ErrorCode::UPSTREAM_FAILED,
                    format!("the orchestrator could not be reached: {e}"),
                )
                .with_hint("check the orchestrator role (peers.orchestrator)")),
            }
        })
    }

    fn reachable(&self) -> Vec<ReachableTitan> {
        self.reachable.clone()
    }
}
