//! Running suites: concurrently where they cannot disturb each other, one at a time where they
//! change the target for everyone (the clock, faults, site settings); steps always in order.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::backoff::RateLimiter;
use crate::credentials::Environment;
use crate::http::{HttpClient, OutgoingRequest, Response, TransportError};
use crate::profile::SiteProfile;
use crate::redact::Redactor;
use crate::report::progress::Progress;
use crate::report::{StepOutcome, StepReport, SuiteOutcome, SuiteReport};
use crate::schemas::SchemaSet;
use crate::snapshot::SnapshotStore;
use crate::step::{StepEnv, run_step};
use crate::suite::{Capability, LoadedSuite, Suite};
use crate::target::Target;
use crate::template::{self, Scope, TemplateError};

/// Everything the suites of one run share.
pub struct RunContext {
    pub target: Target,
    pub http: HttpClient,
    pub schemas: SchemaSet,
    pub profile: SiteProfile,
    pub redactor: Redactor,
    /// How many suites run at once.
    pub jobs: usize,
    /// Distinguishes this run's generated data from other runs'.
    pub run_id: String,
    /// The longest a step may wait in all after 429s.
    pub max_wait: Duration,
    /// Where `{{ env.NAME }}` looks.
    pub env: Arc<Environment>,
    limiter: RateLimiter,
    registrations: std::sync::Mutex<Vec<String>>,
    /// Shows suites as they finish (the command line sets it).
    pub progress: Option<Progress>,
    /// Compares `snapshot: true` steps with their stored snapshots.
    pub snapshots: Option<SnapshotStore>,
    /// Snapshot files this run wrote (pending or accepted), to scan for secrets.
    snapshot_files: std::sync::Mutex<Vec<std::path::PathBuf>>,
    /// Set on Ctrl-C: steps in flight finish, nothing new starts.
    interrupted: std::sync::atomic::AtomicBool,
    requests: AtomicUsize,
    unreachable: AtomicUsize,
}

impl RunContext {
    pub fn new(
        target: Target,
        http: HttpClient,
        schemas: SchemaSet,
        profile: SiteProfile,
        politeness: Politeness,
    ) -> RunContext {
        let rate = politeness.max_rps.per_second(&target);
        RunContext {
            target,
            http,
            schemas,
            profile,
            redactor: Redactor::new(),
            jobs: politeness.jobs.max(1),
            run_id: format!("{:06x}", fastrand::u32(..0xff_ffff)),
            max_wait: politeness.max_wait,
            env: Arc::new(Environment::process()),
            limiter: RateLimiter::new(rate),
            registrations: std::sync::Mutex::new(Vec::new()),
            interrupted: std::sync::atomic::AtomicBool::new(false),
            progress: None,
            snapshots: None,
            snapshot_files: std::sync::Mutex::new(Vec::new()),
            requests: AtomicUsize::new(0),
            unreachable: AtomicUsize::new(0),
        }
    }

    /// Sends one request within the rate cap, counting those that found no one to answer.
    pub async fn send(&self, request: &OutgoingRequest) -> Result<Response, TransportError> {
        self.limiter.acquire().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let result = self.http.send(request).await;
        if result.as_ref().is_err_and(TransportError::is_unreachable) {
            self.unreachable.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// The generated emails that suites sent to a registration endpoint, sorted.
    pub fn registrations(&self) -> Vec<String> {
        let mut emails = self
            .registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        emails.sort();
        emails.dedup();
        emails
    }

    /// Remembers the generated emails a suite run used (they may have been registered).
    fn note_generated(&self, scope: &Scope) {
        let emails = scope
            .generated()
            .filter(|(name, _)| name.starts_with("fresh_email"))
            .filter_map(|(_, value)| value.as_str().map(String::from));
        self.registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(emails);
    }

    /// Remembers a snapshot file the run wrote.
    pub fn wrote_snapshot(&self, path: std::path::PathBuf) {
        self.snapshot_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path);
    }

    /// The snapshot files this run wrote.
    pub fn snapshot_files(&self) -> Vec<std::path::PathBuf> {
        self.snapshot_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops the run at the next step: what did not run is reported as interrupted.
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
    }

    pub fn was_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// True when requests were sent and none reached the target.
    pub fn target_was_unreachable(&self) -> bool {
        let sent = self.requests.load(Ordering::Relaxed);
        sent > 0 && self.unreachable.load(Ordering::Relaxed) == sent
    }
}

/// The reason given for what an interrupted run did not do.
pub const INTERRUPTED: &str = "interrupted (Ctrl-C) before it ran";
/// The reason given for a suite that Ctrl-C cut short.
pub const INTERRUPTED_DURING: &str = "interrupted (Ctrl-C) before it finished";

/// How hard a run may press on its target.
#[derive(Debug, Clone, Copy)]
pub struct Politeness {
    /// Suites at once.
    pub jobs: usize,
    /// Requests per second across the run.
    pub max_rps: RateCap,
    /// The longest one step may wait in all after 429s.
    pub max_wait: Duration,
}

impl Default for Politeness {
    fn default() -> Self {
        Politeness {
            jobs: 8,
            max_rps: RateCap::Auto,
            max_wait: Duration::from_secs(120),
        }
    }
}

/// The cap on a run's request rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateCap {
    /// None on a mock (a target with the control API); `DEFAULT_LIVE_RPS` on anything else.
    Auto,
    PerSecond(f64),
    Unlimited,
}

