use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use omega_client::McpClient;
use omega_stack::{Authenticator, Authorizer, Caller, CallerKind, McpOptions, TenantGrant};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Accepts `Authorization: Bearer good`, refuses everything else with 401.
struct TokenAuth;

impl Authenticator for TokenAuth {
    fn authenticate(&self, request: &http::request::Parts) -> Result<Caller, Box<Response>> {
        match request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        {
            Some("Bearer good") => Ok(Caller {
                id: "employee-1".into(),
                kind: CallerKind::Employee,
                tenants: TenantGrant::All,
            }),
            _ => Err(Box::new(
                (
                    http::StatusCode::UNAUTHORIZED,
                    [(
                        "www-authenticate",
                        "Bearer resource_metadata=\"/.well-known/oauth-protected-resource\"",
                    )],
                )
                    .into_response(),
            )),
        }
    }
}

/// Employees may not call admin tools.
struct NoAdmin;

impl Authorizer for NoAdmin {
    fn may_call(&self, caller: &Caller, _role: &str, tool: &str) -> bool {
        caller.kind != CallerKind::Employee || !tool.starts_with("admin_")
    }
}

async fn start(options: McpOptions) -> String {
    let bound = omega_stack::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = bound.addr;
    let router = crate::app(&options);
    tokio::spawn(omega_stack::serve(
        bound.listener,
        router,
        CancellationToken::new(),
        std::time::Duration::from_secs(1),
    ));
    format!("http://{addr}/mcp")
}

#[tokio::test]
async fn the_authenticator_decides_who_calls_and_can_refuse() {
    let options = McpOptions {
        authenticator: Arc::new(TokenAuth),
        authorizer: Arc::new(NoAdmin),
        ..McpOptions::default()
    };
    let url = start(options).await;
    let timeout = std::time::Duration::from_secs(5);
    let v = omega_client::McpVersion::V2026_07_28;

    let anonymous = McpClient::connect_with(&url, v, timeout, None)
        .await
        .unwrap();
    let err = anonymous.list_tools().await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");

    let employee = McpClient::connect_with(&url, v, timeout, Some("good".into()))
        .await
        .unwrap();
    let who = employee.call_tool("whoami", json!({})).await.unwrap();
    assert_eq!(who["caller"], "employee-1");

    // The admin tool is hidden, not refused: absent from the listing, and
    // calling it looks exactly like calling a tool that does not exist.
    let names: Vec<_> = employee
        .list_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("whoami")]);
    let hidden = employee
        .call_tool("admin_reset", json!({}))
        .await
        .unwrap_err();
    let missing = employee
        .call_tool("no_such_tool", json!({}))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), missing.code());

    // Probes stay public.
    let health = url.replace("/mcp", "/healthz");
    let (status, _) = crate::tls::get(&health).await;
    assert_eq!(status, 200);
}
