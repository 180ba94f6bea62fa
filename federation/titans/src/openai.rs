//! OpenAI Chat Completions (`POST {base}/chat/completions`, Bearer auth),
//! used by GPTTitan and, at xAI's base URL, by GrokTitan.
//!
//! Streaming sets `stream: true` with `stream_options.include_usage`, so the
//! last chunk before `data: [DONE]` carries the usage; tool calls arrive as
//! `delta.tool_calls` fragments keyed by `index`.

mod wire;

use http::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::config::{ConfigError, HttpTitanConfig, ProviderDefaults, Resolved};
use crate::error::TitanError;
use crate::http::{Deadline, HttpClient, header_value, read_json, sse_events};
use crate::secret::{Secret, SecretSource, key_text, read_key};
use crate::stream::decode;
use crate::titan::{Titan, TitanStream};
use crate::{ChatRole, TitanCallRequest, TitanCallResult};

/// GPTTitan: an [`OpenAiTitan`] at OpenAI.
pub type GptTitan = OpenAiTitan;
/// GrokTitan: an [`OpenAiTitan`] at xAI's OpenAI-compatible API.
pub type GrokTitan = OpenAiTitan;

/// Which OpenAI-compatible service this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    OpenAi,
    Xai,
}

/// A Titan speaking the OpenAI Chat Completions API.
#[derive(Debug)]
pub struct OpenAiTitan {
    name: String,
    flavor: Flavor,
    cfg: Resolved,
    key: Secret,
    http: HttpClient,
}

const GPT_DEFAULTS: ProviderDefaults = ProviderDefaults {
    base_url: "https://api.openai.com/v1",
    model: "gpt-4o-mini",
    api_key_secret: "OPENAI_API_KEY",
};

const GROK_DEFAULTS: ProviderDefaults = ProviderDefaults {
    base_url: "https://api.x.ai/v1",
    model: "grok-3-mini",
    api_key_secret: "XAI_API_KEY",
};

impl OpenAiTitan {
    /// GPTTitan (`gpt`) from its configuration, reading its key from `secrets`.
    pub async fn gpt(
        cfg: &HttpTitanConfig,
        secrets: &dyn SecretSource,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        Self::build("gpt", Flavor::OpenAi, &GPT_DEFAULTS, cfg, secrets, http).await
    }

    /// GrokTitan (`grok`) from its configuration, reading its key from `secrets`.
    pub async fn grok(
        cfg: &HttpTitanConfig,
        secrets: &dyn SecretSource,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        Self::build("grok", Flavor::Xai, &GROK_DEFAULTS, cfg, secrets, http).await
    }

    async fn build(
        name: &str,
        flavor: Flavor,
        defaults: &ProviderDefaults,
        cfg: &HttpTitanConfig,
        secrets: &dyn SecretSource,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let cfg = crate::config::resolve(cfg, name, defaults)?;
        let key = read_key(secrets, name, &cfg.api_key_secret).await?;
        Ok(Self {
            name: name.into(),
            flavor,
            cfg,
            key,
            http,
        })
    }

    /// The request body for `req`.
    pub fn request_body(&self, req: &TitanCallRequest, stream: bool) -> Value {
        let model = req.model.as_deref().unwrap_or(&self.cfg.model);
        let mut body = json!({
            "model": model,
            "messages": req.messages.iter().map(wire::message).collect::<Vec<_>>(),
        });
        if !req.tools.is_empty() {
            body["tools"] = req.tools.iter().map(wire::tool).collect();
        }
        if let Some(max) = req.max_output_tokens {
            // OpenAI replaced `max_tokens` with `max_completion_tokens`;
            // xAI documents `max_tokens`.
            let field = match self.flavor {
                Flavor::OpenAi => "max_completion_tokens",
                Flavor::Xai => "max_tokens",
            };
            body[field] = json!(max);
        }
        if let Some(t) = req.temperature {
            body["temperature"] = json!(t);
        }
        if stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    async fn send(
        &self,
        req: &TitanCallRequest,
        stream: bool,
    ) -> Result<(http::Response<hyper::body::Incoming>, Deadline), TitanError> {
        req.validate().map_err(|e| TitanError::BadRequest {
            titan: self.name.clone(),
            detail: e.message,
        })?;
        if req.messages.iter().all(|m| m.role == ChatRole::System) {
            return Err(TitanError::BadRequest {
                titan: self.name.clone(),
                detail: "the call has only system messages".into(),
            });
        }
        let deadline = Deadline::after(self.cfg.timeout);
        let bearer = header_value(
            &self.name,
            &format!("Bearer {}", key_text(&self.name, &self.key)?),
        )?;
        let url = format!("{}/chat/completions", self.cfg.base_url);
        tracing::debug!(titan = %self.name, model = ?req.model, stream, "chat completions call");
        let resp = self
            .http
            .post_json(
                &self.name,
                &url,
                vec![(AUTHORIZATION, bearer)],
                &self.request_body(req, stream),
                deadline,
                wire::parse_error,
            )
            .await?;
        Ok((resp, deadline))
    }
}

#[async_trait::async_trait]
impl Titan for OpenAiTitan {
    fn name(&self) -> &str {
        &self.name
    }

    fn default_model(&self) -> &str {
        &self.cfg.model
    }

    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        let (resp, deadline) = self.send(req, false).await?;
        let body: wire::Completion = read_json(&self.name, resp, deadline).await?;
        body.into_result(&self.name, &self.cfg.prices)
    }

    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError> {
        let (resp, _) = self.send(req, true).await?;
        let events = sse_events(self.name.clone(), resp, self.cfg.timeout);
        let model = req.model.clone().unwrap_or_else(|| self.cfg.model.clone());
        Ok(decode(
            events,
            wire::ChunkDecoder::new(&self.name, model, self.cfg.prices.clone()),
        ))
    }
}
