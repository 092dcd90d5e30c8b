//! A small typed client of the Pelcro Open API: the pattern an SDK crate copies.
//!
//! - `PelcroClient::new(base_url, site_id)`; `site_id` goes in the query of every request.
//! - The token from register, login, refresh and `PUT /customer` is stored and sent as
//!   `Authorization: Bearer`; it is forgotten on logout and whenever the API refuses it
//!   (401 or 403). It never appears in `Debug` output or in an error.
//! - 429 and 503 are retried a bounded number of times, waiting `Retry-After` (seconds or an
//!   HTTP date) when given, else an exponential backoff; a `Retry-After` longer than
//!   `RetryPolicy::max_wait` is not waited for. The sleep is injectable (`with_sleeper`), so
//!   tests need not sleep for real.
//! - Every documented error shape maps to one `PelcroError` variant.
//!
//! Tests include this file with `#[path]`; it depends only on reqwest, serde, serde_json,
//! thiserror, tokio and httpdate.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The API's path under the host root.
pub const API_ROOT: &str = "/api/v1/sdk";

/// Sleeps for a duration: `tokio::time::sleep` by default; tests inject their own.
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// How 429 and 503 answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The longest single wait; a longer `Retry-After` is returned as an error instead.
    pub max_wait: Duration,
    /// The first wait when the answer has no usable `Retry-After`; doubled on each retry.
    pub base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            max_wait: Duration::from_secs(60),
            base_backoff: Duration::from_secs(1),
        }
    }
}

/// A Pelcro customer: the fields of `docs/wire.md` a client reads. The token is not here (the
/// client keeps it), so printing a customer never prints a token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Customer {
    /// The customer's id.
    pub id: u64,
    /// Email address.
    pub email: String,
    /// Whether the email is confirmed.
    #[serde(default)]
    pub email_confirm: bool,
    /// Username, if set.
    #[serde(default)]
    pub username: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// First and last name.
    #[serde(default)]
    pub name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Two-letter language code.
    #[serde(default)]
    pub language: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Whether the customer has a password (IdP customers may not).
    #[serde(default)]
    pub has_password: bool,
    /// ISO 8601 UTC.
    #[serde(default)]
    pub created_at: Option<String>,
    /// ISO 8601 UTC.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// ISO 8601 UTC; null before the first login.
    #[serde(default)]
    pub last_login_at: Option<String>,
}

/// A partial update for `PUT /customer`: unset fields are left alone, `Some(None)` clears.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustomerUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Map<String, Value>>,
}

impl CustomerUpdate {
    /// An update that changes nothing.
    pub fn new() -> Self {
        Self::default()
    }
    /// Changes the email (unconfirms it).
    pub fn email(mut self, v: &str) -> Self {
        self.email = Some(v.to_string());
        self
    }
    /// Sets (`Some`) or clears (`None`) the first name.
    pub fn first_name(mut self, v: Option<&str>) -> Self {
        self.first_name = Some(v.map(str::to_string));
        self
    }
    /// Sets or clears the last name.
    pub fn last_name(mut self, v: Option<&str>) -> Self {
        self.last_name = Some(v.map(str::to_string));
        self
    }
    /// Sets or clears the display name.
    pub fn display_name(mut self, v: Option<&str>) -> Self {
        self.display_name = Some(v.map(str::to_string));
        self
    }
    /// Sets or clears the username.
    pub fn username(mut self, v: Option<&str>) -> Self {
        self.username = Some(v.map(str::to_string));
        self
    }
    /// Sets or clears the phone number.
    pub fn phone(mut self, v: Option<&str>) -> Self {
        self.phone = Some(v.map(str::to_string));
        self
    }
    /// Sets or clears the language.
    pub fn language(mut self, v: Option<&str>) -> Self {
        self.language = Some(v.map(str::to_string));
        self
    }
    /// Replaces the whole metadata object.
    pub fn metadata(mut self, v: Map<String, Value>) -> Self {
        self.metadata = Some(v);
        self
    }
}

