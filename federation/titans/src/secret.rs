//! API keys and tokens: where they come from and how they stay out of logs.

use std::path::PathBuf;

/// A secret value (API key, session token). `Debug` and `Display` print
/// `[redacted]`; only [`Secret::expose`] gives the value, at the point it is
/// put into a request header or a child process environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value. Call only where it is sent to the provider.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret is not set.
    #[error("secret {name} is not set; {hint}")]
    Missing {
        /// Secret name.
        name: String,
        /// Where it was looked for.
        hint: String,
    },
    /// The secret exists but could not be read.
    #[error("secret {name} could not be read: {source}")]
    Unreadable {
        /// Secret name.
        name: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Where Titans get their keys: the deployment's secrets provider
/// implements this (Key Vault, Kubernetes secrets, ...); [`EnvSecrets`] and
/// [`FileSecrets`] cover one machine.
pub trait SecretSource: Send + Sync {
    /// The secret called `name` (for example `OPENAI_API_KEY`).
    fn secret(&self, name: &str) -> Result<Secret, SecretError>;
}

/// Secrets from environment variables of the same name.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvSecrets;

impl SecretSource for EnvSecrets {
    fn secret(&self, name: &str) -> Result<Secret, SecretError> {
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            _ => Err(SecretError::Missing {
                name: name.into(),
                hint: format!("export {name} or disable this Titan"),
            }),
        }
    }
}

/// Secrets from files in a directory, one file per secret named like the
/// secret (the Kubernetes/Docker secrets layout); surrounding whitespace is
/// trimmed.
#[derive(Debug, Clone)]
pub struct FileSecrets {
    dir: PathBuf,
}

impl FileSecrets {
    /// Reads secrets from `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

impl SecretSource for FileSecrets {
    fn secret(&self, name: &str) -> Result<Secret, SecretError> {
        // A name is a file name, never a path: refuse traversal.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(SecretError::Missing {
                name: name.into(),
                hint: "secret names are plain file names".into(),
            });
        }
        let path = self.dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            Ok(_) => Err(SecretError::Missing {
                name: name.into(),
                hint: format!("{} is empty", path.display()),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SecretError::Missing {
                name: name.into(),
                hint: format!("create {}", path.display()),
            }),
            Err(source) => Err(SecretError::Unreadable {
                name: name.into(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = Secret::new("sk-live-123");
        assert!(!format!("{s:?}").contains("sk-live"));
        assert!(!format!("{s}").contains("sk-live"));
        assert_eq!(s.expose(), "sk-live-123");
    }

    #[test]
    fn file_secrets_read_trim_and_refuse_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("OPENAI_API_KEY"), "sk-abc\n").unwrap();
        let src = FileSecrets::new(dir.path());
        assert_eq!(src.secret("OPENAI_API_KEY").unwrap().expose(), "sk-abc");
        assert!(matches!(
            src.secret("MISSING"),
            Err(SecretError::Missing { .. })
        ));
        assert!(src.secret("../etc/passwd").is_err());
    }
}
