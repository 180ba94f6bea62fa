//! Client errors.

use omega_protocol::{ErrorCode, OmegaError};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with an error; the code is stable.
    #[error("server error {0}")]
    Server(#[from] OmegaError),
    /// The request did not reach the server or no answer came back.
    #[error("transport error: {0}")]
    Transport(String),
    /// The answer was not what the protocol says it should be.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The call did not finish within the configured timeout.
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
}

impl ClientError {
    /// The server's error code, when the server answered with an error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Server(e) => Some(e.code),
            _ => None,
        }
    }

    /// Whether retrying the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Transport(_) | ClientError::Timeout(_) => true,
            ClientError::Server(e) => matches!(
                e.code,
                ErrorCode::BACKEND_UNAVAILABLE | ErrorCode::OVERLOADED | ErrorCode::RATE_LIMITED
            ),
            ClientError::Protocol(_) => false,
        }
    }
}