/// What went wrong, one variant per documented error shape (`docs/wire.md`).
#[derive(Debug, thiserror::Error)]
pub enum PelcroError {
    /// 400 `{"errors":{"field":["message"]}}`: validation (and the lockout, under `email`).
    #[error("invalid request: {}", field_list(.errors))]
    Validation {
        /// Messages by field, as the API sent them.
        errors: BTreeMap<String, Vec<String>>,
    },
    /// 401: no token was sent ("Token not provided"), or, on sites configured so, an invalid or
    /// expired one. The client has forgotten its token.
    #[error("not authenticated (401): {message}")]
    Unauthenticated {
        /// The API's message.
        message: String,
    },
    /// 403: the token was refused (expired, blacklisted, invalid). The client has forgotten it.
    #[error("token refused (403): {message}")]
    TokenRefused {
        /// The API's message.
        message: String,
    },
    /// 404 on login: wrong email, username or password.
    #[error("invalid credentials: {message}")]
    InvalidCredentials {
        /// The API's message.
        message: String,
    },
    /// Any other 404 (unknown plan, email, path).
    #[error("not found: {message}")]
    NotFound {
        /// The API's message.
        message: String,
    },
    /// 429 after the retries were used up, or with a `Retry-After` longer than `max_wait`.
    #[error("rate limited (429): {message}{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The last `Retry-After`, if any.
        retry_after: Option<Duration>,
        /// The API's message.
        message: String,
    },
    /// 5xx; `report_id` identifies a 500 to Pelcro's support.
    #[error("server error ({status}): {message}{}", report_id.as_deref().map(|r| format!(" (report {r})")).unwrap_or_default())]
    Server {
        /// The status.
        status: u16,
        /// The report id of a 500.
        report_id: Option<String>,
        /// The API's message.
        message: String,
    },
    /// Any other error status.
    #[error("API error ({status}): {message}")]
    Api {
        /// The status.
        status: u16,
        /// The API's message.
        message: String,
    },
    /// An answer that is not the documented JSON.
    #[error("unexpected answer ({status}): {snippet}")]
    UnexpectedBody {
        /// The status.
        status: u16,
        /// The start of the body.
        snippet: String,
    },
    /// No answer: connection refused, dropped or timed out.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
}

fn field_list(errors: &BTreeMap<String, Vec<String>>) -> String {
    errors
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A client of one Pelcro site.
pub struct PelcroClient {
    http: reqwest::Client,
    api: String,
    site_id: u64,
    token: Mutex<Option<String>>,
    retry: RetryPolicy,
    sleeper: Sleeper,
}

impl fmt::Debug for PelcroClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PelcroClient")
            .field("api", &self.api)
            .field("site_id", &self.site_id)
            .field("has_token", &self.has_token())
            .field("retry", &self.retry)
            .finish()
    }
}

impl PelcroClient {
    /// A client of site `site_id` at `base_url`: the host root (`https://www.pelcro.com`) or the
    /// API root (`…/api/v1/sdk`).
    pub fn new(base_url: &str, site_id: u64) -> Result<PelcroClient, PelcroError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(PelcroError::Transport)?;
        let root = base_url.trim_end_matches('/');
        let api = if root.ends_with(API_ROOT) {
            root.to_string()
        } else {
            format!("{root}{API_ROOT}")
        };
        Ok(PelcroClient {
            http,
            api,
            site_id,
            token: Mutex::new(None),
            retry: RetryPolicy::default(),
            sleeper: Arc::new(|d| Box::pin(tokio::time::sleep(d))),
        })
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces how the client sleeps between retries.
    pub fn with_sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The site id sent with every request.
    pub fn site_id(&self) -> u64 {
        self.site_id
    }

