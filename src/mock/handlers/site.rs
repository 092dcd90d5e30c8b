//! Site, plans, plan authorization by IP and email domain, geo and location.

use std::net::IpAddr;

use axum::extract::State;
use ipnet::IpNet;
use serde_json::{Value, json};

use crate::mock::app::Shared;
use crate::mock::errors::{ApiError, Problems};
use crate::mock::geo;
use crate::mock::handlers::{ApiResult, ok};
use crate::mock::request::ApiRequest;
use crate::mock::validate;

pub const PLAN_REQUIRED: &str = "Plan ID is required";
pub const PLAN_NOT_FOUND: &str = "Plan not found";

fn envelope(data: Value) -> ApiResult {
    ok(json!({"error": false, "data": data}))
}

/// `GET /site`.
pub async fn site(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let s = &req.site;
    let products: Vec<Value> = {
        let store = app.store();
        let mut ids: Vec<u64> = store
            .plans
            .values()
            .filter(|p| p.site_id == req.site_id)
            .filter_map(|p| p.json["product_id"].as_u64())
            .collect();
        ids.dedup();
        ids.into_iter()
            .map(|id| {
                let plans: Vec<Value> = store
                    .plans
                    .values()
                    .filter(|p| p.site_id == req.site_id && p.json["product_id"] == id)
                    .map(|p| p.json.clone())
                    .collect();
                json!({"id": id, "name": format!("Product {id}"), "plans": plans})
            })
            .collect()
    };
    envelope(json!({
        "id": req.site_id,
        "account": {"id": s.account_id, "name": format!("Account {}", s.account_id)},
        "name": format!("Mock site {}", req.site_id),
        "link": "https://example.com",
        "default_currency": "usd",
        "default_locale": "en_US",
        "ecommerce_enabled": false,
        "passwordless_enabled": s.passwordless_enabled,
        "email_verify_enabled": false,
        "taxes_enabled": false,
        "passwordless_token_duration": s.passwordless_token_minutes.div_ceil(1440),
        "google_app_id": null,
        "facebook_app_id": null,
        "logo": null,
        "products": products,
        "paywalls": [],
        "design_settings": {},
    }))
}

/// `GET`/`POST /plan` with `plan_id` (query, or the body on POST).
pub async fn plan(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let body = req.object()?;
    let raw = req
        .query
        .get("plan_id")
        .map(|s| Value::String(s.clone()))
        .or_else(|| body.get("plan_id").cloned());
    let id = match raw {
        None | Some(Value::Null) => return Err(ApiError::field("plan_id", PLAN_REQUIRED)),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(ApiError::field("plan_id", PLAN_REQUIRED));
        }
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(Value::Number(n)) => n.as_u64(),
        Some(_) => None,
    };
    let store = app.store();
    let plan = id
        .and_then(|id| store.plans.get(&id))
        .filter(|p| p.site_id == req.site_id)
        .ok_or_else(|| ApiError::app(404, PLAN_NOT_FOUND))?;
    envelope(plan.json.clone())
}

fn in_ranges(ip: IpAddr, ranges: &Value) -> bool {
    ranges.as_array().is_some_and(|rs| {
        rs.iter().filter_map(Value::as_str).any(|r| {
            r.parse::<IpNet>()
                .map(|n| n.contains(&ip))
                .or_else(|_| r.parse::<IpAddr>().map(|a| a == ip))
                .unwrap_or(false)
        })
    })
}

fn free_plans(app: &Shared, site_id: u64, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
    app.store()
        .plans
        .values()
        .filter(|p| p.site_id == site_id && p.json["amount"] == 0 && keep(&p.json))
        .map(|p| p.json.clone())
        .collect()
}

/// `GET /plan/ip/authorization`: free plans whose IP ranges include the requester's IP.
pub async fn plan_ip(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let ip = req.ip;
    envelope(json!(free_plans(&app, req.site_id, |p| in_ranges(
        ip,
        &p["ip_addresses"]
    ))))
}

/// `GET /plan/domain/authorization?email=`: free plans whose domains match the email's.
pub async fn plan_domain(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let mut p = Problems::default();
    let email = validate::email(&mut p, req.query.get("email").map(|e| json!(e)).as_ref());
    p.into_result()?;
    let email = email.unwrap_or_default();
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    envelope(json!(free_plans(&app, req.site_id, |p| {
        p["domains"].as_array().is_some_and(|ds| {
            ds.iter()
                .filter_map(Value::as_str)
                .any(|d| d.eq_ignore_ascii_case(&domain))
        })
    })))
}

/// `GET /geo/country`.
pub async fn geo_country(req: ApiRequest) -> ApiResult {
    let place = geo::lookup(req.ip);
    envelope(json!({
        "ip": req.ip.to_string(),
        "country_code": place.map(|p| p.country_code),
        "country_name": place.map(|p| p.country_name),
    }))
}

/// `GET /location`.
pub async fn location(req: ApiRequest) -> ApiResult {
    let place = geo::lookup(req.ip);
    envelope(json!({
        "ip": req.ip.to_string(),
        "country_code": place.map(|p| p.country_code),
        "country_name": place.map(|p| p.country_name),
        "region": place.map(|p| p.region),
        "city": place.map(|p| p.city),
        "latitude": place.map(|p| p.latitude),
        "longitude": place.map(|p| p.longitude),
        "timezone": place.map(|p| p.timezone),
    }))
}
