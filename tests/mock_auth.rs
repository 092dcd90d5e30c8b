//! Register, login, logout and the customer endpoints of the mock, over HTTP.

mod common;

use common::{Mock, invalid_credentials};
use reqwest::Method;
use rstest::rstest;
use serde_json::{Value, json};

#[tokio::test]
async fn register_returns_the_customer_with_a_token() {
    let m = Mock::start().await;
    let r = m
        .post(
            "/auth/register",
            json!({"email": "john@example.com", "password": "secret1", "first_name": "John",
                   "last_name": "Doe", "display_name": "JD", "username": "john_d-1",
                   "phone": "+15550100", "language": "en", "metadata": {"k": "v"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "success");
    let d = &r.body["data"];
    assert!(d["id"].as_u64().is_some());
    assert_eq!(d["email"], "john@example.com");
    assert_eq!(d["email_confirm"], false);
    assert_eq!(d["first_name"], "John");
    assert_eq!(d["last_name"], "Doe");
    assert_eq!(d["name"], "John Doe");
    assert_eq!(d["full_name"], "John Doe");
    assert_eq!(d["display_name"], "JD");
    assert_eq!(d["username"], "john_d-1");
    assert_eq!(d["phone"], "+15550100");
    assert_eq!(d["language"], "en");
    assert_eq!(d["metadata"], json!({"k": "v"}));
    assert_eq!(d["has_password"], true);
    assert_eq!(d["subscriptions"], json!([]));
    assert_eq!(d["addresses"], json!([]));
    assert_eq!(d["source"], Value::Null);
    assert!(d["created_at"].as_str().unwrap().ends_with(".000000Z"));
    let token = d["auth_token"].as_str().unwrap();
    assert_eq!(d["token"], token);
    assert_eq!(token.split('.').count(), 3);
}

#[tokio::test]
async fn register_twice_is_taken_and_emails_compare_case_insensitively() {
    let m = Mock::start().await;
    m.register("a@example.com", "secret1").await;
    let r = m
        .post(
            "/auth/register",
            json!({"email": "A@Example.com", "password": "secret1"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"email": ["The email has already been taken."]}})
    );
}

#[rstest]
#[case::missing(json!({"password": "secret1"}), "email", "The email field is required.")]
#[case::empty(json!({"email": "", "password": "secret1"}), "email", "The email field is required.")]
#[case::invalid(json!({"email": "nope", "password": "secret1"}), "email", "The email must be a valid email address.")]
#[case::not_a_string(json!({"email": 12, "password": "secret1"}), "email", "The email must be a valid email address.")]
#[case::no_password(json!({"email": "a@example.com"}), "password", "The password field is required.")]
#[case::short_password(json!({"email": "a@example.com", "password": "12345"}), "password", "The password must be at least 6 characters.")]
#[case::long_display(json!({"email": "a@example.com", "password": "secret1", "display_name": "x".repeat(101)}), "display_name", "The display name must not be greater than 100 characters.")]
#[case::bad_username(json!({"email": "a@example.com", "password": "secret1", "username": "a b"}), "username", "The username must only contain letters, numbers, dashes, and underscores.")]
#[case::long_username(json!({"email": "a@example.com", "password": "secret1", "username": "u".repeat(101)}), "username", "The username must not be greater than 100 characters.")]
#[case::language_len(json!({"email": "a@example.com", "password": "secret1", "language": "eng"}), "language", "The language must be 2 characters.")]
#[case::language_digits(json!({"email": "a@example.com", "password": "secret1", "language": "e1"}), "language", "The language must only contain letters.")]
#[case::metadata_array(json!({"email": "a@example.com", "password": "secret1", "metadata": [1]}), "metadata", "The metadata must be an object.")]
#[case::first_name_number(json!({"email": "a@example.com", "password": "secret1", "first_name": 5}), "first_name", "The first name must be a string.")]
#[tokio::test]
async fn register_field_rules(#[case] body: Value, #[case] field: &str, #[case] message: &str) {
    let m = Mock::start().await;
    let r = m.post("/auth/register", body).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body, json!({"errors": {field: [message]}}));
}

#[tokio::test]
async fn register_reports_every_bad_field() {
    let m = Mock::start().await;
    let r = m
        .post("/auth/register", json!({"email": "x", "password": "1"}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"email": ["The email must be a valid email address."],
                          "password": ["The password must be at least 6 characters."]}})
    );
}

