//! Register, login and logout.

use axum::extract::State;
use serde_json::{Map, Value};

use crate::mock::app::Shared;
use crate::mock::errors::{self, ApiError, Problems};
use crate::mock::handlers::{ApiResult, ok};
use crate::mock::request::ApiRequest;
use crate::mock::store::Customer;
use crate::mock::{hashing, lockout, validate};

/// `POST /auth/register`.
pub async fn register(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let body = req.object()?;
    let account = req.site.account_id;
    let mut p = Problems::default();
    let fields = validate::customer_fields(&mut p, &body, true);
    let password = validate::password(
        &mut p,
        "password",
        body.get("password"),
        req.site.strong_passwords,
    );
    check_unique(&app, account, &fields, None, &mut p);
    p.into_result()?;
    let (Some(email), Some(password)) = (fields.email.clone(), password) else {
        return Err(ApiError::field("email", validate::EMAIL_REQUIRED));
    };
    let hash = hashing::hash(&password, &app.hash_cost);

    let now = app.clock.now();
    let mut store = app.store();
    // Re-checked under the lock: a concurrent registration may have taken the email meanwhile.
    let mut p = Problems::default();
    if store.email_taken(account, &email, None) {
        p.add("email", validate::EMAIL_TAKEN);
    }
    if let Some(Some(u)) = &fields.username
        && store.username_taken(account, u, None)
    {
        p.add("username", validate::USERNAME_TAKEN);
    }
    p.into_result()?;
    let customer = Customer {
        id: 0,
        account_id: account,
        email,
        email_confirm: false,
        username: fields.username.flatten(),
        first_name: fields.first_name.flatten(),
        last_name: fields.last_name.flatten(),
        display_name: fields.display_name.flatten(),
        phone: fields.phone.flatten(),
        language: fields.language.flatten(),
        metadata: fields.metadata.unwrap_or_default(),
        password_hash: Some(hash),
        created_at: now,
        updated_at: now,
        last_login_at: Some(now),
        jtis: Vec::new(),
    };
    let id = store.insert(customer);
    let token = app.issue(&req, &mut store, id, true);
    ok(app.customer_envelope(&store.customers[&id], Some(&token)))
}

/// Adds "already taken" problems for the email and username (store locked briefly).
pub fn check_unique(
    app: &Shared,
    account: u64,
    fields: &validate::CustomerFields,
    except: Option<u64>,
    p: &mut Problems,
) {
    let store = app.store();
    if let Some(e) = &fields.email
        && store.email_taken(account, e, except)
    {
        p.add("email", validate::EMAIL_TAKEN);
    }
    if let Some(Some(u)) = &fields.username
        && store.username_taken(account, u, except)
    {
        p.add("username", validate::USERNAME_TAKEN);
    }
}

fn non_blank(body: &Map<String, Value>, key: &str) -> Option<String> {
    match body.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `POST /auth/login`: by email or username.
pub async fn login(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let body = req.object()?;
    let account = req.site.account_id;
    let email = non_blank(&body, "email");
    let username = non_blank(&body, "username");
    let mut p = Problems::default();
    if email.is_none() && username.is_none() {
        p.add(
            "email",
            "The email field is required when username is not present.",
        );
    }
    let password = match body.get("password") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            p.add("password", "The password field is required.");
            None
        }
        Some(_) => {
            p.add("password", "The password must be a string.");
            None
        }
    };
    p.into_result()?;
    let password = password.unwrap_or_default();

    // Find the identity and count the attempt before checking the password.
    let now = app.clock.now();
    let (customer_id, hash, key) = {
        let mut store = app.store();
        let found = match (&email, &username) {
            (Some(e), _) => store.by_email(account, e),
            (None, Some(u)) => store.by_username(account, u),
            (None, None) => None,
        }
        .map(|c| (c.id, c.password_hash.clone()));
        let key = match (&found, &email, &username) {
            (Some((id, _)), _, _) => format!("customer:{id}"),
            (None, Some(e), _) => format!("email:{}", e.to_lowercase()),
            (None, None, Some(u)) => format!("username:{}", u.to_lowercase()),
            _ => String::new(),
        };
        if let Err(left) = lockout::begin(&mut store, account, &key, now, &req.site.lockout) {
            return Err(ApiError::Lockout {
                status: req.site.lockout.status,
                retry_after: left,
            });
        }
        (found.as_ref().map(|f| f.0), found.and_then(|f| f.1), key)
    };
    // Unknown identities cost a hash too, so timing does not tell them apart.
    let good = match &hash {
        Some(h) => hashing::verify(&password, h),
        None => {
            let _ = hashing::hash(&password, &app.hash_cost);
            false
        }
    };
    let Some(id) = customer_id.filter(|_| good) else {
        return Err(ApiError::app(404, errors::INVALID_CREDENTIALS));
    };
    let mut store = app.store();
    if !store.customers.contains_key(&id) {
        return Err(ApiError::app(404, errors::INVALID_CREDENTIALS));
    }
    lockout::clear(&mut store, account, &key);
    let token = app.issue(&req, &mut store, id, true);
    ok(app.customer_envelope(&store.customers[&id], Some(&token)))
}

/// `POST /auth/logout`: blacklists the token, returns the customer without one.
pub async fn logout(State(app): State<Shared>, req: ApiRequest) -> ApiResult {
    let mut store = app.store();
    let auth = app.authenticate(&req, &store)?;
    store.blacklist.insert(auth.claims.jti.clone());
    ok(app.customer_envelope(&store.customers[&auth.customer_id], None))
}
