//! The commands, from parsed arguments to an exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checks::Gate;
use crate::cli::{
    CheckArgs, ClaimsArgs, ClaimsFormat, CompletionsArgs, DiffArgs, DiscoverArgs, HistoryArgs,
    ManArgs, MockArgs, OpenapiArgs, ProxyArgs, RunArgs, SchemaArgs,
};
use crate::credentials::Environment;
use crate::http::{HttpClient, Timeouts};
use crate::input::InputError;
use crate::mock::{MockConfig, MockServer};
use crate::profile::SiteProfile;
use crate::redact::{REDACTED, SecretMatcher};
use crate::report::progress::Progress;
use crate::report::{self, REPORT_FORMAT_VERSION, RunReport, SuiteOutcome, SuiteReport};
use crate::runner::{Politeness, RateCap, RunContext, run_all};
use crate::schemas::SchemaSet;
use crate::snapshot::{SnapshotMode, SnapshotStore};
use crate::suite::Capability;
use crate::suite::{self, LoadContext, LoadedSuite};
use crate::target::{Target, TargetError, TargetSpec};

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every check passed.
    Passed = 0,
    /// A conformance check failed.
    Failed = 1,
    /// A usage, suite or profile error.
    Usage = 2,
    /// The target could not be reached, or the environment failed.
    Environment = 3,
}

/// An error that ends a command, with its exit code.
#[derive(Debug)]
pub struct AppError {
    pub exit: Exit,
    pub messages: Vec<String>,
}

impl AppError {
    pub(crate) fn usage(message: impl Into<String>) -> AppError {
        AppError {
            exit: Exit::Usage,
            messages: vec![message.into()],
        }
    }

    pub(crate) fn environment(message: impl Into<String>) -> AppError {
        AppError {
            exit: Exit::Environment,
            messages: vec![message.into()],
        }
    }

    fn inputs(errors: Vec<InputError>) -> AppError {
        AppError {
            exit: Exit::Usage,
            messages: errors.iter().map(ToString::to_string).collect(),
        }
    }
}

impl From<InputError> for AppError {
    fn from(error: InputError) -> Self {
        AppError::inputs(vec![error])
    }
}

impl From<TargetError> for AppError {
    fn from(error: TargetError) -> Self {
        match error {
            TargetError::Usage(message) => AppError::usage(message),
            TargetError::Unreachable(message) => AppError::environment(message),
        }
    }
}

/// A profile from `--profile`: a file, or a built-in profile's name; the built-in `default` when
/// none is given. Returns the profile and where it came from.
pub fn load_profile(arg: Option<&str>) -> Result<(SiteProfile, String), AppError> {
    let name = arg.unwrap_or("default");
    let path = Path::new(name);
    if arg.is_some() && path.exists() {
        let bytes = crate::input::read_file(path)?;
        let profile = SiteProfile::from_yaml(&path.display().to_string(), &bytes)?;
        return Ok((profile, path.display().to_string()));
    }
    match suite::load::embedded_profile(name) {
        Some((file, bytes)) => Ok((
            SiteProfile::from_yaml(&file, bytes)?,
            format!("built-in {file}"),
        )),
        None if arg.is_none() => Ok((SiteProfile::default(), "built-in defaults".into())),
        None => Err(AppError::usage(format!(
            "--profile `{name}`: no such file, and no built-in profile of that name (built in: {})",
            suite::load::embedded_profile_names().join(", ")
        ))),
    }
}

fn load_schemas(dir: Option<&Path>) -> Result<SchemaSet, AppError> {
    match dir {
        Some(dir) => SchemaSet::from_dir(dir),
        None => SchemaSet::embedded(),
    }
    .map_err(|e| AppError::usage(e.to_string()))
}

/// Every suite file of `dir` (the built-in ones without it), loaded and statically checked.
fn load_suite_files(
    dir: Option<&Path>,
    schemas: &SchemaSet,
    profile: &SiteProfile,
    live: bool,
) -> Result<Vec<LoadedSuite>, AppError> {
    let sources = match dir {
        Some(dir) => suite::load::dir_sources(dir)?,
        None => suite::load::embedded_sources(),
    };
    let profile_json = profile.to_json();
    let ctx = LoadContext {
        schemas,
        profile: &profile_json,
        live,
    };
    suite::load::load_all(&sources, &ctx).map_err(AppError::inputs)
}

