//! The JUnit XML report (quick-junit, as nextest writes it): one `<testsuite>` per suite with its
//! file, claims (all in `claims`, and one `claim` property each) and tags as properties and the
//! time it started as `timestamp` (the run's on `<testsuites>`); one `<testcase>` per step,
//! classname = the suite's name.
//!
//! - a passed step is a success;
//! - a failed step is a `<failure>` whose message is the step's reason and whose text gives each
//!   failing check (expected vs actual) and the redacted evidence (request, status, body);
//! - an errored step (no answer, a variable missing at run time) is an `<error>`;
//! - a not-run step is `<skipped>` with the reason;
//! - a skipped suite skips every step (or one case named `(suite)` if it has none) with the
//!   suite's reason;
//! - a suite that failed before any step ran is one `(suite)` case in error.

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::coverage::evidence_text;
use super::{RunReport, StepOutcome, StepReport, SuiteOutcome, SuiteReport};

/// The name of the `<testsuites>` element.
pub const REPORT_NAME: &str = "pelcro-conformance";

/// The name of the case standing for a whole suite that has no steps to report.
pub const SUITE_CASE: &str = "(suite)";

/// The report as JUnit XML (starts with `<?xml`).
pub fn render(report: &RunReport) -> String {
    let mut junit = Report::new(REPORT_NAME);
    junit.set_time(Duration::from_millis(report.duration_ms));
    if let Some(at) = timestamp(&report.started_at) {
        junit.set_timestamp(at);
    }
    for suite in &report.suites {
        let mut ts = test_suite(suite);
        // A suite that never started is stamped with the run's start.
        if let Some(at) = suite
            .started_at
            .as_deref()
            .and_then(timestamp)
            .or_else(|| timestamp(&report.started_at))
        {
            ts.set_timestamp(at);
        }
        junit.add_test_suite(ts);
    }
    to_xml(&junit)
}

/// Several sites' reports as one JUnit document: each suite named `site <id> · <suite>`.
pub fn render_sites(sites: &[(&str, &RunReport)]) -> String {
    let mut junit = Report::new(REPORT_NAME);
    junit.set_time(Duration::from_millis(
        sites.iter().map(|(_, report)| report.duration_ms).sum(),
    ));
    for (site, report) in sites {
        for suite in &report.suites {
            let mut ts = test_suite(suite);
            ts.name = format!("site {site} · {}", suite.name).into();
            ts.add_property(Property::new("site_id", *site));
            junit.add_test_suite(ts);
        }
    }
    to_xml(&junit)
}

fn to_xml(junit: &Report) -> String {
    match junit.to_string() {
        Ok(xml) => xml,
        // Serialization into a String cannot fail on I/O; keep a valid document regardless.
        Err(error) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{REPORT_NAME}\" \
             tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            error.to_string().replace("--", "- -")
        ),
    }
}

/// An RFC 3339 time as JUnit's `timestamp` (`None` for a report whose time does not parse).
fn timestamp(rfc3339: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok()
}

fn test_suite(suite: &SuiteReport) -> TestSuite {
    let mut ts = TestSuite::new(suite.name.as_str());
    ts.set_time(Duration::from_millis(suite.duration_ms));
    ts.add_property(Property::new("file", suite.file.as_str()));
    ts.add_property(Property::new("claims", suite.claims.join(", ")));
    // One property per claim too, for tools that filter by property (`claim` = `LOGIN-OK`).
    for claim in &suite.claims {
        ts.add_property(Property::new("claim", claim.as_str()));
    }
    if !suite.tags.is_empty() {
        ts.add_property(Property::new("tags", suite.tags.join(", ")));
    }
    ts.add_property(Property::new(
        "outcome",
        match suite.outcome {
            SuiteOutcome::Passed => "passed",
            SuiteOutcome::Failed => "failed",
            SuiteOutcome::Skipped => "skipped",
            SuiteOutcome::Interrupted => "interrupted",
        },
    ));
    if suite.steps.is_empty() {
        let status = match suite.outcome {
            SuiteOutcome::Passed => TestCaseStatus::success(),
            SuiteOutcome::Skipped | SuiteOutcome::Interrupted => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(suite.reason.as_deref().unwrap_or("skipped"));
                status
            }
            SuiteOutcome::Failed => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(suite.reason.as_deref().unwrap_or("the suite failed"));
                status.set_type("suite error");
                status
            }
        };
        let mut case = TestCase::new(SUITE_CASE, status);
        case.set_classname(suite.name.as_str());
        ts.add_test_case(case);
        return ts;
    }
    for step in &suite.steps {
        let status = if suite.outcome == SuiteOutcome::Skipped {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!(
                "suite skipped: {}",
                suite.reason.as_deref().unwrap_or("no reason given")
            ));
            status
        } else {
            step_status(step)
        };
        let mut case = TestCase::new(step.name.as_str(), status);
        case.set_classname(suite.name.as_str());
        case.set_time(Duration::from_millis(step.duration_ms));
        case.set_assertions(step.checks.len());
        if step.outcome == StepOutcome::Passed && step.checks.iter().any(|c| !c.passed) {
            // Advisories and snapshot drift do not fail the case; CI shows them as its output.
            case.set_system_out(findings_text(step));
        }
        ts.add_test_case(case);
    }
    ts
}

fn step_status(step: &StepReport) -> TestCaseStatus {
    match step.outcome {
        StepOutcome::Passed => TestCaseStatus::success(),
        StepOutcome::Interrupted => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!(
                "interrupted: {}",
                step.reason.as_deref().unwrap_or("Ctrl-C stopped the run")
            ));
            status
        }
        StepOutcome::NotRun => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!(
                "not run: {}",
                step.reason
                    .as_deref()
                    .unwrap_or("an earlier step did not provide its input")
            ));
            status
        }
        StepOutcome::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let first = step.checks.iter().find(|c| !c.passed);
            let message = step.reason.clone().unwrap_or_else(|| match first {
                Some(c) => c.sentence(),
                None => "failed".into(),
            });
            status.set_message(message);
            status.set_type(first.map(|c| c.kind.name()).unwrap_or("check"));
            status.set_description(failure_text(step));
            status
        }
        StepOutcome::Errored => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(
                step.reason
                    .as_deref()
                    .unwrap_or("the step could not be carried out"),
            );
            status.set_type("error");
            status.set_description(failure_text(step));
            status
        }
    }
}

/// The checks that failed without failing the step: advisories and snapshot drift.
fn findings_text(step: &StepReport) -> String {
    let mut out = String::new();
    for check in step.checks.iter().filter(|c| !c.passed) {
        let what = match check.level {
            crate::checks::Level::Baseline => "snapshot change",
            _ => "advisory",
        };
        let _ = writeln!(
            out,
            "{what} ({}): {}",
            check.level.label(),
            check.sentence()
        );
        if let Some(why) = &check.why {
            let _ = writeln!(out, "    assumed because: {why}");
        }
    }
    out
}

/// The failing checks, expected vs actual, then the redacted evidence.
fn failure_text(step: &StepReport) -> String {
    let mut out = String::new();
    if step.attempts > 1 {
        let _ = writeln!(out, "attempt {}", step.attempts);
    }
    for check in step.checks.iter().filter(|c| !c.passed) {
        let _ = writeln!(out, "✗ {} {}", check.kind.name(), check.subject);
        let _ = writeln!(out, "    expected: {}", check.expected);
        let _ = writeln!(out, "    actual:   {}", check.actual);
    }
    if let Some(evidence) = &step.evidence {
        let _ = writeln!(out, "\nevidence (redacted):\n{}", evidence_text(evidence));
    }
    out
}
