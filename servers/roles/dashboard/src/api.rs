//! The dashboard's HTTP surface under `/dashboard`: the page, the JSON API
//! and the event stream. Every API route needs an employee token (the
//! `omega_dashboard` cookie set by `POST /dashboard/api/session`, or
//! `Authorization: Bearer`).

mod stream;

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use omega_protocol::{ErrorCode, TenantId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Dashboard;
use crate::auth::{Employee, TokenError};
use crate::board::{ApplyError, ListFilter};
use crate::error::ApiError;
use crate::types::ActionRequest;

/// The session cookie's name.
pub const COOKIE: &str = "omega_dashboard";

const INDEX: &str = include_str!("ui/index.html");
const APP_JS: &str = include_str!("ui/app.js");
const APP_CSS: &str = include_str!("ui/app.css");

pub(crate) fn routes(d: Dashboard) -> Router {
    Router::new()
        .route("/dashboard", get(index))
        .route("/dashboard/", get(index))
        .route("/dashboard/app.js", get(app_js))
        .route("/dashboard/app.css", get(app_css))
        .route("/dashboard/api/session", post(sign_in).delete(sign_out))
        .route("/dashboard/api/me", get(me))
        .route("/dashboard/api/tickets", get(list))
        .route("/dashboard/api/tickets/{tenant}/{id}", get(detail))
        .route("/dashboard/api/tickets/{tenant}/{id}/actions", post(act))
        .route("/dashboard/api/events", get(stream::events))
        .route("/dashboard/api/ops", get(ops))
        .route("/dashboard/api/analytics", get(analytics))
        .route("/dashboard/api/shadow", get(shadow))
        .with_state(d)
}

fn static_file(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

async fn index() -> Response {
    static_file(INDEX, "text/html; charset=utf-8")
}

async fn app_js() -> Response {
    static_file(APP_JS, "text/javascript; charset=utf-8")
}

async fn app_css() -> Response {
    static_file(APP_CSS, "text/css; charset=utf-8")
}

/// The presented token: `Authorization: Bearer`, else the session cookie.
fn token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_owned())
        })
}

fn refuse(e: TokenError) -> ApiError {
    ApiError::unauthenticated(e.to_string()).extra(json!({ "reason": match e {
        TokenError::Missing => "missing",
        TokenError::Expired => "expired",
        TokenError::BadSignature => "bad-signature",
        _ => "malformed",
    }}))
}

/// The signed-in employee, or 401.
pub(crate) fn employee(d: &Dashboard, headers: &HeaderMap) -> Result<Employee, ApiError> {
    let t = token(headers).ok_or_else(|| refuse(TokenError::Missing))?;
    d.tokens().verify(&t).map_err(refuse)
}

fn tenant_param(emp: &Employee, raw: &str) -> Result<TenantId, ApiError> {
    let t = TenantId::parse(raw).map_err(|e| ApiError::invalid("tenant", e.message))?;
    if !emp.may_act_for(&t) {
        return Err(ApiError::forbidden_tenant(t.as_str()));
    }
    Ok(t)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

async fn sign_in(State(d): State<Dashboard>, Json(body): Json<SignIn>) -> Response {
    match d.tokens().verify(&body.token) {
        Ok(emp) => {
            let secure = if d.config().secure_cookie {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE}={}; Path=/dashboard; HttpOnly; SameSite=Strict{secure}",
                body.token.trim()
            );
            let mut r = Json(json!({ "employee": emp })).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            tracing::info!(employee = %emp.id, "employee signed in");
            r
        }
        Err(e) => refuse(e).into_response(),
    }
}

async fn sign_out() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "omega_dashboard=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    r
}

async fn me(State(d): State<Dashboard>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let emp = employee(&d, &headers)?;
    Ok(Json(json!({ "employee": emp })))
}

