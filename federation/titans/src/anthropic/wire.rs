//! Messages API wire shapes.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::PriceTable;
use crate::error::TitanError;
use crate::http::ErrorInfo;
use crate::sse::SseEvent;
use crate::stream::SseDecoder;
use crate::titan::{TitanEvent, ToolCallAssembler};
use crate::{ChatMessage, ChatRole, FinishReason, TitanCallResult, ToolCall};

const TITAN: &str = "claude";

/// Splits out the system prompt and turns the rest into alternating
/// `user`/`assistant` messages of content blocks (tool results are
/// `tool_result` blocks in a user message; consecutive same-role messages
/// are merged).
pub(super) fn messages(msgs: &[ChatMessage]) -> (Option<String>, Vec<Value>) {
    let mut system: Vec<&str> = Vec::new();
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in msgs {
        let (role, blocks) = match m.role {
            ChatRole::System => {
                system.push(&m.content);
                continue;
            }
            ChatRole::User => ("user", vec![json!({"type": "text", "text": m.content})]),
            ChatRole::Tool => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": m.tool_call_id,
                    "content": m.content,
                })],
            ),
            ChatRole::Assistant => {
                let mut blocks = Vec::new();
                if !m.content.is_empty() {
                    blocks.push(json!({"type": "text", "text": m.content}));
                }
                for c in &m.tool_calls {
                    blocks.push(json!({
                        "type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments,
                    }));
                }
                ("assistant", blocks)
            }
        };
        match out.last_mut() {
            Some((last, prev)) if *last == role => prev.extend(blocks),
            _ => out.push((role, blocks)),
        }
    }
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    let messages = out
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    (system, messages)
}

/// `{"type": "error", "error": {"type": "overloaded_error", "message": ...}}`.
pub(super) fn parse_error(body: &[u8]) -> ErrorInfo {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(rename = "type")]
        kind: Option<String>,
        message: Option<String>,
    }
    serde_json::from_slice::<Envelope>(body)
        .map(|e| ErrorInfo {
            kind: e.error.kind,
            message: e.error.message,
            retry_delay: None,
        })
        .unwrap_or_default()
}

/// A stream `error` event, mapped like the HTTP error it stands for.
fn stream_error(info: ErrorInfo) -> TitanError {
    let titan = TITAN.to_owned();
    let detail = info.message.unwrap_or_default();
    match info.kind.as_deref() {
        Some("overloaded_error") => TitanError::Overloaded { titan },
        Some("rate_limit_error") => TitanError::RateLimited {
            titan,
            retry_after: None,
        },
        Some("api_error") => TitanError::Server { titan, status: 500 },
        Some("authentication_error" | "permission_error") => TitanError::Auth { titan, detail },
        Some(kind) => TitanError::BadRequest {
            titan,
            detail: format!("{kind}: {detail}"),
        },
        None => TitanError::Malformed {
            titan,
            detail: "an error event without a type".into(),
        },
    }
}

#[derive(Deserialize)]
pub(super) struct Message {
    model: String,
    content: Vec<Block>,
    stop_reason: Option<String>,
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

fn finish(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("max_tokens") => FinishReason::Length,
        Some("tool_use") => FinishReason::ToolCalls,
        Some("refusal") => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

impl Message {
    pub(super) fn into_result(self, prices: &PriceTable) -> Result<TitanCallResult, TitanError> {
        let mut content = String::new();
        let mut tool_calls = Vec::new();
        for b in self.content {
            match b {
                Block::Text { text } => content.push_str(&text),
                Block::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                    id,
                    name,
                    arguments: input,
                }),
                Block::Other => {}
            }
        }
        let (Some(input), Some(output)) = (self.usage.input_tokens, self.usage.output_tokens)
        else {
            return Err(TitanError::Malformed {
                titan: TITAN.into(),
                detail: "the message has no usage token counts".into(),
            });
        };
        Ok(TitanCallResult {
            titan: TITAN.into(),
            usage: prices.priced(&self.model, input, output),
            model: self.model,
            message: ChatMessage {
                role: ChatRole::Assistant,
                content,
                tool_calls,
                tool_call_id: None,
            },
            finish_reason: finish(self.stop_reason.as_deref()),
        })
    }
}

/// Decodes the typed event stream up to `message_stop`.
pub(super) struct EventDecoder {
    model: String,
    prices: PriceTable,
    text: String,
    calls: ToolCallAssembler,
    /// Content block index → tool call index.
    tool_blocks: HashMap<usize, usize>,
    stop_reason: Option<String>,
    input_tokens: u64,
    output_tokens: u64,
}

impl EventDecoder {
    pub(super) fn new(model: String, prices: PriceTable) -> Self {
        Self {
            model,
            prices,
            text: String::new(),
            calls: ToolCallAssembler::default(),
            tool_blocks: HashMap::new(),
            stop_reason: None,
            input_tokens: 0,
            output_tokens: 0,
        }
    }

    fn usage(&mut self, v: &Value) {
        if let Some(n) = v.get("input_tokens").and_then(Value::as_u64) {
            self.input_tokens = n;
        }
        // Cumulative in message_delta.
        if let Some(n) = v.get("output_tokens").and_then(Value::as_u64) {
            self.output_tokens = n;
        }
    }
}

