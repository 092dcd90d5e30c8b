//! A validating reverse proxy: clients (an SDK under test) talk to it as if it were Pelcro; it
//! forwards every request to the upstream unchanged, hands the upstream's answer back unchanged,
//! and checks each answer under `/api/v1/sdk` against the contract ([`crate::contract`]):
//!
//! - **status**: the status is documented for that endpoint (an undocumented status fails);
//! - **header** `content-type`: the answer is `application/json`;
//! - **schema**: the body matches (one of) the schema(s) of that status.
//!
//! Each exchange becomes a [`StepReport`] (evidence redacted at the source: every bearer token,
//! password and token-named field seen is added to the [`Redactor`]), grouped into one
//! [`SuiteReport`] per endpoint carrying the endpoint's claims. Endpoints the clients never called
//! are reported as skipped; API paths the contract does not know are recorded in a skipped suite
//! `not in the contract` (not a failure). Requests outside `/api/v1/sdk` (the mock's control API)
//! are forwarded and counted, not checked. [`ProxyHandle::stop`] builds the [`RunReport`].
//!
//! Two liberties with "unchanged", both so that every answer can be read and checked: the
//! upstream is asked for an uncompressed answer (`Accept-Encoding: identity`), and the answer is
//! read whole before it is handed back (same status, headers and bytes; hop-by-hop headers aside).
//! Redirects are handed back, never followed.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::checks::{CheckKind, CheckResult};
use crate::contract::{self, Endpoint};
use crate::mock::conn;
use crate::profile::SiteProfile;
use crate::redact::Redactor;
use crate::report::{
    Evidence, REPORT_FORMAT_VERSION, RunReport, StepOutcome, StepReport, SuiteOutcome, SuiteReport,
};
use crate::schemas::SchemaSet;
use crate::target::{API_PREFIX, TargetSpec};

/// The name of the suite of API exchanges the contract does not know.
pub const NOT_IN_CONTRACT: &str = "not in the contract";

/// The largest request body the proxy accepts from a client.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;
/// The largest answer the proxy reads from the upstream.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;
/// Non-JSON bodies are kept in evidence up to this many characters.
const EVIDENCE_TEXT_CHARS: usize = 2000;
/// JSON bodies larger than this are not kept in evidence (a note says how large they were).
const EVIDENCE_JSON_BYTES: usize = 64 * 1024;
/// The evidence of all exchanges together is kept up to about this many bytes; later exchanges
/// are still checked and reported, without their evidence (the report says from which one on).
const EVIDENCE_TOTAL_BYTES: usize = 32 * 1024 * 1024;

/// Headers that belong to one connection and are never forwarded (RFC 9110 §7.6.1), plus `host`
/// and `content-length`, which the next hop sets itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The user's words are wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The environment failed: the address is taken, … (exit 3).
    #[error("{0}")]
    Environment(String),
}

/// How the proxy runs.
pub struct ProxyConfig {
    /// The base URL requests go to (`https://www.pelcro.com`, `http://127.0.0.1:8080`).
    pub upstream: String,
    /// Where the proxy listens (`127.0.0.1:0`: any free port).
    pub listen: SocketAddr,
    /// What the site is configured to do: narrows the variant answers.
    pub profile: SiteProfile,
    /// Where the profile came from, for the report.
    pub profile_source: String,
    pub schemas: SchemaSet,
    /// Connection timeout and whole-answer timeout for the upstream.
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Connections from clients: how many at once, and how long one may bring no request.
    pub connection_limits: crate::mock::ConnLimits,
}

impl ProxyConfig {
    /// Listens on `127.0.0.1:0`, the default profile, the embedded schemas, 10 s / 30 s.
    pub fn new(upstream: impl Into<String>) -> Result<ProxyConfig, ProxyError> {
        let schemas = SchemaSet::embedded().map_err(|e| ProxyError::Usage(e.to_string()))?;
        Ok(ProxyConfig {
            upstream: upstream.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            profile: SiteProfile::default(),
            profile_source: "built-in defaults".into(),
            schemas,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            connection_limits: crate::mock::ConnLimits::default(),
        })
    }
}

