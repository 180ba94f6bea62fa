//! JSON-RPC 2.0 request and response envelopes with [`OmegaError`] errors.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, OmegaError};

/// The only JSON-RPC version string: `"2.0"`.
pub const JSONRPC_VERSION: &str = "2.0";

/// The `jsonrpc` member: serializes as `"2.0"` and refuses anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct JsonRpcVersion;

impl Serialize for JsonRpcVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(JSONRPC_VERSION)
    }
}

impl<'de> Deserialize<'de> for JsonRpcVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        if raw == JSONRPC_VERSION {
            Ok(JsonRpcVersion)
        } else {
            Err(serde::de::Error::custom(format!(
                "jsonrpc must be \"2.0\", not {raw:?}"
            )))
        }
    }
}

impl JsonSchema for JsonRpcVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JsonRpcVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "The JSON-RPC version, always \"2.0\".",
            "type": "string",
            "const": JSONRPC_VERSION,
        })
    }
}

/// A request id: a number or a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RequestId {
    /// A numeric id.
    Number(i64),
    /// A string id.
    String(String),
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => f.write_str(s),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

/// A JSON-RPC 2.0 request, or a notification when `id` is absent.
///
/// An explicit `"id": null` is read as absent (JSON-RPC discourages null ids).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonRpcRequest {
    /// Always `"2.0"`.
    pub jsonrpc: JsonRpcVersion,
    /// The id the response echoes; absent for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<RequestId>,
    /// The method name.
    pub method: String,
    /// Parameters: an object or an array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
}

impl JsonRpcRequest {
    /// A request expecting a response.
    pub fn new(
        id: impl Into<RequestId>,
        method: impl Into<String>,
        params: Option<serde_json::Value>,
    ) -> Self {
        Self {
            jsonrpc: JsonRpcVersion,
            id: Some(id.into()),
            method: method.into(),
            params,
        }
    }

    /// A notification (no id, no response).
    pub fn notification(method: impl Into<String>, params: Option<serde_json::Value>) -> Self {
        Self {
            jsonrpc: JsonRpcVersion,
            id: None,
            method: method.into(),
            params,
        }
    }

    /// True when the request has no id.
    pub fn is_notification(&self) -> bool {
        self.id.is_none()
    }

    /// Checks what serde cannot: a non-empty method and params that are an
    /// object or an array. Errors are [`ErrorCode::INVALID_REQUEST`].
    pub fn validate(&self) -> Result<(), OmegaError> {
        if self.method.is_empty() {
            return Err(
                OmegaError::new(ErrorCode::INVALID_REQUEST, "method is empty").with_field("method"),
            );
        }
        if let Some(params) = &self.params
            && !(params.is_object() || params.is_array())
        {
            return Err(OmegaError::new(
                ErrorCode::INVALID_REQUEST,
                "params must be an object or an array",
            )
            .with_field("params"));
        }
        Ok(())
    }
}

/// The outcome carried by a [`JsonRpcResponse`]: `result` xor `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResponsePayload {
    /// The method's result (any JSON, including null).
    Result(serde_json::Value),
    /// The error object.
    Error(OmegaError),
}

/// A JSON-RPC 2.0 response. `id` is null only when the request's id could
/// not be read (parse errors, invalid requests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawResponse")]
pub struct JsonRpcResponse {
    /// Always `"2.0"`.
    pub jsonrpc: JsonRpcVersion,
    /// The request's id.
    pub id: Option<RequestId>,
    /// `result` or `error`.
    #[serde(flatten)]
    pub payload: ResponsePayload,
}

impl JsonSchema for JsonRpcResponse {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JsonRpcResponse".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let version = generator.subschema_for::<JsonRpcVersion>();
        let id = generator.subschema_for::<Option<RequestId>>();
        let error = generator.subschema_for::<OmegaError>();
        schemars::json_schema!({
            "description": "A JSON-RPC 2.0 response: `result` xor `error`. `id` is null only when the request's id could not be read.",
            "type": "object",
            "properties": {
                "jsonrpc": version,
                "id": id,
                "result": { "description": "The method's result (any JSON, including null)." },
                "error": error,
            },
            "required": ["jsonrpc", "id"],
            "oneOf": [
                { "required": ["result"], "not": { "required": ["error"] } },
                { "required": ["error"], "not": { "required": ["result"] } },
            ],
            "additionalProperties": false,
        })
    }
}

/// Wire form used to check that exactly one of `result` and `error` is present.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponse {
    jsonrpc: JsonRpcVersion,
    id: Option<RequestId>,
    #[serde(default, deserialize_with = "present")]
    result: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<OmegaError>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

