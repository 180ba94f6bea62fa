//! The Key Vault backend against a fake vault and a fake Entra ID token
//! endpoint on loopback (HTTPS with a test CA), speaking the documented
//! wire formats, including 401, 403 and 404 answers.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use omega_security::ClientAuth;
use omega_security::secrets::{
    KeyVault, ManagedIdentity, SecretError, SecretSource, TokenCredential, WorkloadIdentity,
};
use omega_security::tls::{self, server_config_from_files};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::harness::Pki;

const ENTRA_TENANT: &str = "72f988bf-0000-4000-8000-000000000000";
const CLIENT_ID: &str = "0b5c7a1e-1111-4111-8111-111111111111";
const FEDERATED: &str = "eyJhbGciOiJSUzI1NiJ9.k8s-service-account.sig";

#[derive(Default)]
struct Fake {
    valid: Mutex<HashSet<String>>,
    issued: Mutex<u32>,
}

fn kv_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Percent-decoding for `application/x-www-form-urlencoded`.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

async fn token_endpoint(
    State(f): State<Arc<Fake>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: std::collections::HashMap<String, String> = std::str::from_utf8(&body)
        .unwrap()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let bad = |e: &str, d: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": e, "error_description": d})),
        )
            .into_response()
    };
    if tenant != ENTRA_TENANT {
        return bad("invalid_tenant", "AADSTS90002: Tenant not found.");
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        || form.get("scope").map(String::as_str) != Some("https://vault.azure.net/.default")
    {
        return bad("invalid_request", "AADSTS900144: malformed request");
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_assertion").map(String::as_str) != Some(FEDERATED)
    {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client", "error_description": "AADSTS700213: No matching federated identity record found"}))).into_response();
    }
    let mut n = f.issued.lock().unwrap();
    *n += 1;
    let tok = format!("entra-token-{n}");
    f.valid.lock().unwrap().insert(tok.clone());
    Json(json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})).into_response()
}

async fn imds(
    State(f): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}))).into_response();
    }
    if q.get("api-version").map(String::as_str) != Some("2018-02-01")
        || q.get("resource").map(String::as_str) != Some("https://vault.azure.net")
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_request", "error_description": "bad resource"})),
        )
            .into_response();
    }
    let tok = "imds-token".to_owned();
    f.valid.lock().unwrap().insert(tok.clone());
    let on = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    Json(json!({"access_token": tok, "expires_in": "3599", "expires_on": on.to_string(), "resource": "https://vault.azure.net", "token_type": "Bearer"})).into_response()
}

async fn secret(
    State(f): State<Arc<Fake>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if q.get("api-version").map(String::as_str) != Some("7.4") {
        return kv_error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The specified api-version is not supported",
        );
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        let mut r = kv_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "AKV10000: Request is missing a Bearer or PoP token.",
        );
        r.headers_mut().insert("www-authenticate", format!("Bearer authorization=\"https://login.microsoftonline.com/{ENTRA_TENANT}\", resource=\"https://vault.azure.net\"").parse().unwrap());
        return r;
    };
    if !f.valid.lock().unwrap().contains(token) {
        return kv_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "AKV10032: Invalid issuer.",
        );
    }
    match name.as_str() {
        "omega-token-signing-key" => Json(json!({
            "value": "c2lnbmluZy1rZXktZm9yLXRlc3Rz",
            "id": format!("https://fake.vault.azure.net/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79"),
            "attributes": {"enabled": true, "created": 1493938410, "updated": 1493938410, "recoveryLevel": "Recoverable+Purgeable"}
        }))
        .into_response(),
        "restricted" => (StatusCode::FORBIDDEN, Json(json!({"error": {"code": "Forbidden", "message": "The user, group or application does not have secrets get permission on key vault 'fake'.", "innererror": {"code": "AccessDenied"}}}))).into_response(),
        _ => kv_error(StatusCode::NOT_FOUND, "SecretNotFound", &format!("A secret with (name/id) {name} was not found in this key vault.")),
    }
}

struct FakeAzure {
    base: String,
    fake: Arc<Fake>,
    client_tls: Arc<rustls::ClientConfig>,
    _pki: Pki,
    cancel: CancellationToken,
}

impl Drop for FakeAzure {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn fake_azure() -> FakeAzure {
    let pki = Pki::new();
    let fake = Arc::new(Fake::default());
    let router = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token_endpoint))
        .route("/metadata/identity/oauth2/token", get(imds))
        .route("/secrets/{name}", get(secret))
        .with_state(fake.clone());
    let cfg = server_config_from_files(&pki.server, ClientAuth::None).unwrap();
    let bound = omega_stack::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    let base = format!("https://localhost:{}", bound.addr.port());
    tokio::spawn(omega_stack::serve_with(
        bound.listener,
        router,
        omega_stack::Transport::Tls(Arc::new(cfg)),
        cancel.clone(),
        Duration::from_secs(1),
    ));
    let client_tls = tls::client_config(&[pki.ca.cert_der().clone()], None).unwrap();
    FakeAzure {
        base,
        fake,
        client_tls,
        _pki: pki,
        cancel,
    }
}

