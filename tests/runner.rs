//! The runner's semantics, in-process against the embedded mock (and a stand-in without the
//! control API): not-run steps, skips by capability, repeat, the virtual clock.

mod common;

use pelcro_conformance::app::{RunOptions, execute};
use pelcro_conformance::checks::Gate;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::report::{RunReport, StepOutcome, SuiteOutcome, console};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::target::TargetSpec;

use common::suite_from_text as suite;

async fn run(text: &str) -> RunReport {
    common::run_on_mock(vec![suite(text)], SiteProfile::default())
        .await
        .report
}

#[tokio::test]
async fn a_step_needing_a_missing_capture_is_not_run_never_passed() {
    let report = run("name: capture gap
claims: [REG-OK]
steps:
  - name: register
    request: { method: POST, path: /auth/register, json: { email: \"{{ fresh_email }}\", password: \"{{ fresh_password }}\" } }
    capture: { thing: /data/no_such_field, token: /data/auth_token }
  - name: uses the missing capture
    request: { method: GET, path: /customer, bearer: \"{{ thing }}\" }
    expect: { status: 200 }
  - name: uses the good capture
    request: { method: GET, path: /customer, bearer: \"{{ token }}\" }
    expect: { status: 200 }
")
    .await;
    let suite = &report.suites[0];
    assert_eq!(
        suite.outcome,
        SuiteOutcome::Failed,
        "{}",
        console::render(&report, true)
    );
    let outcomes: Vec<StepOutcome> = suite.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [
            StepOutcome::Failed,
            StepOutcome::NotRun,
            StepOutcome::Passed
        ]
    );
    assert!(
        suite.steps[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("/data/no_such_field")
    );
    assert_eq!(
        suite.steps[1].reason.as_deref(),
        Some("needs `thing`, which an earlier step did not capture")
    );
    assert!(report.counts().failed == 1 && report.counts().passed == 0);
}

#[tokio::test]
async fn repeat_sends_n_times_and_checks_every_answer() {
    // With every step's evidence kept (-v): a passing step's is otherwise dropped.
    let mut options = RunOptions::new(
        TargetSpec::Mock,
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    options.full_evidence = true;
    let text = "name: repeat
claims: [ERR-401]
steps:
  - name: three times
    request: { method: POST, path: /customer, headers: { X-Attempt: \"{{ repeat_index }}\" } }
    repeat: 3
    expect: { status: 401 }
";
    let report = execute(options, vec![suite(text)])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages))
        .report;
    let step = &report.suites[0].steps[0];
    assert_eq!(step.outcome, StepOutcome::Passed);
    assert_eq!(step.attempts, 3);
    let evidence = step.evidence.as_ref().unwrap();
    assert!(
        evidence
            .request_headers
            .contains(&("X-Attempt".into(), "3".into())),
        "{evidence:?}"
    );
}

#[tokio::test]
async fn the_virtual_clock_expires_a_token_without_sleeping() {
    let started = std::time::Instant::now();
    let report = run("name: expiry
claims: [TOKEN-EXPIRED]
requires: [clock]
steps:
  - name: register
    request: { method: POST, path: /auth/register, json: { email: \"{{ fresh_email }}\", password: \"{{ fresh_password }}\" } }
    capture: { token: /data/auth_token }
  - name: 59 days pass
    advance_clock: 59d
  - name: still valid within the lifetime
    request: { method: POST, path: /customer, bearer: \"{{ token }}\" }
    expect: { status: 200 }
  - name: the 60 days are over
    advance_clock: 86401s
  - name: refused as expired
    request: { method: POST, path: /customer, bearer: \"{{ token }}\" }
    expect:
      status: 403
      json: { /error/message: \"Authentication token has expired, please try again\" }
")
    .await;
    assert_eq!(
        report.suites[0].outcome,
        SuiteOutcome::Passed,
        "{}",
        console::render(&report, true)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the run slept"
    );
}

/// A stand-in for a live site: no control API (404 there), 401 on the protected endpoint.
async fn start_plain_target() -> String {
    use axum::{Json, Router, http::StatusCode, routing::any};
    let app = Router::new()
        .route(
            "/api/v1/sdk/customer",
            any(|| async {
                (
                    StatusCode::UNAUTHORIZED,
                    Json(serde_json::json!({"error": {"message": "Token not provided"}})),
                )
            }),
        )
        .fallback(|| async { StatusCode::NOT_FOUND });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn suites_needing_a_capability_the_target_lacks_are_skipped_with_the_reason() {
    let base = start_plain_target().await;
    let options = RunOptions::new(
        TargetSpec::parse(&base).unwrap(),
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    let needs_clock = suite(
        "name: needs the clock
claims: [TOKEN-EXPIRED]
requires: [clock]
steps:
  - name: wait
    advance_clock: 1d
",
    );
    let plain = suite(
        "name: plain
claims: [ERR-401]
steps:
  - name: no token
    request: { method: POST, path: /customer }
    expect: { status: 401, schema: error-401 }
",
    );
    let outcome = execute(options, vec![needs_clock, plain])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    let report = outcome.report;
    assert!(report.capabilities.is_empty(), "{:?}", report.capabilities);
    assert_eq!(report.suites[0].outcome, SuiteOutcome::Skipped);
    assert!(
        report.suites[0].steps.is_empty(),
        "a skipped suite sends nothing"
    );
    assert_eq!(
        report.suites[0].reason.as_deref(),
        Some(format!("needs the clock capability, which {base} lacks").as_str())
    );
    assert_eq!(
        report.suites[1].outcome,
        SuiteOutcome::Passed,
        "{}",
        console::render(&report, true)
    );
    assert_eq!(report.counts().to_string(), "1 passed, 0 failed, 1 skipped");
}

#[tokio::test]
async fn when_runs_or_skips_a_suite_by_profile_and_environment() {
    let text = |when: &str| {
        format!(
            "name: conditional {when}
claims: [SINGLE-USER]
when: \"{when}\"
steps:
  - name: no token
    request: {{ method: POST, path: /customer }}
    expect: {{ status: 401 }}
"
        )
    };
    let suites = vec![
        suite(&text("{{ profile.passwordless_enabled }}")),
        suite(&text("{{ profile.single_user_auth }}")),
        suite(&text("{{ env.PC_TEST_SURELY_UNSET_VARIABLE }}")),
    ];
    let report = common::run_on_mock(suites, SiteProfile::default())
        .await
        .report;
    let outcomes: Vec<SuiteOutcome> = report.suites.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [
            SuiteOutcome::Passed,
            SuiteOutcome::Skipped,
            SuiteOutcome::Skipped
        ]
    );
    assert_eq!(
        report.suites[1].reason.as_deref(),
        Some("`when: {{ profile.single_user_auth }}` is false for this run")
    );
    assert!(
        report.suites[2]
            .reason
            .as_deref()
            .unwrap()
            .contains("PC_TEST_SURELY_UNSET_VARIABLE is not set")
    );
}

#[tokio::test]
async fn allow_lockout_grants_the_capability_and_says_so() {
    let base = start_plain_target().await;
    let options = RunOptions {
        allow_lockout: true,
        ..RunOptions::new(
            TargetSpec::parse(&base).unwrap(),
            SiteProfile::default(),
            SchemaSet::embedded().unwrap(),
        )
    };
    let lockout = suite(
        "name: lockout gated
claims: [LOCKOUT]
requires: [lockout]
steps:
  - name: no token
    request: { method: POST, path: /customer }
    expect: { status: 401 }
",
    );
    let report = execute(options, vec![lockout])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages))
        .report;
    assert_eq!(report.capabilities, ["lockout"]);
    assert_eq!(report.suites[0].outcome, SuiteOutcome::Passed);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("--allow-lockout")),
        "{:?}",
        report.notes
    );
}

#[tokio::test]
async fn the_report_lists_the_accounts_a_run_registered() {
    let report = run("name: registers
claims: [REG-OK]
steps:
  - name: register
    request: { method: POST, path: /auth/register, json: { email: \"{{ fresh_email }}\", password: \"{{ fresh_password }}\" } }
    expect: { status: 200 }
")
    .await;
    assert_eq!(report.registrations.len(), 1, "{:?}", report.registrations);
    assert!(report.registrations[0].ends_with("@conformance.example.com"));
}

#[tokio::test]
async fn a_profile_without_registration_skips_suites_that_register() {
    let profile = SiteProfile {
        allow_registration: false,
        ..SiteProfile::default()
    };
    let registers = suite("name: registers
claims: [REG-OK]
steps:
  - name: register
    request: { method: POST, path: /auth/register, json: { email: \"{{ fresh_email }}\", password: \"{{ fresh_password }}\" } }
    expect: { status: 200 }
");
    let report = common::run_on_mock(vec![registers], profile).await.report;
    assert_eq!(report.suites[0].outcome, SuiteOutcome::Skipped);
    assert!(
        report.suites[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("allow_registration: false")
    );
    assert!(report.registrations.is_empty());
}

#[tokio::test]
async fn a_step_resting_on_a_failed_assumption_is_not_run_without_failing_the_suite() {
    let text = "name: assumption gap
claims: [REG-OK]
steps:
  - name: register
    request: { method: POST, path: /auth/register, json: { email: \"{{ fresh_email }}\", password: \"{{ fresh_password }}\" } }
    expect: { status: 200 }
  - name: an assumed capture
    assumed: the documents do not promise this field
    request: { method: GET, path: /site }
    capture: { thing: /data/no_such_field }
  - name: uses it
    request: { method: GET, path: /plan, query: { plan_id: \"{{ thing }}\" } }
    expect: { status: 200 }
";
    let run_with = |gate: Gate| {
        let options = RunOptions {
            gate,
            ..RunOptions::new(
                TargetSpec::Mock,
                SiteProfile::default(),
                SchemaSet::embedded().unwrap(),
            )
        };
        async move { execute(options, vec![suite(text)]).await.unwrap().report }
    };
    let report = run_with(Gate::default()).await;
    let s = &report.suites[0];
    assert_eq!(s.outcome, SuiteOutcome::Passed, "{:?}", s.reason);
    assert_eq!(s.steps[2].outcome, StepOutcome::NotRun);
    assert!(
        s.steps[2].notes[0].contains("assumption"),
        "{:?}",
        s.steps[2].notes
    );
    assert_eq!(report.advisories.len(), 1, "{:?}", report.advisories);
    let strict = run_with(Gate {
        strict: true,
        ..Gate::default()
    })
    .await;
    assert_eq!(strict.suites[0].outcome, SuiteOutcome::Failed);
}

/// A target whose login answers `307` to another origin, which counts what reaches it.
async fn start_redirecting_target() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::{Router, http::StatusCode, response::IntoResponse, routing::any};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reached);
    let elsewhere = Router::new().fallback(move || {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            StatusCode::OK
        }
    });
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_addr = other.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(other, elsewhere).await.unwrap() });
    let location = format!("http://{other_addr}/api/v1/sdk/auth/login");
    let app = Router::new()
        .route(
            "/api/v1/sdk/auth/login",
            any(move || {
                let location = location.clone();
                async move {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [("location", location)],
                        "moved",
                    )
                        .into_response()
                }
            }),
        )
        .fallback(|| async { StatusCode::NOT_FOUND });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), reached)
}

#[tokio::test]
async fn a_redirect_is_an_answer_judged_by_the_contract_and_the_login_body_never_reaches_the_other_origin()
 {
    let (base, reached) = start_redirecting_target().await;
    let options = RunOptions::new(
        TargetSpec::parse(&base).unwrap(),
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    let login = suite(
        "name: log in
claims: [LOGIN-OK]
steps:
  - name: log in
    request: { method: POST, path: /auth/login, json: { email: \"{{ fresh_email }}\", password: \"{{ fresh_password }}\" } }
    expect: { status: 200, schema: customer-token-envelope }
",
    );
    let outcome = execute(options, vec![login])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    let report = outcome.report;
    let step = &report.suites[0].steps[0];
    assert_eq!(
        step.outcome,
        StepOutcome::Failed,
        "{}",
        console::render(&report, true)
    );
    assert_eq!(step.evidence.as_ref().and_then(|e| e.status), Some(307));
    assert_eq!(
        reached.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

#[tokio::test]
async fn a_target_without_the_control_api_gets_one_probe_there_and_nothing_else() {
    use axum::{Router, extract::Request, http::StatusCode};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let control = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&control);
    let app = Router::new().fallback(move |request: Request| {
        let counter = Arc::clone(&counter);
        async move {
            if request.uri().path().starts_with("/__control") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            StatusCode::NOT_FOUND
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut options = RunOptions::new(
        TargetSpec::parse(&format!("http://{addr}")).unwrap(),
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    options.politeness.max_rps = pelcro_conformance::runner::RateCap::Unlimited;
    // Every built-in suite: those needing the control API, faults or the clock are skipped.
    let suites = pelcro_conformance::suite::load::load_all(
        &pelcro_conformance::suite::load::embedded_sources(),
        &pelcro_conformance::suite::LoadContext {
            schemas: &SchemaSet::embedded().unwrap(),
            profile: &SiteProfile::default().to_json(),
            live: true,
        },
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let outcome = execute(options, suites)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    assert!(
        outcome
            .report
            .suites
            .iter()
            .any(|s| s.outcome == SuiteOutcome::Skipped)
    );
    assert_eq!(
        control.load(Ordering::SeqCst),
        1,
        "only the capability probe"
    );
    assert!(
        outcome.report.notes.iter().all(|n| !n.contains("put back")),
        "{:?}",
        outcome.report.notes
    );
}

#[tokio::test]
async fn a_standalone_mock_gets_back_its_settings_faults_and_clock_when_the_run_ends() {
    use pelcro_conformance::mock::{MockConfig, MockServer};
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let before_site = mock.site(1).await.unwrap();
    mock.faults()
        .on("GET", "/plan")
        .nth(1000)
        .status(503)
        .add()
        .await
        .unwrap();
    let before_clock = mock.clock().await.unwrap();
    let (strict, _) = pelcro_conformance::app::load_profile(Some("strict")).unwrap();
    assert_ne!(
        strict, before_site,
        "the run's profile differs from the mock's"
    );
    let options = RunOptions::new(
        TargetSpec::parse(&mock.base_url()).unwrap(),
        strict.clone(),
        SchemaSet::embedded().unwrap(),
    );
    // Moves the clock 60+ days, scripts faults and changes site settings.
    let suites: Vec<_> = [
        "tokens/expiry.yaml",
        "errors/backoff-429.yaml",
        "auth/passwordless-disabled.yaml",
    ]
    .iter()
    .map(|file| {
        common::load_suite(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("suites")
                .join(file),
            &strict,
        )
    })
    .collect();
    let outcome = execute(options, suites)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    assert!(
        outcome
            .report
            .suites
            .iter()
            .all(|s| s.outcome != SuiteOutcome::Skipped),
        "{}",
        console::render(&outcome.report, true)
    );
    assert_eq!(mock.site(1).await.unwrap(), before_site);
    let faults = mock.faults().list().await.unwrap();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!((faults[0].path.as_str(), faults[0].nth), ("/plan", 1000));
    let after_clock = mock.clock().await.unwrap();
    assert_eq!(after_clock.frozen, before_clock.frozen);
    assert!(
        (after_clock.offset_seconds - before_clock.offset_seconds).abs() <= 1,
        "{before_clock:?} → {after_clock:?}"
    );
}

/// The five-request flow of the speed comparison: it needs only the public API.
const FLOW: &str = r#"name: flow
claims: [LOGIN-BAD]
steps:
  - name: register
    request:
      method: POST
      path: /auth/register
      json: { email: "{{ fresh_email }}", password: "{{ fresh_password }}" }
    expect: { status: 200, json: { /data/email: "{{ fresh_email }}" } }
    capture: { token: /data/auth_token }
  - name: retrieve
    request: { method: GET, path: /customer, bearer: "{{ token }}" }
    expect: { status: 200, json: { /data/email: "{{ fresh_email }}" } }
  - name: wrong password
    request:
      method: POST
      path: /auth/login
      json: { email: "{{ fresh_email }}", password: "{{ fresh_password_wrong }}" }
    expect: { status: 404 }
  - name: logout
    request: { method: POST, path: /auth/logout, bearer: "{{ token }}" }
    expect: { status: 200 }
  - name: dead token
    request: { method: GET, path: /customer, bearer: "{{ token }}" }
    expect: { status: 403 }
"#;

/// A standalone mock behind a proxy that lists every control request it forwards.
async fn counted_mock() -> (
    common::proxy::DeviatingTarget,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use common::proxy::{DeviatingTarget, Mutation};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    let mutation = Mutation {
        control: Some(std::sync::Arc::new(
            move |request: &mut common::proxy::ProxyRequest| {
                log.lock()
                    .unwrap()
                    .push(format!("{} {}", request.method, request.path));
            },
        )),
        ..Mutation::none()
    };
    let target =
        DeviatingTarget::start(pelcro_conformance::mock::MockConfig::default(), mutation).await;
    (target, seen)
}

#[tokio::test]
async fn a_run_of_suites_that_need_only_the_public_api_sends_the_standalone_mock_one_probe() {
    let (target, seen) = counted_mock().await;
    let options = RunOptions::new(
        TargetSpec::parse(&target.base_url).unwrap(),
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    let outcome = execute(options, vec![suite(FLOW)])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    assert!(
        outcome.report.passed(),
        "{}",
        console::render(&outcome.report, true)
    );
    assert_eq!(*seen.lock().unwrap(), ["GET /__control/capabilities"]);

    // A suite that moves the clock still gets the profile, a frozen clock and its state back.
    seen.lock().unwrap().clear();
    let clocked = suite(
        "name: clocked\nclaims: [TOKEN-TTL]\nrequires: [clock]\nsteps:\n  - name: wait\n    advance_clock: 5m\n",
    );
    let options = RunOptions::new(
        TargetSpec::parse(&target.base_url).unwrap(),
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    let outcome = execute(options, vec![suite(FLOW), clocked])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    assert!(
        outcome.report.passed(),
        "{}",
        console::render(&outcome.report, true)
    );
    let seen = seen.lock().unwrap().clone();
    for expected in [
        "GET /__control/capabilities",
        "GET /__control/sites/1",
        "PUT /__control/sites/1",
        "POST /__control/clock/freeze",
        "POST /__control/clock/advance",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected} in {seen:?}");
    }
    assert_eq!(
        seen.iter()
            .filter(|s| s.as_str() == "GET /__control/capabilities")
            .count(),
        1,
        "one probe: {seen:?}"
    );
}

#[tokio::test]
async fn the_embedded_mock_s_capabilities_are_known_without_a_probe() {
    let outcome = common::run_on_mock(vec![suite(FLOW)], SiteProfile::default()).await;
    assert!(outcome.report.passed());
    assert_eq!(
        outcome.report.capabilities,
        ["clock", "faults", "lockout", "control"]
    );
}

#[tokio::test]
async fn only_steps_that_failed_or_have_an_advisory_keep_their_evidence_unless_asked() {
    let text = r#"name: mixed
claims: [LOGIN-BAD]
steps:
  - name: passes
    request: { method: GET, path: /site }
    expect: { status: 200 }
  - name: advisory
    request: { method: GET, path: /site }
    expect: { status: 200 }
    assume: { why: a silence of the documents, status: 201 }
  - name: fails
    request: { method: GET, path: /site }
    expect: { status: 400 }
"#;
    let kept = |report: &RunReport| -> Vec<bool> {
        report.suites[0]
            .steps
            .iter()
            .map(|s| s.evidence.is_some())
            .collect()
    };
    let outcome = common::run_on_mock(vec![suite(text)], SiteProfile::default()).await;
    assert_eq!(kept(&outcome.report), [false, true, true]);
    let json = pelcro_conformance::report::json::render(&outcome.report);
    let back = pelcro_conformance::report::json::parse(&json).unwrap();
    assert_eq!(kept(&back), [false, true, true], "read back as written");

    let mut options = RunOptions::new(
        TargetSpec::Mock,
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    options.full_evidence = true;
    let outcome = execute(options, vec![suite(text)])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    assert_eq!(
        kept(&outcome.report),
        [true, true, true],
        "-v keeps every step's"
    );
}

#[tokio::test]
async fn the_report_of_200_passing_flows_is_under_300_kb() {
    let suites: Vec<_> = (0..200)
        .map(|n| suite(&FLOW.replace("name: flow", &format!("name: flow {n:03}"))))
        .collect();
    let outcome = common::run_on_mock(suites, SiteProfile::default()).await;
    assert!(outcome.report.passed());
    let json = pelcro_conformance::report::json::render(&outcome.report);
    assert!(json.len() < 300_000, "{} bytes", json.len());
    let schemas = SchemaSet::embedded().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        schemas
            .validate(pelcro_conformance::report::json::SCHEMA, &value)
            .is_ok(),
        "the compact report keeps its schema"
    );
}
