//! `cargo bench --bench speed`: the figures README.md quotes.
//!
//! 1. the wall time of a full conformance run against the embedded mock, process start to exit;
//! 2. logins per second the mock serves under concurrent load;
//! 3. the harness's time per request against a bare reqwest loop making the same requests;
//! 4. the validating proxy's added latency per request against going to the mock directly;
//! 5. the mock's `GET /site` answers per second, 32 concurrent clients on the same cores;
//! 6. the secret matcher over 10 MB of output with 10,000 secrets: building it (one secret at a
//!    time, as a run learns them) and one pass of the leak scan and of redaction, next to an
//!    aho-corasick automaton over the same forms (what the matcher replaced).
//!
//! A plain program (harness = false): each figure is a median of several rounds, printed as a
//! table. Nothing here asserts; the numbers are for people, the tests assert behaviour.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pelcro_conformance::app::{RunOptions, execute};
use pelcro_conformance::mock::{MockConfig, MockServer};
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::proxy::{self, ProxyConfig};
use pelcro_conformance::redact::forms::forms;
use pelcro_conformance::redact::{REDACTED, SecretMatcher};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::{LoadContext, SuiteSource, load};
use pelcro_conformance::target::TargetSpec;
use serde_json::json;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// Process start to exit of `pelcro-conformance run`, in milliseconds.
fn full_run_wall_time(rounds: usize) -> (f64, f64) {
    let binary = env!("CARGO_BIN_EXE_pelcro-conformance");
    let samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            let output = Command::new(binary)
                .arg("run")
                .output()
                .expect("the binary runs");
            assert!(
                output.status.success(),
                "the run failed:\n{}",
                String::from_utf8_lossy(&output.stdout)
            );
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let best = samples.iter().cloned().fold(f64::INFINITY, f64::min);
    (median(samples), best)
}

/// Logins per second with `clients` concurrent clients for `window`.
async fn mock_logins_per_second(clients: usize, window: Duration) -> f64 {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("the mock starts");
    let url = format!("{}/api/v1/sdk/auth/login?site_id=1", mock.base_url());
    let http = reqwest::Client::new();
    let register = format!("{}/api/v1/sdk/auth/register?site_id=1", mock.base_url());
    let body = json!({"email": "bench@example.com", "password": "Bench!pass1"});
    assert_eq!(
        http.post(&register)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let done = Arc::new(AtomicU64::new(0));
    // The clients are tasks on the runtime's workers (not main's thread), like real concurrent load.
    let deadline = Instant::now() + window;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, body, done) = (http.clone(), url.clone(), body.clone(), Arc::clone(&done));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let status = http
                    .post(&url)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                assert_eq!(status.ok(), Some(200));
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / window.as_secs_f64()
}

/// Answers per second of `GET /site` with `clients` concurrent clients for `window`.
async fn mock_site_per_second(clients: usize, window: Duration) -> f64 {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("the mock starts");
    let url = format!("{}/api/v1/sdk/site?site_id=1", mock.base_url());
    let http = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + window;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, done) = (http.clone(), url.clone(), Arc::clone(&done));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let response = http.get(&url).send().await.expect("the mock answers");
                assert_eq!(response.status(), 200);
                let _ = response.bytes().await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / window.as_secs_f64()
}

/// Microseconds per `GET /site` through the validating proxy and directly, sequential.
async fn proxy_latency(base: &str) -> (f64, f64) {
    let handle = proxy::start(ProxyConfig::new(base).expect("a proxy config"))
        .await
        .expect("the proxy starts");
    let through = handle.base_url();
    let direct = bare_loop(base).await;
    let proxied = bare_loop(&through).await;
    let _ = handle.stop().await;
    (direct, proxied)
}

/// Milliseconds: building a matcher of `secrets` secrets one at a time; one leak-scan pass and
/// one redaction pass over `output`; and the same with an aho-corasick automaton of their forms.
fn matcher_figures(secrets: usize, output_bytes: usize) -> [f64; 5] {
    let secrets: Vec<String> = (0..secrets)
        .map(|n| format!("tok_{n:06}_{:016x}", fastrand::u64(..)))
        .collect();
    // Output that looks like reports (JSON-ish words), with a few secrets planted.
    let mut output = String::with_capacity(output_bytes + 100);
    let mut n = 0;
    while output.len() < output_bytes {
        output.push_str("{\"name\":\"step\",\"outcome\":\"passed\",\"expected\":\"200\"},\n");
        n += 1;
        if n % 20_000 == 0 {
            output.push_str(&secrets[n % secrets.len()]);
        }
    }
    let started = Instant::now();
    let mut matcher = SecretMatcher::default();
    for secret in &secrets {
        matcher.insert(secret);
    }
    let build = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    assert!(matcher.find(output.as_bytes()).is_some());
    let scan = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let redacted = matcher.replace(&output, REDACTED);
    let replace = started.elapsed().as_secs_f64() * 1000.0;
    assert!(!redacted.contains(&secrets[20_000 % secrets.len()]));

    let patterns: Vec<String> = secrets
        .iter()
        .flat_map(|s| forms(s).into_iter().map(|(_, text)| text))
        .collect();
    let started = Instant::now();
    let automaton = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(&patterns)
        .expect("an automaton");
    let ac_build = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    assert!(automaton.find(&output).is_some());
    let ac_scan = started.elapsed().as_secs_f64() * 1000.0;
    [build, scan, replace, ac_build, ac_scan]
}

