//! The regression gate an SDK crate copies: its client, tested against the embedded mock started
//! in-process on port 0, with faults scripted per call and the traffic read back from the mock.
//!
//! Here the client is `examples/pelcro_client/client.rs`; an SDK crate puts its own in its place.

#[allow(dead_code)]
#[path = "../examples/pelcro_client/client.rs"]
mod pelcro_client;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pelcro_client::{CustomerUpdate, PelcroClient, PelcroError, RetryPolicy, Sleeper};
use pelcro_conformance::mock::{MockConfig, MockHandle, MockServer, ReceivedRequest};
use serde_json::json;

const PASSWORD: &str = "secret1";

/// A mock on 127.0.0.1:0 whose clock moves only when advanced.
async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        frozen_clock: true,
        ..MockConfig::default()
    })
    .await
    .expect("the mock starts")
}

fn client(mock: &MockServer) -> PelcroClient {
    PelcroClient::new(mock.root_url(), mock.site_id()).expect("a client builds")
}

/// A sleeper that does not sleep: it records each wait and moves the mock's virtual clock by it,
/// so the request log's `at` shows the wait.
fn virtual_sleeper(mock: MockHandle) -> (Sleeper, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let recorded = waits.clone();
    let sleeper: Sleeper = Arc::new(move |d| {
        recorded.lock().expect("not poisoned").push(d);
        let mock = mock.clone();
        Box::pin(async move {
            mock.advance_clock(d).await.expect("the clock advances");
        })
    });
    (sleeper, waits)
}

