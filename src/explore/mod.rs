//! `explore`: generated stateful journeys, judged by the documented rules, shrunk to ready suites.
//!
//! `generate` draws a journey from the seed; `model` (the documents' rules with the profile's
//! values) predicts what each step may answer; `journey` writes it as a suite and runs it through
//! the harness's runner; a failure is cut at its step and `shrink`ed; `suite_writer` writes it
//! for `run --suites` to replay; `report` tells what was found in the four formats.

pub mod generate;
pub mod journey;
pub mod model;
pub mod report;
pub mod shrink;
pub mod suite_writer;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::{AppError, RunOptions};
use crate::http::HttpClient;
use crate::report::SuiteReport;
use crate::runner::{RateCap, RunContext};
use crate::suite::Capability;
use crate::target::{Target, TargetError};

use generate::{Journey, Limits};
use model::Model;

/// Steps in one journey (fewer when the budget or the time left is smaller).
pub const JOURNEY_LENGTH: usize = 40;
/// Wrong passwords per account on a live site without `--allow-lockout`.
pub const LIVE_WRONG_PASSWORDS: usize = 3;
/// Passwordless requests per account on a live site (each may send an email).
pub const LIVE_PASSWORDLESS: usize = 2;

/// What `explore` is asked to do.
pub struct ExploreOptions {
    pub run: RunOptions,
    /// The most requests it sends, shrinking included.
    pub budget: usize,
    pub seed: u64,
    /// The longest it runs.
    pub time: Duration,
}

/// One deviation found: the claims it breaks and the shrunk journey that shows it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub claims: Vec<&'static str>,
    /// The suite file's text.
    pub yaml: String,
    pub file_name: String,
    /// The shrunk journey's run, failing on its last step.
    pub report: SuiteReport,
    pub steps: usize,
}

/// What an exploration did and found.
pub struct ExploreOutcome {
    pub findings: Vec<Finding>,
    pub journeys: usize,
    pub requests: usize,
    pub seed: u64,
    pub budget: usize,
    pub duration: Duration,
    /// Why it stopped before the budget was spent (time, or the target stopped answering).
    pub stopped: Option<String>,
    pub registrations: Vec<String>,
    pub notes: Vec<String>,
    pub target: String,
    pub site_id: String,
    pub profile: crate::profile::SiteProfile,
    pub unreachable: bool,
    /// Every secret the run saw, for the after-run leak scan.
    pub secrets: Vec<String>,
}

/// The limits a target allows: the clock only on a mock, a few wrong passwords and passwordless
/// requests per account on a live site unless lockout is allowed.
pub fn limits_for(target: &Target, options: &RunOptions) -> Limits {
    let attempts = options.profile.lockout.attempts as usize;
    let lockout = target.has(Capability::Lockout) || options.allow_lockout;
    let live = !target.has(Capability::Control);
    Limits {
        register: options.profile.allow_registration,
        clock: target.has(Capability::Clock),
        wrong_passwords: if lockout {
            attempts + 2
        } else {
            LIVE_WRONG_PASSWORDS.min(attempts.saturating_sub(1))
        },
        passwordless: if live {
            LIVE_PASSWORDLESS
        } else {
            options.profile.passwordless_throttle.requests as usize + 2
        },
    }
}

