//! Gemini wire shapes.

use std::collections::HashMap;
use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::PriceTable;
use crate::error::TitanError;
use crate::http::{ErrorInfo, status_error};
use crate::sse::SseEvent;
use crate::stream::SseDecoder;
use crate::titan::TitanEvent;
use crate::{ChatMessage, ChatRole, FinishReason, TitanCallResult, ToolCall};

const TITAN: &str = "gemini";

/// The system instruction and `contents` (`user`/`model` turns; tool
/// results are `functionResponse` parts of a user turn, named after the
/// call they answer).
pub(super) fn contents(msgs: &[ChatMessage]) -> Result<(Option<String>, Vec<Value>), TitanError> {
    let mut system: Vec<&str> = Vec::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let (role, parts) = match m.role {
            ChatRole::System => {
                system.push(&m.content);
                continue;
            }
            ChatRole::User => ("user", vec![json!({"text": m.content})]),
            ChatRole::Assistant => {
                let mut parts = Vec::new();
                if !m.content.is_empty() {
                    parts.push(json!({"text": m.content}));
                }
                for c in &m.tool_calls {
                    names.insert(&c.id, &c.name);
                    parts.push(json!({
                        "functionCall": {"id": c.id, "name": c.name, "args": c.arguments},
                    }));
                }
                ("model", parts)
            }
            ChatRole::Tool => {
                let id = m.tool_call_id.as_deref().unwrap_or_default();
                let name = names.get(id).ok_or_else(|| TitanError::BadRequest {
                    titan: TITAN.into(),
                    detail: format!(
                        "messages[{i}] answers tool call {id:?}, which no earlier assistant message made; \
                         Gemini needs the function name"
                    ),
                })?;
                // `response` must be an object: JSON objects pass through,
                // anything else is wrapped.
                let response = match serde_json::from_str::<Value>(&m.content) {
                    Ok(v @ Value::Object(_)) => v,
                    _ => json!({"result": m.content}),
                };
                (
                    "user",
                    vec![
                        json!({"functionResponse": {"id": id, "name": name, "response": response}}),
                    ],
                )
            }
        };
        match out.last_mut() {
            Some((last, prev)) if *last == role => prev.extend(parts),
            _ => out.push((role, parts)),
        }
    }
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    let contents = out
        .into_iter()
        .map(|(role, parts)| json!({"role": role, "parts": parts}))
        .collect();
    Ok((system, contents))
}

/// `{"error": {"code", "message", "status", "details": [RetryInfo...]}}`.
pub(super) fn parse_error(body: &[u8]) -> ErrorInfo {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        message: Option<String>,
        status: Option<String>,
        #[serde(default)]
        details: Vec<Value>,
    }
    let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
        return ErrorInfo::default();
    };
    let retry_delay = error
        .details
        .iter()
        .filter(|d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("google.rpc.RetryInfo"))
        })
        .find_map(|d| d.get("retryDelay").and_then(Value::as_str))
        .and_then(proto_duration);
    ErrorInfo {
        kind: error.status,
        message: error.message,
        retry_delay,
    }
}

