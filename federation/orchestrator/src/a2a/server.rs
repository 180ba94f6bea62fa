//! The A2A 1.0 JSON-RPC binding over HTTP: the agent card, `SendMessage`,
//! `SendStreamingMessage` (SSE), `GetTask` and `CancelTask`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use http::{HeaderMap, StatusCode, header};
use omega_protocol::{TenantId, TraceContext};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tracing::Instrument;

use super::agent::{A2aAgent, A2aRequest};
use super::store::{TaskStore, apply, now, status};
use super::types::{
    CancelTaskRequest, GetTaskRequest, SendMessageRequest, StreamResponse, Task, TaskState,
    TaskStatus,
};

/// Path of the agent card.
pub const AGENT_CARD_PATH: &str = "/.well-known/agent-card.json";
/// The header naming the A2A version a client speaks.
pub const VERSION_HEADER: &str = "A2A-Version";

/// A2A JSON-RPC error codes (A2A 1.0, JSON-RPC binding).
pub mod codes {
    /// The task does not exist.
    pub const TASK_NOT_FOUND: i32 = -32001;
    /// The task is in a state that cannot be canceled.
    pub const TASK_NOT_CANCELABLE: i32 = -32002;
    /// Push notifications are not supported.
    pub const PUSH_NOT_SUPPORTED: i32 = -32003;
    /// The operation is not supported.
    pub const UNSUPPORTED_OPERATION: i32 = -32004;
    /// The `A2A-Version` is not supported.
    pub const VERSION_NOT_SUPPORTED: i32 = -32009;
}

struct AppState {
    agent: Arc<dyn A2aAgent>,
    store: TaskStore,
}

/// An axum router serving `agent`: `GET /.well-known/agent-card.json` (the
/// card in its public A2A form) and JSON-RPC on `POST /`. Tasks live in
/// memory. Mount it under a prefix with `Router::nest` for several agents;
/// the card's interface URL must point at that prefix.
pub fn a2a_router(agent: Arc<dyn A2aAgent>) -> Router {
    let state = Arc::new(AppState {
        agent,
        store: TaskStore::default(),
    });
    Router::new()
        .route(AGENT_CARD_PATH, get(card))
        .route("/", post(rpc))
        .with_state(state)
}

async fn card(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(state.agent.card().to_public()).into_response()
}

struct RpcError {
    code: i32,
    message: String,
    reason: &'static str,
}

fn err(code: i32, reason: &'static str, message: impl Into<String>) -> RpcError {
    RpcError {
        code,
        message: message.into(),
        reason,
    }
}

fn error_body(id: &Value, e: &RpcError) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": e.code,
            "message": e.message,
            "data": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": e.reason,
                "domain": "a2a-protocol.org",
                "metadata": {},
            }],
        },
    })
}

fn ok_body(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn json_response(body: Value) -> Response {
    axum::Json(body).into_response()
}

/// `A2A-Version` must name major version 1 (`1.0`, `1.0.2`); a missing
/// header means 0.3, which this server does not speak.
fn check_version(headers: &HeaderMap) -> Result<(), RpcError> {
    let raw = headers
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    let ok = raw.split('.').next() == Some("1")
        && raw
            .split('.')
            .skip(1)
            .all(|p| p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        let shown = if raw.is_empty() {
            "none (meaning 0.3)"
        } else {
            raw
        };
        Err(err(
            codes::VERSION_NOT_SUPPORTED,
            "VERSION_NOT_SUPPORTED",
            format!("A2A version {shown} is not supported; send the header A2A-Version: 1.0"),
        ))
    }
}

async fn rpc(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return json_response(error_body(
                &Value::Null,
                &err(-32700, "PARSE_ERROR", format!("the body is not JSON: {e}")),
            ));
        }
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(obj) = request.as_object() else {
        return json_response(error_body(
            &Value::Null,
            &err(
                -32600,
                "INVALID_REQUEST",
                "send one JSON-RPC request object; batches are not supported",
            ),
        ));
    };
    let method = obj.get("method").and_then(Value::as_str);
    let (Some(method), Some("2.0")) = (method, obj.get("jsonrpc").and_then(Value::as_str)) else {
        return json_response(error_body(
            &id,
            &err(
                -32600,
                "INVALID_REQUEST",
                "a JSON-RPC 2.0 request needs \"jsonrpc\": \"2.0\" and a method",
            ),
        ));
    };
    if let Err(e) = check_version(&headers) {
        return json_response(error_body(&id, &e));
    }
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    let span = tracing::info_span!("a2a.rpc", method, agent = %state.agent.card().name);
    let outcome = async {
        match method {
            "SendMessage" => send_message(&state, params).await.map(Reply::Json),
            "SendStreamingMessage" => send_streaming(&state, params, id.clone()).await.map(Reply::Sse),
            "GetTask" => get_task(&state, params).map(Reply::Json),
            "CancelTask" => cancel_task(&state, params).map(Reply::Json),
            "ListTasks" | "SubscribeToTask" | "GetExtendedAgentCard" => Err(err(
                codes::UNSUPPORTED_OPERATION,
                "UNSUPPORTED_OPERATION",
                format!("{method} is not supported by this agent"),
            )),
            m if m.contains("PushNotificationConfig") => Err(err(
                codes::PUSH_NOT_SUPPORTED,
                "PUSH_NOTIFICATION_NOT_SUPPORTED",
                "push notifications are not supported; poll GetTask or use SendStreamingMessage",
            )),
            other => Err(err(
                -32601,
                "METHOD_NOT_FOUND",
                format!("unknown method {other:?}; use SendMessage, SendStreamingMessage, GetTask or CancelTask"),
            )),
        }
    }
    .instrument(span)
    .await;
    match outcome {
        Ok(Reply::Json(result)) => json_response(ok_body(&id, result)),
        Ok(Reply::Sse(resp)) => resp,
        Err(e) => json_response(error_body(&id, &e)),
    }
}

