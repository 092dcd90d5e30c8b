//! Password update (signed in), forgot (issues a reset token) and reset.

use crate::mock::app::Shared;
use crate::mock::errors::{ApiError, Problems};
use crate::mock::handlers::{ApiResult, message, ok};
use crate::mock::request::ApiRequest;
use crate::mock::store::OneTimeToken;
use crate::mock::tokens::random_hex;
use crate::mock::{hashing, validate};
use axum::extract::State;

/// How long a password-reset token stays valid (Laravel's default).
pub const RESET_TOKEN_SECONDS: i64 = 3600;
pub const UNKNOWN_EMAIL: &str = "We can't find a user with that email address.";
pub const RESET_INVALID: &str = "This password reset token is invalid.";

/// `POST /password/update`: `old_password`, `new_password`, `confirm_new_password`.
pub async fn update(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let (customer_id, hash) = {
        let store = app.store();
        let a = app.authenticate(&req, &store)?;
        (
            a.customer_id,
            store.customers[&a.customer_id].password_hash.clone(),
        )
    };
    let body = req.object()?;
    let mut p = Problems::default();
    let old = validate::required_string(&mut p, "old_password", body.get("old_password"));
    let new = validate::password(
        &mut p,
        "new_password",
        body.get("new_password"),
        req.site.strong_passwords,
    );
    let confirm = validate::required_string(
        &mut p,
        "confirm_new_password",
        body.get("confirm_new_password"),
    );
    if let (Some(n), Some(c)) = (&new, &confirm)
        && n != c
    {
        p.add(
            "confirm_new_password",
            "The confirm new password and new password must match.",
        );
    }
    if let Some(o) = &old
        && !hash.as_deref().is_some_and(|h| hashing::verify(o, h))
    {
        p.add("old_password", "The old password is incorrect.");
    }
    p.into_result()?;
    let new_hash = hashing::hash(&new.unwrap_or_default(), &app.hash_cost);
    let mut store = app.store();
    app.authenticate(&req, &store)?;
    let now = app.clock.now();
    if let Some(c) = store.customers.get_mut(&customer_id) {
        c.password_hash = Some(new_hash);
        c.updated_at = now;
    }
    let token = app.issue(&req, &mut store, customer_id, false);
    ok(app.customer_envelope(&store.customers[&customer_id], Some(&token)))
}

/// `POST /password/forgot`: stores a reset token (readable via the control API; no mail is sent).
pub async fn forgot(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let body = req.object()?;
    let mut p = Problems::default();
    let email = validate::email(&mut p, body.get("email"));
    p.into_result()?;
    let email = email.unwrap_or_default();
    let account = req.site.account_id;
    let now = app.clock.now();
    let mut store = app.store();
    let customer = store
        .by_email(account, &email)
        .map(|c| (c.id, c.email.clone()))
        .ok_or_else(|| ApiError::app(404, UNKNOWN_EMAIL))?;
    let key = (account, customer.1.to_lowercase());
    store.reset_tokens.insert(
        key.clone(),
        OneTimeToken {
            token: random_hex(32),
            account_id: account,
            customer_id: customer.0,
            email: customer.1.clone(),
            issued_at: now,
            expires_at: now + RESET_TOKEN_SECONDS,
            used: false,
        },
    );
    store.reset_last.insert(key.1.clone(), key);
    message("We have emailed your password reset link.")
}

/// `POST /password/reset`: `email`, `token`, `password`, `password_confirmation`.
pub async fn reset(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let body = req.object()?;
    let mut p = Problems::default();
    let email = validate::email(&mut p, body.get("email"));
    let token = validate::required_string(&mut p, "token", body.get("token"));
    let password = validate::password(
        &mut p,
        "password",
        body.get("password"),
        req.site.strong_passwords,
    );
    if password.is_some() && body.get("password_confirmation") != body.get("password") {
        p.add("password", "The password confirmation does not match.");
    }
    p.into_result()?;
    let (email, token, password) = (
        email.unwrap_or_default(),
        token.unwrap_or_default(),
        password.unwrap_or_default(),
    );
    let key = (req.site.account_id, email.to_lowercase());
    let now = app.clock.now();
    let valid = |store: &crate::mock::store::Store| {
        store
            .reset_tokens
            .get(&key)
            .filter(|t| t.token == token && !t.used && now < t.expires_at)
            .map(|t| t.customer_id)
    };
    if valid(&app.store()).is_none() {
        return Err(ApiError::field("token", RESET_INVALID));
    }
    let hash = hashing::hash(&password, &app.hash_cost);
    let mut store = app.store();
    let customer_id = valid(&store).ok_or_else(|| ApiError::field("token", RESET_INVALID))?;
    if let Some(t) = store.reset_tokens.get_mut(&key) {
        t.used = true;
    }
    if let Some(c) = store.customers.get_mut(&customer_id) {
        c.password_hash = Some(hash);
        c.updated_at = now;
    }
    message("Your password has been reset.")
}