    /// The stored token, to persist a session. Handle it as a secret.
    pub fn token(&self) -> Option<String> {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether a token is stored.
    pub fn has_token(&self) -> bool {
        self.token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Replaces the stored token (to resume a session), or forgets it (`None`).
    pub fn set_token(&self, token: Option<String>) {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// `POST /auth/register`; stores the new token.
    pub async fn register(&self, email: &str, password: &str) -> Result<Customer, PelcroError> {
        let body = serde_json::json!({"email": email, "password": password});
        let data = self
            .send(Method::POST, "/auth/register", Some(&body), false)
            .await?;
        self.keep_token(&data);
        customer(data)
    }

    /// `POST /auth/login` by email; stores the new token. Wrong credentials:
    /// `PelcroError::InvalidCredentials`.
    pub async fn login(&self, email: &str, password: &str) -> Result<Customer, PelcroError> {
        let body = serde_json::json!({"email": email, "password": password});
        let data = self
            .send(Method::POST, "/auth/login", Some(&body), false)
            .await
            .map_err(|e| match e {
                PelcroError::NotFound { message } => PelcroError::InvalidCredentials { message },
                e => e,
            })?;
        self.keep_token(&data);
        customer(data)
    }

    /// `POST /customer`: the customer the stored token belongs to.
    pub async fn retrieve(&self) -> Result<Customer, PelcroError> {
        customer(self.send(Method::POST, "/customer", None, true).await?)
    }

    /// `PUT /customer`, partial; stores the fresh token it returns.
    pub async fn update(&self, update: &CustomerUpdate) -> Result<Customer, PelcroError> {
        let body = serde_json::to_value(update).map_err(|e| PelcroError::UnexpectedBody {
            status: 0,
            snippet: e.to_string(),
        })?;
        let data = self
            .send(Method::PUT, "/customer", Some(&body), true)
            .await?;
        self.keep_token(&data);
        customer(data)
    }

    /// `POST /customer/refresh`: a fresh token replaces the stored one, which the API then
    /// refuses.
    pub async fn refresh(&self) -> Result<Customer, PelcroError> {
        let data = self
            .send(Method::POST, "/customer/refresh", None, true)
            .await?;
        self.keep_token(&data);
        customer(data)
    }

    /// `POST /auth/logout`: the API refuses the token from now on; the client forgets it.
    pub async fn logout(&self) -> Result<Customer, PelcroError> {
        let data = self.send(Method::POST, "/auth/logout", None, true).await;
        self.set_token(None);
        customer(data?)
    }

    fn keep_token(&self, data: &Value) {
        let token = data
            .get("auth_token")
            .or_else(|| data.get("token"))
            .and_then(Value::as_str);
        if let Some(t) = token {
            self.set_token(Some(t.to_string()));
        }
    }

    /// One API call with retries; returns the envelope's `data`.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        auth: bool,
    ) -> Result<Value, PelcroError> {
        let url = format!("{}{path}", self.api);
        let mut retries = 0u32;
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .query(&[("site_id", self.site_id)])
                .header(reqwest::header::ACCEPT, "application/json");
            let sent_token = if auth { self.token() } else { None };
            if let Some(t) = &sent_token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let res = req.send().await.map_err(PelcroError::Transport)?;
            let status = res.status().as_u16();
            let retry_after = res
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let bytes = res.bytes().await.map_err(PelcroError::Transport)?;
            if matches!(status, 429 | 503) && retries < self.retry.max_retries {
                let wait = retry_after.unwrap_or_else(|| {
                    self.retry
                        .base_backoff
                        .saturating_mul(2u32.saturating_pow(retries))
                });
                if wait <= self.retry.max_wait {
                    (self.sleeper)(wait).await;
                    retries += 1;
                    continue;
                }
            }
            let result = answer(status, retry_after, &bytes);
            if matches!(
                result,
                Err(PelcroError::Unauthenticated { .. } | PelcroError::TokenRefused { .. })
            ) && sent_token.is_some()
            {
                // Forget the refused token, unless another call has replaced it meanwhile.
                let mut stored = self.token.lock().unwrap_or_else(|e| e.into_inner());
                if *stored == sent_token {
                    *stored = None;
                }
            }
            return result;
        }
    }
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn customer(data: Value) -> Result<Customer, PelcroError> {
    serde_json::from_value(data).map_err(|e| PelcroError::UnexpectedBody {
        status: 200,
        snippet: format!("not a customer: {e}"),
    })
}

/// Maps one final answer to `data` or an error.
fn answer(status: u16, retry_after: Option<Duration>, bytes: &[u8]) -> Result<Value, PelcroError> {
    let unexpected = || PelcroError::UnexpectedBody {
        status,
        snippet: String::from_utf8_lossy(bytes).chars().take(200).collect(),
    };
    let json: Value = serde_json::from_slice(bytes).map_err(|_| unexpected())?;
    if (200..300).contains(&status) {
        return json.get("data").cloned().ok_or_else(unexpected);
    }
    let message = json
        .pointer("/error/message")
        .and_then(Value::as_str)
        .or_else(|| {
            json.get("errors")
                .and_then(Value::as_object)
                .and_then(|m| m.values().next())
                .and_then(|v| v.get(0))
                .and_then(Value::as_str)
        })
        .unwrap_or_default()
        .to_string();
    Err(match status {
        400 => match json.get("errors").and_then(Value::as_object) {
            Some(fields) => PelcroError::Validation {
                errors: fields
                    .iter()
                    .map(|(k, v)| {
                        let msgs = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (k.clone(), msgs)
                    })
                    .collect(),
            },
            None => PelcroError::Api { status, message },
        },
        401 => PelcroError::Unauthenticated { message },
        403 => PelcroError::TokenRefused { message },
        404 => PelcroError::NotFound { message },
        429 => PelcroError::RateLimited {
            retry_after,
            message,
        },
        500..=599 => PelcroError::Server {
            status,
            report_id: json
                .pointer("/error/report_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            message,
        },
        _ => PelcroError::Api { status, message },
    })
}
