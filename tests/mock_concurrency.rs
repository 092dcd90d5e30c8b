//! Many clients at once: no registration lost, every failed login counted, no blacklisted token
//! let through.

mod common;

use std::sync::Arc;

use common::Mock;
use pelcro_conformance::profile::{LockoutPolicy, SiteProfile};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_registrations_are_all_stored() {
    let m = Arc::new(Mock::start().await);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let m = m.clone();
            tokio::spawn(async move {
                m.post(
                    "/auth/register",
                    json!({"email": format!("c{i}@example.com"), "password": "secret1"}),
                )
                .await
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        ids.insert(r.body["data"]["id"].as_u64().unwrap());
    }
    assert_eq!(ids.len(), 50, "every customer has its own id");
    for i in 0..50 {
        assert_eq!(
            m.login(&format!("c{i}@example.com"), "secret1")
                .await
                .status,
            200
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_email_store_exactly_one() {
    let m = Arc::new(Mock::start().await);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move {
                m.post(
                    "/auth/register",
                    json!({"email": "same@example.com", "password": "secret1"}),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            200 => ok += 1,
            400 => assert_eq!(
                r.body,
                json!({"errors": {"email": ["The email has already been taken."]}})
            ),
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_concurrent_wrong_logins_are_all_counted() {
    let m = Arc::new(
        Mock::with_profile(SiteProfile {
            lockout: LockoutPolicy {
                attempts: 30,
                ..Default::default()
            },
            ..Default::default()
        })
        .await,
    );
    m.register("count@example.com", "secret1").await;
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.login("count@example.com", "wrong-one").await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().status, 404);
    }
    let r = m.login("count@example.com", "secret1").await;
    assert_eq!(
        r.status, 400,
        "the 31st attempt meets the lock: all 30 were counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_logins_never_exceed_the_limit() {
    let m = Arc::new(Mock::start().await);
    m.register("limit@example.com", "secret1").await;
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move {
                m.login("limit@example.com", "wrong-one")
                    .await
                    .status
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_blacklisted_while_in_use_never_passes_afterwards() {
    let m = Arc::new(Mock::start().await);
    let token = m.register("race@example.com", "secret1").await.token();
    let logged_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let users: Vec<_> = (0..8)
        .map(|_| {
            let (m, token, logged_out) = (m.clone(), token.clone(), logged_out.clone());
            tokio::spawn(async move {
                let mut after = 0;
                for _ in 0..40 {
                    let started_after_logout = logged_out.load(std::sync::atomic::Ordering::SeqCst);
                    let r = m.call(Method::POST, "/customer", Some(&token), None).await;
                    if started_after_logout {
                        assert_eq!(r.status, 403, "a blacklisted token passed");
                        after += 1;
                    } else {
                        assert!(r.status == 200 || r.status == 403);
                    }
                }
                after
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let r = m
        .call(Method::POST, "/auth/logout", Some(&token), None)
        .await;
    assert_eq!(r.status, 200);
    logged_out.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut checked = 0;
    for u in users {
        checked += u.await.unwrap();
    }
    assert!(checked > 0, "some requests ran after the logout");
}
