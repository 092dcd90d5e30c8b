//! The API's handlers, one file per area.

pub mod auth;
pub mod customer;
pub mod idp;
pub mod password;
pub mod passwordless;
pub mod site;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::mock::errors::ApiError;

/// A handler's answer.
pub type ApiResult = Result<Response, ApiError>;

/// 200 with a JSON body.
pub fn ok(body: Value) -> ApiResult {
    Ok(Json(body).into_response())
}

/// `{"status":"success","data":{"message":…}}`.
pub fn message(text: &str) -> ApiResult {
    ok(serde_json::json!({"status": "success", "data": {"message": text}}))
}
