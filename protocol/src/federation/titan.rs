//! Titan calls: chat-style model calls in a provider-neutral shape.
//!
//! A Titan is a model endpoint (hosted or local) behind the federation. The
//! federation translates these types to and from each provider's API, so
//! callers never depend on one vendor's message format.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::TenantId;
use crate::check::{non_empty, violation};
use crate::error::OmegaError;

use super::TraceContext;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions to the model.
    System,
    /// The caller's input.
    User,
    /// The model's output.
    Assistant,
    /// The result of a tool call, answering `toolCallId`.
    Tool,
}

/// A tool call the model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolCall {
    /// Id to answer with a `tool` message.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments as a JSON object.
    #[serde(default)]
    pub arguments: serde_json::Value,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// Text content (may be empty for an assistant message that only calls tools).
    #[serde(default)]
    pub content: String,
    /// Tool calls requested by an assistant message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For `tool` messages: the id of the call answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ChatMessage {
    /// A message with `role` and text `content`.
    pub fn text(role: ChatRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolSpec {
    /// Tool name.
    pub name: String,
    /// What the tool does.
    pub description: String,
    /// JSON Schema of the arguments object.
    pub input_schema: serde_json::Value,
}

/// A call to a Titan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TitanCallRequest {
    /// The tenant paying for and owning the call.
    pub tenant: TenantId,
    /// Titan to use; absent lets the federation choose by policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub titan: Option<String>,
    /// Model to use on that Titan; absent uses its default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The conversation so far, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Upper bound on output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    /// Sampling temperature, 0 to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Trace context of the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceContext>,
}

impl TitanCallRequest {
    /// Checks messages, tool answers, limits and trace context.
    /// Errors are [`crate::ErrorCode::SCHEMA_VIOLATION`] naming the field.
    pub fn validate(&self) -> Result<(), OmegaError> {
        if self.messages.is_empty() {
            return Err(violation(
                "messages",
                "the call has no messages",
                "send at least one user message",
            ));
        }
        for (i, msg) in self.messages.iter().enumerate() {
            match (msg.role, &msg.tool_call_id) {
                (ChatRole::Tool, None) => {
                    return Err(violation(
                        format!("messages[{i}].toolCallId"),
                        "a tool message does not say which call it answers",
                        "set toolCallId to the id of the assistant's tool call",
                    ));
                }
                (ChatRole::Tool, Some(_)) => {}
                (_, Some(_)) => {
                    return Err(violation(
                        format!("messages[{i}].toolCallId"),
                        "only tool messages carry toolCallId",
                        "remove toolCallId or use role tool",
                    ));
                }
                (_, None) => {}
            }
            if !msg.tool_calls.is_empty() && msg.role != ChatRole::Assistant {
                return Err(violation(
                    format!("messages[{i}].toolCalls"),
                    "only assistant messages carry tool calls",
                    "move the tool calls to an assistant message",
                ));
            }
        }
        for (i, tool) in self.tools.iter().enumerate() {
            non_empty(&format!("tools[{i}].name"), &tool.name)?;
        }
        if self.max_output_tokens == Some(0) {
            return Err(violation(
                "maxOutputTokens",
                "maxOutputTokens is 0",
                "omit it or give a positive limit",
            ));
        }
        if let Some(t) = self.temperature
            && !(t.is_finite() && (0.0..=2.0).contains(&t))
        {
            return Err(violation(
                "temperature",
                format!("temperature {t} is outside [0, 2]"),
                "use a temperature between 0 and 2",
            ));
        }
        if let Some(trace) = &self.trace {
            trace.validate()?;
        }
        Ok(())
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// It finished its answer.
    Stop,
    /// It hit the output token limit.
    Length,
    /// It wants tool calls answered.
    ToolCalls,
    /// The provider filtered the output.
    ContentFilter,
}

/// Token use and cost of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Input (prompt) tokens billed.
    pub input_tokens: u64,
    /// Output (completion) tokens billed.
    pub output_tokens: u64,
    /// Cost in US dollars, as priced by the federation's rate card.
    pub cost_usd: f64,
}

/// The answer of a Titan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TitanCallResult {
    /// The Titan that answered.
    pub titan: String,
    /// The model that answered.
    pub model: String,
    /// The assistant message.
    pub message: ChatMessage,
    /// Why generation stopped.
    pub finish_reason: FinishReason,
    /// Tokens and cost.
    pub usage: Usage,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> TitanCallRequest {
        TitanCallRequest {
            tenant: TenantId::parse("acme").unwrap(),
            titan: Some("claude".into()),
            model: None,
            messages: vec![
                ChatMessage::text(ChatRole::System, "You triage IT tickets."),
                ChatMessage::text(ChatRole::User, "VPN drops every hour"),
            ],
            tools: vec![],
            max_output_tokens: Some(512),
            temperature: Some(0.2),
            trace: None,
        }
    }

    fn field(req: &TitanCallRequest) -> String {
        req.validate().unwrap_err().data.field.unwrap()
    }

    #[test]
    fn titan_call_rules() {
        call().validate().unwrap();
        let mut c = call();
        c.messages.clear();
        assert_eq!(field(&c), "messages");
        let mut c = call();
        c.messages.push(ChatMessage::text(ChatRole::Tool, "{}"));
        assert_eq!(field(&c), "messages[2].toolCallId");
        let mut c = call();
        c.messages[1].tool_call_id = Some("x".into());
        assert_eq!(field(&c), "messages[1].toolCallId");
        let mut c = call();
        c.messages[1].tool_calls.push(ToolCall {
            id: "1".into(),
            name: "lookup".into(),
            arguments: serde_json::json!({}),
        });
        assert_eq!(field(&c), "messages[1].toolCalls");
        let mut c = call();
        c.temperature = Some(2.5);
        assert_eq!(field(&c), "temperature");
        let mut c = call();
        c.max_output_tokens = Some(0);
        assert_eq!(field(&c), "maxOutputTokens");
    }
}
