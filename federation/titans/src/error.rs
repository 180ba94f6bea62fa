//! Errors of a Titan call, with the provider's rate-limit and overload
//! semantics kept, and their mapping to OMEGA's wire error codes.

use std::time::Duration;

use omega_protocol::{ErrorCode, OmegaError};
use serde_json::json;

/// Why a Titan call failed.
///
/// Every provider's failure is folded into one of these, so the
/// orchestrator's retry and fallback logic never looks at provider text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TitanError {
    /// The provider rate-limited the call (HTTP 429). `retry_after` is the
    /// delay it asked for (`retry-after`, `retry-after-ms` or Gemini's
    /// `RetryInfo.retryDelay`), when it gave one.
    #[error("{titan} rate-limited the call{}", retry_hint(*.retry_after))]
    RateLimited {
        /// Titan name.
        titan: String,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The provider is overloaded (Anthropic 529 `overloaded_error`,
    /// HTTP 503, Gemini `UNAVAILABLE`).
    #[error("{titan} is overloaded; retry later or use another Titan")]
    Overloaded {
        /// Titan name.
        titan: String,
    },
    /// The provider failed with a 5xx status.
    #[error("{titan} failed with HTTP {status}")]
    Server {
        /// Titan name.
        titan: String,
        /// HTTP status.
        status: u16,
    },
    /// The call's deadline passed.
    #[error("{titan} did not answer within {}ms", .after.as_millis())]
    Timeout {
        /// Titan name.
        titan: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// The provider answered something this adapter cannot read.
    #[error("{titan} sent a malformed response: {detail}")]
    Malformed {
        /// Titan name.
        titan: String,
        /// What was wrong.
        detail: String,
    },
    /// The provider refused the credentials (HTTP 401/403, ACP auth required).
    #[error("{titan} refused the credentials: {detail}")]
    Auth {
        /// Titan name.
        titan: String,
        /// What the provider said.
        detail: String,
    },
    /// The account's quota or credit is exhausted (OpenAI `insufficient_quota`);
    /// retrying will not help until billing changes.
    #[error("{titan} quota exhausted: {detail}")]
    QuotaExhausted {
        /// Titan name.
        titan: String,
        /// What the provider said.
        detail: String,
    },
    /// The provider rejected the request (HTTP 400/404/413/422).
    #[error("{titan} rejected the request: {detail}")]
    BadRequest {
        /// Titan name.
        titan: String,
        /// What the provider said.
        detail: String,
    },
    /// The connection or process failed before an answer arrived.
    #[error("{titan} transport failed: {detail}")]
    Transport {
        /// Titan name.
        titan: String,
        /// What failed.
        detail: String,
    },
}

fn retry_hint(after: Option<Duration>) -> String {
    match after {
        Some(d) => format!("; retry after {}ms", d.as_millis()),
        None => String::new(),
    }
}

impl TitanError {
    /// The inverse of [`TitanError::to_omega`]: the failure of `titan` as
    /// another process (a Titan role) reported it on the wire.
    pub fn from_omega(titan: &str, err: &OmegaError) -> TitanError {
        let titan = titan.to_owned();
        let extra = |key: &str| err.data.extra.as_ref().and_then(|x| x.get(key));
        let millis = |key: &str| {
            extra(key)
                .and_then(|v| v.as_u64())
                .map(Duration::from_millis)
        };
        let detail = err.message.clone();
        if err.code == ErrorCode::RATE_LIMITED {
            return TitanError::RateLimited {
                titan,
                retry_after: millis("retryAfterMs"),
            };
        }
        if err.code == ErrorCode::OVERLOADED {
            return TitanError::Overloaded { titan };
        }
        if err.code == ErrorCode::DEADLINE_EXCEEDED {
            return TitanError::Timeout {
                titan,
                after: millis("timeoutMs").unwrap_or_default(),
            };
        }
        match extra("kind").and_then(|k| k.as_str()).unwrap_or_default() {
            "auth" => TitanError::Auth { titan, detail },
            "bad_request" => TitanError::BadRequest { titan, detail },
            "quota_exhausted" => TitanError::QuotaExhausted { titan, detail },
            "malformed" => TitanError::Malformed { titan, detail },
            "server" => TitanError::Server {
                titan,
                status: extra("status")
                    .and_then(|v| v.as_u64())
                    .and_then(|v| u16::try_from(v).ok())
                    .unwrap_or(502),
            },
            _ => TitanError::Transport { titan, detail },
        }
    }

    /// True when the same call may succeed if retried later (rate limit,
    /// overload, 5xx, timeout, transport failure).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Overloaded { .. }
                | Self::Server { .. }
                | Self::Timeout { .. }
                | Self::Transport { .. }
        )
    }

    /// The delay the provider asked for, when it asked.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The Titan that failed.
    pub fn titan(&self) -> &str {
        match self {
            Self::RateLimited { titan, .. }
            | Self::Overloaded { titan }
            | Self::Server { titan, .. }
            | Self::Timeout { titan, .. }
            | Self::Malformed { titan, .. }
            | Self::Auth { titan, .. }
            | Self::QuotaExhausted { titan, .. }
            | Self::BadRequest { titan, .. }
            | Self::Transport { titan, .. } => titan,
        }
    }

    /// A stable snake_case name of the failure kind (for metrics and
    /// `data.extra.kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Overloaded { .. } => "overloaded",
            Self::Server { .. } => "server",
            Self::Timeout { .. } => "timeout",
            Self::Malformed { .. } => "malformed",
            Self::Auth { .. } => "auth",
            Self::QuotaExhausted { .. } => "quota_exhausted",
            Self::BadRequest { .. } => "bad_request",
            Self::Transport { .. } => "transport",
        }
    }

    /// The wire error: `RATE_LIMITED` (with `data.extra.retryAfterMs`),
    /// `OVERLOADED`, `DEADLINE_EXCEEDED`, or `UPSTREAM_FAILED` for the rest.
    /// `data.extra` always names the `titan`, the `kind` and whether it is
    /// `retryable`.
    pub fn to_omega(&self) -> OmegaError {
        let mut extra = json!({
            "titan": self.titan(),
            "kind": self.kind(),
            "retryable": self.is_retryable(),
        });
        let (code, hint) = match self {
            Self::RateLimited { retry_after, .. } => {
                if let Some(d) = retry_after {
                    extra["retryAfterMs"] = json!(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
                }
                (
                    ErrorCode::RATE_LIMITED,
                    "wait retryAfterMs (or back off) before calling this Titan again",
                )
            }
            Self::Overloaded { .. } => (
                ErrorCode::OVERLOADED,
                "the provider is overloaded; retry with backoff or use another Titan",
            ),
            Self::Timeout { after, .. } => {
                extra["timeoutMs"] = json!(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
                (
                    ErrorCode::DEADLINE_EXCEEDED,
                    "raise the Titan's timeoutMs or use a faster model",
                )
            }
            Self::Server { status, .. } => {
                extra["status"] = json!(status);
                (
                    ErrorCode::UPSTREAM_FAILED,
                    "the provider failed; retry later",
                )
            }
            Self::Auth { .. } => (
                ErrorCode::UPSTREAM_FAILED,
                "check the Titan's API key secret in the configuration",
            ),
            Self::QuotaExhausted { .. } => (
                ErrorCode::UPSTREAM_FAILED,
                "the provider account has no quota left; fix billing or use another Titan",
            ),
            Self::BadRequest { .. } => (
                ErrorCode::UPSTREAM_FAILED,
                "the provider rejected the request; check model name, tools and limits",
            ),
            Self::Malformed { .. } | Self::Transport { .. } => (
                ErrorCode::UPSTREAM_FAILED,
                "the provider could not be reached or answered garbage; retry or use another Titan",
            ),
        };
        OmegaError::new(code, self.to_string())
            .with_hint(hint)
            .with_extra(extra)
    }
}

impl From<TitanError> for OmegaError {
    fn from(err: TitanError) -> Self {
        err.to_omega()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> String {
        "claude".into()
    }

    #[test]
    fn retryable_kinds() {
        assert!(
            TitanError::RateLimited {
                titan: t(),
                retry_after: None
            }
            .is_retryable()
        );
        assert!(TitanError::Overloaded { titan: t() }.is_retryable());
        assert!(
            TitanError::Server {
                titan: t(),
                status: 502
            }
            .is_retryable()
        );
        assert!(
            !TitanError::Auth {
                titan: t(),
                detail: "x".into()
            }
            .is_retryable()
        );
        assert!(
            !TitanError::QuotaExhausted {
                titan: t(),
                detail: "x".into()
            }
            .is_retryable()
        );
        assert!(
            !TitanError::Malformed {
                titan: t(),
                detail: "x".into()
            }
            .is_retryable()
        );
    }

    #[test]
    fn rate_limited_maps_with_delay() {
        let err = TitanError::RateLimited {
            titan: t(),
            retry_after: Some(Duration::from_millis(1500)),
        }
        .to_omega();
        assert_eq!(err.code, ErrorCode::RATE_LIMITED);
        let extra = err.data.extra.unwrap();
        assert_eq!(extra["retryAfterMs"], 1500);
        assert_eq!(extra["titan"], "claude");
        assert_eq!(extra["retryable"], true);
    }

    #[test]
    fn codes_for_each_kind() {
        let timeout = TitanError::Timeout {
            titan: t(),
            after: Duration::from_secs(2),
        };
        assert_eq!(timeout.to_omega().code, ErrorCode::DEADLINE_EXCEEDED);
        assert_eq!(
            TitanError::Overloaded { titan: t() }.to_omega().code,
            ErrorCode::OVERLOADED
        );
        let server = OmegaError::from(TitanError::Server {
            titan: t(),
            status: 500,
        });
        assert_eq!(server.code, ErrorCode::UPSTREAM_FAILED);
        assert_eq!(server.data.extra.unwrap()["status"], 500);
    }
}
