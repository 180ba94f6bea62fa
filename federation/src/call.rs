//! The request and error types every resilience layer speaks.
//!
//! A federated hop is an [`UpstreamCall`] (an MCP `tools/call` plus its
//! routing metadata) answered by the upstream's raw `tools/call` result or
//! a [`CallError`]. The error keeps the wire error ([`OmegaError`]) and a
//! [`FailureKind`] that retries and circuit breakers decide on; nobody
//! matches on message text.

use omega_protocol::{ErrorCode, OmegaError, TenantId, TraceContext};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

/// The `_meta` key under which the remaining deadline (whole milliseconds)
/// travels to the next hop: `{"_meta": {"io.omega/deadlineMs": 950}}`.
pub const DEADLINE_META_KEY: &str = "io.omega/deadlineMs";

/// The HTTP header carrying the same remaining deadline, for hops that
/// read headers rather than `_meta` (the JSON-RPC API accepts it).
pub const DEADLINE_HEADER: &str = "omega-deadline-ms";

/// One call to an upstream MCP tool.
#[derive(Debug, Clone)]
pub struct UpstreamCall {
    /// The tool name as the upstream knows it.
    pub tool: String,
    /// The tool's arguments (a JSON object).
    pub arguments: Map<String, Value>,
    /// The tenant the call is made for, when known.
    pub tenant: Option<TenantId>,
    /// Trace context to pass on.
    pub trace: Option<TraceContext>,
    /// When the call must have finished; layers only ever move it earlier.
    pub deadline: Option<Instant>,
    /// Whether running the call twice is harmless (MCP `readOnlyHint` /
    /// `idempotentHint`); only idempotent calls are retried after a failure
    /// that may have reached the upstream.
    pub idempotent: bool,
    /// Upstreams that already failed this call; the balancer avoids them
    /// while another replica is available.
    pub avoid: Vec<String>,
    /// Failures of earlier attempts, reported together (each cause named)
    /// when the last attempt fails too.
    pub failures: Vec<CallError>,
}

impl UpstreamCall {
    /// A call of `tool` with `arguments`, no deadline, not idempotent.
    pub fn new(tool: impl Into<String>, arguments: Map<String, Value>) -> Self {
        Self {
            tool: tool.into(),
            arguments,
            tenant: None,
            trace: None,
            deadline: None,
            idempotent: false,
            avoid: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Milliseconds left before the deadline (rounded up, at least 1), if any.
    pub fn remaining_ms(&self, now: Instant) -> Option<u64> {
        self.deadline.map(|d| {
            let left = d.saturating_duration_since(now);
            (left.as_micros().div_ceil(1000) as u64).max(1)
        })
    }

    /// The `params._meta` object for the next hop: trace context and the
    /// remaining deadline.
    pub fn next_hop_meta(&self, now: Instant) -> Map<String, Value> {
        let mut meta = Map::new();
        if let Some(trace) = &self.trace {
            trace.insert_into(&mut meta);
        }
        if let Some(ms) = self.remaining_ms(now) {
            meta.insert(DEADLINE_META_KEY.into(), json!(ms));
        }
        meta
    }
}

/// Reads a remaining deadline from a `_meta` object (a positive integer of
/// milliseconds); anything else is ignored.
pub fn deadline_from_meta(meta: &Map<String, Value>, now: Instant) -> Option<Instant> {
    let ms = meta.get(DEADLINE_META_KEY)?.as_u64().filter(|ms| *ms > 0)?;
    Some(now + std::time::Duration::from_millis(ms))
}

/// How a call failed, as far as retries and circuit breakers care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The upstream answered with an error meant for the caller (bad
    /// arguments, not found, a tool-level error). The upstream is healthy;
    /// never retried, never counted by a circuit breaker.
    Answered,
    /// The call was never sent (load shed, circuit open, no connection):
    /// retrying elsewhere is always safe.
    NotSent,
    /// The call may have reached the upstream and failed or vanished
    /// (transport error, upstream unavailable); retried only if idempotent.
    Failed,
    /// The call's deadline passed.
    Deadline,
}

/// A failed [`UpstreamCall`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct CallError {
    /// What retries and circuit breakers make of it.
    pub kind: FailureKind,
    /// The error the caller sees.
    pub error: OmegaError,
    /// The upstream (URL) that failed, when one was chosen.
    pub upstream: Option<String>,
}

impl CallError {
    /// An error of `kind`.
    pub fn new(kind: FailureKind, error: OmegaError) -> Self {
        Self {
            kind,
            error,
            upstream: None,
        }
    }

    /// Names the upstream that failed (kept if already set).
    pub fn at(mut self, upstream: &str) -> Self {
        if self.upstream.is_none() {
            self.upstream = Some(upstream.to_owned());
        }
        self
    }