/// A running proxy. Dropping it stops the server without a report; [`ProxyHandle::stop`] gives
/// the report.
pub struct ProxyHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    state: Arc<ProxyState>,
}

struct ProxyState {
    client: reqwest::Client,
    /// The upstream's base URL without a trailing slash.
    upstream: String,
    profile: SiteProfile,
    profile_source: String,
    schemas: SchemaSet,
    redactor: Redactor,
    started_at: String,
    clock: Instant,
    sequence: AtomicU64,
    /// Requests outside the API, forwarded without checks.
    unchecked: AtomicU64,
    /// The evidence kept so far, in bytes (about), and how many exchanges kept none for the cap.
    evidence_bytes: AtomicU64,
    evidence_dropped: AtomicU64,
    exchanges: Mutex<Vec<Exchange>>,
}

/// One checked exchange, before grouping.
struct Exchange {
    seq: u64,
    endpoint: Option<&'static Endpoint>,
    step: StepReport,
    site_id: Option<String>,
    registration: Option<String>,
}

/// Starts the proxy in front of `config.upstream` (HTTPS, or plain HTTP to a loopback address).
pub async fn start(config: ProxyConfig) -> Result<ProxyHandle, ProxyError> {
    let upstream = match TargetSpec::parse(&config.upstream) {
        Ok(TargetSpec::Url(url)) => url,
        Ok(TargetSpec::Mock) => {
            return Err(ProxyError::Usage(
                "--upstream `mock`: give the mock's URL (start it with `pelcro-conformance mock`)"
                    .into(),
            ));
        }
        Err(e) => {
            return Err(ProxyError::Usage(e.to_string().replacen(
                "--target",
                "--upstream",
                1,
            )));
        }
    };
    let problems = config.profile.problems();
    if !problems.is_empty() {
        return Err(ProxyError::Usage(format!(
            "invalid site profile: {}",
            problems.join("; ")
        )));
    }
    let loopback = is_loopback(&upstream);
    let mut builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        // Under the idle timeouts of servers (the mock's is 10 s): never reuse a closed connection.
        .pool_idle_timeout(Duration::from_secs(4))
        .redirect(reqwest::redirect::Policy::none());
    if loopback {
        builder = builder.no_proxy();
    }
    let client = builder
        .build()
        .map_err(|e| ProxyError::Environment(format!("cannot build the HTTP client: {e}")))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| ProxyError::Environment(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ProxyError::Environment(format!("cannot listen: {e}")))?;
    let state = Arc::new(ProxyState {
        client,
        upstream: upstream.as_str().trim_end_matches('/').to_owned(),
        profile: config.profile,
        profile_source: config.profile_source,
        schemas: config.schemas,
        redactor: Redactor::new(),
        started_at: crate::time::now_rfc3339(),
        clock: Instant::now(),
        sequence: AtomicU64::new(0),
        unchecked: AtomicU64::new(0),
        evidence_bytes: AtomicU64::new(0),
        evidence_dropped: AtomicU64::new(0),
        exchanges: Mutex::new(Vec::new()),
    });
    let router = Router::new()
        .fallback(forward)
        .with_state(Arc::clone(&state))
        .layer(axum::middleware::from_fn(conn::track_busy));
    let (tx, rx) = oneshot::channel::<()>();
    // Connections are capped and time out when they bring no request (as the mock's do).
    let listener = conn::KillableListener::new(listener, config.connection_limits);
    let service = router.into_make_service_with_connect_info::<conn::ConnInfo>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(ProxyHandle {
        addr,
        shutdown: Some(tx),
        task: Some(task),
        state,
    })
}

impl ProxyHandle {
    /// The address the proxy listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`: point clients here instead of the upstream's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests (open keep-alive connections get two seconds) and reports every
    /// exchange seen.
    pub async fn stop(mut self) -> RunReport {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        build_report(&self.state)
    }

    /// Every secret seen so far (for scanning what was written).
    pub fn secrets(&self) -> Vec<String> {
        self.state.redactor.secrets()
    }

