//! Typed async clients for OMEGA servers.
//!
//! [`McpClient`] speaks MCP's streamable HTTP transport in either protocol
//! version (2026-07-28 stateless, the default, or 2025-11-25 with a
//! session). The typed clients wrap it with the servers' tool names and the
//! protocol crate's types, and surface failures as [`ClientError`], which
//! keeps the server's stable [`omega_protocol::ErrorCode`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), omega_client::ClientError> {
//! use omega_client::{ContextClient, McpClient};
//! use serde_json::json;
//!
//! let mcp = McpClient::connect("http://127.0.0.1:7700/mcp").await?;
//! let context = ContextClient::new(mcp, "acme".parse().unwrap());
//! context.session_put("chat-42", &json!({"step": 1}), None).await?;
//! let value = context.session_get("chat-42").await?;
//! assert_eq!(value["step"], 1);
//! # Ok(()) }
//! ```

#[cfg(feature = "agent")]
mod agent;
mod connection;
mod context;
mod error;
mod mcp;
mod orchestrator;
mod registration;
mod registry;

#[cfg(feature = "agent")]
pub use agent::Agent;
pub use connection::{Connection, ConnectionSettings, Credentials};
pub use context::ContextClient;
pub use error::ClientError;
pub use mcp::{McpClient, McpVersion};
pub use orchestrator::{OrchestratorClient, TitanClient};
pub use registration::Registration;
pub use registry::{AgentRegistryClient, McpRegistryClient};
