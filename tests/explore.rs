//! `explore` measured: no finding on the mock (fast, deterministic for a seed), none on the
//! tolerance catalogue (targets that differ only where the documents are silent), a deviation
//! found, shrunk, and written as a suite that fails on the deviating target and passes on the
//! mock; and (`--ignored`) the kill table over the whole deviation catalogue.

mod common;
#[path = "common/catalogue/deviations.rs"]
mod deviation_catalogue;
#[path = "common/catalogue/tolerances.rs"]
mod tolerance_catalogue;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TempDir;
use common::proxy::{DeviatingTarget, Mutation};
use pelcro_conformance::app::{RunOptions, execute, load_profile};
use pelcro_conformance::explore::{ExploreOptions, ExploreOutcome, explore};
use pelcro_conformance::mock::MockConfig;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::{LoadContext, load};
use pelcro_conformance::target::TargetSpec;

/// One exploration-heavy test at a time: the mock's timing is measured on a machine not busy
/// with the others.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The documented budget and seed of the kill table.
const BUDGET: usize = 3000;
const SEED: u64 = 1;

async fn explore_on(
    target: TargetSpec,
    profile: SiteProfile,
    budget: usize,
    seed: u64,
) -> ExploreOutcome {
    let options = ExploreOptions {
        run: RunOptions::new(target, profile, SchemaSet::embedded().unwrap()),
        budget,
        seed,
        time: Duration::from_secs(600),
    };
    explore(options)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages))
}

async fn start(mutation: Mutation) -> (DeviatingTarget, SiteProfile) {
    let (profile, _) = load_profile(None).unwrap();
    let target = DeviatingTarget::start(
        MockConfig {
            profile: profile.clone(),
            ..MockConfig::default()
        },
        mutation,
    )
    .await;
    (target, profile)
}

