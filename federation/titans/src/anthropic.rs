//! ClaudeTitan: the Anthropic Messages API (`POST {base}/v1/messages`,
//! `x-api-key`, `anthropic-version: 2023-06-01`).
//!
//! Streams are the typed SSE events `message_start`, `content_block_start`,
//! `content_block_delta` (`text_delta`, `input_json_delta`),
//! `content_block_stop`, `message_delta`, `message_stop`, `ping` and `error`.
//! HTTP 529 / `overloaded_error` becomes [`TitanError::Overloaded`].

mod wire;

use http::HeaderName;
use http::header::HeaderValue;
use serde_json::{Value, json};

use crate::config::{ConfigError, HttpTitanConfig, ProviderDefaults, Resolved};
use crate::error::TitanError;
use crate::http::{Deadline, HttpClient, header_value, read_json, sse_events};
use crate::secret::{Secret, SecretSource, key_text, read_key};
use crate::stream::decode;
use crate::titan::{Titan, TitanStream};
use crate::{TitanCallRequest, TitanCallResult};

/// The API version this adapter speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

const DEFAULTS: ProviderDefaults = ProviderDefaults {
    base_url: "https://api.anthropic.com",
    model: "claude-sonnet-4-5",
    api_key_secret: "ANTHROPIC_API_KEY",
};

/// A Titan speaking the Anthropic Messages API (`claude`).
#[derive(Debug)]
pub struct ClaudeTitan {
    cfg: Resolved,
    key: Secret,
    http: HttpClient,
}

impl ClaudeTitan {
    /// ClaudeTitan from its configuration, reading its key from `secrets`.
    pub async fn new(
        cfg: &HttpTitanConfig,
        secrets: &dyn SecretSource,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let cfg = crate::config::resolve(cfg, "claude", &DEFAULTS)?;
        let key = read_key(secrets, "claude", &cfg.api_key_secret).await?;
        Ok(Self { cfg, key, http })
    }

    /// The request body for `req`.
    pub fn request_body(&self, req: &TitanCallRequest, stream: bool) -> Value {
        let (system, messages) = wire::messages(&req.messages);
        let mut body = json!({
            "model": req.model.as_deref().unwrap_or(&self.cfg.model),
            // Required by the API.
            "max_tokens": req.max_output_tokens.unwrap_or(self.cfg.max_output_tokens),
            "messages": messages,
        });
        if let Some(system) = system {
            body["system"] = json!(system);
        }
        if !req.tools.is_empty() {
            body["tools"] = req
                .tools
                .iter()
                .map(|t| {
                    json!({
                        "name": t.name,
                        "description": t.description,
                        "input_schema": t.input_schema,
                    })
                })
                .collect();
        }
        if let Some(t) = req.temperature {
            // Anthropic accepts 0..=1; OMEGA's range is 0..=2.
            body["temperature"] = json!(t.min(1.0));
        }
        if stream {
            body["stream"] = json!(true);
        }
        body
    }

    async fn send(
        &self,
        req: &TitanCallRequest,
        stream: bool,
    ) -> Result<(http::Response<hyper::body::Incoming>, Deadline), TitanError> {
        req.validate().map_err(|e| TitanError::BadRequest {
            titan: "claude".into(),
            detail: e.message,
        })?;
        let body = self.request_body(req, stream);
        if body["messages"].as_array().is_none_or(Vec::is_empty) {
            return Err(TitanError::BadRequest {
                titan: "claude".into(),
                detail: "the call has only system messages".into(),
            });
        }
        let deadline = Deadline::after(self.cfg.timeout);
        let headers = vec![
            (
                HeaderName::from_static("x-api-key"),
                header_value("claude", key_text("claude", &self.key)?)?,
            ),
            (
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static(ANTHROPIC_VERSION),
            ),
        ];
        tracing::debug!(titan = "claude", model = ?req.model, stream, "messages call");
        let resp = self
            .http
            .post_json(
                "claude",
                &format!("{}/v1/messages", self.cfg.base_url),
                headers,
                &body,
                deadline,
                wire::parse_error,
            )
            .await?;
        Ok((resp, deadline))
    }
}

#[async_trait::async_trait]
impl Titan for ClaudeTitan {
    fn name(&self) -> &str {
        "claude"
    }

    fn default_model(&self) -> &str {
        &self.cfg.model
    }

    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        let (resp, deadline) = self.send(req, false).await?;
        let msg: wire::Message = read_json("claude", resp, deadline).await?;
        msg.into_result(&self.cfg.prices)
    }

    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError> {
        let (resp, _) = self.send(req, true).await?;
        let model = req.model.clone().unwrap_or_else(|| self.cfg.model.clone());
        Ok(decode(
            sse_events("claude".into(), resp, self.cfg.timeout),
            wire::EventDecoder::new(model, self.cfg.prices.clone()),
        ))
    }
}
