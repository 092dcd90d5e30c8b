//! What every API handler starts from: the resolved site, the JSON body, the bearer token and the
//! requester's IP. Also the intake middleware that logs each API request for the control API.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, FromRequest, OriginalUri, Query, Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::mock::app::Shared;
use crate::mock::conn::ConnInfo;
use crate::mock::errors::ApiError;
use crate::profile::SiteProfile;

/// The largest request body the mock reads (bytes); larger is 400 `errors.body`.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// How many requests the log keeps (oldest dropped first).
const LOG_LIMIT: usize = 10_000;

pub const SITE_REQUIRED: &str = "The site id field is required.";
pub const SITE_INVALID: &str = "The selected site id is invalid.";

/// The body of a POST/PUT, classified.
#[derive(Debug, Clone)]
pub enum BodyState {
    Empty,
    Object(Map<String, Value>),
    NotJson,
    NotObject,
}

impl BodyState {
    fn parse(method: &Method, bytes: &[u8]) -> BodyState {
        if !matches!(
            *method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        ) {
            return BodyState::Empty;
        }
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return BodyState::Empty;
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => BodyState::Object(m),
            Ok(_) => BodyState::NotObject,
            Err(_) => BodyState::NotJson,
        }
    }

    fn site_id(&self) -> Option<&Value> {
        match self {
            BodyState::Object(m) => m.get("site_id"),
            _ => None,
        }
    }
}

/// An API request with its site resolved.
pub struct ApiRequest {
    pub site_id: u64,
    pub site: SiteProfile,
    pub body: BodyState,
    pub bearer: Option<String>,
    pub ip: IpAddr,
    pub query: HashMap<String, String>,
    /// The full path (`/api/v1/sdk/auth/login`), for the tokens' `iss`.
    pub path: String,
}

impl ApiRequest {
    /// The JSON body as an object (an empty body is `{}`); otherwise 400 `errors.body`.
    pub fn object(&self) -> Result<Map<String, Value>, ApiError> {
        match &self.body {
            BodyState::Empty => Ok(Map::new()),
            BodyState::Object(m) => Ok(m.clone()),
            BodyState::NotJson => Err(ApiError::field(
                "body",
                "The request body must be valid JSON.",
            )),
            BodyState::NotObject => Err(ApiError::field(
                "body",
                "The request body must be a JSON object.",
            )),
        }
    }
}

fn query_of(uri: &Uri) -> HashMap<String, String> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

/// `site_id` from the query, else from the body; `Err(())` when missing or not a number.
fn site_id_of(query: &HashMap<String, String>, body: &BodyState) -> Option<u64> {
    if let Some(q) = query.get("site_id") {
        return q.trim().parse().ok();
    }
    match body.site_id()? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bearer_of(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

fn too_large() -> ApiError {
    ApiError::field(
        "body",
        format!("The request body must not be greater than {BODY_LIMIT} bytes."),
    )
}

/// The requester's IP: the connection's, or the first `X-Forwarded-For` entry when trusted.
pub fn client_ip(app: &Shared, headers: &HeaderMap, conn: Option<&ConnInfo>) -> IpAddr {
    if app.trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip.to_canonical();
    }
    conn.map(|c| c.remote.ip().to_canonical())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

impl FromRequest<Shared> for ApiRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Shared) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.path().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string());
        let query = query_of(&parts.uri);
        let bytes = to_bytes(body, BODY_LIMIT).await.map_err(|_| too_large())?;
        let body = BodyState::parse(&parts.method, &bytes);
        let site_id =
            site_id_of(&query, &body).ok_or_else(|| ApiError::field("site_id", SITE_REQUIRED))?;
        let site = app
            .store()
            .sites
            .get(&site_id)
            .cloned()
            .ok_or_else(|| ApiError::field("site_id", SITE_INVALID))?;
        let conn = parts
            .extensions
            .get::<ConnectInfo<ConnInfo>>()
            .map(|c| &c.0);
        Ok(ApiRequest {
            site_id,
            site,
            body,
            bearer: bearer_of(&parts.headers),
            ip: client_ip(app, &parts.headers, conn),
            query,
            path,
        })
    }
}

/// One request the mock received (`GET /__control/requests`).
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub bearer: bool,
    pub site_id: Option<u64>,
    /// The virtual time (unix seconds) when the request arrived.
    pub at: i64,
    /// The real wall-clock time (unix milliseconds) when the request arrived, before any fault
    /// delay: lets an SDK test check how long a client really waited between two calls.
    pub received_ms: u64,
}

/// The real time in unix milliseconds (0 if the system clock is before 1970).
fn real_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Buffers the body (refusing oversized ones with 400) and logs the request.
pub async fn intake(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return too_large().into_response(),
    };
    let query = query_of(&parts.uri);
    let state = BodyState::parse(&parts.method, &bytes);
    let record = RequestRecord {
        method: parts.method.to_string(),
        path: parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.path().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string()),
        query: parts.uri.query().map(str::to_string),
        bearer: bearer_of(&parts.headers).is_some(),
        site_id: site_id_of(&query, &state),
        at: app.clock.now(),
        received_ms: real_now_ms(),
    };
    {
        let mut log = app.requests();
        if log.len() >= LOG_LIMIT {
            log.remove(0);
        }
        log.push(record);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
