//! Typed MCP tools: a [`ToolSet`] maps tool names to handlers that take and
//! return Rust types, with the JSON Schemas generated from those types.
//!
//! Every call passes the same checks before a handler runs, in this order:
//! the tool exists; for tenant-scoped tools the `tenant` argument is present,
//! well-formed, configured and granted to the caller; the remaining arguments
//! match the input type (the error names the offending field).
//!
//! A [`ToolAudit`] hook set with [`ToolSet::audit`] is told about every call
//! of a tool that is not read-only, after it ends, including calls refused
//! by the authorizer or the tenant policy.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use omega_protocol::{ErrorCode, OmegaError, TenantId};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::schema::{schema_object, with_tenant};
use crate::{AllowAll, Authorizer, Caller, TenantPolicy};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Handler<S> =
    Arc<dyn Fn(Arc<S>, Call, JsonObject) -> BoxFuture<Result<Value, OmegaError>> + Send + Sync>;

/// What a handler knows about the call besides its arguments.
#[derive(Debug, Clone)]
pub struct Call {
    /// Who is calling.
    pub caller: Caller,
    /// The tool's name.
    pub tool: Arc<str>,
    /// The resolved tenant, for tenant-scoped tools.
    pub tenant: Option<TenantId>,
}

/// How a tool treats the `tenant` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tenancy {
    /// Not tenant-scoped.
    None,
    /// Checked, then removed from the arguments (the input type has no tenant).
    Scoped,
    /// Checked, and left in the arguments (the input type is a wire type
    /// that carries the tenant itself).
    Carried,
}

struct Entry<S> {
    tool: Tool,
    tenancy: Tenancy,
    read_only: bool,
    handler: Handler<S>,
}

/// How an audited tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolOutcome {
    /// The handler succeeded.
    Ok,
    /// The call was refused: the authorizer hid the tool from the caller
    /// ([`ErrorCode::FORBIDDEN`]), or the error is `unauthenticated`,
    /// `forbidden` or `tenant_forbidden`.
    Denied(ErrorCode),
    /// The call failed with this code (bad arguments, unknown tenant,
    /// handler error, ...).
    Error(ErrorCode),
}

impl ToolOutcome {
    fn of(result: &Result<Value, OmegaError>) -> Self {
        match result {
            Ok(_) => ToolOutcome::Ok,
            Err(e)
                if e.code == ErrorCode::UNAUTHENTICATED
                    || e.code == ErrorCode::FORBIDDEN
                    || e.code == ErrorCode::TENANT_FORBIDDEN =>
            {
                ToolOutcome::Denied(e.code)
            }
            Err(e) => ToolOutcome::Error(e.code),
        }
    }
}

/// One finished call of a state-changing tool, as an audit hook sees it.
/// It carries identifiers only, never the arguments.
#[derive(Debug, Clone, Copy)]
pub struct ToolCallAudit<'a> {
    /// The role serving the tool (as given to [`ToolSet::authorize`]).
    pub role: &'a str,
    /// The tool's name.
    pub tool: &'a str,
    /// Who called.
    pub caller: &'a Caller,
    /// The tenant the call was checked against, when it resolved.
    pub tenant: Option<&'a TenantId>,
    /// How the call ended.
    pub outcome: ToolOutcome,
}

/// Receives every call of a tool that is not read-only (see
/// [`ToolSet::audit`]). Called on the request path after the handler ends, so
/// an implementation must not block on I/O: queue the record and return.
pub trait ToolAudit: Send + Sync + 'static {
    /// Records one call.
    fn tool_called(&self, call: &ToolCallAudit<'_>);
}

/// A role's MCP tools and the state their handlers share.
pub struct ToolSet<S> {
    state: Arc<S>,
    role: &'static str,
    authorizer: Arc<dyn Authorizer>,
    policy: TenantPolicy,
    entries: Vec<Entry<S>>,
    index: HashMap<String, usize>,
    audit: Option<Arc<dyn ToolAudit>>,
}

impl<S> std::fmt::Debug for ToolSet<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolSet")
            .field("tools", &self.index.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Deserializes tool arguments into `I`, naming the offending field on error.
fn parse_args<I: DeserializeOwned>(args: JsonObject) -> Result<I, OmegaError> {
    serde_path_to_error::deserialize::<_, I>(Value::Object(args)).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        let mut e = OmegaError::new(
            ErrorCode::INVALID_PARAMS,
            if path == "." {
                format!("invalid arguments: {inner}")
            } else {
                format!("invalid argument `{path}`: {inner}")
            },
        )
        .with_hint("check the arguments against the tool's inputSchema (tools/list)");
        if path != "." {
            e = e.with_field(path);
        } else if let Some(name) = inner.split('`').nth(1) {
            e = e.with_field(name.to_owned());
        }
        e
    })
}

