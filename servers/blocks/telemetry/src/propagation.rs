//! W3C Trace Context across hops: HTTP headers (`traceparent`,
//! `tracestate`) and MCP/JSON-RPC `_meta` (under
//! [`omega_protocol::TRACE_META_KEY`], or a plain `traceparent` key).
//!
//! Inject on the way out from the current span; on the way in, make the
//! hop's span a child of the caller's with [`set_parent`].

use std::collections::HashMap;

use http::HeaderMap;
#[cfg(test)]
use omega_protocol::TRACE_META_KEY;
use omega_protocol::TraceContext;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde_json::{Map, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

/// The trace context of `span` (None when it is not recorded by the
/// OpenTelemetry layer, e.g. no subscriber from [`crate::Telemetry`]).
pub fn context_of(span: &tracing::Span) -> Option<TraceContext> {
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut carrier);
    let ctx = TraceContext {
        traceparent: carrier.remove(TRACEPARENT)?,
        tracestate: carrier.remove(TRACESTATE).filter(|s| !s.is_empty()),
    };
    ctx.validate().ok().map(|()| ctx)
}

/// The trace context of the current span.
pub fn current() -> Option<TraceContext> {
    context_of(&tracing::Span::current())
}

/// Makes `span` a child of the remote `ctx`. An invalid context is ignored
/// (the span starts a new trace).
pub fn set_parent(span: &tracing::Span, ctx: &TraceContext) {
    if ctx.validate().is_err() {
        return;
    }
    let mut carrier: HashMap<String, String> = HashMap::new();
    carrier.insert(TRACEPARENT.into(), ctx.traceparent.clone());
    if let Some(state) = &ctx.tracestate {
        carrier.insert(TRACESTATE.into(), state.clone());
    }
    let parent = TraceContextPropagator::new().extract(&carrier);
    let _ = span.set_parent(parent);
}

/// Reads `traceparent`/`tracestate` headers (None when absent or malformed).
pub fn extract_headers(headers: &HeaderMap) -> Option<TraceContext> {
    let ctx = TraceContext {
        traceparent: headers.get(TRACEPARENT)?.to_str().ok()?.trim().to_owned(),
        tracestate: headers
            .get(TRACESTATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    ctx.validate().ok().map(|()| ctx)
}

/// Writes `ctx` as `traceparent`/`tracestate` headers.
pub fn inject_headers(ctx: &TraceContext, headers: &mut HeaderMap) {
    if let Ok(v) = ctx.traceparent.parse() {
        headers.insert(TRACEPARENT, v);
    }
    if let Some(v) = ctx.tracestate.as_ref().and_then(|s| s.parse().ok()) {
        headers.insert(TRACESTATE, v);
    }
}

/// Writes the current span's context as headers; false when there is none.
pub fn inject_current_headers(headers: &mut HeaderMap) -> bool {
    current().map(|c| inject_headers(&c, headers)).is_some()
}

/// Reads a context from `_meta`: `_meta["io.omega/trace"]` first, then a
/// plain `_meta.traceparent` (and `_meta.tracestate`).
pub fn extract_meta(meta: &Map<String, Value>) -> Option<TraceContext> {
    if let Some(ctx) = TraceContext::from_meta(meta) {
        return Some(ctx);
    }
    let ctx = TraceContext {
        traceparent: meta.get(TRACEPARENT)?.as_str()?.to_owned(),
        tracestate: meta
            .get(TRACESTATE)
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    ctx.validate().ok().map(|()| ctx)
}

/// Writes `ctx` into `_meta` both under [`omega_protocol::TRACE_META_KEY`] and as plain
/// `traceparent`/`tracestate` keys (what generic MCP tooling reads).
pub fn inject_meta(ctx: &TraceContext, meta: &mut Map<String, Value>) {
    ctx.insert_into(meta);
    meta.insert(TRACEPARENT.into(), Value::String(ctx.traceparent.clone()));
    if let Some(state) = &ctx.tracestate {
        meta.insert(TRACESTATE.into(), Value::String(state.clone()));
    }
}

/// Reads the context from JSON-RPC `params._meta`.
pub fn extract_params(params: &Value) -> Option<TraceContext> {
    extract_meta(params.get("_meta")?.as_object()?)
}

/// Writes the current span's context into JSON-RPC `params._meta`
/// (creating `_meta`; `params` must be an object). False when there is no
/// context or `params` is not an object.
pub fn inject_current_params(params: &mut Value) -> bool {
    let (Some(ctx), Some(obj)) = (current(), params.as_object_mut()) else {
        return false;
    };
    let meta = obj
        .entry("_meta")
        .or_insert_with(|| Value::Object(Map::new()));
    match meta.as_object_mut() {
        Some(m) => {
            inject_meta(&ctx, m);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn headers_and_meta_round_trip() {
        let ctx = TraceContext {
            traceparent: TP.into(),
            tracestate: Some("omega=1".into()),
        };
        let mut headers = HeaderMap::new();
        inject_headers(&ctx, &mut headers);
        assert_eq!(extract_headers(&headers), Some(ctx.clone()));
        let mut meta = Map::new();
        inject_meta(&ctx, &mut meta);
        assert_eq!(meta[TRACE_META_KEY]["traceparent"], TP);
        assert_eq!(meta["traceparent"], TP);
        assert_eq!(extract_meta(&meta), Some(ctx.clone()));
        // A plain traceparent key alone is enough.
        let plain: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"traceparent": TP})).unwrap();
        assert_eq!(extract_meta(&plain).unwrap().traceparent, TP);
        let params = serde_json::json!({"_meta": {"traceparent": "garbage"}});
        assert_eq!(extract_params(&params), None);
        let mut bad = HeaderMap::new();
        bad.insert(TRACEPARENT, "00-zz".parse().unwrap());
        assert_eq!(extract_headers(&bad), None);
    }

    #[test]
    fn no_subscriber_means_no_context() {
        let span = tracing::info_span!("x");
        assert_eq!(context_of(&span), None);
        let mut params = serde_json::json!({});
        assert!(!inject_current_params(&mut params));
    }
}
