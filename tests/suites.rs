//! Every suite file under `suites/` is its own test case, run against the embedded mock under
//! every built-in profile (the guide's defaults and each known variation). A suite passes, or is
//! skipped by its own `when:` because the profile does not apply; nothing else. A new suite file
//! is picked up at the next build (build.rs watches `suites/`).

mod common;

use std::path::PathBuf;

use pelcro_conformance::app::load_profile;
use pelcro_conformance::report::{SuiteOutcome, console};
use pelcro_conformance::snapshot::SnapshotMode;
use rstest::rstest;

#[rstest]
#[tokio::test]
async fn suite_passes_against_the_mock(
    #[files("suites/**/*.yaml")]
    #[exclude("profiles")]
    path: PathBuf,
    #[values("default", "public-401", "lockout-429", "ttl-14", "strict")] profile: &str,
) {
    let (profile, _) = load_profile(Some(profile)).expect("the built-in profile loads");
    let suite = common::load_suite(&path, &profile);
    // The stored snapshots of this profile are checked too: a changed response fails here.
    let snapshots = Some((common::stored_snapshots(&profile), SnapshotMode::Check));
    let outcome = common::run_on_mock_with_snapshots(vec![suite], profile, snapshots).await;
    let report = &outcome.report;
    assert_eq!(report.suites.len(), 1);
    let suite = &report.suites[0];
    // Skipped by the profile (`when:`), or not applicable over the mock's plain HTTP (the
    // https suite; tests/tls.rs runs it over TLS).
    let skipped_rightly = suite.outcome == SuiteOutcome::Skipped
        && suite.reason.as_deref().is_some_and(|r| {
            r.starts_with("`when:")
                || (path.ends_with("transport/https.yaml") && r.starts_with("not applicable:"))
        });
    assert!(
        suite.outcome == SuiteOutcome::Passed || skipped_rightly,
        "{}",
        console::render(report, true)
    );
}
