//! Integration tests of omega-config: the sections of `omega.toml`, errors
//! that name their path, redaction, the checked-in JSON Schema and the
//! example file.

mod errors;
mod redaction;
mod schema;
mod sections;

use std::path::PathBuf;

/// `servers/blocks/config/` (the crate root).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when generated files should be rewritten instead of compared.
pub fn updating() -> bool {
    std::env::var("OMEGA_UPDATE_SCHEMAS").is_ok_and(|v| v == "1")
}

/// The error message of parsing `text`, which must fail.
pub fn parse_error(text: &str) -> String {
    match omega_config::OmegaConfig::from_toml(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}