fn load_suites(
    args: &RunArgs,
    schemas: &SchemaSet,
    profile: &SiteProfile,
    live: bool,
) -> Result<Vec<LoadedSuite>, AppError> {
    let suites = load_suite_files(args.suites.as_deref(), schemas, profile, live)?;
    for claim in &args.claims {
        if crate::claims::find(claim).is_none() {
            return Err(AppError::usage(format!(
                "--claim `{claim}` is not a claim ID of spec/claims.md"
            )));
        }
    }
    let selected: Vec<LoadedSuite> = suites
        .into_iter()
        .filter(|s| {
            args.filter
                .as_ref()
                .is_none_or(|f| s.suite.name.contains(f.as_str()) || s.file.contains(f.as_str()))
        })
        .filter(|s| args.tags.is_empty() || s.suite.tags.iter().any(|t| args.tags.contains(t)))
        .filter(|s| {
            args.claims.is_empty() || s.suite.claims.iter().any(|c| args.claims.contains(c))
        })
        .collect();
    if selected.is_empty() {
        return Err(AppError::usage(
            "no suite matches the --filter, --tag and --claim given",
        ));
    }
    Ok(selected)
}

fn list(suites: &[LoadedSuite]) -> String {
    let mut out = String::new();
    for loaded in suites {
        let suite = &loaded.suite;
        let requires: Vec<&str> = suite.requires.iter().map(|c| c.name()).collect();
        out.push_str(&format!(
            "{}  [{}]  {}{}\n",
            suite.name,
            suite.claims.join(", "),
            loaded.file,
            if requires.is_empty() {
                String::new()
            } else {
                format!("  (requires {})", requires.join(", "))
            }
        ));
    }
    out.push_str(&format!("{} suites\n", suites.len()));
    out
}

/// `pelcro-conformance run`: one site, or each of several (`sites`).
pub async fn run(args: RunArgs) -> Result<Exit, AppError> {
    let spec = TargetSpec::parse(&args.target)?;
    let (profile, _) = load_profile(args.profile.as_deref())?;
    let schemas = load_schemas(args.schemas.as_deref())?;
    let live = matches!(spec, TargetSpec::Url(_));
    let suites = load_suites(&args, &schemas, &profile, live)?;
    let env = match &args.env_file {
        Some(path) => Environment::from_file(path)?,
        None => Environment::process(),
    };
    if args.list {
        report::console::print(&list(&suites));
        return Ok(Exit::Passed);
    }
    let sites = crate::sites::site_ids(args.site_id.as_deref(), args.sites.as_deref(), &env)?;
    let sites = match (sites, &spec) {
        (Some(ids), _) => ids,
        (None, TargetSpec::Mock) => vec!["1".into()],
        (None, TargetSpec::Url(_)) => {
            return Err(AppError::usage(
                "--site-id (or PELCRO_SITE_ID, or --sites FILE) is required for a target URL",
            ));
        }
    };
    if let [site_id] = sites.as_slice() {
        return run_site(&args, &spec, suites, env, site_id, &args.report_dir)
            .await
            .map(|(exit, _)| exit);
    }
    crate::sites::run_sites(&args, &spec, suites, env, &sites).await
}

