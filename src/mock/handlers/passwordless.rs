//! Passwordless.
use crate::mock::app::Shared;
use crate::mock::errors::ApiError;
use crate::mock::handlers::ApiResult;
use crate::mock::request::ApiRequest;
use axum::extract::State;
pub async fn request(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn login(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
