//! Chat Completions wire shapes (requests built as JSON, responses read
//! leniently: providers add fields).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::PriceTable;
use crate::error::TitanError;
use crate::http::ErrorInfo;
use crate::sse::SseEvent;
use crate::stream::SseDecoder;
use crate::titan::{TitanEvent, ToolCallAssembler, parse_arguments};
use crate::{ChatMessage, ChatRole, FinishReason, TitanCallResult, ToolCall, ToolSpec};

pub(super) fn message(m: &ChatMessage) -> Value {
    match m.role {
        ChatRole::System => json!({"role": "system", "content": m.content}),
        ChatRole::User => json!({"role": "user", "content": m.content}),
        ChatRole::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id,
            "content": m.content,
        }),
        ChatRole::Assistant => {
            let mut v = json!({"role": "assistant"});
            v["content"] = if m.content.is_empty() && !m.tool_calls.is_empty() {
                Value::Null
            } else {
                json!(m.content)
            };
            if !m.tool_calls.is_empty() {
                v["tool_calls"] = m
                    .tool_calls
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments.to_string()},
                        })
                    })
                    .collect();
            }
            v
        }
    }
}

pub(super) fn tool(t: &ToolSpec) -> Value {
    json!({
        "type": "function",
        "function": {
            "name": t.name,
            "description": t.description,
            "parameters": t.input_schema,
        },
    })
}

/// `{"error": {"message", "type", "code"}}`; `code` wins as the kind when
/// it is a string (`insufficient_quota`, `rate_limit_exceeded`).
pub(super) fn parse_error(body: &[u8]) -> ErrorInfo {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        message: Option<String>,
        #[serde(rename = "type")]
        kind: Option<String>,
        code: Option<Value>,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope { error }) => ErrorInfo {
            kind: error
                .code
                .and_then(|c| c.as_str().map(str::to_owned))
                .or(error.kind),
            message: error.message,
            retry_delay: None,
        },
        Err(_) => ErrorInfo::default(),
    }
}

#[derive(Deserialize)]
pub(super) struct Completion {
    model: String,
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: WireMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct WireToolCall {
    id: String,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    arguments: String,
}

#[derive(Deserialize, Clone, Copy)]
struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
}

fn finish(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("length") => FinishReason::Length,
        Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
        Some("content_filter") => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

impl Completion {
    pub(super) fn into_result(
        self,
        titan: &str,
        prices: &PriceTable,
    ) -> Result<TitanCallResult, TitanError> {
        let malformed = |detail: String| TitanError::Malformed {
            titan: titan.into(),
            detail,
        };
        let choice = self
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| malformed("the completion has no choices".into()))?;
        let mut tool_calls = Vec::new();
        for c in choice.message.tool_calls {
            let arguments =
                parse_arguments(&c.function.name, &c.function.arguments).map_err(&malformed)?;
            tool_calls.push(ToolCall {
                id: c.id,
                name: c.function.name,
                arguments,
            });
        }
        let content = choice
            .message
            .content
            .or(choice.message.refusal)
            .unwrap_or_default();
        let usage = self
            .usage
            .ok_or_else(|| malformed("the completion has no usage".into()))?;
        Ok(TitanCallResult {
            titan: titan.into(),
            usage: prices.priced(&self.model, usage.prompt_tokens, usage.completion_tokens),
            model: self.model,
            message: ChatMessage {
                role: ChatRole::Assistant,
                content,
                tool_calls,
                tool_call_id: None,
            },
            finish_reason: finish(choice.finish_reason.as_deref()),
        })
    }
}

#[derive(Deserialize)]
struct Chunk {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<DeltaToolCall>,
}

#[derive(Deserialize)]
struct DeltaToolCall {
    index: usize,
    id: Option<String>,
    function: Option<DeltaFunction>,
}

#[derive(Deserialize)]
struct DeltaFunction {
    name: Option<String>,
    arguments: Option<String>,
}

/// Decodes `chat.completion.chunk` events up to `data: [DONE]`.
pub(super) struct ChunkDecoder {
    titan: String,
    model: String,
    prices: PriceTable,
    text: String,
    calls: ToolCallAssembler,
    finish: Option<String>,
    usage: Option<WireUsage>,
}

impl ChunkDecoder {
    pub(super) fn new(titan: &str, model: String, prices: PriceTable) -> Self {
        Self {
            titan: titan.into(),
            model,
            prices,
            text: String::new(),
            calls: ToolCallAssembler::default(),
            finish: None,
            usage: None,
        }
    }

    fn malformed(&self, detail: String) -> TitanError {
        TitanError::Malformed {
            titan: self.titan.clone(),
            detail,
        }
    }

    fn complete(&mut self) -> Result<TitanCallResult, TitanError> {
        let calls = std::mem::take(&mut self.calls)
            .finish()
            .map_err(|d| self.malformed(d))?;
        // Without include_usage support the provider sends none: count 0
        // rather than invent numbers.
        let (input, output) = self
            .usage
            .map_or((0, 0), |u| (u.prompt_tokens, u.completion_tokens));
        Ok(TitanCallResult {
            titan: self.titan.clone(),
            usage: self.prices.priced(&self.model, input, output),
            model: self.model.clone(),
            message: ChatMessage {
                role: ChatRole::Assistant,
                content: std::mem::take(&mut self.text),
                tool_calls: calls,
                tool_call_id: None,
            },
            finish_reason: finish(self.finish.as_deref()),
        })
    }
}

impl SseDecoder for ChunkDecoder {
    fn on_event(&mut self, ev: SseEvent, out: &mut Vec<TitanEvent>) -> Result<bool, TitanError> {
        if ev.data.trim() == "[DONE]" {
            out.push(TitanEvent::Completed(self.complete()?));
            return Ok(true);
        }
        let value: Value = serde_json::from_str(&ev.data)
            .map_err(|e| self.malformed(format!("a stream chunk is not JSON: {e}")))?;
        if value.get("error").is_some() {
            // An error after the 200 head: the stream's own error object.
            let info = parse_error(ev.data.as_bytes());
            let titan = self.titan.clone();
            return Err(match info.kind.as_deref() {
                Some("rate_limit_exceeded") => TitanError::RateLimited {
                    titan,
                    retry_after: None,
                },
                _ => TitanError::Server { titan, status: 500 },
            });
        }
        let chunk: Chunk = serde_json::from_value(value)
            .map_err(|e| self.malformed(format!("a stream chunk has the wrong shape: {e}")))?;
        if let Some(m) = chunk.model {
            self.model = m;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        // Only the first choice is used (the adapter never asks for n > 1).
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.text.push_str(&text);
                out.push(TitanEvent::TextDelta { text });
            }
            for tc in choice.delta.tool_calls {
                let (name, args) = match tc.function {
                    Some(f) => (f.name, f.arguments.unwrap_or_default()),
                    None => (None, String::new()),
                };
                self.calls
                    .push(tc.index, tc.id.as_deref(), name.as_deref(), &args);
                out.push(TitanEvent::ToolCallDelta {
                    index: tc.index,
                    id: tc.id,
                    name,
                    arguments: args,
                });
            }
            if choice.finish_reason.is_some() {
                self.finish = choice.finish_reason;
            }
        }
        Ok(false)
    }

    fn on_end(&mut self, _out: &mut Vec<TitanEvent>) -> Result<(), TitanError> {
        Err(TitanError::Transport {
            titan: self.titan.clone(),
            detail: "the stream ended before data: [DONE]".into(),
        })
    }
}