impl TryFrom<RawResponse> for JsonRpcResponse {
    type Error = String;
    fn try_from(raw: RawResponse) -> Result<Self, String> {
        let payload = match (raw.result, raw.error) {
            (Some(result), None) => ResponsePayload::Result(result),
            (None, Some(error)) => ResponsePayload::Error(error),
            (Some(_), Some(_)) => return Err("a response has both result and error".into()),
            (None, None) => return Err("a response has neither result nor error".into()),
        };
        Ok(Self {
            jsonrpc: raw.jsonrpc,
            id: raw.id,
            payload,
        })
    }
}

impl JsonRpcResponse {
    /// A successful response.
    pub fn success(id: Option<RequestId>, result: serde_json::Value) -> Self {
        Self {
            jsonrpc: JsonRpcVersion,
            id,
            payload: ResponsePayload::Result(result),
        }
    }

    /// An error response.
    pub fn error(id: Option<RequestId>, error: OmegaError) -> Self {
        Self {
            jsonrpc: JsonRpcVersion,
            id,
            payload: ResponsePayload::Error(error),
        }
    }

    /// The result, or the error.
    pub fn into_result(self) -> Result<serde_json::Value, OmegaError> {
        match self.payload {
            ResponsePayload::Result(v) => Ok(v),
            ResponsePayload::Error(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_is_checked() {
        let ok: JsonRpcRequest =
            serde_json::from_value(json!({"jsonrpc": "2.0", "id": 1, "method": "m"})).unwrap();
        assert_eq!(ok.id, Some(RequestId::Number(1)));
        let bad =
            serde_json::from_value::<JsonRpcRequest>(json!({"jsonrpc": "1.0", "method": "m"}));
        assert!(bad.unwrap_err().to_string().contains("2.0"));
    }

    #[test]
    fn ids_and_notifications() {
        let req: JsonRpcRequest =
            serde_json::from_value(json!({"jsonrpc": "2.0", "id": "a-1", "method": "m"})).unwrap();
        assert_eq!(req.id, Some(RequestId::from("a-1")));
        let note = JsonRpcRequest::notification("ping", None);
        assert!(note.is_notification());
        assert_eq!(
            serde_json::to_value(&note).unwrap(),
            json!({"jsonrpc": "2.0", "method": "ping"})
        );
    }

    #[test]
    fn request_validation() {
        let mut req = JsonRpcRequest::new(1, "tools/call", Some(json!({"name": "x"})));
        req.validate().unwrap();
        req.params = Some(json!(3));
        let err = req.validate().unwrap_err();
        assert_eq!(
            (err.code, err.data.field.as_deref()),
            (ErrorCode::INVALID_REQUEST, Some("params"))
        );
        req.params = None;
        req.method.clear();
        assert_eq!(
            req.validate().unwrap_err().data.field.as_deref(),
            Some("method")
        );
    }

    #[test]
    fn response_is_result_xor_error() {
        let null_result: JsonRpcResponse =
            serde_json::from_value(json!({"jsonrpc": "2.0", "id": 1, "result": null})).unwrap();
        assert_eq!(
            null_result.payload,
            ResponsePayload::Result(serde_json::Value::Null)
        );
        let err =
            json!({"code": -32004, "message": "no such ticket", "data": {"name": "not_found"}});
        let both = json!({"jsonrpc": "2.0", "id": 1, "result": 1, "error": err});
        assert!(serde_json::from_value::<JsonRpcResponse>(both).is_err());
        let neither = json!({"jsonrpc": "2.0", "id": 1});
        assert!(serde_json::from_value::<JsonRpcResponse>(neither).is_err());
        let failed: JsonRpcResponse =
            serde_json::from_value(json!({"jsonrpc": "2.0", "id": null, "error": err})).unwrap();
        assert_eq!(failed.id, None);
        assert_eq!(failed.into_result().unwrap_err().code, ErrorCode::NOT_FOUND);
    }

    #[test]
    fn response_serializes_flat() {
        let resp = JsonRpcResponse::error(Some(7.into()), OmegaError::not_found("gone"));
        let json = serde_json::to_value(&resp).unwrap();
        assert_eq!(json["id"], 7);
        assert_eq!(json["error"]["code"], -32004);
        assert!(json.get("result").is_none());
        let ok = JsonRpcResponse::success(None, json!({"a": 1}));
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"jsonrpc": "2.0", "id": null, "result": {"a": 1}})
        );
    }
}
