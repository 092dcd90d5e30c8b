//! The signed-in customer: retrieve, update, refresh the token.

use axum::extract::State;

use crate::mock::app::Shared;
use crate::mock::errors::Problems;
use crate::mock::handlers::auth::check_unique;
use crate::mock::handlers::{ApiResult, ok};
use crate::mock::request::ApiRequest;
use crate::mock::validate;

/// `GET` and `POST /customer`: the customer, with the token it was asked with.
pub async fn retrieve(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let store = app.store();
    let auth = app.authenticate(&req, &store)?;
    ok(app.customer_envelope(&store.customers[&auth.customer_id], Some(&auth.token)))
}

/// `PUT /customer`: a partial update; returns the customer with a fresh token.
pub async fn update(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let customer_id = {
        let store = app.store();
        app.authenticate(&req, &store)?.customer_id
    };
    let body = req.object()?;
    let account = req.site.account_id;
    let mut p = Problems::default();
    let f = validate::customer_fields(&mut p, &body, false);
    check_unique(&app, account, &f, Some(customer_id), &mut p);
    p.into_result()?;

    let mut store = app.store();
    // The token may have been blacklisted while the body was checked.
    let auth = app.authenticate(&req, &store)?;
    let mut p = Problems::default();
    if let Some(e) = &f.email
        && store.email_taken(account, e, Some(auth.customer_id))
    {
        p.add("email", validate::EMAIL_TAKEN);
    }
    if let Some(Some(u)) = &f.username
        && store.username_taken(account, u, Some(auth.customer_id))
    {
        p.add("username", validate::USERNAME_TAKEN);
    }
    p.into_result()?;
    let mut c = store.customers[&auth.customer_id].clone();
    if let Some(e) = f.email
        && e != c.email
    {
        c.email = e;
        c.email_confirm = false;
    }
    if let Some(v) = f.first_name {
        c.first_name = v;
    }
    if let Some(v) = f.last_name {
        c.last_name = v;
    }
    if let Some(v) = f.display_name {
        c.display_name = v;
    }
    if let Some(v) = f.username {
        c.username = v;
    }
    if let Some(v) = f.phone {
        c.phone = v;
    }
    if let Some(v) = f.language {
        c.language = v;
    }
    if let Some(m) = f.metadata {
        c.metadata = m;
    }
    c.updated_at = app.clock.now();
    store.update(c);
    let token = app.issue(&req, &mut store, auth.customer_id, false);
    ok(app.customer_envelope(&store.customers[&auth.customer_id], Some(&token)))
}

/// `POST /customer/refresh`: a new token for one that has not expired; the old one is blacklisted.
pub async fn refresh(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let mut store = app.store();
    let auth = app.authenticate(&req, &store)?;
    store.blacklist.insert(auth.claims.jti.clone());
    let token = app.issue(&req, &mut store, auth.customer_id, false);
    ok(app.customer_envelope(&store.customers[&auth.customer_id], Some(&token)))
}
