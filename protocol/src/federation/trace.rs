//! W3C Trace Context carried across federation hops.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::check::violation;
use crate::error::OmegaError;

/// The `_meta` key (MCP `params._meta`, A2A `metadata`) under which a
/// [`TraceContext`] travels: `{"_meta": {"io.omega/trace": {"traceparent": ...}}}`.
pub const TRACE_META_KEY: &str = "io.omega/trace";

/// A W3C Trace Context (`traceparent` and optional `tracestate` headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceContext {
    /// `00-{32 hex trace id}-{16 hex parent id}-{2 hex flags}`.
    #[schemars(regex(pattern = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"))]
    pub traceparent: String,
    /// Vendor-specific trace state, passed on unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// Checks the `traceparent` format: lowercase hex fields of 2, 32, 16 and
    /// 2 digits, version not `ff`, trace and parent ids not all zero.
    pub fn validate(&self) -> Result<(), OmegaError> {
        let parts: Vec<&str> = self.traceparent.split('-').collect();
        let hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let zero = |s: &str| s.bytes().all(|b| b == b'0');
        let ok = parts.len() == 4
            && hex(parts[0], 2)
            && parts[0] != "ff"
            && hex(parts[1], 32)
            && !zero(parts[1])
            && hex(parts[2], 16)
            && !zero(parts[2])
            && hex(parts[3], 2);
        if ok {
            Ok(())
        } else {
            Err(violation(
                "trace.traceparent",
                format!(
                    "`{}` is not a W3C traceparent",
                    self.traceparent.escape_default()
                ),
                "use 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>",
            ))
        }
    }

    /// The 32-hex-digit trace id, when the traceparent is well formed.
    pub fn trace_id(&self) -> Option<&str> {
        self.traceparent.split('-').nth(1).filter(|s| s.len() == 32)
    }

    /// Reads the context from a `_meta` object, if present and well formed.
    pub fn from_meta(meta: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
        let ctx: Self = serde_json::from_value(meta.get(TRACE_META_KEY)?.clone()).ok()?;
        ctx.validate().ok().map(|()| ctx)
    }

    /// Writes the context into a `_meta` object under [`TRACE_META_KEY`].
    pub fn insert_into(&self, meta: &mut serde_json::Map<String, serde_json::Value>) {
        let value = serde_json::to_value(self).expect("TraceContext serializes");
        meta.insert(TRACE_META_KEY.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn ctx(tp: &str) -> TraceContext {
        TraceContext {
            traceparent: tp.into(),
            tracestate: None,
        }
    }

    #[test]
    fn traceparent_format() {
        ctx(GOOD).validate().unwrap();
        assert_eq!(
            ctx(GOOD).trace_id(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for bad in [
            "",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        ] {
            let err = ctx(bad).validate().unwrap_err();
            assert_eq!(
                err.data.field.as_deref(),
                Some("trace.traceparent"),
                "{bad}"
            );
        }
    }

    #[test]
    fn meta_round_trip() {
        let mut meta = serde_json::Map::new();
        let mut sent = ctx(GOOD);
        sent.tracestate = Some("omega=1".into());
        sent.insert_into(&mut meta);
        assert_eq!(meta[TRACE_META_KEY]["traceparent"], GOOD);
        assert_eq!(TraceContext::from_meta(&meta), Some(sent));
        meta.insert(
            TRACE_META_KEY.into(),
            serde_json::json!({"traceparent": "junk"}),
        );
        assert_eq!(TraceContext::from_meta(&meta), None);
    }
}