/// The request rate against a live site unless `--max-rps` says otherwise.
pub const DEFAULT_LIVE_RPS: f64 = 5.0;

impl RateCap {
    fn per_second(self, target: &Target) -> Option<f64> {
        match self {
            RateCap::Auto if target.has(Capability::Control) => None,
            RateCap::Auto => Some(DEFAULT_LIVE_RPS),
            RateCap::PerSecond(rps) => Some(rps),
            RateCap::Unlimited => None,
        }
    }
}

/// Suites that change the target for everyone run alone.
fn runs_alone(suite: &Suite) -> bool {
    suite.requires.iter().any(|c| {
        matches!(
            c,
            Capability::Clock | Capability::Faults | Capability::Control
        )
    })
}

/// Runs every suite; the reports come back in the order of `suites`.
pub async fn run_all(ctx: Arc<RunContext>, suites: Vec<LoadedSuite>) -> Vec<SuiteReport> {
    let mut slots: Vec<Option<SuiteReport>> = vec![None; suites.len()];
    let identities: Vec<(String, String)> = suites
        .iter()
        .map(|s| (s.suite.name.clone(), s.file.clone()))
        .collect();
    let (alone, shared): (Vec<_>, Vec<_>) = suites
        .into_iter()
        .enumerate()
        .partition(|(_, s)| runs_alone(&s.suite));

    let permits = Arc::new(Semaphore::new(ctx.jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, loaded) in shared {
        let ctx = Arc::clone(&ctx);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            (index, run_suite(&ctx, &loaded, index).await)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, report)) => slots[index] = Some(report),
            // A panic in a suite is a harness bug; the suite's slot is filled below as failed.
            Err(error) => crate::report::console::eprint(&format!(
                "internal error in a suite task: {error}\n"
            )),
        }
    }
    for (index, loaded) in &alone {
        slots[*index] = Some(run_suite(&ctx, loaded, *index).await);
        restore_target(&ctx, &loaded.suite).await;
    }
    slots
        .into_iter()
        .zip(identities)
        .map(|(slot, (name, file))| {
            slot.unwrap_or_else(|| SuiteReport {
                name,
                file,
                claims: Vec::new(),
                tags: Vec::new(),
                outcome: SuiteOutcome::Failed,
                reason: Some("the harness failed while running this suite".into()),
                steps: Vec::new(),
                duration_ms: 0,
            })
        })
        .collect()
}

/// Whether a suite registers customers (on a live site, accounts someone must clean up).
fn registers(suite: &Suite) -> bool {
    suite
        .steps
        .iter()
        .filter_map(|s| s.value.request.as_ref())
        .any(|r| !r.control && r.path.starts_with("/auth/register"))
}

/// A `when:` condition: false, null, 0, an empty string or `"false"` mean no.
fn condition_holds(when: &str, scope: &mut Scope) -> Result<bool, TemplateError> {
    Ok(match template::render_str(when, scope)? {
        Value::Bool(b) => b,
        Value::Null => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !(s.is_empty() || s.eq_ignore_ascii_case("false") || s == "0"),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    })
}

/// After a suite that changed the mock, puts back the run's profile and clears faults.
async fn restore_target(ctx: &RunContext, suite: &Suite) {
    if !suite.requires.contains(&Capability::Control)
        && !suite.requires.contains(&Capability::Faults)
    {
        return;
    }
    if let Err(error) = ctx.target.apply_profile(&ctx.profile, &ctx.http).await {
        crate::report::console::eprint(&format!(
            "warning: could not restore the mock's site settings: {error}\n"
        ));
    }
    let clear = OutgoingRequest {
        method: reqwest::Method::DELETE,
        url: ctx.target.control_url("/faults"),
        query: Vec::new(),
        headers: Vec::new(),
        body: None,
    };
    let _ = ctx.http.send(&clear).await;
}

