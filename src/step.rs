//! Carrying out one step: render its request, send it (repeatedly if asked), check each answer,
//! capture values, and keep redacted evidence.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use crate::backoff::{self, WaitSource};
use crate::checks::{
    self, CheckKind, CheckResult, Expectations, JwtExpectations, Level, matcher::Matcher,
};
use crate::halt::STOPPED;
use crate::http::{Body, OutgoingRequest, Response, TransportError};
use crate::redact::{Redactor, is_secret_key};
use crate::report::{Evidence, StepOutcome, StepReport};
use crate::runner::RunContext;
use crate::snapshot::{self, SnapshotOutcome};
use crate::suite::load::{MAX_REPEAT, parse_duration};
use crate::suite::{Expect, RequestSpec, SiteIdPlacement, Step};
use crate::template::{self, Scope, TemplateError};

/// Why a step stopped before checking anything.
enum Halt {
    /// A variable an earlier step should have captured is missing.
    NotRun(String),
    /// The step could not be carried out.
    Errored(String),
    /// Ctrl-C: a repeated step stops at the next iteration.
    Interrupted(String),
}

impl Halt {
    fn from_template(error: TemplateError, captured_names: &BTreeSet<String>) -> Halt {
        match &error {
            TemplateError::UnknownVariable(name)
                if captured_names.contains(template::root_name(name)) =>
            {
                Halt::NotRun(not_run_reason(template::root_name(name)))
            }
            _ => Halt::Errored(error.to_string()),
        }
    }
}

/// Why a step did not run: the variable an earlier step did not capture.
pub fn not_run_reason(variable: &str) -> String {
    format!("needs `{variable}`, which an earlier step did not capture")
}

/// What a step needs to know about its run and its suite.
pub struct StepEnv<'a> {
    pub ctx: &'a RunContext,
    pub suite_name: &'a str,
    /// Every name some step of the suite captures: a missing one means "not run", not an error.
    pub captured_names: &'a BTreeSet<String>,
    /// Only a suite that runs alone may move the clock every suite shares.
    pub owns_clock: bool,
}

