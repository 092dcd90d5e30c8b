//! Tokens: claims, lifetime, expiry on the virtual clock, tampering, refresh, single user
//! authentication, sharing across the sites of an account, and the 401 variation.

mod common;

use common::{Mock, claims};
use pelcro_conformance::profile::SiteProfile;
use reqwest::Method;
use rstest::rstest;
use serde_json::{Value, json};

fn expired() -> Value {
    json!({"error": {"status": 403, "message": "Authentication token has expired, please try again"}})
}

fn invalid() -> Value {
    json!({"error": {"status": 403, "message": "Authentication token is invalid, please try again"}})
}

fn blacklisted() -> Value {
    json!({"error": {"status": 403, "message": "Authentication token has been blacklisted, please try again"}})
}

#[tokio::test]
async fn the_token_is_an_hs256_jwt_with_jwt_auth_claims() {
    let m = Mock::start().await;
    let r = m.register("t@example.com", "secret1").await;
    let token = r.token();
    let header: Value = {
        use base64::Engine;
        let h = token.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "JWT");
    let c = claims(&token);
    assert_eq!(
        c["iss"],
        format!("{}/api/v1/sdk/auth/register", m.server.base_url())
    );
    assert_eq!(c["sub"], r.body["data"]["id"].as_u64().unwrap().to_string());
    for k in ["iat", "exp", "nbf"] {
        assert!(c[k].is_i64(), "{k}");
    }
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert!(c["prv"].is_string());
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        60 * 86_400
    );
    let login = m.login("t@example.com", "secret1").await.token();
    assert_eq!(
        claims(&login)["iss"],
        format!("{}/api/v1/sdk/auth/login", m.server.base_url())
    );
    assert_ne!(claims(&login)["jti"], c["jti"]);
}

#[rstest]
#[case(1)]
#[case(14)]
#[case(365)]
#[tokio::test]
async fn lifetime_follows_the_site_setting(#[case] days: u32) {
    let m = Mock::with_profile(SiteProfile {
        auth_token_ttl_days: days,
        ..Default::default()
    })
    .await;
    let token = m.register("ttl@example.com", "secret1").await.token();
    let c = claims(&token);
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        i64::from(days) * 86_400
    );
    // Valid one second before the end, expired at it.
    m.advance(i64::from(days) * 86_400 - 1).await;
    assert_eq!(
        m.call(Method::POST, "/customer", Some(&token), None)
            .await
            .status,
        200
    );
    m.advance(1).await;
    let r = m.call(Method::POST, "/customer", Some(&token), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, expired());
}

#[tokio::test]
async fn expired_tokens_cannot_be_refreshed() {
    let m = Mock::start().await;
    let token = m.register("x@example.com", "secret1").await.token();
    m.advance(60 * 86_400).await;
    let r = m
        .call(Method::POST, "/customer/refresh", Some(&token), None)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, expired());
}

#[tokio::test]
async fn refresh_mints_a_working_token_and_blacklists_the_old_one() {
    let m = Mock::start().await;
    let token = m.register("r@example.com", "secret1").await.token();
    m.advance(86_400).await;
    let r = m
        .call(Method::POST, "/customer/refresh", Some(&token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["email"], "r@example.com");
    let fresh = r.token();
    assert_ne!(fresh, token);
    assert_eq!(
        claims(&fresh)["iss"],
        format!("{}/api/v1/sdk/customer/refresh", m.server.base_url())
    );
    assert!(claims(&fresh)["exp"].as_i64() > claims(&token)["exp"].as_i64());
    assert_eq!(
        m.call(Method::POST, "/customer", Some(&fresh), None)
            .await
            .status,
        200
    );
    let old = m.call(Method::POST, "/customer", Some(&token), None).await;
    assert_eq!(old.status, 403);
    assert_eq!(old.body, blacklisted());
}

#[rstest]
#[case::garbage("not-a-jwt")]
#[case::three_parts("aaa.bbb.ccc")]
#[case::tampered("TAMPER")]
#[case::other_key("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.c2lnbmF0dXJl")]
#[tokio::test]
async fn malformed_or_tampered_tokens_are_403(#[case] token: &str) {
    let m = Mock::start().await;
    let good = m.register("m@example.com", "secret1").await.token();
    let token = if token == "TAMPER" {
        // Change the subject, keep the signature.
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = good.split('.').collect();
        let mut c: Value = serde_json::from_slice(&e.decode(parts[1]).unwrap()).unwrap();
        c["sub"] = json!("1");
        format!("{}.{}.{}", parts[0], e.encode(c.to_string()), parts[2])
    } else {
        token.to_string()
    };
    let r = m.call(Method::POST, "/customer", Some(&token), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, invalid());
}

#[tokio::test]
async fn the_public_pages_variation_answers_401_but_blacklisted_stays_403() {
    let m = Mock::with_profile(SiteProfile {
        invalid_token_status: 401,
        ..Default::default()
    })
    .await;
    let token = m.register("v@example.com", "secret1").await.token();
    let r = m
        .call(Method::POST, "/customer", Some("garbage"), None)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"error": {"status": 401, "message": "Invalid or expired token"}})
    );
    let r = m
        .call(Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, 200);
    let r = m.call(Method::POST, "/customer", Some(&token), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, blacklisted());
    let t2 = m.login("v@example.com", "secret1").await.token();
    m.advance(61 * 86_400).await;
    let r = m.call(Method::POST, "/customer", Some(&t2), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"error": {"status": 401, "message": "Invalid or expired token"}})
    );
}

