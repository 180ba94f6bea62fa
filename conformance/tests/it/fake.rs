//! A small federation server for the suite's own tests, on OMEGA's stack,
//! with switchable flaws: each flaw breaks exactly one requirement.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use omega_stack::{McpOptions, RoleApp};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode, ErrorData,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// What is wrong with the fake.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flaws {
    /// Unknown tools answer -32601 instead of -32602 (MCP-05).
    pub wrong_error_code: bool,
    /// `session_get` has no outputSchema (MCP-03).
    pub missing_schema: bool,
    /// Sessions are stored without their tenant (FED-04).
    pub tenant_leak: bool,
    /// The agent card has no OMEGA fields (FED-01).
    pub bad_card: bool,
}

#[derive(Clone)]
struct Fake {
    flaws: Flaws,
    store: Arc<Mutex<HashMap<String, Value>>>,
}

fn object(v: Value) -> JsonObject {
    v.as_object().cloned().expect("object")
}

fn tool(name: &'static str, props: Value, required: Value, out: Option<Value>) -> Tool {
    let mut t = Tool::new(
        name,
        "fake",
        object(json!({"type": "object", "properties": props, "required": required})),
    );
    t.output_schema = out.map(|o| Arc::new(object(o)));
    let mut a = ToolAnnotations::default();
    a.read_only_hint = Some(name == "session_get");
    t.annotations = Some(a);
    t
}

fn omega_error(code: i32, name: &str, message: &str, field: Option<&str>) -> CallToolResponse {
    let err = json!({"code": code, "message": message, "data": {"name": name, "field": field}});
    let mut r = CallToolResult::structured_error(json!({"error": err}));
    r.content = vec![ContentBlock::text(message.to_owned())];
    r.into()
}

impl ServerHandler for Fake {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new("fake-federation-server", "0.0.1");
        info
    }

    async fn list_tools(
        &self,
        _r: Option<PaginatedRequestParams>,
        _c: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let stored = json!({"type": "object", "properties": {"sessionId": {"type": "string"}}, "required": ["sessionId"]});
        let value = json!({"type": "object", "properties": {"value": {}}, "required": ["value"]});
        let props =
            json!({"tenant": {"type": "string"}, "sessionId": {"type": "string"}, "value": {}});
        Ok(ListToolsResult::with_all_items(vec![
            tool(
                "session_put",
                props.clone(),
                json!(["tenant", "sessionId", "value"]),
                Some(stored),
            ),
            tool(
                "session_get",
                props,
                json!(["tenant", "sessionId"]),
                (!self.flaws.missing_schema).then_some(value),
            ),
        ]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _c: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if name != "session_put" && name != "session_get" {
            let code = if self.flaws.wrong_error_code {
                ErrorCode::METHOD_NOT_FOUND
            } else {
                ErrorCode::INVALID_PARAMS
            };
            return Err(ErrorData::new(code, format!("unknown tool `{name}`"), None));
        }
        let args = request.arguments.unwrap_or_default();
        let tenant = match args.get("tenant").and_then(Value::as_str) {
            None => {
                return Ok(omega_error(
                    -32001,
                    "tenant_required",
                    "tenant missing",
                    Some("tenant"),
                ));
            }
            Some(t) if t != "acme" && t != "globex" => {
                return Ok(omega_error(
                    -32002,
                    "tenant_unknown",
                    "tenant not configured",
                    Some("tenant"),
                ));
            }
            Some(t) => t.to_owned(),
        };
        let Some(id) = args.get("sessionId").and_then(Value::as_str) else {
            return Ok(omega_error(
                -32602,
                "invalid_params",
                "sessionId must be a string",
                Some("sessionId"),
            ));
        };
        let key = if self.flaws.tenant_leak {
            id.to_owned()
        } else {
            format!("{tenant}/{id}")
        };
        let mut store = self.store.lock().unwrap();
        if name == "session_put" {
            store.insert(key, args.get("value").cloned().unwrap_or(Value::Null));
            return Ok(CallToolResult::structured(json!({"sessionId": id})).into());
        }
        Ok(match store.get(&key) {
            Some(v) => CallToolResult::structured(json!({"value": v})).into(),
            None => omega_error(-32004, "not_found", "no such session", Some("sessionId")),
        })
    }
}

fn card(base: &str, flaws: Flaws) -> Value {
    let mut card = json!({
        "name": "Fake triage agent",
        "description": "A test agent for omega-conformance.",
        "version": "0.0.1",
        "supportedInterfaces": [{"url": format!("{base}/mcp"), "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {"streaming": false, "pushNotifications": false},
        "defaultInputModes": ["application/json"],
        "defaultOutputModes": ["application/json"],
        "skills": [{"id": "triage", "name": "Triage", "description": "Triage tickets.", "tags": ["triage"]}],
        "omega": {"role": "classifier", "tier": "dynamic", "tenants": "all"}
    });
    if flaws.bad_card {
        card.as_object_mut().unwrap().remove("omega");
    }
    card
}

/// A running fake.
pub struct Running {
    pub url: String,
    cancel: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Starts a fake with `flaws` on a free port.
pub async fn start(flaws: Flaws) -> Running {
    let bound = omega_stack::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", bound.addr);
    let card = card(&base, flaws);
    let cancel = CancellationToken::new();
    let fake = Fake {
        flaws,
        store: Arc::default(),
    };
    let router = RoleApp::new("fake")
        .with_mcp_handler(fake, &McpOptions::default(), cancel.clone())
        .with_routes(Router::new().route(
            "/.well-known/agent-card.json",
            get(move || {
                let card = card.clone();
                async move { axum::Json(card) }
            }),
        ))
        .into_router();
    tokio::spawn(omega_stack::serve(
        bound.listener,
        router,
        cancel.clone(),
        Duration::from_secs(1),
    ));
    Running {
        url: format!("{base}/mcp"),
        cancel,
    }
}
