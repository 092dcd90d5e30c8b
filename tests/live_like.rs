//! A nightly job as a publisher runs it, against a live-like site: the mock behind HTTPS with a
//! private CA (rcgen) and its control API hidden (404, as on Pelcro), a seeded test account in
//! the environment, driven by the **release** binary from a temporary folder outside the
//! repository. It must be green on night 1, send no control request after the probe, leave the
//! account able to log in, catch a deviation, stop with exit 3 when the site stops answering, and
//! treat the three URL forms of the site as one target.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use common::TempDir;
use pelcro_conformance::mock::{MockConfig, MockServer};
use pelcro_conformance::report::coverage::{self, ClaimStatus};
use pelcro_conformance::report::{RunReport, SuiteOutcome};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

const EMAIL: &str = "nightly@publisher.example";
const USERNAME: &str = "nightly_qa";
/// The seeded account's password: built at run time so no literal credential sits in the source.
fn password() -> String {
    format!("Qa!{}night{}", 7 * 6, 1 + 1)
}

/// How the front of the live-like site behaves.
#[derive(Default)]
struct Behaviour {
    /// After this many API requests, every later one is dropped without an answer.
    stop_after: Option<usize>,
    /// A deviation: a wrong password's 404 answered as 401.
    wrong_password_is_401: bool,
    /// The site's configuration (the guide's defaults when `None`).
    profile: Option<pelcro_conformance::profile::SiteProfile>,
}

struct Front {
    mock: MockServer,
    behaviour: Behaviour,
    http: reqwest::Client,
    api_requests: AtomicUsize,
    control_requests: AtomicUsize,
    stopped: AtomicBool,
}

/// The live-like site: its HTTPS base URL, the CA's PEM, and the front's counters.
struct LiveLike {
    url: String,
    ca_pem: String,
    front: Arc<Front>,
}

/// A TLS listener for axum: accepts TCP, completes the handshake, hands over the stream.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((socket, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A client speaking plain HTTP fails the handshake and is dropped.
            if let Ok(tls) = self.acceptor.accept(socket).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

async fn start_live_like(behaviour: Behaviour) -> LiveLike {
    let mock = MockServer::start(MockConfig {
        site_id: 7,
        profile: behaviour.profile.clone().unwrap_or_default(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    mock.seed_customer_with(serde_json::json!({
        "email": EMAIL,
        "password": password(),
        "username": USERNAME,
        "first_name": "Nightly",
    }))
    .await
    .unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![server_cert.der().clone()], key)
    .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let listener = TlsListener {
        tcp: tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let port = axum::serve::Listener::local_addr(&listener).unwrap().port();
    let front = Arc::new(Front {
        mock,
        behaviour,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(4))
            .build()
            .unwrap(),
        api_requests: AtomicUsize::new(0),
        control_requests: AtomicUsize::new(0),
        stopped: AtomicBool::new(false),
    });
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(Arc::clone(&front));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    LiveLike {
        url: format!("https://localhost:{port}"),
        ca_pem: ca.pem(),
        front,
    }
}

/// Forwards an API request to the mock; `/__control` is hidden as on Pelcro.
async fn forward(State(front): State<Arc<Front>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/__control") {
        front.control_requests.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            r#"{"error":{"report_id":null,"status":404,"message":"Not Found"}}"#,
        )
            .into_response();
    }
    let nth = front.api_requests.fetch_add(1, Ordering::SeqCst) + 1;
    if front.behaviour.stop_after.is_some_and(|n| nth > n) {
        front.stopped.store(true, Ordering::SeqCst);
        // The site stops answering: the connection ends without a response (no panic message).
        std::panic::resume_unwind(Box::new("the site stopped answering"));
    }
    let method = request.method().clone();
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), 4 << 20)
        .await
        .unwrap_or_default();
    let mut upstream = front.http.request(
        method.clone(),
        format!("{}{path}{query}", front.mock.base_url()),
    );
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.body(body.to_vec()).send().await.unwrap();
    let mut status = answer.status();
    let mut out_headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "transfer-encoding" | "connection" | "content-length"
        ) {
            out_headers.insert(
                HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
                HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
        }
    }
    let bytes: Bytes = answer.bytes().await.unwrap_or_default();
    if front.behaviour.wrong_password_is_401
        && method == Method::POST
        && path.ends_with("/auth/login")
        && status == StatusCode::NOT_FOUND
    {
        status = StatusCode::UNAUTHORIZED;
    }
    (status, out_headers, bytes).into_response()
}

