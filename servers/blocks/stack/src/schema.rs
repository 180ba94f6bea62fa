//! JSON Schemas for tool inputs and outputs.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// The JSON Schema of `T` as an object, with subschemas inlined (no `$ref`),
/// as MCP clients expect for `inputSchema` and `outputSchema`.
pub fn schema_object<T: JsonSchema>() -> JsonObject {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    match schema.to_value() {
        Value::Object(mut map) => {
            map.remove("title");
            map
        }
        other => {
            let mut map = JsonObject::new();
            map.insert("type".into(), json!("object"));
            map.insert("description".into(), json!(format!("{other}")));
            map
        }
    }
}

/// Adds the required `tenant` property to a tool's input schema.
pub(crate) fn with_tenant(mut schema: JsonObject) -> Arc<JsonObject> {
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(JsonObject::new()));
    if let Value::Object(props) = properties {
        props.insert(
            "tenant".into(),
            json!({
                "type": "string",
                "description": "The tenant (MSP customer) this call acts for.",
                "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$",
            }),
        );
    }
    let required = schema
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = required {
        list.insert(0, json!("tenant"));
    }
    schema.insert("type".into(), json!("object"));
    Arc::new(schema)
}