fn waits(w: &Arc<Mutex<Vec<Duration>>>) -> Vec<Duration> {
    w.lock().expect("not poisoned").clone()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

async fn logins(mock: &MockServer) -> Vec<ReceivedRequest> {
    mock.requests_matching(Some("POST"), "/auth/login")
        .await
        .expect("the log reads")
}

#[tokio::test]
async fn the_whole_journey() {
    let mock = mock().await;
    let c = client(&mock);
    let reg = c
        .register("journey@example.com", PASSWORD)
        .await
        .expect("register");
    assert_eq!(reg.email, "journey@example.com");
    assert!(reg.has_password);
    let registered_token = c.token().expect("register stores the token");

    let me = c
        .login("journey@example.com", PASSWORD)
        .await
        .expect("login");
    assert_eq!(me.id, reg.id);
    assert!(me.last_login_at.is_some());
    let login_token = c.token().expect("login stores the token");
    assert_ne!(login_token, registered_token, "login stores its own token");

    assert_eq!(c.retrieve().await.expect("retrieve").id, reg.id);

    let updated = c
        .update(
            &CustomerUpdate::new()
                .first_name(Some("Ada"))
                .last_name(Some("Lovelace"))
                .metadata(
                    json!({"plan": "gold"})
                        .as_object()
                        .cloned()
                        .expect("object"),
                ),
        )
        .await
        .expect("update");
    assert_eq!(updated.first_name.as_deref(), Some("Ada"));
    let after_update = c.token().expect("update stores a fresh token");
    assert_ne!(after_update, login_token);
    // Partial: a second update leaves the other fields alone; None clears.
    c.update(&CustomerUpdate::new().last_name(None))
        .await
        .expect("second update");
    let me = c.retrieve().await.expect("retrieve after update");
    assert_eq!(
        me.first_name.as_deref(),
        Some("Ada"),
        "the update persisted"
    );
    assert_eq!(me.last_name, None, "None cleared the last name");
    assert_eq!(me.metadata.get("plan"), Some(&json!("gold")));

    let before_refresh = c.token().expect("a token");
    c.refresh().await.expect("refresh");
    let fresh = c.token().expect("refresh stores the new token");
    assert_ne!(fresh, before_refresh);
    let stale = client(&mock);
    stale.set_token(Some(before_refresh));
    match stale.retrieve().await {
        Err(PelcroError::TokenRefused { message }) => assert!(message.contains("blacklisted")),
        other => panic!("the pre-refresh token must be refused, got {other:?}"),
    }
    assert!(!stale.has_token(), "a refused token is forgotten");
    assert_eq!(
        c.retrieve().await.expect("the fresh token works").id,
        reg.id
    );

    let out = c.logout().await.expect("logout");
    assert_eq!(out.id, reg.id);
    assert!(!c.has_token(), "logout forgets the token");
    stale.set_token(Some(fresh));
    assert!(matches!(
        stale.retrieve().await,
        Err(PelcroError::TokenRefused { .. })
    ));
    assert!(matches!(
        c.retrieve().await,
        Err(PelcroError::Unauthenticated { .. })
    ));
}

#[tokio::test]
async fn validation_errors_carry_field_messages() {
    let mock = mock().await;
    let c = client(&mock);
    match c.register("not-an-email", "123").await {
        Err(PelcroError::Validation { errors }) => {
            assert!(errors["email"][0].contains("email"), "{errors:?}");
            assert_eq!(
                errors["password"],
                vec!["The password must be at least 6 characters.".to_string()]
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    mock.seed_customer("taken@example.com", PASSWORD)
        .await
        .expect("seed");
    assert!(matches!(
        c.register("taken@example.com", PASSWORD).await,
        Err(PelcroError::Validation { errors }) if errors.contains_key("email")
    ));
    assert!(!c.has_token());
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let mock = mock().await;
    let c = client(&mock);
    match c.retrieve().await {
        Err(PelcroError::Unauthenticated { message }) => {
            assert_eq!(message, "Token not provided")
        }
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_token_is_dropped() {
    let mock = mock().await;
    let seeded = mock
        .seed_customer("refused@example.com", PASSWORD)
        .await
        .expect("seed");
    let c = client(&mock);
    c.set_token(Some(seeded.token.clone()));
    assert_eq!(
        c.retrieve().await.expect("a seeded token works").id,
        seeded.id
    );
    // Expired: past the site's 60-day lifetime on the mock's clock.
    mock.advance_clock(secs(61 * 86_400))
        .await
        .expect("advance");
    match c.retrieve().await {
        Err(PelcroError::TokenRefused { message }) => assert!(message.contains("expired")),
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(!c.has_token(), "the client forgets a refused token");
    // Sites configured with invalid_token_status 401: still forgotten.
    mock.set_site(1, json!({"invalid_token_status": 401}))
        .await
        .expect("site");
    c.set_token(Some("not.a.jwt".into()));
    assert!(matches!(
        c.retrieve().await,
        Err(PelcroError::Unauthenticated { message }) if message == "Invalid or expired token"
    ));
    assert!(!c.has_token());
}

#[tokio::test]
async fn wrong_credentials_are_invalid_credentials() {
    let mock = mock().await;
    mock.seed_customer("creds@example.com", PASSWORD)
        .await
        .expect("seed");
    let c = client(&mock);
    for (email, password) in [
        ("creds@example.com", "wrong-one"),
        ("nobody@example.com", PASSWORD),
    ] {
        match c.login(email, password).await {
            Err(PelcroError::InvalidCredentials { message }) => {
                assert_eq!(message, "Invalid credentials! Please try again.")
            }
            other => panic!("expected 404, got {other:?}"),
        }
    }
    assert!(!c.has_token());
}

#[tokio::test]
async fn a_500_carries_its_report_id_and_is_not_retried() {
    let mock = mock().await;
    mock.seed_customer("five@example.com", PASSWORD)
        .await
        .expect("seed");
    mock.faults()
        .on("POST", "/auth/login")
        .server_error()
        .report_id("rep-42")
        .add()
        .await
        .expect("fault");
    let (sleeper, w) = virtual_sleeper(mock.handle());
    let c = client(&mock).with_sleeper(sleeper);
    match c.login("five@example.com", PASSWORD).await {
        Err(PelcroError::Server {
            status: 500,
            report_id,
            ..
        }) => assert_eq!(report_id.as_deref(), Some("rep-42")),
        other => panic!("expected 500, got {other:?}"),
    }
    assert!(waits(&w).is_empty());
    assert_eq!(logins(&mock).await.len(), 1, "a 500 is not retried");
}

#[tokio::test]
async fn persistent_429_gives_up_after_the_bounded_retries() {
    let mock = mock().await;
    mock.faults()
        .on("POST", "/auth/login")
        .times(0)
        .status(429)
        .header("Retry-After", "1")
        .add()
        .await
        .expect("fault");
    let (sleeper, w) = virtual_sleeper(mock.handle());
    let c = client(&mock).with_sleeper(sleeper).with_retry(RetryPolicy {
        max_retries: 2,
        ..RetryPolicy::default()
    });
    match c.login("any@example.com", PASSWORD).await {
        Err(PelcroError::RateLimited {
            retry_after,
            message,
        }) => {
            assert_eq!(retry_after, Some(secs(1)));
            assert_eq!(message, "Too many requests. Please try again later.");
        }
        other => panic!("expected 429, got {other:?}"),
    }
    assert_eq!(waits(&w), vec![secs(1), secs(1)]);
    assert_eq!(logins(&mock).await.len(), 3, "1 attempt + 2 retries");
}

#[tokio::test]
async fn a_retry_after_beyond_max_wait_is_not_waited() {
    let mock = mock().await;
    mock.faults()
        .on("POST", "/auth/login")
        .status(429)
        .header("Retry-After", "3600")
        .add()
        .await
        .expect("fault");
    let (sleeper, w) = virtual_sleeper(mock.handle());
    let c = client(&mock).with_sleeper(sleeper);
    assert!(matches!(
        c.login("any@example.com", PASSWORD).await,
        Err(PelcroError::RateLimited { retry_after: Some(d), .. }) if d == secs(3600)
    ));
    assert!(waits(&w).is_empty());
    assert_eq!(logins(&mock).await.len(), 1);
}

#[tokio::test]
async fn bodies_that_are_not_json_and_dropped_connections_are_errors() {
    let mock = mock().await;
    mock.faults()
        .on("POST", "/auth/login")
        .not_json_status(502)
        .add()
        .await
        .expect("fault");
    mock.faults()
        .on("POST", "/auth/login")
        .nth(2)
        .drop_connection()
        .add()
        .await
        .expect("fault");
    let c = client(&mock);
    match c.login("any@example.com", PASSWORD).await {
        Err(PelcroError::UnexpectedBody { status, snippet }) => {
            assert_eq!(status, 502);
            assert!(snippet.contains("Bad Gateway"));
        }
        other => panic!("expected an unexpected body, got {other:?}"),
    }
    assert!(matches!(
        c.login("any@example.com", PASSWORD).await,
        Err(PelcroError::Transport(_))
    ));
}

#[tokio::test]
async fn backoff_waits_retry_after_on_the_virtual_clock() {
    let mock = mock().await;
    mock.seed_customer("backoff@example.com", PASSWORD)
        .await
        .expect("seed");
    mock.faults()
        .on("POST", "/auth/login")
        .nth(1)
        .status(429)
        .header("Retry-After", "2")
        .add()
        .await
        .expect("fault");
    let (sleeper, w) = virtual_sleeper(mock.handle());
    let c = client(&mock).with_sleeper(sleeper);
    let me = c
        .login("backoff@example.com", PASSWORD)
        .await
        .expect("the client retries past the 429");
    assert_eq!(me.email, "backoff@example.com");
    assert!(c.has_token());
    assert_eq!(waits(&w), vec![secs(2)], "one wait, exactly Retry-After");
    let log = logins(&mock).await;
    assert_eq!(log.len(), 2);
    assert!(
        log[1].at - log[0].at >= 2,
        "the retry came at least Retry-After later on the mock's clock: {log:?}"
    );
}

#[tokio::test]
async fn backoff_really_sleeps_at_least_retry_after() {
    let mock = mock().await;
    mock.seed_customer("sleepy@example.com", PASSWORD)
        .await
        .expect("seed");
    mock.faults()
        .on("POST", "/auth/login")
        .status(429)
        .header("Retry-After", "1")
        .add()
        .await
        .expect("fault");
    let c = client(&mock); // the default sleeper: tokio's real sleep
    c.login("sleepy@example.com", PASSWORD)
        .await
        .expect("the client retries past the 429");
    let log = logins(&mock).await;
    assert_eq!(log.len(), 2);
    let waited = log[1].received_ms.saturating_sub(log[0].received_ms);
    assert!(
        waited >= 1000,
        "the retry came {waited} ms after the 429, less than Retry-After"
    );
}

#[tokio::test]
async fn site_id_and_bearer_are_sent_right() {
    let mock = mock().await;
    let c = client(&mock);
    c.register("wire@example.com", PASSWORD)
        .await
        .expect("register");
    c.login("wire@example.com", PASSWORD).await.expect("login");
    c.retrieve().await.expect("retrieve");
    c.update(&CustomerUpdate::new().phone(Some("555-0100")))
        .await
        .expect("update");
    c.refresh().await.expect("refresh");
    c.logout().await.expect("logout");
    c.retrieve().await.expect_err("logged out");
    let log = mock.requests().await.expect("the log reads");
    let seen: Vec<(&str, &str, bool)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.api_path(), r.bearer))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("POST", "/auth/register", false),
            ("POST", "/auth/login", false),
            ("POST", "/customer", true),
            ("PUT", "/customer", true),
            ("POST", "/customer/refresh", true),
            ("POST", "/auth/logout", true),
            ("POST", "/customer", false),
        ],
        "the bearer goes with authenticated calls only, and not after logout"
    );
    let real_now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    assert!(
        log.windows(2).all(|w| w[0].received_ms <= w[1].received_ms),
        "received_ms grows: {log:?}"
    );
    for r in &log {
        assert!(
            r.received_ms <= real_now_ms && r.received_ms + 60_000 > real_now_ms,
            "received_ms is the real arrival time: {r:?}"
        );
        assert_eq!(r.site_id, Some(mock.site_id()), "{r:?}");
        assert!(r.site_id_in_query(), "site_id in the query: {r:?}");
    }
}

/// The script: the 3rd call to POST /auth/login gets 429 with Retry-After: 2, the 4th
/// a 503, then normal.
#[tokio::test]
async fn third_call_429_fourth_503_then_normal() {
    let mock = mock().await;
    mock.seed_customer("script@example.com", PASSWORD)
        .await
        .expect("seed");
    mock.faults()
        .on("POST", "/auth/login")
        .nth(3)
        .status(429)
        .header("Retry-After", "2")
        .add()
        .await
        .expect("fault");
    mock.faults()
        .on("POST", "/auth/login")
        .nth(4)
        .status(503)
        .add()
        .await
        .expect("fault");
    let (sleeper, w) = virtual_sleeper(mock.handle());
    let c = client(&mock).with_sleeper(sleeper);
    for _ in 0..2 {
        c.login("script@example.com", PASSWORD)
            .await
            .expect("calls 1 and 2 are normal");
    }
    assert!(waits(&w).is_empty());
    c.login("script@example.com", PASSWORD)
        .await
        .expect("call 3 (429) and call 4 (503) are retried; call 5 succeeds");
    assert_eq!(
        waits(&w),
        vec![secs(2), secs(2)],
        "Retry-After for the 429, then the 503 (no Retry-After) the backoff of a 2nd retry: 1 s doubled"
    );
    let log = logins(&mock).await;
    assert_eq!(log.len(), 5);
    assert!(log[3].at - log[2].at >= 2, "{log:?}");
    let rules = mock.faults().list().await.expect("rules");
    assert_eq!(rules.iter().map(|r| r.seen).collect::<Vec<_>>(), vec![5, 5]);
    c.login("script@example.com", PASSWORD)
        .await
        .expect("then normal");
    assert_eq!(waits(&w).len(), 2, "no more waits");
}

/// The library's read-backs that the client tests above do not use.
#[tokio::test]
async fn the_library_reads_back_one_time_tokens_and_resets() {
    let mock = mock().await;
    assert_eq!(mock.plan_ids(), [1001, 1002, 1003]);
    let alice = mock
        .seed_customer_with(
            json!({"email": "a+b@example.com", "password": PASSWORD, "first_name": "A"}),
        )
        .await
        .expect("seed");
    assert!(!format!("{alice:?}").contains(&alice.token));
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}?site_id={}", mock.api_url(), mock.site_id());
    let r = http
        .post(url("/auth/passwordless/request"))
        .json(&json!({"email": "a+b@example.com"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);
    let t = mock
        .passwordless_token("a+b@example.com")
        .await
        .expect("a passwordless token");
    assert_eq!(t.email, "a+b@example.com");
    assert!(!t.used);
    let r = http
        .post(url("/password/forgot"))
        .json(&json!({"email": "a+b@example.com"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);
    let t = mock
        .password_reset_token("a+b@example.com")
        .await
        .expect("a reset token");
    assert_eq!(t.expires_at - t.issued_at, 3600);

    let before = mock.freeze_clock().await.expect("freeze");
    let after = mock.advance_clock(secs(90)).await.expect("advance");
    assert_eq!(after.now, before.now + 90);
    assert_eq!(mock.now().await.expect("now"), before.now + 90);

    mock.register_idp_token(
        "google",
        "g-token",
        &pelcro_conformance::mock::IdpProfile {
            id: "g-1".into(),
            email: "idp@example.com".into(),
            first_name: Some("I".into()),
            last_name: None,
        },
    )
    .await
    .expect("idp token");
    let r = http
        .post(url("/auth/idp/login"))
        .json(&json!({"idp_name": "google", "idp_token": "g-token"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);

    let site = mock
        .set_site(2, json!({"lockout": {"attempts": 3}}))
        .await
        .expect("site 2");
    assert_eq!(site.lockout.attempts, 3);
    assert_eq!(mock.site(2).await.expect("site 2").lockout.attempts, 3);
    let bad = mock
        .set_site(1, json!({"auth_token_ttl_days": 400}))
        .await
        .expect_err("out of range");
    assert_eq!(bad.status(), Some(400));

    mock.reset().await.expect("reset");
    assert!(mock.requests().await.expect("log").is_empty());
    assert_eq!(
        mock.passwordless_token("a+b@example.com")
            .await
            .expect_err("gone")
            .status(),
        Some(404)
    );
    mock.clear_requests().await.expect("clear");
}

#[tokio::test]
async fn control_calls_to_a_stopped_mock_are_errors_not_panics() {
    let mock = mock().await;
    let handle = mock.handle();
    mock.shutdown().await;
    assert!(matches!(
        handle.now().await,
        Err(pelcro_conformance::mock::MockControlError::Transport { .. })
    ));
}

/// The gate's other half: the example client's own traffic, routed through the validating proxy,
/// is checked against the contract, and a deliberately wrong answer is reported.
#[tokio::test]
async fn the_proxy_validates_the_clients_traffic_and_reports_a_wrong_answer() {
    use pelcro_conformance::proxy::{self, ProxyConfig};
    use pelcro_conformance::report::SuiteOutcome;

    let mock = mock().await;
    let proxy = proxy::start(ProxyConfig::new(mock.root_url()).expect("a proxy config"))
        .await
        .expect("the proxy starts");
    let c = PelcroClient::new(&proxy.base_url(), mock.site_id()).expect("a client builds");
    c.register("proxied@example.com", PASSWORD)
        .await
        .expect("register");
    c.login("proxied@example.com", PASSWORD)
        .await
        .expect("login");
    c.retrieve().await.expect("retrieve");
    c.logout().await.expect("logout");
    let report = proxy.stop().await;
    assert!(
        report.passed(),
        "{}",
        pelcro_conformance::report::console::render(&report, true)
    );
    let checked: Vec<&str> = report
        .suites
        .iter()
        .filter(|s| s.outcome == SuiteOutcome::Passed)
        .map(|s| s.name.as_str())
        .collect();
    for endpoint in [
        "POST /auth/register",
        "POST /auth/login",
        "POST /customer",
        "POST /auth/logout",
    ] {
        assert!(
            checked.iter().any(|name| name.contains(endpoint)),
            "{endpoint} not checked: {checked:?}"
        );
    }

    // Now the upstream answers the retrieve with a Customer whose id is not a number.
    let proxy = proxy::start(ProxyConfig::new(mock.root_url()).expect("a proxy config"))
        .await
        .expect("the proxy starts");
    let c = PelcroClient::new(&proxy.base_url(), mock.site_id()).expect("a client builds");
    c.login("proxied@example.com", PASSWORD)
        .await
        .expect("login");
    mock.faults()
        .on("POST", "/customer")
        .status(200)
        .body(json!({"status": "success", "data": {"id": "not-a-number", "email": "proxied@example.com"}}))
        .add()
        .await
        .expect("a fault");
    let _ = c.retrieve().await;
    let report = proxy.stop().await;
    assert!(!report.passed());
    let failed = report
        .suites
        .iter()
        .find(|s| s.outcome == SuiteOutcome::Failed)
        .expect("a failed endpoint");
    assert!(failed.name.contains("POST /customer"), "{}", failed.name);
    let check = failed
        .steps
        .iter()
        .flat_map(|s| &s.checks)
        .find(|c| !c.passed)
        .expect("a failed check");
    assert_eq!(check.kind.name(), "schema", "{check:?}");
    assert!(
        check
            .actual
            .contains("/data: \"email_confirm\" is a required property"),
        "{}",
        check.actual
    );
}

#[tokio::test]
async fn plans_can_be_seeded_and_are_served_and_authorized() {
    let mock = mock().await;
    let plan = mock
        .seed_plan(1, json!({"nickname": "Publisher staff", "type": "membership", "domains": ["publisher.example"]}))
        .await
        .expect("a plan is seeded");
    let id = plan["id"].as_u64().expect("an id");
    assert!(
        !mock.plan_ids().contains(&id),
        "a new id after the built-in plans"
    );
    let http = reqwest::Client::new();
    let served: serde_json::Value = http
        .get(format!("{}/plan?site_id=1&plan_id={id}", mock.api_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["data"]["nickname"], "Publisher staff");
    let authorized: serde_json::Value = http
        .get(format!(
            "{}/plan/domain/authorization?site_id=1&email=ada@publisher.example",
            mock.api_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<u64> = authorized["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_u64())
        .collect();
    assert_eq!(ids, [id]);

    let bad = mock
        .seed_plan(1, json!({"ip_addresses": ["not a range"]}))
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400), "{bad}");
    let taken = mock.seed_plan(1, json!({"id": id})).await.unwrap_err();
    assert_eq!(taken.status(), Some(400), "{taken}");
    assert_eq!(
        mock.seed_plan(999, json!({})).await.unwrap_err().status(),
        Some(404)
    );
}
