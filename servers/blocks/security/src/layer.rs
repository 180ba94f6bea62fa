//! The identity layer: who is calling, from the verified client
//! certificate or else a bearer token, as an [`omega_stack::Caller`] in the
//! request's extensions. It replaces the stack's development identity.
//!
//! Order of evidence:
//! 1. a client certificate the TLS handshake verified (the listener puts
//!    the chain into the request as [`PeerCertificates`]): its SPIFFE
//!    identity, never anything in the request;
//! 2. `Authorization: Bearer <token>` ([`crate::token`]);
//! 3. nothing: `401` with `WWW-Authenticate: Bearer resource_metadata=...`
//!    (MCP authorization, resource-server role; RFC 9728 and RFC 6750), unless
//!    the path is public (health probes) or anonymous callers are allowed
//!    (development on loopback).
//!
//! The layer also serves the OAuth 2.0 Protected Resource Metadata
//! (RFC 9728) at `/.well-known/oauth-protected-resource` and, for the MCP
//! endpoint, `/.well-known/oauth-protected-resource/mcp`.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use http::{HeaderValue, Method, Request, StatusCode, header};
use omega_protocol::OmegaError;
use omega_stack::{Caller, PeerCertificates};
use serde_json::json;
use tower::{Layer, Service};

use crate::identity::PeerIdentity;
use crate::tls::identity_of;
use crate::token::{self, TokenError, TokenKey};

/// The well-known path of the protected resource metadata.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// How this server acts as an OAuth protected resource.
#[derive(Clone)]
pub struct ResourceServer {
    /// The audience bearer tokens must name.
    pub audience: String,
    /// The key bearer tokens are verified with; `None` refuses every token.
    pub token_key: Option<TokenKey>,
    /// The public base URL (`https://omega.example.net:8443`); `None` uses
    /// `https://` and the request's `Host`.
    pub public_url: Option<String>,
    /// Authorization servers to advertise (may be empty: tokens are then
    /// issued out of band with `omega token issue`).
    pub authorization_servers: Vec<String>,
    /// Scopes to advertise.
    pub scopes: Vec<String>,
    /// Paths served without credentials.
    pub public_paths: Vec<String>,
    /// Path prefixes served without credentials (webhooks authenticated by
    /// their signature, pages with their own sign-in, discovery documents).
    pub public_prefixes: Vec<String>,
    /// Admit requests without credentials as [`Caller::anonymous`]
    /// (development on loopback only).
    pub allow_anonymous: bool,
}

impl std::fmt::Debug for ResourceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceServer")
            .field("audience", &self.audience)
            .field("public_url", &self.public_url)
            .field("allow_anonymous", &self.allow_anonymous)
            .finish_non_exhaustive()
    }
}

impl ResourceServer {
    /// Tokens for `audience` verified with `key`; health probes public;
    /// anonymous callers refused.
    pub fn new(audience: impl Into<String>, key: Option<TokenKey>) -> Self {
        Self {
            audience: audience.into(),
            token_key: key,
            public_url: None,
            authorization_servers: Vec::new(),
            scopes: Vec::new(),
            public_paths: vec!["/healthz".into(), "/readyz".into()],
            public_prefixes: Vec::new(),
            allow_anonymous: false,
        }
    }

