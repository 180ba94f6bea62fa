//! MCP basics the federation relies on (MCP-01..MCP-07).

use serde_json::{Value, json};

use super::{Run, args};
use crate::probe::{Exchange, Probe, Version};
use crate::report::{Check, Status};

/// The error code of an exchange: a JSON-RPC error or a structured tool error.
pub fn error_code(ex: &Exchange) -> Option<(i64, Option<String>)> {
    let (err, _) = error_object(ex)?;
    Some((
        err["code"].as_i64()?,
        err.pointer("/data/field")
            .and_then(Value::as_str)
            .map(str::to_owned),
    ))
}

/// The error object and whether it was a tool result (`isError`) rather than a JSON-RPC error.
pub fn error_object(ex: &Exchange) -> Option<(&Value, bool)> {
    if let Some(e) = ex.error() {
        return Some((e, false));
    }
    let r = ex.result().filter(|r| r["isError"] == true)?;
    Some((r.pointer("/structuredContent/error")?, true))
}

fn describe(ex: &Exchange) -> String {
    match error_code(ex) {
        Some((code, _)) => format!("got error code {code}"),
        None if ex.result().is_some() => "got a successful result".into(),
        None if ex.status == 0 => "got no answer".into(),
        None => format!("got HTTP {} without a JSON-RPC answer", ex.status),
    }
}

/// MCP-01 and MCP-02, and the tool list every later check uses.
pub async fn discovery(run: &mut Run) {
    let old = Probe::new(&run.opts.url, Version::V2025, run.opts.timeout);
    let init = old
        .rpc(
            "initialize",
            json!({
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "omega-conformance", "version": env!("CARGO_PKG_VERSION")}
            }),
        )
        .await;
    let r = init.result();
    let problems: Vec<&str> = [
        (r.is_none(), "no result"),
        (
            r.is_some_and(|r| r["protocolVersion"] != "2025-11-25"),
            "protocolVersion is not 2025-11-25",
        ),
        (
            r.is_some_and(|r| !r["serverInfo"]["name"].is_string()),
            "serverInfo.name missing",
        ),
        (
            r.is_some_and(|r| !r["capabilities"]["tools"].is_object()),
            "no tools capability",
        ),
        (!old.has_session(), "no Mcp-Session-Id header"),
    ]
    .into_iter()
    .filter_map(|(bad, why)| bad.then_some(why))
    .collect();
    let ok1 = problems.is_empty();
    run.push(
        Check::new(
            "MCP-01",
            "initialize with 2025-11-25",
            if ok1 { Status::Pass } else { Status::Fail },
            if ok1 {
                "version, serverInfo, tools capability and session id present".to_owned()
            } else {
                problems.join("; ")
            },
        )
        .with_exchange(&init),
    );
    if ok1 {
        old.notify("notifications/initialized").await;
    }

    let discover = run.calls.rpc("server/discover", json!({})).await;
    let listed = run.calls.rpc("tools/list", json!({})).await;
    let supports = discover
        .result()
        .and_then(|r| r["supportedVersions"].as_array())
        .is_some_and(|v| v.iter().any(|x| x == "2026-07-28"));
    let tools = listed.result().and_then(|r| r["tools"].as_array()).cloned();
    let ok2 = supports && tools.is_some();
    let failing = if supports { &listed } else { &discover };
    run.push(
        Check::new(
            "MCP-02",
            "stateless 2026-07-28 discover and tools/list",
            if ok2 { Status::Pass } else { Status::Fail },
            if ok2 {
                "server/discover lists 2026-07-28 and tools/list answers without a session"
                    .to_owned()
            } else if !supports {
                format!(
                    "server/discover does not list 2026-07-28 ({})",
                    describe(&discover)
                )
            } else {
                format!("stateless tools/list failed ({})", describe(&listed))
            },
        )
        .with_exchange(failing),
    );
    run.tools = match tools {
        Some(t) => t,
        None => {
            // Fall back to the session so the remaining checks still run.
            let listed = old.rpc("tools/list", json!({})).await;
            run.calls = old;
            listed
                .result()
                .and_then(|r| r["tools"].as_array())
                .cloned()
                .unwrap_or_default()
        }
    };
}

/// MCP-03: input and output schemas on every tool.
pub async fn tool_schemas(run: &mut Run) {
    if run.tools.is_empty() {
        run.push(Check::new(
            "MCP-03",
            "tool schemas",
            Status::Fail,
            "tools/list returned no tools",
        ));
        return;
    }
    for tool in run.tools.clone() {
        let name = tool["name"].as_str().unwrap_or("(unnamed)");
        let mut problems = Vec::new();
        for key in ["inputSchema", "outputSchema"] {
            if !tool[key].is_object() {
                problems.push(format!("{key} missing"));
            } else if tool[key]["type"] != "object" {
                problems.push(format!("{key} is not of \"type\": \"object\""));
            }
        }
        let mut check = Check::new(
            "MCP-03",
            format!("schemas of tool `{name}`"),
            if problems.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            if problems.is_empty() {
                "inputSchema and outputSchema are object schemas".into()
            } else {
                problems.join("; ")
            },
        );
        check.sent = "tools/list".into();
        check.received = serde_json::to_string_pretty(&tool).unwrap_or_default();
        run.push(check);
    }
}

