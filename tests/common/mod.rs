//! Helpers shared by the integration tests.
#![allow(dead_code, unused_imports)]

mod mock_client;
pub mod proxy;
pub use mock_client::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pelcro_conformance::app::{RunOptions, RunOutcome, execute};
use pelcro_conformance::credentials::Environment;
use pelcro_conformance::http::Timeouts;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::runner::Politeness;
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::{LoadContext, LoadedSuite, SuiteSource, load};
use pelcro_conformance::target::TargetSpec;

/// Loads one suite file with the built-in schemas, checked against `profile`.
pub fn load_suite(path: &Path, profile: &SiteProfile) -> LoadedSuite {
    let source = SuiteSource {
        file: path.display().to_string(),
        bytes: std::fs::read(path).expect("the suite file is readable"),
    };
    load_source(&source, profile)
}

/// Loads a suite written inline in a test, checked against the default profile.
pub fn suite_from_text(text: &str) -> LoadedSuite {
    let source = SuiteSource {
        file: "inline.yaml".into(),
        bytes: text.as_bytes().to_vec(),
    };
    load_source(&source, &SiteProfile::default())
}

fn load_source(source: &SuiteSource, profile: &SiteProfile) -> LoadedSuite {
    let schemas = SchemaSet::embedded().expect("the built-in schemas load");
    let profile_json = profile.to_json();
    let ctx = LoadContext {
        schemas: &schemas,
        profile: &profile_json,
        live: false,
    };
    load::load(source, &ctx).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs suites in-process against a fresh embedded mock with `profile`.
pub async fn run_on_mock(suites: Vec<LoadedSuite>, profile: SiteProfile) -> RunOutcome {
    run_on_mock_with_snapshots(suites, profile, None).await
}

/// The repository's stored snapshots of a profile.
pub fn stored_snapshots(profile: &SiteProfile) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(pelcro_conformance::snapshot::slug(&profile.name))
}

/// Like `run_on_mock`, comparing `snapshot: true` steps as `snapshots` says. The mock is held to
/// its own choices: assumptions and snapshot changes fail here (`Gate::PINNED`).
pub async fn run_on_mock_with_snapshots(
    suites: Vec<LoadedSuite>,
    profile: SiteProfile,
    snapshots: Option<(PathBuf, pelcro_conformance::snapshot::SnapshotMode)>,
) -> RunOutcome {
    let schemas = SchemaSet::embedded().expect("the built-in schemas load");
    let options = RunOptions {
        politeness: Politeness {
            jobs: 4,
            ..Politeness::default()
        },
        snapshots,
        gate: pelcro_conformance::checks::Gate::PINNED,
        ..RunOptions::new(TargetSpec::Mock, profile, schemas)
    };
    match execute(options, suites).await {
        Ok(outcome) => outcome,
        Err(error) => panic!("the run could not happen: {:?}", error.messages),
    }
}

/// Sends Ctrl-C (SIGINT) to a child process, as a terminal would.
#[cfg(unix)]
#[allow(dead_code)]
pub fn ctrl_c(child: &std::process::Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "SIGINT reached the child");
}

/// The harness binary with arguments; returns its output.
///
/// A `run` without `--report-dir` writes its reports into a temporary folder (removed after), never
/// into the checkout's `target/conformance/`, where a real run's reports may be.
pub fn cli(args: &[&str]) -> Output {
    let reports = TempDir::new("cli-reports");
    let mut command = Command::new(env!("CARGO_BIN_EXE_pelcro-conformance"));
    command.args(args);
    if args.first() == Some(&"run") && !args.contains(&"--report-dir") {
        command.arg("--report-dir").arg(&reports.0);
    }
    command
        .env_remove("PELCRO_SITE_ID")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh folder under the system's temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "pc-test-{tag}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }

    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a folder");
        }
        std::fs::write(&path, text).expect("a file");
        path
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
