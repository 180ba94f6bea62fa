//! Arguments made up from a tool's input schema, for probing calls.

use serde_json::{Map, Value, json};

/// Whether `schema` lists `name` under `required`.
pub fn requires(schema: &Value, name: &str) -> bool {
    schema["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|v| v == name))
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

/// A value that satisfies `schema` as simply as possible; strings are `text`.
pub fn sample(root: &Value, schema: &Value, text: &str) -> Value {
    let schema = resolve(root, schema);
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema[key].as_array().and_then(|a| a.first()) {
            return sample(root, first, text);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("string") => json!(text),
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        Some("number") => json!(schema["minimum"].as_f64().unwrap_or(1.0).max(1.0)),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("object") => object(root, schema, text),
        _ => json!({"probe": text}),
    }
}

/// An object with every required property of `schema` filled in.
pub fn object(root: &Value, schema: &Value, text: &str) -> Value {
    let mut out = Map::new();
    let props = schema["properties"].as_object();
    for name in schema["required"].as_array().into_iter().flatten() {
        let Some(name) = name.as_str() else { continue };
        let prop = props.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
        out.insert(name.to_owned(), sample(root, prop, text));
    }
    Value::Object(out)
}

/// Arguments for `tool`: every required property, `tenant` set to `tenant`.
pub fn for_tool(tool: &Value, tenant: &str, text: &str) -> Value {
    let schema = &tool["inputSchema"];
    let mut args = object(schema, schema, text);
    if requires(schema, "tenant") {
        args["tenant"] = json!(tenant);
    }
    args
}

/// A required non-tenant property of `tool` and a value of the wrong type for it.
pub fn wrong_type(tool: &Value) -> Option<(String, Value)> {
    let schema = &tool["inputSchema"];
    let props = schema["properties"].as_object()?;
    schema["required"].as_array()?.iter().find_map(|name| {
        let name = name.as_str()?;
        if name == "tenant" {
            return None;
        }
        let prop = resolve(schema, props.get(name)?);
        let wrong = match prop["type"].as_str()? {
            "string" => json!(12345),
            "integer" | "number" | "boolean" | "array" => json!({"not": "this type"}),
            "object" => json!("not an object"),
            _ => return None,
        };
        Some((name.to_owned(), wrong))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_required_properties_and_finds_a_wrong_type() {
        let tool = json!({"inputSchema": {
            "type": "object",
            "required": ["tenant", "key", "n", "mode"],
            "properties": {
                "tenant": {"type": "string"},
                "key": {"type": "string"},
                "n": {"type": ["integer", "null"], "minimum": 3},
                "mode": {"$ref": "#/$defs/Mode"},
                "optional": {"type": "string"}
            },
            "$defs": {"Mode": {"type": "string", "enum": ["fast", "slow"]}}
        }});
        let args = for_tool(&tool, "acme", "k1");
        assert_eq!(
            args,
            json!({"tenant": "acme", "key": "k1", "n": 3, "mode": "fast"})
        );
        let (field, value) = wrong_type(&tool).unwrap();
        assert_eq!(field, "key");
        assert!(value.is_number());
    }
}