fn reasons(outcome: &ExploreOutcome) -> Vec<String> {
    outcome
        .findings
        .iter()
        .map(|f| {
            format!(
                "{:?}: {}",
                f.claims,
                f.report.reason.clone().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn the_mock_gives_no_finding_quickly_and_a_seed_repeats_itself() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let first = explore_on(TargetSpec::Mock, SiteProfile::default(), 600, SEED).await;
    let took = started.elapsed();
    assert!(first.findings.is_empty(), "{:?}", reasons(&first));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(first.requests, 600, "the budget is spent, and never passed");
    assert!(!first.registrations.is_empty(), "registrations are listed");
    let again = explore_on(TargetSpec::Mock, SiteProfile::default(), 600, SEED).await;
    assert_eq!(
        (again.journeys, again.requests),
        (first.journeys, first.requests)
    );
}

#[tokio::test]
async fn every_built_in_profile_gives_no_finding_on_the_mock() {
    let _serial = SERIAL.lock().await;
    for name in ["public-401", "lockout-429", "strict", "ttl-14"] {
        let (profile, _) = load_profile(Some(name)).unwrap();
        let outcome = explore_on(TargetSpec::Mock, profile, 400, 5).await;
        assert!(
            outcome.findings.is_empty(),
            "{name}: {:?}",
            reasons(&outcome)
        );
    }
}

#[tokio::test]
async fn a_small_budget_holds_exactly() {
    let _serial = SERIAL.lock().await;
    let outcome = explore_on(TargetSpec::Mock, SiteProfile::default(), 7, 3).await;
    assert!(outcome.requests <= 7, "{}", outcome.requests);
}

fn deviation(name: &str) -> deviation_catalogue::Deviation {
    deviation_catalogue::deviations()
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no deviation named {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_found_deviation_is_shrunk_to_a_suite_that_fails_there_and_passes_on_the_mock() {
    let _serial = SERIAL.lock().await;
    let d = deviation("a blacklisted token answers 401");
    let (target, profile) = start(d.mutation.clone()).await;
    let spec = TargetSpec::parse(&target.base_url).unwrap();
    let outcome = explore_on(spec.clone(), profile.clone(), 1500, SEED).await;
    let finding = outcome
        .findings
        .iter()
        .find(|f| f.claims.contains(&"LOGOUT-BLACKLIST"))
        .unwrap_or_else(|| panic!("not found; findings: {:?}", reasons(&outcome)));
    // Shrunk: register, log out, use the token again.
    assert!(
        finding.steps <= 4,
        "{} steps:\n{}",
        finding.steps,
        finding.yaml
    );
    assert!(finding.yaml.contains("--seed 1"), "{}", finding.yaml);
    assert!(
        finding.yaml.contains("LOGOUT-BLACKLIST: After logout"),
        "{}",
        finding.yaml
    );
    // The same seed finds the same suite.
    let again = explore_on(spec.clone(), profile.clone(), 1500, SEED).await;
    assert_eq!(
        again
            .findings
            .iter()
            .map(|f| f.yaml.clone())
            .collect::<Vec<_>>(),
        outcome
            .findings
            .iter()
            .map(|f| f.yaml.clone())
            .collect::<Vec<_>>()
    );
    // The suite replays: it fails on the deviating target and passes on the mock.
    let dir = TempDir::new("explore-finding");
    dir.write(&finding.file_name, &finding.yaml);
    let replay = |spec: TargetSpec| {
        let profile = profile.clone();
        let dir = dir.0.clone();
        async move {
            let schemas = SchemaSet::embedded().unwrap();
            let profile_json = profile.to_json();
            let ctx = LoadContext {
                schemas: &schemas,
                profile: &profile_json,
                live: false,
            };
            let sources = load::dir_sources(&dir).unwrap();
            let suites = load::load_all(&sources, &ctx).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(suites.len(), 1);
            let options = RunOptions::new(spec, profile, schemas);
            execute(options, suites).await.unwrap().report
        }
    };
    let there = replay(spec).await;
    assert!(!there.passed(), "the finding passes where it was found");
    assert!(
        there.suites[0]
            .claims
            .contains(&"LOGOUT-BLACKLIST".to_string())
    );
    let mock = replay(TargetSpec::Mock).await;
    assert!(mock.passed(), "{:?}", mock.suites[0].reason);
}

#[tokio::test]
async fn the_report_lists_findings_by_claim_in_the_four_formats() {
    let _serial = SERIAL.lock().await;
    let d = deviation("register answers 201");
    let (target, profile) = start(d.mutation.clone()).await;
    let spec = TargetSpec::parse(&target.base_url).unwrap();
    let outcome = explore_on(spec, profile, 300, SEED).await;
    assert!(!outcome.findings.is_empty());
    let report = pelcro_conformance::explore::report::run_report(&outcome, Vec::new());
    let dir = TempDir::new("explore-report");
    let paths = pelcro_conformance::explore::report::write(&outcome, &report, &dir.0).unwrap();
    assert_eq!(paths.len(), 4 + outcome.findings.len());
    let markdown = std::fs::read_to_string(dir.0.join("report.md")).unwrap();
    assert!(markdown.contains("REG-OK"), "{markdown}");
    assert!(
        dir.0
            .join("findings")
            .join(&outcome.findings[0].file_name)
            .exists()
    );
    assert!(!report.passed());
}

/// How many explorations share the machine at once.
const AT_ONCE: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tolerance_catalogue_gives_no_false_finding() {
    let _serial = SERIAL.lock().await;
    let all = tolerance_catalogue::tolerances();
    let slots = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut runs = tokio::task::JoinSet::new();
    for t in all {
        let slots = slots.clone();
        runs.spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            let (target, profile) = start(t.mutation.clone()).await;
            let spec = TargetSpec::parse(&target.base_url).unwrap();
            let outcome = explore_on(spec, profile, 400, SEED).await;
            (t.name, reasons(&outcome))
        });
    }
    let mut false_findings = Vec::new();
    while let Some(joined) = runs.join_next().await {
        let (name, found) = joined.unwrap();
        if !found.is_empty() {
            false_findings.push(format!("{name}: {found:?}"));
        }
    }
    assert!(
        false_findings.is_empty(),
        "false findings:\n{}",
        false_findings.join("\n")
    );
}

/// The kill table: explore alone, with the documented budget and seed, against every target of
/// the deviation catalogue. Slow (119 explorations of 3,000 requests): run it with
/// `cargo test --test explore -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn kill_table() {
    let budget = std::env::var("EXPLORE_BUDGET")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(BUDGET);
    let all = deviation_catalogue::deviations();
    let total = all.len();
    let slots = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut runs = tokio::task::JoinSet::new();
    for d in all {
        let slots = slots.clone();
        runs.spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            let (target, profile) = start(d.mutation.clone()).await;
            let spec = TargetSpec::parse(&target.base_url).unwrap();
            let outcome = explore_on(spec, profile, budget, SEED).await;
            let claims: Vec<&str> = outcome
                .findings
                .iter()
                .flat_map(|f| f.claims.clone())
                .collect();
            (d.name, d.claim, claims)
        });
    }
    let mut lines = Vec::new();
    let (mut caught, mut on_claim) = (0, 0);
    while let Some(joined) = runs.join_next().await {
        let (name, claim, claims) = joined.unwrap();
        let hit = !claims.is_empty();
        let exact = claims.contains(&claim);
        caught += usize::from(hit);
        on_claim += usize::from(exact);
        lines.push(format!(
            "{} {name} ({claim}): {}",
            if exact {
                "killed "
            } else if hit {
                "killed~"
            } else {
                "MISSED "
            },
            claims.join(", ")
        ));
    }
    lines.sort();
    println!(
        "{}\nexplore kill table (budget {budget}, seed {SEED}): {caught}/{total} caught ({:.0} %), {on_claim} on their own claim",
        lines.join("\n"),
        100.0 * caught as f64 / total as f64
    );
    assert!(caught * 10 >= total * 9, "{caught}/{total} is under 90 %");
}

#[test]
fn the_command_writes_its_reports_and_refuses_bad_words() {
    let dir = TempDir::new("explore-cli");
    let out = common::cli(&[
        "explore",
        "--budget",
        "60",
        "--seed",
        "2",
        "--report-dir",
        dir.path(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).contains("seed 2"),
        "{}",
        common::stdout(&out)
    );
    for name in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(dir.0.join(name).exists(), "{name}");
    }
    for bad in [
        vec!["explore", "--budget", "0"],
        vec!["explore", "--target", "http://10.0.0.1"],
        vec!["explore", "--target", "https://pelcro.example"],
        vec!["explore", "--seed", "x"],
    ] {
        let out = common::cli(&bad);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{bad:?}: {}",
            common::stderr(&out)
        );
    }
}