/// Runs one step and reports it, with the last request it sent (for a reproduction; secrets in
/// it are not redacted).
pub async fn run_step(
    env: &StepEnv<'_>,
    step: &Step,
    scope: &mut Scope,
) -> (StepReport, Option<OutgoingRequest>) {
    let (ctx, captured_names) = (env.ctx, env.captured_names);
    let started = Instant::now();
    let mut report = StepReport {
        name: step.name.clone(),
        outcome: StepOutcome::Passed,
        reason: None,
        attempts: 0,
        checks: Vec::new(),
        evidence: None,
        notes: Vec::new(),
        duration_ms: 0,
        reproduction: None,
    };
    let mut sent = None;
    let result = match (&step.advance_clock, &step.request) {
        (Some(advance), _) => advance_clock(ctx, advance, scope, captured_names).await,
        (None, Some(request)) => {
            send_and_check(env, step, request, scope, &mut report, &mut sent).await
        }
        (None, None) => Err(Halt::Errored("the step has nothing to do".into())),
    };
    match result {
        Ok(()) => {
            if let Some(failed) = report.checks.iter().find(|c| c.fails(ctx.gate)) {
                report.outcome = StepOutcome::Failed;
                let attempt = if step.repeat.is_some() {
                    format!(" (attempt {})", report.attempts)
                } else {
                    String::new()
                };
                report.reason = Some(failed.sentence_at(&attempt));
            }
        }
        Err(Halt::NotRun(reason)) => {
            report.outcome = StepOutcome::NotRun;
            report.reason = Some(reason);
        }
        Err(Halt::Errored(reason)) => {
            report.outcome = StepOutcome::Errored;
            report.reason = Some(ctx.redactor.text(&reason));
        }
        Err(Halt::Interrupted(reason)) => {
            report.outcome = StepOutcome::Interrupted;
            report.reason = Some(reason);
        }
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    (report, sent)
}

async fn advance_clock(
    ctx: &RunContext,
    advance: &Value,
    scope: &mut Scope,
    captured: &BTreeSet<String>,
) -> Result<(), Halt> {
    let seconds = duration_seconds(advance, scope, captured)?;
    ctx.target
        .advance_clock(seconds, &ctx.http)
        .await
        .map_err(Halt::Errored)
}

/// A duration of `advance_clock` or `repeat_every`, rendered, in seconds.
fn duration_seconds(
    advance: &Value,
    scope: &mut Scope,
    captured: &BTreeSet<String>,
) -> Result<u64, Halt> {
    let rendered =
        template::render_value(advance, scope).map_err(|e| Halt::from_template(e, captured))?;
    Ok(match &rendered {
        Value::Number(n) => n.as_u64().ok_or_else(|| {
            Halt::Errored(format!(
                "`advance_clock: {n}` is not a whole number of seconds"
            ))
        })?,
        Value::String(text) => parse_duration(text).map_err(Halt::Errored)?,
        other => {
            return Err(Halt::Errored(format!(
                "`advance_clock: {other}` is not a duration"
            )));
        }
    })
}

async fn send_and_check(
    env: &StepEnv<'_>,
    step: &Step,
    spec: &RequestSpec,
    scope: &mut Scope,
    report: &mut StepReport,
    sent: &mut Option<OutgoingRequest>,
) -> Result<(), Halt> {
    let (ctx, captured, owns_clock) = (env.ctx, env.captured_names, env.owns_clock);
    let repeat = match &step.repeat {
        None => 1,
        Some(value) => {
            let rendered = template::render_value(value, scope)
                .map_err(|e| Halt::from_template(e, captured))?;
            rendered
                .as_u64()
                .filter(|n| (1..=MAX_REPEAT).contains(n))
                .ok_or_else(|| {
                    Halt::Errored(format!(
                        "`repeat` rendered to {rendered}, not a whole number from 1 to {MAX_REPEAT}"
                    ))
                })?
        }
    };
    let mut advisories: Vec<CheckResult> = Vec::new();
    for attempt in 1..=repeat {
        if attempt > 1 && ctx.was_interrupted() {
            return Err(Halt::Interrupted(format!(
                "interrupted (Ctrl-C) after {} of {repeat} repeats",
                attempt - 1
            )));
        }
        if attempt > 1
            && let Some(every) = &step.repeat_every
        {
            // Spread the attempts: the clock moves between them, never before the first.
            advance_clock(ctx, every, scope, captured).await?;
        }
        scope.set("repeat_index", Value::from(attempt));
        report.attempts = attempt;
        let request =
            build_request(ctx, spec, scope).map_err(|e| Halt::from_template(e, captured))?;
        remember_secrets(&ctx.redactor, &request, scope);
        *sent = Some(request.clone());
        let render = |expect: &Expect, scope: &mut Scope| {
            render_expectations(expect, scope).map_err(|e| match e {
                RenderError::Template(e) => Halt::from_template(e, captured),
                RenderError::Invalid(message) => Halt::Errored(message),
            })
        };
        let expectations = render(&step.expect, scope)?;
        let assumptions = match &step.assume {
            Some(assume) => Some(render(assume, scope)?),
            None => None,
        };
        let expects_429 = expectations.status.contains(&429)
            || assumptions
                .as_ref()
                .is_some_and(|a| a.status.contains(&429));
        let response = send_honouring_429(ctx, &request, expects_429, owns_clock, report).await?;
        note_registration(ctx, spec, &request, &response);
        let mut results = checks::evaluate(&expectations, &response, &ctx.schemas);
        for result in &mut results {
            result.level = documented_level(&step.expect, result);
        }
        if let (Some(assume), Some(assumptions)) = (&step.assume, &assumptions) {
            for mut result in checks::evaluate(assumptions, &response, &ctx.schemas) {
                result.level = Level::Assumed;
                result.why = assume.why.clone();
                results.push(result);
            }
        }
        results.extend(capture(step, &response, scope, &ctx.redactor));
        if let Some(why) = &step.assumed {
            for result in &mut results {
                result.level = Level::Assumed;
                result.why = Some(why.clone());
            }
        }
        for result in &mut results {
            // Redact whole, then shorten: the other order could leave half a secret behind.
            result.expected = checks::brief_text(&ctx.redactor.text(&result.expected));
            result.actual = checks::brief_text(&ctx.redactor.text(&result.actual));
        }
        let shown = evidence(ctx, &request, Some(&response));
        if step.snapshot {
            results.extend(compare_snapshot(ctx, env.suite_name, step, &shown, report));
        }
        report.evidence = Some(shown);
        let failed = results.iter().any(|r| r.fails(ctx.gate));
        // An advisory of an earlier attempt stays on the record; the attempts go on, since a
        // documented check of a later one (the N+1st login) may still fail.
        for earlier in report.checks.drain(..) {
            if !earlier.passed && !advisories.iter().any(|a| same_check(a, &earlier)) {
                advisories.push(earlier);
            }
        }
        report.checks = results;
        if failed {
            break;
        }
    }
    let earlier: Vec<CheckResult> = advisories
        .into_iter()
        .filter(|a| !report.checks.iter().any(|r| same_check(a, r) && !r.passed))
        .collect();
    report.checks.extend(earlier);
    Ok(())
}

/// Sends a request; a 429 the step does not expect is honoured — `Retry-After`, else bounded
/// backoff with jitter — and the request sent again, within `MAX_RETRIES` and the run's `max_wait`.
/// On a mock whose clock this suite owns, the wait passes by advancing the clock, not by sleeping;
/// a real wait ends early on Ctrl-C (the step is then interrupted).
async fn send_honouring_429(
    ctx: &RunContext,
    request: &OutgoingRequest,
    expects_429: bool,
    owns_clock: bool,
    report: &mut StepReport,
) -> Result<Response, Halt> {
    let mut response = send_once(ctx, request, report).await?;
    let mut waited = Duration::ZERO;
    let mut retry = 0;
    while response.status == 429 && !expects_429 && retry < backoff::MAX_RETRIES {
        retry += 1;
        // An HTTP date is read against the answer's own clock; on a virtual clock the backoff
        // may be long (it costs nothing), so a throttle without Retry-After is still outwaited.
        let now = backoff::answer_time(response.header("date"), SystemTime::now());
        let wait_after = if owns_clock {
            backoff::virtual_wait_after_429
        } else {
            backoff::wait_after_429
        };
        let (wait, source) = wait_after(response.header("retry-after"), retry, now);
        let source = match source {
            WaitSource::RetryAfter => format!(
                "Retry-After: {}",
                response.header("retry-after").unwrap_or_default()
            ),
            WaitSource::Backoff => "no usable Retry-After: backoff".to_string(),
        };
        // Real waits are capped by --max-wait; virtual ones cost nothing, so only sanity bounds them.
        let cap = if owns_clock {
            backoff::MAX_VIRTUAL_WAIT
        } else {
            ctx.max_wait
        };
        if waited.saturating_add(wait) > cap {
            report.notes.push(format!(
                "429: the wait asked for ({} s, {source}) would pass the cap of {} s in all; not retried",
                wait.as_secs_f64().ceil(),
                cap.as_secs()
            ));
            break;
        }
        waited = waited.saturating_add(wait);
        let advanced = owns_clock
            && ctx
                .target
                .advance_clock(wait.as_secs_f64().ceil() as u64, &ctx.http)
                .await
                .is_ok();
        let how = if advanced {
            "by advancing the mock's clock"
        } else if ctx.wait_unless_interrupted(wait).await {
            "by sleeping"
        } else {
            report.notes.push(format!(
                "429: the wait of {:.1} s ({source}) was cut short by Ctrl-C; not retried",
                wait.as_secs_f64()
            ));
            return Err(Halt::Interrupted(crate::runner::INTERRUPTED_DURING.into()));
        };
        report.notes.push(format!(
            "429: waited {:.1} s ({source}) {how}, then retried",
            wait.as_secs_f64()
        ));
        response = send_once(ctx, request, report).await?;
    }
    Ok(response)
}

/// One request; no answer is an errored step (with the request as evidence), a run that stopped
/// sending makes it not run.
async fn send_once(
    ctx: &RunContext,
    request: &OutgoingRequest,
    report: &mut StepReport,
) -> Result<Response, Halt> {
    match ctx.send(request).await {
        Ok(response) => Ok(response),
        Err(TransportError::Stopped) => Err(Halt::NotRun(STOPPED.into())),
        Err(error) => {
            report.evidence = Some(evidence(ctx, request, None));
            Err(Halt::Errored(error.to_string()))
        }
    }
}

/// A registration the target accepted created a customer: the report lists its email.
fn note_registration(
    ctx: &RunContext,
    spec: &RequestSpec,
    request: &OutgoingRequest,
    response: &Response,
) {
    if spec.control || !spec.path.starts_with("/auth/register") {
        return;
    }
    if !(200..300).contains(&response.status) {
        return;
    }
    if let Some(Body::Json(body)) = &request.body
        && let Some(email) = body.get("email").and_then(Value::as_str)
    {
        ctx.note_registered(email);
    }
}

/// Renders a request and places `site_id` as the step asks.
fn build_request(
    ctx: &RunContext,
    spec: &RequestSpec,
    scope: &mut Scope,
) -> Result<OutgoingRequest, TemplateError> {
    let path = template::render_text(&spec.path, scope)?;
    crate::suite::load::path_within_root(&path)?;
    let url = if spec.control {
        ctx.target.control_url(&path)
    } else {
        ctx.target.api_url(&path)
    };
    let mut query: Vec<(String, String)> = Vec::new();
    for (name, value) in &spec.query {
        query.push((name.clone(), as_text(template::render_value(value, scope)?)));
    }
    let mut headers = Vec::new();
    for (name, value) in &spec.headers {
        headers.push((name.clone(), as_text(template::render_value(value, scope)?)));
    }
    if let Some(bearer) = &spec.bearer {
        headers.push((
            "Authorization".into(),
            format!("Bearer {}", template::render_text(bearer, scope)?),
        ));
    }
    let mut body = match (&spec.json, &spec.body) {
        (Some(json), _) => Some(Body::Json(template::render_value(json, scope)?)),
        (None, Some(raw)) => {
            if !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            Some(Body::Raw(template::render_text(raw, scope)?))
        }
        (None, None) => None,
    };
    if !spec.control {
        let site_id = site_id_value(&ctx.target.site_id);
        match spec.site_id {
            SiteIdPlacement::Query if !query.iter().any(|(n, _)| n == "site_id") => {
                query.push(("site_id".into(), ctx.target.site_id.clone()));
            }
            SiteIdPlacement::Body => match &mut body {
                Some(Body::Json(Value::Object(map))) => {
                    map.entry("site_id").or_insert(site_id);
                }
                None => {
                    body = Some(Body::Json(Value::Object(Map::from_iter([(
                        "site_id".to_string(),
                        site_id,
                    )]))))
                }
                Some(_) => {}
            },
            _ => {}
        }
    }
    Ok(OutgoingRequest {
        method: spec.method.parse().unwrap_or(reqwest::Method::GET),
        url,
        query,
        headers,
        body,
    })
}

/// Numeric site ids travel as numbers in JSON, as the JS SDK sends them.
fn site_id_value(site_id: &str) -> Value {
    site_id
        .parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(site_id.into()))
}

