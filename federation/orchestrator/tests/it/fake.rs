//! Deterministic fake Titans: fixed answers, failures, slow and hanging ones.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use omega_protocol::{
    ChatMessage, ChatRole, FinishReason, TenantId, TitanCallRequest, TitanCallResult, Usage,
};
use omega_titans::{Titan, TitanError, TitanEvent, TitanStream};

/// What a fake Titan does on each call.
#[derive(Clone)]
pub enum Behaviour {
    /// Answers `{"category": label, "confidence": c}` after `delay`.
    Classify {
        label: Option<&'static str>,
        confidence: f64,
        delay: Duration,
    },
    /// Answers this text.
    Text(&'static str),
    /// Fails with this error.
    Fail(TitanError),
    /// Never answers.
    Hang,
}

pub struct FakeTitan {
    pub name: &'static str,
    pub local: bool,
    pub behaviour: Behaviour,
    pub usage: Usage,
    pub calls: AtomicUsize,
    /// The trace context of the last call.
    pub seen_trace: std::sync::Mutex<Option<omega_protocol::TraceContext>>,
}

impl FakeTitan {
    pub fn new(name: &'static str, behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Self {
            name,
            local: false,
            behaviour,
            usage: Usage {
                input_tokens: 10,
                output_tokens: 5,
                cost_usd: 0.01,
            },
            calls: AtomicUsize::new(0),
            seen_trace: Default::default(),
        })
    }

    pub fn local(name: &'static str, behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Self {
            name,
            local: true,
            behaviour,
            usage: Usage::default(),
            calls: AtomicUsize::new(0),
            seen_trace: Default::default(),
        })
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn result(&self, content: String) -> TitanCallResult {
        TitanCallResult {
            titan: self.name.into(),
            model: format!("{}-model", self.name),
            message: ChatMessage::text(ChatRole::Assistant, content),
            finish_reason: FinishReason::Stop,
            usage: self.usage,
        }
    }
}

pub fn classify(label: &'static str, confidence: f64) -> Behaviour {
    Behaviour::Classify {
        label: Some(label),
        confidence,
        delay: Duration::ZERO,
    }
}

pub fn server_error(titan: &str) -> TitanError {
    TitanError::Server {
        titan: titan.into(),
        status: 500,
    }
}

#[async_trait::async_trait]
impl Titan for FakeTitan {
    fn name(&self) -> &str {
        self.name
    }

    fn default_model(&self) -> &str {
        "fake"
    }

    fn is_local(&self) -> bool {
        self.local
    }

    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        *self.seen_trace.lock().unwrap() = req.trace.clone();
        assert_eq!(
            req.titan.as_deref(),
            Some(self.name),
            "the orchestrator names the Titan"
        );
        match &self.behaviour {
            Behaviour::Classify {
                label,
                confidence,
                delay,
            } => {
                tokio::time::sleep(*delay).await;
                let content =
                    serde_json::json!({"category": label, "confidence": confidence}).to_string();
                Ok(self.result(content))
            }
            Behaviour::Text(t) => Ok(self.result((*t).to_owned())),
            Behaviour::Fail(e) => Err(e.clone()),
            Behaviour::Hang => std::future::pending().await,
        }
    }

    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError> {
        let result = self.call(req).await?;
        let words: Vec<String> = result
            .message
            .content
            .split_inclusive(' ')
            .map(str::to_owned)
            .collect();
        let mut events: Vec<Result<TitanEvent, TitanError>> = words
            .into_iter()
            .map(|text| Ok(TitanEvent::TextDelta { text }))
            .collect();
        events.push(Ok(TitanEvent::Completed(result)));
        Ok(futures::stream::iter(events).boxed())
    }
}

pub fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

pub fn request(text: &str) -> TitanCallRequest {
    TitanCallRequest {
        tenant: acme(),
        titan: None,
        model: None,
        messages: vec![ChatMessage::text(ChatRole::User, text)],
        tools: vec![],
        max_output_tokens: None,
        temperature: None,
        trace: None,
    }
}
