//! User inputs of a `server.json`: arguments, environment variables, headers.
//!
//! These keep the exact JSON they were given (`Option<bool>` rather than a
//! defaulted `bool`) so a record round-trips byte-for-byte in meaning.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How an input's value is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// Free text (the default).
    String,
    /// A decimal number.
    Number,
    /// `"true"` or `"false"`.
    Boolean,
    /// A path on the user's file system.
    Filepath,
}

/// A value the user (or the record) supplies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    /// What the input is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether a value must be given (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_required: Option<bool>,
    /// How the value is interpreted (default `string`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<InputFormat>,
    /// A fixed value; `{curly}` identifiers are replaced from `variables`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Whether the value is a secret (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_secret: Option<bool>,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Example shown while configuring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Allowed values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Variables substituted into `value`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Input>,
}

/// A named input: an environment variable or an HTTP header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyValueInput {
    /// Variable or header name.
    pub name: String,
    /// The input.
    #[serde(flatten)]
    pub input: Input,
}

/// A command-line argument (`type: positional` or `type: named`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Argument {
    /// A value inserted verbatim.
    Positional(PositionalArgument),
    /// A `--flag value` pair.
    Named(NamedArgument),
}

/// A positional argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PositionalArgument {
    /// Label of the argument (not part of the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_hint: Option<String>,
    /// Whether it may be repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_repeated: Option<bool>,
    /// The input.
    #[serde(flatten)]
    pub input: Input,
}

/// A named argument (`--flag value`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamedArgument {
    /// The flag including dashes, e.g. `--port`.
    pub name: String,
    /// Whether it may be repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_repeated: Option<bool>,
    /// The input.
    #[serde(flatten)]
    pub input: Input,
}