fn as_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Everything secret this request carries, so that no later output shows it.
fn remember_secrets(redactor: &Redactor, request: &OutgoingRequest, scope: &Scope) {
    for (name, value) in scope.generated() {
        if name.starts_with("fresh_password") {
            redactor.add_value(value);
        }
    }
    for (name, value) in &request.headers {
        // The whole value (`Bearer X`, `Basic …`) and the credential after the scheme.
        redactor.add_header(name, value);
    }
    for (name, value) in &request.query {
        if is_secret_key(name) {
            redactor.add(value);
        }
    }
    match &request.body {
        Some(Body::Json(body)) => redactor.add_secret_fields(body),
        Some(Body::Raw(text)) => redactor.add_form_secrets(text),
        None => {}
    }
}

enum RenderError {
    Template(TemplateError),
    Invalid(String),
}

impl From<TemplateError> for RenderError {
    fn from(error: TemplateError) -> Self {
        RenderError::Template(error)
    }
}

/// Two results of the same check (kind and subject), from different attempts.
fn same_check(a: &CheckResult, b: &CheckResult) -> bool {
    a.kind == b.kind && a.subject == b.subject
}

/// Profile fields that select a Known-variations row of claims.md.
const VARIANT_FIELDS: &[&str] = &[
    "profile.invalid_token_status",
    "profile.lockout.status",
    "profile.auth_token_ttl_days",
];

