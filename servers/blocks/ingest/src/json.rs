//! Lenient field access on `serde_json::Value` (platforms mix numbers and
//! strings for ids; empty strings mean "not set").

use serde_json::Value;

/// A scalar as a string: strings trimmed, numbers and booleans printed;
/// `null`, empty strings, objects and arrays give `None`.
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `obj[key]` as a scalar string.
pub(crate) fn field(obj: &Value, key: &str) -> Option<String> {
    obj.get(key).and_then(scalar)
}

/// `obj[key]`, matching the key case-insensitively when there is no exact match.
pub(crate) fn get_ci<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    let map = obj.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The first of `keys` (case-insensitive) that holds a scalar.
pub(crate) fn first_ci(obj: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| get_ci(obj, k).and_then(scalar))
}

/// A list of strings from an array of scalars or a space/comma separated string.
pub(crate) fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
        Some(Value::String(s)) => s
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_and_lists() {
        let v =
            json!({"a": 12, "b": " x ", "c": "", "d": null, "E": true, "t": "vip  printer,urgent"});
        assert_eq!(field(&v, "a").as_deref(), Some("12"));
        assert_eq!(field(&v, "b").as_deref(), Some("x"));
        assert_eq!(field(&v, "c"), None);
        assert_eq!(field(&v, "d"), None);
        assert_eq!(first_ci(&v, &["zz", "e"]).as_deref(), Some("true"));
        assert_eq!(string_list(v.get("t")), ["vip", "printer", "urgent"]);
        assert_eq!(string_list(Some(&json!(["a", 1, null]))), ["a", "1"]);
    }
}
