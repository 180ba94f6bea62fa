//! API keys and tokens: where they come from and how they stay out of logs.
//!
//! The sources are omega-security's secrets module, the one of the
//! workspace (re-exported here): [`EnvSecrets`] (for the Titans
//! [`EnvSecrets::unprefixed`], so `OPENAI_API_KEY` is the variable of that
//! name), [`FileSecrets`] (the Kubernetes/Docker secrets layout), Azure Key
//! Vault (`omega_security::secrets::KeyVault`) and a [`Chain`] of them. A
//! [`Secret`]'s `Debug` never shows the value. This module adds how a Titan
//! reads its key: as text with surrounding whitespace trimmed.

pub use omega_security::secrets::{
    Chain, EnvSecrets, FileSecrets, Secret, SecretError, SecretSource,
};

use crate::config::ConfigError;
use crate::error::TitanError;

/// Reads the secret `name` holding `titan`'s key: UTF-8 text, surrounding
/// whitespace trimmed, not blank.
pub(crate) async fn read_key(
    secrets: &dyn SecretSource,
    titan: &str,
    name: &str,
) -> Result<Secret, ConfigError> {
    let fail = |source| ConfigError::Secret {
        titan: titan.into(),
        source,
    };
    let secret = secrets.get(name).await.map_err(fail)?;
    let text = secret.expose_str().map_err(fail)?.trim();
    if text.is_empty() {
        return Err(fail(SecretError::Empty {
            name: name.into(),
            source_name: "its secret source (only whitespace)".into(),
        }));
    }
    Ok(Secret::new(text))
}

/// The text of a key [`read_key`] returned. Call only where it is sent.
pub(crate) fn key_text<'a>(titan: &str, key: &'a Secret) -> Result<&'a str, TitanError> {
    key.expose_str().map_err(|_| TitanError::Auth {
        titan: titan.into(),
        detail: "the API key is not UTF-8 text".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets from a fixed list.
    struct Map(Vec<(&'static str, &'static [u8])>);

    impl SecretSource for Map {
        fn get<'a>(
            &'a self,
            name: &'a str,
        ) -> omega_security::secrets::BoxFuture<'a, Result<Secret, SecretError>> {
            Box::pin(async move {
                self.0
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| Secret::new(*v))
                    .ok_or_else(|| SecretError::NotFound {
                        name: name.into(),
                        source_name: "the test map".into(),
                    })
            })
        }
    }

    #[tokio::test]
    async fn keys_are_trimmed_text_and_never_blank() {
        let src = Map(vec![
            ("OPENAI_API_KEY", b" sk-abc\n"),
            ("BLANK", b" \t\n"),
            ("BINARY", b"\xff\xfe"),
        ]);
        let key = read_key(&src, "gpt", "OPENAI_API_KEY").await.unwrap();
        assert_eq!(key_text("gpt", &key).unwrap(), "sk-abc");
        assert!(!format!("{key:?}").contains("sk-abc"));
        for (name, want) in [
            ("BLANK", "empty"),
            ("BINARY", "UTF-8"),
            ("MISSING", "not found"),
        ] {
            let err = read_key(&src, "gpt", name).await.unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("gpt") && text.contains(want),
                "{name}: {text}"
            );
        }
    }

    #[tokio::test]
    async fn file_secrets_read_the_kubernetes_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("OPENAI_API_KEY"), "sk-abc\n").unwrap();
        let src = FileSecrets::new(dir.path());
        let key = read_key(&src, "gpt", "OPENAI_API_KEY").await.unwrap();
        assert_eq!(key_text("gpt", &key).unwrap(), "sk-abc");
        assert!(read_key(&src, "gpt", "../etc/passwd").await.is_err());
    }
}