/// The level of a check of `expect:`: a variant when its expectation comes from a profile field
/// that selects a Known-variations row, else documented.
fn documented_level(expect: &Expect, result: &CheckResult) -> Level {
    let pointer_of = |key: &String| checks::to_pointer(key);
    let raw: Option<&Value> = match result.kind {
        CheckKind::Status => expect.status.as_ref(),
        CheckKind::Json => expect
            .json
            .iter()
            .find(|(key, _)| pointer_of(key) == result.subject)
            .map(|(_, spec)| spec),
        CheckKind::Header => expect
            .headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(&result.subject))
            .map(|(_, spec)| spec),
        CheckKind::Jwt => expect.jwt.as_ref().and_then(|jwt| {
            let part = result.subject.rsplit(' ').next().unwrap_or_default();
            match part {
                "ttl" => jwt.ttl_days.as_ref(),
                _ => part
                    .strip_prefix("header.")
                    .map_or_else(|| jwt.claims.get(part), |field| jwt.header.get(field)),
            }
        }),
        CheckKind::Schema | CheckKind::Snapshot => None,
    };
    if raw.is_some_and(is_variant_spec) {
        Level::Variant
    } else {
        Level::Documented
    }
}

/// Whether an expectation's spec takes its value from a profile field that selects a
/// Known-variations row.
pub fn is_variant_spec(spec: &Value) -> bool {
    let text = spec.to_string();
    VARIANT_FIELDS.iter().any(|field| text.contains(field))
}