#[tokio::test]
async fn usernames_are_unique() {
    let m = Mock::start().await;
    let r = m
        .post(
            "/auth/register",
            json!({"email": "a@example.com", "password": "secret1", "username": "neo"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = m
        .post(
            "/auth/register",
            json!({"email": "b@example.com", "password": "secret1", "username": "NEO"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"username": ["The username has already been taken."]}})
    );
}

#[rstest]
#[case::short("Ab1!xyz", "The password must be at least 8 characters.")]
#[case::long(
    "Ab1!xyzxyzxyzxyzxyzxyzxyzxyzxyzx",
    "The password must not be greater than 30 characters."
)]
#[case::no_upper(
    "ab1!xyzw",
    "The password must contain at least one uppercase and one lowercase letter."
)]
#[case::no_symbol("Ab1xyzwv", "The password must contain at least one symbol.")]
#[case::no_digit("Ab!xyzwv", "The password must contain at least one number.")]
#[tokio::test]
async fn strong_passwords_when_the_site_enforces_them(
    #[case] password: &str,
    #[case] message: &str,
) {
    let m = Mock::with_profile(pelcro_conformance::profile::SiteProfile {
        strong_passwords: true,
        ..Default::default()
    })
    .await;
    let r = m
        .post(
            "/auth/register",
            json!({"email": "a@example.com", "password": password}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body, json!({"errors": {"password": [message]}}));
    let ok = m
        .post(
            "/auth/register",
            json!({"email": "a@example.com", "password": "Abcdef1!"}),
        )
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn login_by_email_and_by_username() {
    let m = Mock::start().await;
    let reg = m
        .post(
            "/auth/register",
            json!({"email": "u@example.com", "password": "secret1", "username": "user1"}),
        )
        .await;
    let id = reg.body["data"]["id"].clone();
    let r = m.login("U@example.com", "secret1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["id"], id);
    assert!(r.body["data"]["last_login_at"].is_string());
    let r = m
        .post(
            "/auth/login",
            json!({"username": "user1", "password": "secret1"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["id"], id);
    assert_eq!(r.body["data"]["token"], r.body["data"]["auth_token"]);
}

#[rstest]
#[case::wrong_password(json!({"email": "u@example.com", "password": "wrong12"}))]
#[case::unknown_email(json!({"email": "nobody@example.com", "password": "secret1"}))]
#[case::unknown_username(json!({"username": "nobody", "password": "secret1"}))]
#[case::wrong_password_by_username(json!({"username": "user1", "password": "wrong12"}))]
#[tokio::test]
async fn bad_credentials_all_look_alike(#[case] body: Value) {
    let m = Mock::start().await;
    m.post(
        "/auth/register",
        json!({"email": "u@example.com", "password": "secret1", "username": "user1"}),
    )
    .await;
    let r = m.post("/auth/login", body).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, invalid_credentials());
}

#[rstest]
#[case::nothing(json!({}), json!({"errors": {"email": ["The email field is required when username is not present."], "password": ["The password field is required."]}}))]
#[case::no_password(json!({"email": "a@example.com"}), json!({"errors": {"password": ["The password field is required."]}}))]
#[case::no_identity(json!({"password": "secret1"}), json!({"errors": {"email": ["The email field is required when username is not present."]}}))]
#[tokio::test]
async fn login_requires_an_identity_and_a_password(#[case] body: Value, #[case] expected: Value) {
    let m = Mock::start().await;
    let r = m.post("/auth/login", body).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, expected);
}

#[tokio::test]
async fn retrieve_customer_by_post_and_get() {
    let m = Mock::start().await;
    let token = m.register("c@example.com", "secret1").await.token();
    for method in [Method::POST, Method::GET] {
        let r = m.call(method, "/customer", Some(&token), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "success");
        assert_eq!(r.body["data"]["email"], "c@example.com");
        assert_eq!(r.body["data"]["auth_token"], token.as_str());
    }
}

#[tokio::test]
async fn logout_blacklists_and_returns_the_customer_without_a_token() {
    let m = Mock::start().await;
    let token = m.register("l@example.com", "secret1").await.token();
    let r = m
        .call(Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["email"], "l@example.com");
    assert_eq!(r.body["data"]["auth_token"], Value::Null);
    assert_eq!(r.body["data"]["token"], Value::Null);
    let blacklisted = json!({"error": {"status": 403, "message": "Authentication token has been blacklisted, please try again"}});
    for (method, path) in [
        (Method::POST, "/customer"),
        (Method::GET, "/customer"),
        (Method::PUT, "/customer"),
        (Method::POST, "/customer/refresh"),
        (Method::POST, "/auth/logout"),
        (Method::POST, "/password/update"),
    ] {
        let r = m.call(method, path, Some(&token), Some(json!({}))).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.body, blacklisted, "{path}");
    }
}

#[tokio::test]
async fn protected_endpoints_without_a_token_are_401() {
    let m = Mock::start().await;
    for (method, path) in [
        (Method::POST, "/auth/logout"),
        (Method::POST, "/customer"),
        (Method::GET, "/customer"),
        (Method::PUT, "/customer"),
        (Method::POST, "/customer/refresh"),
        (Method::POST, "/password/update"),
    ] {
        let r = m.call(method, path, None, None).await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(
            r.body,
            json!({"error": {"message": "Token not provided"}}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn update_is_partial_persists_and_returns_a_fresh_token() {
    let m = Mock::start().await;
    let reg = m
        .post("/auth/register", json!({"email": "p@example.com", "password": "secret1", "first_name": "A", "last_name": "B"}))
        .await;
    let token = reg.token();
    m.server.base_url();
    m.advance(5).await;
    let r = m
        .call(
            Method::PUT,
            "/customer",
            Some(&token),
            Some(json!({"first_name": "Jane"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["first_name"], "Jane");
    assert_eq!(r.body["data"]["last_name"], "B");
    let fresh = r.token();
    assert_ne!(fresh, token);
    let r = m.call(Method::POST, "/customer", Some(&fresh), None).await;
    assert_eq!(r.body["data"]["first_name"], "Jane");
    assert_eq!(r.body["data"]["last_name"], "B");
}

#[tokio::test]
async fn changing_the_email_resets_email_confirm_and_keeps_uniqueness() {
    let m = Mock::start().await;
    m.register("taken@example.com", "secret1").await;
    let token = m.register("e@example.com", "secret1").await.token();
    let r = m
        .call(
            Method::PUT,
            "/customer",
            Some(&token),
            Some(json!({"email": "taken@example.com"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"email": ["The email has already been taken."]}})
    );
    let r = m
        .call(
            Method::PUT,
            "/customer",
            Some(&token),
            Some(json!({"email": "new@example.com"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["email"], "new@example.com");
    assert_eq!(r.body["data"]["email_confirm"], false);
    assert_eq!(m.login("new@example.com", "secret1").await.status, 200);
    assert_eq!(m.login("e@example.com", "secret1").await.status, 404);
}
