//! The local Titan: OMEGA's embedded classifier answering classification
//! requests in-process (no network, no keys, no cost). It is the default
//! Titan, so a deployment without provider keys still works.

use std::sync::Arc;

use futures::stream::{self, StreamExt};
use serde_json::json;

use crate::error::TitanError;
use crate::titan::{Titan, TitanEvent, TitanStream};
use crate::{ChatMessage, ChatRole, FinishReason, TitanCallRequest, TitanCallResult, Usage};

/// A text classifier. The classifier crate implements it; the Titan only
/// needs a label and a confidence in `[0, 1]`.
pub trait LocalModel: Send + Sync {
    /// The label for `text` (or `None` when the model abstains) and its
    /// confidence.
    fn classify(&self, text: &str) -> (Option<String>, f64);
}

/// The local Titan (`local`).
///
/// It classifies the text of the last user message and answers with a JSON
/// object `{"category": <label or null>, "confidence": <0..1>}` as the
/// assistant message content. Tools are ignored; usage is zero tokens and
/// zero cost (nothing is billed).
pub struct LocalTitan {
    model_name: String,
    model: Arc<dyn LocalModel>,
}

impl std::fmt::Debug for LocalTitan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTitan")
            .field("model", &self.model_name)
            .finish_non_exhaustive()
    }
}

impl LocalTitan {
    /// A local Titan reporting `model_name` and backed by `model`.
    pub fn new(model_name: impl Into<String>, model: Arc<dyn LocalModel>) -> Self {
        Self {
            model_name: model_name.into(),
            model,
        }
    }

    fn answer(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        req.validate().map_err(|e| TitanError::BadRequest {
            titan: "local".into(),
            detail: e.message,
        })?;
        if let Some(m) = &req.model
            && m != &self.model_name
        {
            return Err(TitanError::BadRequest {
                titan: "local".into(),
                detail: format!(
                    "model {m:?} is not served here; the local Titan serves {:?}",
                    self.model_name
                ),
            });
        }
        let text = req
            .messages
            .iter()
            .rev()
            .find(|m| m.role == ChatRole::User && !m.content.trim().is_empty())
            .map(|m| m.content.as_str())
            .ok_or_else(|| TitanError::BadRequest {
                titan: "local".into(),
                detail:
                    "the local Titan classifies the last user message, and there is none with text"
                        .into(),
            })?;
        let (label, confidence) = self.model.classify(text);
        if !(confidence.is_finite() && (0.0..=1.0).contains(&confidence)) {
            return Err(TitanError::Malformed {
                titan: "local".into(),
                detail: format!("the classifier returned confidence {confidence} outside [0, 1]"),
            });
        }
        let content = json!({"category": label, "confidence": confidence}).to_string();
        Ok(TitanCallResult {
            titan: "local".into(),
            model: self.model_name.clone(),
            message: ChatMessage::text(ChatRole::Assistant, content),
            finish_reason: FinishReason::Stop,
            usage: Usage::default(),
        })
    }
}

#[async_trait::async_trait]
impl Titan for LocalTitan {
    fn name(&self) -> &str {
        "local"
    }

    fn default_model(&self) -> &str {
        &self.model_name
    }

    fn is_local(&self) -> bool {
        true
    }

    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        self.answer(req)
    }

    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError> {
        let result = self.answer(req)?;
        let events = vec![
            Ok(TitanEvent::TextDelta {
                text: result.message.content.clone(),
            }),
            Ok(TitanEvent::Completed(result)),
        ];
        Ok(stream::iter(events).boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omega_protocol::TenantId;

    struct Keyword;
    impl LocalModel for Keyword {
        fn classify(&self, text: &str) -> (Option<String>, f64) {
            if text.contains("VPN") {
                (Some("network".into()), 0.9)
            } else {
                (None, 0.2)
            }
        }
    }

    fn req(text: &str) -> TitanCallRequest {
        TitanCallRequest {
            tenant: TenantId::parse("acme").unwrap(),
            titan: None,
            model: None,
            messages: vec![
                ChatMessage::text(ChatRole::System, "classify"),
                ChatMessage::text(ChatRole::User, text),
            ],
            tools: vec![],
            max_output_tokens: None,
            temperature: None,
            trace: None,
        }
    }

    #[tokio::test]
    async fn classifies_last_user_message() {
        let t = LocalTitan::new("omega-classifier", Arc::new(Keyword));
        let r = t.call(&req("VPN drops hourly")).await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.message.content).unwrap();
        assert_eq!(v["category"], "network");
        assert_eq!(v["confidence"], 0.9);
        assert_eq!(r.usage, Usage::default());
        let r = t.call(&req("printer jam")).await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.message.content).unwrap();
        assert!(v["category"].is_null());
    }

    #[tokio::test]
    async fn refuses_other_models_and_empty_input() {
        let t = LocalTitan::new("omega-classifier", Arc::new(Keyword));
        let mut r = req("VPN");
        r.model = Some("gpt-4o".into());
        assert!(matches!(
            t.call(&r).await,
            Err(TitanError::BadRequest { .. })
        ));
        assert!(matches!(
            t.call(&req("  ")).await,
            Err(TitanError::BadRequest { .. })
        ));
        let events: Vec<_> = t.stream(&req("VPN")).await.unwrap().collect().await;
        assert!(matches!(events.last(), Some(Ok(TitanEvent::Completed(_)))));
    }
}
