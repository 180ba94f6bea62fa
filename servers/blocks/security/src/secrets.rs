//! Where secrets (token signing keys, pseudonymization keys, passwords, the
//! Titans' API keys) come from: a [`SecretSource`] with environment, file and
//! Azure Key Vault backends, and a [`Chain`] of them. Names are 1-127 of
//! `A-Z a-z 0-9 - _`, so one name works with every backend: the environment
//! reads `openai-api-key` and `OPENAI_API_KEY` from the variable
//! `{prefix}OPENAI_API_KEY`, a directory from the file of that exact name, and
//! Key Vault (whose names allow no `_`) reads `_` as `-`.
//!
//! An empty value (an empty variable, an empty file) is an error, never an
//! empty key.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

mod azure;
mod http;
mod keyvault;

pub use azure::{
    AccessToken, ManagedIdentity, TokenCredential, WorkloadIdentity, credential_from_env,
};
pub use keyvault::KeyVault;

/// A boxed future (keeps [`SecretSource`] usable as `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A secret value. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps `bytes`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The secret bytes. Do not log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as UTF-8 text.
    pub fn expose_str(&self) -> Result<&str, SecretError> {
        std::str::from_utf8(&self.0).map_err(|_| SecretError::NotUtf8)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<redacted, {} bytes>)", self.0.len())
    }
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The name is not 1-127 of `A-Z a-z 0-9 - _`.
    #[error("`{0}` is not a valid secret name: use 1-127 of A-Z, a-z, 0-9, '-' and '_'")]
    InvalidName(String),
    /// No such secret in this source.
    #[error("secret `{name}` not found in {source_name}")]
    NotFound {
        /// The secret's name.
        name: String,
        /// Where it was looked for.
        source_name: String,
    },
    /// The secret exists but its value is empty.
    #[error("secret `{name}` in {source_name} is empty")]
    Empty {
        /// The secret's name.
        name: String,
        /// Where it was found.
        source_name: String,
    },
    /// The backend refused our credentials (HTTP 401).
    #[error("the secret store rejected our credentials: {0}")]
    Unauthorized(String),
    /// The identity may not read this secret (HTTP 403).
    #[error("this identity may not read the secret: {0}")]
    Forbidden(String),
    /// No access token could be obtained for the secret store.
    #[error("cannot obtain an access token: {0}")]
    Credential(String),
    /// The backend is unreachable or failed; retry later.
    #[error("the secret store is unavailable: {0}")]
    Unavailable(String),
    /// The backend answered something we do not understand.
    #[error("unexpected answer from the secret store: {0}")]
    Protocol(String),
    /// A secret file exists but cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The secret is not UTF-8 text.
    #[error("the secret is not UTF-8 text")]
    NotUtf8,
}

/// Checks a secret name.
pub fn check_name(name: &str) -> Result<(), SecretError> {
    if !name.is_empty()
        && name.len() <= 127
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err(SecretError::InvalidName(name.escape_default().to_string()))
    }
}

/// A source of secrets.
pub trait SecretSource: Send + Sync {
    /// Reads the secret `name`.
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Secret, SecretError>>;
}

/// Secrets from environment variables: `token-signing-key` is read from
/// `{prefix}TOKEN_SIGNING_KEY` (default prefix `OMEGA_SECRET_`; the Titans'
/// keys, `OPENAI_API_KEY` and the like, are read [`EnvSecrets::unprefixed`]).
#[derive(Debug, Clone)]
pub struct EnvSecrets {
    prefix: String,
}

impl Default for EnvSecrets {
    fn default() -> Self {
        Self::new("OMEGA_SECRET_")
    }
}

impl EnvSecrets {
    /// Variables named `{prefix}{NAME}`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// Variables named like the secret: `OPENAI_API_KEY` (or `openai-api-key`)
    /// is read from `OPENAI_API_KEY`.
    pub fn unprefixed() -> Self {
        Self::new("")
    }

    /// The variable `name` is read from.
    pub fn var_name(&self, name: &str) -> String {
        format!(
            "{}{}",
            self.prefix,
            name.to_ascii_uppercase().replace('-', "_")
        )
    }
}

impl SecretSource for EnvSecrets {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Secret, SecretError>> {
        Box::pin(async move {
            check_name(name)?;
            let var = self.var_name(name);
            let source_name = || format!("environment variable {var}");
            match std::env::var_os(&var) {
                Some(v) if v.is_empty() => Err(SecretError::Empty {
                    name: name.to_owned(),
                    source_name: source_name(),
                }),
                Some(v) => Ok(Secret::new(v.into_encoded_bytes())),
                None => Err(SecretError::NotFound {
                    name: name.to_owned(),
                    source_name: source_name(),
                }),
            }
        })
    }
}

/// Secrets as files in a directory, one file per secret (Kubernetes
/// secret volumes, the Key Vault CSI driver). One trailing newline is removed.
#[derive(Debug, Clone)]
pub struct FileSecrets {
    dir: PathBuf,
}