/// One site's run: the console summary, the reports in `report_dir`, the leak scan, the exit
/// code (and the report, for a combined one).
pub(crate) async fn run_site(
    args: &RunArgs,
    spec: &TargetSpec,
    suites: Vec<LoadedSuite>,
    env: Environment,
    site_id: &str,
    report_dir: &Path,
) -> Result<(Exit, RunReport), AppError> {
    let (profile, profile_source) = load_profile(args.profile.as_deref())?;
    let profile_name = crate::snapshot::slug(&profile.name);
    let schemas = load_schemas(args.schemas.as_deref())?;
    let snapshot_mode = match (args.update_snapshots, args.accept_snapshots) {
        (_, true) => SnapshotMode::Accept,
        (true, false) => SnapshotMode::Update,
        (false, false) => SnapshotMode::Check,
    };
    if snapshot_mode == SnapshotMode::Accept
        && matches!(spec, TargetSpec::Mock)
        && args.snapshots.is_none()
    {
        return Err(AppError::usage(
            "--accept-snapshots: the embedded mock's built-in baselines are read-only; give --snapshots DIR (in a checkout: --snapshots snapshots)",
        ));
    }
    let options = RunOptions {
        target: spec.clone(),
        site_id: site_id.to_string(),
        profile,
        profile_source,
        schemas,
        env,
        allow_lockout: args.allow_lockout,
        stop_on_ctrl_c: true,
        show_progress: true,
        full_evidence: args.verbose,
        snapshots: None,
        baselines: Some(crate::baselines::store(&crate::baselines::Choice {
            target: spec,
            site_id,
            profile: &profile_name,
            snapshots: args.snapshots.as_deref(),
            report_dir,
            mode: snapshot_mode,
        })),
        gate: Gate {
            strict: args.strict,
            fail_on_snapshot_change: args.fail_on_snapshot_change,
        },
        ca_certificates: match &args.ca_cert {
            Some(path) => crate::http::read_ca_certificates(path)?,
            None => Vec::new(),
        },
        politeness: Politeness {
            jobs: args.jobs as usize,
            max_rps: match args.max_rps {
                None => RateCap::Auto,
                Some(rps) if rps > 0.0 => RateCap::PerSecond(rps),
                Some(_) => RateCap::Unlimited,
            },
            max_wait: Duration::from_secs(args.max_wait),
        },
        timeouts: Timeouts {
            connect: Duration::from_secs(args.connect_timeout),
            total: Duration::from_secs(args.timeout),
        },
    };
    let profile_for_reports = options.profile.clone();
    let outcome = execute(options, suites).await?;
    let colour = report::progress::use_colour();
    // The run's own matcher: every form of every secret, built as they were learned.
    let matcher = std::sync::Arc::clone(&outcome.matcher);
    let console_text = report::console::render_coloured(&outcome.report, args.verbose, colour);
    // The console is an output like any other: scanned, and never shown a secret.
    let console_leak = crate::leakscan::scan_text("console output", &console_text, &matcher);
    report::console::print(&matcher.replace(&console_text, REDACTED));
    let written = report::write_all(&outcome.report, report_dir, &profile_for_reports)
        .map_err(AppError::environment)?;
    for note in &outcome.report.notes {
        report::console::eprint(&format!("note: {}\n", matcher.replace(note, REDACTED)));
    }
    report::console::eprint(&format!("reports: {}\n", report_dir.display()));
    let mut files = written;
    if let Some(path) = &args.summary {
        let summary = report::summary::render(&outcome.report, report_dir);
        report::summary::append(path, &matcher.replace(&summary, REDACTED))
            .map_err(AppError::environment)?;
        files.push(path.clone());
    }
    files.extend(
        outcome
            .snapshot_files
            .iter()
            .filter(|p| p.exists())
            .cloned(),
    );
    scan_outputs(&files, console_leak, &matcher)?;
    if outcome.interrupted {
        return Err(AppError::environment(
            "the run was interrupted (Ctrl-C); the report holds what ran",
        ));
    }
    if let Some(note) = &outcome.stopped {
        return Err(AppError::environment(note.clone()));
    }
    if outcome.unreachable {
        let reason = outcome.report.notes.first().cloned();
        return Err(AppError::environment(reason.unwrap_or_else(|| {
            format!("{}: no request reached the target", outcome.report.target)
        })));
    }
    let exit = if outcome.report.passed() {
        Exit::Passed
    } else {
        Exit::Failed
    };
    Ok((exit, outcome.report))
}

/// The last defence: every file the run wrote, and the console, are searched for every form of
/// every secret it saw. A find is a security bug in the harness; the file is scrubbed in place and
/// the run fails naming it.
fn scan_outputs(
    files: &[PathBuf],
    console_leak: Option<crate::leakscan::Leak>,
    matcher: &SecretMatcher,
) -> Result<(), AppError> {
    let mut leaks: Vec<crate::leakscan::Leak> = console_leak.into_iter().collect();
    leaks.extend(
        crate::leakscan::scan(files, matcher).map_err(|e| AppError::environment(e.to_string()))?,
    );
    if leaks.is_empty() {
        return Ok(());
    }
    Err(AppError {
        exit: Exit::Failed,
        messages: leaks.iter().map(ToString::to_string).collect(),
    })
}

/// The outcome of a run whose target could not be reached: every suite skipped with the reason.
fn unreachable(
    options: RunOptions,
    suites: &[LoadedSuite],
    started_at: String,
    reason: String,
) -> RunOutcome {
    let target = match &options.target {
        TargetSpec::Mock => "embedded mock".to_string(),
        TargetSpec::Url(url) => url.to_string(),
    };
    let suites = suites
        .iter()
        .map(|loaded| SuiteReport {
            name: loaded.suite.name.clone(),
            file: loaded.file.clone(),
            claims: loaded.suite.claims.clone(),
            tags: loaded.suite.tags.clone(),
            outcome: SuiteOutcome::Skipped,
            reason: Some(format!(
                "not run: the target could not be reached ({reason})"
            )),
            steps: Vec::new(),
            duration_ms: 0,
            started_at: None,
        })
        .collect();
    let report = RunReport {
        format_version: REPORT_FORMAT_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        target,
        site_id: options.site_id,
        profile: options.profile.name.clone(),
        profile_source: options.profile_source,
        capabilities: Vec::new(),
        started_at,
        duration_ms: 0,
        notes: vec![reason],
        registrations: Vec::new(),
        strict: options.gate.strict,
        fail_on_snapshot_change: options.gate.fail_on_snapshot_change,
        advisories: Vec::new(),
        snapshot_changes: Vec::new(),
        configuration_drift: Vec::new(),
        suites,
    };
    RunOutcome {
        report,
        stopped: None,
        unreachable: true,
        secrets: Vec::new(),
        matcher: Default::default(),
        interrupted: false,
        snapshot_files: Vec::new(),
    }
}

