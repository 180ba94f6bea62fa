//! Ownership of server records, at the tool-set level.

use std::sync::Arc;

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use omega_stack::{Caller, CallerKind, TenantGrant, TenantPolicy, ToolSet};
use omega_store::EmbeddedStore;
use serde_json::{Value, json};

use crate::{RegistryState, tool_set};

fn caller(id: &str, kind: CallerKind) -> Caller {
    Caller {
        id: id.into(),
        kind,
        tenants: TenantGrant::All,
    }
}

fn record(name: &str, version: &str) -> Value {
    json!({
        "name": name,
        "description": "Ticket tools for MSP technicians",
        "version": version,
        "remotes": [{"type": "streamable-http", "url": "https://tools.acme.example/mcp"}]
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
        let state = Arc::new(RegistryState::new(Arc::new(store)));
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

    async fn publish(&self, who: &Caller, name: &str, version: &str) -> Result<Value, OmegaError> {
        self.call(
            who,
            "mcp_server_publish",
            json!({"server": record(name, version)}),
        )
        .await
    }

    async fn set_status(
        &self,
        who: &Caller,
        name: &str,
        version: &str,
        status: &str,
    ) -> Result<Value, OmegaError> {
        self.call(
            who,
            "mcp_server_set_status",
            json!({"name": name, "version": version, "status": status}),
        )
        .await
    }

    async fn status(&self, name: &str, version: &str) -> String {
        let got = self
            .call(
                &Caller::anonymous(),
                "mcp_server_get",
                json!({"name": name, "version": version}),
            )
            .await
            .unwrap();
        got["_meta"]["io.modelcontextprotocol.registry/official"]["status"]
            .as_str()
            .unwrap()
            .to_owned()
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

const NAME: &str = "io.github.acme/tickets";

#[tokio::test]
async fn only_the_publisher_or_an_operator_changes_a_server() {
    let f = Fixture::new();
    let a = caller("spiffe://omega/a", CallerKind::Service);
    let b = caller("spiffe://omega/b", CallerKind::Service);
    let operator = caller("operator:ops", CallerKind::Operator);
    let published = f.publish(&a, NAME, "1.0.0").await.unwrap();
    // The owner stays internal.
    assert!(
        !published.to_string().contains("spiffe://omega/a"),
        "{published}"
    );
    let listed = f.call(&b, "mcp_server_list", json!({})).await.unwrap();
    assert!(!listed.to_string().contains("spiffe://omega/a"), "{listed}");

    // B can neither retire A's server nor publish a version of its name.
    assert_forbidden(
        f.set_status(&b, NAME, "1.0.0", "deleted").await,
        "only the identity that published",
    );
    assert_forbidden(
        f.set_status(&b, NAME, "latest", "deleted").await,
        "only the identity that published",
    );
    assert_eq!(f.status(NAME, "1.0.0").await, "active");
    assert_forbidden(
        f.publish(&b, NAME, "2.0.0").await,
        "only the identity that published",
    );
    let latest = f
        .call(&b, "mcp_server_get", json!({"name": NAME}))
        .await
        .unwrap();
    assert_eq!(latest["server"]["version"], "1.0.0");

    // A can; so can an operator; versions keep the name's owner.
    f.set_status(&a, NAME, "1.0.0", "deprecated").await.unwrap();
    assert_eq!(f.status(NAME, "1.0.0").await, "deprecated");
    f.publish(&operator, NAME, "1.1.0").await.unwrap();
    f.set_status(&a, NAME, "1.1.0", "deprecated").await.unwrap();
    assert_forbidden(
        f.set_status(&b, NAME, "1.1.0", "active").await,
        "only the identity that published",
    );
    f.publish(&a, NAME, "1.2.0").await.unwrap();
    f.set_status(&operator, NAME, "1.2.0", "deleted")
        .await
        .unwrap();
    assert_eq!(f.status(NAME, "1.2.0").await, "deleted");

    // B owns the names it publishes.
    f.publish(&b, "io.github.b/other", "1.0.0").await.unwrap();
    f.set_status(&b, "io.github.b/other", "1.0.0", "deprecated")
        .await
        .unwrap();
    assert_forbidden(
        f.set_status(&a, "io.github.b/other", "1.0.0", "active")
            .await,
        "only the identity that published",
    );
}

#[tokio::test]
async fn records_stored_before_owners_belong_to_nobody() {
    let f = Fixture::new();
    let a = caller("spiffe://omega/a", CallerKind::Service);
    let operator = caller("operator:ops", CallerKind::Operator);
    f.publish(&a, NAME, "1.0.0").await.unwrap();
    // What an older registry stored: the record without an owner.
    let state = f.tools.state();
    let legacy = state.stored(NAME, "1.0.0").await.unwrap();
    state.store(&legacy.entry, None).await.unwrap();

    assert_forbidden(
        f.set_status(&a, NAME, "1.0.0", "deleted").await,
        "owned by nobody",
    );
    assert_forbidden(f.publish(&a, NAME, "2.0.0").await, "only an operator");
    assert_eq!(f.status(NAME, "1.0.0").await, "active");
    // With TLS off every caller is anonymous: as before, it may.
    f.set_status(&Caller::anonymous(), NAME, "1.0.0", "deprecated")
        .await
        .unwrap();
    f.set_status(&operator, NAME, "1.0.0", "deleted")
        .await
        .unwrap();
    assert_eq!(f.status(NAME, "1.0.0").await, "deleted");
}
