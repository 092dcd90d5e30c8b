//! The mock as a library for SDK tests: a typed client of the mock's control API.
//!
//! An SDK crate's tests start the mock in-process on port 0, point the SDK at
//! [`MockHandle::api_url`], seed what they need, script faults per call, and read back what the
//! SDK sent. Everything here goes over HTTP to `/__control` (and, for seeding customers, to the
//! API itself), exactly as the harness reaches the mock; `docs/mock.md` describes the endpoints.
//!
//! [`MockServer`] dereferences to a [`MockHandle`], so every method below is called on the server
//! itself; [`MockServer::handle`] gives a cheap, cloneable, `'static` copy for closures and tasks
//! (an SDK's injectable sleeper that advances the mock's clock, for one).
//!
//! ```
//! use std::time::Duration;
//! use pelcro_conformance::mock::{MockConfig, MockServer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let mock = MockServer::start(MockConfig { frozen_clock: true, ..MockConfig::default() }).await?;
//! let alice = mock.seed_customer("alice@example.com", "secret1").await?;
//! assert!(alice.id >= 1001);
//!
//! // The 1st call to POST /auth/login gets 429 with Retry-After: 2, the 2nd a 503, then normal.
//! mock.faults().on("POST", "/auth/login").nth(1).status(429).header("Retry-After", "2").add().await?;
//! mock.faults().on("POST", "/auth/login").nth(2).status(503).add().await?;
//!
//! // ... run the SDK against mock.api_url() with site_id mock.site_id() ...
//! let login = format!("{}/auth/login?site_id={}", mock.api_url(), mock.site_id());
//! let http = reqwest::Client::new();
//! let body = serde_json::json!({"email": "alice@example.com", "password": "secret1"});
//! let first = http.post(&login).json(&body).send().await?;
//! assert_eq!(first.status(), 429);
//! assert_eq!(first.headers()["retry-after"], "2");
//! mock.advance_clock(Duration::from_secs(2)).await?;
//! assert_eq!(http.post(&login).json(&body).send().await?.status(), 503);
//! assert_eq!(http.post(&login).json(&body).send().await?.status(), 200);
//!
//! let logins = mock.requests_matching(Some("POST"), "/auth/login").await?;
//! assert_eq!(logins.len(), 3);
//! assert_eq!(logins[1].at - logins[0].at, 2); // virtual seconds
//! assert!(logins.iter().all(|r| r.site_id == Some(1) && !r.bearer));
//! mock.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::mock::MockServer;
use crate::profile::SiteProfile;

/// The API's path under the host root.
const API_ROOT: &str = "/api/v1/sdk";
/// The longest part of an unexpected answer quoted in an error.
const QUOTE_LIMIT: usize = 500;

/// Why a control call failed. Never holds a token or a password.
#[derive(Debug, thiserror::Error)]
pub enum MockControlError {
    /// The HTTP client could not be built.
    #[error("could not build the control API's HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The call did not get an answer (connection refused, dropped, timed out).
    #[error("{method} {path}: no answer from the mock: {source}")]
    Transport {
        /// The HTTP method.
        method: String,
        /// The path called, under the host root.
        path: String,
        /// What went wrong.
        #[source]
        source: reqwest::Error,
    },
    /// The mock answered with a status the call does not expect (a validation error, 404, ...).
    #[error("{method} {path} answered {status}: {body}")]
    Status {
        /// The HTTP method.
        method: String,
        /// The path called, under the host root.
        path: String,
        /// The status the mock answered.
        status: u16,
        /// The answer's body (at most 500 characters).
        body: String,
    },
    /// The mock answered a body the call cannot read.
    #[error("{method} {path}: unexpected answer: {message}")]
    Body {
        /// The HTTP method.
        method: String,
        /// The path called, under the host root.
        path: String,
        /// What was wrong with it.
        message: String,
    },
    /// A fault rule built with [`FaultBuilder`] is incomplete or contradictory.
    #[error("invalid fault rule: {0}")]
    InvalidFault(String),
    /// The control token cannot be sent as a header (it must be visible ASCII).
    #[error("the control token must be visible ASCII")]
    InvalidControlToken,
}

