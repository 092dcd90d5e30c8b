//! The control API under `/__control` (mock only; Pelcro answers 404 there). docs/mock.md.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

use crate::mock::app::Shared;
use crate::mock::errors::{ApiError, json_response};
use crate::mock::faults::FaultRule;
use crate::mock::store::IdpProfile;
use crate::profile::SiteProfile;
use crate::suite::Capability;

type Res = Result<Response, ApiError>;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/capabilities", get(capabilities))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/clock/freeze", post(freeze))
        .route("/clock/unfreeze", post(unfreeze))
        .route("/sites/{site_id}", get(get_site).put(put_site))
        .route("/sites/{site_id}/plans", post(add_plan))
        .route(
            "/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/passwordless/{email}", get(passwordless_token))
        .route("/password-reset/{email}", get(reset_token))
        .route("/idp/tokens", post(add_idp_token))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/reset", post(reset))
        .fallback(not_found)
}

async fn not_found() -> Response {
    ApiError::app(404, "Not Found").into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::field("body", e.to_string()))
}

/// What `GET /__control/capabilities` lists (the embedded mock's are known without asking).
pub const CAPABILITIES: &[Capability] =
    &[Capability::Clock, Capability::Faults, Capability::Lockout];

async fn capabilities() -> Json<Value> {
    let names: Vec<&str> = CAPABILITIES.iter().map(|c| c.name()).collect();
    Json(json!({ "capabilities": names }))
}

fn clock_json(app: &Shared) -> Value {
    json!({"now": app.clock.now(), "offset_seconds": app.clock.offset(), "frozen": app.clock.is_frozen()})
}

async fn clock(State(app): State<Shared>) -> Json<Value> {
    Json(clock_json(&app))
}

/// Stops real time from moving the virtual clock (the harness does this for its run).
async fn freeze(State(app): State<Shared>) -> Json<Value> {
    app.clock.freeze();
    Json(clock_json(&app))
}

