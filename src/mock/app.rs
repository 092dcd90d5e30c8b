//! The shared state of one running mock, and the helpers every handler uses.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use crate::mock::clock::Clock;
use crate::mock::errors::{self, ApiError};
use crate::mock::faults::Faults;
use crate::mock::hashing::HashCost;
use crate::mock::request::{ApiRequest, RequestRecord};
use crate::mock::store::{Customer, Store};
use crate::mock::tokens::{Claims, Keys, TokenProblem};
use crate::profile::SiteProfile;

pub type Shared = Arc<App>;

pub struct App {
    pub store: Mutex<Store>,
    pub clock: Clock,
    pub keys: Keys,
    /// `http://127.0.0.1:PORT`, for the tokens' `iss`.
    pub base_url: String,
    pub trust_forwarded_for: bool,
    pub hash_cost: HashCost,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<Vec<RequestRecord>>,
    /// When set, every `/__control` request must carry it (`guard`).
    pub control_token: Option<String>,
}

/// A request's verified token.
pub struct Authed {
    pub customer_id: u64,
    pub claims: Claims,
    pub token: String,
}

impl App {
    /// The store, even if a panicking thread poisoned the lock (it never should).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn requests(&self) -> MutexGuard<'_, Vec<RequestRecord>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `iss` of a token minted by the endpoint at `path` (full path, no query).
    pub fn issuer(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Checks the bearer token of a request against the store (call with the store locked).
    pub fn authenticate(&self, req: &ApiRequest, store: &Store) -> Result<Authed, ApiError> {
        let token = req.bearer.clone().ok_or(ApiError::NoToken)?;
        let claims = self
            .keys
            .read(&token, self.clock.now())
            .map_err(|p| token_error(&req.site, p))?;
        if store.blacklist.contains(&claims.jti) {
            return Err(ApiError::Token {
                status: 403,
                message: errors::TOKEN_BLACKLISTED.into(),
            });
        }
        let customer_id: u64 = claims.sub.parse().unwrap_or(0);
        match store.customers.get(&customer_id) {
            Some(c) if c.account_id == req.site.account_id => Ok(Authed {
                customer_id,
                claims,
                token,
            }),
            _ => Err(token_error(&req.site, TokenProblem::Invalid)),
        }
    }

    /// Mints a token for a customer on the request's site and records its `jti`. With single
    /// user authentication and `login`, the customer's earlier tokens are blacklisted first.
    pub fn issue(
        &self,
        req: &ApiRequest,
        store: &mut Store,
        customer_id: u64,
        login: bool,
    ) -> String {
        let now = self.clock.now();
        let (token, claims) = self.keys.mint(
            &self.issuer(&req.path),
            now,
            req.site.auth_token_ttl_days,
            customer_id,
        );
        let single = login && req.site.single_user_auth;
        let mut earlier = Vec::new();
        if let Some(c) = store.customers.get_mut(&customer_id) {
            if single {
                earlier = std::mem::take(&mut c.jtis);
            }
            if login {
                c.last_login_at = Some(now);
            }
            c.jtis.push(claims.jti);
        }
        store.blacklist.extend(earlier);
        token
    }

    /// `{"status":"success","data":customer}` with the given token.
    pub fn customer_envelope(&self, c: &Customer, token: Option<&str>) -> Value {
        serde_json::json!({"status": "success", "data": c.to_json(token)})
    }
}

/// The refusal of a malformed, tampered or expired token under the site's profile.
pub fn token_error(site: &SiteProfile, problem: TokenProblem) -> ApiError {
    if site.invalid_token_status == 401 {
        return ApiError::Token {
            status: 401,
            message: errors::TOKEN_INVALID_OR_EXPIRED.into(),
        };
    }
    ApiError::Token {
        status: 403,
        message: match problem {
            TokenProblem::Invalid => errors::TOKEN_INVALID,
            TokenProblem::Expired => errors::TOKEN_EXPIRED,
        }
        .into(),
    }
}
