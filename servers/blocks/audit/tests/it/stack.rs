//! Tool calls of a role's `ToolSet` feed the audit log through its
//! `ToolAudit` implementation.

use std::sync::Arc;

use omega_audit::{AuditRecord, Outcome, SEALED_DIR, segment};
use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Caller, CallerKind, TenantGrant, TenantPolicy, ToolSet};
use serde_json::{Value, json};

use crate::Trail;

fn args(v: Value) -> Option<serde_json::Map<String, Value>> {
    v.as_object().cloned()
}

#[tokio::test]
async fn state_changing_tool_calls_are_recorded_and_read_only_ones_are_not() {
    let t = Trail::new();
    let log = t.open().await;
    let acme = TenantId::parse("acme").unwrap();
    let tools = ToolSet::new(Arc::new(()), TenantPolicy::new([acme.clone()]))
        .scoped_tool(
            "session_get",
            "Read (read-only).",
            true,
            |_, _, _: serde_json::Map<String, Value>| async move { Ok(json!({})) },
        )
        .scoped_tool(
            "session_put",
            "Write.",
            false,
            |_, _, input: serde_json::Map<String, Value>| async move {
                if input.contains_key("fail") {
                    Err(OmegaError::new(
                        ErrorCode::BACKEND_UNAVAILABLE,
                        "store down",
                    ))
                } else {
                    Ok(json!({"ok": true}))
                }
            },
        )
        .audit(Arc::new(log.clone()))
        .authorize("context", Arc::new(omega_stack::AllowAll));
    let caller = Caller {
        id: "spiffe://omega.local/ns/prod/sa/triage".into(),
        kind: CallerKind::Service,
        tenants: TenantGrant::All,
    };
    let call = |name: &'static str, v: Value| {
        let tools = &tools;
        let caller = caller.clone();
        async move { tools.call(caller, name, args(v)).await.unwrap() }
    };
    call("session_get", json!({"tenant": "acme"}))
        .await
        .unwrap();
    call("session_put", json!({"tenant": "acme"}))
        .await
        .unwrap();
    call("session_put", json!({"tenant": "acme", "fail": 1}))
        .await
        .unwrap_err();
    call("session_get", json!({"tenant": "acme"}))
        .await
        .unwrap();

    // Sealed and read back from the trail.
    let head = log.close().await.unwrap();
    assert_eq!(head.seq, 2, "only the two session_put calls");
    let report = t.verify();
    assert!(report.is_ok(), "{report}");
    let store = omega_audit::LocalBlobStore::new(t.dir().join(SEALED_DIR));
    let mut records: Vec<AuditRecord> = Vec::new();
    for name in store.list_sync("segments/").unwrap() {
        let parsed = segment::parse(&store.get_sync(&name).unwrap());
        records.extend(parsed.records.into_iter().map(|(_, r)| r));
    }
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r.actor, "spiffe://omega.local/ns/prod/sa/triage");
        assert_eq!(r.actor_kind.as_deref(), Some("service"));
        assert_eq!(r.action, "session_put");
        assert_eq!(r.target, "context");
        assert_eq!(r.tenant.as_ref(), Some(&acme));
        assert_eq!(r.details, Value::Null, "no arguments are recorded");
    }
    assert_eq!(records[0].outcome, Outcome::Ok);
    assert_eq!(
        records[1].outcome,
        Outcome::Error {
            code: ErrorCode::BACKEND_UNAVAILABLE
        }
    );
}
