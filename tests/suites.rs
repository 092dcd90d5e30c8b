//! Every suite file under `suites/` is its own test case, run against the embedded mock with the
//! default profile. A new suite file is picked up at the next build (build.rs watches `suites/`).

mod common;

use std::path::PathBuf;

use pelcro_conformance::app::load_profile;
use pelcro_conformance::report::{SuiteOutcome, console};
use rstest::rstest;

#[rstest]
#[tokio::test]
async fn suite_passes_against_the_mock(
    #[files("suites/**/*.yaml")]
    #[exclude("profiles")]
    path: PathBuf,
) {
    let (profile, _) = load_profile(None).expect("the default profile loads");
    let suite = common::load_suite(&path, &profile);
    let outcome = common::run_on_mock(vec![suite], profile).await;
    let report = &outcome.report;
    assert_eq!(report.suites.len(), 1);
    assert_eq!(
        report.suites[0].outcome,
        SuiteOutcome::Passed,
        "{}",
        console::render(report, true)
    );
}
