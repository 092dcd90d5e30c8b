//! Snapshots of `snapshot: true` steps: a second identical run matches byte for byte, and a
//! changed response fails the step with a readable diff, a pending `.snap.new`, and shows in
//! every report.

mod common;

use common::TempDir;
use common::proxy::{DeviatingTarget, Mutation, ProxyRequest, ProxyResponse};
use pelcro_conformance::app::{RunOptions, execute, load_profile};
use pelcro_conformance::checks::Gate;
use pelcro_conformance::mock::MockConfig;
use pelcro_conformance::report::{self, SnapshotChangeKind, SuiteOutcome};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::snapshot::SnapshotMode;
use pelcro_conformance::target::TargetSpec;
use serde_json::json;

const SITE_SUITE: &str = "name: site snapshot
claims: [SITE]
steps:
  - name: get the site
    request: { method: GET, path: /site }
    expect: { status: 200, schema: site-envelope }
    snapshot: true
  - name: no token
    request: { method: POST, path: /customer }
    expect: { status: 401 }
    snapshot: true
";

fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn a_second_identical_run_leaves_the_snapshots_unchanged() {
    let dir = TempDir::new("snapshots-stable");
    let (profile, _) = load_profile(None).unwrap();
    let run = |mode| {
        let profile = profile.clone();
        let snapshots = Some((dir.0.clone(), mode));
        async move {
            common::run_on_mock_with_snapshots(
                vec![common::suite_from_text(SITE_SUITE)],
                profile,
                snapshots,
            )
            .await
        }
    };
    let first = run(SnapshotMode::Check).await.report;
    assert_eq!(
        first.suites[0].outcome,
        SuiteOutcome::Failed,
        "no stored snapshot yet is a failure in check mode"
    );
    let pending = files(&dir.0);
    assert_eq!(
        pending.len(),
        2,
        "{:?}",
        pending.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(pending.iter().all(|(name, _)| name.ends_with(".snap.new")));

    let accepted = run(SnapshotMode::Accept).await.report;
    assert!(accepted.passed());
    let stored = files(&dir.0);
    assert!(
        stored.iter().all(|(name, _)| name.ends_with(".snap")),
        "accepting removes the pending files"
    );

    let again = run(SnapshotMode::Check).await.report;
    assert!(again.passed(), "{}", report::console::render(&again, true));
    assert_eq!(files(&dir.0), stored, "byte for byte");
    for (name, _) in &stored {
        insta::Snapshot::from_file(&dir.0.join(name)).expect("insta reads the file");
    }
}

#[tokio::test]
async fn a_changed_response_shows_as_a_diff_in_the_step_and_in_every_report() {
    let dir = TempDir::new("snapshots-changed");
    let (profile, _) = load_profile(None).unwrap();
    let snapshots = Some((dir.0.clone(), SnapshotMode::Accept));
    assert!(
        common::run_on_mock_with_snapshots(
            vec![common::suite_from_text(SITE_SUITE)],
            profile.clone(),
            snapshots
        )
        .await
        .report
        .passed()
    );

    // The same target, but the site is renamed: everything else still conforms.
    let renamed = Mutation::after(
        |request: &ProxyRequest, _: &ProxyRequest, response: &mut ProxyResponse| {
            if request.is("GET", "/site")
                && let Some(data) = response.data()
            {
                data.insert("name".into(), json!("Renamed site"));
            }
        },
    );
    let target = DeviatingTarget::start(
        MockConfig {
            profile: profile.clone(),
            ..MockConfig::default()
        },
        renamed,
    )
    .await;
    let run = |gate: Gate| {
        let options = RunOptions {
            snapshots: Some((dir.0.clone(), SnapshotMode::Check)),
            gate,
            ..RunOptions::new(
                TargetSpec::parse(&target.base_url).unwrap(),
                profile.clone(),
                SchemaSet::embedded().unwrap(),
            )
        };
        async move {
            execute(options, vec![common::suite_from_text(SITE_SUITE)])
                .await
                .unwrap_or_else(|e| panic!("{:?}", e.messages))
                .report
        }
    };
    // By default a changed snapshot is drift: reported, not a failure of any claim.
    let report = run(Gate::default()).await;
    assert!(report.passed(), "a snapshot change alone does not fail");
    assert_eq!(
        report.snapshot_changes.len(),
        1,
        "{:?}",
        report.snapshot_changes
    );
    let change = &report.snapshot_changes[0];
    assert_eq!(change.kind, SnapshotChangeKind::Changed);
    assert!(
        change.message.contains("Renamed site"),
        "{}",
        change.message
    );
    // With --fail-on-snapshot-change it fails the step.
    let report = run(Gate {
        fail_on_snapshot_change: true,
        ..Gate::default()
    })
    .await;
    let step = &report.suites[0].steps[0];
    assert!(!report.passed());
    let failed = step
        .checks
        .iter()
        .find(|c| !c.passed)
        .expect("a failed check");
    assert_eq!(failed.kind.name(), "snapshot");
    assert!(
        failed.actual.contains("differs from the stored snapshot"),
        "{}",
        failed.actual
    );
    assert!(
        failed.actual.contains("Renamed site"),
        "the diff shows the change: {}",
        failed.actual
    );
    assert!(
        report.suites[0].steps[1].checks.iter().all(|c| c.passed),
        "the unchanged step still matches"
    );
    assert!(
        dir.0.join("site-snapshot__get-the-site.snap.new").exists(),
        "pending for review"
    );

    let out = TempDir::new("snapshots-reports");
    let written = report::write_all(&report, &out.0, &profile).unwrap();
    assert_eq!(written.len(), 4);
    for path in written {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("differs from the stored snapshot"),
            "{} does not show the snapshot failure",
            path.display()
        );
    }
}