fn malformed(detail: impl Into<String>) -> TitanError {
    TitanError::Malformed {
        titan: TITAN.into(),
        detail: detail.into(),
    }
}

impl SseDecoder for EventDecoder {
    fn on_event(&mut self, ev: SseEvent, out: &mut Vec<TitanEvent>) -> Result<bool, TitanError> {
        let v: Value = serde_json::from_str(&ev.data)
            .map_err(|e| malformed(format!("an event is not JSON: {e}")))?;
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .or(ev.event.as_deref())
            .ok_or_else(|| malformed("an event has no type"))?;
        let index = || {
            v.get("index")
                .and_then(Value::as_u64)
                .map(|i| i as usize)
                .ok_or_else(|| malformed(format!("{kind} without index")))
        };
        match kind {
            "message_start" => {
                let msg = v
                    .get("message")
                    .ok_or_else(|| malformed("message_start without message"))?;
                if let Some(m) = msg.get("model").and_then(Value::as_str) {
                    self.model = m.to_owned();
                }
                if let Some(u) = msg.get("usage") {
                    self.usage(u);
                }
            }
            "content_block_start" => {
                let index = index()?;
                let block = v
                    .get("content_block")
                    .ok_or_else(|| malformed("content_block_start without content_block"))?;
                if block.get("type").and_then(Value::as_str) == Some("tool_use") {
                    let tool = self.tool_blocks.len();
                    self.tool_blocks.insert(index, tool);
                    let id = block.get("id").and_then(Value::as_str).map(str::to_owned);
                    let name = block.get("name").and_then(Value::as_str).map(str::to_owned);
                    self.calls.push(tool, id.as_deref(), name.as_deref(), "");
                    out.push(TitanEvent::ToolCallDelta {
                        index: tool,
                        id,
                        name,
                        arguments: String::new(),
                    });
                } else if let Some(text) = block
                    .get("text")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                {
                    self.text.push_str(text);
                    out.push(TitanEvent::TextDelta { text: text.into() });
                }
            }
            "content_block_delta" => {
                let index = index()?;
                let delta = v
                    .get("delta")
                    .ok_or_else(|| malformed("content_block_delta without delta"))?;
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        let text = delta
                            .get("text")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        self.text.push_str(text);
                        out.push(TitanEvent::TextDelta { text: text.into() });
                    }
                    Some("input_json_delta") => {
                        let tool = *self.tool_blocks.get(&index).ok_or_else(|| {
                            malformed(format!(
                                "input_json_delta for block {index}, which is not a tool_use"
                            ))
                        })?;
                        let part = delta
                            .get("partial_json")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        self.calls.push(tool, None, None, part);
                        out.push(TitanEvent::ToolCallDelta {
                            index: tool,
                            id: None,
                            name: None,
                            arguments: part.into(),
                        });
                    }
                    // thinking_delta, signature_delta, citations: not surfaced.
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(r) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(r.to_owned());
                }
                if let Some(u) = v.get("usage") {
                    self.usage(u);
                }
            }
            "message_stop" => {
                let calls = std::mem::take(&mut self.calls)
                    .finish()
                    .map_err(malformed)?;
                out.push(TitanEvent::Completed(TitanCallResult {
                    titan: TITAN.into(),
                    usage: self
                        .prices
                        .priced(&self.model, self.input_tokens, self.output_tokens),
                    model: self.model.clone(),
                    message: ChatMessage {
                        role: ChatRole::Assistant,
                        content: std::mem::take(&mut self.text),
                        tool_calls: calls,
                        tool_call_id: None,
                    },
                    finish_reason: finish(self.stop_reason.as_deref()),
                }));
                return Ok(true);
            }
            "error" => return Err(stream_error(parse_error(ev.data.as_bytes()))),
            // ping, content_block_stop and event types added later.
            _ => {}
        }
        Ok(false)
    }

    fn on_end(&mut self, _out: &mut Vec<TitanEvent>) -> Result<(), TitanError> {
        Err(TitanError::Transport {
            titan: TITAN.into(),
            detail: "the stream ended before message_stop".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_results_merge_into_one_user_turn() {
        let mut a = ChatMessage::text(ChatRole::Assistant, "");
        a.tool_calls = vec![
            ToolCall {
                id: "t1".into(),
                name: "f".into(),
                arguments: json!({}),
            },
            ToolCall {
                id: "t2".into(),
                name: "g".into(),
                arguments: json!({"x": 1}),
            },
        ];
        let mut r1 = ChatMessage::text(ChatRole::Tool, "one");
        r1.tool_call_id = Some("t1".into());
        let mut r2 = ChatMessage::text(ChatRole::Tool, "two");
        r2.tool_call_id = Some("t2".into());
        let msgs = vec![
            ChatMessage::text(ChatRole::System, "be brief"),
            ChatMessage::text(ChatRole::User, "hi"),
            a,
            r1,
            r2,
        ];
        let (system, out) = messages(&msgs);
        assert_eq!(system.as_deref(), Some("be brief"));
        assert_eq!(out.len(), 3);
        assert_eq!(out[1]["content"].as_array().unwrap().len(), 2);
        assert_eq!(out[2]["role"], "user");
        assert_eq!(out[2]["content"][1]["tool_use_id"], "t2");
    }
}
