//! The mock under load: `cargo test --release --test load -- --ignored --nocapture`.
//!
//! Many concurrent clients register, log in, refresh and log out; afterwards nothing may be lost:
//! every registration is stored, every token that was refreshed away or logged out is refused,
//! and lockout counted every failure of a concurrent burst exactly. Bounded in count and time,
//! loopback only. Ignored by default because it is a load test, not a behaviour test: the
//! behaviours themselves are covered by tests/mock_concurrency.rs on every `cargo test`.

use std::time::{Duration, Instant};

use pelcro_conformance::mock::{MockConfig, MockServer};
use serde_json::{Value, json};

const CLIENTS: usize = 200;

struct Client {
    http: reqwest::Client,
    api: String,
}

impl Client {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}?site_id=1", self.api))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the mock answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn token(body: &Value) -> String {
    body["data"]["auth_token"]
        .as_str()
        .expect("a token")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load test: run with --ignored"]
async fn nothing_is_lost_under_load() {
    let mock = MockServer::start(MockConfig {
        frozen_clock: true,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let client = std::sync::Arc::new(Client {
        http: reqwest::Client::new(),
        api: format!("{}/api/v1/sdk", mock.base_url()),
    });
    let started = Instant::now();

    // Every client: register, log in, refresh, log out. Keep the tokens that must now be dead.
    let mut journeys = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let client = std::sync::Arc::clone(&client);
        journeys.spawn(async move {
            let (email, password) = (format!("load{i}@example.com"), format!("Load!pass{i}"));
            let credentials = json!({"email": email, "password": password});
            let (status, registered) = client
                .post("/auth/register", None, credentials.clone())
                .await;
            assert_eq!(status, 200, "register {i}: {registered}");
            let (status, logged_in) = client.post("/auth/login", None, credentials.clone()).await;
            assert_eq!(status, 200, "login {i}");
            let (status, refreshed) = client
                .post("/customer/refresh", Some(&token(&logged_in)), json!({}))
                .await;
            assert_eq!(status, 200, "refresh {i}");
            let (status, _) = client
                .post("/auth/logout", Some(&token(&refreshed)), json!({}))
                .await;
            assert_eq!(status, 200, "logout {i}");
            (credentials, vec![token(&logged_in), token(&refreshed)])
        });
    }
    let mut accounts = Vec::new();
    while let Some(joined) = journeys.join_next().await {
        accounts.push(joined.expect("a journey"));
    }
    let journeys_took = started.elapsed();

    // Every registration stored, every dead token refused.
    for (credentials, dead) in &accounts {
        let (status, _) = client.post("/auth/login", None, credentials.clone()).await;
        assert_eq!(status, 200, "a registration was lost: {credentials}");
        for token in dead {
            let (status, _) = client.post("/customer", Some(token), json!({})).await;
            assert_eq!(status, 403, "a dead token passed");
        }
    }

    // A concurrent burst of wrong passwords on one account: exactly N are counted as failures.
    let victim = json!({"email": "load0@example.com", "password": "wrong-password"});
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let client = std::sync::Arc::clone(&client);
        let victim = victim.clone();
        burst.spawn(async move { client.post("/auth/login", None, victim).await.0 });
    }
    let mut statuses = Vec::new();
    while let Some(joined) = burst.join_next().await {
        statuses.push(joined.unwrap());
    }
    let failures = statuses.iter().filter(|s| **s == 404).count();
    let locked = statuses.iter().filter(|s| **s == 400).count();
    assert_eq!(
        (failures, locked),
        (10, 50),
        "lockout counted every failure exactly once"
    );

    let requests = CLIENTS * 4 + CLIENTS * 3 + 60;
    println!(
        "{CLIENTS} concurrent journeys (register, login, refresh, logout) in {journeys_took:?}; {requests} requests in {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "bounded in time"
    );
}
