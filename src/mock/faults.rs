//! Scripted faults: per-call failures for matching API requests (docs/mock.md "Faults").
//!
//! A rule matches by method (optional) and path (relative to `/api/v1/sdk`, e.g. `/auth/login`).
//! Every rule counts the matching calls it sees from the moment it was scripted; the call numbered
//! `nth` and the `times - 1` after it get the fault (`times: 0` means every call from `nth` on).
//! When several rules fire on one call, the first scripted wins.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::mock::app::Shared;
use crate::mock::conn::ConnInfo;
use crate::mock::errors::{ApiError, json_response};

fn one() -> u64 {
    1
}

fn ok_status() -> u16 {
    200
}

/// What happens to a faulted call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer `status` with `headers` and `body` (default: the documented error shape for the
    /// status) instead of handling the call.
    Status {
        status: u16,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: Option<Value>,
    },
    /// Wait `ms` milliseconds (real time), then handle the call normally.
    Delay { ms: u64 },
    /// Close the connection without answering.
    Drop,
    /// Answer a body that is not JSON (default `<html>Bad Gateway</html>`, `text/html`).
    NotJson {
        #[serde(default = "ok_status")]
        status: u16,
        #[serde(default)]
        body: Option<String>,
    },
    /// 500 `{"error":{"report_id":"…","status":500,"message":…}}`.
    ServerError {
        #[serde(default)]
        report_id: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
}

/// One scripted rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default)]
    pub method: Option<String>,
    pub path: String,
    #[serde(default = "one")]
    pub nth: u64,
    #[serde(default = "one")]
    pub times: u64,
    pub fault: FaultAction,
    /// Matching calls seen so far (read-only in the control API).
    #[serde(default)]
    pub seen: u64,
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        let want = self.path.strip_prefix("/api/v1/sdk").unwrap_or(&self.path);
        let want = want.trim_end_matches('/');
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && want == path.trim_end_matches('/')
    }

    fn fires(&self) -> bool {
        self.seen >= self.nth
            && (self.times == 0 || self.seen < self.nth.saturating_add(self.times))
    }
}

/// The scripted rules.
#[derive(Debug, Default)]
pub struct Faults {
    pub rules: Vec<FaultRule>,
}

impl Faults {
    /// Counts the call on every matching rule; returns the fault of the first that fires.
    pub fn on_call(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        let mut hit = None;
        for r in self.rules.iter_mut().filter(|r| r.matches(method, path)) {
            r.seen += 1;
            if hit.is_none() && r.fires() {
                hit = Some(r.fault.clone());
            }
        }
        hit
    }
}

fn default_body(status: u16) -> Value {
    let message = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    match status {
        429 => ApiError::Throttled { retry_after: 1 }.body(),
        500 => {
            json!({"error": {"report_id": crate::mock::tokens::random_hex(8), "status": 500, "message": "Server Error"}})
        }
        _ => json!({"error": {"report_id": null, "status": status, "message": message}}),
    }
}

/// Applies the scripted faults to API requests (the path here is relative to `/api/v1/sdk`).
pub async fn apply(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let action = app
        .faults()
        .on_call(req.method().as_str(), req.uri().path());
    let Some(action) = action else {
        return next.run(req).await;
    };
    match action {
        FaultAction::Status {
            status,
            headers,
            body,
        } => {
            let mut resp = json_response(status, body.unwrap_or_else(|| default_body(status)));
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                    resp.headers_mut().insert(k, v);
                }
            }
            resp
        }
        FaultAction::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
            next.run(req).await
        }
        FaultAction::Drop => {
            if let Some(ConnectInfo(conn)) = req.extensions().get::<ConnectInfo<ConnInfo>>() {
                conn.kill();
            }
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        FaultAction::NotJson { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut resp = (
                status,
                Body::from(body.unwrap_or_else(|| "<html>Bad Gateway</html>".into())),
            )
                .into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            resp
        }
        FaultAction::ServerError { report_id, message } => json_response(
            500,
            json!({"error": {
                "report_id": report_id.unwrap_or_else(|| crate::mock::tokens::random_hex(8)),
                "status": 500,
                "message": message.unwrap_or_else(|| "Server Error".into()),
            }}),
        ),
    }
}