/// `pelcro-conformance check`: loads the suites, schemas and profile as `run` would, sends
/// nothing. Every problem is reported together (exit 2).
pub fn check(args: CheckArgs) -> Result<Exit, AppError> {
    let (profile, profile_source) = load_profile(args.profile.as_deref())?;
    let schemas = load_schemas(args.schemas.as_deref())?;
    let suites = load_suite_files(args.suites.as_deref(), &schemas, &profile, args.live)?;
    let steps: usize = suites.iter().map(|s| s.suite.steps.len()).sum();
    report::console::print(&format!(
        "ok: {} suites ({steps} steps), {} schemas, profile {} ({profile_source})\n",
        suites.len(),
        schemas.names().len(),
        profile.name
    ));
    Ok(Exit::Passed)
}

/// `pelcro-conformance schema suite|profile`: the editor schema, generated from the model.
pub fn schema(args: SchemaArgs) -> Result<Exit, AppError> {
    report::console::print(&args.of.text());
    Ok(Exit::Passed)
}

/// `pelcro-conformance completions SHELL`.
pub fn completions(args: CompletionsArgs) -> Result<Exit, AppError> {
    use clap::CommandFactory;
    let mut command = crate::cli::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "pelcro-conformance", &mut out);
    report::console::print(&String::from_utf8_lossy(&out));
    Ok(Exit::Passed)
}

/// `pelcro-conformance man [--output FILE]`.
pub fn man(args: ManArgs) -> Result<Exit, AppError> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::Cli::command())
        .render(&mut out)
        .map_err(|e| AppError::environment(format!("cannot render the man page: {e}")))?;
    match &args.output {
        Some(path) => std::fs::write(path, &out)
            .map_err(|e| AppError::environment(format!("cannot write {}: {e}", path.display())))?,
        None => report::console::print(&String::from_utf8_lossy(&out)),
    }
    Ok(Exit::Passed)
}

/// `pelcro-conformance claims`: what stands behind each claim, counted from the suite files.
pub fn claims(args: ClaimsArgs) -> Result<Exit, AppError> {
    let schemas = load_schemas(None)?;
    let suites = load_suite_files(
        args.suites.as_deref(),
        &schemas,
        &SiteProfile::default(),
        false,
    )?;
    let rows = suite::census::census(&suites);
    report::console::print(&match args.format {
        ClaimsFormat::Text => suite::census::render_text(&rows),
        ClaimsFormat::Json => suite::census::render_json(&rows),
    });
    Ok(Exit::Passed)
}

/// `pelcro-conformance history DIR…`: exit 2 when a report cannot be read, 3 when the pages
/// cannot be written.
pub fn history(args: HistoryArgs) -> Result<Exit, AppError> {
    let nights = report::history::read_nights(&args.reports).map_err(AppError::usage)?;
    let history = report::history::build(nights);
    let written = report::history::write(&history, &args.out).map_err(AppError::environment)?;
    for path in written {
        report::console::eprint(&format!("wrote {}\n", path.display()));
    }
    Ok(Exit::Passed)
}

/// `pelcro-conformance diff OLD NEW`: exit 1 when something newly fails, 2 on unreadable input.
pub fn diff(args: DiffArgs) -> Result<Exit, AppError> {
    let (text, newly_failing) =
        report::diff::run_diff(&args.old, &args.new).map_err(AppError::usage)?;
    report::console::print(&text);
    Ok(if newly_failing {
        Exit::Failed
    } else {
        Exit::Passed
    })
}

/// Everything a run needs besides its suites.
pub struct RunOptions {
    pub target: TargetSpec,
    pub site_id: String,
    pub profile: SiteProfile,
    /// Where the profile came from, for the report.
    pub profile_source: String,
    pub schemas: SchemaSet,
    /// Where `{{ env.NAME }}` looks.
    pub env: Environment,
    /// Grants the `lockout` capability to a target that lacks it (a live site): lockout checks
    /// then run, and lock the account they use for the window.
    pub allow_lockout: bool,
    pub politeness: Politeness,
    pub timeouts: Timeouts,
    /// CA certificates trusted besides the system's (`--ca-cert`).
    pub ca_certificates: Vec<reqwest::Certificate>,
    /// Stop at the next step on Ctrl-C and report what ran (the command line sets it).
    pub stop_on_ctrl_c: bool,
    /// Show suites as they finish (the command line sets it).
    pub show_progress: bool,
    /// Keep every step's request and response (`-v`); otherwise only those of steps that failed
    /// or have an advisory, which are all the reports show.
    pub full_evidence: bool,
    /// Compare `snapshot: true` steps with stored snapshots: the folder and the mode.
    pub snapshots: Option<(PathBuf, SnapshotMode)>,
    /// Which failed checks fail the run (`--strict`, `--fail-on-snapshot-change`).
    pub gate: Gate,
    /// A prepared store (the command line's: where this target's baselines live, see
    /// `baselines`); wins over `snapshots`.
    pub baselines: Option<SnapshotStore>,
}