fn encode<O: Serialize>(out: O) -> Result<Value, OmegaError> {
    serde_json::to_value(out)
        .map_err(|e| OmegaError::internal(format!("cannot encode result: {e}")))
}

impl<S: Send + Sync + 'static> ToolSet<S> {
    /// An empty tool set over `state`, checking tenants against `policy`.
    pub fn new(state: Arc<S>, policy: TenantPolicy) -> Self {
        Self {
            state,
            role: "",
            authorizer: Arc::new(AllowAll),
            policy,
            entries: Vec::new(),
            index: HashMap::new(),
            audit: None,
        }
    }

    /// Reports every call of a tool registered with `read_only: false` to
    /// `sink` once it ends: the role, tool, caller, resolved tenant and
    /// outcome, including calls the authorizer or tenant policy refused.
    /// Read-only tools and unknown tool names are not reported.
    pub fn audit(mut self, sink: Arc<dyn ToolAudit>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Checks every call and listing of this set against `authorizer`, as
    /// the role named `role`.
    pub fn authorize(mut self, role: &'static str, authorizer: Arc<dyn Authorizer>) -> Self {
        self.role = role;
        self.authorizer = authorizer;
        self
    }

    fn push(mut self, tool: Tool, tenancy: Tenancy, handler: Handler<S>) -> Self {
        let read_only = tool
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint)
            .unwrap_or(false);
        let name = tool.name.to_string();
        assert!(
            !self.index.contains_key(&name),
            "tool `{name}` is registered twice"
        );
        self.index.insert(name, self.entries.len());
        self.entries.push(Entry {
            tool,
            tenancy,
            read_only,
            handler,
        });
        self
    }

    fn describe<I: JsonSchema, O: JsonSchema>(
        name: &'static str,
        description: &'static str,
        scoped: bool,
        read_only: bool,
    ) -> Tool {
        let input = schema_object::<I>();
        let input = if scoped {
            with_tenant(input)
        } else {
            Arc::new(input)
        };
        let mut tool = Tool::new(name, description, input);
        tool.output_schema = Some(Arc::new(schema_object::<O>()));
        let mut annotations = ToolAnnotations::default();
        annotations.read_only_hint = Some(read_only);
        annotations.open_world_hint = Some(false);
        tool.annotations = Some(annotations);
        tool
    }

    /// Adds a tool that is not scoped to a tenant.
    pub fn tool<I, O, F, Fut>(
        self,
        name: &'static str,
        description: &'static str,
        read_only: bool,
        f: F,
    ) -> Self
    where
        I: DeserializeOwned + JsonSchema + Send + 'static,
        O: Serialize + JsonSchema + 'static,
        F: Fn(Arc<S>, Call, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, OmegaError>> + Send + 'static,
    {
        let tool = Self::describe::<I, O>(name, description, false, read_only);
        let f = Arc::new(f);
        let handler: Handler<S> = Arc::new(move |state, call, args| {
            let f = f.clone();
            Box::pin(async move {
                let input = parse_args::<I>(args)?;
                encode(f(state, call, input).await?)
            })
        });
        self.push(tool, Tenancy::None, handler)
    }

    /// Adds a tenant-scoped tool: its input schema gains a required `tenant`
    /// property, and the handler receives the checked [`TenantId`].
    pub fn scoped_tool<I, O, F, Fut>(
        self,
        name: &'static str,
        description: &'static str,
        read_only: bool,
        f: F,
    ) -> Self
    where
        I: DeserializeOwned + JsonSchema + Send + 'static,
        O: Serialize + JsonSchema + 'static,
        F: Fn(Arc<S>, TenantId, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, OmegaError>> + Send + 'static,
    {
        self.tenant_scoped(name, description, read_only, Tenancy::Scoped, f)
    }

    /// Adds a tenant-scoped tool whose input type carries the `tenant`
    /// itself (a shared wire type such as a Titan call): the tenant is
    /// checked exactly as for [`ToolSet::scoped_tool`] before the arguments
    /// are parsed, and stays in them; the handler receives the checked
    /// [`TenantId`] and the input, whose `tenant` is the same.
    pub fn tenant_tool<I, O, F, Fut>(
        self,
        name: &'static str,
        description: &'static str,
        read_only: bool,
        f: F,
    ) -> Self
    where
        I: DeserializeOwned + JsonSchema + Send + 'static,
        O: Serialize + JsonSchema + 'static,
        F: Fn(Arc<S>, TenantId, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, OmegaError>> + Send + 'static,
    {
        self.tenant_scoped(name, description, read_only, Tenancy::Carried, f)
    }

    /// A tenant-scoped tool (`Scoped` or `Carried`): the stack resolves the
    /// tenant before the handler runs, and hands it over with the input.
    fn tenant_scoped<I, O, F, Fut>(
        self,
        name: &'static str,
        description: &'static str,
        read_only: bool,
        tenancy: Tenancy,
        f: F,
    ) -> Self
    where
        I: DeserializeOwned + JsonSchema + Send + 'static,
        O: Serialize + JsonSchema + 'static,
        F: Fn(Arc<S>, TenantId, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, OmegaError>> + Send + 'static,
    {
        let tool = Self::describe::<I, O>(name, description, true, read_only);
        let f = Arc::new(f);
        let handler: Handler<S> = Arc::new(move |state, call, args| {
            let f = f.clone();
            Box::pin(async move {
                let tenant = call.tenant.clone().ok_or_else(|| {
                    OmegaError::internal("tenant-scoped tool called without a resolved tenant")
                })?;
                let input = parse_args::<I>(args)?;
                encode(f(state, tenant, input).await?)
            })
        });
        self.push(tool, tenancy, handler)
    }

    /// The tools `caller` may see, in registration order.
    pub fn list(&self, caller: &Caller) -> Vec<Tool> {
        self.entries
            .iter()
            .filter(|e| self.authorizer.may_call(caller, self.role, &e.tool.name))
            .map(|e| e.tool.clone())
            .collect()
    }

    /// Looks a tool up by name.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.index.get(name).map(|&i| &self.entries[i].tool)
    }

    /// The state the handlers share.
    pub fn state(&self) -> &Arc<S> {
        &self.state
    }

    /// Runs a tool call. `None` means there is no tool of that name.
    pub async fn call(
        &self,
        caller: Caller,
        name: &str,
        args: Option<JsonObject>,
    ) -> Option<Result<Value, OmegaError>> {
        let entry = &self.entries[*self.index.get(name)?];
        let audit = self.audit.as_deref().filter(|_| !entry.read_only);
        // Do not say it is forbidden: hide that the tool exists.
        if !self.authorizer.may_call(&caller, self.role, name) {
            tracing::debug!(tool = name, caller = %caller.id, "tool hidden from caller");
            if let Some(audit) = audit {
                audit.tool_called(&ToolCallAudit {
                    role: self.role,
                    tool: name,
                    caller: &caller,
                    tenant: None,
                    outcome: ToolOutcome::Denied(ErrorCode::FORBIDDEN),
                });
            }
            return None;
        }
        let mut args = args.unwrap_or_default();
        let mut call = Call {
            caller,
            tool: Arc::from(name),
            tenant: None,
        };
        if entry.tenancy != Tenancy::None {
            match self.policy.resolve(&call.caller, args.get("tenant")) {
                Ok(tenant) => {
                    if entry.tenancy == Tenancy::Scoped {
                        args.remove("tenant");
                    }
                    call.tenant = Some(tenant);
                }
                Err(e) => {
                    let result = Err(e);
                    if let Some(audit) = audit {
                        audit.tool_called(&ToolCallAudit {
                            role: self.role,
                            tool: name,
                            caller: &call.caller,
                            tenant: None,
                            outcome: ToolOutcome::of(&result),
                        });
                    }
                    return Some(result);
                }
            }
        }
        let span = tracing::debug_span!(
            "tool",
            tool = name,
            tenant = call.tenant.as_ref().map(|t| t.as_str()),
            caller = %call.caller.id,
        );
        // The hook needs the caller and tenant after the handler took `call`.
        let audited = audit.map(|a| (a, call.caller.clone(), call.tenant.clone()));
        let result = (entry.handler)(self.state.clone(), call, args)
            .instrument(span)
            .await;
        if let Some((audit, caller, tenant)) = audited {
            audit.tool_called(&ToolCallAudit {
                role: self.role,
                tool: name,
                caller: &caller,
                tenant: tenant.as_ref(),
                outcome: ToolOutcome::of(&result),
            });
        }
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct EchoIn {
        /// Text to echo.
        text: String,
        #[serde(default)]
        times: Option<u8>,
    }

    #[derive(Serialize, JsonSchema)]
    struct EchoOut {
        text: String,
        tenant: String,
    }

    fn set() -> ToolSet<()> {
        let policy = TenantPolicy::new([TenantId::parse("acme").unwrap()]);
        ToolSet::new(Arc::new(()), policy).scoped_tool(
            "echo",
            "Echo text.",
            true,
            |_, tenant, input: EchoIn| async move {
                Ok(EchoOut {
                    text: input.text.repeat(input.times.unwrap_or(1) as usize),
                    tenant: tenant.to_string(),
                })
            },
        )
    }

    fn args(v: Value) -> Option<JsonObject> {
        v.as_object().cloned()
    }

    #[tokio::test]
    async fn scoped_tool_checks_tenant_then_arguments() {
        let set = set();
        let caller = Caller::anonymous();
        let ok = set
            .call(
                caller.clone(),
                "echo",
                args(json!({"tenant": "acme", "text": "a", "times": 2})),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok, json!({"text": "aa", "tenant": "acme"}));

        let err = |v| async {
            set.call(caller.clone(), "echo", args(v))
                .await
                .unwrap()
                .unwrap_err()
        };
        let missing_tenant = err(json!({"text": "a"})).await;
        assert_eq!(missing_tenant.code, ErrorCode::TENANT_REQUIRED);
        let unknown = err(json!({"tenant": "other", "text": "a"})).await;
        assert_eq!(unknown.code, ErrorCode::TENANT_UNKNOWN);
        let missing_text = err(json!({"tenant": "acme"})).await;
        assert_eq!(missing_text.code, ErrorCode::INVALID_PARAMS);
        assert_eq!(missing_text.data.field.as_deref(), Some("text"));
        let wrong_type = err(json!({"tenant": "acme", "text": "a", "times": 999})).await;
        assert_eq!(wrong_type.data.field.as_deref(), Some("times"));
        let extra = err(json!({"tenant": "acme", "text": "a", "colour": 1})).await;
        assert_eq!(extra.code, ErrorCode::INVALID_PARAMS);
        assert!(extra.message.contains("colour"), "{}", extra.message);
        assert!(set.call(caller, "nope", None).await.is_none());
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Carried {
        tenant: TenantId,
        text: String,
    }

    #[tokio::test]
    async fn tenant_tool_checks_the_tenant_first_and_keeps_it_in_the_input() {
        let policy = TenantPolicy::new([TenantId::parse("acme").unwrap()]);
        let set = ToolSet::new(Arc::new(()), policy).tenant_tool(
            "carry",
            "Echo the carried tenant.",
            true,
            |_, tenant, input: Carried| async move {
                assert_eq!(tenant, input.tenant);
                Ok(EchoOut {
                    text: input.text,
                    tenant: input.tenant.to_string(),
                })
            },
        );
        let caller = Caller::anonymous();
        let ok = set
            .call(
                caller.clone(),
                "carry",
                args(json!({"tenant": "acme", "text": "a"})),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ok, json!({"text": "a", "tenant": "acme"}));
        let err = |v| async {
            set.call(caller.clone(), "carry", args(v))
                .await
                .unwrap()
                .unwrap_err()
        };
        // Without a tenant the error is the tenant's, not a parse error.
        assert_eq!(
            err(json!({"text": "a"})).await.code,
            ErrorCode::TENANT_REQUIRED
        );
        assert_eq!(
            err(json!({"tenant": "other", "text": "a"})).await.code,
            ErrorCode::TENANT_UNKNOWN
        );
        assert_eq!(
            err(json!({"tenant": "acme"})).await.code,
            ErrorCode::INVALID_PARAMS
        );
        let input = Value::Object((*set.get("carry").unwrap().input_schema).clone());
        assert!(
            input["required"]
                .as_array()
                .unwrap()
                .contains(&json!("tenant"))
        );
    }

    /// What an in-memory audit hook saw: (role, tool, caller, tenant, outcome).
    type Seen = (String, String, String, Option<String>, ToolOutcome);

    #[derive(Default)]
    struct MemoryAudit(std::sync::Mutex<Vec<Seen>>);

    impl ToolAudit for MemoryAudit {
        fn tool_called(&self, call: &ToolCallAudit<'_>) {
            self.0.lock().unwrap().push((
                call.role.to_owned(),
                call.tool.to_owned(),
                call.caller.id.clone(),
                call.tenant.map(|t| t.to_string()),
                call.outcome,
            ));
        }
    }

    impl MemoryAudit {
        fn take(&self) -> Vec<Seen> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    /// Hides `secret_reset` from every caller but `root`.
    struct OnlyRootResets;

    impl Authorizer for OnlyRootResets {
        fn may_call(&self, caller: &Caller, role: &str, tool: &str) -> bool {
            assert_eq!(role, "ctx");
            tool != "secret_reset" || caller.id == "root"
        }
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct PutIn {
        key: String,
    }

    #[tokio::test]
    async fn audit_hook_records_state_changing_calls_and_skips_read_only_tools() {
        let policy = TenantPolicy::new([
            TenantId::parse("acme").unwrap(),
            TenantId::parse("globex").unwrap(),
        ]);
        let audit = Arc::new(MemoryAudit::default());
        let set = ToolSet::new(Arc::new(()), policy)
            .scoped_tool(
                "echo",
                "Echo text (read-only).",
                true,
                |_, _, input: EchoIn| async move { Ok(json!({"text": input.text})) },
            )
            .scoped_tool(
                "put",
                "Store a value.",
                false,
                |_, _, input: PutIn| async move {
                    if input.key == "locked" {
                        Err(OmegaError::new(ErrorCode::CONFLICT, "the key is locked"))
                    } else {
                        Ok(json!({"stored": input.key}))
                    }
                },
            )
            .tool(
                "secret_reset",
                "Reset everything.",
                false,
                |_, _, _: serde_json::Map<String, Value>| async move { Ok(json!({})) },
            )
            .audit(audit.clone())
            .authorize("ctx", Arc::new(OnlyRootResets));
        let acme_only = Caller {
            id: "spiffe://omega.local/ns/prod/sa/triage".into(),
            kind: crate::CallerKind::Service,
            tenants: crate::TenantGrant::Only(vec![TenantId::parse("acme").unwrap()]),
        };
        let call = |name: &'static str, v: Value| {
            let set = &set;
            let caller = acme_only.clone();
            async move { set.call(caller, name, args(v)).await }
        };

        // Read-only: not audited, whatever the outcome.
        call("echo", json!({"tenant": "acme", "text": "a"}))
            .await
            .unwrap()
            .unwrap();
        call("echo", json!({"tenant": "globex", "text": "a"}))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(audit.take(), []);

        // State-changing: success, handler error, argument error.
        call("put", json!({"tenant": "acme", "key": "k"}))
            .await
            .unwrap()
            .unwrap();
        call("put", json!({"tenant": "acme", "key": "locked"}))
            .await
            .unwrap()
            .unwrap_err();
        call("put", json!({"tenant": "acme"}))
            .await
            .unwrap()
            .unwrap_err();
        // Refused by the tenant policy before the handler: no tenant resolved.
        call("put", json!({"tenant": "globex", "key": "k"}))
            .await
            .unwrap()
            .unwrap_err();
        // Hidden by the authorizer: the caller sees "no such tool", the audit a denial.
        assert!(call("secret_reset", json!({})).await.is_none());
        // Unknown tools are not audited.
        assert!(call("nope", json!({})).await.is_none());

        let who = "spiffe://omega.local/ns/prod/sa/triage".to_owned();
        let seen = |tenant: Option<&str>, outcome| {
            (
                "ctx".to_owned(),
                "put".to_owned(),
                who.clone(),
                tenant.map(str::to_owned),
                outcome,
            )
        };
        assert_eq!(
            audit.take(),
            [
                seen(Some("acme"), ToolOutcome::Ok),
                seen(Some("acme"), ToolOutcome::Error(ErrorCode::CONFLICT)),
                seen(Some("acme"), ToolOutcome::Error(ErrorCode::INVALID_PARAMS)),
                seen(None, ToolOutcome::Denied(ErrorCode::TENANT_FORBIDDEN)),
                (
                    "ctx".to_owned(),
                    "secret_reset".to_owned(),
                    who.clone(),
                    None,
                    ToolOutcome::Denied(ErrorCode::FORBIDDEN)
                ),
            ]
        );

        // The permitted caller's reset is audited as a success.
        let root = Caller {
            id: "root".into(),
            ..Caller::anonymous()
        };
        set.call(root, "secret_reset", args(json!({})))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            audit.take(),
            [(
                "ctx".to_owned(),
                "secret_reset".to_owned(),
                "root".to_owned(),
                None,
                ToolOutcome::Ok
            )]
        );
    }

    #[test]
    fn schemas_require_tenant_and_describe_output() {
        let set = set();
        let tool = set.get("echo").unwrap();
        let input = Value::Object((*tool.input_schema).clone());
        assert_eq!(input["type"], "object");
        assert_eq!(input["required"][0], "tenant");
        assert!(input["properties"]["text"].is_object());
        let output = Value::Object((**tool.output_schema.as_ref().unwrap()).clone());
        assert_eq!(output["type"], "object");
        assert!(output["properties"]["tenant"].is_object());
    }
}
