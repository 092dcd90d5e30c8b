//! Proof that the checks bite: the full built-in suite set is run against targets that each
//! deviate from the contract in one named way, and every deviation must fail the run on the claim
//! it breaks. A harness that passes everything is worthless; this file measures the kill rate.

#[path = "common/catalogue/deviations.rs"]
mod catalogue;
mod common;

use catalogue::deviations;

use common::proxy::{DeviatingTarget, Mutation};
use pelcro_conformance::app::{RunOptions, execute, load_profile};
use pelcro_conformance::mock::MockConfig;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::report::{RunReport, SuiteOutcome};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::{LoadContext, load};
use pelcro_conformance::target::TargetSpec;
use std::sync::Arc;

async fn run_against(base_url: &str, profile: SiteProfile) -> RunReport {
    let schemas = SchemaSet::embedded().unwrap();
    let profile_json = profile.to_json();
    let ctx = LoadContext {
        schemas: &schemas,
        profile: &profile_json,
        live: false,
    };
    let suites =
        load::load_all(&load::embedded_sources(), &ctx).unwrap_or_else(|e| panic!("{e:?}"));
    let options = RunOptions::new(TargetSpec::parse(base_url).unwrap(), profile, schemas);
    execute(options, suites)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages))
        .report
}

/// The files of the failed suites that cover `claim`: which suites made the catch.
fn catching_suites(report: &RunReport, claim: &str) -> Vec<String> {
    report
        .suites
        .iter()
        .filter(|s| s.outcome == SuiteOutcome::Failed && s.claims.iter().any(|c| c == claim))
        .map(|s| {
            s.file
                .trim_start_matches("suites/")
                .trim_end_matches(".yaml")
                .to_string()
        })
        .collect()
}

fn failing_claims(report: &RunReport) -> Vec<String> {
    let mut claims: Vec<String> = report
        .suites
        .iter()
        .filter(|s| s.outcome == SuiteOutcome::Failed)
        .flat_map(|s| s.claims.clone())
        .collect();
    claims.sort();
    claims.dedup();
    claims
}

#[tokio::test]
async fn the_unmodified_proxy_passes() {
    let (profile, _) = load_profile(None).unwrap();
    let target = DeviatingTarget::start(
        MockConfig {
            profile: profile.clone(),
            ..MockConfig::default()
        },
        Mutation::none(),
    )
    .await;
    let report = run_against(&target.base_url, profile).await;
    assert!(
        report.passed(),
        "failing claims: {:?}",
        failing_claims(&report)
    );
}

/// How many deviation runs share the machine at once.
const RUNS_AT_ONCE: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_deviation_is_caught_on_its_claim() {
    let (profile, _) = load_profile(None).unwrap();
    let all = deviations();
    let total = all.len();
    let mut runs = tokio::task::JoinSet::new();
    // A few runs at a time: a hundred full runs at once on a small machine time requests out,
    // and a timed-out suite errors instead of failing, which would hide a catch.
    let slots = Arc::new(tokio::sync::Semaphore::new(RUNS_AT_ONCE));
    for deviation in all {
        let profile = profile.clone();
        let slots = slots.clone();
        runs.spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            let target = DeviatingTarget::start(
                MockConfig {
                    profile: profile.clone(),
                    ..MockConfig::default()
                },
                deviation.mutation.clone(),
            )
            .await;
            let report = run_against(&target.base_url, profile).await;
            let claims = failing_claims(&report);
            let by = catching_suites(&report, deviation.claim);
            (deviation.name, deviation.claim, claims, by)
        });
    }
    let mut missed = Vec::new();
    let mut lines = Vec::new();
    while let Some(joined) = runs.join_next().await {
        let (name, claim, claims, by) = joined.expect("a deviation run");
        let caught = claims.iter().any(|c| c == claim);
        lines.push(if caught {
            format!("killed {name}: {claim} failed, by {}", by.join(", "))
        } else {
            format!(
                "MISSED {name}: expected {claim} to fail; failing: {}",
                claims.join(", ")
            )
        });
        if !caught {
            missed.push(name);
        }
    }
    lines.sort();
    println!(
        "{}\nkill rate: {}/{total} caught",
        lines.join("\n"),
        total - missed.len()
    );
    assert!(total >= 80, "at least 80 distinct deviations");
    assert!(
        missed.is_empty(),
        "missed {} of {total}:\n{}",
        missed.len(),
        lines.join("\n")
    );
}