impl RunOptions {
    /// Options with the defaults of the command line: site 1, the process environment, no
    /// lockout on live targets, default politeness and timeouts, the system's CA roots.
    pub fn new(target: TargetSpec, profile: SiteProfile, schemas: SchemaSet) -> RunOptions {
        RunOptions {
            target,
            site_id: "1".into(),
            profile,
            profile_source: "given by the caller".into(),
            schemas,
            env: Environment::process(),
            allow_lockout: false,
            politeness: Politeness::default(),
            timeouts: Timeouts::default(),
            ca_certificates: Vec::new(),
            stop_on_ctrl_c: false,
            show_progress: false,
            full_evidence: false,
            snapshots: None,
            gate: Gate::default(),
            baselines: None,
        }
    }
}

/// What a run found.
pub struct RunOutcome {
    pub report: RunReport,
    /// The target stopped answering mid-run: where (the run then exits 3).
    pub stopped: Option<String>,
    /// Requests were sent and none reached the target.
    pub unreachable: bool,
    /// Every secret the run saw, for scanning what was written.
    pub secrets: Vec<String>,
    /// One matcher for every form of those secrets (for the after-run scan).
    pub matcher: std::sync::Arc<SecretMatcher>,
    /// Ctrl-C stopped the run; the report holds what ran.
    pub interrupted: bool,
    /// The snapshot files the run wrote (to scan for secrets with the reports).
    pub snapshot_files: Vec<PathBuf>,
}