    /// The proxy's redactor (shared: it keeps learning until the proxy stops), for redacting and
    /// scanning what is printed and written after [`ProxyHandle::stop`].
    pub fn redactor(&self) -> Redactor {
        self.state.redactor.clone()
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Writes the report files into `dir` and returns their paths.
///
/// Until `crate::report::write_all` lands, this writes `report.json` only; switching is the one
/// line marked below.
pub fn write_report(
    report: &RunReport,
    dir: &Path,
    profile: &SiteProfile,
) -> Result<Vec<PathBuf>, String> {
    crate::report::write_all(report, dir, profile)
}

/// The one handler: forward, hand back, check.
async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let seq = state.sequence.fetch_add(1, Ordering::SeqCst) + 1;
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let api_path = path
        .strip_prefix(API_PREFIX)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(|rest| if rest.is_empty() { "/" } else { rest }.to_owned());
    // For step names and reasons: the path as the redactor lets it through.
    let shown_path = |redactor: &Redactor, p: &str| redactor.text(p);

    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return proxy_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the request body cannot be read: {e}"),
            );
        }
    };

    let url = match &query {
        Some(q) => format!("{}{path}?{q}", state.upstream),
        None => format!("{}{path}", state.upstream),
    };
    let mut outgoing = reqwest::header::HeaderMap::new();
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) && name != header::ACCEPT_ENCODING {
            outgoing.append(name.clone(), value.clone());
        }
    }
    outgoing.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("identity"),
    );
    let sent = state
        .client
        .request(method.clone(), &url)
        .headers(outgoing)
        .body(body.clone())
        .send()
        .await;

    let upstream_answer = match sent {
        Ok(reply) => read_answer(reply).await,
        Err(e) => Err(root_cause(&e)),
    };

    let Some(api_path) = api_path else {
        state.unchecked.fetch_add(1, Ordering::Relaxed);
        return match upstream_answer {
            Ok((status, headers, bytes)) => answer(status, &headers, bytes),
            Err(e) => proxy_error(
                StatusCode::BAD_GATEWAY,
                &format!("the upstream did not answer: {e}"),
            ),
        };
    };

    let endpoint = contract::find(method.as_str(), &api_path);
    let request_json = serde_json::from_slice::<Value>(&body).ok();
    remember_request_secrets(
        &state.redactor,
        &parts.headers,
        query.as_deref(),
        &request_json,
        &body,
    );

    let mut step = StepReport {
        name: String::new(),
        outcome: StepOutcome::Passed,
        reason: None,
        attempts: 1,
        checks: Vec::new(),
        evidence: None,
        notes: Vec::new(),
        duration_ms: 0,
        reproduction: None,
    };
    let mut evidence = Evidence {
        method: method.to_string(),
        url: redact_url(&state.redactor, &path, query.as_deref()),
        request_headers: redact_headers(&state.redactor, &parts.headers),
        request_body: body_evidence(&state.redactor, request_json.as_ref(), &body),
        status: None,
        response_headers: Vec::new(),
        response_body: None,
    };
    let mut registration = None;

    let response = match upstream_answer {
        Ok((status, headers, bytes)) => {
            let response_json = serde_json::from_slice::<Value>(&bytes).ok();
            if let Some(json) = &response_json {
                state.redactor.add_secret_fields(json);
            }
            evidence.status = Some(status.as_u16());
            evidence.response_headers = redact_headers(&state.redactor, &headers);
            evidence.response_body = body_evidence(&state.redactor, response_json.as_ref(), &bytes);
            step.name = format!(
                "#{seq} {method} {} → {}",
                shown_path(&state.redactor, &api_path),
                status.as_u16()
            );
            match endpoint {
                Some(endpoint) => {
                    step.checks = check_answer(
                        endpoint,
                        status.as_u16(),
                        &headers,
                        response_json.as_ref(),
                        &bytes,
                        &state,
                    );
                    if let Some(failed) = step.checks.iter().find(|c| !c.passed) {
                        step.outcome = StepOutcome::Failed;
                        step.reason = Some(failed.sentence());
                    }
                    if endpoint.path == "/auth/register" && status == StatusCode::OK {
                        registration = response_json
                            .as_ref()
                            .and_then(|j| j.pointer("/data/email"))
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                    }
                }
                None => {
                    step.outcome = StepOutcome::NotRun;
                    step.reason = Some(format!(
                        "{method} {} is not in the contract: the answer was not checked",
                        shown_path(&state.redactor, &api_path)
                    ));
                }
            }
            answer(status, &headers, bytes)
        }
        Err(e) => {
            step.name = format!(
                "#{seq} {method} {} → no answer",
                shown_path(&state.redactor, &api_path)
            );
            step.outcome = StepOutcome::Errored;
            step.reason = Some(
                state
                    .redactor
                    .text(&format!("the upstream did not answer: {e}")),
            );
            proxy_error(
                StatusCode::BAD_GATEWAY,
                &format!("the upstream did not answer: {e}"),
            )
        }
    };
    step.duration_ms = started.elapsed().as_millis() as u64;
    let size = evidence_size(&evidence);
    let kept = state.evidence_bytes.fetch_add(size, Ordering::Relaxed) + size;
    if kept <= EVIDENCE_TOTAL_BYTES as u64 {
        step.evidence = Some(evidence);
    } else {
        state.evidence_dropped.fetch_add(1, Ordering::Relaxed);
        step.notes.push(format!(
            "no evidence kept: the proxy keeps about {} MiB of evidence in all",
            EVIDENCE_TOTAL_BYTES / (1024 * 1024)
        ));
    }
    let site_id = query_pairs(query.as_deref())
        .into_iter()
        .find(|(k, _)| k == "site_id")
        .map(|(_, v)| v)
        .or_else(|| {
            request_json
                .as_ref()
                .and_then(|j| j.get("site_id"))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
        });
    state
        .exchanges
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Exchange {
            seq,
            endpoint,
            step,
            site_id,
            registration,
        });
    response
}