async fn unfreeze(State(app): State<Shared>) -> Json<Value> {
    app.clock.unfreeze();
    Json(clock_json(&app))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

async fn advance(State(app): State<Shared>, body: Bytes) -> Res {
    let a: Advance = parse(&body)?;
    app.clock.advance(a.seconds);
    Ok(Json(clock_json(&app)).into_response())
}

async fn get_site(State(app): State<Shared>, Path(site_id): Path<String>) -> Res {
    let id: u64 = site_id
        .parse()
        .map_err(|_| ApiError::app(404, "Unknown site"))?;
    let store = app.store();
    let profile = store
        .sites
        .get(&id)
        .ok_or_else(|| ApiError::app(404, "Unknown site"))?;
    Ok(Json(profile.to_json()).into_response())
}

/// Merges `patch` onto `base`, object by object.
fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

/// Adds a plan to a site: the body's fields over the defaults of `plans::custom`.
async fn add_plan(State(app): State<Shared>, Path(site_id): Path<String>, body: Bytes) -> Res {
    let id: u64 = site_id
        .parse()
        .map_err(|_| ApiError::field("site_id", "The site id must be a positive integer."))?;
    let fields: Value = parse(&body)?;
    let Value::Object(fields) = fields else {
        return Err(ApiError::field(
            "body",
            "The body must be a JSON object of plan fields.",
        ));
    };
    let mut store = app.store();
    if !store.sites.contains_key(&id) {
        return Err(ApiError::app(404, "Site not found"));
    }
    let next = store
        .plans
        .keys()
        .filter(|p| **p / 1000 == id)
        .max()
        .map_or(id * 1000 + 1, |p| p + 1);
    let plan = crate::mock::plans::custom(id, next, &fields).map_err(|problems| {
        let (field, message) = problems.into_iter().next().unwrap_or_default();
        ApiError::field(&field, message)
    })?;
    let plan_id = plan.json["id"].as_u64().unwrap_or(next);
    if store.plans.contains_key(&plan_id) {
        return Err(ApiError::field("id", "The id has already been taken."));
    }
    let json = plan.json.clone();
    store.plans.insert(plan_id, plan);
    Ok((axum::http::StatusCode::CREATED, Json(json)).into_response())
}

async fn put_site(State(app): State<Shared>, Path(site_id): Path<String>, body: Bytes) -> Res {
    let id: u64 = site_id
        .parse()
        .map_err(|_| ApiError::field("site_id", "The site id must be a positive integer."))?;
    let patch: Value = parse(&body)?;
    if !patch.is_object() {
        return Err(ApiError::field(
            "body",
            "The body must be a JSON object of site settings.",
        ));
    }
    let mut store = app.store();
    let mut current = store.sites.get(&id).cloned().unwrap_or_default().to_json();
    merge(&mut current, patch);
    let profile: SiteProfile = serde_json::from_value(current).map_err(|e| {
        let msg = e.to_string();
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("unknown field"))
            .unwrap_or("body")
            .to_string();
        ApiError::field(&field, msg)
    })?;
    let problems = profile.problems();
    if !problems.is_empty() {
        let mut fields: Vec<(String, Vec<String>)> = Vec::new();
        for p in problems {
            let f = p.split(':').next().unwrap_or("body").to_string();
            match fields.iter_mut().find(|(k, _)| *k == f) {
                Some((_, v)) => v.push(p),
                None => fields.push((f, vec![p])),
            }
        }
        return Err(ApiError::Validation(fields));
    }
    store.put_site(id, profile.clone());
    Ok(Json(profile.to_json()).into_response())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FaultScript {
    Many { rules: Vec<FaultRule> },
    One(FaultRule),
}

async fn list_faults(State(app): State<Shared>) -> Json<Value> {
    Json(json!({"rules": app.faults().rules}))
}

async fn add_faults(State(app): State<Shared>, body: Bytes) -> Res {
    let script: FaultScript = parse(&body)?;
    let rules = match script {
        FaultScript::Many { rules } => rules,
        FaultScript::One(r) => vec![r],
    };
    let mut faults = app.faults();
    for mut r in rules {
        r.seen = 0;
        faults.rules.push(r);
    }
    Ok(Json(json!({"rules": faults.rules})).into_response())
}

async fn clear_faults(State(app): State<Shared>) -> Json<Value> {
    app.faults().rules.clear();
    Json(json!({"rules": []}))
}

async fn passwordless_token(State(app): State<Shared>, Path(email): Path<String>) -> Res {
    let store = app.store();
    let t = store
        .passwordless_last
        .get(&email.to_lowercase())
        .and_then(|t| store.passwordless.get(t))
        .ok_or_else(|| ApiError::app(404, "No passwordless token was issued for this email"))?;
    Ok(Json(json!({
        "email": t.email, "token": t.token, "account_id": t.account_id,
        "issued_at": t.issued_at, "expires_at": t.expires_at, "used": t.used,
    }))
    .into_response())
}

async fn reset_token(State(app): State<Shared>, Path(email): Path<String>) -> Res {
    let store = app.store();
    let t = store
        .reset_last
        .get(&email.to_lowercase())
        .and_then(|k| store.reset_tokens.get(k))
        .ok_or_else(|| ApiError::app(404, "No password reset token was issued for this email"))?;
    Ok(Json(json!({
        "email": t.email, "token": t.token, "account_id": t.account_id,
        "issued_at": t.issued_at, "expires_at": t.expires_at, "used": t.used,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdpToken {
    provider: String,
    token: String,
    profile: IdpProfileBody,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdpProfileBody {
    email: String,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    id: String,
}

async fn add_idp_token(State(app): State<Shared>, body: Bytes) -> Res {
    let t: IdpToken = parse(&body)?;
    let provider = t.provider.to_lowercase();
    if !matches!(provider.as_str(), "google" | "facebook" | "auth0") {
        return Err(ApiError::field(
            "provider",
            "The provider must be google, facebook or auth0.",
        ));
    }
    app.store().idp_tokens.insert(
        (provider.clone(), t.token.clone()),
        IdpProfile {
            email: t.profile.email,
            first_name: t.profile.first_name,
            last_name: t.profile.last_name,
            user_id: t.profile.id,
        },
    );
    Ok(json_response(
        201,
        json!({"provider": provider, "token": t.token}),
    ))
}

async fn requests(
    State(app): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let log = app.requests();
    let list: Vec<_> = log
        .iter()
        .filter(|r| q.get("path").is_none_or(|p| r.path.ends_with(p.as_str())))
        .filter(|r| {
            q.get("method")
                .is_none_or(|m| r.method.eq_ignore_ascii_case(m))
        })
        .cloned()
        .collect();
    Json(json!({"requests": list}))
}

async fn clear_requests(State(app): State<Shared>) -> Json<Value> {
    app.requests().clear();
    Json(json!({"requests": []}))
}

async fn reset(State(app): State<Shared>) -> Json<Value> {
    app.store().reset();
    app.faults().rules.clear();
    app.requests().clear();
    Json(json!({"reset": true}))
}
