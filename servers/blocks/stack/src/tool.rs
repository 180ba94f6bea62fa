//! Typed MCP tools: a [`ToolSet`] maps tool names to handlers that take and
//! return Rust types, with the JSON Schemas generated from those types.
//!
//! Every call passes the same checks before a handler runs, in this order:
//! the tool exists; for tenant-scoped tools the `tenant` argument is present,
//! well-formed, configured and granted to the caller; the remaining arguments
//! match the input type (the error names the offending field).

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
    handler: Handler<S>,
}

/// A role's MCP tools and the state their handlers share.
pub struct ToolSet<S> {
    state: Arc<S>,
    role: &'static str,
    authorizer: Arc<dyn Authorizer>,
    policy: TenantPolicy,
    entries: Vec<Entry<S>>,
    index: HashMap<String, usize>,
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
        }
    }

    /// Checks every call and listing of this set against `authorizer`, as
    /// the role named `role`.
    pub fn authorize(mut self, role: &'static str, authorizer: Arc<dyn Authorizer>) -> Self {
        self.role = role;
        self.authorizer = authorizer;
        self
    }

    fn push(mut self, tool: Tool, tenancy: Tenancy, handler: Handler<S>) -> Self {
        let name = tool.name.to_string();
        assert!(
            !self.index.contains_key(&name),
            "tool `{name}` is registered twice"
        );
        self.index.insert(name, self.entries.len());
        self.entries.push(Entry {
            tool,
            tenancy,
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
        let tool = Self::describe::<I, O>(name, description, true, read_only);
        let f = Arc::new(f);
        let handler: Handler<S> = Arc::new(move |state, call, args| {
            let f = f.clone();
            Box::pin(async move {
                let tenant = call.tenant.clone().ok_or_else(|| {
                    OmegaError::internal("scoped tool called without a resolved tenant")
                })?;
                let input = parse_args::<I>(args)?;
                encode(f(state, tenant, input).await?)
            })
        });
        self.push(tool, Tenancy::Scoped, handler)
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
        let tool = Self::describe::<I, O>(name, description, true, read_only);
        let f = Arc::new(f);
        let handler: Handler<S> = Arc::new(move |state, call, args| {
            let f = f.clone();
            Box::pin(async move {
                let tenant = call.tenant.clone().ok_or_else(|| {
                    OmegaError::internal("tenant tool called without a resolved tenant")
                })?;
                let input = parse_args::<I>(args)?;
                encode(f(state, tenant, input).await?)
            })
        });
        self.push(tool, Tenancy::Carried, handler)
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
        // Do not say it is forbidden: hide that the tool exists.
        if !self.authorizer.may_call(&caller, self.role, name) {
            tracing::debug!(tool = name, caller = %caller.id, "tool hidden from caller");
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
                Err(e) => return Some(Err(e)),
            }
        }
        let span = tracing::debug_span!(
            "tool",
            tool = name,
            tenant = call.tenant.as_ref().map(|t| t.as_str()),
            caller = %call.caller.id,
        );
        Some(
            (entry.handler)(self.state.clone(), call, args)
                .instrument(span)
                .await,
        )
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
