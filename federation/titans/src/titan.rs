//! The provider-neutral Titan interface and the streaming event type.

use futures::stream::BoxStream;

use crate::error::TitanError;
use crate::{TitanCallRequest, TitanCallResult, ToolCall};

/// A stream of [`TitanEvent`]s; it ends after [`TitanEvent::Completed`] or
/// an error.
pub type TitanStream = BoxStream<'static, Result<TitanEvent, TitanError>>;

/// One increment of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TitanEvent {
    /// More assistant text.
    TextDelta {
        /// The new text.
        text: String,
    },
    /// A fragment of a tool call: the first fragment of a call carries its
    /// `id` and `name`, later ones more `arguments` JSON text.
    ToolCallDelta {
        /// Position of the call in the message.
        index: usize,
        /// Call id (first fragment).
        id: Option<String>,
        /// Tool name (first fragment).
        name: Option<String>,
        /// Raw JSON text to append to the arguments.
        arguments: String,
    },
    /// The whole answer, assembled, with usage and cost. Always the last event.
    Completed(TitanCallResult),
}

/// A model endpoint behind the federation: a hosted provider, the Auggie
/// CLI or the local classifier.
#[async_trait::async_trait]
pub trait Titan: Send + Sync {
    /// The Titan's routing name (`gpt`, `claude`, `gemini`, `grok`,
    /// `augment`, `local`).
    fn name(&self) -> &str;

    /// The model used when a call names none.
    fn default_model(&self) -> &str;

    /// True for a Titan that runs inside the deployment (data stays local).
    fn is_local(&self) -> bool {
        false
    }

    /// One call, answered whole.
    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError>;

    /// One call, answered as a stream of events. Errors before the first
    /// byte (429, 5xx, auth) come back as `Err`; errors after it as the
    /// stream's last item.
    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError>;
}

/// Assembles streamed tool-call fragments by index.
#[derive(Debug, Default)]
pub(crate) struct ToolCallAssembler {
    calls: Vec<(String, String, String)>,
}

impl ToolCallAssembler {
    /// Adds a fragment for the call at `index`.
    pub fn push(&mut self, index: usize, id: Option<&str>, name: Option<&str>, args: &str) {
        if self.calls.len() <= index {
            self.calls.resize(index + 1, Default::default());
        }
        let call = &mut self.calls[index];
        if let Some(id) = id {
            call.0 = id.to_owned();
        }
        if let Some(name) = name {
            call.1.push_str(name);
        }
        call.2.push_str(args);
    }

    /// The finished calls; arguments must be a JSON object (empty text is `{}`).
    pub fn finish(self) -> Result<Vec<ToolCall>, String> {
        self.calls
            .into_iter()
            .filter(|(id, name, _)| !(id.is_empty() && name.is_empty()))
            .map(|(id, name, args)| {
                let arguments = if args.trim().is_empty() {
                    serde_json::json!({})
                } else {
                    serde_json::from_str(&args).map_err(|e| {
                        format!("tool call {name:?} has arguments that are not JSON: {e}")
                    })?
                };
                Ok(ToolCall {
                    id,
                    name,
                    arguments,
                })
            })
            .collect()
    }
}

/// Parses a tool-call arguments string (OpenAI sends them as JSON text).
pub(crate) fn parse_arguments(name: &str, text: &str) -> Result<serde_json::Value, String> {
    if text.trim().is_empty() {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_str(text)
        .map_err(|e| format!("tool call {name:?} has arguments that are not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_fragments() {
        let mut a = ToolCallAssembler::default();
        a.push(0, Some("call_1"), Some("lookup"), "");
        a.push(0, None, None, "{\"id\":");
        a.push(1, Some("call_2"), Some("noop"), "");
        a.push(0, None, None, "42}");
        let calls = a.finish().unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].arguments, serde_json::json!({"id": 42}));
        assert_eq!(calls[1].arguments, serde_json::json!({}));
    }

    #[test]
    fn broken_arguments_fail() {
        let mut a = ToolCallAssembler::default();
        a.push(0, Some("c"), Some("f"), "{\"id\":");
        assert!(a.finish().is_err());
    }
}