type Answer = (StatusCode, HeaderMap, Bytes);

async fn read_answer(mut reply: reqwest::Response) -> Result<Answer, String> {
    let status = reply.status();
    let headers = reply.headers().clone();
    let mut bytes = Vec::new();
    while let Some(chunk) = reply.chunk().await.map_err(|e| root_cause(&e))? {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "the answer is larger than {MAX_ANSWER_BYTES} bytes"
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((status, headers, Bytes::from(bytes)))
}

/// The upstream's answer, handed back as it came (hop-by-hop headers aside).
fn answer(status: StatusCode, headers: &HeaderMap, bytes: Bytes) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in headers {
        if !is_hop_by_hop(name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

fn proxy_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("pelcro-conformance proxy: {message}\n"),
    )
        .into_response()
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

/// The status, content type and schema checks of one answer.
fn check_answer(
    endpoint: &Endpoint,
    status: u16,
    headers: &HeaderMap,
    json: Option<&Value>,
    bytes: &[u8],
    state: &ProxyState,
) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    let documented = endpoint.statuses();
    let shown = documented
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    let schemas = endpoint.schemas_under(status, &state.profile);
    checks.push(CheckResult::documented(
        CheckKind::Status,
        "status",
        schemas.is_some(),
        format!("a documented status of {}: {shown}", endpoint.label()),
        status.to_string(),
    ));

    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let is_json = content_type.as_deref().is_some_and(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json" || essence.ends_with("+json")
    });
    checks.push(CheckResult::documented(
        CheckKind::Header,
        "content-type",
        is_json,
        "application/json (GEN-JSON)",
        content_type.unwrap_or_else(|| "(absent)".into()),
    ));

    if let Some(schemas) = schemas {
        let subject = schemas.join(" or ");
        let (passed, actual) = match json {
            None => (
                false,
                format!(
                    "the body is not JSON: {}",
                    state.redactor.text(&snippet(bytes, 200))
                ),
            ),
            Some(body) => {
                let mut failures = Vec::new();
                let mut matched = None;
                for name in &schemas {
                    match state.schemas.validate(name, body) {
                        Ok(()) => {
                            matched = Some(*name);
                            break;
                        }
                        Err(violations) => {
                            let shown: Vec<String> = violations
                                .iter()
                                .take(5)
                                .map(|v| state.redactor.text(&v.to_string()))
                                .collect();
                            let more = violations.len().saturating_sub(5);
                            failures.push(format!(
                                "{name}: {}{}",
                                shown.join("; "),
                                if more > 0 {
                                    format!(" (and {more} more)")
                                } else {
                                    String::new()
                                }
                            ));
                        }
                    }
                }
                match matched {
                    Some(name) => (true, format!("matches {name}")),
                    None => (false, failures.join(" | ")),
                }
            }
        };
        checks.push(CheckResult::documented(
            CheckKind::Schema,
            subject.clone(),
            passed,
            format!("the body matches {subject} (status {status})"),
            actual,
        ));
    }
    checks
}

