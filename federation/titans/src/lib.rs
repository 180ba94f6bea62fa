//! Titan adapters for LLM providers (OpenAI, Anthropic, Gemini, xAI, Augment) and the local Titan.

pub mod config;
pub mod error;
pub mod http;
pub mod secret;
pub mod sse;
pub mod titan;

pub use omega_protocol::{
    ChatMessage, ChatRole, FinishReason, TitanCallRequest, TitanCallResult, ToolCall, ToolSpec,
    Usage,
};
pub use config::{ConfigError, TitanConfig};
pub use error::TitanError;
pub use secret::{Secret, SecretError, SecretSource};
pub use titan::{Titan, TitanEvent, TitanStream};