impl MockControlError {
    /// The HTTP status of a [`MockControlError::Status`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            MockControlError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A customer registered through the API by [`MockHandle::seed_customer`].
///
/// `Debug` shows the token's length only, so a failing assertion never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SeededCustomer {
    /// The customer's id.
    pub id: u64,
    /// The email it was registered with.
    pub email: String,
    /// The auth token the registration returned.
    pub token: String,
}

impl fmt::Debug for SeededCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeededCustomer")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .finish()
    }
}

/// The identity an IdP token stands for ([`MockHandle::register_idp_token`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpProfile {
    /// The provider's user id (`metadata.{provider}.id`).
    pub id: String,
    /// The email the customer is found or created by.
    pub email: String,
    /// First name for a customer created by the login.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name for a customer created by the login.
    #[serde(default)]
    pub last_name: Option<String>,
}

/// The mock's virtual clock (`GET /__control/clock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ClockState {
    /// Virtual now, unix seconds.
    pub now: i64,
    /// How far the virtual clock is ahead of the real one, in seconds.
    pub offset_seconds: i64,
    /// Whether only [`MockHandle::advance_clock`] moves it.
    pub frozen: bool,
}

/// A one-time token the mock issued (passwordless login or password reset).
///
/// `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct OneTimeToken {
    /// The email it was issued for (lower-cased).
    pub email: String,
    /// The token itself.
    pub token: String,
    /// The account it belongs to.
    pub account_id: u64,
    /// Virtual time of issue, unix seconds.
    pub issued_at: i64,
    /// Virtual time it stops working, unix seconds.
    pub expires_at: i64,
    /// Whether it was used.
    pub used: bool,
}

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimeToken")
            .field("email", &self.email)
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .field("account_id", &self.account_id)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("used", &self.used)
            .finish()
    }
}

/// One API request the mock received (`GET /__control/requests`), oldest first. Faulted calls
/// are included.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReceivedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full path, e.g. `/api/v1/sdk/auth/login`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Whether an `Authorization: Bearer <token>` header was sent (never the token).
    pub bearer: bool,
    /// The `site_id` the request carried (query, else JSON body), if it was a number.
    pub site_id: Option<u64>,
    /// Virtual time of arrival, unix seconds.
    pub at: i64,
    /// Real time of arrival, unix milliseconds.
    pub received_ms: u64,
}

impl ReceivedRequest {
    /// The path relative to the API root (`/auth/login`).
    pub fn api_path(&self) -> &str {
        self.path.strip_prefix(API_ROOT).unwrap_or(&self.path)
    }

    /// Whether the `site_id` came in the query string (not only in the body).
    pub fn site_id_in_query(&self) -> bool {
        self.query
            .as_deref()
            .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("site_id=")))
    }
}

/// A scripted fault rule as the mock reports it (`GET /__control/faults`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScriptedFault {
    /// The method it matches, or any.
    pub method: Option<String>,
    /// The path it matches.
    pub path: String,
    /// The first matching call that gets the fault.
    pub nth: u64,
    /// How many consecutive calls get it (0: all from `nth` on).
    pub times: u64,
    /// The fault, as JSON (`{"type":"status","status":429,...}`).
    pub fault: Value,
    /// Matching calls seen so far.
    pub seen: u64,
}

/// A cloneable handle on a running mock's control API: what [`MockServer`] derefs to.
///
/// Cheap to clone (one shared HTTP client); holds no reference to the server, so it can move
/// into `'static` closures. Calls fail with [`MockControlError::Transport`] once the server stops.
#[derive(Clone)]
pub struct MockHandle {
    base: String,
    site_id: u64,
    http: reqwest::Client,
}

impl fmt::Debug for MockHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockHandle")
            .field("base", &self.base)
            .field("site_id", &self.site_id)
            .finish()
    }
}

impl Deref for MockServer {
    type Target = MockHandle;

    fn deref(&self) -> &MockHandle {
        &self.control
    }
}

impl MockServer {
    /// A cloneable handle on this server's control API, for closures and spawned tasks.
    pub fn handle(&self) -> MockHandle {
        self.control.clone()
    }
}

impl MockHandle {
    /// A handle on the mock at `base` (`http://127.0.0.1:PORT`) whose first site is `site_id`.
    ///
    /// [`MockServer::start`] makes one; this is for a mock started elsewhere (a standalone
    /// `pelcro-conformance mock`).
    pub fn new(base: impl Into<String>, site_id: u64) -> Result<MockHandle, MockControlError> {
        Self::with_control_token(base, site_id, None)
    }