/// Runs suites against a target: the library entry point behind `pelcro-conformance run`.
pub async fn execute(
    options: RunOptions,
    suites: Vec<LoadedSuite>,
) -> Result<RunOutcome, AppError> {
    if options.site_id.trim().is_empty() {
        return Err(AppError::usage("--site-id is empty"));
    }
    let plain = match &options.target {
        TargetSpec::Mock => true,
        TargetSpec::Url(url) => url.scheme() == "http",
    };
    let http = if plain {
        HttpClient::plain(options.timeouts)
    } else {
        HttpClient::new(options.timeouts, &options.ca_certificates)
    }
    .map_err(AppError::environment)?;
    let started_at = crate::time::now_rfc3339();
    let clock = Instant::now();
    let needs = crate::suite::Needs::of_run(&suites);
    let mut target = match Target::connect(
        &options.target,
        &options.site_id,
        &options.profile,
        needs,
        &http,
    )
    .await
    {
        Ok(target) => target,
        // Nothing can run, but a nightly job still wants a report that says why.
        Err(TargetError::Unreachable(reason)) => {
            return Ok(unreachable(options, &suites, started_at, reason));
        }
        Err(error) => return Err(error.into()),
    };
    let mut notes = Vec::new();
    if options.allow_lockout && !target.has(Capability::Lockout) {
        target.capabilities.insert(Capability::Lockout);
        notes.push(if options.profile.allow_registration {
            "--allow-lockout: lockout checks ran against this target, each on an account it registered (never the test account), and locked it for the lockout window".to_string()
        } else {
            "--allow-lockout: no lockout check ran: they lock only accounts the run registers, and the profile does not allow registration (allow_registration: false); the test account is never locked".to_string()
        });
    }
    // The embedded mock gets the test account seeded, so the account suites run there too.
    let mut env = options.env;
    let mut seeded_password = None;
    if matches!(options.target, TargetSpec::Mock) && needs.account {
        let run_tag = format!("{:06x}", fastrand::u32(..0xff_ffff));
        let (seeded, password) = crate::account::seed_on_mock(&target, &http, env, &run_tag)
            .await
            .map_err(AppError::from)?;
        env = seeded;
        seeded_password = Some(password);
    }
    let capabilities = target
        .capabilities
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let suite_count = suites.len();
    let mut ctx = RunContext::new(
        target,
        http,
        options.schemas,
        options.profile,
        options.politeness,
    );
    if let Some(password) = &seeded_password {
        ctx.redactor.add(password);
    }
    ctx.env = Arc::new(env);
    ctx.gate = options.gate;
    ctx.progress = options.show_progress.then(|| Progress::new(suite_count));
    ctx.full_evidence = options.full_evidence;
    ctx.snapshots = options.baselines.or_else(|| {
        options
            .snapshots
            .map(|(dir, mode)| SnapshotStore::new(dir, mode))
    });
    let ctx = Arc::new(ctx);
    let watcher = options.stop_on_ctrl_c.then(|| {
        let ctx = Arc::clone(&ctx);
        let first = ctrl_c_from_now();
        tokio::spawn(async move {
            if first.await.is_ok() {
                report::console::eprint(
                    "interrupted: finishing the steps in flight, then reporting what ran (Ctrl-C again to stop at once)\n",
                );
                ctx.interrupt();
                if tokio::signal::ctrl_c().await.is_ok() {
                    report::console::eprint("interrupted again: stopping at once, no report\n");
                    std::process::exit(Exit::Environment as i32);
                }
            }
        })
    });
    let suites_report = run_all(Arc::clone(&ctx), suites).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    if let Some(progress) = &ctx.progress {
        progress.finish();
    }
    let mut suites_report = suites_report;
    let mut drift = Vec::new();
    if matches!(options.target, TargetSpec::Url(_))
        && !ctx.target.has(Capability::Control)
        && ctx.stopped().is_none()
        && !ctx.was_interrupted()
    {
        match configuration_drift(&ctx).await {
            Ok(found) => drift = found,
            Err(note) => notes.push(note),
        }
    }
    let stopped = ctx.stopped();
    if let Some(note) = &stopped {
        crate::halt::mark_stopped(&mut suites_report);
        notes.push(note.clone());
    }
    let recorded = ctx.recorded_baselines();
    if let Some(first) = recorded.first() {
        notes.push(format!(
            "new baselines: {} recorded for this target in {} (it had none; later runs compare against them)",
            recorded.len(),
            first.parent().unwrap_or(first).display()
        ));
    }
    let locked = ctx.locked();
    if !locked.is_empty() && !matches!(options.target, TargetSpec::Mock) {
        notes.push(format!(
            "the lockout checks locked these accounts (registered by this run) for the lockout window: {}",
            locked.join(", ")
        ));
    }
    notes.extend(ctx.target.release(&ctx.http).await);
    let report = RunReport {
        format_version: REPORT_FORMAT_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        target: ctx.target.label.clone(),
        site_id: ctx.target.site_id.clone(),
        profile: ctx.profile.name.clone(),
        profile_source: options.profile_source,
        capabilities,
        started_at,
        duration_ms: clock.elapsed().as_millis() as u64,
        notes,
        registrations: ctx.registrations(),
        strict: options.gate.strict,
        fail_on_snapshot_change: options.gate.fail_on_snapshot_change,
        advisories: Vec::new(),
        snapshot_changes: Vec::new(),
        configuration_drift: drift,
        suites: suites_report,
    };
    let mut report = report;
    report.collect_findings();
    Ok(RunOutcome {
        report,
        stopped,
        unreachable: ctx.target_was_unreachable(),
        secrets: ctx.redactor.secrets(),
        matcher: ctx.redactor.matcher(),
        interrupted: ctx.was_interrupted(),
        snapshot_files: ctx.snapshot_files(),
    })
}

/// Where the live site, observed without harm, differs from the stated profile (a finding per
/// field; the error is the note saying why it was not checked); a site with a control API was
/// given the profile, so it is not asked.
async fn configuration_drift(
    ctx: &crate::runner::RunContext,
) -> Result<Vec<crate::report::ConfigurationDrift>, String> {
    let probe = crate::discover::Probe {
        api_root: ctx.target.api_url(""),
        site_id: &ctx.target.site_id,
        env: &ctx.env,
        allow_registration: false,
        allow_lockout: false,
    };
    match crate::discover::observe(ctx, &probe).await {
        Ok(findings) => Ok(crate::discover::drift(&ctx.profile, &findings)),
        Err(e) => Err(format!("configuration drift not checked: {e}")),
    }
}

