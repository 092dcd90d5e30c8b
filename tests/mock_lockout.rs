//! Failed-login lockout: counting, the lock, the correct password refused, expiry, the 429
//! variation, and unknown identities counted too.

mod common;

use common::{Mock, invalid_credentials};
use pelcro_conformance::profile::{LockoutPolicy, SiteProfile};
use serde_json::{Value, json};

fn locked() -> Value {
    json!({"errors": {"email": ["Too many login attempts. Please try again later."]}})
}

async fn fail(m: &Mock, email: &str, n: u32) {
    for i in 0..n {
        let r = m.login(email, "wrong-password").await;
        assert_eq!(r.status, 404, "failure {}", i + 1);
        assert_eq!(r.body, invalid_credentials());
    }
}

#[tokio::test]
async fn ten_failures_lock_even_the_right_password_until_the_window_passes() {
    let m = Mock::start().await;
    m.register("lock@example.com", "secret1").await;
    fail(&m, "lock@example.com", 10).await;
    let r = m.login("lock@example.com", "wrong-password").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, locked());
    let r = m.login("lock@example.com", "secret1").await;
    assert_eq!(r.status, 400, "LOCKOUT-CORRECT");
    assert_eq!(r.body, locked());
    m.advance(299).await;
    assert_eq!(m.login("lock@example.com", "secret1").await.status, 400);
    m.advance(1).await;
    let r = m.login("lock@example.com", "secret1").await;
    assert_eq!(r.status, 200, "LOCKOUT-EXPIRES: {}", r.body);
}

#[tokio::test]
async fn failures_outside_the_window_start_a_new_count() {
    let m = Mock::start().await;
    m.register("w@example.com", "secret1").await;
    fail(&m, "w@example.com", 9).await;
    m.advance(300).await;
    fail(&m, "w@example.com", 9).await;
    assert_eq!(m.login("w@example.com", "secret1").await.status, 200);
}

#[tokio::test]
async fn a_successful_login_clears_the_count() {
    let m = Mock::start().await;
    m.register("c@example.com", "secret1").await;
    fail(&m, "c@example.com", 9).await;
    assert_eq!(m.login("c@example.com", "secret1").await.status, 200);
    fail(&m, "c@example.com", 9).await;
    assert_eq!(m.login("c@example.com", "secret1").await.status, 200);
}

#[tokio::test]
async fn username_and_email_failures_count_for_the_same_customer() {
    let m = Mock::with_profile(SiteProfile {
        lockout: LockoutPolicy {
            attempts: 4,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    m.post(
        "/auth/register",
        json!({"email": "u@example.com", "password": "secret1", "username": "uu"}),
    )
    .await;
    fail(&m, "u@example.com", 2).await;
    for _ in 0..2 {
        let r = m
            .post(
                "/auth/login",
                json!({"username": "uu", "password": "nope123"}),
            )
            .await;
        assert_eq!(r.status, 404);
    }
    let r = m
        .post(
            "/auth/login",
            json!({"username": "uu", "password": "secret1"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, locked());
}

#[tokio::test]
async fn unknown_emails_lock_too_so_nothing_is_enumerated() {
    let m = Mock::start().await;
    fail(&m, "ghost@example.com", 10).await;
    let r = m.login("ghost@example.com", "wrong-password").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, locked());
    // Another unknown email is not affected.
    assert_eq!(m.login("ghost2@example.com", "x123456").await.status, 404);
}

#[tokio::test]
async fn the_429_variation_with_retry_after() {
    let m = Mock::with_profile(SiteProfile {
        lockout: LockoutPolicy {
            attempts: 3,
            window_seconds: 120,
            status: 429,
        },
        ..Default::default()
    })
    .await;
    m.register("v@example.com", "secret1").await;
    fail(&m, "v@example.com", 3).await;
    m.advance(20).await;
    let r = m.login("v@example.com", "secret1").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body, locked());
    assert_eq!(r.headers["retry-after"], "100");
    m.advance(100).await;
    assert_eq!(m.login("v@example.com", "secret1").await.status, 200);
}

#[tokio::test]
async fn lockout_settings_change_at_runtime() {
    let m = Mock::start().await;
    let r = m
        .control(
            reqwest::Method::PUT,
            "/sites/1",
            Some(json!({"lockout": {"attempts": 2}})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["lockout"],
        json!({"attempts": 2, "window_seconds": 300, "status": 400})
    );
    m.register("rt@example.com", "secret1").await;
    fail(&m, "rt@example.com", 2).await;
    assert_eq!(m.login("rt@example.com", "secret1").await.status, 400);
}
