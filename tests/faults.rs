//! A misbehaving target never stops a run: each fault the mock can script becomes a failed or
//! errored step with a clear reason, the other suites still run, and 429s are waited out on the
//! virtual clock.

mod common;

use std::time::{Duration, Instant};

use pelcro_conformance::app::{RunOptions, execute};
use pelcro_conformance::http::Timeouts;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::report::{RunReport, StepOutcome, StepReport, SuiteOutcome, console};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::LoadedSuite;
use pelcro_conformance::target::TargetSpec;

use common::suite_from_text as suite;

/// A suite that scripts one fault on `GET /site`, then calls it expecting a good answer.
fn faulted(name: &str, fault: &str) -> LoadedSuite {
    faulted_with(name, fault, "1", "[faults, control, clock]")
}

fn faulted_with(name: &str, fault: &str, times: &str, requires: &str) -> LoadedSuite {
    suite(&format!(
        "name: {name}
claims: [SITE]
requires: {requires}
steps:
  - name: script the fault
    request: {{ method: POST, path: /faults, control: true, json: {{ method: GET, path: /site, times: {times}, fault: {fault} }} }}
    expect: {{ status: 200 }}
  - name: call the site
    request: {{ method: GET, path: /site }}
    expect: {{ status: 200, schema: site-envelope }}
"
    ))
}

fn healthy() -> LoadedSuite {
    suite(
        "name: healthy
claims: [SITE]
steps:
  - name: call the site
    request: { method: GET, path: /site }
    expect: { status: 200, schema: site-envelope }
",
    )
}

async fn run(suites: Vec<LoadedSuite>, total_timeout: Duration) -> RunReport {
    let options = RunOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            total: total_timeout,
        },
        ..RunOptions::new(
            TargetSpec::Mock,
            SiteProfile::default(),
            SchemaSet::embedded().unwrap(),
        )
    };
    execute(options, suites)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages))
        .report
}

fn faulted_step(report: &RunReport, suite: &str) -> StepReport {
    let suite = report
        .suites
        .iter()
        .find(|s| s.name == suite)
        .expect("the suite ran");
    suite
        .steps
        .iter()
        .find(|s| s.name == "call the site")
        .cloned()
        .expect("the step ran")
}

#[tokio::test]
async fn every_fault_becomes_a_clear_failure_and_the_run_goes_on() {
    let suites = vec![
        faulted("dropped connection", "{ type: drop }"),
        faulted("slow answer", "{ type: delay, ms: 1500 }"),
        faulted("not JSON", "{ type: not_json }"),
        faulted("server error", "{ type: server_error }"),
        faulted("bad gateway", "{ type: status, status: 503 }"),
        healthy(),
    ];
    let report = run(suites, Duration::from_millis(1000)).await;
    let text = console::render(&report, false);

    let dropped = faulted_step(&report, "dropped connection");
    assert_eq!(dropped.outcome, StepOutcome::Errored, "{text}");
    assert!(
        dropped.reason.as_deref().unwrap().contains("connection"),
        "{:?}",
        dropped.reason
    );

    let slow = faulted_step(&report, "slow answer");
    assert_eq!(slow.outcome, StepOutcome::Errored, "{text}");
    assert_eq!(slow.reason.as_deref(), Some("timed out after 1s"));

    let not_json = faulted_step(&report, "not JSON");
    assert_eq!(not_json.outcome, StepOutcome::Failed);
    assert!(
        not_json
            .reason
            .as_deref()
            .unwrap()
            .contains("a body that is not JSON: <html>Bad Gateway</html>"),
        "{:?}",
        not_json.reason
    );

    for (name, status) in [("server error", "500"), ("bad gateway", "503")] {
        let step = faulted_step(&report, name);
        assert_eq!(step.outcome, StepOutcome::Failed);
        assert_eq!(
            step.reason.as_deref(),
            Some(format!("status: expected 200, got {status}").as_str())
        );
    }

    assert_eq!(
        report.suites.last().unwrap().outcome,
        SuiteOutcome::Passed,
        "the healthy suite still passes: {text}"
    );
    assert_eq!(report.counts().to_string(), "1 passed, 5 failed, 0 skipped");
}