/// `pelcro-conformance explore`: journeys from a seed, judged by the documented rules.
pub async fn explore(args: crate::cli::ExploreArgs) -> Result<Exit, AppError> {
    let spec = TargetSpec::parse(&args.target)?;
    let (profile, profile_source) = load_profile(args.profile.as_deref())?;
    let site_id = match (&args.site_id, &spec) {
        (Some(id), _) => id.clone(),
        (None, TargetSpec::Mock) => "1".into(),
        (None, TargetSpec::Url(_)) => {
            return Err(AppError::usage(
                "--site-id (or PELCRO_SITE_ID) is required for a target URL",
            ));
        }
    };
    let run = RunOptions {
        site_id,
        profile_source,
        allow_lockout: args.allow_lockout,
        ca_certificates: match &args.ca_cert {
            Some(path) => crate::http::read_ca_certificates(path)?,
            None => Vec::new(),
        },
        politeness: Politeness {
            max_rps: match args.max_rps {
                None => RateCap::Auto,
                Some(rps) if rps > 0.0 => RateCap::PerSecond(rps),
                Some(_) => RateCap::Unlimited,
            },
            ..Politeness::default()
        },
        timeouts: Timeouts {
            total: Duration::from_secs(args.timeout),
            ..Timeouts::default()
        },
        ..RunOptions::new(spec, profile, load_schemas(None)?)
    };
    let outcome = crate::explore::explore(crate::explore::ExploreOptions {
        run,
        budget: args.budget as usize,
        seed: args.seed,
        time: Duration::from_secs(args.time),
    })
    .await?;
    let report = crate::explore::report::run_report(&outcome, Vec::new());
    let matcher = SecretMatcher::new(outcome.secrets.iter().map(String::as_str));
    let console_text = crate::explore::report::summary(&outcome);
    let console_leak = crate::leakscan::scan_text("console output", &console_text, &matcher);
    report::console::print(&matcher.replace(&console_text, REDACTED));
    let files = crate::explore::report::write(&outcome, &report, &args.report_dir)
        .map_err(AppError::environment)?;
    report::console::eprint(&format!("reports: {}\n", args.report_dir.display()));
    scan_outputs(&files, console_leak, &matcher)?;
    if outcome.unreachable {
        return Err(AppError::environment(format!(
            "{}: no request reached the target",
            outcome.target
        )));
    }
    if let Some(why) = outcome
        .stopped
        .as_ref()
        .filter(|w| !w.starts_with("the time budget"))
    {
        return Err(AppError::environment(why.clone()));
    }
    Ok(if outcome.findings.is_empty() {
        Exit::Passed
    } else {
        Exit::Failed
    })
}

/// `pelcro-conformance mock`: serves until Ctrl-C.
pub async fn mock(args: MockArgs) -> Result<Exit, AppError> {
    let (profile, source) = load_profile(args.profile.as_deref())?;
    let control_token = args.control_token.clone().filter(|t| !t.trim().is_empty());
    if !args.host.is_loopback() {
        if !args.allow_remote {
            return Err(AppError::usage(format!(
                "--host {}: not a loopback address; the mock's control API would be open to the network. Give --allow-remote with a control token (--control-token or PELCRO_MOCK_CONTROL_TOKEN) to serve beyond this machine",
                args.host
            )));
        }
        match &control_token {
            None => {
                return Err(AppError::usage(
                    "--allow-remote needs a control token (--control-token or PELCRO_MOCK_CONTROL_TOKEN): /__control would otherwise be open to the network",
                ));
            }
            Some(token) if token.len() < 16 => {
                return Err(AppError::usage(
                    "the control token must be at least 16 characters",
                ));
            }
            Some(_) => {}
        }
    }
    let config = MockConfig {
        site_id: args.site_id,
        profile,
        trust_forwarded_for: args.trust_forwarded_for,
        frozen_clock: args.frozen_clock,
        control_token: control_token.clone(),
        ..MockConfig::default()
    };
    let stop = ctrl_c_from_now();
    let server = MockServer::start_on((args.host, args.port).into(), config)
        .await
        .map_err(|e| {
            AppError::environment(format!("cannot listen on {}:{}: {e}", args.host, args.port))
        })?;
    let base = server.base_url();
    let guarded = if control_token.is_some() {
        "  (requires the control token)"
    } else {
        ""
    };
    report::console::print(&format!(
        "Pelcro mock listening on {base}\n  API:     {base}/api/v1/sdk  (site_id={})\n  control: {base}/__control{guarded}\n  profile: {source}\nPress Ctrl-C to stop.\n",
        args.site_id
    ));
    stop.await
        .map_err(|e| AppError::environment(format!("cannot wait for Ctrl-C: {e}")))?;
    server.shutdown().await;
    Ok(Exit::Passed)
}

/// Ctrl-C, listened for from this call on. `tokio::signal::ctrl_c` installs its handler only
/// when first polled: a Ctrl-C between a server's start and that poll would end the process
/// unhandled (killed by the signal, no exit code, no report).
fn ctrl_c_from_now() -> std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> {
    let mut signal = Box::pin(tokio::signal::ctrl_c());
    // One poll installs the handler; the caller's await polls again with its own waker.
    let _ = signal
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    signal
}

