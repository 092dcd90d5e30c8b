//! Running suites: concurrently where they cannot disturb each other, one at a time where they
//! change the target for everyone (the clock, faults, site settings); steps always in order.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::backoff::RateLimiter;
use crate::checks::Gate;
use crate::credentials::Environment;
use crate::halt::{STOPPED, StopWatch};
use crate::http::{HttpClient, OutgoingRequest, Response, TransportError};
use crate::profile::SiteProfile;
use crate::redact::Redactor;
use crate::report::progress::Progress;
use crate::report::{StepOutcome, StepReport, SuiteOutcome, SuiteReport, reproduce};
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
    /// Which failed checks fail their step: assumptions under `--strict`, snapshot changes under
    /// `--fail-on-snapshot-change`.
    pub gate: Gate,
    limiter: RateLimiter,
    registrations: std::sync::Mutex<Vec<String>>,
    /// Accounts the lockout suites locked.
    locked: std::sync::Mutex<Vec<String>>,
    /// Shows suites as they finish (the command line sets it).
    pub progress: Option<Progress>,
    /// Compares `snapshot: true` steps with their stored snapshots.
    pub snapshots: Option<SnapshotStore>,
    /// Snapshot files this run wrote (pending or accepted), to scan for secrets.
    snapshot_files: std::sync::Mutex<Vec<std::path::PathBuf>>,
    /// Baselines recorded by this run (a target seen for the first time).
    recorded: std::sync::Mutex<Vec<std::path::PathBuf>>,
    /// Set on Ctrl-C: steps in flight finish, nothing new starts.
    interrupted: std::sync::atomic::AtomicBool,
    /// Wakes real waits (a 429's `Retry-After`) on Ctrl-C.
    interruption: tokio::sync::Notify,
    requests: AtomicUsize,
    unreachable: AtomicUsize,
    /// Stops the run after the target stopped answering.
    watch: StopWatch,
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
            gate: Gate::default(),
            limiter: RateLimiter::new(rate),
            registrations: std::sync::Mutex::new(Vec::new()),
            locked: std::sync::Mutex::new(Vec::new()),
            interrupted: std::sync::atomic::AtomicBool::new(false),
            interruption: tokio::sync::Notify::new(),
            progress: None,
            snapshots: None,
            snapshot_files: std::sync::Mutex::new(Vec::new()),
            recorded: std::sync::Mutex::new(Vec::new()),
            requests: AtomicUsize::new(0),
            unreachable: AtomicUsize::new(0),
            watch: StopWatch::default(),
        }
    }

    /// Sends one request within the rate cap, counting those that found no one to answer.
    /// After the target stopped answering, nothing more is sent (`halt`).
    pub async fn send(&self, request: &OutgoingRequest) -> Result<Response, TransportError> {
        if self.stopped().is_some() {
            return Err(TransportError::Stopped);
        }
        self.limiter.acquire().await;
        if self.stopped().is_some() {
            return Err(TransportError::Stopped);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let nth = self.watch.sending();
        let result = self.http.send(request).await;
        if result.as_ref().is_err_and(TransportError::is_unreachable) {
            self.unreachable.fetch_add(1, Ordering::Relaxed);
        }
        match &result {
            // Something answered, even if badly.
            Ok(_) | Err(TransportError::Truncated(_) | TransportError::TooLarge) => {
                self.watch.answered()
            }
            Err(error) if error.is_no_answer() => {
                let path = request
                    .url
                    .strip_prefix(&self.target.base_url)
                    .unwrap_or(&request.url);
                let what = format!("{} {path}: {error}", request.method);
                self.watch.failed(nth, &self.redactor.text(&what));
            }
            Err(_) => {}
        }
        result
    }

    /// Where the run stopped sending because the target stopped answering, if it did.
    pub fn stopped(&self) -> Option<String> {
        self.watch.stopped()
    }

    /// The emails a registration endpoint accepted during the run, sorted.
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

    /// Remembers an email a registration endpoint accepted (a customer now exists).
    pub fn note_registered(&self, email: &str) {
        self.registrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(email.to_string());
    }

    /// After a lockout suite ran: the accounts it registered were locked for the window.
    fn note_locked(&self, scope: &Scope) {
        let registered = self.registrations();
        let emails = scope
            .generated()
            .filter(|(name, _)| name.starts_with("fresh_email"))
            .filter_map(|(_, value)| value.as_str())
            .filter(|email| registered.iter().any(|r| r == email))
            .map(String::from);
        self.locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(emails);
    }

    /// The accounts lockout suites locked (registered by this run), sorted.
    pub fn locked(&self) -> Vec<String> {
        let mut emails = self
            .locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        emails.sort();
        emails.dedup();
        emails
    }

    /// Remembers a snapshot file the run wrote.
    pub fn wrote_snapshot(&self, path: std::path::PathBuf) {
        self.snapshot_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path);
    }

    /// Remembers a baseline recorded for a target that had none.
    pub fn recorded_baseline(&self, path: std::path::PathBuf) {
        self.recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path);
    }

    /// The baselines this run recorded.
    pub fn recorded_baselines(&self) -> Vec<std::path::PathBuf> {
        self.recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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
        self.interruption.notify_waiters();
    }

    /// Waits for real, unless Ctrl-C comes first: `false` when the wait was cut short.
    pub async fn wait_unless_interrupted(&self, wait: std::time::Duration) -> bool {
        // Created before the flag is read, so an interrupt in between still wakes it.
        let interrupted = self.interruption.notified();
        if self.was_interrupted() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => true,
            () = interrupted => false,
        }
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
    let (account, shared): (Vec<_>, Vec<_>) =
        shared.into_iter().partition(|(_, s)| s.suite.account);

    let permits = Arc::new(Semaphore::new(ctx.jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, loaded) in shared {
        let ctx = Arc::clone(&ctx);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            vec![(index, run_suite(&ctx, &loaded, index).await)]
        });
    }
    // The test account's suites, one after another, beside the others.
    if !account.is_empty() {
        let ctx = Arc::clone(&ctx);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let mut done = Vec::new();
            for (index, loaded) in account {
                let _permit = permits.acquire().await.ok();
                done.push((index, run_suite(&ctx, &loaded, index).await));
            }
            done
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(done) => {
                for (index, report) in done {
                    slots[index] = Some(report);
                }
            }
            // A panic in a suite is a harness bug; the suite's slot is filled below as failed.
            Err(error) => crate::report::console::eprint(&format!(
                "internal error in a suite task: {error}\n"
            )),
        }
    }
    for (index, loaded) in &alone {
        let report = run_suite(&ctx, loaded, *index).await;
        if report.outcome != SuiteOutcome::Skipped {
            restore_target(&ctx, &loaded.suite).await;
        }
        slots[*index] = Some(report);
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
                started_at: None,
            })
        })
        .collect()
}

