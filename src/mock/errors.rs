//! The documented error shapes (docs/wire.md "Errors") and the messages the mock uses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

pub const INVALID_CREDENTIALS: &str = "Invalid credentials! Please try again.";
pub const TOO_MANY_LOGINS: &str = "Too many login attempts. Please try again later.";
pub const TOKEN_NOT_PROVIDED: &str = "Token not provided";
pub const TOKEN_EXPIRED: &str = "Authentication token has expired, please try again";
pub const TOKEN_BLACKLISTED: &str = "Authentication token has been blacklisted, please try again";
pub const TOKEN_INVALID: &str = "Authentication token is invalid, please try again";
pub const TOKEN_INVALID_OR_EXPIRED: &str = "Invalid or expired token";
pub const TOO_MANY_REQUESTS: &str = "Too many requests. Please try again later.";

/// An error answer of the API.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400 `{"errors":{field:[messages]}}`, fields in order.
    Validation(Vec<(String, Vec<String>)>),
    /// `{"error":{"report_id":null,"status":N,"message":…}}`.
    App { status: u16, message: String },
    /// 401 `{"error":{"message":"Token not provided"}}`.
    NoToken,
    /// `{"error":{"status":N,"message":…}}` (403, or 401 under the public-pages profile).
    Token { status: u16, message: String },
    /// 429 with `Retry-After`.
    Throttled { retry_after: i64 },
    /// The login lockout: 400 `errors.email`, or 429 with the same body and `Retry-After`.
    Lockout { status: u16, retry_after: i64 },
}

impl ApiError {
    /// A single-field validation error.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![(field.to_string(), vec![message.into()])])
    }

    pub fn app(status: u16, message: impl Into<String>) -> ApiError {
        ApiError::App {
            status,
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Validation(_) => 400,
            ApiError::App { status, .. } | ApiError::Token { status, .. } => *status,
            ApiError::NoToken => 401,
            ApiError::Throttled { .. } => 429,
            ApiError::Lockout { status, .. } => *status,
        }
    }

    pub fn body(&self) -> Value {
        match self {
            ApiError::Validation(fields) => {
                let mut m = Map::new();
                for (f, msgs) in fields {
                    m.insert(f.clone(), json!(msgs));
                }
                json!({ "errors": m })
            }
            ApiError::App { status, message } => {
                json!({"error": {"report_id": null, "status": status, "message": message}})
            }
            ApiError::NoToken => json!({"error": {"message": TOKEN_NOT_PROVIDED}}),
            ApiError::Token { status, message } => {
                json!({"error": {"status": status, "message": message}})
            }
            ApiError::Throttled { .. } => {
                json!({"error": {"report_id": null, "status": 429, "message": TOO_MANY_REQUESTS}})
            }
            ApiError::Lockout { .. } => json!({"errors": {"email": [TOO_MANY_LOGINS]}}),
        }
    }
}

/// A JSON response with a status.
pub fn json_response(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = json_response(self.status(), self.body());
        let retry = match &self {
            ApiError::Throttled { retry_after } => Some(*retry_after),
            ApiError::Lockout {
                status: 429,
                retry_after,
            } => Some(*retry_after),
            _ => None,
        };
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// Collects validation messages field by field, in the order they are found.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<(String, Vec<String>)>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if let Some((_, msgs)) = self.0.iter_mut().find(|(f, _)| f == field) {
            msgs.push(message.into());
        } else {
            self.0.push((field.to_string(), vec![message.into()]));
        }
    }

    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}
