//! Library errors and the HTTP error responses of the dashboard API.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use omega_protocol::{ErrorCode, OmegaError};
use serde_json::json;

/// Failures of the dashboard's backends (store, queue, context server, classifier).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DashboardError {
    /// The document store failed.
    #[error("store: {0}")]
    Store(#[from] omega_store::StoreError),
    /// The queue failed.
    #[error("queue: {0}")]
    Queue(#[from] omega_queue::QueueError),
    /// The context server (long-term memory) failed.
    #[error("context server: {0}")]
    Context(String),
    /// The classifier refused an update.
    #[error("classifier: {0}")]
    Classifier(String),
    /// A stored or queued document could not be read.
    #[error("undecodable {what}: {reason}")]
    Decode {
        /// What was being read.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// An input or configuration value is invalid.
    #[error("invalid: {0}")]
    Invalid(String),
}

impl DashboardError {
    pub(crate) fn decode(what: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Decode {
            what,
            reason: e.to_string(),
        }
    }
}

/// An error answered by the HTTP API: a status and OMEGA's wire error
/// (`{"error": {code, message, data: {name, hint, ...}}}`).
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The wire error.
    pub error: OmegaError,
}

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            error: OmegaError::new(code, message),
        }
    }

    /// Adds a hint saying what to change.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.error = self.error.with_hint(hint);
        self
    }

    /// Adds structured details.
    pub fn extra(mut self, extra: serde_json::Value) -> Self {
        self.error = self.error.with_extra(extra);
        self
    }

    /// 401: no token, or one that is expired or invalid.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::UNAUTHENTICATED,
            message,
        )
        .hint("sign in again with your employee token")
    }

    /// 403: the employee may not see or change this tenant's tickets.
    pub fn forbidden_tenant(tenant: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::TENANT_FORBIDDEN,
            format!("you may not act for tenant `{tenant}`"),
        )
        .hint("ask an administrator to add the tenant to your employee token")
    }

    /// 404.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NOT_FOUND, what)
    }

    /// 400 with the offending field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, ErrorCode::INVALID_PARAMS, message);
        e.error = e.error.with_field(field);
        e
    }
}

impl From<DashboardError> for ApiError {
    fn from(e: DashboardError) -> Self {
        tracing::warn!(error = %e, "dashboard backend failed");
        match e {
            DashboardError::Invalid(m) => {
                Self::new(StatusCode::BAD_REQUEST, ErrorCode::INVALID_PARAMS, m)
            }
            other => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::BACKEND_UNAVAILABLE,
                other.to_string(),
            )
            .hint("retry in a moment"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.error }))).into_response()
    }
}
