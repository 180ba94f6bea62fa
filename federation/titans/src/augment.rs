//! AugmentTitan: Augment has no public chat-completions API, so this Titan
//! drives the Auggie CLI in ACP mode (`auggie --acp`: the Agent Client
//! Protocol, JSON-RPC over stdio).
//!
//! What it requires: the `auggie` CLI on `PATH` (npm package
//! `@augmentcode/auggie`, Node.js 22+) or `command` set to its path, and an
//! Augment account: either the CLI is logged in (`auggie login`) for the
//! user running OMEGA, or `sessionAuthSecret` names a secret holding the
//! session JSON that `auggie login` produces, passed to the child as
//! `AUGMENT_SESSION_AUTH`.
//!
//! Each call starts one process: `initialize` (protocol version 1, no
//! file-system or terminal capabilities), `session/new` in the configured
//! workspace, `session/prompt` with the conversation rendered as one text
//! block, `session/update` `agent_message_chunk` notifications streamed as
//! text; the prompt's `stopReason` ends the answer. Auggie runs its own
//! tools; the call's `tools` are not offered to it, and its permission
//! requests are declined. ACP v1 reports no token usage, so usage is zero
//! (Augment bills by subscription).

mod acp;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde_json::{Value, json};
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use acp::ACP_PROTOCOL_VERSION;

use crate::config::{AugmentConfig, ConfigError};
use crate::error::TitanError;
use crate::secret::{Secret, SecretSource, key_text, read_key};
use crate::titan::{Titan, TitanEvent, TitanStream};
use crate::{ChatMessage, ChatRole, FinishReason, TitanCallRequest, TitanCallResult, Usage};

const TITAN: &str = "augment";

/// The Augment Titan (`augment`).
#[derive(Debug)]
pub struct AugmentTitan {
    cfg: AugmentConfig,
    workspace: PathBuf,
    auth: Option<Secret>,
    timeout: Duration,
}

impl AugmentTitan {
    /// AugmentTitan from its configuration, reading the session secret (if
    /// named) from `secrets`.
    pub async fn new(cfg: &AugmentConfig, secrets: &dyn SecretSource) -> Result<Self, ConfigError> {
        let invalid = |field: &str, message: &str| ConfigError::Invalid {
            field: format!("augment.{field}"),
            message: message.into(),
        };
        cfg.check()?;
        let workspace = match &cfg.workspace {
            Some(w) => w.clone(),
            None => std::env::current_dir()
                .map_err(|_| invalid("workspace", "the current directory is unknown; set it"))?,
        };
        let auth = match &cfg.session_auth_secret {
            Some(name) => Some(read_key(secrets, TITAN, name).await?),
            None => None,
        };
        Ok(Self {
            cfg: cfg.clone(),
            workspace,
            auth,
            timeout: Duration::from_millis(cfg.timeout_ms),
        })
    }

    fn model(&self, req: &TitanCallRequest) -> Option<String> {
        req.model.clone().or_else(|| self.cfg.model.clone())
    }

    /// Starts the process and runs `initialize` and `session/new`.
    async fn open(&self, req: &TitanCallRequest) -> Result<(acp::AcpConn, String), TitanError> {
        req.validate().map_err(|e| TitanError::BadRequest {
            titan: TITAN.into(),
            detail: e.message,
        })?;
        let deadline = Instant::now() + self.timeout;
        let mut cmd = Command::new(&self.cfg.command);
        cmd.args(&self.cfg.args);
        if let Some(model) = self.model(req) {
            cmd.arg("--model").arg(model);
        }
        cmd.env("AUGMENT_DISABLE_AUTO_UPDATE", "1");
        if let Some(auth) = &self.auth {
            cmd.env("AUGMENT_SESSION_AUTH", key_text(TITAN, auth)?);
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| TitanError::Transport {
            titan: TITAN.into(),
            detail: format!(
                "cannot start {:?}: {e}; install auggie (npm i -g @augmentcode/auggie) or set augment.command",
                self.cfg.command
            ),
        })?;
        tracing::debug!(titan = TITAN, command = %self.cfg.command, "started ACP agent");
        let mut conn = acp::AcpConn::new(child, deadline, self.timeout)?;
        let init = conn
            .request(
                "initialize",
                json!({
                    "protocolVersion": ACP_PROTOCOL_VERSION,
                    "clientCapabilities": {
                        "fs": {"readTextFile": false, "writeTextFile": false},
                        "terminal": false,
                    },
                    "clientInfo": {"name": "omega-titans", "version": env!("CARGO_PKG_VERSION")},
                }),
                |_, _| {},
            )
            .await?;
        let version = init.get("protocolVersion").and_then(Value::as_u64);
        if version != Some(ACP_PROTOCOL_VERSION) {
            return Err(TitanError::Malformed {
                titan: TITAN.into(),
                detail: format!(
                    "the agent speaks ACP version {version:?}; this adapter speaks {ACP_PROTOCOL_VERSION}"
                ),
            });
        }
        let session = conn
            .request(
                "session/new",
                json!({"cwd": self.workspace, "mcpServers": []}),
                |_, _| {},
            )
            .await?;
        let session_id = session
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| TitanError::Malformed {
                titan: TITAN.into(),
                detail: "session/new returned no sessionId".into(),
            })?
            .to_owned();
        Ok((conn, session_id))
    }
}

