//! Carrying out one step: render its request, send it (repeatedly if asked), check each answer,
//! capture values, and keep redacted evidence.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use crate::backoff::{self, WaitSource};
use crate::checks::{
    self, CheckKind, CheckResult, Expectations, JwtExpectations, matcher::Matcher,
};
use crate::http::{Body, OutgoingRequest, Response, TransportError};
use crate::redact::{Redactor, is_secret_key};
use crate::report::{Evidence, StepOutcome, StepReport};
use crate::runner::RunContext;
use crate::snapshot::{self, SnapshotOutcome};
use crate::suite::load::{MAX_REPEAT, parse_duration};
use crate::suite::{RequestSpec, SiteIdPlacement, Step};
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
                Halt::NotRun(format!(
                    "needs `{}`, which an earlier step did not capture",
                    template::root_name(name)
                ))
            }
            _ => Halt::Errored(error.to_string()),
        }
    }
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

/// Runs one step and reports it.
pub async fn run_step(env: &StepEnv<'_>, step: &Step, scope: &mut Scope) -> StepReport {
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
    };
    let result = match (&step.advance_clock, &step.request) {
        (Some(advance), _) => advance_clock(ctx, advance, scope, captured_names).await,
        (None, Some(request)) => send_and_check(env, step, request, scope, &mut report).await,
        (None, None) => Err(Halt::Errored("the step has nothing to do".into())),
    };
    match result {
        Ok(()) => {
            if let Some(failed) = report.checks.iter().find(|c| !c.passed) {
                report.outcome = StepOutcome::Failed;
                let attempt = if step.repeat.is_some() {
                    format!(" (attempt {})", report.attempts)
                } else {
                    String::new()
                };
                report.reason = Some(format!(
                    "{} {}{attempt}: expected {}, got {}",
                    failed.kind.name(),
                    failed.subject,
                    failed.expected,
                    failed.actual
                ));
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
    report
}

async fn advance_clock(
    ctx: &RunContext,
    advance: &Value,
    scope: &mut Scope,
    captured: &BTreeSet<String>,
) -> Result<(), Halt> {
    let rendered =
        template::render_value(advance, scope).map_err(|e| Halt::from_template(e, captured))?;
    let seconds = match &rendered {
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
    };
    ctx.target
        .advance_clock(seconds, &ctx.http)
        .await
        .map_err(Halt::Errored)
}

async fn send_and_check(
    env: &StepEnv<'_>,
    step: &Step,
    spec: &RequestSpec,
    scope: &mut Scope,
    report: &mut StepReport,
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
    for attempt in 1..=repeat {
        if attempt > 1 && ctx.was_interrupted() {
            return Err(Halt::Interrupted(format!(
                "interrupted (Ctrl-C) after {} of {repeat} repeats",
                attempt - 1
            )));
        }
        scope.set("repeat_index", Value::from(attempt));
        report.attempts = attempt;
        let request =
            build_request(ctx, spec, scope).map_err(|e| Halt::from_template(e, captured))?;
        remember_secrets(&ctx.redactor, &request, scope);
        let expectations = render_expectations(step, scope).map_err(|e| match e {
            RenderError::Template(e) => Halt::from_template(e, captured),
            RenderError::Invalid(message) => Halt::Errored(message),
        })?;
        let expects_429 = expectations.status.contains(&429);
        let response = send_honouring_429(ctx, &request, expects_429, owns_clock, report).await;
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                report.evidence = Some(evidence(ctx, &request, None));
                return Err(Halt::Errored(error.to_string()));
            }
        };
        let mut results = checks::evaluate(&expectations, &response, &ctx.schemas);
        results.extend(capture(step, &response, scope, &ctx.redactor));
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
        let failed = results.iter().any(|r| !r.passed);
        report.checks = results;
        if failed {
            break;
        }
    }
    Ok(())
}

/// Sends a request; a 429 the step does not expect is honoured — `Retry-After`, else bounded
/// backoff with jitter — and the request sent again, within `MAX_RETRIES` and the run's `max_wait`.
/// On a mock whose clock this suite owns, the wait passes by advancing the clock, not by sleeping.
async fn send_honouring_429(
    ctx: &RunContext,
    request: &OutgoingRequest,
    expects_429: bool,
    owns_clock: bool,
    report: &mut StepReport,
) -> Result<Response, TransportError> {
    let mut response = ctx.send(request).await?;
    let mut waited = Duration::ZERO;
    let mut retry = 0;
    while response.status == 429 && !expects_429 && retry < backoff::MAX_RETRIES {
        retry += 1;
        let (wait, source) =
            backoff::wait_after_429(response.header("retry-after"), retry, SystemTime::now());
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
        let how = if owns_clock {
            let seconds = wait.as_secs_f64().ceil() as u64;
            match ctx.target.advance_clock(seconds, &ctx.http).await {
                Ok(()) => "by advancing the mock's clock",
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    "by sleeping"
                }
            }
        } else {
            tokio::time::sleep(wait).await;
            "by sleeping"
        };
        report.notes.push(format!(
            "429: waited {:.1} s ({source}) {how}, then retried",
            wait.as_secs_f64()
        ));
        response = ctx.send(request).await?;
    }
    Ok(response)
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

fn render_expectations(step: &Step, scope: &mut Scope) -> Result<Expectations, RenderError> {
    let expect = &step.expect;
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
        match value {
            Some(value) if !value.is_null() => {
                let last_segment = from.rsplit(['/', '.', ':']).next().unwrap_or(from);
                if is_secret_key(name) || is_secret_key(last_segment) {
                    redactor.add_value(&value);
                }
                scope.set(name.clone(), value);
            }
            _ => failures.push(CheckResult {
                kind,
                subject: from.to_string(),
                passed: false,
                expected: format!("a value to capture as `{name}`"),
                actual: "absent or null".into(),
            }),
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
        SnapshotOutcome::Matched | SnapshotOutcome::Error(_) => {}
    }
    let path = store.path(suite_name, &step.name).display().to_string();
    Some(CheckResult {
        kind: CheckKind::Snapshot,
        subject: path,
        passed: outcome.failure(store.mode()).is_none(),
        expected: "the stored snapshot".into(),
        actual: outcome
            .failure(store.mode())
            .unwrap_or_else(|| "matches".into()),
    })
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