enum Reply {
    Json(Value),
    Sse(Response),
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, RpcError> {
    serde_json::from_value(params)
        .map_err(|e| err(-32602, "INVALID_PARAMS", format!("invalid params: {e}")))
}

fn meta_str(meta: Option<&serde_json::Map<String, Value>>, key: &str) -> Option<String> {
    meta?.get(key)?.as_str().map(str::to_owned)
}

fn trace_of(meta: Option<&serde_json::Map<String, Value>>) -> Option<TraceContext> {
    let meta = meta?;
    if let Some(ctx) = TraceContext::from_meta(meta) {
        return Some(ctx);
    }
    let ctx = TraceContext {
        traceparent: meta.get("traceparent")?.as_str()?.to_owned(),
        tracestate: meta
            .get("tracestate")
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    ctx.validate().ok().map(|()| ctx)
}

/// Creates (or continues) the task and starts the agent on it.
async fn start(
    state: &Arc<AppState>,
    req: SendMessageRequest,
) -> Result<
    (
        Task,
        broadcast::Receiver<StreamResponse>,
        tokio::sync::watch::Receiver<TaskState>,
    ),
    RpcError,
> {
    req.message
        .validate()
        .map_err(|m| err(-32602, "INVALID_PARAMS", m))?;
    if req
        .configuration
        .as_ref()
        .is_some_and(|c| c.task_push_notification_config.is_some())
    {
        return Err(err(
            codes::PUSH_NOT_SUPPORTED,
            "PUSH_NOTIFICATION_NOT_SUPPORTED",
            "push notifications are not supported; poll GetTask or use SendStreamingMessage",
        ));
    }
    let message_meta = req.message.metadata.as_ref();
    let tenant_raw = meta_str(message_meta, "tenant")
        .or_else(|| meta_str(req.metadata.as_ref(), "tenant"))
        .or_else(|| (!req.tenant.is_empty()).then(|| req.tenant.clone()));
    let tenant = match tenant_raw {
        Some(t) => Some(TenantId::parse(&t).map_err(|e| err(-32602, "INVALID_PARAMS", e.message))?),
        None => None,
    };
    let trace = trace_of(message_meta).or_else(|| trace_of(req.metadata.as_ref()));
    let mut message = req.message;
    let (task_id, context_id, history) = if message.task_id.is_empty() {
        let ctx = if message.context_id.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            message.context_id.clone()
        };
        (uuid::Uuid::new_v4().to_string(), ctx, Vec::new())
    } else {
        let task = state.store.get(&message.task_id).ok_or_else(|| {
            err(
                codes::TASK_NOT_FOUND,
                "TASK_NOT_FOUND",
                format!("no task {:?}", message.task_id),
            )
        })?;
        if !task.status.state.is_interrupted() {
            return Err(err(
                codes::UNSUPPORTED_OPERATION,
                "UNSUPPORTED_OPERATION",
                format!(
                    "task {} is not waiting for input; send a message without taskId to start a new task",
                    task.id
                ),
            ));
        }
        (task.id, task.context_id, task.history)
    };
    message.task_id = task_id.clone();
    message.context_id = context_id.clone();
    let mut history_with = history.clone();
    history_with.push(message.clone());
    let task = Task {
        id: task_id.clone(),
        context_id: context_id.clone(),
        status: TaskStatus {
            state: TaskState::Submitted,
            message: None,
            timestamp: Some(now()),
        },
        artifacts: Vec::new(),
        history: history_with,
        metadata: None,
    };
    let (rx, state_rx) = state.store.insert(task.clone());
    let request = A2aRequest {
        task_id: task_id.clone(),
        context_id,
        message,
        history,
        tenant,
        trace,
    };
    let st = state.clone();
    let span = tracing::info_span!("a2a.task", task_id = %task_id);
    if let Some(ctx) = &request.trace {
        omega_telemetry::propagation::set_parent(&span, ctx);
    }
    let handle = tokio::spawn(
        async move {
            let mut events = st.agent.handle(request).await;
            let mut finished = false;
            while let Some(ev) = events.next().await {
                finished = apply(&st.store, &task_id, ev);
                if finished {
                    break;
                }
            }
            if !finished {
                st.store
                    .set_status(&task_id, status(TaskState::Completed, None));
            }
        }
        .instrument(span),
    );
    state
        .store
        .with(&task.id, |e| e.abort = Some(handle.abort_handle()));
    Ok((task, rx, state_rx))
}

fn trim_history(mut task: Task, len: Option<u32>) -> Task {
    if let Some(n) = len {
        let n = n as usize;
        if task.history.len() > n {
            task.history.drain(..task.history.len() - n);
        }
    }
    task
}

async fn send_message(state: &Arc<AppState>, params: Value) -> Result<Value, RpcError> {
    let req: SendMessageRequest = parse(params)?;
    let config = req.configuration.clone().unwrap_or_default();
    let (task, _events, mut state_rx) = start(state, req).await?;
    if !config.return_immediately {
        let _ = state_rx
            .wait_for(|s| s.is_terminal() || s.is_interrupted())
            .await;
    }
    let task = state.store.get(&task.id).unwrap_or(task);
    Ok(json!({"task": trim_history(task, config.history_length)}))
}

async fn send_streaming(
    state: &Arc<AppState>,
    params: Value,
    id: Value,
) -> Result<Response, RpcError> {
    if state.agent.card().capabilities.streaming == Some(false) {
        return Err(err(
            codes::UNSUPPORTED_OPERATION,
            "UNSUPPORTED_OPERATION",
            "this agent does not stream; use SendMessage",
        ));
    }
    let req: SendMessageRequest = parse(params)?;
    let (task, events, _state) = start(state, req).await?;
    let first = StreamResponse::Task(task);
    let rest = futures::stream::unfold((events, false), |(mut rx, done)| async move {
        if done {
            return None;
        }
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    let last = matches!(&ev, StreamResponse::StatusUpdate(u)
                        if u.status.state.is_terminal() || u.status.state.is_interrupted());
                    return Some((ev, (rx, last)));
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "A2A stream subscriber lagged");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let body = futures::stream::once(async { first })
        .chain(rest)
        .map(move |ev| {
            let line = serde_json::to_string(&ok_body(&id, json!(ev))).unwrap_or_default();
            Ok::<_, std::convert::Infallible>(format!("data: {line}\n\n"))
        });
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .expect("static response parts"))
}

fn get_task(state: &AppState, params: Value) -> Result<Value, RpcError> {
    let req: GetTaskRequest = parse(params)?;
    let task = state.store.get(&req.id).ok_or_else(|| {
        err(
            codes::TASK_NOT_FOUND,
            "TASK_NOT_FOUND",
            format!("no task {:?}", req.id),
        )
    })?;
    Ok(json!(trim_history(task, req.history_length)))
}

fn cancel_task(state: &AppState, params: Value) -> Result<Value, RpcError> {
    let req: CancelTaskRequest = parse(params)?;
    let outcome = state.store.with(&req.id, |e| {
        if e.task.status.state.is_terminal() {
            return false;
        }
        if let Some(abort) = e.abort.take() {
            abort.abort();
        }
        true
    });
    match outcome {
        None => Err(err(
            codes::TASK_NOT_FOUND,
            "TASK_NOT_FOUND",
            format!("no task {:?}", req.id),
        )),
        Some(false) => Err(err(
            codes::TASK_NOT_CANCELABLE,
            "TASK_NOT_CANCELABLE",
            format!("task {} has already finished", req.id),
        )),
        Some(true) => {
            state
                .store
                .set_status(&req.id, status(TaskState::Canceled, None));
            Ok(json!(state.store.get(&req.id)))
        }
    }
}
