//! The control API: capabilities, clock, site settings, faults, one-time tokens, request log,
//! reset, and the server's lifecycle.

mod common;

use std::time::{Duration, Instant};

use common::Mock;
use pelcro_conformance::mock::{MockConfig, MockServer};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn capabilities_and_clock() {
    let m = Mock::start().await;
    let r = m.control(Method::GET, "/capabilities", None).await;
    assert_eq!(
        r.body,
        json!({"capabilities": ["clock", "faults", "lockout"]})
    );
    let before = m.control(Method::GET, "/clock", None).await.body;
    assert_eq!(before["offset_seconds"], 0);
    let r = m
        .control(
            Method::POST,
            "/clock/advance",
            Some(json!({"seconds": 3600})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["offset_seconds"], 3600);
    let now = r.body["now"].as_i64().unwrap();
    assert!(now >= before["now"].as_i64().unwrap() + 3600);
    let r = m
        .control(Method::POST, "/clock/advance", Some(json!({"secs": 1})))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["errors"]["body"][0].is_string());
}

#[tokio::test]
async fn site_settings_read_merge_and_validate() {
    let m = Mock::start().await;
    let r = m.control(Method::GET, "/sites/1", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["auth_token_ttl_days"], 60);
    assert_eq!(r.body["lockout"]["attempts"], 10);
    let r = m
        .control(
            Method::PUT,
            "/sites/1",
            Some(json!({"auth_token_ttl_days": 14, "lockout": {"status": 429}})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["auth_token_ttl_days"], 14);
    assert_eq!(
        r.body["lockout"],
        json!({"attempts": 10, "window_seconds": 300, "status": 429})
    );
    let r = m
        .control(
            Method::PUT,
            "/sites/1",
            Some(json!({"auth_token_ttl_days": 400})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"auth_token_ttl_days": ["auth_token_ttl_days: 400 is outside 1..=365"]}})
    );
    let r = m
        .control(Method::PUT, "/sites/1", Some(json!({"colour": "red"})))
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["errors"]["colour"][0]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );
    // Unchanged by the refused updates.
    assert_eq!(
        m.control(Method::GET, "/sites/1", None).await.body["auth_token_ttl_days"],
        14
    );
    assert_eq!(m.control(Method::GET, "/sites/9", None).await.status, 404);
    // A token minted now has the new lifetime.
    let t = m.register("ttl@example.com", "secret1").await.token();
    let c = common::claims(&t);
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        14 * 86_400
    );
}