/// Bearer tokens, secret-named query values and body fields go into the redactor before any
/// evidence is recorded.
fn remember_request_secrets(
    redactor: &Redactor,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Option<Value>,
    raw_body: &[u8],
) {
    for (name, value) in headers {
        redactor.add_header(name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
    }
    if let Some(query) = query {
        redactor.add_form_secrets(query);
    }
    match body {
        Some(body) => redactor.add_secret_fields(body),
        // `password=…&email=…`: a form-encoded body (or anything that parses as one).
        None => redactor.add_form_secrets(&String::from_utf8_lossy(raw_body)),
    }
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Path and query with secret-named parameters and known secrets redacted.
fn redact_url(redactor: &Redactor, path: &str, query: Option<&str>) -> String {
    match query {
        Some(query) => format!("{}?{}", redactor.text(path), redactor.form(query)),
        None => redactor.text(path),
    }
}

fn redact_headers(redactor: &Redactor, headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                redactor.header(name.as_str(), &String::from_utf8_lossy(value.as_bytes())),
            )
        })
        .collect()
}

fn body_evidence(redactor: &Redactor, json: Option<&Value>, bytes: &[u8]) -> Option<Value> {
    match json {
        Some(value) if bytes.len() <= EVIDENCE_JSON_BYTES => Some(redactor.json(value)),
        Some(_) => Some(Value::String(format!(
            "(a JSON body of {} bytes: larger than the {EVIDENCE_JSON_BYTES} bytes kept in evidence)",
            bytes.len()
        ))),
        None if bytes.is_empty() => None,
        None => {
            let text = snippet(bytes, EVIDENCE_TEXT_CHARS);
            // A form-encoded body keeps its shape, with secret-named fields redacted.
            let looks_like_form = !text.contains(char::is_whitespace) && text.contains('=');
            Some(Value::String(if looks_like_form {
                redactor.form(&text)
            } else {
                redactor.text(&text)
            }))
        }
    }
}

/// About how many bytes an exchange's evidence holds.
fn evidence_size(evidence: &Evidence) -> u64 {
    let body = |b: &Option<Value>| match b {
        Some(Value::String(s)) => s.len(),
        Some(other) => serde_json::to_string(other).map_or(0, |t| t.len()),
        None => 0,
    };
    let headers = |h: &[(String, String)]| h.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
    (evidence.url.len()
        + body(&evidence.request_body)
        + body(&evidence.response_body)
        + headers(&evidence.request_headers)
        + headers(&evidence.response_headers)
        + 64) as u64
}