#[tokio::test]
async fn single_user_authentication_ends_earlier_sessions() {
    let m = Mock::with_profile(SiteProfile {
        single_user_auth: true,
        ..Default::default()
    })
    .await;
    let first = m.register("s@example.com", "secret1").await.token();
    let second = m.login("s@example.com", "secret1").await.token();
    let r = m.call(Method::POST, "/customer", Some(&first), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, blacklisted());
    assert_eq!(
        m.call(Method::POST, "/customer", Some(&second), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn without_single_user_authentication_sessions_coexist() {
    let m = Mock::start().await;
    let first = m.register("s@example.com", "secret1").await.token();
    let second = m.login("s@example.com", "secret1").await.token();
    assert_eq!(
        m.call(Method::POST, "/customer", Some(&first), None)
            .await
            .status,
        200
    );
    assert_eq!(
        m.call(Method::POST, "/customer", Some(&second), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn sites_of_one_account_share_customers_and_tokens() {
    let m = Mock::start().await;
    // Site 2 shares account 1; site 3 is another account.
    let r = m
        .control(Method::PUT, "/sites/2", Some(json!({"account_id": 1})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = m
        .control(Method::PUT, "/sites/3", Some(json!({"account_id": 2})))
        .await;
    assert_eq!(r.status, 200);
    let token = m.register("multi@example.com", "secret1").await.token();
    // TOKEN-SHARED: the token identifies the customer on the other site of the account.
    let r = m
        .call_site(2, Method::GET, "/customer", Some(&token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["email"], "multi@example.com");
    // MULTI-SITE: the same credentials work there.
    let r = m
        .call_site(
            2,
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": "multi@example.com", "password": "secret1"})),
        )
        .await;
    assert_eq!(r.status, 200);
    // The email is taken account-wide.
    let r = m
        .call_site(
            2,
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"email": "multi@example.com", "password": "secret1"})),
        )
        .await;
    assert_eq!(r.status, 400);
    // Another account knows nothing of the customer.
    let r = m
        .call_site(
            3,
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"email": "multi@example.com", "password": "secret1"})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = m
        .call_site(3, Method::GET, "/customer", Some(&token), None)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, invalid());
    let r = m
        .call_site(
            3,
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"email": "multi@example.com", "password": "secret1"})),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn password_update_returns_a_fresh_token_and_changes_the_password() {
    let m = Mock::start().await;
    let token = m.register("pw@example.com", "secret1").await.token();
    let r = m
        .call(Method::POST, "/password/update", Some(&token),
              Some(json!({"old_password": "wrong!!", "new_password": "newpass1", "confirm_new_password": "newpass1"})))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"old_password": ["The old password is incorrect."]}})
    );
    let r = m
        .call(Method::POST, "/password/update", Some(&token),
              Some(json!({"old_password": "secret1", "new_password": "newpass1", "confirm_new_password": "other12"})))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"confirm_new_password": ["The confirm new password and new password must match."]}})
    );
    let r = m
        .call(Method::POST, "/password/update", Some(&token),
              Some(json!({"old_password": "secret1", "new_password": "newpass1", "confirm_new_password": "newpass1"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.token(), token);
    assert_eq!(m.login("pw@example.com", "secret1").await.status, 404);
    assert_eq!(m.login("pw@example.com", "newpass1").await.status, 200);
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive_and_an_empty_token_is_missing() {
    let m = Mock::start().await;
    let token = m.register("b@example.com", "secret1").await.token();
    let r = Mock::finish(
        m.http
            .post(format!("{}?site_id=1", m.url("/customer")))
            .header("Authorization", format!("bearer {token}")),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = Mock::finish(
        m.http
            .post(format!("{}?site_id=1", m.url("/customer")))
            .header("Authorization", "Bearer "),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!({"error": {"message": "Token not provided"}}));
}