#[tokio::test]
async fn the_documented_fault_script_429_then_503_then_normal() {
    let m = Mock::start().await;
    m.register("f@example.com", "secret1").await;
    let r = m
        .control(Method::POST, "/faults", Some(json!({"rules": [
            {"method": "POST", "path": "/auth/login", "nth": 3,
             "fault": {"type": "status", "status": 429, "headers": {"Retry-After": "2"}}},
            {"method": "POST", "path": "/auth/login", "nth": 4, "fault": {"type": "status", "status": 503}}
        ]})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(m.login("f@example.com", "secret1").await.status, 200);
    assert_eq!(m.login("f@example.com", "secret1").await.status, 200);
    let third = m.login("f@example.com", "secret1").await;
    assert_eq!(third.status, 429);
    assert_eq!(third.headers["retry-after"], "2");
    assert_eq!(third.body["error"]["status"], 429);
    let fourth = m.login("f@example.com", "secret1").await;
    assert_eq!(fourth.status, 503);
    assert_eq!(fourth.body["error"]["status"], 503);
    assert_eq!(m.login("f@example.com", "secret1").await.status, 200);
    // Other endpoints never matched.
    assert_eq!(m.get("/site", None).await.status, 200);
    let listed = m.control(Method::GET, "/faults", None).await;
    assert_eq!(listed.body["rules"][0]["seen"], 5);
    let r = m.control(Method::DELETE, "/faults", None).await;
    assert_eq!(r.body, json!({"rules": []}));
}

#[tokio::test]
async fn faults_times_zero_is_forever_and_method_is_optional() {
    let m = Mock::start().await;
    m.control(
        Method::POST,
        "/faults",
        Some(json!({"path": "/site", "nth": 2, "times": 0,
        "fault": {"type": "server_error", "report_id": "rep-1"}})),
    )
    .await;
    assert_eq!(m.get("/site", None).await.status, 200);
    for _ in 0..3 {
        let r = m.get("/site", None).await;
        assert_eq!(r.status, 500);
        assert_eq!(
            r.body,
            json!({"error": {"report_id": "rep-1", "status": 500, "message": "Server Error"}})
        );
    }
    m.control(Method::DELETE, "/faults", None).await;
    assert_eq!(m.get("/site", None).await.status, 200);
}

#[tokio::test]
async fn fault_not_json_drop_and_delay() {
    let m = Mock::start().await;
    m.control(
        Method::POST,
        "/faults",
        Some(json!({"rules": [
            {"path": "/site", "nth": 1, "fault": {"type": "not_json", "status": 502}},
            {"path": "/site", "nth": 2, "fault": {"type": "drop"}},
            {"path": "/site", "nth": 3, "fault": {"type": "delay", "ms": 150}},
            {"path": "/api/v1/sdk/geo/country", "fault": {"type": "server_error"}}
        ]})),
    )
    .await;
    let url = format!("{}?site_id=1", m.url("/site"));
    let r = m.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "text/html");
    assert!(serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).is_err());
    let dropped = m.http.get(&url).send().await;
    assert!(
        dropped.is_err(),
        "the connection is dropped without an answer: {dropped:?}"
    );
    let start = Instant::now();
    let r = m.get("/site", None).await;
    assert_eq!(r.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(150));
    let r = m.get("/geo/country", None).await;
    assert_eq!(r.status, 500);
    assert!(
        r.body["error"]["report_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let r = m
        .control(
            Method::POST,
            "/faults",
            Some(json!({"path": "/site", "fault": {"type": "explode"}})),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn the_request_log_records_what_arrived() {
    let m = Mock::start().await;
    let t = m.register("log@example.com", "secret1").await.token();
    m.call(Method::POST, "/customer", Some(&t), None).await;
    let r = m
        .http
        .post(m.url("/auth/login"))
        .json(&json!({"site_id": 1, "email": "log@example.com", "password": "secret1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let log = m.control(Method::GET, "/requests", None).await.body["requests"].clone();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], "/api/v1/sdk/auth/register");
    assert_eq!(log[0]["query"], "site_id=1");
    assert_eq!(log[0]["bearer"], false);
    assert_eq!(log[1]["bearer"], true);
    assert_eq!(log[2]["site_id"], 1);
    assert_eq!(log[2]["query"], serde_json::Value::Null);
    assert!(log[2]["at"].is_i64());
    let f = m
        .control(Method::GET, "/requests?path=/customer", None)
        .await;
    assert_eq!(f.body["requests"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reset_empties_the_store_but_keeps_sites() {
    let m = Mock::start().await;
    m.control(
        Method::PUT,
        "/sites/1",
        Some(json!({"auth_token_ttl_days": 7})),
    )
    .await;
    let t = m.register("gone@example.com", "secret1").await.token();
    m.control(
        Method::POST,
        "/faults",
        Some(json!({"path": "/site", "fault": {"type": "drop"}})),
    )
    .await;
    let r = m.control(Method::POST, "/reset", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(m.get("/site", None).await.status, 200, "faults cleared");
    assert_eq!(m.login("gone@example.com", "secret1").await.status, 404);
    let r = m.call(Method::POST, "/customer", Some(&t), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        m.control(Method::GET, "/sites/1", None).await.body["auth_token_ttl_days"],
        7
    );
    let r = m.register("gone@example.com", "secret1").await;
    assert_ne!(common::claims(&r.token())["sub"], common::claims(&t)["sub"]);
}

#[tokio::test]
async fn unknown_control_paths_are_404_and_one_time_tokens_404_when_absent() {
    let m = Mock::start().await;
    assert_eq!(m.control(Method::GET, "/nope", None).await.status, 404);
    assert_eq!(
        m.control(Method::GET, "/passwordless/x@example.com", None)
            .await
            .status,
        404
    );
    assert_eq!(
        m.control(Method::GET, "/password-reset/x@example.com", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let server = MockServer::start(MockConfig::default()).await.unwrap();
    let addr = server.local_addr();
    assert_eq!(server.base_url(), format!("http://{addr}"));
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let server = MockServer::start(MockConfig::default()).await.unwrap();
    let addr = server.local_addr();
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn an_invalid_profile_refuses_to_start() {
    let config = MockConfig {
        profile: pelcro_conformance::profile::SiteProfile {
            auth_token_ttl_days: 0,
            ..Default::default()
        },
        ..MockConfig::default()
    };
    assert!(MockServer::start(config).await.is_err());
}
