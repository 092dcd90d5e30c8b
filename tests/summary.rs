//! `run --summary FILE`: a short Markdown summary appended for a CI job page.

mod common;

use common::{TempDir, cli, stderr};

#[test]
fn a_failing_run_appends_its_verdict_and_failing_claims_to_the_summary_file() {
    let dir = TempDir::new("summary");
    dir.write(
        "suites/site.yaml",
        "name: the site answers 400\nclaims: [SITE]\nsteps:\n  - name: site\n    request: { method: GET, path: /site }\n    expect: { status: 400 }\n",
    );
    let summary = dir.write("step-summary.md", "## an earlier step\n");
    let reports = format!("{}/reports", dir.path());
    let output = cli(&[
        "run",
        "--suites",
        &format!("{}/suites", dir.path()),
        "--report-dir",
        &reports,
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("## an earlier step\n### Pelcro conformance: ✗ FAILED — embedded mock"),
        "{text}"
    );
    assert!(
        text.contains("| SITE | fail (documented) | the site answers 400 — step `site`: status: expected 400, got 200 |"),
        "{text}"
    );
    assert!(text.contains(&format!("`{reports}`")), "{text}");
    assert!(text.lines().count() < 15, "short: {text}");

    // A summary file that cannot be written is exit 3, naming it.
    let output = cli(&[
        "run",
        "--suites",
        &format!("{}/suites", dir.path()),
        "--report-dir",
        &reports,
        "--summary",
        &format!("{}/no/such/folder/summary.md", dir.path()),
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("no/such/folder/summary.md"),
        "{}",
        stderr(&output)
    );
}