/// Whether a suite registers customers (on a live site, accounts someone must clean up).
/// The root names a step's request templates refer to.
fn step_references(step: &crate::suite::Step) -> Vec<String> {
    let Some(spec) = &step.request else {
        return Vec::new();
    };
    let mut texts: Vec<Value> = vec![Value::String(spec.path.clone())];
    texts.extend(spec.query.values().cloned());
    texts.extend(spec.headers.values().cloned());
    texts.extend(spec.json.iter().cloned());
    texts.extend(spec.body.iter().cloned().map(Value::String));
    texts.extend(spec.bearer.iter().cloned().map(Value::String));
    let mut names: Vec<String> = Vec::new();
    for text in &texts {
        for name in template::value_references(text).unwrap_or_default() {
            let root = template::root_name(name).to_string();
            if !names.contains(&root) {
                names.push(root);
            }
        }
    }
    names
}

fn registers(suite: &Suite) -> bool {
    suite
        .steps
        .iter()
        .filter_map(|s| s.value.request.as_ref())
        .any(|r| !r.control && r.path.starts_with("/auth/register"))
}

/// A `when:` condition: false, null, 0, an empty string or `"false"` mean no.
fn condition_holds(when: &str, scope: &mut Scope) -> Result<bool, TemplateError> {
    Ok(template::truthy(&template::render_str(when, scope)?))
}

