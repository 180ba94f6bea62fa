//! Federation requirements (FED-01..FED-07).

use omega_protocol::{AgentCard, ErrorCode, TRACE_META_KEY};
use serde_json::{Value, json};

use super::mcp::error_code;
use super::{Profile, Run, args};
use crate::probe::{Probe, Version};
use crate::report::{Check, Status};

fn verdict(ok: bool) -> Status {
    if ok { Status::Pass } else { Status::Fail }
}

/// FED-03: tenant-scoped tools refuse missing and unknown tenants.
pub async fn tenant_required(run: &mut Run) {
    let scoped = run.scoped_tools();
    if scoped.is_empty() {
        run.push(Check::new(
            "FED-03",
            "tenant checks",
            Status::NotApplicable,
            "no tool requires a `tenant` argument",
        ));
        return;
    }
    let unknown = run.opts.unknown_tenant.clone();
    for tool in scoped {
        let name = tool["name"].as_str().unwrap_or_default().to_owned();
        let mut without = args::for_tool(&tool, "x", "omega-conformance-probe");
        if let Some(o) = without.as_object_mut() {
            o.remove("tenant");
        }
        let ex = run.call(&name, without).await;
        let got = error_code(&ex).map(|c| c.0);
        run.push(
            Check::new(
                "FED-03",
                format!("`{name}` without tenant"),
                verdict(got == Some(-32001)),
                format!("expected -32001 tenant_required, got {got:?}"),
            )
            .with_exchange(&ex),
        );
        let ex = run
            .call(
                &name,
                args::for_tool(&tool, &unknown, "omega-conformance-probe"),
            )
            .await;
        let got = error_code(&ex).map(|c| c.0);
        run.push(
            Check::new(
                "FED-03",
                format!("`{name}` for unconfigured tenant `{unknown}`"),
                verdict(got == Some(-32002)),
                format!("expected -32002 tenant_unknown, got {got:?}"),
            )
            .with_exchange(&ex),
        );
    }
}

/// Write/read tool pairs the suite knows how to probe: (writer, reader, key argument).
const PAIRS: &[(&str, &str, &str)] = &[
    ("session_put", "session_get", "sessionId"),
    ("cache_put", "cache_get", "key"),
];

/// FED-04: what tenant A writes, tenant B never reads.
pub async fn tenant_isolation(run: &mut Run) {
    let has = |n: &str| run.tools.iter().any(|t| t["name"] == n);
    let pairs: Vec<_> = PAIRS
        .iter()
        .filter(|(w, r, _)| has(w) && has(r))
        .copied()
        .collect();
    if pairs.is_empty() {
        run.push(Check::new(
            "FED-04",
            "tenant isolation",
            Status::NotApplicable,
            "the server has no write/read tool pair the suite knows how to probe (session_put/session_get, cache_put/cache_get)",
        ));
        return;
    }
    let (a, b) = run.opts.tenants.clone();
    for (writer, reader, key_arg) in pairs {
        let key = format!("omega-conformance-{}", uuid::Uuid::new_v4().simple());
        let marker = format!("secret-of-{a}-{}", uuid::Uuid::new_v4().simple());
        let wrote = run
            .call(
                writer,
                json!({"tenant": a, key_arg: key, "value": {"marker": marker}}),
            )
            .await;
        if wrote.result().is_none_or(|r| r["isError"] == true) {
            run.push(
                Check::new(
                    "FED-04",
                    format!("`{writer}` then `{reader}`"),
                    Status::Fail,
                    format!("could not write for tenant `{a}`"),
                )
                .with_exchange(&wrote),
            );
            continue;
        }
        let as_b = run.call(reader, json!({"tenant": b, key_arg: key})).await;
        let leaked = as_b
            .result()
            .is_some_and(|r| r.to_string().contains(&marker));
        let as_a = run.call(reader, json!({"tenant": a, key_arg: key})).await;
        let own = as_a
            .result()
            .is_some_and(|r| r.to_string().contains(&marker));
        let (status, detail, shown) = match (leaked, own) {
            (true, _) => (
                Status::Fail,
                format!("tenant `{b}` read what tenant `{a}` wrote"),
                &as_b,
            ),
            (false, false) => (
                Status::Fail,
                format!("tenant `{a}` could not read its own write back, so isolation is unproven"),
                &as_a,
            ),
            (false, true) => (
                Status::Pass,
                format!("`{b}` does not see `{a}`'s value; `{a}` does"),
                &as_b,
            ),
        };
        run.push(
            Check::new(
                "FED-04",
                format!("`{writer}` for `{a}`, `{reader}` for `{b}`"),
                status,
                detail,
            )
            .with_exchange(shown),
        );
    }
}

