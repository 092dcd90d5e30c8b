//! Site.
use crate::mock::app::Shared;
use crate::mock::errors::ApiError;
use crate::mock::handlers::ApiResult;
use crate::mock::request::ApiRequest;
use axum::extract::State;
pub async fn site(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn plan(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn plan_ip(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn plan_domain(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn geo_country(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
pub async fn location(State(_app): State<Shared>, _req: ApiRequest) -> ApiResult {
    Err(ApiError::app(501, "todo"))
}
