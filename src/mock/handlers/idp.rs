//! Identity-provider (social) login: google, facebook, auth0. Valid provider tokens are
//! registered through the control API with the profile they stand for.

use axum::extract::State;
use serde_json::json;

use crate::mock::app::Shared;
use crate::mock::errors::{self, ApiError, Problems};
use crate::mock::handlers::{ApiResult, ok};
use crate::mock::request::ApiRequest;
use crate::mock::store::Customer;
use crate::mock::validate;

pub const PROVIDERS: [&str; 3] = ["google", "facebook", "auth0"];

/// `POST /auth/idp/login` `{"idp_name","idp_token"}`.
pub async fn login(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let body = req.object()?;
    let mut p = Problems::default();
    let name = validate::required_string(&mut p, "idp_name", body.get("idp_name"));
    let name = name.and_then(|n| {
        let n = n.to_lowercase();
        if PROVIDERS.contains(&n.as_str()) {
            Some(n)
        } else {
            p.add("idp_name", "The selected idp name is invalid.");
            None
        }
    });
    let token = validate::required_string(&mut p, "idp_token", body.get("idp_token"));
    p.into_result()?;
    let (name, token) = (name.unwrap_or_default(), token.unwrap_or_default());
    let account = req.site.account_id;
    let now = app.clock.now();
    let mut store = app.store();
    let profile = store
        .idp_tokens
        .get(&(name.clone(), token))
        .cloned()
        .ok_or_else(|| ApiError::app(404, errors::INVALID_CREDENTIALS))?;
    let id = match store.by_email(account, &profile.email).map(|c| c.id) {
        Some(id) => id,
        None => store.insert(Customer {
            id: 0,
            account_id: account,
            email: profile.email.clone(),
            email_confirm: true,
            username: None,
            first_name: profile.first_name.clone(),
            last_name: profile.last_name.clone(),
            display_name: None,
            phone: None,
            language: None,
            metadata: Default::default(),
            password_hash: None,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            jtis: Vec::new(),
        }),
    };
    if let Some(c) = store.customers.get_mut(&id) {
        c.metadata.insert(
            name,
            json!({"id": profile.user_id, "email": profile.email,
                   "first_name": profile.first_name, "last_name": profile.last_name}),
        );
        c.updated_at = now;
    }
    let token = app.issue(&req, &mut store, id, true);
    ok(app.customer_envelope(&store.customers[&id], Some(&token)))
}