    /// The deadline passed.
    pub fn deadline(what: &str) -> Self {
        Self::new(
            FailureKind::Deadline,
            OmegaError::new(
                ErrorCode::DEADLINE_EXCEEDED,
                format!("{what} did not finish before its deadline"),
            )
            .with_hint("raise deadlineMs, or retry later if the upstream is slow"),
        )
    }

    /// Whether a circuit breaker counts this as a failure of the upstream.
    pub fn counts_against_upstream(&self) -> bool {
        matches!(self.kind, FailureKind::Failed | FailureKind::Deadline)
    }

    /// The cause as JSON for `data.extra.causes`.
    pub fn cause(&self) -> Value {
        json!({
            "upstream": self.upstream,
            "code": self.error.code,
            "name": self.error.code.name(),
            "message": self.error.message,
        })
    }
}

impl From<omega_client::ClientError> for CallError {
    fn from(e: omega_client::ClientError) -> Self {
        use omega_client::ClientError as C;
        match e {
            C::Server(err) => {
                // An error the upstream chose to send back. "Unavailable" and
                // "overloaded" are the upstream saying it cannot serve now.
                let kind = match err.code {
                    ErrorCode::OVERLOADED | ErrorCode::RATE_LIMITED => FailureKind::NotSent,
                    ErrorCode::BACKEND_UNAVAILABLE | ErrorCode::INTERNAL_ERROR => {
                        FailureKind::Failed
                    }
                    ErrorCode::DEADLINE_EXCEEDED => FailureKind::Deadline,
                    _ => FailureKind::Answered,
                };
                Self::new(kind, err)
            }
            C::Timeout(after) => Self::new(
                FailureKind::Deadline,
                OmegaError::new(
                    ErrorCode::DEADLINE_EXCEEDED,
                    format!("the upstream did not answer within {after:?}"),
                ),
            ),
            C::Transport(why) => Self::new(
                FailureKind::Failed,
                OmegaError::new(
                    ErrorCode::UPSTREAM_FAILED,
                    format!("the upstream could not be reached: {why}"),
                ),
            ),
            C::Protocol(why) => Self::new(
                FailureKind::Failed,
                OmegaError::new(
                    ErrorCode::UPSTREAM_FAILED,
                    format!("the upstream answered outside the MCP protocol: {why}"),
                ),
            ),
            other => Self::new(
                FailureKind::Failed,
                OmegaError::new(ErrorCode::UPSTREAM_FAILED, other.to_string()),
            ),
        }
    }
}

/// Combines several failures into one `upstream_failed` error naming each
/// cause in `data.extra.causes`.
pub fn all_failed(what: &str, causes: &[CallError]) -> OmegaError {
    OmegaError::new(
        ErrorCode::UPSTREAM_FAILED,
        format!("every upstream for {what} failed ({} tried)", causes.len()),
    )
    .with_extra(json!({ "causes": causes.iter().map(CallError::cause).collect::<Vec<_>>() }))
    .with_hint("see data.extra.causes; retry later or check the upstreams' health")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn meta_carries_remaining_deadline_and_trace() {
        let now = Instant::now();
        let mut call = UpstreamCall::new("t", Map::new());
        assert!(call.next_hop_meta(now).is_empty());
        call.deadline = Some(now + Duration::from_micros(1_500));
        call.trace = Some(TraceContext {
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(),
            tracestate: None,
        });
        let meta = call.next_hop_meta(now);
        assert_eq!(meta[DEADLINE_META_KEY], 2);
        assert!(TraceContext::from_meta(&meta).is_some());
        let back = deadline_from_meta(&meta, now).unwrap();
        assert_eq!(back - now, Duration::from_millis(2));
        let mut junk = Map::new();
        junk.insert(DEADLINE_META_KEY.into(), json!("soon"));
        assert_eq!(deadline_from_meta(&junk, now), None);
        junk.insert(DEADLINE_META_KEY.into(), json!(0));
        assert_eq!(deadline_from_meta(&junk, now), None);
    }

    #[test]
    fn client_errors_are_classified() {
        use omega_client::ClientError as C;
        let kind = |e: C| CallError::from(e).kind;
        assert_eq!(kind(C::Transport("refused".into())), FailureKind::Failed);
        assert_eq!(
            kind(C::Timeout(Duration::from_secs(1))),
            FailureKind::Deadline
        );
        assert_eq!(
            kind(C::Server(OmegaError::not_found("x"))),
            FailureKind::Answered
        );
        assert_eq!(
            kind(C::Server(OmegaError::new(ErrorCode::OVERLOADED, "busy"))),
            FailureKind::NotSent
        );
        let all = all_failed(
            "skill `s`",
            &[
                CallError::deadline("a").at("http://a"),
                CallError::deadline("b").at("http://b"),
            ],
        );
        assert_eq!(all.code, ErrorCode::UPSTREAM_FAILED);
        let causes = &all.data.extra.as_ref().unwrap()["causes"];
        assert_eq!(causes[1]["upstream"], "http://b");
        assert_eq!(causes[0]["name"], "deadline_exceeded");
    }
}