async fn run_suite(ctx: &RunContext, loaded: &LoadedSuite, index: usize) -> SuiteReport {
    if let Some(progress) = &ctx.progress {
        progress.suite_started(&loaded.suite.name);
    }
    let report = run_suite_steps(ctx, loaded, index).await;
    if let Some(progress) = &ctx.progress {
        progress.suite_finished(&report);
    }
    report
}

async fn run_suite_steps(ctx: &RunContext, loaded: &LoadedSuite, index: usize) -> SuiteReport {
    let suite = &loaded.suite;
    let started = Instant::now();
    let mut report = SuiteReport {
        name: suite.name.clone(),
        file: loaded.file.clone(),
        claims: suite.claims.clone(),
        tags: suite.tags.clone(),
        outcome: SuiteOutcome::Passed,
        reason: None,
        steps: Vec::new(),
        duration_ms: 0,
    };
    if ctx.was_interrupted() {
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(INTERRUPTED.into());
        return report;
    }
    let missing: Vec<&str> = suite
        .requires
        .iter()
        .filter(|c| !ctx.target.has(**c))
        .map(|c| c.name())
        .collect();
    if !missing.is_empty() {
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(format!(
            "needs the {} capability, which {} lacks",
            missing.join(", "),
            ctx.target.label
        ));
        return report;
    }

    if !ctx.profile.allow_registration && registers(suite) {
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(
            "registers a customer, which the profile does not allow (allow_registration: false)"
                .into(),
        );
        return report;
    }
    let env = Arc::clone(&ctx.env);
    let redactor = ctx.redactor.clone();
    let lookup = move |name: &str| {
        let value = env.get(name);
        // A credential read from the environment is a secret from the moment it is read.
        if let Some(secret) = value
            .as_deref()
            .filter(|_| crate::redact::is_secret_key(name))
        {
            redactor.add(secret);
        }
        value
    };
    let mut scope = Scope::new(ctx.profile.to_json(), format!("{}-{index}", ctx.run_id))
        .with_env(Arc::new(lookup));
    scope.set("site_id", Value::String(ctx.target.site_id.clone()));
    if let Some(when) = &suite.when {
        match condition_holds(when, &mut scope) {
            Ok(true) => {}
            Ok(false) => {
                report.outcome = SuiteOutcome::Skipped;
                report.reason = Some(format!("`when: {when}` is false for this run"));
                return report;
            }
            Err(TemplateError::MissingEnv(name)) => {
                report.outcome = SuiteOutcome::Skipped;
                report.reason = Some(format!(
                    "`when: {when}`: the environment variable {name} is not set"
                ));
                return report;
            }
            Err(error) => {
                report.outcome = SuiteOutcome::Failed;
                report.reason = Some(format!("`when: {when}`: {error}"));
                return report;
            }
        }
    }
    for (name, value) in &suite.vars {
        match template::render_value(value, &mut scope) {
            Ok(rendered) => scope.set(name.clone(), rendered),
            Err(error) => {
                report.outcome = SuiteOutcome::Failed;
                report.reason = Some(format!("suite variable `{name}`: {error}"));
                return report;
            }
        }
    }
    let captured_names: BTreeSet<String> = suite
        .steps
        .iter()
        .flat_map(|s| s.value.capture.keys().cloned())
        .collect();
    // Only a suite that runs alone may move the clock that every suite shares.
    let owns_clock =
        suite.requires.contains(&Capability::Clock) && ctx.target.has(Capability::Clock);
    for step in &suite.steps {
        if ctx.was_interrupted() {
            let mut cut = StepReport::not_run(&step.value.name, INTERRUPTED);
            cut.outcome = StepOutcome::Interrupted;
            report.steps.push(cut);
            // Cut short is not a verdict: a suite that had not failed yet is `interrupted`.
            if report.outcome != SuiteOutcome::Failed {
                report.outcome = SuiteOutcome::Interrupted;
                report
                    .reason
                    .get_or_insert_with(|| INTERRUPTED_DURING.into());
            }
            continue;
        }
        let env = StepEnv {
            ctx,
            suite_name: &suite.name,
            captured_names: &captured_names,
            owns_clock,
        };
        let step_report = run_step(&env, &step.value, &mut scope).await;
        if step_report.outcome == StepOutcome::Interrupted {
            if report.outcome != SuiteOutcome::Failed {
                report.outcome = SuiteOutcome::Interrupted;
                report
                    .reason
                    .get_or_insert_with(|| INTERRUPTED_DURING.into());
            }
        } else if step_report.outcome != StepOutcome::Passed && report.reason.is_none() {
            report.outcome = SuiteOutcome::Failed;
            report.reason = Some(format!(
                "step `{}`: {}",
                step_report.name,
                step_report
                    .reason
                    .clone()
                    .unwrap_or_else(|| "failed".into())
            ));
        }
        report.steps.push(step_report);
    }
    ctx.note_generated(&scope);
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
}