/// FED-06: trace context is accepted and kept.
pub async fn trace_context(run: &mut Run) {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let params = json!({"_meta": {TRACE_META_KEY: {"traceparent": traceparent}}});
    let ex = run
        .calls
        .rpc_with(
            "tools/list",
            params,
            &[("traceparent", traceparent.clone())],
        )
        .await;
    let echoed = ex
        .result()
        .and_then(|r| r.pointer("/_meta"))
        .and_then(|m| m.get(TRACE_META_KEY))
        .and_then(|t| t["traceparent"].as_str());
    let (status, detail) = match (ex.result().is_some(), echoed) {
        (false, _) => (Status::Fail, "a request carrying a trace context was not served".to_owned()),
        (true, Some(tp)) if !tp.contains(&trace_id) => (Status::Fail, format!("returned trace context `{tp}` lost trace id {trace_id}")),
        (true, Some(_)) => (Status::Pass, "served, and the returned trace context keeps the trace id".to_owned()),
        (true, None) => (
            Status::Pass,
            "served; the server returns no trace context, so propagation beyond this hop is not observable from outside".to_owned(),
        ),
    };
    run.push(Check::new("FED-06", "trace context", status, detail).with_exchange(&ex));
}

fn origin(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.to_owned(),
    }
}

/// FED-01 and FED-02: the agent card and the registry round trip.
pub async fn agent_card(run: &mut Run) {
    if run.opts.profile == Profile::Server {
        for (id, what) in [
            ("FED-01", "agent card"),
            ("FED-02", "registry registration"),
        ] {
            run.push(Check::new(
                id,
                what,
                Status::NotApplicable,
                "server profile: agent checks run with --profile agent",
            ));
        }
        return;
    }
    let url = run
        .opts
        .card_url
        .clone()
        .unwrap_or_else(|| format!("{}/.well-known/agent-card.json", origin(&run.opts.url)));
    let ex = run
        .calls
        .raw(
            http::Method::GET,
            &url,
            &[("accept", "application/json".to_owned())],
            Vec::new(),
        )
        .await;
    let body = ex.received.split_once('\n').map(|x| x.1).unwrap_or("");
    let card: Result<AgentCard, String> = if ex.status != 200 {
        Err(format!("GET {url} answered {}", ex.status))
    } else {
        serde_json::from_str::<AgentCard>(body).map_err(|e| format!("not an A2A Agent Card: {e}"))
    };
    let card = card.and_then(|c| {
        c.validate()
            .map_err(|e| format!("invalid card: {} (field {:?})", e.message, e.data.field))?;
        c.omega_fields()
            .ok_or("the card has no OMEGA fields (role, tier, tenants)")?;
        Ok(c)
    });
    match &card {
        Ok(_) => run.push(
            Check::new(
                "FED-01",
                "agent card",
                Status::Pass,
                format!("{url} is a valid card with OMEGA fields"),
            )
            .with_exchange(&ex),
        ),
        Err(why) => run
            .push(Check::new("FED-01", "agent card", Status::Fail, why.clone()).with_exchange(&ex)),
    }
    let (Ok(card), Some(registry)) = (card, run.opts.registry.clone()) else {
        run.push(Check::new(
            "FED-02",
            "registry registration",
            Status::NotApplicable,
            "needs a valid agent card and --registry <agent registry MCP URL>",
        ));
        return;
    };
    registry_round_trip(run, &registry, &card).await;
}