    /// Like [`MockHandle::new`], for a mock that requires a control token
    /// ([`crate::mock::MockConfig::control_token`]): every request carries it.
    pub fn with_control_token(
        base: impl Into<String>,
        site_id: u64,
        control_token: Option<&str>,
    ) -> Result<MockHandle, MockControlError> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = control_token.filter(|t| !t.is_empty()) {
            let mut value = reqwest::header::HeaderValue::from_str(token)
                .map_err(|_| MockControlError::InvalidControlToken)?;
            value.set_sensitive(true);
            headers.insert("x-control-token", value);
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .default_headers(headers)
            .build()
            .map_err(MockControlError::Client)?;
        Ok(MockHandle {
            base: base.into().trim_end_matches('/').to_string(),
            site_id,
            http,
        })
    }

    /// The host root, `http://127.0.0.1:PORT`.
    pub fn root_url(&self) -> &str {
        &self.base
    }

    /// The API root an SDK is pointed at: `http://127.0.0.1:PORT/api/v1/sdk`.
    pub fn api_url(&self) -> String {
        format!("{}{API_ROOT}", self.base)
    }

    /// The id of the site the mock started with ([`crate::mock::MockConfig::site_id`]).
    pub fn site_id(&self) -> u64 {
        self.site_id
    }

    /// The plans seeded for the first site, in this order: "Monthly" (`regular`, 999 usd a month),
    /// "Campus IP access" (free membership for `127.0.0.0/8`), "Example.com staff" (free
    /// membership for the `example.com` domain). Site 1's are 1001, 1002 and 1003.
    pub fn plan_ids(&self) -> [u64; 3] {
        plan_ids_of(self.site_id)
    }

    // ----- seeding -----

    /// Registers a customer on the first site through `POST /auth/register`.
    pub async fn seed_customer(
        &self,
        email: &str,
        password: &str,
    ) -> Result<SeededCustomer, MockControlError> {
        self.seed_customer_with(json!({"email": email, "password": password}))
            .await
    }

    /// Registers a customer with any register fields (`email`, `password`, `first_name`,
    /// `username`, `metadata`, ...), on the first site unless `fields` has a `site_id`.
    pub async fn seed_customer_with(
        &self,
        fields: Value,
    ) -> Result<SeededCustomer, MockControlError> {
        let path = format!("{API_ROOT}/auth/register");
        let Value::Object(mut body) = fields else {
            return Err(MockControlError::Body {
                method: "POST".into(),
                path,
                message: "seed_customer_with takes a JSON object of register fields".into(),
            });
        };
        let site = body
            .get("site_id")
            .cloned()
            .unwrap_or_else(|| json!(self.site_id));
        body.insert("site_id".into(), site);
        let answer: Value = self
            .call(Method::POST, &path, Some(Value::Object(body)), &[200])
            .await?;
        let data = &answer["data"];
        let bad = |message: &str| MockControlError::Body {
            method: "POST".into(),
            path: path.clone(),
            message: message.into(),
        };
        Ok(SeededCustomer {
            id: data["id"].as_u64().ok_or_else(|| bad("no data.id"))?,
            email: data["email"]
                .as_str()
                .ok_or_else(|| bad("no data.email"))?
                .to_string(),
            token: data["auth_token"]
                .as_str()
                .ok_or_else(|| bad("no data.auth_token"))?
                .to_string(),
        })
    }

    /// Creates site `site_id` (with its plans) or changes its settings: `settings` is a whole
    /// [`SiteProfile`] or a partial one as JSON (`json!({"lockout": {"attempts": 3}})`), merged
    /// onto the current settings. Returns the merged profile.
    pub async fn set_site(
        &self,
        site_id: u64,
        settings: impl Serialize,
    ) -> Result<SiteProfile, MockControlError> {
        let path = format!("/__control/sites/{site_id}");
        let body = serde_json::to_value(settings).map_err(|e| MockControlError::Body {
            method: "PUT".into(),
            path: path.clone(),
            message: format!("the settings are not JSON: {e}"),
        })?;
        self.call(Method::PUT, &path, Some(body), &[200]).await
    }

