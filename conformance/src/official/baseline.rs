//! The expected-failures file: every entry names what may fail and why.

use std::path::Path;

use serde::Deserialize;

/// One expected failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expected {
    /// Which server: `fixture`, `production` (every production server) or a
    /// production role name (`context`, `agent-registry`, `mcp-registry`).
    pub target: String,
    /// The spec version of the run (`2025-11-25`, `2026-07-28`) or
    /// `extension` for the optional extension scenarios.
    pub spec: String,
    /// The scenario name as `conformance list` prints it.
    pub scenario: String,
    /// One check id inside the scenario; without it the whole scenario may fail.
    #[serde(default)]
    pub check: Option<String>,
    /// Why it fails. Required and non-empty.
    pub reason: String,
}

impl Expected {
    /// Whether the entry covers a run of `label` (in `group`) at `spec`.
    pub fn covers_run(&self, group: &str, label: &str, spec: &str) -> bool {
        (self.target == group || self.target == label) && self.spec == spec
    }

    /// How the entry is written in reports.
    pub fn key(&self) -> String {
        match &self.check {
            Some(check) => format!("{}@{} {}:{}", self.target, self.spec, self.scenario, check),
            None => format!("{}@{} {}", self.target, self.spec, self.scenario),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    fail: Vec<Expected>,
}

/// Why the expected-failures file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{path} is not a valid expected-failures file: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// An entry is incomplete or contradicts another.
    #[error("{path}: entry `{entry}`: {message}")]
    Entry {
        /// The file.
        path: String,
        /// The entry.
        entry: String,
        /// What to fix.
        message: String,
    },
}

/// The parsed expected-failures file.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Every entry, in file order.
    pub entries: Vec<Expected>,
}

impl Baseline {
    /// Parses `text` (named `path` in errors).
    pub fn parse(path: &str, text: &str) -> Result<Self, BaselineError> {
        let file: File = toml::from_str(text).map_err(|e| BaselineError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        for (i, entry) in file.fail.iter().enumerate() {
            let bad = |message: &str| BaselineError::Entry {
                path: path.into(),
                entry: entry.key(),
                message: message.into(),
            };
            if entry.reason.trim().is_empty() {
                return Err(bad("`reason` is empty: say why this is expected to fail"));
            }
            for other in &file.fail[..i] {
                let same_run = other.target == entry.target
                    && other.spec == entry.spec
                    && other.scenario == entry.scenario;
                if same_run
                    && (other.check.is_none()
                        || entry.check.is_none()
                        || other.check == entry.check)
                {
                    return Err(bad(
                        "listed twice (or both whole and per check): keep one entry",
                    ));
                }
            }
        }
        Ok(Self { entries: file.fail })
    }

    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: name.clone(),
            source,
        })?;
        Self::parse(&name, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_need_a_reason_and_must_not_overlap() {
        let ok = r#"
            [[fail]]
            target = "production"
            spec = "2026-07-28"
            scenario = "caching"
            check = "a"
            reason = "no prompts"
            [[fail]]
            target = "production"
            spec = "2026-07-28"
            scenario = "caching"
            check = "b"
            reason = "no resources"
        "#;
        assert_eq!(Baseline::parse("x", ok).unwrap().entries.len(), 2);
        let no_reason = "[[fail]]\ntarget='fixture'\nspec='x'\nscenario='s'\nreason=' '";
        assert!(matches!(
            Baseline::parse("x", no_reason),
            Err(BaselineError::Entry { .. })
        ));
        let overlap = format!(
            "{ok}\n[[fail]]\ntarget='production'\nspec='2026-07-28'\nscenario='caching'\nreason='all'"
        );
        assert!(matches!(
            Baseline::parse("x", &overlap),
            Err(BaselineError::Entry { .. })
        ));
        let unknown_key = "[[fail]]\ntarget='f'\nspec='x'\nscenario='s'\nreason='r'\nwhy='?'";
        assert!(matches!(
            Baseline::parse("x", unknown_key),
            Err(BaselineError::Parse { .. })
        ));
    }
}