#[tokio::test]
async fn a_body_over_the_size_cap_is_an_errored_step() {
    // A target whose site answer is 5 MiB: more than the harness reads (4 MiB).
    use axum::{Router, routing::get};
    let app = Router::new()
        .route(
            "/api/v1/sdk/site",
            get(|| async { format!("{{\"blob\":\"{}\"}}", "x".repeat(5 * 1024 * 1024)) }),
        )
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let options = RunOptions::new(
        TargetSpec::parse(&base).unwrap(),
        SiteProfile::default(),
        SchemaSet::embedded().unwrap(),
    );
    let report = execute(options, vec![healthy()])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages))
        .report;
    let step = &report.suites[0].steps[0];
    assert_eq!(step.outcome, StepOutcome::Errored);
    assert_eq!(
        step.reason.as_deref(),
        Some("the body is larger than 4194304 bytes")
    );
}

#[tokio::test]
async fn a_429_is_waited_out_on_the_virtual_clock_without_sleeping() {
    let started = Instant::now();
    let seconds = faulted(
        "throttled in seconds",
        "{ type: status, status: 429, headers: { Retry-After: \"3600\" } }",
    );
    let date = faulted(
        "throttled until a date",
        "{ type: status, status: 429, headers: { Retry-After: \"Wed, 21 Oct 2015 07:28:00 GMT\" } }",
    );
    let report = run(vec![seconds, date], Duration::from_secs(5)).await;
    let text = console::render(&report, true);
    assert!(report.passed(), "{text}");
    let step = faulted_step(&report, "throttled in seconds");
    assert_eq!(
        step.notes,
        ["429: waited 3600.0 s (Retry-After: 3600) by advancing the mock's clock, then retried"]
    );
    // A date in the past means "now": no wait, but a retry.
    assert!(
        faulted_step(&report, "throttled until a date").notes[0]
            .starts_with("429: waited 0.0 s (Retry-After: Wed")
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the run slept for real: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_throttle_that_never_lifts_fails_after_bounded_retries() {
    let report = run(
        vec![faulted_with(
            "always throttled",
            "{ type: status, status: 429, headers: { Retry-After: \"10\" } }",
            "0",
            "[faults, control, clock]",
        )],
        Duration::from_secs(5),
    )
    .await;
    let step = faulted_step(&report, "always throttled");
    assert_eq!(step.outcome, StepOutcome::Failed);
    assert_eq!(
        step.reason.as_deref(),
        Some("status: expected 200, got 429")
    );
    assert_eq!(step.notes.len(), 5, "{:?}", step.notes);
}

#[tokio::test]
async fn a_real_wait_longer_than_the_cap_is_not_taken() {
    let started = Instant::now();
    // Without the clock, the wait would be real: 3600 s is over the default --max-wait of 120 s.
    let report = run(
        vec![faulted_with(
            "throttled for an hour",
            "{ type: status, status: 429, headers: { Retry-After: \"3600\" } }",
            "1",
            "[faults, control]",
        )],
        Duration::from_secs(5),
    )
    .await;
    let step = faulted_step(&report, "throttled for an hour");
    assert_eq!(step.outcome, StepOutcome::Failed);
    assert_eq!(
        step.notes,
        [
            "429: the wait asked for (3600 s, Retry-After: 3600) would pass the cap of 120 s in all; not retried"
        ]
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_connection_reset_in_the_middle_of_a_body_is_an_errored_step() {
    // A target that promises a long body and hangs up halfway.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"data\":";
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    let target = TargetSpec::parse(&format!("http://{addr}")).unwrap();
    let options = RunOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(5),
        },
        ..RunOptions::new(
            target,
            SiteProfile::default(),
            SchemaSet::embedded().unwrap(),
        )
    };
    let outcome = execute(options, vec![healthy()])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    let step = &outcome.report.suites[0].steps[0];
    assert_eq!(step.outcome, StepOutcome::Errored, "{:?}", step);
    assert!(
        step.reason
            .as_deref()
            .unwrap()
            .starts_with("the connection failed"),
        "{:?}",
        step.reason
    );
    assert!(!outcome.unreachable, "the target answered, badly");
}