    /// Adds a plan to site `site_id`: `fields` (any of the Plan resource's) over the defaults of
    /// a free monthly `regular` plan; the id is the site's next unless `fields` gives one. Returns
    /// the plan as the API will serve it.
    pub async fn seed_plan(&self, site_id: u64, fields: Value) -> Result<Value, MockControlError> {
        self.call(
            Method::POST,
            &format!("/__control/sites/{site_id}/plans"),
            Some(fields),
            &[201],
        )
        .await
    }

    /// The settings of site `site_id`.
    pub async fn site(&self, site_id: u64) -> Result<SiteProfile, MockControlError> {
        self.call(
            Method::GET,
            &format!("/__control/sites/{site_id}"),
            None,
            &[200],
        )
        .await
    }

    /// Makes `token` a valid IdP token of `provider` (`google`, `facebook`, `auth0`) for the
    /// identity `profile`, for `POST /auth/idp/login`.
    pub async fn register_idp_token(
        &self,
        provider: &str,
        token: &str,
        profile: &IdpProfile,
    ) -> Result<(), MockControlError> {
        let body = json!({"provider": provider, "token": token, "profile": profile});
        self.call::<Value>(Method::POST, "/__control/idp/tokens", Some(body), &[201])
            .await
            .map(drop)
    }

    // ----- time -----

    /// The virtual clock.
    pub async fn clock(&self) -> Result<ClockState, MockControlError> {
        self.call(Method::GET, "/__control/clock", None, &[200])
            .await
    }

    /// The virtual now, unix seconds.
    pub async fn now(&self) -> Result<i64, MockControlError> {
        Ok(self.clock().await?.now)
    }

    /// Moves the virtual clock forward by `by` (whole seconds, rounded down).
    pub async fn advance_clock(&self, by: Duration) -> Result<ClockState, MockControlError> {
        let seconds = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.advance_clock_seconds(seconds).await
    }

    /// Moves the virtual clock by `seconds`, which may be negative.
    pub async fn advance_clock_seconds(
        &self,
        seconds: i64,
    ) -> Result<ClockState, MockControlError> {
        self.call(
            Method::POST,
            "/__control/clock/advance",
            Some(json!({"seconds": seconds})),
            &[200],
        )
        .await
    }

    /// Freezes the virtual clock: from now on only [`MockHandle::advance_clock`] moves it.
    pub async fn freeze_clock(&self) -> Result<ClockState, MockControlError> {
        self.call(Method::POST, "/__control/clock/freeze", None, &[200])
            .await
    }

    /// Lets real time move the virtual clock again, from where it stands.
    pub async fn unfreeze_clock(&self) -> Result<ClockState, MockControlError> {
        self.call(Method::POST, "/__control/clock/unfreeze", None, &[200])
            .await
    }

    // ----- faults -----