async fn list(
    State(d): State<Dashboard>,
    headers: HeaderMap,
    Query(filter): Query<ListFilter>,
) -> Result<Json<Value>, ApiError> {
    let emp = employee(&d, &headers)?;
    let filter = ListFilter {
        tenant: filter.tenant.filter(|s| !s.is_empty()),
        priority: filter.priority.filter(|s| !s.is_empty()),
        category: filter.category.filter(|s| !s.is_empty()),
        status: filter.status.filter(|s| !s.is_empty()),
    };
    if let Some(s) = &filter.status
        && crate::types::ReviewStatus::parse(s).is_none()
    {
        return Err(ApiError::invalid(
            "status",
            format!("unknown status `{s}`: use open, reviewed or resolved"),
        ));
    }
    let tenants = match &filter.tenant {
        Some(t) => vec![tenant_param(&emp, t)?],
        None => emp.tenants.clone(),
    };
    // The cursor is taken before the read: the stream replays anything newer.
    let cursor = d.board().hub().cursor();
    let items = d.board().list(&tenants, &filter).await?;
    let mut categories: BTreeSet<String> = d.config().categories.iter().cloned().collect();
    categories.extend(items.iter().filter_map(|i| i.category().map(str::to_owned)));
    Ok(Json(json!({
        "items": items,
        "cursor": cursor,
        "categories": categories,
    })))
}

async fn detail(
    State(d): State<Dashboard>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let emp = employee(&d, &headers)?;
    let tenant = tenant_param(&emp, &tenant)?;
    let item = d
        .board()
        .get(&tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no ticket `{id}` in tenant `{tenant}`")))?;
    let assistance = match d.shadow().assist(&emp.id, &item).await {
        Ok(a) => serde_json::to_value(a).unwrap_or(Value::Null),
        Err(e) => {
            tracing::warn!(error = %e, "assistance unavailable");
            Value::Null
        }
    };
    Ok(Json(json!({ "item": item, "assistance": assistance })))
}

async fn act(
    State(d): State<Dashboard>,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let emp = employee(&d, &headers)?;
    let tenant = tenant_param(&emp, &tenant)?;
    let req: ActionRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid("action", format!("invalid action: {e}"))
            .hint("send {\"version\": <the version you saw>, \"action\": {\"type\": \"accept\" | \"changeCategory\" | \"changePriority\" | \"pickAction\" | \"resolve\", ...}}")
    })?;
    match d.board().apply(&emp, &tenant, &id, req).await {
        Ok(item) => Ok(Json(json!({ "item": item }))),
        Err(ApplyError::NotFound) => Err(ApiError::not_found(format!(
            "no ticket `{id}` in tenant `{tenant}`"
        ))),
        Err(ApplyError::Forbidden) => Err(ApiError::forbidden_tenant(tenant.as_str())),
        Err(ApplyError::Conflict(current)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::CONFLICT,
            format!(
                "ticket `{id}` changed since you loaded it (now version {}, last change by {})",
                current.version,
                current
                    .history
                    .last()
                    .map_or("OMEGA", |h| h.employee.as_str())
            ),
        )
        .hint("review the current ticket and apply your change again")
        .extra(json!({ "current": current }))),
        Err(ApplyError::Invalid(field, message)) => Err(ApiError::invalid(field, message)),
        Err(ApplyError::Backend(e)) => Err(e.into()),
    }
}

async fn ops(State(d): State<Dashboard>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let emp = employee(&d, &headers)?;
    let snap = d.ops_snapshot(&emp.tenants).await?;
    Ok(Json(serde_json::to_value(snap).unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AnalyticsQuery {
    tenant: String,
    #[serde(default)]
    bucket_minutes: Option<u32>,
}

async fn analytics(
    State(d): State<Dashboard>,
    headers: HeaderMap,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<Value>, ApiError> {
    let emp = employee(&d, &headers)?;
    let tenant = tenant_param(&emp, &q.tenant)?;
    let r = d
        .analytics()
        .report(&tenant, q.bucket_minutes.unwrap_or(60))
        .await?;
    Ok(Json(serde_json::to_value(r).unwrap_or(Value::Null)))
}

async fn shadow(State(d): State<Dashboard>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let emp = employee(&d, &headers)?;
    let agent = d.shadow().agent(&emp.id);
    Ok(Json(json!({
        "agent": agent,
        "classifierUpdates": d.classifier_updates(),
    })))
}