/// `pelcro-conformance openapi`: the OpenAPI 3.1 document, to stdout or `--output FILE`.
pub async fn openapi(args: OpenapiArgs) -> Result<Exit, AppError> {
    let document = crate::openapi::document().map_err(AppError::usage)?;
    let text = serde_json::to_string_pretty(&document)
        .map_err(|e| AppError::environment(format!("the document cannot be serialized: {e}")))?
        + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            AppError::environment(format!("{}: cannot be written: {e}", path.display()))
        })?,
        None => report::console::print(&text),
    }
    Ok(Exit::Passed)
}

/// `pelcro-conformance proxy`: a validating reverse proxy until Ctrl-C, then the report.
pub async fn proxy(args: ProxyArgs) -> Result<Exit, AppError> {
    use crate::proxy::{self, ProxyConfig, ProxyError};
    let (profile, profile_source) = load_profile(args.profile.as_deref())?;
    let to_app = |e: ProxyError| match e {
        ProxyError::Usage(m) => AppError::usage(m),
        ProxyError::Environment(m) => AppError::environment(m),
    };
    let mut config = ProxyConfig::new(args.upstream.clone()).map_err(to_app)?;
    config.listen = args.listen;
    config.profile = profile.clone();
    config.profile_source = profile_source;
    config.timeout = Duration::from_secs(args.timeout);
    let stop = ctrl_c_from_now();
    let handle = proxy::start(config).await.map_err(to_app)?;
    report::console::print(&format!(
        "Validating proxy listening on {base}\n  forwarding to: {upstream}\n  API:           {base}/api/v1/sdk\n  report:        {dir} (on Ctrl-C)\nPress Ctrl-C to stop.\n",
        base = handle.base_url(),
        upstream = args.upstream,
        dir = args.report_dir.display(),
    ));
    let redactor = handle.redactor();
    let waited = stop.await;
    let report = handle.stop().await;
    waited.map_err(|e| AppError::environment(format!("cannot wait for Ctrl-C: {e}")))?;
    let matcher = redactor.matcher();
    let console_text = report::console::render(&report, args.verbose);
    let console_leak = crate::leakscan::scan_text("console output", &console_text, &matcher);
    report::console::print(&matcher.replace(&console_text, REDACTED));
    let written =
        proxy::write_report(&report, &args.report_dir, &profile).map_err(AppError::environment)?;
    for path in &written {
        report::console::print(&format!("wrote {}\n", path.display()));
    }
    scan_outputs(&written, console_leak, &matcher)?;
    Ok(if report.passed() {
        Exit::Passed
    } else {
        Exit::Failed
    })
}

/// `pelcro-conformance profile discover`: a profile of what the site can be seen to do.
pub async fn discover(args: DiscoverArgs) -> Result<Exit, AppError> {
    use crate::discover::{DiscoverError, Probe, observe, profile_yaml};
    let spec = TargetSpec::parse(&args.target)?;
    let TargetSpec::Url(url) = &spec else {
        return Err(AppError::usage(
            "profile discover: --target takes the site's URL (the embedded mock's profile is the one it is given)",
        ));
    };
    let env = match &args.env_file {
        Some(path) => Environment::from_file(path)?,
        None => Environment::process(),
    };
    let site_id = args
        .site_id
        .clone()
        .or_else(|| env.get("PELCRO_SITE_ID"))
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            AppError::usage("profile discover: --site-id (or PELCRO_SITE_ID) is required")
        })?;
    let roots = match &args.ca_cert {
        Some(path) => crate::http::read_ca_certificates(path)?,
        None => Vec::new(),
    };
    let http = HttpClient::new(
        Timeouts {
            total: Duration::from_secs(args.timeout),
            ..Timeouts::default()
        },
        &roots,
    )
    .map_err(AppError::environment)?;
    let base = url.as_str().trim_end_matches('/');
    let probe = Probe {
        api_root: format!("{base}{}", crate::target::API_PREFIX),
        site_id: &site_id,
        env: &env,
        allow_registration: args.allow_registration,
        allow_lockout: args.allow_lockout,
    };
    let findings = observe(&http, &probe).await.map_err(|e| match e {
        DiscoverError::Transport(e) => AppError::environment(format!("{base}: {e}")),
        DiscoverError::Site(_) => AppError::usage(format!("{base}: {e}")),
    })?;
    let text = profile_yaml(&findings, base, &site_id, &crate::time::now_rfc3339());
    for email in &findings.registered {
        eprintln!("registered (to observe the site): {email}");
    }
    match &args.output {
        Some(path) => std::fs::write(path, &text).map_err(|e| {
            AppError::environment(format!("{}: cannot be written: {e}", path.display()))
        })?,
        None => report::console::print(&text),
    }
    Ok(Exit::Passed)
}