    /// Scripts faults: `mock.faults().on("POST", "/auth/login").nth(3).status(429).add().await?`.
    pub fn faults(&self) -> FaultControl<'_> {
        FaultControl { mock: self }
    }

    /// Removes every scripted fault.
    pub async fn clear_faults(&self) -> Result<(), MockControlError> {
        self.call::<Value>(Method::DELETE, "/__control/faults", None, &[200])
            .await
            .map(drop)
    }

    // ----- read back -----

    /// Every API request the mock received since it started or was reset, oldest first (the
    /// last 10,000).
    pub async fn requests(&self) -> Result<Vec<ReceivedRequest>, MockControlError> {
        self.read_requests("/__control/requests").await
    }

    /// The requests whose method is `method` (any if `None`, case-insensitive) and whose path
    /// ends with `path` (`/auth/login`).
    pub async fn requests_matching(
        &self,
        method: Option<&str>,
        path: &str,
    ) -> Result<Vec<ReceivedRequest>, MockControlError> {
        let mut url = url::Url::parse("http://mock/__control/requests").map_err(|e| {
            MockControlError::Body {
                method: "GET".into(),
                path: "/__control/requests".into(),
                message: e.to_string(),
            }
        })?;
        url.query_pairs_mut().append_pair("path", path);
        if let Some(m) = method {
            url.query_pairs_mut().append_pair("method", m);
        }
        let query = url.query().unwrap_or_default();
        self.read_requests(&format!("/__control/requests?{query}"))
            .await
    }

    async fn read_requests(&self, path: &str) -> Result<Vec<ReceivedRequest>, MockControlError> {
        #[derive(Deserialize)]
        struct Log {
            requests: Vec<ReceivedRequest>,
        }
        let log: Log = self.call(Method::GET, path, None, &[200]).await?;
        Ok(log.requests)
    }

    /// Empties the request log.
    pub async fn clear_requests(&self) -> Result<(), MockControlError> {
        self.call::<Value>(Method::DELETE, "/__control/requests", None, &[200])
            .await
            .map(drop)
    }

    /// The last passwordless login token issued for `email` (404 status error if none).
    pub async fn passwordless_token(&self, email: &str) -> Result<OneTimeToken, MockControlError> {
        self.call(
            Method::GET,
            &format!("/__control/passwordless/{}", segment(email)),
            None,
            &[200],
        )
        .await
    }

    /// The last password reset token issued for `email` (404 status error if none).
    pub async fn password_reset_token(
        &self,
        email: &str,
    ) -> Result<OneTimeToken, MockControlError> {
        self.call(
            Method::GET,
            &format!("/__control/password-reset/{}", segment(email)),
            None,
            &[200],
        )
        .await
    }

    /// Empties customers, tokens, lockouts, throttles, one-time and IdP tokens, faults and the
    /// request log; keeps sites, their settings and plans (and the clock).
    pub async fn reset(&self) -> Result<(), MockControlError> {
        self.call::<Value>(Method::POST, "/__control/reset", None, &[200])
            .await
            .map(drop)
    }

    /// One call; `path` is under the host root. Answers outside `ok` are errors.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        ok: &[u16],
    ) -> Result<T, MockControlError> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let transport = |source| MockControlError::Transport {
            method: method.to_string(),
            path: path.to_string(),
            source,
        };
        let res = req.send().await.map_err(transport)?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(transport)?;
        if !ok.contains(&status) {
            let text = String::from_utf8_lossy(&bytes);
            return Err(MockControlError::Status {
                method: method.to_string(),
                path: path.to_string(),
                status,
                body: text.chars().take(QUOTE_LIMIT).collect(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| MockControlError::Body {
            method: method.to_string(),
            path: path.to_string(),
            message: e.to_string(),
        })
    }
}

/// Site `s`'s seeded plan ids.
fn plan_ids_of(s: u64) -> [u64; 3] {
    let base = s.saturating_mul(1000);
    [base + 1, base + 2, base + 3]
}

/// `s` as one percent-encoded path segment.
fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Scripts fault rules on a mock ([`MockHandle::faults`]).
#[derive(Debug, Clone, Copy)]
pub struct FaultControl<'a> {
    mock: &'a MockHandle,
}

impl<'a> FaultControl<'a> {
    /// A rule for calls of `method` (case-insensitive) to `path` (`/auth/login`, relative to the
    /// API root, or the full path).
    pub fn on(self, method: &str, path: &str) -> FaultBuilder<'a> {
        FaultBuilder::new(self.mock, Some(method.to_string()), path)
    }

    /// A rule for calls of any method to `path`.
    pub fn on_any_method(self, path: &str) -> FaultBuilder<'a> {
        FaultBuilder::new(self.mock, None, path)
    }

    /// The scripted rules, each with the number of matching calls it has seen.
    pub async fn list(self) -> Result<Vec<ScriptedFault>, MockControlError> {
        #[derive(Deserialize)]
        struct Rules {
            rules: Vec<ScriptedFault>,
        }
        let r: Rules = self
            .mock
            .call(Method::GET, "/__control/faults", None, &[200])
            .await?;
        Ok(r.rules)
    }

    /// Removes every scripted rule.
    pub async fn clear(self) -> Result<(), MockControlError> {
        self.mock.clear_faults().await
    }
}

#[derive(Debug, Clone)]
enum Fault {
    Status { status: u16 },
    Delay(Duration),
    Drop,
    NotJson { status: u16 },
    ServerError,
}

/// One fault rule under construction; [`FaultBuilder::add`] scripts it.
///
/// Counting starts when the rule is added: `nth(3)` is the third matching call after `add`.
#[derive(Debug, Clone)]
#[must_use = "a fault rule does nothing until .add().await"]
pub struct FaultBuilder<'a> {
    mock: &'a MockHandle,
    method: Option<String>,
    path: String,
    nth: u64,
    times: u64,
    fault: Option<Fault>,
    headers: BTreeMap<String, String>,
    body: Option<Value>,
    report_id: Option<String>,
    message: Option<String>,
}

