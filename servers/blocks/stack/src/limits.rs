//! The limits every role's server runs under: connection, request, MCP
//! session and per-tenant storage limits.
//!
//! Plain data with production defaults, so the composition root can fill
//! it from `omega.toml` (`[limits]`) and hand the same value to
//! [`crate::McpOptions::limits`] (request, session and quota limits) and to
//! [`crate::serve_limited`] (connection limits).
//!
//! Error details name each limit by its intended `[limits]` key:
//! `headerReadTimeoutSecs`, `keepAliveIdleTimeoutSecs`, `maxConnections`,
//! `bodyReadTimeoutSecs`, `requestTimeoutSecs`, `maxSessions`,
//! `sessionIdleTimeoutSecs`, `tenantQuotaBytes`.

use std::time::Duration;

/// Connection, request, session and storage limits.
///
/// What happens when each is reached:
///
/// | field | when reached |
/// |---|---|
/// | `header_read_timeout` | the connection is closed (no response: the request never arrived) |
/// | `keep_alive_idle_timeout` | the idle keep-alive connection is closed |
/// | `max_connections` | further connections wait in the listen backlog until one closes |
/// | `body_read_timeout` | `408 Request Timeout`, JSON error `deadline_exceeded` |
/// | `request_timeout` | `504 Gateway Timeout`, JSON error `deadline_exceeded` |
/// | `max_sessions` | a new 2025-11-25 session is refused: `503`, JSON-RPC error `overloaded` |
/// | `session_idle_timeout` | the idle MCP session is closed; its id then answers `404` |
/// | `tenant_quota_bytes` | the write is refused with `quota_exceeded` and nothing is stored |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest time a client may take to send a complete request head
    /// (request line and headers), counted from the connection's accept (or
    /// TLS handshake) for the first request and from the first byte for
    /// later requests on a kept-alive connection. Default 10 s.
    pub header_read_timeout: Duration,
    /// Longest time a kept-alive connection may stay idle between requests
    /// before it is closed. Default 120 s: longer than the 90 s idle timeout
    /// of the usual client pools (hyper-util, reqwest), so clients retire
    /// idle connections before the server closes them and no request races
    /// a closing connection.
    pub keep_alive_idle_timeout: Duration,
    /// Most connections one listener serves at once. Further connections are
    /// not refused: they wait, unaccepted, in the kernel's listen backlog
    /// until a served connection closes (the header and idle timeouts bound
    /// how long an idle or slow connection can hold its place). Default 1024.
    pub max_connections: usize,
    /// Longest time, from the request head, to receive the whole request
    /// body; past it the request is answered `408`. Default 30 s.
    pub body_read_timeout: Duration,
    /// Longest time, from the request head, until the response head is
    /// produced (body read plus handler); past it the request is answered
    /// `504`. Streamed response bodies (SSE) are not cut once started.
    /// Default 300 s (a Titan call that generates a long answer can take
    /// minutes).
    pub request_timeout: Duration,
    /// Most concurrent MCP 2025-11-25 sessions (`Mcp-Session-Id`) per role.
    /// 2026-07-28 requests are stateless and not counted. Default 512.
    pub max_sessions: usize,
    /// An MCP session without any request for this long is closed. Default
    /// 300 s.
    pub session_idle_timeout: Duration,
    /// Most bytes one tenant may keep stored in a role's tenant-scoped
    /// storage (the context server: sessions, cache, memory and ticket
    /// history; keys, values, vectors and metadata counted). Default 64 MiB.
    pub tenant_quota_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_idle_timeout: Duration::from_secs(120),
            max_connections: 1024,
            body_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(300),
            max_sessions: 512,
            session_idle_timeout: Duration::from_secs(300),
            tenant_quota_bytes: 64 * 1024 * 1024,
        }
    }
}