fn render_expectations(expect: &Expect, scope: &mut Scope) -> Result<Expectations, RenderError> {
    let status = match &expect.status {
        None => Vec::new(),
        Some(value) => {
            let rendered = template::render_value(value, scope)?;
            let codes: Vec<Value> = match rendered {
                Value::Array(items) => items,
                other => vec![other],
            };
            codes
                .iter()
                .map(|code| {
                    code.as_u64()
                        .or_else(|| code.as_str().and_then(|s| s.parse().ok()))
                        .filter(|n| (100..=599).contains(n))
                        .map(|n| n as u16)
                        .ok_or_else(|| {
                            RenderError::Invalid(format!(
                                "`status` rendered to {code}, not a status code"
                            ))
                        })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let json = render_matchers(&expect.json, scope, checks::to_pointer)?;
    let headers = render_matchers(&expect.headers, scope, |name| name.to_ascii_lowercase())?;
    let jwt = match &expect.jwt {
        None => None,
        Some(jwt) => Some(JwtExpectations {
            at: checks::to_pointer(&jwt.at),
            ttl_days: match &jwt.ttl_days {
                None => None,
                Some(value) => {
                    let rendered = template::render_value(value, scope)?;
                    Some(
                        rendered
                            .as_u64()
                            .or_else(|| rendered.as_str().and_then(|s| s.parse().ok()))
                            .ok_or_else(|| {
                                RenderError::Invalid(format!(
                                    "`ttl_days` rendered to {rendered}, not a number of days"
                                ))
                            })?,
                    )
                }
            },
            header: render_matchers(&jwt.header, scope, str::to_string)?,
            claims: render_matchers(&jwt.claims, scope, str::to_string)?,
        }),
    };
    Ok(Expectations {
        status,
        schema: expect.schema.clone(),
        json,
        headers,
        jwt,
    })
}

fn render_matchers(
    specs: &Map<String, Value>,
    scope: &mut Scope,
    key: impl Fn(&str) -> String,
) -> Result<Vec<(String, Matcher)>, RenderError> {
    specs
        .iter()
        .map(|(name, spec)| {
            let rendered = template::render_value(spec, scope)?;
            let matcher = Matcher::parse(&rendered)
                .map_err(|e| RenderError::Invalid(format!("`{name}`: {e}")))?;
            Ok((key(name), matcher))
        })
        .collect()
}

/// Takes the step's captures from the response; a capture that finds nothing is a failed check.
fn capture(
    step: &Step,
    response: &Response,
    scope: &mut Scope,
    redactor: &Redactor,
) -> Vec<CheckResult> {
    let mut failures = Vec::new();
    for (name, from) in &step.capture {
        let from = from.as_str().unwrap_or_default();
        // `/data/first_name?`: an optional field, captured as null when null or absent (to put
        // back later exactly as it was).
        let (from, optional) = match from.strip_suffix('?') {
            Some(from) => (from, true),
            None => (from, false),
        };
        let (value, kind) = match from.strip_prefix("header:") {
            Some(header) => (
                response.header(header).map(|v| Value::String(v.into())),
                CheckKind::Header,
            ),
            None => (
                response
                    .json
                    .as_ref()
                    .and_then(|body| body.pointer(&checks::to_pointer(from)))
                    .cloned(),
                CheckKind::Json,
            ),
        };
        let value = match value {
            None if optional => Some(Value::Null),
            value => value,
        };
        match value {
            Some(Value::Null) if optional => scope.set(name.clone(), Value::Null),
            Some(value) if !value.is_null() => {
                let last_segment = from.rsplit(['/', '.', ':']).next().unwrap_or(from);
                if is_secret_key(name) || is_secret_key(last_segment) {
                    redactor.add_value(&value);
                }
                scope.set(name.clone(), value);
            }
            _ => failures.push(CheckResult::documented(
                kind,
                from,
                false,
                format!("a value to capture as `{name}`"),
                "absent or null",
            )),
        }
    }
    failures
}

/// Headers kept in snapshots: the ones the contract says something about.
const SNAPSHOT_HEADERS: &[&str] = &["content-type", "retry-after"];

/// Compares the (redacted, stabilized) response with its stored snapshot.
fn compare_snapshot(
    ctx: &RunContext,
    suite_name: &str,
    step: &Step,
    shown: &Evidence,
    report: &mut StepReport,
) -> Option<CheckResult> {
    let Some(store) = &ctx.snapshots else {
        report
            .notes
            .push("snapshot not compared: snapshots are off for this run".into());
        return None;
    };
    let value = snapshot::response_snapshot(
        shown.status.unwrap_or_default(),
        &shown.response_headers,
        SNAPSHOT_HEADERS,
        shown.response_body.as_ref(),
    );
    let outcome = store.check(suite_name, &step.name, &snapshot::stabilize(&value));
    match &outcome {
        SnapshotOutcome::New(path)
        | SnapshotOutcome::Written(path)
        | SnapshotOutcome::Changed { pending: path, .. } => {
            ctx.wrote_snapshot(path.clone());
            report
                .notes
                .push(format!("snapshot written: {}", path.display()));
        }
        SnapshotOutcome::Recorded(path) => {
            ctx.wrote_snapshot(path.clone());
            ctx.recorded_baseline(path.clone());
            report
                .notes
                .push(format!("new baseline recorded: {}", path.display()));
        }
        SnapshotOutcome::Matched | SnapshotOutcome::Error(_) => {}
    }
    let path = store.path(suite_name, &step.name).display().to_string();
    let failure = outcome.failure(store.mode());
    let mut result = CheckResult::documented(
        CheckKind::Snapshot,
        path,
        failure.is_none(),
        "the stored snapshot",
        failure.unwrap_or_else(|| "matches".into()),
    );
    result.level = Level::Baseline;
    Some(result)
}

/// The exchange as it may be shown: redacted at the source.
fn evidence(ctx: &RunContext, request: &OutgoingRequest, response: Option<&Response>) -> Evidence {
    let redactor = &ctx.redactor;
    let path = request
        .url
        .strip_prefix(&ctx.target.base_url)
        .unwrap_or(&request.url);
    let query = request
        .query
        .iter()
        .map(|(name, value)| {
            format!(
                "{name}={}",
                if is_secret_key(name) {
                    "[redacted]".into()
                } else {
                    redactor.text(value)
                }
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let url = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let body_value = |body: &Body| match body {
        Body::Json(value) => redactor.json(value),
        Body::Raw(text) => Value::String(redactor.text(text)),
    };
    let headers = |headers: &[(String, String)]| -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(n, v)| (n.clone(), redactor.header(n, v)))
            .collect()
    };
    Evidence {
        method: request.method.to_string(),
        url,
        request_headers: headers(&request.headers),
        request_body: request.body.as_ref().map(body_value),
        status: response.map(|r| r.status),
        response_headers: response.map(|r| headers(&r.headers)).unwrap_or_default(),
        response_body: response.map(|r| match &r.json {
            Some(json) => redactor.json(json),
            None => Value::String(checks::brief_text(&redactor.text(&r.body))),
        }),
    }
}