const REQUESTS: u64 = 1000;

/// Microseconds per request of a bare, sequential reqwest loop of `GET /site` with JSON parsing.
async fn bare_loop(base: &str) -> f64 {
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1/sdk/site?site_id=1");
    let started = Instant::now();
    for _ in 0..REQUESTS {
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let _: serde_json::Value = response.json().await.unwrap();
    }
    started.elapsed().as_secs_f64() * 1e6 / REQUESTS as f64
}

/// Microseconds per request of the harness making the same requests, with status and schema
/// checks, templating, redaction and evidence.
async fn harness_loop(base: &str) -> f64 {
    let suite = format!(
        "name: overhead\nclaims: [SITE]\nsteps:\n  - name: site\n    request: {{ method: GET, path: /site }}\n    repeat: {REQUESTS}\n    expect: {{ status: 200, schema: site-envelope }}\n"
    );
    let schemas = SchemaSet::embedded().unwrap();
    let profile = SiteProfile::default();
    let profile_json = profile.to_json();
    let ctx = LoadContext {
        schemas: &schemas,
        profile: &profile_json,
        live: false,
    };
    let loaded = load::load(
        &SuiteSource {
            file: "bench.yaml".into(),
            bytes: suite.into_bytes(),
        },
        &ctx,
    )
    .unwrap();
    let options = RunOptions::new(TargetSpec::parse(base).unwrap(), profile, schemas);
    let started = Instant::now();
    let outcome = execute(options, vec![loaded])
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages));
    let elapsed = started.elapsed();
    assert!(outcome.report.passed());
    // Two control calls (probe, profile) and the run's setup are included: a slight overestimate.
    elapsed.as_secs_f64() * 1e6 / REQUESTS as f64
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would run this too, so be quick then.
    let quick =
        std::env::args().any(|a| a == "--test") || std::env::var_os("BENCH_QUICK").is_some();
    let rounds = if quick { 1 } else { 7 };

    let (run_median, run_best) = full_run_wall_time(rounds);
    let logins = mock_logins_per_second(32, Duration::from_secs(if quick { 1 } else { 3 })).await;

    let mock = MockServer::start(MockConfig {
        frozen_clock: true,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let base = mock.base_url();
    let mut bare = Vec::new();
    let mut harness = Vec::new();
    for _ in 0..rounds.min(5) {
        // Both in a spawned task, as the runner's suites are: a loop on main's `block_on` thread
        // pays a cross-thread wake-up per I/O event and would flatter the harness.
        let b = base.clone();
        bare.push(
            tokio::spawn(async move { bare_loop(&b).await })
                .await
                .unwrap(),
        );
        let b = base.clone();
        harness.push(
            tokio::spawn(async move { harness_loop(&b).await })
                .await
                .unwrap(),
        );
    }
    let (bare, harness) = (median(bare), median(harness));
    let mut direct = Vec::new();
    let mut proxied = Vec::new();
    for _ in 0..rounds.min(5) {
        let b = base.clone();
        let (d, p) = tokio::spawn(async move { proxy_latency(&b).await })
            .await
            .unwrap();
        direct.push(d);
        proxied.push(p);
    }
    let (direct, proxied) = (median(direct), median(proxied));
    let site = mock_site_per_second(32, Duration::from_secs(if quick { 1 } else { 3 })).await;
    let [build, scan, replace, ac_build, ac_scan] =
        matcher_figures(if quick { 1_000 } else { 10_000 }, 10 << 20);

    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| full run against the embedded mock, process start to exit | {run_median:.0} ms median, {run_best:.0} ms best of {rounds} |"
    );
    println!("| mock logins per second, 32 concurrent clients | {logins:.0} |");
    println!("| bare reqwest loop, GET /site | {bare:.0} µs per request |");
    println!(
        "| harness, same requests with status and schema checks | {harness:.0} µs per request ({:.2}× the bare loop) |",
        harness / bare
    );
    println!(
        "| validating proxy, GET /site | {proxied:.0} µs per request, direct {direct:.0} µs ({:.2}×) |",
        proxied / direct
    );
    println!("| mock GET /site answers per second, 32 concurrent clients | {site:.0} |");
    println!(
        "| secret matcher, {} secrets, 10 MB of output | built one secret at a time in {build:.0} ms; leak scan {scan:.0} ms, redaction {replace:.0} ms per pass (aho-corasick over the same forms: built in {ac_build:.0} ms, scan {ac_scan:.0} ms) |",
        if quick { 1_000 } else { 10_000 }
    );
}
