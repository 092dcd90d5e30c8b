//! Passwordless login: request a one-time token by email, then log in with it.

use axum::extract::State;

use crate::mock::app::Shared;
use crate::mock::errors::{ApiError, Problems};
use crate::mock::handlers::{ApiResult, message, ok};
use crate::mock::request::ApiRequest;
use crate::mock::store::OneTimeToken;
use crate::mock::tokens::random_hex;
use crate::mock::validate;

pub const DISABLED: &str = "Passwordless login is not enabled for this site.";
pub const UNKNOWN_EMAIL: &str = "No customer was found with this email address.";
pub const TOKEN_INVALID: &str = "The token is invalid or has expired.";

/// `POST /auth/passwordless/request` `{"email"}`.
pub async fn request(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    if !req.site.passwordless_enabled {
        return Err(ApiError::app(400, DISABLED));
    }
    let body = req.object()?;
    let mut p = Problems::default();
    let email = validate::email(&mut p, body.get("email"));
    p.into_result()?;
    let email = email.unwrap_or_default();
    let account = req.site.account_id;
    let now = app.clock.now();
    let policy = &req.site.passwordless_throttle;
    let window = i64::try_from(policy.window_seconds).unwrap_or(i64::MAX / 4);
    let mut store = app.store();
    let (customer_id, stored_email) = store
        .by_email(account, &email)
        .map(|c| (c.id, c.email.clone()))
        .ok_or_else(|| ApiError::app(404, UNKNOWN_EMAIL))?;
    let times = store
        .passwordless_requests
        .entry((account, stored_email.to_lowercase()))
        .or_default();
    while times.front().is_some_and(|t| *t + window <= now) {
        times.pop_front();
    }
    if times.len() >= policy.requests as usize {
        let oldest = times.front().copied().unwrap_or(now);
        return Err(ApiError::Throttled {
            retry_after: oldest + window - now,
        });
    }
    times.push_back(now);
    let token = random_hex(32);
    store.passwordless.insert(
        token.clone(),
        OneTimeToken {
            token: token.clone(),
            account_id: account,
            customer_id,
            email: stored_email.clone(),
            issued_at: now,
            expires_at: now + i64::from(req.site.passwordless_token_minutes) * 60,
            used: false,
        },
    );
    store
        .passwordless_last
        .insert(stored_email.to_lowercase(), token);
    message("A login link has been sent to your email.")
}

/// `POST /auth/passwordless/login` `{"token"}`: one use, before it expires.
pub async fn login(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let body = req.object()?;
    let mut p = Problems::default();
    let token = validate::required_string(&mut p, "token", body.get("token"));
    p.into_result()?;
    let token = token.unwrap_or_default();
    let now = app.clock.now();
    let mut store = app.store();
    let customer_id = store
        .passwordless
        .get_mut(&token)
        .filter(|t| t.account_id == req.site.account_id && !t.used && now < t.expires_at)
        .map(|t| {
            t.used = true;
            t.customer_id
        })
        .ok_or_else(|| ApiError::field("token", TOKEN_INVALID))?;
    if !store.customers.contains_key(&customer_id) {
        return Err(ApiError::field("token", TOKEN_INVALID));
    }
    let token = app.issue(&req, &mut store, customer_id, true);
    ok(app.customer_envelope(&store.customers[&customer_id], Some(&token)))
}
