//! The server stack every OMEGA role runs on.
//!
//! One stack, shared by the context server, the registries and every later
//! role, so that transport, identity, limits and tracing are written once:
//!
//! ```text
//! TCP accept (TCP_NODELAY; at most `max_connections`) ─► [TLS, when configured]
//!   ─► hyper (HTTP/1.1; header-read and keep-alive idle timeouts)
//!   └─► tower: panic → 500 ─► trace span + metrics ─► body/request deadlines
//!         ─► caller identity ─► role router
//!         ├─ /mcp        rmcp streamable HTTP (sessions capped, idle ones expire)
//!         │                ─► McpHandler ─► ToolSet
//!         │                (tenant check ─► argument schema ─► typed handler)
//!         ├─ /healthz    liveness
//!         ├─ /readyz     readiness (backends answer)
//!         └─ role routes (REST, well-known documents)
//! ```
//!
//! A role supplies a [`ToolSet`] (typed MCP tools) and optional extra axum
//! routes; [`RoleApp::into_router`] assembles the rest and [`serve`] runs it.
//! Every limit is a field of [`Limits`] (defaults fit production).

mod auth;
mod caller;
mod guard;
mod limits;
mod listener;
mod mcp;
mod router;
mod schema;
mod sessions;
mod tenancy;
mod tool;

pub use auth::{AllowAll, Authenticator, Authorizer, DevAuthenticator};
pub use caller::{Caller, CallerKind, TenantGrant};
pub use limits::Limits;
pub use listener::{
    Bound, PeerCertificates, TlsSource, Transport, bind, serve, serve_limited, serve_with,
};
pub use mcp::{McpHandler, McpOptions, caller_of, error_result, mcp_service};
pub use router::{Readiness, RoleApp};
pub use schema::schema_object;
pub use sessions::{CappedSessions, CappedSessionsError};
pub use tenancy::TenantPolicy;
pub use tool::{Call, ToolAudit, ToolCallAudit, ToolOutcome, ToolSet};
