//! The validating proxy: forwards unchanged, checks every API answer against the contract,
//! reports per endpoint with its claims, and never stores a secret.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use pelcro_conformance::checks::CheckKind;
use pelcro_conformance::mock::{MockConfig, MockServer};
use pelcro_conformance::proxy::{self, NOT_IN_CONTRACT, ProxyConfig, ProxyError};
use pelcro_conformance::report::{RunReport, StepOutcome, SuiteOutcome, SuiteReport};
use serde_json::{Value, json};

const PASSWORD: &str = "Proxy-pass-42!";

fn suite<'a>(report: &'a RunReport, name: &str) -> &'a SuiteReport {
    report
        .suites
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no suite `{name}`"))
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pc-proxy-{tag}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn start_pair() -> (MockServer, proxy::ProxyHandle) {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let handle = proxy::start(ProxyConfig::new(mock.base_url()).expect("config"))
        .await
        .expect("proxy starts");
    (mock, handle)
}

#[tokio::test]
async fn a_client_journey_through_the_proxy_conforms_and_is_recorded_with_claims() {
    let (mock, handle) = start_pair().await;
    let api = format!("{}/api/v1/sdk", handle.base_url());
    let http = reqwest::Client::new();
    let email = "journey@example.com";

    let register = http
        .post(format!("{api}/auth/register?site_id=1"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 200);
    assert!(
        register
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"))
    );
    let register: Value = register.json().await.unwrap();
    assert_eq!(
        register["data"]["email"], email,
        "the client got the mock's answer"
    );

    let login: Value = http
        .post(format!("{api}/auth/login?site_id=1"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["data"]["auth_token"]
        .as_str()
        .expect("token")
        .to_owned();

    let me = http
        .get(format!("{api}/customer?site_id=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    let wrong = http
        .post(format!("{api}/auth/login?site_id=1"))
        .json(&json!({"email": email, "password": "Wrong-pass-1!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);

    let no_token = http
        .post(format!("{api}/customer?site_id=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(
        no_token.json::<Value>().await.unwrap(),
        json!({"error": {"message": "Token not provided"}})
    );

    // An API path the contract does not know, and the control API (outside the API).
    let unknown = http
        .get(format!("{api}/no/such/endpoint?site_id=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let caps = http
        .get(format!("{}/__control/capabilities", handle.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(caps.status(), 200);
    drop(http);

    let secrets = handle.secrets();
    assert!(secrets.contains(&token), "the bearer token was remembered");
    assert!(
        secrets.iter().any(|s| s == PASSWORD),
        "the password was remembered"
    );
    let report = handle.stop().await;
    mock.shutdown().await;

    assert!(
        report.passed(),
        "{}",
        pelcro_conformance::report::console::render(&report, true)
    );
    assert_eq!(report.site_id, "1");
    assert_eq!(report.registrations, vec![email.to_string()]);

    let register = suite(&report, "POST /auth/register");
    assert_eq!(register.outcome, SuiteOutcome::Passed);
    assert!(register.claims.iter().any(|c| c == "REG-OK"));
    assert_eq!(register.steps.len(), 1);

    let login = suite(&report, "POST /auth/login");
    assert_eq!(login.outcome, SuiteOutcome::Passed);
    assert!(login.claims.iter().any(|c| c == "LOGIN-BAD"));
    assert_eq!(login.steps.len(), 2);
    assert_eq!(login.steps[1].evidence.as_ref().unwrap().status, Some(404));

    let get = suite(&report, "GET /customer");
    assert_eq!(get.steps.len(), 1);
    assert!(get.claims.iter().any(|c| c == "CUST-GET"));
    let post = suite(&report, "POST /customer");
    assert_eq!(post.steps[0].evidence.as_ref().unwrap().status, Some(401));

    for suite in [register, login, get, post] {
        for step in &suite.steps {
            assert_eq!(step.outcome, StepOutcome::Passed, "{}", step.name);
            let kinds: Vec<CheckKind> = step.checks.iter().map(|c| c.kind).collect();
            assert_eq!(
                kinds,
                vec![CheckKind::Status, CheckKind::Header, CheckKind::Schema],
                "{}",
                step.name
            );
            assert!(step.checks.iter().all(|c| c.passed), "{}", step.name);
        }
    }
    let schema = &suite(&report, "POST /customer").steps[0].checks[2];
    assert_eq!(schema.subject, "error-401");

    assert_eq!(
        suite(&report, "GET /site").outcome,
        SuiteOutcome::Skipped,
        "an endpoint nobody called is skipped"
    );
    let unknown = suite(&report, NOT_IN_CONTRACT);
    assert_eq!(unknown.outcome, SuiteOutcome::Skipped);
    assert_eq!(unknown.steps.len(), 1);
    assert!(unknown.steps[0].checks.is_empty());
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("1 request(s) outside")),
        "{:?}",
        report.notes
    );

    // Nothing secret in the written report.
    let dir = temp_dir("journey");
    let written = proxy::write_report(&report, &dir, &Default::default()).expect("written");
    assert!(!written.is_empty());
    for path in &written {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(!text.contains(&token), "{}: the raw token", path.display());
        assert!(!text.contains(PASSWORD), "{}: the password", path.display());
        assert!(
            !text.contains("Bearer ey"),
            "{}: an Authorization value",
            path.display()
        );
        assert!(!text.contains("eyJ"), "{}: a JWT", path.display());
    }
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert!(json["suites"].as_array().is_some_and(|s| s.len() >= 20));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn wrong_answers_fail_the_right_check_and_reach_the_client_unchanged() {
    let (mock, handle) = start_pair().await;
    let http = reqwest::Client::new();
    let control = format!("{}/__control/faults", mock.base_url());
    let faults = json!({"rules": [
        {"method": "POST", "path": "/auth/login", "times": 2,
         "fault": {"type": "status", "status": 418}},
        {"method": "GET", "path": "/site", "times": 2, "fault": {"type": "not_json"}},
        {"method": "GET", "path": "/plan", "times": 1,
         "fault": {"type": "status", "status": 200, "body": {"error": false, "data": {"id": "x"}}}}
    ]});
    let scripted = http.post(&control).json(&faults).send().await.unwrap();
    assert_eq!(scripted.status(), 200);

    // The same faulted call, straight to the mock and through the proxy: identical answers.
    let direct = http
        .post(format!(
            "{}/api/v1/sdk/auth/login?site_id=1",
            mock.base_url()
        ))
        .json(&json!({"email": "a@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let proxied = http
        .post(format!(
            "{}/api/v1/sdk/auth/login?site_id=1",
            handle.base_url()
        ))
        .json(&json!({"email": "a@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 418);
    assert_eq!(direct.status(), proxied.status());
    assert_eq!(
        direct.headers().get("content-type"),
        proxied.headers().get("content-type")
    );
    assert_eq!(
        direct.bytes().await.unwrap(),
        proxied.bytes().await.unwrap()
    );

    let direct_site = http
        .get(format!("{}/api/v1/sdk/site?site_id=1", mock.base_url()))
        .send()
        .await
        .unwrap();
    let site = http
        .get(format!("{}/api/v1/sdk/site?site_id=1", handle.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(site.status(), 200);
    assert_eq!(
        site.headers().get("content-type"),
        direct_site.headers().get("content-type")
    );
    let site_body = site.text().await.unwrap();
    assert_eq!(site_body, direct_site.text().await.unwrap());
    assert_eq!(site_body, "<html>Bad Gateway</html>");

    let plan = http
        .get(format!(
            "{}/api/v1/sdk/plan?site_id=1&plan_id=1001",
            handle.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(plan.status(), 200);
    assert_eq!(
        plan.json::<Value>().await.unwrap(),
        json!({"error": false, "data": {"id": "x"}})
    );
    drop(http);

    let report = handle.stop().await;
    mock.shutdown().await;
    assert!(!report.passed());

    let login = suite(&report, "POST /auth/login");
    assert_eq!(login.outcome, SuiteOutcome::Failed);
    let step = &login.steps[0];
    assert_eq!(step.outcome, StepOutcome::Failed);
    let status = step
        .checks
        .iter()
        .find(|c| c.kind == CheckKind::Status)
        .unwrap();
    assert!(!status.passed);
    assert_eq!(status.actual, "418");
    assert!(
        !step.checks.iter().any(|c| c.kind == CheckKind::Schema),
        "no schema for an undocumented status"
    );
    assert!(login.reason.as_deref().unwrap().contains("418"));

    let site = suite(&report, "GET /site");
    assert_eq!(site.outcome, SuiteOutcome::Failed);
    let checks = &site.steps[0].checks;
    let find = |kind| checks.iter().find(|c| c.kind == kind).unwrap();
    assert!(find(CheckKind::Status).passed, "200 is documented");
    let content_type = find(CheckKind::Header);
    assert!(!content_type.passed);
    assert!(content_type.actual.contains("text/html"));
    let schema = find(CheckKind::Schema);
    assert!(!schema.passed);
    assert_eq!(schema.subject, "site-envelope");
    assert!(schema.actual.contains("not JSON"), "{}", schema.actual);

    let plan = suite(&report, "GET /plan");
    assert_eq!(plan.outcome, SuiteOutcome::Failed);
    let checks = &plan.steps[0].checks;
    assert!(
        checks
            .iter()
            .filter(|c| c.kind != CheckKind::Schema)
            .all(|c| c.passed)
    );
    let schema = checks.iter().find(|c| c.kind == CheckKind::Schema).unwrap();
    assert!(!schema.passed);
    assert_eq!(schema.subject, "plan-envelope");
    assert!(schema.actual.contains("plan-envelope"), "{}", schema.actual);
}

#[tokio::test]
async fn an_upstream_that_does_not_answer_is_an_error_not_a_pass() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let handle = proxy::start(ProxyConfig::new(format!("http://{addr}")).unwrap())
        .await
        .unwrap();
    let answer = reqwest::get(format!("{}/api/v1/sdk/site?site_id=1", handle.base_url()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    let report = handle.stop().await;
    assert!(!report.passed());
    let site = suite(&report, "GET /site");
    assert_eq!(site.outcome, SuiteOutcome::Failed);
    assert_eq!(site.steps[0].outcome, StepOutcome::Errored);
}

#[tokio::test]
async fn plain_http_upstreams_other_than_loopback_are_refused() {
    for upstream in ["http://example.com", "mock", "ftp://127.0.0.1", "not a url"] {
        let result = proxy::start(ProxyConfig::new(upstream).unwrap()).await;
        assert!(
            matches!(result, Err(ProxyError::Usage(_))),
            "{upstream} was accepted"
        );
    }
    let ok = proxy::start(ProxyConfig::new("https://www.pelcro.com").unwrap()).await;
    assert!(
        ok.is_ok(),
        "https is accepted (nothing is sent until a client asks)"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_cli_proxy_writes_its_report_on_interrupt_and_exits_by_conformance() {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = free.local_addr().unwrap();
    drop(free);
    let dir = temp_dir("cli");
    let child = Command::new(env!("CARGO_BIN_EXE_pelcro-conformance"))
        .args(["proxy", "--upstream", &mock.base_url(), "--listen"])
        .arg(listen.to_string())
        .arg("--report-dir")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // Wait until it listens.
    let http = reqwest::Client::new();
    let url = format!("http://{listen}/api/v1/sdk/site?site_id=1");
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(answer) = http.get(&url).send().await {
            answered = Some(answer.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answered.map(|s| s.as_u16()), Some(200));
    drop(http);
    common::ctrl_c(&child);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("GET /site"), "{stdout}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let site = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "GET /site")
        .unwrap();
    assert_eq!(site["outcome"], "passed");
    let _ = std::fs::remove_dir_all(&dir);
    mock.shutdown().await;
}