/// Explores the target within the budget and the time, and returns what it found.
pub async fn explore(options: ExploreOptions) -> Result<ExploreOutcome, AppError> {
    let started = Instant::now();
    let run = options.run;
    let http =
        HttpClient::new(run.timeouts, &run.ca_certificates).map_err(AppError::environment)?;
    // Journeys move the mock's clock and settings; they never use the test account.
    let needs = crate::suite::Needs {
        control: true,
        account: false,
    };
    let target = match Target::connect(&run.target, &run.site_id, &run.profile, needs, &http).await
    {
        Ok(target) => target,
        Err(TargetError::Unreachable(reason)) => return Err(AppError::environment(reason)),
        Err(error) => return Err(error.into()),
    };
    let limits = limits_for(&target, &run);
    let live = !target.has(Capability::Control);
    let mut politeness = run.politeness;
    // One journey at a time: the model's order is the target's order.
    politeness.jobs = 1;
    let rate = match politeness.max_rps {
        RateCap::PerSecond(rps) => Some(rps),
        RateCap::Auto if live => Some(crate::runner::DEFAULT_LIVE_RPS),
        _ => None,
    };
    let mut ctx = RunContext::new(target, http, run.schemas, run.profile.clone(), politeness);
    ctx.env = Arc::new(run.env);
    ctx.gate = run.gate;
    let ctx = Arc::new(ctx);
    let mut model = Model::new(run.profile.clone());
    model.clock_known = ctx.target.has(Capability::Control);
    let mut rng = fastrand::Rng::with_seed(options.seed);
    let mut findings: Vec<Finding> = Vec::new();
    let mut used = 0;
    let mut journeys = 0;
    let mut stopped = None;
    let mut notes = Vec::new();
    let time_left = |now: Instant| options.time.saturating_sub(now - started);
    // Reading the server's clock opens every journey on a mock.
    let overhead = usize::from(model.clock_known);
    while used + overhead < options.budget {
        // A journey must fit in the time left at the rate cap: the time budget always holds.
        let mut length = JOURNEY_LENGTH.min(options.budget - used - overhead);
        if let Some(rps) = rate {
            let fits = (time_left(Instant::now()).as_secs_f64() * rps * 0.8) as usize;
            length = length.min(fits);
        }
        if time_left(Instant::now()).is_zero() || length == 0 {
            stopped = Some(format!(
                "the time budget of {} s ran out after {used} requests",
                options.time.as_secs()
            ));
            break;
        }
        let drawn = generate::journey(&mut rng, &model, limits, length);
        let index = journeys;
        journeys += 1;
        let name = format!("explore journey {index} (seed {})", options.seed);
        let written = journey::write(&name, "a generated journey", &model, &drawn);
        used += written.requests;
        let ran = journey::run(
            &ctx,
            live,
            &written,
            &format!("explore/journey-{index}.yaml"),
        )
        .await
        .map_err(|e| AppError::usage(format!("explore journey {index}: {e}")))?;
        if let Some(why) = ctx.stopped() {
            stopped = Some(why);
            break;
        }
        let Some((step, claims)) = ran.failed else {
            continue;
        };
        let Some(&primary) = claims.first() else {
            continue;
        };
        // One finding per claim: another journey breaking it again adds nothing.
        if findings.iter().any(|f| f.claims.contains(&primary)) {
            continue;
        }
        let cut: Journey = drawn[..=step].to_vec();
        // What is left, less the confirming replay of the shrunk journey (at most the cut's length).
        let shrink_budget = options.budget.saturating_sub(used + cut.len() + overhead);
        let ctx_ref = &ctx;
        let model_ref = &model;
        let (best, spent) = shrink::shrink(
            &model,
            cut.clone(),
            shrink_budget,
            overhead,
            |candidate| async move {
                let written = journey::write("explore shrink", "shrinking", model_ref, &candidate);
                let ran = journey::run(ctx_ref, live, &written, "explore/shrink.yaml")
                    .await
                    .ok()?;
                let (at, claims) = ran.failed?;
                claims.contains(&primary).then(|| candidate[..=at].to_vec())
            },
        )
        .await;
        used += spent;
        let number = findings.len() + 1;
        // The claims the first failure broke (shrinking kept the primary one failing).
        let breaks = claims.clone();
        let final_written = journey::write("", "", &model, &best);
        let suite =
            suite_writer::finding_suite(final_written.suite.clone(), options.seed, number, &breaks);
        let replay = journey::Written {
            suite: suite.clone(),
            ..final_written
        };
        let file_name =
            suite_writer::file_name(number, breaks.first().copied().unwrap_or("gen-ok"));
        // The shrunk journey is run once more so the report shows it failing (its requests count).
        used += replay.requests;
        let confirmed = journey::run(&ctx, live, &replay, &format!("explore/{file_name}")).await;
        let report = match confirmed {
            Ok(r) if r.failed.is_some() => r.report,
            Ok(r) => {
                notes.push(format!(
                    "{file_name}: the shrunk journey did not fail again (a flaky target?); kept as found"
                ));
                r.report
            }
            Err(e) => return Err(AppError::usage(format!("{file_name}: {e}"))),
        };
        findings.push(Finding {
            claims: breaks.clone(),
            yaml: suite_writer::yaml(&suite, options.seed, &breaks),
            file_name,
            report,
            steps: best.len(),
        });
    }
    let registrations = ctx.registrations();
    notes.extend(ctx.target.release(&ctx.http).await);
    Ok(ExploreOutcome {
        findings,
        journeys,
        requests: used,
        seed: options.seed,
        budget: options.budget,
        duration: started.elapsed(),
        stopped,
        registrations,
        notes,
        target: ctx.target.label.clone(),
        site_id: ctx.target.site_id.clone(),
        profile: run.profile,
        unreachable: ctx.target_was_unreachable(),
        secrets: ctx.redactor.secrets(),
    })
}
