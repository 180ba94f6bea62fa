//! Ownership of registered agents, at the tool-set level.

use std::sync::Arc;
use std::time::Duration;

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Caller, CallerKind, TenantGrant, TenantPolicy, ToolSet};
use omega_store::EmbeddedStore;
use serde_json::{Value, json};

use crate::state::StoredAgent;
use crate::{RegistryState, tool_set};

fn caller(id: &str, kind: CallerKind) -> Caller {
    Caller {
        id: id.into(),
        kind,
        tenants: TenantGrant::All,
    }
}

fn card() -> Value {
    json!({
        "name": "Triage Agent",
        "description": "A triage agent for tests",
        "version": "1.2.0",
        "supportedInterfaces": [{"url": "http://127.0.0.1:9/a2a", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {"streaming": true, "pushNotifications": false},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["application/json"],
        "skills": [{"id": "triage", "name": "Triage", "description": "Classify tickets", "tags": ["tickets"]}],
        "omega": {"role": "triage", "tier": "dynamic", "tenants": "all"},
    })
}

struct Fixture {
    _dir: tempfile::TempDir,
    tools: ToolSet<RegistryState>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path()).unwrap();
        let state = Arc::new(RegistryState::new(Arc::new(store), Duration::from_secs(30)));
        let policy = TenantPolicy::new([TenantId::parse("acme").unwrap()]);
        Self {
            _dir: dir,
            tools: tool_set(state, policy),
        }
    }

    async fn call(&self, who: &Caller, tool: &str, args: Value) -> Result<Value, OmegaError> {
        self.tools
            .call(who.clone(), tool, args.as_object().cloned())
            .await
            .expect("the tool exists")
    }

    async fn register(&self, who: &Caller) -> String {
        let out = self
            .call(who, "agent_register", json!({"card": card()}))
            .await
            .unwrap();
        out["agentId"].as_str().unwrap().to_owned()
    }

    async fn stored(&self, id: &str) -> Option<StoredAgent> {
        self.tools.state().get(id).await.unwrap()
    }
}

fn assert_forbidden(result: Result<Value, OmegaError>, rule: &str) {
    let err = result.expect_err("refused");
    assert_eq!(err.code, ErrorCode::FORBIDDEN, "{err:?}");
    let text = format!(
        "{} {}",
        err.message,
        err.data.hint.clone().unwrap_or_default()
    );
    assert!(text.contains(rule), "{text}");
}

#[tokio::test]
async fn only_the_registering_identity_or_an_operator_changes_an_agent() {
    let f = Fixture::new();
    let a = caller("spiffe://omega/a", CallerKind::Service);
    let b = caller("spiffe://omega/b", CallerKind::Service);
    let operator = caller("operator:ops", CallerKind::Operator);
    let id = f.register(&a).await;
    let before = f.stored(&id).await.unwrap();
    assert_eq!(before.owner.as_deref(), Some("spiffe://omega/a"));

    // The owner stays internal: listings do not show it.
    let list = f.call(&b, "agent_list", json!({})).await.unwrap();
    assert!(!list.to_string().contains("spiffe://omega/a"), "{list}");

    // B can neither heartbeat nor deregister A's agent; nothing changes.
    assert_forbidden(
        f.call(&b, "agent_heartbeat", json!({"agentId": id})).await,
        "only the identity that registered",
    );
    assert_forbidden(
        f.call(&b, "agent_deregister", json!({"agentId": id})).await,
        "only the identity that registered",
    );
    let after = f.stored(&id).await.expect("still registered");
    assert_eq!(after.last_heartbeat_ms, before.last_heartbeat_ms);

    // A can; so can an operator.
    f.call(&a, "agent_heartbeat", json!({"agentId": id}))
        .await
        .unwrap();
    f.call(&operator, "agent_heartbeat", json!({"agentId": id}))
        .await
        .unwrap();
    let gone = f
        .call(&a, "agent_deregister", json!({"agentId": id}))
        .await
        .unwrap();
    assert_eq!(gone["deleted"], true);

    let id = f.register(&a).await;
    let gone = f
        .call(&operator, "agent_deregister", json!({"agentId": id}))
        .await
        .unwrap();
    assert_eq!(gone["deleted"], true);

    // Deregistering an unknown agent is not an ownership question.
    let gone = f
        .call(&b, "agent_deregister", json!({"agentId": "nobody-1"}))
        .await
        .unwrap();
    assert_eq!(gone["deleted"], false);
}

#[tokio::test]
async fn agents_stored_before_owners_belong_to_nobody() {
    let f = Fixture::new();
    let a = caller("spiffe://omega/a", CallerKind::Service);
    let operator = caller("operator:ops", CallerKind::Operator);
    let id = f.register(&a).await;
    // What an older registry stored: no owner field at all.
    let mut legacy = f.stored(&id).await.unwrap();
    legacy.owner = None;
    f.tools.state().put(&id, &legacy).await.unwrap();

    assert_forbidden(
        f.call(&a, "agent_heartbeat", json!({"agentId": id})).await,
        "owned by nobody",
    );
    assert_forbidden(
        f.call(&a, "agent_deregister", json!({"agentId": id})).await,
        "only an operator",
    );
    // With TLS off every caller is anonymous: as before, it may.
    f.call(
        &Caller::anonymous(),
        "agent_heartbeat",
        json!({"agentId": id}),
    )
    .await
    .unwrap();
    let gone = f
        .call(&operator, "agent_deregister", json!({"agentId": id}))
        .await
        .unwrap();
    assert_eq!(gone["deleted"], true);
}

#[tokio::test]
async fn anonymous_callers_share_one_identity() {
    let f = Fixture::new();
    let anon = Caller::anonymous();
    let id = f.register(&anon).await;
    f.call(&anon, "agent_heartbeat", json!({"agentId": id}))
        .await
        .unwrap();
    let gone = f
        .call(&anon, "agent_deregister", json!({"agentId": id}))
        .await
        .unwrap();
    assert_eq!(gone["deleted"], true);
}
