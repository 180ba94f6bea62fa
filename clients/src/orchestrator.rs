//! Clients of the orchestrator role (`orchestrator_call`,
//! `orchestrator_classify`) and of a Titan role (`titan_call`).

use std::sync::Arc;

use omega_protocol::{
    ClassifyRequest, ClassifyResult, OrchestrateRequest, OrchestrateResult, TenantId,
    TitanCallRequest, TitanCallResult,
};
use serde_json::Value;

use crate::registry::decode;
use crate::{ClientError, McpClient};

fn encode<T: serde::Serialize>(value: &T) -> Result<Value, ClientError> {
    serde_json::to_value(value).map_err(|e| ClientError::Protocol(format!("cannot encode: {e}")))
}

/// Typed access to the orchestrator role.
#[derive(Debug, Clone)]
pub struct OrchestratorClient {
    mcp: Arc<McpClient>,
}

impl OrchestratorClient {
    /// A client over `mcp` (connected to the orchestrator's `/mcp`).
    pub fn new(mcp: impl Into<Arc<McpClient>>) -> Self {
        Self { mcp: mcp.into() }
    }

    /// Answers `request` with the strategy configured for `task_type`.
    pub async fn call(
        &self,
        task_type: &str,
        request: TitanCallRequest,
    ) -> Result<OrchestrateResult, ClientError> {
        let args = encode(&OrchestrateRequest {
            task_type: task_type.to_owned(),
            request,
        })?;
        decode(self.mcp.call_tool("orchestrator_call", args).await?)
    }

    /// Classifies a ticket's text for `tenant` (the configured
    /// classification strategy; the local Titan by default).
    pub async fn classify(
        &self,
        tenant: &TenantId,
        text: &str,
    ) -> Result<ClassifyResult, ClientError> {
        let args = encode(&ClassifyRequest {
            tenant: tenant.clone(),
            text: text.to_owned(),
        })?;
        // Classification reads and decides nothing stored: safe to retry.
        decode(
            self.mcp
                .call_idempotent("orchestrator_classify", args)
                .await?,
        )
    }
}

/// Typed access to one Titan role (`omega serve titan-<name>`).
#[derive(Debug, Clone)]
pub struct TitanClient {
    mcp: Arc<McpClient>,
}

impl TitanClient {
    /// A client over `mcp` (connected to the Titan role's `/mcp`).
    pub fn new(mcp: impl Into<Arc<McpClient>>) -> Self {
        Self { mcp: mcp.into() }
    }

    /// One call, answered whole.
    pub async fn call(&self, request: &TitanCallRequest) -> Result<TitanCallResult, ClientError> {
        decode(self.mcp.call_tool("titan_call", encode(request)?).await?)
    }
}