impl<'a> FaultBuilder<'a> {
    fn new(mock: &'a MockHandle, method: Option<String>, path: &str) -> FaultBuilder<'a> {
        FaultBuilder {
            mock,
            method,
            path: path.to_string(),
            nth: 1,
            times: 1,
            fault: None,
            headers: BTreeMap::new(),
            body: None,
            report_id: None,
            message: None,
        }
    }

    /// The first matching call that gets the fault (1-based; default 1).
    pub fn nth(mut self, n: u64) -> Self {
        self.nth = n;
        self
    }

    /// How many consecutive matching calls get it (default 1; 0: every call from `nth` on).
    pub fn times(mut self, n: u64) -> Self {
        self.times = n;
        self
    }

    /// Answer `status` with the documented error body for it (429: "Too many requests...").
    pub fn status(mut self, status: u16) -> Self {
        self.fault = Some(Fault::Status { status });
        self
    }

    /// A header on the faulted answer (`status` faults only), e.g. `Retry-After`.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_string(), value.to_string());
        self
    }

    /// The body of a `status` fault (any JSON) or of a `not_json` fault (a JSON string).
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Wait `by` (real time, capped at 60 s by the mock), then handle the call normally.
    pub fn delay(mut self, by: Duration) -> Self {
        self.fault = Some(Fault::Delay(by));
        self
    }

    /// Close the connection before any byte of an answer is sent.
    pub fn drop_connection(mut self) -> Self {
        self.fault = Some(Fault::Drop);
        self
    }

    /// Answer 200 `text/html` `<html>Bad Gateway</html>`; `.not_json_status(502)` changes it.
    pub fn not_json(mut self) -> Self {
        self.fault = Some(Fault::NotJson { status: 200 });
        self
    }

    /// Answer `status` with a body that is not JSON.
    pub fn not_json_status(mut self, status: u16) -> Self {
        self.fault = Some(Fault::NotJson { status });
        self
    }

    /// Answer 500 `{"error":{"report_id":…,"status":500,"message":…}}`.
    pub fn server_error(mut self) -> Self {
        self.fault = Some(Fault::ServerError);
        self
    }

    /// The `report_id` of a `server_error` fault (default: random hex).
    pub fn report_id(mut self, id: &str) -> Self {
        self.report_id = Some(id.to_string());
        self
    }

    /// The `message` of a `server_error` fault (default "Server Error").
    pub fn message(mut self, message: &str) -> Self {
        self.message = Some(message.to_string());
        self
    }

    /// The rule as the control API's JSON.
    pub fn to_json(&self) -> Result<Value, MockControlError> {
        let bad = |m: &str| {
            Err(MockControlError::InvalidFault(format!(
                "{}: {m}",
                self.path
            )))
        };
        if self.nth == 0 {
            return bad("nth counts from 1");
        }
        let Some(fault) = &self.fault else {
            return bad("no fault: call status, delay, drop_connection, not_json or server_error");
        };
        if !self.headers.is_empty() && !matches!(fault, Fault::Status { .. }) {
            return bad(".header() applies to status faults only");
        }
        if self.body.is_some() && !matches!(fault, Fault::Status { .. } | Fault::NotJson { .. }) {
            return bad(".body() applies to status and not_json faults only");
        }
        if (self.report_id.is_some() || self.message.is_some())
            && !matches!(fault, Fault::ServerError)
        {
            return bad(".report_id() and .message() apply to server_error faults only");
        }
        let fault = match fault {
            Fault::Status { status } => {
                if !(100..=599).contains(status) {
                    return bad("a status fault needs a status in 100..=599");
                }
                let mut f = Map::new();
                f.insert("type".into(), json!("status"));
                f.insert("status".into(), json!(status));
                f.insert("headers".into(), json!(self.headers));
                if let Some(b) = &self.body {
                    f.insert("body".into(), b.clone());
                }
                Value::Object(f)
            }
            Fault::Delay(d) => {
                json!({"type": "delay", "ms": u64::try_from(d.as_millis()).unwrap_or(u64::MAX)})
            }
            Fault::Drop => json!({"type": "drop"}),
            Fault::NotJson { status } => match &self.body {
                Some(Value::String(b)) => json!({"type": "not_json", "status": status, "body": b}),
                Some(_) => return bad("the body of a not_json fault is a string"),
                None => json!({"type": "not_json", "status": status}),
            },
            Fault::ServerError => {
                let mut f = Map::new();
                f.insert("type".into(), json!("server_error"));
                if let Some(r) = &self.report_id {
                    f.insert("report_id".into(), json!(r));
                }
                if let Some(m) = &self.message {
                    f.insert("message".into(), json!(m));
                }
                Value::Object(f)
            }
        };
        let mut rule = Map::new();
        if let Some(m) = &self.method {
            rule.insert("method".into(), json!(m));
        }
        rule.insert("path".into(), json!(self.path));
        rule.insert("nth".into(), json!(self.nth));
        rule.insert("times".into(), json!(self.times));
        rule.insert("fault".into(), fault);
        Ok(Value::Object(rule))
    }

