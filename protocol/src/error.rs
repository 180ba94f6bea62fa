//! Stable error codes shared by every OMEGA server, client and the federation.
//!
//! Codes are JSON-RPC 2.0 error codes. The five standard codes keep their
//! JSON-RPC meaning; OMEGA's own codes live in the implementation-defined
//! server-error range `-32000..=-32099`. A code, once published, never changes
//! meaning: clients match on [`ErrorCode`], never on message text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A JSON-RPC error code with an OMEGA name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ErrorCode(pub i32);

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $name:ident = ($code:expr, $slug:literal); )*) => {
        impl ErrorCode {
            $( $(#[doc = $doc])* pub const $name: ErrorCode = ErrorCode($code); )*

            /// Every code OMEGA defines, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The stable snake_case name of this code (`"tenant_unknown"`),
            /// or `None` for a code OMEGA does not define.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $code => Some($slug), )*
                    _ => None,
                }
            }

            /// The documented meaning of this code (its doc comment), or
            /// `None` for a code OMEGA does not define.
            pub fn description(self) -> Option<&'static str> {
                match self.0 {
                    $( $code => Some(concat!($($doc),*).trim()), )*
                    _ => None,
                }
            }

            /// The Rust constant name of this code (`"TENANT_UNKNOWN"`).
            pub fn const_name(self) -> Option<&'static str> {
                match self.0 {
                    $( $code => Some(stringify!($name)), )*
                    _ => None,
                }
            }

            /// Looks a code up by its stable name.
            pub fn from_name(name: &str) -> Option<ErrorCode> {
                match name {
                    $( $slug => Some(ErrorCode::$name), )*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    /// The request body is not valid JSON.
    PARSE_ERROR = (-32700, "parse_error");
    /// The JSON is not a valid JSON-RPC request object.
    INVALID_REQUEST = (-32600, "invalid_request");
    /// The method (or MCP tool, for JSON-RPC callers) does not exist.
    METHOD_NOT_FOUND = (-32601, "method_not_found");
    /// Parameters or tool arguments do not match the published schema.
    INVALID_PARAMS = (-32602, "invalid_params");
    /// The server failed in a way the caller cannot fix.
    INTERNAL_ERROR = (-32603, "internal_error");

    /// No tenant was given, or the tenant id is malformed.
    TENANT_REQUIRED = (-32001, "tenant_required");
    /// The tenant is not configured on this deployment.
    TENANT_UNKNOWN = (-32002, "tenant_unknown");
    /// The caller may not act for this tenant.
    TENANT_FORBIDDEN = (-32003, "tenant_forbidden");
    /// The named entity (session, agent, record, ticket) does not exist for this tenant.
    NOT_FOUND = (-32004, "not_found");
    /// A value or request is larger than the configured limit.
    PAYLOAD_TOO_LARGE = (-32005, "payload_too_large");
    /// A record (agent card, server record, ticket) fails its schema or validation rules.
    SCHEMA_VIOLATION = (-32006, "schema_violation");
    /// A storage or messaging backend (Redis, PostgreSQL, NATS, disk) is unavailable; retry later.
    BACKEND_UNAVAILABLE = (-32007, "backend_unavailable");
    /// No credentials, or credentials that could not be verified.
    UNAUTHENTICATED = (-32008, "unauthenticated");
    /// The caller is authenticated but not allowed to perform this action.
    FORBIDDEN = (-32009, "forbidden");
    /// The server is shedding load; retry with backoff.
    OVERLOADED = (-32010, "overloaded");
    /// The call's deadline passed before it completed.
    DEADLINE_EXCEEDED = (-32011, "deadline_exceeded");
    /// No live agent offers the requested skill or capability.
    NO_LIVE_AGENT = (-32012, "no_live_agent");
    /// An upstream agent, server or Titan failed; `data.causes` names each cause.
    UPSTREAM_FAILED = (-32013, "upstream_failed");
    /// A tenant's token or cost budget is exhausted; `data.budget` names it.
    BUDGET_EXHAUSTED = (-32014, "budget_exhausted");
    /// The request conflicts with the current state (stale version, concurrent change).
    CONFLICT = (-32015, "conflict");
    /// The caller exceeded a rate limit; `data.retryAfterMs` says when to retry.
    RATE_LIMITED = (-32016, "rate_limited");
    /// The record already exists and may not be overwritten.
    ALREADY_EXISTS = (-32017, "already_exists");
    /// The write would take a tenant over a storage quota; nothing was stored. `data.extra.quota` names it.
    QUOTA_EXCEEDED = (-32018, "quota_exceeded");
}

impl ErrorCode {
    /// A Markdown table of every code: number, name, constant and meaning.
    /// `protocol/README.md` embeds it and a test keeps the two in sync.
    pub fn markdown_table() -> String {
        let mut out = String::from("| Code | Name | Constant | Meaning |\n|---:|---|---|---|\n");
        for code in Self::ALL {
            out.push_str(&format!(
                "| {} | `{}` | `ErrorCode::{}` | {} |\n",
                code.0,
                code.name().unwrap_or(""),
                code.const_name().unwrap_or(""),
                code.description().unwrap_or("").replace('|', "\\|"),
            ));
        }
        out
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The error object OMEGA puts on the wire: JSON-RPC's `{code, message, data}`
/// where `data` always carries the stable `name` and, when useful, a `hint`
/// that says what to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
#[error("{code}: {message}")]
#[serde(rename_all = "camelCase")]
pub struct OmegaError {
    /// The stable numeric code.
    pub code: ErrorCode,
    /// One sentence: what was wrong.
    pub message: String,
    /// Structured details.
    // Boxed so that `Result<T, OmegaError>` stays small on the hot path.
    #[serde(default)]
    pub data: Box<ErrorDetails>,
}

/// Structured details of an [`OmegaError`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    /// The stable name of the code (`"not_found"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the caller should change to succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending field, as a JSON pointer or dotted path, when one field is at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Anything else that helps (limits, causes, retry delays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<serde_json::Value>,
}

impl OmegaError {
    /// An error with `code` and `message`; `data.name` is filled from the code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: Box::new(ErrorDetails {
                name: code.name().map(str::to_owned),
                ..ErrorDetails::default()
            }),
        }
    }

    /// Adds a hint saying what to change.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.data.hint = Some(hint.into());
        self
    }

    /// Names the offending field.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.data.field = Some(field.into());
        self
    }

    /// Attaches extra structured details.
    pub fn with_extra(mut self, extra: serde_json::Value) -> Self {
        self.data.extra = Some(extra);
        self
    }

    /// Shorthand for [`ErrorCode::NOT_FOUND`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NOT_FOUND, what)
    }

    /// Shorthand for [`ErrorCode::INVALID_PARAMS`].
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }

    /// Shorthand for [`ErrorCode::INTERNAL_ERROR`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::INTERNAL_ERROR, message)
    }

    /// Shorthand for [`ErrorCode::BACKEND_UNAVAILABLE`].
    pub fn backend_unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BACKEND_UNAVAILABLE, message)
            .with_hint("the storage backend is unreachable; retry with backoff")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_named() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.0), "duplicate code {}", code.0);
            let name = code.name().expect("every code has a name");
            assert_eq!(ErrorCode::from_name(name), Some(*code));
        }
    }

    #[test]
    fn every_code_is_documented() {
        for code in ErrorCode::ALL {
            let text = code.description().expect("every code has a description");
            assert!(text.len() > 10 && text.ends_with('.'), "{code}: {text:?}");
            assert!(code.const_name().is_some());
        }
        assert_eq!(ErrorCode(-1).description(), None);
        assert_eq!(ErrorCode::NOT_FOUND.const_name(), Some("NOT_FOUND"));
        let table = ErrorCode::markdown_table();
        assert_eq!(table.lines().count(), ErrorCode::ALL.len() + 2);
        assert!(table.contains("| -32002 | `tenant_unknown` | `ErrorCode::TENANT_UNKNOWN` |"));
    }

    #[test]
    fn omega_codes_stay_in_the_server_range() {
        for code in ErrorCode::ALL {
            assert!(
                (-32099..=-32000).contains(&code.0) || (-32700..=-32600).contains(&code.0),
                "{code} is outside the JSON-RPC reserved ranges"
            );
        }
    }

    #[test]
    fn error_round_trips_with_its_name() {
        let err = OmegaError::not_found("no session s1").with_hint("create it with session_put");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], -32004);
        assert_eq!(json["data"]["name"], "not_found");
        let back: OmegaError = serde_json::from_value(json).unwrap();
        assert_eq!(back, err);
    }
}