impl FileSecrets {
    /// Secrets in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

impl SecretSource for FileSecrets {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Secret, SecretError>> {
        Box::pin(async move {
            check_name(name)?;
            let path = self.dir.join(name);
            match tokio::fs::read(&path).await {
                Ok(mut bytes) => {
                    if bytes.ends_with(b"\n") {
                        bytes.pop();
                        if bytes.ends_with(b"\r") {
                            bytes.pop();
                        }
                    }
                    if bytes.is_empty() {
                        return Err(SecretError::Empty {
                            name: name.to_owned(),
                            source_name: format!("file {}", path.display()),
                        });
                    }
                    Ok(Secret::new(bytes))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SecretError::NotFound {
                    name: name.to_owned(),
                    source_name: format!("directory {}", self.dir.display()),
                }),
                Err(source) => Err(SecretError::Io { path, source }),
            }
        })
    }
}

/// Tries each source in order; a `NotFound` falls through to the next.
#[derive(Clone, Default)]
pub struct Chain(Vec<Arc<dyn SecretSource>>);

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain({} sources)", self.0.len())
    }
}

impl Chain {
    /// A chain over `sources`.
    pub fn new(sources: Vec<Arc<dyn SecretSource>>) -> Self {
        Self(sources)
    }
}

impl SecretSource for Chain {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Secret, SecretError>> {
        Box::pin(async move {
            let mut missing = Vec::new();
            for s in &self.0 {
                match s.get(name).await {
                    Err(SecretError::NotFound { source_name, .. }) => missing.push(source_name),
                    other => return other,
                }
            }
            Err(SecretError::NotFound {
                name: name.to_owned(),
                source_name: missing.join(", "),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_env_chain() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db-password"), "hunter2\n").unwrap();
        let files = FileSecrets::new(dir.path());
        assert_eq!(files.get("db-password").await.unwrap().expose(), b"hunter2");
        assert!(matches!(
            files.get("nope").await,
            Err(SecretError::NotFound { .. })
        ));
        assert!(matches!(
            files.get("../etc/passwd").await,
            Err(SecretError::InvalidName(_))
        ));

        let env = EnvSecrets::new("OMEGA_SECURITY_UNIT_TEST_");
        assert_eq!(
            env.var_name("db-password"),
            "OMEGA_SECURITY_UNIT_TEST_DB_PASSWORD"
        );
        let chain = Chain::new(vec![Arc::new(env), Arc::new(files)]);
        assert_eq!(
            chain
                .get("db-password")
                .await
                .unwrap()
                .expose_str()
                .unwrap(),
            "hunter2"
        );
        match chain.get("absent").await {
            Err(SecretError::NotFound { source_name, .. }) => {
                assert!(source_name.contains("environment") && source_name.contains("directory"))
            }
            other => panic!("{other:?}"),
        }
        // A variable that is always set (tests cannot set variables: no unsafe).
        let path = EnvSecrets::new("").get("path").await.unwrap();
        assert_eq!(path.expose(), std::env::var("PATH").unwrap().as_bytes());
        let s = Secret::new("topsecret");
        assert!(!format!("{s:?}").contains("topsecret"));
    }

    #[tokio::test]
    async fn names_with_underscores_and_empty_values() {
        // Environment-style names (the Titans' `OPENAI_API_KEY`) are valid:
        // unprefixed they are the variable itself, and a file of that name.
        assert!(check_name("OPENAI_API_KEY").is_ok());
        assert!(check_name("openai-api-key").is_ok());
        for bad in ["", ".env", "a/b", "a b", "key.txt", &"k".repeat(128)] {
            assert!(
                matches!(check_name(bad), Err(SecretError::InvalidName(_))),
                "{bad}"
            );
        }
        let env = EnvSecrets::unprefixed();
        assert_eq!(env.var_name("OPENAI_API_KEY"), "OPENAI_API_KEY");
        assert_eq!(env.var_name("openai-api-key"), "OPENAI_API_KEY");
        assert_eq!(EnvSecrets::default().var_name("a_b"), "OMEGA_SECRET_A_B");
        assert!(matches!(
            env.get("OMEGA_SECURITY_UNIT_TEST_UNSET_KEY").await,
            Err(SecretError::NotFound { .. })
        ));

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("OPENAI_API_KEY"), "sk-abc\r\n").unwrap();
        std::fs::write(dir.path().join("EMPTY_KEY"), "\n").unwrap();
        let files = FileSecrets::new(dir.path());
        assert_eq!(
            files.get("OPENAI_API_KEY").await.unwrap().expose(),
            b"sk-abc"
        );
        match files.get("EMPTY_KEY").await {
            Err(e @ SecretError::Empty { .. }) => assert!(e.to_string().contains("EMPTY_KEY")),
            other => panic!("{other:?}"),
        }
        // An empty value stops a chain: it is a mistake to report, not a miss.
        let chain = Chain::new(vec![
            Arc::new(files.clone()),
            Arc::new(FileSecrets::new(dir.path().join("nowhere"))),
        ]);
        assert!(matches!(
            chain.get("EMPTY_KEY").await,
            Err(SecretError::Empty { .. })
        ));
    }
}