/// A protobuf JSON duration: `"30s"`, `"1.5s"`.
fn proto_duration(s: &str) -> Option<Duration> {
    let secs: f64 = s.strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Response {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<UsageMetadata>,
    model_version: Option<String>,
    prompt_feedback: Option<Value>,
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    text: Option<String>,
    #[serde(default)]
    thought: bool,
    function_call: Option<FunctionCall>,
}

#[derive(Deserialize)]
struct FunctionCall {
    id: Option<String>,
    name: String,
    #[serde(default)]
    args: Value,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u64,
    #[serde(default)]
    candidates_token_count: u64,
    /// Billed as output.
    #[serde(default)]
    thoughts_token_count: u64,
}

/// Builds one answer from one response or from the stream's chunks.
pub(super) struct Accumulator {
    model: String,
    prices: PriceTable,
    text: String,
    calls: Vec<ToolCall>,
    finish: Option<String>,
    blocked: bool,
    usage: Option<UsageMetadata>,
    seen: bool,
    error: Option<TitanError>,
}

impl Accumulator {
    pub(super) fn new(model: String, prices: PriceTable) -> Self {
        Self {
            model,
            prices,
            text: String::new(),
            calls: Vec::new(),
            finish: None,
            blocked: false,
            usage: None,
            seen: false,
            error: None,
        }
    }

    /// Adds one `GenerateContentResponse`.
    pub(super) fn add(&mut self, r: Response, out: &mut Vec<TitanEvent>) {
        self.seen = true;
        if let Some(err) = r.error {
            let info = parse_error(json!({"error": err}).to_string().as_bytes());
            let code = err.get("code").and_then(Value::as_u64).unwrap_or(500);
            let status = u16::try_from(code)
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            self.error = Some(status_error(TITAN, status, &http::HeaderMap::new(), &info));
            return;
        }
        if let Some(v) = r.model_version {
            self.model = v;
        }
        if r.usage_metadata.is_some() {
            self.usage = r.usage_metadata;
        }
        if r.candidates.is_empty()
            && r.prompt_feedback
                .is_some_and(|f| f.get("blockReason").is_some())
        {
            self.blocked = true;
        }
        let Some(c) = r.candidates.into_iter().next() else {
            return;
        };
        if c.finish_reason.is_some() {
            self.finish = c.finish_reason;
        }
        for p in c.content.map(|c| c.parts).unwrap_or_default() {
            if let Some(f) = p.function_call {
                let index = self.calls.len();
                // Older models send no id: make one the caller can answer with.
                let id = f.id.unwrap_or_else(|| format!("call_{index}_{}", f.name));
                out.push(TitanEvent::ToolCallDelta {
                    index,
                    id: Some(id.clone()),
                    name: Some(f.name.clone()),
                    arguments: f.args.to_string(),
                });
                let arguments = if f.args.is_null() { json!({}) } else { f.args };
                self.calls.push(ToolCall {
                    id,
                    name: f.name,
                    arguments,
                });
            } else if let Some(text) = p.text.filter(|t| !p.thought && !t.is_empty()) {
                self.text.push_str(&text);
                out.push(TitanEvent::TextDelta { text });
            }
        }
    }

    /// The answer. `need_usage` makes missing `usageMetadata` an error.
    pub(super) fn finish(&mut self, need_usage: bool) -> Result<TitanCallResult, TitanError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let malformed = |detail: &str| TitanError::Malformed {
            titan: TITAN.into(),
            detail: detail.into(),
        };
        if !self.seen {
            return Err(malformed("the stream carried no response"));
        }
        if self.finish.is_none() && !self.blocked && self.calls.is_empty() && self.text.is_empty() {
            return Err(malformed("the response has no candidates"));
        }
        let usage = match self.usage {
            Some(u) => u,
            None if need_usage => return Err(malformed("the response has no usageMetadata")),
            None => UsageMetadata::default(),
        };
        let finish_reason = if self.blocked {
            FinishReason::ContentFilter
        } else if !self.calls.is_empty() {
            // Gemini says STOP for a turn that calls functions.
            FinishReason::ToolCalls
        } else {
            match self.finish.as_deref() {
                Some("MAX_TOKENS") => FinishReason::Length,
                Some(
                    "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII"
                    | "IMAGE_SAFETY",
                ) => FinishReason::ContentFilter,
                _ => FinishReason::Stop,
            }
        };
        Ok(TitanCallResult {
            titan: TITAN.into(),
            usage: self.prices.priced(
                &self.model,
                usage.prompt_token_count,
                usage.candidates_token_count + usage.thoughts_token_count,
            ),
            model: self.model.clone(),
            message: ChatMessage {
                role: ChatRole::Assistant,
                content: std::mem::take(&mut self.text),
                tool_calls: std::mem::take(&mut self.calls),
                tool_call_id: None,
            },
            finish_reason,
        })
    }
}

impl SseDecoder for Accumulator {
    fn on_event(&mut self, ev: SseEvent, out: &mut Vec<TitanEvent>) -> Result<bool, TitanError> {
        let r: Response = serde_json::from_str(&ev.data).map_err(|e| TitanError::Malformed {
            titan: TITAN.into(),
            detail: format!("a stream chunk is not a GenerateContentResponse: {e}"),
        })?;
        self.add(r, out);
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(false),
        }
    }

    /// Gemini has no end marker: the stream's end is the answer's end.
    fn on_end(&mut self, out: &mut Vec<TitanEvent>) -> Result<(), TitanError> {
        out.push(TitanEvent::Completed(self.finish(false)?));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_info_is_read() {
        let body = br#"{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED",
          "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2.5s"}]}}"#;
        let info = parse_error(body);
        assert_eq!(info.kind.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(info.retry_delay, Some(Duration::from_millis(2500)));
    }

    #[test]
    fn tool_answer_needs_a_known_call() {
        let mut t = ChatMessage::text(ChatRole::Tool, "42");
        t.tool_call_id = Some("nope".into());
        let err = contents(&[ChatMessage::text(ChatRole::User, "hi"), t]).unwrap_err();
        assert!(matches!(err, TitanError::BadRequest { .. }));
    }
}
