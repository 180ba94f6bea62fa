//! Building the configured set of Titans.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ConfigError, TitanConfig};
use crate::http::HttpClient;
use crate::local::{LocalModel, LocalTitan};
use crate::secret::SecretSource;
use crate::titan::Titan;
use crate::{AugmentTitan, ClaudeTitan, GeminiTitan, OpenAiTitan};

/// The Titans of a deployment, by name, with the default one.
#[derive(Clone)]
pub struct Titans {
    by_name: BTreeMap<String, Arc<dyn Titan>>,
    default: String,
}

impl std::fmt::Debug for Titans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Titans")
            .field("names", &self.by_name.keys().collect::<Vec<_>>())
            .field("default", &self.default)
            .finish()
    }
}

impl Titans {
    /// The Titan called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Titan>> {
        self.by_name.get(name)
    }

    /// The Titan used when a call names none.
    pub fn default_titan(&self) -> &Arc<dyn Titan> {
        // `build_titans` checked that the default exists.
        &self.by_name[&self.default]
    }

    /// Names of all Titans, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// Adds or replaces a Titan (for tests and custom adapters).
    pub fn insert(&mut self, titan: Arc<dyn Titan>) {
        self.by_name.insert(titan.name().to_owned(), titan);
    }
}

/// Builds every configured Titan plus the local one, reading the providers'
/// keys from `secrets` (`EnvSecrets::unprefixed()` reads `OPENAI_API_KEY`
/// and the like from the environment). Fails when a configured provider's
/// key secret is missing, a value is invalid, or the default Titan is not
/// configured.
pub async fn build_titans(
    config: &TitanConfig,
    secrets: &dyn SecretSource,
    local: Arc<dyn LocalModel>,
) -> Result<Titans, ConfigError> {
    let mut by_name: BTreeMap<String, Arc<dyn Titan>> = BTreeMap::new();
    let local = LocalTitan::new(config.local.model.clone(), local);
    by_name.insert("local".into(), Arc::new(local));
    let needs_http = config.gpt.is_some()
        || config.claude.is_some()
        || config.gemini.is_some()
        || config.grok.is_some();
    if needs_http {
        let http = HttpClient::new()?;
        if let Some(c) = &config.gpt {
            by_name.insert(
                "gpt".into(),
                Arc::new(OpenAiTitan::gpt(c, secrets, http.clone()).await?),
            );
        }
        if let Some(c) = &config.grok {
            by_name.insert(
                "grok".into(),
                Arc::new(OpenAiTitan::grok(c, secrets, http.clone()).await?),
            );
        }
        if let Some(c) = &config.claude {
            by_name.insert(
                "claude".into(),
                Arc::new(ClaudeTitan::new(c, secrets, http.clone()).await?),
            );
        }
        if let Some(c) = &config.gemini {
            by_name.insert(
                "gemini".into(),
                Arc::new(GeminiTitan::new(c, secrets, http).await?),
            );
        }
    }
    if let Some(c) = &config.augment {
        by_name.insert(
            "augment".into(),
            Arc::new(AugmentTitan::new(c, secrets).await?),
        );
    }
    if !by_name.contains_key(&config.default_titan) {
        return Err(ConfigError::Invalid {
            field: "defaultTitan".into(),
            message: format!(
                "{:?} is not configured; use one of {:?}",
                config.default_titan,
                by_name.keys().collect::<Vec<_>>()
            ),
        });
    }
    Ok(Titans {
        by_name,
        default: config.default_titan.clone(),
    })
}