    /// Scripts the rule on the mock; its call count starts now.
    pub async fn add(self) -> Result<(), MockControlError> {
        let rule = self.to_json()?;
        self.mock
            .call::<Value>(Method::POST, "/__control/faults", Some(rule), &[200])
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> MockHandle {
        MockHandle::new("http://127.0.0.1:9/", 7).expect("a client builds")
    }

    #[test]
    fn urls_and_plan_ids() {
        let h = handle();
        assert_eq!(h.root_url(), "http://127.0.0.1:9");
        assert_eq!(h.api_url(), "http://127.0.0.1:9/api/v1/sdk");
        assert_eq!(h.site_id(), 7);
        assert_eq!(h.plan_ids(), [7001, 7002, 7003]);
    }

    #[test]
    fn fault_rules_become_the_documented_json() {
        let h = handle();
        let rule = h
            .faults()
            .on("POST", "/auth/login")
            .nth(3)
            .status(429)
            .header("Retry-After", "2")
            .to_json()
            .expect("valid");
        assert_eq!(
            rule,
            json!({"method": "POST", "path": "/auth/login", "nth": 3, "times": 1,
                   "fault": {"type": "status", "status": 429, "headers": {"Retry-After": "2"}}})
        );
        let rule = h
            .faults()
            .on_any_method("/site")
            .times(0)
            .delay(Duration::from_millis(250))
            .to_json()
            .expect("valid");
        assert_eq!(
            rule,
            json!({"path": "/site", "nth": 1, "times": 0, "fault": {"type": "delay", "ms": 250}})
        );
        let rule = h
            .faults()
            .on("GET", "/site")
            .server_error()
            .report_id("abc")
            .to_json()
            .expect("valid");
        assert_eq!(
            rule["fault"],
            json!({"type": "server_error", "report_id": "abc"})
        );
        let rule = h
            .faults()
            .on("GET", "/site")
            .not_json_status(502)
            .body(json!("<p>down</p>"))
            .to_json()
            .expect("valid");
        assert_eq!(
            rule["fault"],
            json!({"type": "not_json", "status": 502, "body": "<p>down</p>"})
        );
    }

    #[test]
    fn contradictory_rules_are_refused() {
        let h = handle();
        let f = || h.faults().on("GET", "/site");
        for b in [
            f(),
            f().drop_connection().header("Retry-After", "1"),
            f().status(429).report_id("x"),
            f().status(99),
            f().drop_connection().body(json!({})),
            f().status(500).nth(0),
            f().body(json!({})),
            f().not_json().body(json!({"a": 1})),
        ] {
            assert!(
                matches!(b.to_json(), Err(MockControlError::InvalidFault(_))),
                "{b:?}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let c = SeededCustomer {
            id: 1,
            email: "a@example.com".into(),
            token: "eyJsecret".into(),
        };
        assert!(!format!("{c:?}").contains("eyJsecret"));
        let t = OneTimeToken {
            email: "a@example.com".into(),
            token: "onetime-secret".into(),
            account_id: 1,
            issued_at: 0,
            expires_at: 1,
            used: false,
        };
        assert!(!format!("{t:?}").contains("onetime-secret"));
    }

    #[test]
    fn emails_are_one_path_segment() {
        assert_eq!(segment("a+b@example.com"), "a%2Bb@example.com");
        assert_eq!(segment("x/y z"), "x%2Fy%20z");
    }
}
