//! Password.
use crate::mock::app::Shared;
use crate::mock::errors::ApiError;
use crate::mock::handlers::ApiResult;
use crate::mock::request::ApiRequest;
use axum::extract::State;
pub async fn update(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn forgot(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn reset(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