    fn base(&self, req: &Request<impl Sized>) -> String {
        if let Some(u) = &self.public_url {
            return u.trim_end_matches('/').to_owned();
        }
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            })
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        format!("https://{host}")
    }

    /// The metadata URL for a request to `path`: path-suffixed for the MCP
    /// endpoint (its resource id is `{base}/mcp`), the root one otherwise.
    fn metadata_url(&self, base: &str, path: &str) -> String {
        if path == "/mcp" || path.starts_with("/mcp/") {
            format!("{base}{METADATA_PATH}/mcp")
        } else {
            format!("{base}{METADATA_PATH}")
        }
    }

    /// The RFC 9728 metadata document for the resource at `{base}{suffix}`.
    pub fn metadata(&self, base: &str, suffix: &str) -> serde_json::Value {
        let mut doc = json!({
            "resource": format!("{base}{suffix}"),
            "authorization_servers": self.authorization_servers,
            "bearer_methods_supported": ["header"],
            "resource_name": "OMEGA",
        });
        if !self.scopes.is_empty() {
            doc["scopes_supported"] = json!(self.scopes);
        }
        doc
    }

    fn unauthorized(
        &self,
        base: &str,
        path: &str,
        err: &OmegaError,
        invalid: Option<&TokenError>,
    ) -> Response {
        let mut challenge = format!(
            "Bearer resource_metadata=\"{}\"",
            self.metadata_url(base, path)
        );
        if !self.scopes.is_empty() {
            challenge.push_str(&format!(", scope=\"{}\"", self.scopes.join(" ")));
        }
        if let Some(e) = invalid {
            // RFC 6750 §3: error codes only when a token was sent.
            let desc: String = e
                .to_string()
                .chars()
                .filter(|c| *c != '"' && *c != '\\' && (' '..='~').contains(c))
                .collect();
            challenge.push_str(&format!(
                ", error=\"invalid_token\", error_description=\"{desc}\""
            ));
        }
        let mut resp = (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": err })),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

/// What the layer decided about one request.
enum Verdict {
    /// Pass on, with this caller (if any).
    Pass(Option<Caller>),
    /// Refuse with this response.
    Refuse(Response),
}

fn decide<B>(rs: &ResourceServer, req: &mut Request<B>) -> Verdict {
    let path = req.uri().path().to_owned();
    let public = rs.public_paths.contains(&path)
        || rs
            .public_prefixes
            .iter()
            .any(|p| path.starts_with(p.as_str()));
    let base = || rs.base(req);
    if let Some(peer) = req.extensions().get::<PeerCertificates>().cloned() {
        match identity_of(&peer) {
            Ok(id) => {
                let caller = id.to_caller();
                req.extensions_mut().insert(PeerIdentity(id));
                return Verdict::Pass(Some(caller));
            }
            Err(e) if !public => {
                tracing::debug!(error = %e, "client certificate without an OMEGA identity");
                return Verdict::Refuse(rs.unauthorized(&base(), &path, &e.to_omega(), None));
            }
            Err(_) => return Verdict::Pass(None),
        }
    }
    let Some(auth) = req.headers().get(header::AUTHORIZATION) else {
        if public {
            return Verdict::Pass(None);
        }
        if rs.allow_anonymous {
            return Verdict::Pass(Some(Caller::anonymous()));
        }
        return Verdict::Refuse(rs.unauthorized(
            &base(),
            &path,
            &TokenError::Missing.to_omega(),
            None,
        ));
    };
    let result = (|| {
        let auth = auth
            .to_str()
            .map_err(|_| TokenError::Malformed("the Authorization header is not ASCII"))?;
        let (scheme, tok) = auth.split_once(' ').ok_or(TokenError::Malformed(
            "expected `Authorization: Bearer <token>`",
        ))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::Malformed("only the Bearer scheme is accepted"));
        }
        let key = rs.token_key.as_ref().ok_or(TokenError::BadSignature)?;
        let claims = token::verify(key, tok.trim(), &rs.audience)?;
        let caller = claims.to_caller()?;
        Ok((claims, caller))
    })();
    match result {
        Ok((claims, caller)) => {
            req.extensions_mut().insert(claims);
            Verdict::Pass(Some(caller))
        }
        Err(_) if public => Verdict::Pass(None),
        Err(e) => {
            tracing::debug!(reason = e.reason(), "bearer token refused");
            Verdict::Refuse(rs.unauthorized(&base(), &path, &e.to_omega(), Some(&e)))
        }
    }
}

/// A tower layer installing the identity middleware.
#[derive(Clone, Debug)]
pub struct IdentityLayer {
    rs: Arc<ResourceServer>,
}

impl IdentityLayer {
    /// The layer for `rs`.
    pub fn new(rs: ResourceServer) -> Self {
        Self { rs: Arc::new(rs) }
    }
}

impl<S> Layer<S> for IdentityLayer {
    type Service = IdentityService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        IdentityService {
            inner,
            rs: self.rs.clone(),
        }
    }
}

/// The identity middleware around `S`.
#[derive(Clone, Debug)]
pub struct IdentityService<S> {
    inner: S,
    rs: Arc<ResourceServer>,
}

impl<S, B> Service<Request<B>> for IdentityService<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let path = req.uri().path();
        if req.method() == Method::GET
            && let Some(suffix) = path.strip_prefix(METADATA_PATH)
            && (suffix.is_empty() || suffix.starts_with('/'))
        {
            let doc = self.rs.metadata(&self.rs.base(&req), suffix);
            let resp = axum::Json(doc).into_response();
            return Box::pin(async move { Ok(resp) });
        }
        match decide(&self.rs, &mut req) {
            Verdict::Refuse(resp) => Box::pin(async move { Ok(resp) }),
            Verdict::Pass(caller) => {
                if let Some(c) = caller {
                    req.extensions_mut().insert(c);
                }
                // The clone that was polled ready is the one that must be called.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                Box::pin(async move { inner.call(req).await })
            }
        }
    }
}

/// The stack's authenticator behind an [`IdentityLayer`]: the layer has
/// already refused every request without valid credentials on a non-public
/// path, so a request here either carries the layer's [`Caller`] or is on a
/// public path, where it gets a caller with no tenant at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayerAuthenticator;

impl omega_stack::Authenticator for LayerAuthenticator {
    fn authenticate(&self, request: &http::request::Parts) -> Result<Caller, Box<Response>> {
        Ok(request
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_else(|| Caller {
                id: "public".into(),
                kind: omega_stack::CallerKind::Anonymous,
                tenants: omega_stack::TenantGrant::Only(Vec::new()),
            }))
    }
}