async fn registry_round_trip(run: &mut Run, registry: &str, card: &AgentCard) {
    let reg = Probe::new(registry, Version::V2026, run.opts.timeout);
    let call = |name: &'static str, args: Value| {
        let reg = &reg;
        async move {
            reg.rpc("tools/call", json!({"name": name, "arguments": args}))
                .await
        }
    };
    let ok = |ex: &crate::probe::Exchange| ex.result().is_some_and(|r| r["isError"] != true);
    let registered = call("agent_register", json!({"card": card})).await;
    let Some(id) = registered
        .result()
        .filter(|_| ok(&registered))
        .and_then(|r| r["structuredContent"]["agentId"].as_str())
        .map(str::to_owned)
    else {
        run.push(
            Check::new(
                "FED-02",
                "agent_register",
                Status::Fail,
                "the registry did not accept the card",
            )
            .with_exchange(&registered),
        );
        return;
    };
    let beat = call("agent_heartbeat", json!({"agentId": id})).await;
    let listed = call("agent_list", json!({"liveOnly": true})).await;
    let in_list = listed.result().is_some_and(|r| r.to_string().contains(&id));
    let gone = call("agent_deregister", json!({"agentId": id})).await;
    let after = call("agent_heartbeat", json!({"agentId": id})).await;
    let steps = [
        (ok(&beat), "heartbeat accepted", &beat),
        (in_list, "instance listed as live", &listed),
        (
            gone.result()
                .is_some_and(|r| r["structuredContent"]["deleted"] == true),
            "deregistered",
            &gone,
        ),
        (
            error_code(&after).map(|c| c.0) == Some(ErrorCode::NOT_FOUND.0 as i64),
            "heartbeat after deregistration is not_found",
            &after,
        ),
    ];
    match steps.iter().find(|(passed, _, _)| !passed) {
        Some((_, what, ex)) => run.push(
            Check::new(
                "FED-02",
                "registry round trip",
                Status::Fail,
                format!("step failed: {what}"),
            )
            .with_exchange(ex),
        ),
        None => run.push(Check::new(
            "FED-02",
            "registry round trip",
            Status::Pass,
            "registered, heartbeat, listed live, deregistered",
        )),
    }
}

/// FED-05: every observed error code is one of OMEGA's.
pub fn error_codes(run: &mut Run) {
    if run.errors.is_empty() {
        run.push(Check::new(
            "FED-05",
            "error codes",
            Status::Fail,
            "the suite provoked errors but observed none",
        ));
        return;
    }
    let mut bad = Vec::new();
    for (err, structured, ex) in &run.errors {
        let code = err["code"].as_i64().map(|c| ErrorCode(c as i32));
        let name = err.pointer("/data/name").and_then(Value::as_str);
        let why = match code {
            None => Some("no numeric code".to_owned()),
            Some(c) if c.name().is_none() => {
                Some(format!("code {} is not an OMEGA error code", c.0))
            }
            Some(c) => match (name, structured) {
                (None, true) => Some(format!("structured error {} has no data.name", c.0)),
                (Some(n), _) if Some(n) != c.name() => Some(format!(
                    "data.name `{n}` does not match code {} ({:?})",
                    c.0,
                    c.name()
                )),
                _ => None,
            },
        };
        if let Some(why) = why {
            bad.push((why, ex.clone()));
        }
    }
    let count = run.errors.len();
    match bad.first() {
        None => run.push(Check::new(
            "FED-05",
            "error codes",
            Status::Pass,
            format!("all {count} observed errors use OMEGA codes"),
        )),
        Some((why, ex)) => run.push(
            Check::new(
                "FED-05",
                "error codes",
                Status::Fail,
                format!("{} of {count} errors wrong; first: {why}", bad.len()),
            )
            .with_exchange(ex),
        ),
    }
}

/// FED-07: mTLS, once the security issue lands.
pub fn mtls(run: &mut Run) {
    run.push(Check::new(
        "FED-07",
        "mTLS with the federation CA",
        Status::NotApplicable,
        "not applicable yet: OMEGA's security issue (federation CA, mTLS) has not landed; this check is not faked",
    ));
}