/// The release binary, built once per test process (a no-op when it is up to date).
fn release_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "--locked",
                "--bin",
                "pelcro-conformance",
            ])
            .current_dir(manifest)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the release binary builds");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("target"));
        let binary = target.join("release").join("pelcro-conformance");
        assert!(binary.exists(), "{}", binary.display());
        binary
    })
}

/// A nightly job's folder: outside the repository, with its own data home for baselines.
struct Night {
    dir: TempDir,
}

impl Night {
    fn new(tag: &str, site: &LiveLike, profile: &str) -> Night {
        let dir = TempDir::new(tag);
        dir.write("ca.pem", &site.ca_pem);
        dir.write("site.yaml", profile);
        Night { dir }
    }

    fn path(&self) -> &Path {
        &self.dir.0
    }

    /// Runs the release binary in this folder with the test account in the environment.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(release_binary())
            .args(args)
            .current_dir(self.path())
            .env_remove("PELCRO_SITE_ID")
            .env("NO_COLOR", "1")
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("PELCRO_EMAIL", EMAIL)
            .env("PELCRO_PASSWORD", password())
            .env("PELCRO_USERNAME", USERNAME)
            .output()
            .expect("the binary runs")
    }

    fn nightly(&self, url: &str, report_dir: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "run",
            "--target",
            url,
            "--site-id",
            "7",
            "--ca-cert",
            "ca.pem",
            "--profile",
            "site.yaml",
            "--report-dir",
            report_dir,
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// `profile discover` against the site, as a publisher would run it, with `extra` flags.
    fn discover(&self, url: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "profile",
            "discover",
            "--target",
            url,
            "--site-id",
            "7",
            "--ca-cert",
            "ca.pem",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn report(&self, report_dir: &str) -> RunReport {
        let text = std::fs::read_to_string(self.path().join(report_dir).join("report.json"))
            .expect("report.json was written");
        serde_json::from_str(&text).expect("report.json reads back")
    }

    /// Every file the runs left in the folder, but the reports and the data home.
    fn stray_files(&self, keep: &[&str]) -> Vec<String> {
        let mut stray = Vec::new();
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !keep.contains(&name.as_str()) {
                stray.push(name);
            }
        }
        stray
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const NO_REGISTRATION: &str = "name: publisher\nallow_registration: false\n";
const WITH_REGISTRATION: &str = "name: publisher\n";

/// Claims with a passing suite and no failing one.
fn passed_claims(report: &RunReport) -> Vec<String> {
    coverage::claims(report)
        .iter()
        .filter(|c| c.claim.is_some())
        .filter(|c| matches!(c.status, ClaimStatus::Pass | ClaimStatus::PartlySkipped))
        .map(|c| c.id.clone())
        .collect()
}

/// The account still logs in with its password, and its profile is as it was seeded.
async fn account_can_log_in(site: &LiveLike) -> bool {
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/auth/login?site_id=7",
            site.front.mock.api_url()
        ))
        .json(&serde_json::json!({"email": EMAIL, "password": password()}))
        .send()
        .await
        .unwrap();
    if answer.status() != 200 {
        return false;
    }
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        body["data"]["first_name"], "Nightly",
        "the edited field was put back"
    );
    assert_eq!(body["data"]["email"], EMAIL);
    true
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn night_one_without_registration_passes_25_claims_on_the_test_account_and_sends_no_control_request_after_the_probe()
 {
    let site = start_live_like(Behaviour::default()).await;
    let night = Arc::new(Night::new("live-no-reg", &site, NO_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let first = blocking(move || n.nightly(&url, "night-1", &["--max-rps", "0"])).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(site.front.control_requests.load(Ordering::SeqCst), 1);
    let report = night.report("night-1");
    assert_eq!(report.counts().failed, 0);
    let passed = passed_claims(&report);
    eprintln!(
        "without registration, with the account: {} claims passed: {passed:?}",
        passed.len()
    );
    assert!(
        passed.len() >= 25,
        "{} claims passed: {passed:?}",
        passed.len()
    );
    assert!(
        report.registrations.is_empty(),
        "{:?}",
        report.registrations
    );
    assert!(
        report.notes.iter().any(|n| n.starts_with("new baselines:")),
        "{:?}",
        report.notes
    );
    // Every recorded baseline is news in the reports, not a failure.
    assert!(!report.snapshot_changes.is_empty());
    assert!(
        report
            .snapshot_changes
            .iter()
            .all(|c| c.kind == pelcro_conformance::report::SnapshotChangeKind::Recorded),
        "{:?}",
        report.snapshot_changes
    );
    assert!(
        text(&first).contains("new baseline (recorded)"),
        "{}",
        text(&first)
    );
    assert!(account_can_log_in(&site).await, "the account still logs in");
    let all =
        text(&first) + &std::fs::read_to_string(night.path().join("night-1/report.json")).unwrap();
    assert!(!all.contains(&password()), "the password leaked");

    // Night 2: the recorded baselines match; nothing new, nothing written beside the reports.
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let second = blocking(move || n.nightly(&url, "night-2", &["--max-rps", "0"])).await;
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let report = night.report("night-2");
    assert!(
        !report.notes.iter().any(|n| n.starts_with("new baselines:")),
        "{:?}",
        report.notes
    );
    assert_eq!(
        report.snapshot_changes,
        vec![],
        "night 2 matches night 1's baselines"
    );
    assert_eq!(site.front.control_requests.load(Ordering::SeqCst), 2);
    assert_eq!(
        night.stray_files(&["ca.pem", "site.yaml", "night-1", "night-2", "data"]),
        Vec::<String>::new()
    );
    assert!(account_can_log_in(&site).await, "the account still logs in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_registration_allowed_the_live_like_site_passes_and_every_listed_account_was_registered()
 {
    let site = start_live_like(Behaviour::default()).await;
    let night = Arc::new(Night::new("live-reg", &site, WITH_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let output = blocking(move || n.nightly(&url, "reports", &["--max-rps", "0"])).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = night.report("reports");
    let passed = passed_claims(&report);
    eprintln!(
        "with registration and the account: {} claims passed: {passed:?}",
        passed.len()
    );
    assert!(
        passed.len() >= 30,
        "{} claims passed: {passed:?}",
        passed.len()
    );
    assert_eq!(site.front.control_requests.load(Ordering::SeqCst), 1);
    assert!(!report.registrations.is_empty());
    // Every address listed exists: registering it again is refused as taken.
    for email in &report.registrations {
        let answer = reqwest::Client::new()
            .post(format!(
                "{}/auth/register?site_id=7",
                site.front.mock.api_url()
            ))
            .json(&serde_json::json!({"email": email, "password": password()}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            400,
            "{email} was listed but not registered"
        );
    }
    assert!(account_can_log_in(&site).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deviation_of_the_live_like_site_fails_the_claim_it_breaks() {
    let site = start_live_like(Behaviour {
        wrong_password_is_401: true,
        ..Behaviour::default()
    })
    .await;
    let night = Arc::new(Night::new("live-deviation", &site, NO_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let output = blocking(move || n.nightly(&url, "reports", &["--max-rps", "0"])).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = night.report("reports");
    let failed: Vec<String> = coverage::claims(&report)
        .iter()
        .filter(|c| c.status == ClaimStatus::Fail)
        .map(|c| c.id.clone())
        .collect();
    assert!(failed.iter().any(|c| c == "LOGIN-BAD"), "{failed:?}");
    assert!(account_can_log_in(&site).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_stops_answering_mid_run_gives_exit_3_with_every_report_and_no_claim_failed() {
    let site = start_live_like(Behaviour {
        stop_after: Some(30),
        ..Behaviour::default()
    })
    .await;
    let night = Arc::new(Night::new("live-stop", &site, WITH_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let output = blocking(move || n.nightly(&url, "reports", &["--max-rps", "0"])).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(site.front.stopped.load(Ordering::SeqCst));
    assert!(
        text(&output).contains("stopped answering"),
        "{}",
        text(&output)
    );
    for file in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(night.path().join("reports").join(file).exists(), "{file}");
    }
    let report = night.report("reports");
    assert_eq!(
        report.counts().failed,
        0,
        "{:?}",
        report
            .suites
            .iter()
            .filter(|s| s.outcome == SuiteOutcome::Failed)
            .map(|s| (&s.name, &s.reason))
            .collect::<Vec<_>>()
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("stopped answering") && n.contains("request")),
        "{:?}",
        report.notes
    );
    assert!(report.suites.iter().any(|s| {
        s.reason
            .as_deref()
            .is_some_and(|r| r.starts_with("not run: the target stopped answering"))
    }));
    // Once stopped, the run sent at most the requests already in flight.
    let sent = site.front.api_requests.load(Ordering::SeqCst);
    assert!(sent <= 30 + 3 + 16, "{sent} requests reached the site");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_three_url_forms_of_the_site_are_one_target_and_plain_http_to_its_tls_port_is_exit_3() {
    let site = start_live_like(Behaviour::default()).await;
    let night = Arc::new(Night::new("live-forms", &site, NO_REGISTRATION));
    let mut outcomes = Vec::new();
    for (i, form) in ["", "/", "/api/v1/sdk/"].iter().enumerate() {
        let url = format!("{}{form}", site.url);
        let dir = format!("form-{i}");
        let n = Arc::clone(&night);
        let d = dir.clone();
        let output =
            blocking(move || n.nightly(&url, &d, &["--max-rps", "0", "--tag", "smoke"])).await;
        assert_eq!(output.status.code(), Some(0), "{form}: {}", text(&output));
        let report = night.report(&dir);
        let verdicts: Vec<(String, SuiteOutcome)> = report
            .suites
            .iter()
            .map(|s| (s.name.clone(), s.outcome))
            .collect();
        outcomes.push((report.target.clone(), verdicts, report.notes.clone()));
    }
    assert_eq!(outcomes[0].0, site.url);
    assert!(
        outcomes
            .iter()
            .all(|o| o.0 == outcomes[0].0 && o.1 == outcomes[0].1)
    );
    // One target, one folder of baselines: recorded on the first form, matched by the others.
    assert!(
        outcomes[0]
            .2
            .iter()
            .any(|n| n.starts_with("new baselines:"))
    );
    assert!(
        !outcomes[1]
            .2
            .iter()
            .any(|n| n.starts_with("new baselines:"))
    );
    assert!(
        !outcomes[2]
            .2
            .iter()
            .any(|n| n.starts_with("new baselines:"))
    );

    let plain = site.url.replace("https://localhost", "http://127.0.0.1");
    let n = Arc::clone(&night);
    let output = blocking(move || n.nightly(&plain, "plain", &["--max-rps", "0"])).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
}

/// The README's figure: a full nightly run at the default rate cap (5 requests a second), with
/// registration and the account. `cargo test --test live_like -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes a minute or more: it runs at the default rate cap"]
async fn a_full_nightly_run_at_the_default_rate_cap_is_green_and_its_wall_time_is_printed() {
    let site = start_live_like(Behaviour::default()).await;
    // Build first, so the timing is the run's alone.
    blocking(|| {
        release_binary();
    })
    .await;
    for (tag, profile) in [
        ("with registration", WITH_REGISTRATION),
        ("without registration", NO_REGISTRATION),
    ] {
        let night = Arc::new(Night::new("live-timed", &site, profile));
        let url = site.url.clone();
        let before = site.front.api_requests.load(Ordering::SeqCst);
        let started = std::time::Instant::now();
        let n = Arc::clone(&night);
        let output = blocking(move || n.nightly(&url, "reports", &[])).await;
        let took = started.elapsed();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let sent = site.front.api_requests.load(Ordering::SeqCst) - before;
        eprintln!(
            "{tag}: {sent} API requests in {:.1} s at the default rate cap",
            took.as_secs_f64()
        );
        assert!(sent as f64 / took.as_secs_f64() <= 5.5, "the rate cap held");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_discover_finds_a_non_default_lifetime_and_invalid_token_status_and_a_nightly_run_reports_the_drift()
 {
    let configured = pelcro_conformance::profile::SiteProfile {
        auth_token_ttl_days: 14,
        invalid_token_status: 401,
        strong_passwords: true,
        lockout: pelcro_conformance::profile::LockoutPolicy {
            attempts: 4,
            ..Default::default()
        },
        ..Default::default()
    };
    let site = start_live_like(Behaviour {
        profile: Some(configured),
        ..Behaviour::default()
    })
    .await;
    let night = Arc::new(Night::new("live-discover", &site, NO_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let output = blocking(move || n.discover(&url, &["--output", "found.yaml"])).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let found = std::fs::read_to_string(night.path().join("found.yaml")).unwrap();
    assert!(
        found.contains("auth_token_ttl_days: 14  # learned: exp − iat"),
        "{found}"
    );
    assert!(
        found.contains("invalid_token_status: 401  # learned:"),
        "{found}"
    );
    assert!(
        found.contains("# strong_passwords: not observed"),
        "{found}"
    );
    assert!(found.contains("# lockout: not observed"), "{found}");
    assert!(!found.contains(&password()));
    assert_eq!(site.front.control_requests.load(Ordering::SeqCst), 0);

    // The discovered profile describes the site: a nightly run with it is green, no drift.
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let with_found = blocking(move || {
        n.run(&[
            "run",
            "--target",
            &url,
            "--site-id",
            "7",
            "--ca-cert",
            "ca.pem",
            "--profile",
            "found.yaml",
            "--report-dir",
            "found",
            "--max-rps",
            "0",
        ])
    })
    .await;
    assert_eq!(with_found.status.code(), Some(0), "{}", text(&with_found));
    assert_eq!(night.report("found").configuration_drift, vec![]);
    assert!(!text(&with_found).contains("Configuration drift"));

    // The profile that states the guide's defaults: the drift is reported field by field, as a
    // finding of its own in every report (the exit 1 is the TTL and status checks failing).
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let stale = blocking(move || n.nightly(&url, "stale", &["--max-rps", "0"])).await;
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    let drift = night.report("stale").configuration_drift;
    let fields: Vec<(&str, String, String)> = drift
        .iter()
        .map(|d| {
            (
                d.field.as_str(),
                d.stated.to_string(),
                d.observed.to_string(),
            )
        })
        .collect();
    assert!(
        fields.contains(&("auth_token_ttl_days", "60".into(), "14".into())),
        "{drift:?}"
    );
    assert!(
        fields.contains(&("invalid_token_status", "403".into(), "401".into())),
        "{drift:?}"
    );
    let console = text(&stale);
    assert!(console.contains("Configuration drift"), "{console}");
    assert!(
        console.contains("≠ auth_token_ttl_days: the profile states 60, the site shows 14"),
        "{console}"
    );
    assert!(
        console.contains(&format!("{} configuration drift", drift.len())),
        "{console}"
    );
    let md = std::fs::read_to_string(night.path().join("stale/report.md")).unwrap();
    assert!(md.contains("## Configuration drift"), "{md}");
    assert!(
        md.contains("| `auth_token_ttl_days` | `60` | `14` |"),
        "{md}"
    );
    let html = std::fs::read_to_string(night.path().join("stale/report.html")).unwrap();
    assert!(html.contains("<h2>Configuration drift</h2>"));
    assert!(html.contains("<td><code>invalid_token_status</code></td><td><code>403</code></td><td><code>401</code></td>"));

    // With registration and lockout allowed, discovery also learns the password policy and lockout.
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let deep =
        blocking(move || n.discover(&url, &["--allow-registration", "--allow-lockout"])).await;
    assert_eq!(deep.status.code(), Some(0), "{}", text(&deep));
    let yaml = String::from_utf8_lossy(&deep.stdout);
    assert!(
        yaml.contains("strong_passwords: true  # learned:"),
        "{yaml}"
    );
    assert!(yaml.contains("  attempts: 4  # learned:"), "{yaml}");
    assert!(yaml.contains("  status: 400  # learned:"), "{yaml}");
    assert!(
        String::from_utf8_lossy(&deep.stderr)
            .contains("registered (to observe the site): pc-discover-")
    );
    assert!(account_can_log_in(&site).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_sites_run_in_one_night_with_a_section_each_and_multi_site_checked_across_them() {
    let site = start_live_like(Behaviour::default()).await;
    let same_account = pelcro_conformance::profile::SiteProfile {
        account_id: 1,
        ..Default::default()
    };
    site.front.mock.set_site(8, &same_account).await.unwrap();
    let night = Arc::new(Night::new("live-sites", &site, NO_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let output = blocking(move || {
        n.run(&[
            "run",
            "--target",
            &url,
            "--site-id",
            "7,8",
            "--ca-cert",
            "ca.pem",
            "--profile",
            "site.yaml",
            "--report-dir",
            "reports",
            "--max-rps",
            "0",
        ])
    })
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for site_id in ["7", "8"] {
        let report = night.report(&format!("reports/site-{site_id}"));
        assert_eq!(report.site_id, site_id);
        let multi = report
            .suites
            .iter()
            .find(|s| s.file == "suites/account/multi-site.yaml")
            .expect("the multi-site suite ran");
        assert_eq!(multi.outcome, SuiteOutcome::Passed, "{:?}", multi.reason);
    }
    let combined = std::fs::read_to_string(night.path().join("reports/report.md")).unwrap();
    eprintln!(
        "{}",
        combined.lines().take(7).collect::<Vec<_>>().join("\n")
    );
    assert!(
        combined.starts_with("# Pelcro conformance: 2 sites"),
        "{combined}"
    );
    assert!(combined.contains("\n## Site 7\n") && combined.contains("\n## Site 8\n"));
    let sites: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(night.path().join("reports/sites.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sites["sites"].as_array().map(Vec::len), Some(2));
    for (i, site_id) in ["7", "8"].iter().enumerate() {
        assert_eq!(sites["sites"][i]["run"]["site_id"], *site_id);
        assert_eq!(sites["sites"][i]["exit"], 0);
    }
    // The combined JUnit holds both sites' suites, told apart by name and property.
    let junit = std::fs::read_to_string(night.path().join("reports/junit.xml")).unwrap();
    let suites_of = |site: &str| {
        junit
            .matches(&format!("<testsuite name=\"site {site} · "))
            .count()
    };
    let per_site = night.report("reports/site-7").suites.len();
    assert_eq!(
        (suites_of("7"), suites_of("8")),
        (per_site, per_site),
        "{junit:.2000}"
    );
    assert!(junit.contains("<property name=\"site_id\" value=\"8\"/>"));
    // The combined HTML: a section per site, each site's anchors its own.
    let html = std::fs::read_to_string(night.path().join("reports/report.html")).unwrap();
    assert!(html.contains("<section id=\"site-7\">") && html.contains("<a href=\"#site-7\">7</a>"));
    assert!(html.contains("<h1>Pelcro conformance: 2 sites</h1>"));
    assert_eq!(
        html.matches("<h1").count(),
        1,
        "the sites' own titles are nested one level down"
    );
    assert!(html.contains("<h2>Site 8</h2>"));
    // One probe per site, nothing else under /__control.
    assert_eq!(site.front.control_requests.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_lockout_locks_only_accounts_the_run_registered_and_the_report_names_them() {
    let site = start_live_like(Behaviour::default()).await;
    let night = Arc::new(Night::new("live-lockout", &site, WITH_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let output = blocking(move || {
        n.nightly(
            &url,
            "reports",
            &["--max-rps", "0", "--allow-lockout", "--tag", "lockout"],
        )
    })
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = night.report("reports");
    let lockout = report
        .suites
        .iter()
        .find(|s| s.file == "suites/lockout/lockout.yaml")
        .unwrap();
    assert_eq!(
        lockout.outcome,
        SuiteOutcome::Passed,
        "{:?}",
        lockout.reason
    );
    let named = report
        .notes
        .iter()
        .find(|n| n.starts_with("the lockout checks locked these accounts"))
        .unwrap_or_else(|| panic!("{:?}", report.notes));
    assert!(named.contains("@conformance.example.com"), "{named}");
    assert!(!named.contains(EMAIL), "{named}");
    assert!(
        account_can_log_in(&site).await,
        "the test account was not locked"
    );

    // Without registration, --allow-lockout runs nothing and says why.
    let night = Arc::new(Night::new("live-lockout-off", &site, NO_REGISTRATION));
    let url = site.url.clone();
    let n = Arc::clone(&night);
    let output = blocking(move || {
        n.nightly(
            &url,
            "reports",
            &["--max-rps", "0", "--allow-lockout", "--tag", "lockout"],
        )
    })
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = night.report("reports");
    assert!(
        report
            .suites
            .iter()
            .all(|s| s.outcome == SuiteOutcome::Skipped)
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("no lockout check ran") && n.contains("allow_registration: false")),
        "{:?}",
        report.notes
    );
    assert!(account_can_log_in(&site).await);
}
