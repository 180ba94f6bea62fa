//! The context server's shared state and its input checks.

use std::sync::Arc;

use omega_protocol::{ErrorCode, OmegaError};
use omega_store::{KvStore, VectorStore};
use serde_json::{Value, json};

use crate::Embedder;

/// Backends and limits the context tools share.
pub struct ContextState {
    /// Sessions and cache.
    pub kv: Arc<dyn KvStore>,
    /// Long-term memory and ticket history.
    pub vectors: Arc<dyn VectorStore>,
    /// Largest stored value, in bytes.
    pub max_value_bytes: usize,
    /// The text embedder.
    pub embedder: Embedder,
}

impl std::fmt::Debug for ContextState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextState")
            .field("max_value_bytes", &self.max_value_bytes)
            .finish_non_exhaustive()
    }
}

impl ContextState {
    /// Serializes `value` and refuses it when it is over the size limit.
    pub(crate) fn encode_value(&self, field: &str, value: &Value) -> Result<Vec<u8>, OmegaError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| OmegaError::internal(format!("cannot encode value: {e}")))?;
        self.check_size(field, bytes.len())?;
        Ok(bytes)
    }

    pub(crate) fn check_size(&self, field: &str, len: usize) -> Result<(), OmegaError> {
        if len > self.max_value_bytes {
            return Err(OmegaError::new(
                ErrorCode::PAYLOAD_TOO_LARGE,
                format!(
                    "`{field}` is {len} bytes; the limit is {} bytes",
                    self.max_value_bytes
                ),
            )
            .with_field(field)
            .with_hint("store large content elsewhere and keep a reference here")
            .with_extra(json!({"limitBytes": self.max_value_bytes, "actualBytes": len})));
        }
        Ok(())
    }
}

/// Checks an id-like argument: 1-`max` characters of letters, digits and `._:-`.
pub(crate) fn check_id(field: &str, id: &str, max: usize) -> Result<(), OmegaError> {
    let ok = !id.is_empty()
        && id.len() <= max
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(OmegaError::invalid_params(format!(
            "`{field}` must be 1-{max} characters of letters, digits, '.', '_', ':' or '-'"
        ))
        .with_field(field))
    }
}

/// Checks a free-form key: 1-`max` bytes, no control characters.
pub(crate) fn check_key(field: &str, key: &str, max: usize) -> Result<(), OmegaError> {
    if key.is_empty() || key.len() > max || key.chars().any(char::is_control) {
        return Err(OmegaError::invalid_params(format!(
            "`{field}` must be 1-{max} bytes without control characters"
        ))
        .with_field(field));
    }
    Ok(())
}

/// Resolves an optional TTL argument against a default and a maximum.
pub(crate) fn ttl(
    field: &str,
    given: Option<u64>,
    default: u64,
    max: u64,
) -> Result<u64, OmegaError> {
    match given {
        None => Ok(default),
        Some(0) => Err(
            OmegaError::invalid_params(format!("`{field}` must be at least 1")).with_field(field),
        ),
        Some(t) if t > max => Err(OmegaError::invalid_params(format!(
            "`{field}` is {t}; the maximum is {max} seconds"
        ))
        .with_field(field)),
        Some(t) => Ok(t),
    }
}