fn snippet(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let count = text.chars().count();
    if count <= max_chars {
        text.into_owned()
    } else {
        let cut: String = text.chars().take(max_chars).collect();
        format!("{cut}… ({} bytes)", bytes.len())
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// One suite per endpoint of the contract (skipped when no client called it), then the API
/// exchanges the contract does not know.
fn build_report(state: &ProxyState) -> RunReport {
    let mut exchanges =
        std::mem::take(&mut *state.exchanges.lock().unwrap_or_else(|e| e.into_inner()));
    exchanges.sort_by_key(|e| e.seq);

    let mut site_ids = BTreeSet::new();
    let mut registrations = Vec::new();
    for exchange in &exchanges {
        if let Some(id) = &exchange.site_id {
            site_ids.insert(state.redactor.text(id));
        }
        if let Some(email) = &exchange.registration {
            registrations.push(email.clone());
        }
    }

    let mut suites = Vec::new();
    let mut checked = 0usize;
    for endpoint in contract::endpoints() {
        let steps: Vec<StepReport> = exchanges
            .iter()
            .filter(|e| e.endpoint.is_some_and(|ep| same_endpoint(ep, endpoint)))
            .map(|e| e.step.clone())
            .collect();
        checked += steps.len();
        suites.push(suite(
            endpoint.label(),
            endpoint.claims.iter().map(|c| c.to_string()).collect(),
            steps,
            "no client called this endpoint through the proxy",
        ));
    }
    let unknown: Vec<StepReport> = exchanges
        .iter()
        .filter(|e| e.endpoint.is_none())
        .map(|e| e.step.clone())
        .collect();
    let unknown_count = unknown.len();
    if !unknown.is_empty() {
        let mut report = suite(NOT_IN_CONTRACT.into(), Vec::new(), unknown, "");
        if report.outcome != SuiteOutcome::Failed {
            report.outcome = SuiteOutcome::Skipped;
            report.reason = Some(format!(
                "{unknown_count} exchange(s) under {API_PREFIX} match no endpoint of the contract: forwarded, not checked"
            ));
        }
        suites.push(report);
    }

    let mut notes = vec![format!(
        "validating proxy in front of {}: {checked} answer(s) checked against the contract",
        state.upstream
    )];
    if unknown_count > 0 {
        notes.push(format!(
            "{unknown_count} API exchange(s) are not in the contract (not checked)"
        ));
    }
    let unchecked = state.unchecked.load(Ordering::Relaxed);
    if unchecked > 0 {
        notes.push(format!(
            "{unchecked} request(s) outside {API_PREFIX} were forwarded without checks"
        ));
    }
    if checked == 0 {
        notes.push("no answer was checked: no client called a known endpoint".into());
    }
    let dropped = state.evidence_dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        notes.push(format!(
            "{dropped} exchange(s) were checked without keeping their evidence: the proxy keeps about {} MiB of evidence in all",
            EVIDENCE_TOTAL_BYTES / (1024 * 1024)
        ));
    }

    RunReport {
        format_version: REPORT_FORMAT_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        target: state.upstream.clone(),
        site_id: site_ids.into_iter().collect::<Vec<_>>().join(", "),
        profile: state.profile.name.clone(),
        profile_source: state.profile_source.clone(),
        capabilities: Vec::new(),
        started_at: state.started_at.clone(),
        duration_ms: state.clock.elapsed().as_millis() as u64,
        notes,
        registrations,
        suites,
        ..RunReport::default()
    }
}

/// Endpoints are compared by their operation id, never by address: `contract::ENDPOINTS` is a
/// `const`, and each use of a `const` may be its own copy (in release builds every address
/// differed, and every exchange was dropped from the report).
fn same_endpoint(a: &Endpoint, b: &Endpoint) -> bool {
    a.operation_id == b.operation_id
}

fn suite(name: String, claims: Vec<String>, steps: Vec<StepReport>, idle: &str) -> SuiteReport {
    let failed = steps
        .iter()
        .find(|s| matches!(s.outcome, StepOutcome::Failed | StepOutcome::Errored));
    let (outcome, reason) = if steps.is_empty() {
        (SuiteOutcome::Skipped, Some(idle.to_owned()))
    } else if let Some(step) = failed {
        (
            SuiteOutcome::Failed,
            Some(format!(
                "{}: {}",
                step.name,
                step.reason.as_deref().unwrap_or("failed")
            )),
        )
    } else {
        (SuiteOutcome::Passed, None)
    };
    SuiteReport {
        name,
        file: "proxy".into(),
        claims,
        tags: vec!["proxy".into()],
        outcome,
        reason,
        duration_ms: steps.iter().map(|s| s.duration_ms).sum(),
        steps,
        started_at: None,
    }
}
