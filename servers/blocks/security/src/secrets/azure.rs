//! Azure access tokens for Key Vault, fetched directly over HTTPS.
//!
//! The `azure_identity` crate is not used: it brings its own HTTP stack
//! (reqwest and a TLS backend other than this workspace's rustls/ring) for
//! two small requests. Both flows are implemented here from their
//! documented wire formats:
//!
//! - managed identity (VMs, VM scale sets, AKS node identity): `GET
//!   http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...`
//!   with `Metadata: true`; answer `{access_token, expires_on, ...}`.
//! - workload identity (AKS with federated credentials): the projected
//!   service-account token in `AZURE_FEDERATED_TOKEN_FILE` is exchanged at
//!   `{AZURE_AUTHORITY_HOST}{AZURE_TENANT_ID}/oauth2/v2.0/token` with the
//!   client-credentials grant and a `jwt-bearer` client assertion; answer
//!   `{access_token, expires_in, token_type}`.
//!
//! App Service's `IDENTITY_ENDPOINT` flavour of managed identity is not
//! implemented.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use serde_json::Value;

use super::http::{Http, IMDS_HOST, error_message, form, pct};
use super::{BoxFuture, Secret, SecretError};

/// An access token and when it expires.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub token: Secret,
    /// When it stops being accepted.
    pub expires_at: SystemTime,
}

/// Something that obtains Entra ID access tokens for a resource
/// (e.g. `https://vault.azure.net`).
pub trait TokenCredential: Send + Sync {
    /// A token for `resource`.
    fn token<'a>(&'a self, resource: &'a str) -> BoxFuture<'a, Result<AccessToken, SecretError>>;
}

fn token_from(v: &Value) -> Result<AccessToken, SecretError> {
    let token = v["access_token"]
        .as_str()
        .ok_or_else(|| SecretError::Credential("the token response has no access_token".into()))?;
    let num = |v: &Value| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    };
    let expires_at = if let Some(on) = num(&v["expires_on"]) {
        UNIX_EPOCH + Duration::from_secs(on)
    } else if let Some(ins) = num(&v["expires_in"]) {
        SystemTime::now() + Duration::from_secs(ins)
    } else {
        return Err(SecretError::Credential(
            "the token response has neither expires_on nor expires_in".into(),
        ));
    };
    Ok(AccessToken {
        token: Secret::new(token),
        expires_at,
    })
}

/// Managed identity through the instance metadata service.
#[derive(Debug, Clone)]
pub struct ManagedIdentity {
    endpoint: String,
    client_id: Option<String>,
    http: Http,
}

impl ManagedIdentity {
    /// The IMDS endpoint; `client_id` selects a user-assigned identity.
    pub fn new(client_id: Option<String>) -> Result<Self, SecretError> {
        Self::with_endpoint(
            format!("http://{IMDS_HOST}/metadata/identity/oauth2/token"),
            client_id,
        )
    }

    /// Another token endpoint speaking the IMDS protocol (tests).
    pub fn with_endpoint(endpoint: String, client_id: Option<String>) -> Result<Self, SecretError> {
        Ok(Self {
            endpoint,
            client_id,
            http: Http::new(None)?,
        })
    }
}

impl TokenCredential for ManagedIdentity {
    fn token<'a>(&'a self, resource: &'a str) -> BoxFuture<'a, Result<AccessToken, SecretError>> {
        Box::pin(async move {
            let mut url = format!(
                "{}?api-version=2018-02-01&resource={}",
                self.endpoint,
                pct(resource)
            );
            if let Some(id) = &self.client_id {
                url.push_str(&format!("&client_id={}", pct(id)));
            }
            let req = Request::get(url)
                .header("Metadata", "true")
                .body(Full::<Bytes>::default())
                .map_err(|e| SecretError::Credential(e.to_string()))?;
            let (status, _, body) = self.http.send(req).await?;
            if !status.is_success() {
                return Err(SecretError::Credential(format!(
                    "managed identity endpoint answered {status}: {}",
                    error_message(&body)
                )));
            }
            let v: Value = serde_json::from_slice(&body)
                .map_err(|e| SecretError::Credential(format!("bad token response: {e}")))?;
            token_from(&v)
        })
    }
}

/// Workload identity federation (AKS): exchanges the projected token file.
#[derive(Debug, Clone)]
pub struct WorkloadIdentity {
    authority: String,
    tenant_id: String,
    client_id: String,
    token_file: PathBuf,
    http: Http,
}

impl WorkloadIdentity {
    /// A credential for `client_id` in `tenant_id`, reading the federated
    /// token from `token_file` on every exchange (it is rotated on disk).
    /// `authority` is e.g. `https://login.microsoftonline.com/`.
    pub fn new(
        authority: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Self, SecretError> {
        let mut authority = authority.into();
        if !authority.ends_with('/') {
            authority.push('/');
        }
        Ok(Self {
            authority,
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            token_file: token_file.into(),
            http: Http::new(tls)?,
        })
    }

    /// From `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`
    /// and `AZURE_AUTHORITY_HOST` (set by the AKS workload identity webhook);
    /// `None` when the token file variable is unset.
    pub fn from_env() -> Result<Option<Self>, SecretError> {
        let Ok(file) = std::env::var("AZURE_FEDERATED_TOKEN_FILE") else {
            return Ok(None);
        };
        let var = |n: &str| {
            std::env::var(n).map_err(|_| SecretError::Credential(format!("{n} is not set")))
        };
        let authority = std::env::var("AZURE_AUTHORITY_HOST")
            .unwrap_or_else(|_| "https://login.microsoftonline.com/".into());
        Self::new(
            authority,
            var("AZURE_TENANT_ID")?,
            var("AZURE_CLIENT_ID")?,
            file,
            None,
        )
        .map(Some)
    }
}

impl TokenCredential for WorkloadIdentity {
    fn token<'a>(&'a self, resource: &'a str) -> BoxFuture<'a, Result<AccessToken, SecretError>> {
        Box::pin(async move {
            let assertion =
                tokio::fs::read_to_string(&self.token_file)
                    .await
                    .map_err(|source| SecretError::Io {
                        path: self.token_file.clone(),
                        source,
                    })?;
            let scope = format!("{}/.default", resource.trim_end_matches('/'));
            let body = form(&[
                ("client_id", &self.client_id),
                ("scope", &scope),
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.trim()),
            ]);
            let url = format!(
                "{}{}/oauth2/v2.0/token",
                self.authority,
                pct(&self.tenant_id)
            );
            let req = Request::post(url)
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(Full::new(Bytes::from(body)))
                .map_err(|e| SecretError::Credential(e.to_string()))?;
            let (status, _, body) = self.http.send(req).await?;
            if !status.is_success() {
                return Err(SecretError::Credential(format!(
                    "token exchange answered {status}: {}",
                    error_message(&body)
                )));
            }
            let v: Value = serde_json::from_slice(&body)
                .map_err(|e| SecretError::Credential(format!("bad token response: {e}")))?;
            token_from(&v)
        })
    }
}

/// Workload identity when its environment is present, else managed
/// identity (user-assigned when `AZURE_CLIENT_ID` is set).
pub fn credential_from_env() -> Result<Arc<dyn TokenCredential>, SecretError> {
    if let Some(w) = WorkloadIdentity::from_env()? {
        return Ok(Arc::new(w));
    }
    Ok(Arc::new(ManagedIdentity::new(
        std::env::var("AZURE_CLIENT_ID").ok(),
    )?))
}
