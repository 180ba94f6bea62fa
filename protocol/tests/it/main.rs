//! Integration tests of omega-protocol: golden fixtures, schema files, the
//! README error table, validation failures and round-trip properties.

mod golden;
mod props;
mod readme;
mod schema_conformance;
mod schema_files;
mod validation;

use std::path::PathBuf;

/// `protocol/` (the crate root).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses `tests/fixtures/{name}`.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = crate_dir().join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// True when generated files should be rewritten instead of compared.
pub fn updating() -> bool {
    std::env::var("OMEGA_UPDATE_SCHEMAS").is_ok_and(|v| v == "1")
}