fn workload(az: &FakeAzure, dir: &std::path::Path, assertion: &str) -> Arc<dyn TokenCredential> {
    let file = dir.join("azure-identity-token");
    std::fs::write(&file, format!("{assertion}\n")).unwrap();
    Arc::new(
        WorkloadIdentity::new(
            format!("{}/", az.base),
            ENTRA_TENANT,
            CLIENT_ID,
            file,
            Some(az.client_tls.clone()),
        )
        .unwrap(),
    )
}

#[tokio::test]
async fn workload_identity_reads_secrets() {
    let az = fake_azure().await;
    let dir = tempfile::tempdir().unwrap();
    let kv = KeyVault::new(
        &az.base,
        workload(&az, dir.path(), FEDERATED),
        Some(az.client_tls.clone()),
    )
    .unwrap();
    let s = kv.get("omega-token-signing-key").await.unwrap();
    assert_eq!(s.expose_str().unwrap(), "c2lnbmluZy1rZXktZm9yLXRlc3Rz");
    // The token is cached: a second read does not exchange again. An
    // environment-style name reads the same secret (`_` is `-` in Key Vault).
    let s = kv.get("omega_token_signing_key").await.unwrap();
    assert_eq!(s.expose_str().unwrap(), "c2lnbmluZy1rZXktZm9yLXRlc3Rz");
    assert_eq!(*az.fake.issued.lock().unwrap(), 1);

    match kv.get("missing-one").await {
        Err(SecretError::NotFound { name, .. }) => assert_eq!(name, "missing-one"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    match kv.get("restricted").await {
        Err(SecretError::Forbidden(m)) => assert!(m.contains("secrets get permission"), "{m}"),
        other => panic!("expected Forbidden, got {other:?}"),
    }
    assert!(matches!(
        kv.get("bad/name").await,
        Err(SecretError::InvalidName(_))
    ));

    // The vault stops accepting the cached token: one retry with a fresh one.
    az.fake.valid.lock().unwrap().clear();
    kv.get("omega-token-signing-key").await.unwrap();
    assert_eq!(*az.fake.issued.lock().unwrap(), 2);
}

#[tokio::test]
async fn rejected_credentials_are_reported() {
    let az = fake_azure().await;
    let dir = tempfile::tempdir().unwrap();
    // A federated token Entra ID does not know.
    let kv = KeyVault::new(
        &az.base,
        workload(&az, dir.path(), "wrong"),
        Some(az.client_tls.clone()),
    )
    .unwrap();
    match kv.get("omega-token-signing-key").await {
        Err(SecretError::Credential(m)) => assert!(m.contains("AADSTS700213"), "{m}"),
        other => panic!("expected Credential, got {other:?}"),
    }

    // A credential whose tokens the vault never accepts: 401 after the retry.
    struct Stale;
    impl TokenCredential for Stale {
        fn token<'a>(
            &'a self,
            _: &'a str,
        ) -> omega_security::secrets::BoxFuture<
            'a,
            Result<omega_security::secrets::AccessToken, SecretError>,
        > {
            Box::pin(async {
                Ok(omega_security::secrets::AccessToken {
                    token: omega_security::Secret::new("revoked"),
                    expires_at: SystemTime::now() + Duration::from_secs(3600),
                })
            })
        }
    }
    let kv = KeyVault::new(&az.base, Arc::new(Stale), Some(az.client_tls.clone())).unwrap();
    match kv.get("omega-token-signing-key").await {
        Err(SecretError::Unauthorized(m)) => assert!(m.contains("AKV10032"), "{m}"),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn managed_identity_speaks_imds() {
    let az = fake_azure().await;
    // IMDS is plain HTTP on a link-local address; the fake serves HTTPS on
    // loopback, so point a plain-http IMDS client at a plain listener.
    let fake = az.fake.clone();
    let router = Router::new()
        .route("/metadata/identity/oauth2/token", get(imds))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mi = ManagedIdentity::with_endpoint(
        format!(
            "http://127.0.0.1:{}/metadata/identity/oauth2/token",
            addr.port()
        ),
        None,
    )
    .unwrap();
    let kv = KeyVault::new(&az.base, Arc::new(mi), Some(az.client_tls.clone())).unwrap();
    assert_eq!(
        kv.get("omega-token-signing-key")
            .await
            .unwrap()
            .expose()
            .len(),
        28
    );
}
