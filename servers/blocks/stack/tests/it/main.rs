//! The stack's own behaviour: identity hooks, hidden tools, TLS with peer
//! certificates, limits.
#![allow(missing_docs)]

mod auth;
mod limits;
mod tls;

use std::sync::Arc;

use omega_protocol::{OmegaError, TenantId};
use omega_stack::{McpOptions, RoleApp, TenantPolicy, ToolSet};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

#[derive(Deserialize, JsonSchema)]
pub struct Empty {}

#[derive(Serialize, JsonSchema)]
pub struct Who {
    pub caller: String,
}

/// A role with two tools: `whoami` (scoped) and `admin_reset` (unscoped).
pub fn app(options: &McpOptions) -> axum::Router {
    let tools = ToolSet::new(
        Arc::new(()),
        TenantPolicy::new([TenantId::parse("acme").unwrap()]),
    )
    .tool(
        "whoami",
        "Who am I?",
        true,
        |_, call, _: Empty| async move {
            Ok::<_, OmegaError>(Who {
                caller: call.caller.id,
            })
        },
    )
    .tool(
        "admin_reset",
        "Dangerous.",
        false,
        |_, _, _: Empty| async move {
            Ok::<_, OmegaError>(Who {
                caller: String::new(),
            })
        },
    );
    RoleApp::new("test-role")
        .with_tools("test", tools, options, CancellationToken::new())
        .into_router()
}