/// The conversation as one prompt text: a lone user message as is,
/// otherwise each message under a role heading.
pub fn render_prompt(messages: &[ChatMessage]) -> String {
    if let [only] = messages
        && only.role == ChatRole::User
    {
        return only.content.clone();
    }
    let mut out = String::new();
    for m in messages {
        let role = match m.role {
            ChatRole::System => "system",
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
            ChatRole::Tool => "tool result",
        };
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&format!("[{role}]\n{}", m.content));
    }
    out
}

fn finish(stop: Option<&str>) -> FinishReason {
    match stop {
        Some("max_tokens" | "max_turn_requests") => FinishReason::Length,
        Some("refusal") => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

#[async_trait::async_trait]
impl Titan for AugmentTitan {
    fn name(&self) -> &str {
        TITAN
    }

    fn default_model(&self) -> &str {
        self.cfg.model.as_deref().unwrap_or("auggie")
    }

    async fn call(&self, req: &TitanCallRequest) -> Result<TitanCallResult, TitanError> {
        crate::stream::collect(self.stream(req).await?).await
    }

    async fn stream(&self, req: &TitanCallRequest) -> Result<TitanStream, TitanError> {
        let (mut conn, session_id) = self.open(req).await?;
        let prompt = render_prompt(&req.messages);
        let model = self.model(req).unwrap_or_else(|| "auggie".into());
        let (tx, rx) = mpsc::unbounded_channel::<Result<TitanEvent, TitanError>>();
        tokio::spawn(async move {
            let mut text = String::new();
            let chunks = tx.clone();
            let closed = tx.clone();
            let prompt_call = conn.request(
                "session/prompt",
                json!({"sessionId": session_id, "prompt": [{"type": "text", "text": prompt}]}),
                |method, params| {
                    if method != "session/update" {
                        return;
                    }
                    let update = params.get("update").unwrap_or(&Value::Null);
                    let kind = update.get("sessionUpdate").and_then(Value::as_str);
                    if kind == Some("agent_message_chunk")
                        && let Some(t) = update.pointer("/content/text").and_then(Value::as_str)
                    {
                        text.push_str(t);
                        let _ = chunks.send(Ok(TitanEvent::TextDelta { text: t.into() }));
                    } else {
                        tracing::trace!(titan = TITAN, kind, "ACP session update");
                    }
                },
            );
            let result = tokio::select! {
                r = prompt_call => r,
                // The caller dropped the stream: stop (dropping the
                // connection kills the process).
                () = closed.closed() => return,
            };
            let event = result.map(|r| {
                TitanEvent::Completed(TitanCallResult {
                    titan: TITAN.into(),
                    model,
                    message: ChatMessage::text(ChatRole::Assistant, text),
                    finish_reason: finish(r.get("stopReason").and_then(Value::as_str)),
                    usage: Usage::default(),
                })
            });
            let _ = tx.send(event);
            // Dropping `conn` here kills the process.
        });
        Ok(stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|ev| (ev, rx)) },
        )
        .boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_rendering() {
        let one = [ChatMessage::text(ChatRole::User, "hello")];
        assert_eq!(render_prompt(&one), "hello");
        let two = [
            ChatMessage::text(ChatRole::System, "be brief"),
            ChatMessage::text(ChatRole::User, "hello"),
        ];
        assert_eq!(render_prompt(&two), "[system]\nbe brief\n\n[user]\nhello");
    }
}
