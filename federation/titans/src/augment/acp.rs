//! A minimal Agent Client Protocol (v1) client: newline-delimited JSON-RPC
//! 2.0 over a child process's stdin/stdout.
//!
//! The client answers the agent's own requests: `session/request_permission`
//! is always declined (OMEGA does not let a Titan change files or run
//! commands), and file-system or terminal requests get "method not found"
//! because the client advertises neither capability.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::time::Instant;

use crate::error::TitanError;

const TITAN: &str = "augment";

/// The ACP protocol version spoken.
pub const ACP_PROTOCOL_VERSION: u64 = 1;

/// A running agent process.
pub(crate) struct AcpConn {
    // Held so that dropping the connection kills the process.
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    next_id: u64,
    stderr_tail: Arc<Mutex<String>>,
    deadline: Instant,
    timeout: Duration,
}

impl AcpConn {
    pub(crate) fn new(
        mut child: Child,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Self, TitanError> {
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(transport("the agent's stdio was not captured".into()));
        };
        let stderr_tail = Arc::new(Mutex::new(String::new()));
        if let Some(mut stderr) = child.stderr.take() {
            let tail = stderr_tail.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    t.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if t.len() > 2048 {
                        let cut = t.len() - 1024;
                        let cut = (cut..t.len())
                            .find(|&i| t.is_char_boundary(i))
                            .unwrap_or(t.len());
                        t.drain(..cut);
                    }
                }
            });
        }
        Ok(Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            next_id: 1,
            stderr_tail,
            deadline,
            timeout,
        })
    }

    async fn write(&mut self, msg: &Value) -> Result<(), TitanError> {
        let mut line = msg.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| transport(format!("writing to the agent failed: {e}{}", self.tail())))?;
        self.stdin
            .flush()
            .await
            .map_err(|e| transport(format!("writing to the agent failed: {e}")))
    }

    fn tail(&self) -> String {
        let t = self.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
        let t = t.trim();
        if t.is_empty() {
            String::new()
        } else {
            let start = t.len().saturating_sub(500);
            let start = (start..t.len())
                .find(|&i| t.is_char_boundary(i))
                .unwrap_or(0);
            format!(" (stderr: {})", &t[start..])
        }
    }

    /// Sends a request and waits for its response, passing every
    /// notification that arrives meanwhile to `on_notification`.
    pub(crate) async fn request(
        &mut self,
        method: &str,
        params: Value,
        mut on_notification: impl FnMut(&str, &Value),
    ) -> Result<Value, TitanError> {
        let id = self.next_id;
        self.next_id += 1;
        self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        loop {
            let line = match tokio::time::timeout_at(self.deadline, self.lines.next_line()).await {
                Err(_) => {
                    return Err(TitanError::Timeout {
                        titan: TITAN.into(),
                        after: self.timeout,
                    });
                }
                Ok(Err(e)) => return Err(transport(format!("reading from the agent failed: {e}"))),
                Ok(Ok(None)) => {
                    // Give the process a moment to be reaped so the exit status is known.
                    let status =
                        tokio::time::timeout(Duration::from_millis(200), self.child.wait())
                            .await
                            .ok()
                            .and_then(Result::ok)
                            .map(|s| format!(" ({s})"))
                            .unwrap_or_default();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    return Err(transport(format!(
                        "the agent exited during {method}{status}{}",
                        self.tail()
                    )));
                }
                Ok(Ok(Some(line))) => line,
            };
            if line.trim().is_empty() {
                continue;
            }
            let msg: Value = serde_json::from_str(&line).map_err(|e| TitanError::Malformed {
                titan: TITAN.into(),
                detail: format!("the agent wrote a line that is not JSON-RPC: {e}"),
            })?;
            let method_name = msg.get("method").and_then(Value::as_str);
            match (msg.get("id"), method_name) {
                // The agent's request to us.
                (Some(req_id), Some(m)) => {
                    let reply = answer_agent_request(m, msg.get("params").unwrap_or(&Value::Null));
                    let mut out = json!({"jsonrpc": "2.0", "id": req_id});
                    match reply {
                        Ok(result) => out["result"] = result,
                        Err((code, message)) => {
                            out["error"] = json!({"code": code, "message": message})
                        }
                    }
                    self.write(&out).await?;
                }
                (None, Some(m)) => on_notification(m, msg.get("params").unwrap_or(&Value::Null)),
                (Some(resp_id), None) if resp_id.as_u64() == Some(id) => {
                    if let Some(err) = msg.get("error") {
                        return Err(rpc_error(method, err));
                    }
                    return msg
                        .get("result")
                        .cloned()
                        .ok_or_else(|| TitanError::Malformed {
                            titan: TITAN.into(),
                            detail: format!("the {method} response has neither result nor error"),
                        });
                }
                _ => {
                    tracing::debug!(titan = TITAN, "ignoring an unmatched ACP message");
                }
            }
        }
    }
}

fn transport(detail: String) -> TitanError {
    TitanError::Transport {
        titan: TITAN.into(),
        detail,
    }
}

/// Our answer to an agent → client request.
fn answer_agent_request(method: &str, params: &Value) -> Result<Value, (i64, String)> {
    match method {
        "session/request_permission" => {
            let reject = params
                .get("options")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|o| {
                    matches!(
                        o.get("kind").and_then(Value::as_str),
                        Some("reject_once" | "reject_always")
                    )
                })
                .and_then(|o| o.get("optionId").cloned());
            tracing::debug!(titan = TITAN, "declining an ACP permission request");
            Ok(match reject {
                Some(option_id) => {
                    json!({"outcome": {"outcome": "selected", "optionId": option_id}})
                }
                None => json!({"outcome": {"outcome": "cancelled"}}),
            })
        }
        other => Err((
            -32601,
            format!("method {other} is not supported by this client"),
        )),
    }
}

/// A JSON-RPC error from the agent. ACP's `-32000` is "authentication required".
fn rpc_error(method: &str, err: &Value) -> TitanError {
    let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message");
    let titan = TITAN.to_owned();
    let detail = format!("{method} failed with {code}: {message}");
    match code {
        -32000 => TitanError::Auth {
            titan,
            detail: format!("{detail}; run `auggie login` or set the session auth secret"),
        },
        -32602..=-32600 => TitanError::BadRequest { titan, detail },
        _ => TitanError::Transport { titan, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_is_declined() {
        let params = json!({"options": [
            {"optionId": "allow", "kind": "allow_once", "name": "Allow"},
            {"optionId": "deny", "kind": "reject_once", "name": "Reject"},
        ]});
        let r = answer_agent_request("session/request_permission", &params).unwrap();
        assert_eq!(r["outcome"]["optionId"], "deny");
        let r =
            answer_agent_request("session/request_permission", &json!({"options": []})).unwrap();
        assert_eq!(r["outcome"]["outcome"], "cancelled");
        assert_eq!(
            answer_agent_request("fs/read_text_file", &json!({}))
                .unwrap_err()
                .0,
            -32601
        );
    }

    #[test]
    fn auth_required_maps_to_auth() {
        let e = rpc_error(
            "session/new",
            &json!({"code": -32000, "message": "Authentication required"}),
        );
        assert!(matches!(e, TitanError::Auth { .. }));
    }
}