/// MCP-04: read-only tools answer with structured content.
pub async fn structured_results(run: &mut Run) {
    let read_only: Vec<Value> = run
        .tools
        .iter()
        .filter(|t| t["annotations"]["readOnlyHint"] == true)
        .cloned()
        .collect();
    if read_only.is_empty() {
        run.push(Check::new(
            "MCP-04",
            "structured results",
            Status::NotApplicable,
            "no tool is annotated readOnlyHint: true, and the suite calls only read-only tools with made-up arguments",
        ));
        return;
    }
    let tenant = run.opts.tenants.0.clone();
    for tool in read_only {
        let name = tool["name"].as_str().unwrap_or_default().to_owned();
        let ex = run
            .call(
                &name,
                args::for_tool(&tool, &tenant, "omega-conformance-probe"),
            )
            .await;
        let verdict = match (ex.result(), ex.error()) {
            (Some(r), _) if r["isError"] == true => {
                let e = &r["structuredContent"]["error"];
                if e["code"].is_i64() && e["message"].is_string() {
                    Ok(format!(
                        "tool error {} with structuredContent.error",
                        e["code"]
                    ))
                } else {
                    Err("isError result without structuredContent.error {code, message}".to_owned())
                }
            }
            (Some(r), _) => match r["structuredContent"].as_object() {
                None => Err("successful result without a structuredContent object".to_owned()),
                Some(obj) => {
                    let missing: Vec<&str> = tool["outputSchema"]["required"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .filter(|k| !obj.contains_key(*k))
                        .collect();
                    if missing.is_empty() {
                        Ok("structuredContent holds every required output property".to_owned())
                    } else {
                        Err(format!(
                            "structuredContent lacks required {}",
                            missing.join(", ")
                        ))
                    }
                }
            },
            (None, Some(e)) => Err(format!(
                "JSON-RPC error {} instead of a tool result",
                e["code"]
            )),
            (None, None) => Err(describe(&ex)),
        };
        let (status, detail) = match verdict {
            Ok(d) => (Status::Pass, d),
            Err(d) => (Status::Fail, d),
        };
        run.push(
            Check::new(
                "MCP-04",
                format!("structured result of `{name}`"),
                status,
                detail,
            )
            .with_exchange(&ex),
        );
    }
}

/// MCP-05: unknown tools are -32602.
pub async fn unknown_tool(run: &mut Run) {
    let ex = run.call("omega_conformance_no_such_tool", json!({})).await;
    let code = ex.error().and_then(|e| e["code"].as_i64());
    let ok = code == Some(-32602);
    run.push(
        Check::new(
            "MCP-05",
            "unknown tool",
            if ok { Status::Pass } else { Status::Fail },
            if ok {
                "JSON-RPC error -32602".to_owned()
            } else {
                format!("expected JSON-RPC error -32602, {}", describe(&ex))
            },
        )
        .with_exchange(&ex),
    );
}

/// MCP-06: arguments of the wrong type are -32602 naming the field.
pub async fn bad_arguments(run: &mut Run) {
    let Some((tool, field, wrong)) = run
        .tools
        .iter()
        .find_map(|t| args::wrong_type(t).map(|(f, w)| (t.clone(), f, w)))
    else {
        run.push(Check::new(
            "MCP-06",
            "bad arguments",
            Status::NotApplicable,
            "no tool has a required typed argument to get wrong",
        ));
        return;
    };
    let name = tool["name"].as_str().unwrap_or_default().to_owned();
    let mut arguments = args::for_tool(
        &tool,
        &run.opts.tenants.0.clone(),
        "omega-conformance-probe",
    );
    arguments[&field] = wrong;
    let ex = run.call(&name, arguments).await;
    let (status, detail) = match error_code(&ex) {
        Some((-32602, Some(f))) if f == field => (Status::Pass, format!("-32602 naming `{field}`")),
        Some((-32602, other)) => (
            Status::Fail,
            format!("-32602 but data.field is {other:?}, expected `{field}`"),
        ),
        _ => (
            Status::Fail,
            format!("expected -32602 for `{field}`, {}", describe(&ex)),
        ),
    };
    run.push(
        Check::new(
            "MCP-06",
            format!("wrong type for `{name}.{field}`"),
            status,
            detail,
        )
        .with_exchange(&ex),
    );
}

/// MCP-07: oversized bodies get 413 and the server survives.
pub async fn size_limit(run: &mut Run) {
    let filler = "x".repeat(run.opts.oversize_bytes);
    let body =
        json!({"jsonrpc": "2.0", "id": 999, "method": "tools/list", "params": {"padding": filler}});
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json, text/event-stream".to_owned()),
        ("mcp-protocol-version", "2026-07-28".to_owned()),
    ];
    let ex = run
        .calls
        .raw(
            http::Method::POST,
            &run.opts.url,
            &headers,
            body.to_string().into_bytes(),
        )
        .await;
    let mut after = run.calls.rpc("tools/list", json!({})).await;
    if after.status == 0 {
        // Closing the connection after a 413 without reading the body is
        // legitimate; the pooled connection is then dead, so try a fresh one.
        after = run.calls.rpc("tools/list", json!({})).await;
    }
    let alive = after.result().is_some();
    let (status, detail) = match (ex.status, alive) {
        (413, true) => (
            Status::Pass,
            format!(
                "{} byte body refused with 413; server still answers",
                run.opts.oversize_bytes
            ),
        ),
        (413, false) => (
            Status::Fail,
            "413, but the server stopped answering afterwards".to_owned(),
        ),
        (s, _) => (
            Status::Fail,
            format!(
                "expected HTTP 413 for a {} byte body, got {s}",
                run.opts.oversize_bytes
            ),
        ),
    };
    run.push(Check::new("MCP-07", "oversized request", status, detail).with_exchange(&ex));
}
