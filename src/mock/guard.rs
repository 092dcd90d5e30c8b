//! The control API's guard. `/__control` can reset, reseed and take over every customer of the
//! mock, so a mock that serves beyond loopback (`--allow-remote`) requires a control token
//! ([`crate::mock::MockConfig::control_token`]) on every control request: `Authorization: Bearer
//! TOKEN` or `X-Control-Token: TOKEN`. Without a configured token (the default, loopback-only
//! mock) the guard lets everything through.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::mock::app::Shared;

/// The header a control client may send the token in (besides `Authorization: Bearer`).
pub const CONTROL_TOKEN_HEADER: &str = "x-control-token";

/// Refuses control requests without the configured token (401, a JSON error).
pub async fn require_control_token(
    State(app): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    match &app.control_token {
        Some(expected) if !carries(request.headers(), expected) => (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":{"status":401,"message":"the control API requires the mock's control token"}}"#,
        )
            .into_response(),
        _ => next.run(request).await,
    }
}

fn carries(headers: &HeaderMap, expected: &str) -> bool {
    let given = headers
        .get(CONTROL_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .or_else(|| {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().strip_prefix("Bearer "))
                .map(str::trim)
        });
    given.is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

/// Compares without stopping at the first difference (the time taken tells nothing of the token).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_either_header_and_compared_whole() {
        let mut headers = HeaderMap::new();
        assert!(!carries(&headers, "s3cret-token"));
        headers.insert(CONTROL_TOKEN_HEADER, "s3cret-token".parse().unwrap());
        assert!(carries(&headers, "s3cret-token"));
        assert!(!carries(&headers, "s3cret-token2"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "Bearer s3cret-token".parse().unwrap(),
        );
        assert!(carries(&headers, "s3cret-token"));
        assert!(!carries(&headers, "s3cret-tokeN"));
    }
}
