//! Passwordless, identity-provider login and the forgot/reset password journey.

mod common;

use common::Mock;
use pelcro_conformance::profile::{SiteProfile, ThrottlePolicy};
use reqwest::Method;
use serde_json::{Value, json};

async fn pwl_token(m: &Mock, email: &str) -> String {
    let r = m
        .control(Method::GET, &format!("/passwordless/{email}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["token"].as_str().unwrap().to_string()
}

fn token_invalid() -> Value {
    json!({"errors": {"token": ["The token is invalid or has expired."]}})
}

#[tokio::test]
async fn passwordless_request_then_login_once() {
    let m = Mock::start().await;
    let id = m.register("pl@example.com", "secret1").await.body["data"]["id"].clone();
    let r = m
        .post(
            "/auth/passwordless/request",
            json!({"email": "pl@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "success");
    assert!(r.body["data"]["message"].is_string());
    let token = pwl_token(&m, "pl@example.com").await;
    let r = m
        .post("/auth/passwordless/login", json!({"token": token}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["id"], id);
    assert!(r.body["data"]["auth_token"].is_string());
    let again = m
        .post("/auth/passwordless/login", json!({"token": token}))
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body, token_invalid());
}

#[tokio::test]
async fn passwordless_tokens_expire() {
    let m = Mock::start().await;
    m.register("exp@example.com", "secret1").await;
    m.post(
        "/auth/passwordless/request",
        json!({"email": "exp@example.com"}),
    )
    .await;
    let token = pwl_token(&m, "exp@example.com").await;
    m.advance(15 * 60).await;
    let r = m
        .post("/auth/passwordless/login", json!({"token": token}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, token_invalid());
    let r = m.post("/auth/passwordless/login", json!({})).await;
    assert_eq!(
        r.body,
        json!({"errors": {"token": ["The token field is required."]}})
    );
}

#[tokio::test]
async fn passwordless_disabled_and_unknown_email() {
    let m = Mock::with_profile(SiteProfile {
        passwordless_enabled: false,
        ..Default::default()
    })
    .await;
    m.register("d@example.com", "secret1").await;
    let r = m
        .post(
            "/auth/passwordless/request",
            json!({"email": "d@example.com"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"error": {"report_id": null, "status": 400, "message": "Passwordless login is not enabled for this site."}})
    );
    let m = Mock::start().await;
    let r = m
        .post(
            "/auth/passwordless/request",
            json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["status"], 404);
    assert_eq!(r.body["error"]["report_id"], Value::Null);
}

#[tokio::test]
async fn passwordless_throttle_with_retry_after_from_the_virtual_clock() {
    let m = Mock::with_profile(SiteProfile {
        passwordless_throttle: ThrottlePolicy {
            requests: 2,
            window_seconds: 600,
        },
        ..Default::default()
    })
    .await;
    m.register("th@example.com", "secret1").await;
    m.register("other@example.com", "secret1").await;
    for _ in 0..2 {
        assert_eq!(
            m.post(
                "/auth/passwordless/request",
                json!({"email": "th@example.com"})
            )
            .await
            .status,
            200
        );
        m.advance(100).await;
    }
    let r = m
        .post(
            "/auth/passwordless/request",
            json!({"email": "th@example.com"}),
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.body,
        json!({"error": {"report_id": null, "status": 429, "message": "Too many requests. Please try again later."}})
    );
    assert_eq!(r.headers["retry-after"], "400");
    // Per email: another customer is not throttled.
    assert_eq!(
        m.post(
            "/auth/passwordless/request",
            json!({"email": "other@example.com"})
        )
        .await
        .status,
        200
    );
    m.advance(400).await;
    assert_eq!(
        m.post(
            "/auth/passwordless/request",
            json!({"email": "th@example.com"})
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn idp_login_creates_then_finds_the_customer_with_the_profile_in_metadata() {
    let m = Mock::start().await;
    for (provider, token) in [
        ("google", "g-token"),
        ("facebook", "fb-token"),
        ("auth0", "a0-token"),
    ] {
        let r = m
            .control(Method::POST, "/idp/tokens", Some(json!({"provider": provider, "token": token,
                "profile": {"email": "social@example.com", "first_name": "So", "last_name": "Cial", "id": format!("{provider}-42")}})))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = m
        .post(
            "/auth/idp/login",
            json!({"idp_name": "google", "idp_token": "g-token"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["data"]["id"].clone();
    assert_eq!(r.body["data"]["email"], "social@example.com");
    assert_eq!(r.body["data"]["first_name"], "So");
    assert_eq!(r.body["data"]["has_password"], false);
    assert_eq!(
        r.body["data"]["metadata"]["google"],
        json!({"id": "google-42", "email": "social@example.com", "first_name": "So", "last_name": "Cial"})
    );
    let r = m
        .post(
            "/auth/idp/login",
            json!({"idp_name": "facebook", "idp_token": "fb-token"}),
        )
        .await;
    assert_eq!(r.body["data"]["id"], id);
    assert_eq!(r.body["data"]["metadata"]["facebook"]["id"], "facebook-42");
    assert!(r.body["data"]["metadata"]["google"].is_object());
    let r = m
        .post(
            "/auth/idp/login",
            json!({"idp_name": "auth0", "idp_token": "a0-token"}),
        )
        .await;
    assert_eq!(r.body["data"]["id"], id);
    let token = r.token();
    assert_eq!(
        m.call(Method::POST, "/customer", Some(&token), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn idp_login_refuses_unknown_tokens_and_providers() {
    let m = Mock::start().await;
    let r = m
        .post(
            "/auth/idp/login",
            json!({"idp_name": "google", "idp_token": "nope"}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, common::invalid_credentials());
    let r = m
        .post(
            "/auth/idp/login",
            json!({"idp_name": "myspace", "idp_token": "x"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"idp_name": ["The selected idp name is invalid."]}})
    );
    let r = m.post("/auth/idp/login", json!({})).await;
    assert_eq!(
        r.body,
        json!({"errors": {"idp_name": ["The idp name field is required."], "idp_token": ["The idp token field is required."]}})
    );
}

#[tokio::test]
async fn forgot_then_reset_the_password() {
    let m = Mock::start().await;
    m.register("fr@example.com", "secret1").await;
    let r = m
        .post("/password/forgot", json!({"email": "nobody@example.com"}))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        json!({"error": {"report_id": null, "status": 404, "message": "We can't find a user with that email address."}})
    );
    let r = m
        .post("/password/forgot", json!({"email": "fr@example.com"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "success");
    let t = m
        .control(Method::GET, "/password-reset/fr@example.com", None)
        .await;
    assert_eq!(t.status, 200);
    let token = t.body["token"].as_str().unwrap().to_string();
    let bad = m
        .post("/password/reset", json!({"email": "fr@example.com", "token": "wrong", "password": "brandnew1", "password_confirmation": "brandnew1"}))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body,
        json!({"errors": {"token": ["This password reset token is invalid."]}})
    );
    let mismatch = m
        .post("/password/reset", json!({"email": "fr@example.com", "token": token, "password": "brandnew1", "password_confirmation": "other"}))
        .await;
    assert_eq!(
        mismatch.body,
        json!({"errors": {"password": ["The password confirmation does not match."]}})
    );
    let r = m
        .post("/password/reset", json!({"email": "fr@example.com", "token": token, "password": "brandnew1", "password_confirmation": "brandnew1"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(m.login("fr@example.com", "secret1").await.status, 404);
    assert_eq!(m.login("fr@example.com", "brandnew1").await.status, 200);
    // One use only.
    let again = m
        .post("/password/reset", json!({"email": "fr@example.com", "token": token, "password": "another1", "password_confirmation": "another1"}))
        .await;
    assert_eq!(again.status, 400);
}
