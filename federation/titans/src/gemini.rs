//! GeminiTitan: the Gemini API (`POST {base}/v1beta/models/{model}:generateContent`
//! and `:streamGenerateContent?alt=sse`, `x-goog-api-key`).
//!
//! Conversations are `contents` of `parts`; tools are `functionDeclarations`
//! and calls come back as whole `functionCall` parts; token counts are in
//! `usageMetadata`. Errors are `{error: {code, message, status}}`, and a 429's
//! `RetryInfo.retryDelay` becomes the retry delay when no header gives one.

mod wire;

use http::HeaderName;
use serde_json::{Value, json};

use crate::config::{ConfigError, HttpTitanConfig, ProviderDefaults, Resolved};
use crate::error::TitanError;
use crate::http::{Deadline, HttpClient, header_value, read_json, sse_events};
use crate::secret::{Secret, SecretSource, key_text, read_key};
use crate::stream::decode;
use crate::titan::{Titan, TitanStream};
use crate::{TitanCallRequest, TitanCallResult};

const DEFAULTS: ProviderDefaults = ProviderDefaults {
    base_url: "https://generativelanguage.googleapis.com",
    model: "gemini-2.5-flash",
    api_key_secret: "GEMINI_API_KEY",
};

/// A Titan speaking the Gemini API (`gemini`).
#[derive(Debug)]
pub struct GeminiTitan {
    cfg: Resolved,
    key: Secret,
    http: HttpClient,
}

impl GeminiTitan {
    /// GeminiTitan from its configuration, reading its key from `secrets`.
    pub async fn new(
        cfg: &HttpTitanConfig,
        secrets: &dyn SecretSource,
        http: HttpClient,
    ) -> Result<Self, ConfigError> {
        let cfg = crate::config::resolve(cfg, "gemini", &DEFAULTS)?;
        let key = read_key(secrets, "gemini", &cfg.api_key_secret).await?;
        Ok(Self { cfg, key, http })
    }

    fn model<'a>(&'a self, req: &'a TitanCallRequest) -> &'a str {
        let m = req.model.as_deref().unwrap_or(&self.cfg.model);
        m.strip_prefix("models/").unwrap_or(m)
    }

    /// The request body for `req` (the same for both endpoints).
    pub fn request_body(&self, req: &TitanCallRequest) -> Result<Value, TitanError> {
        let (system, contents) = wire::contents(&req.messages)?;
        let mut body = json!({"contents": contents});
        if let Some(system) = system {
            body["systemInstruction"] = json!({"parts": [{"text": system}]});
        }
        if !req.tools.is_empty() {
            let decls: Vec<Value> = req
                .tools
                .iter()
                .map(|t| {
                    json!({
                        "name": t.name,
                        "description": t.description,
                        // Full JSON Schema (the `parameters` field takes only
                        // an OpenAPI subset).
                        "parametersJsonSchema": t.input_schema,
                    })
                })
                .collect();
            body["tools"] = json!([{"functionDeclarations": decls}]);
        }
        let mut gen_cfg = serde_json::Map::new();
        if let Some(max) = req.max_output_tokens {
            gen_cfg.insert("maxOutputTokens".into(), json!(max));
        }
        if let Some(t) = req.temperature {
            gen_cfg.insert("temperature".into(), json!(t));
        }
        if !gen_cfg.is_empty() {
            body["generationConfig"] = Value::Object(gen_cfg);
        }
        Ok(body)
    }

    async fn send(
        &self,
        req: &TitanCallRequest,
        stream: bool,
    ) -> Result<(http::Response<hyper::body::Incoming>, Deadline), TitanError> {
        req.validate().map_err(|e| TitanError::BadRequest {
            titan: "gemini".into(),
            detail: e.message,
        })?;
        let body = self.request_body(req)?;
        if body["contents"].as_array().is_none_or(Vec::is_empty) {
            return Err(TitanError::BadRequest {
                titan: "gemini".into(),
                detail: "the call has only system messages".into(),
            });
        }
        let model = self.model(req);
        if model.is_empty() || model.contains(['/', '?', '#', ':']) {
            return Err(TitanError::BadRequest {
                titan: "gemini".into(),
                detail: format!("{model:?} is not a Gemini model name"),
            });
        }
        let url = if stream {
            format!(
                "{}/v1beta/models/{model}:streamGenerateContent?alt=sse",
                self.cfg.base_url
            )
        } else {
            format!(
                "{}/v1beta/models/{model}:generateContent",
                self.cfg.base_url
            )
        };
        let deadline = Deadline::after(self.cfg.timeout);
        let headers = vec![(
            HeaderName::from_static("x-goog-api-key"),
            header_value("gemini", key_text("gemini", &self.key)?)?,
        )];
        tracing::debug!(titan = "gemini", model, stream, "generateContent call");
        let resp = self
            .http
            .post_json("gemini", &url, headers, &body, deadline, wire::parse_error)
            .await?;
        Ok((resp, deadline))
    }
}

#[async_trait::async_trait]
impl Titan for GeminiTitan {
    fn name(&self) -> &str {
        "gemini"
    }

    fn default_model(&self) -> &str {
        &self.cfg.model
    }

    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        let (resp, deadline) = self.send(req, false).await?;
        let body: wire::Response = read_json("gemini", resp, deadline).await?;
        let mut acc = wire::Accumulator::new(self.model(req).to_owned(), self.cfg.prices.clone());
        acc.add(body, &mut Vec::new());
        acc.finish(true)
    }

    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError> {
        let (resp, _) = self.send(req, true).await?;
        let acc = wire::Accumulator::new(self.model(req).to_owned(), self.cfg.prices.clone());
        Ok(decode(
            sse_events("gemini".into(), resp, self.cfg.timeout),
            acc,
        ))
    }
}