/// After a suite that changed the mock, puts back the run's profile and clears faults. Only a
/// target with the control API gets these requests, and only after a suite that ran.
async fn restore_target(ctx: &RunContext, suite: &Suite) {
    if !ctx.target.has(Capability::Control) {
        return;
    }
    if suite.requires.contains(&Capability::Control)
        && let Err(error) = ctx.target.apply_profile(&ctx.profile, &ctx.http).await
    {
        crate::report::console::eprint(&format!(
            "warning: could not restore the mock's site settings: {error}\n"
        ));
    }
    if !suite.requires.contains(&Capability::Faults) {
        return;
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
        started_at: Some(crate::time::now_rfc3339()),
    };
    if ctx.was_interrupted() {
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(INTERRUPTED.into());
        return report;
    }
    if ctx.stopped().is_some() {
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(STOPPED.into());
        return report;
    }
    let missing: Vec<&str> = suite
        .requires
        .iter()
        .filter(|c| !ctx.target.has(**c))
        .map(|c| c.name())
        .collect();
    if missing == [Capability::Https.name()] {
        // Not a pass: what the claim promises cannot be seen over plain HTTP.
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(format!(
            "not applicable: {} is reached over plain HTTP, and this suite checks what only an https:// target can show",
            ctx.target.label
        ));
        return report;
    }
    if !missing.is_empty() {
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(format!(
            "needs the {} capability, which {} lacks",
            missing.join(", "),
            ctx.target.label
        ));
        return report;
    }

    if suite.account && !crate::account::given(&ctx.env) {
        report.outcome = SuiteOutcome::Skipped;
        report.reason = Some(format!(
            "uses the test account: set {} and {} (and {} for the username checks)",
            crate::account::EMAIL,
            crate::account::PASSWORD,
            crate::account::USERNAME
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
    // Variables that steps passing with advisories failed to capture.
    let mut gaps: BTreeSet<String> = BTreeSet::new();
    // The requests sent so far, for the reproduction of a failure (kept in memory only).
    let mut history: Vec<reproduce::Sent> = Vec::new();
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
        if ctx.stopped().is_some() {
            report
                .steps
                .push(StepReport::not_run(&step.value.name, STOPPED));
            continue;
        }
        let env = StepEnv {
            ctx,
            suite_name: &suite.name,
            captured_names: &captured_names,
            owns_clock,
        };
        let (mut step_report, request) = run_step(&env, &step.value, &mut scope).await;
        if let Some(request) = request {
            history.push(reproduce::Sent {
                step: step.value.name.clone(),
                request,
                references: step_references(&step.value),
                captures: step
                    .value
                    .capture
                    .iter()
                    .filter_map(|(name, from)| {
                        let value = scope.lookup(name).ok()?;
                        Some((name.clone(), from.as_str()?.to_string(), value))
                    })
                    .collect(),
            });
            if matches!(
                step_report.outcome,
                StepOutcome::Failed | StepOutcome::Errored
            ) {
                step_report.reproduction = Some(reproduce::reproduction(&history, &ctx.redactor));
            }
        }
        if step_report.outcome == StepOutcome::Passed {
            // A capture an assumption promised and the target did not give.
            gaps.extend(
                step.value
                    .capture
                    .keys()
                    .filter(|name| !scope.has(name))
                    .cloned(),
            );
        }
        let rests_on_assumption = step_report.outcome == StepOutcome::NotRun
            && gaps.iter().any(|gap| {
                step_report.reason.as_deref() == Some(crate::step::not_run_reason(gap).as_str())
            });
        if rests_on_assumption {
            // Not a failure: what it needs rested on an assumption that did not hold (an advisory).
            step_report.notes.push(
                "not run because an assumption of an earlier step did not hold (see its advisory)"
                    .into(),
            );
        } else if step_report.outcome == StepOutcome::Interrupted {
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
    if suite.claims.iter().any(|c| c == "LOCKOUT") {
        ctx.note_locked(&scope);
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
}
