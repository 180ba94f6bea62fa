//! Azure Key Vault secrets over the data-plane REST API:
//! `GET {vault}/secrets/{name}?api-version=7.4` with an Entra ID bearer
//! token for `https://vault.azure.net`; `200 {"value": ..., "id": ...,
//! "attributes": ...}`, errors as `{"error": {"code", "message"}}`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use serde_json::Value;
use tokio::sync::Mutex;

use super::azure::{AccessToken, TokenCredential};
use super::http::{Http, error_message};
use super::{BoxFuture, Secret, SecretError, SecretSource, check_name};

/// The resource Key Vault tokens are issued for.
pub const KEY_VAULT_RESOURCE: &str = "https://vault.azure.net";
/// The Key Vault API version used.
pub const API_VERSION: &str = "7.4";
/// Tokens are renewed this long before they expire.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// Secrets from one Azure Key Vault.
pub struct KeyVault {
    vault: String,
    credential: Arc<dyn TokenCredential>,
    http: Http,
    token: Mutex<Option<AccessToken>>,
}

impl std::fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVault")
            .field("vault", &self.vault)
            .finish()
    }
}

impl KeyVault {
    /// The vault at `vault_url` (`https://NAME.vault.azure.net`), using
    /// `credential`; `tls` overrides the trusted roots (tests).
    pub fn new(
        vault_url: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Self, SecretError> {
        Ok(Self {
            vault: vault_url.into().trim_end_matches('/').to_owned(),
            credential,
            http: Http::new(tls)?,
            token: Mutex::new(None),
        })
    }

    async fn bearer(&self, fresh: bool) -> Result<Secret, SecretError> {
        let mut cached = self.token.lock().await;
        if !fresh
            && let Some(t) = cached.as_ref()
            && t.expires_at > SystemTime::now() + RENEW_BEFORE
        {
            return Ok(t.token.clone());
        }
        let t = self.credential.token(KEY_VAULT_RESOURCE).await?;
        let token = t.token.clone();
        *cached = Some(t);
        Ok(token)
    }

    async fn fetch(&self, name: &str, token: &Secret) -> Result<(StatusCode, Bytes), SecretError> {
        let url = format!("{}/secrets/{name}?api-version={API_VERSION}", self.vault);
        let mut auth = b"Bearer ".to_vec();
        auth.extend_from_slice(token.expose());
        let mut value = http::HeaderValue::from_bytes(&auth).map_err(|_| {
            SecretError::Credential("the access token is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        let req = Request::get(url)
            .header(http::header::AUTHORIZATION, value)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::<Bytes>::default())
            .map_err(|e| SecretError::Protocol(e.to_string()))?;
        let (status, _, body) = self.http.send(req).await?;
        Ok((status, body))
    }
}

impl SecretSource for KeyVault {
    fn get<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Secret, SecretError>> {
        Box::pin(async move {
            check_name(name)?;
            // Key Vault names allow no `_`: `OPENAI_API_KEY` is `OPENAI-API-KEY`
            // there (and Key Vault names ignore case).
            let vault_name = name.replace('_', "-");
            let token = self.bearer(false).await?;
            let (mut status, mut body) = self.fetch(&vault_name, &token).await?;
            if status == StatusCode::UNAUTHORIZED {
                // The cached token may have been revoked or rotated: once more
                // with a fresh one.
                let token = self.bearer(true).await?;
                (status, body) = self.fetch(&vault_name, &token).await?;
            }
            match status {
                StatusCode::OK => {
                    let v: Value = serde_json::from_slice(&body)
                        .map_err(|e| SecretError::Protocol(format!("secret body: {e}")))?;
                    let value = v["value"]
                        .as_str()
                        .ok_or_else(|| SecretError::Protocol("the secret has no `value`".into()))?;
                    if value.is_empty() {
                        return Err(SecretError::Empty {
                            name: name.to_owned(),
                            source_name: format!("Key Vault {}", self.vault),
                        });
                    }
                    Ok(Secret::new(value))
                }
                StatusCode::NOT_FOUND => Err(SecretError::NotFound {
                    name: name.to_owned(),
                    source_name: format!("Key Vault {}", self.vault),
                }),
                StatusCode::UNAUTHORIZED => Err(SecretError::Unauthorized(error_message(&body))),
                StatusCode::FORBIDDEN => Err(SecretError::Forbidden(error_message(&body))),
                s => Err(SecretError::Unavailable(format!(
                    "Key Vault answered {s}: {}",
                    error_message(&body)
                ))),
            }
        })
    }
}
