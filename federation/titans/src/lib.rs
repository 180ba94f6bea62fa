//! Titan adapters for LLM providers (OpenAI, Anthropic, Gemini, xAI, Augment) and the local Titan.
//!
//! Every Titan implements [`Titan`]: one provider-neutral call
//! ([`TitanCallRequest`] → [`TitanCallResult`]) and a streaming variant
//! yielding [`TitanEvent`]s. The hosted adapters speak each provider's real
//! HTTP API over rustls (ring): [`OpenAiTitan`] (GPTTitan and, at xAI's base
//! URL, GrokTitan), [`ClaudeTitan`] (Anthropic Messages) and [`GeminiTitan`].
//! [`AugmentTitan`] drives the Auggie CLI over the Agent Client Protocol.
//! [`LocalTitan`] wraps OMEGA's embedded classifier and is the default, so
//! everything runs without keys.
//!
//! Failures are [`TitanError`]s that keep the provider's semantics (429 with
//! its retry delay, 529/503 overload, 5xx, deadline) and map to
//! [`omega_protocol::OmegaError`] codes. Keys come from a [`SecretSource`]
//! and never reach logs. [`build_titans`] builds the configured set.

pub mod anthropic;
pub mod augment;
pub mod config;
pub mod error;
pub mod gemini;
pub mod http;
pub mod local;
pub mod openai;
pub mod secret;
pub mod sse;
pub mod stream;
pub mod titan;

mod registry;

pub use anthropic::ClaudeTitan;
pub use augment::AugmentTitan;
pub use config::{
    AugmentConfig, ConfigError, HttpTitanConfig, LocalConfig, ModelPrice, PriceTable, TITAN_NAMES,
    TitanConfig,
};
pub use error::TitanError;
pub use gemini::GeminiTitan;
pub use local::{LocalModel, LocalTitan};
pub use omega_protocol::{
    ChatMessage, ChatRole, FinishReason, TitanCallRequest, TitanCallResult, ToolCall, ToolSpec,
    Usage,
};
pub use openai::{GptTitan, GrokTitan, OpenAiTitan};
pub use registry::{Titans, build_titans};
pub use secret::{EnvSecrets, FileSecrets, Secret, SecretError, SecretSource};
pub use stream::collect;
pub use titan::{Titan, TitanEvent, TitanStream};
