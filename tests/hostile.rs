//! Hostile inputs, as an attacker or a careless newcomer would bring them: targets that echo
//! secrets in other encodings, send absurd headers or terminal escapes, suites that climb out of
//! the API root or sit on a FIFO, profiles and files that never end, CLI numbers out of range,
//! closed pipes, proxy clients that send credentials in forms and API-key headers.
//!
//! Every case asserts the exit code, that nothing panicked (no exit 101, no `panicked at`), that
//! the reports were written where a run happened, and that no secret of the case appears, in any
//! encoding, in stdout, stderr or any file written.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use common::TempDir;
use pelcro_conformance::redact::SecretMatcher;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The password a hostile target is given (through PELCRO_PASSWORD), with characters that
/// encode differently in every scheme.
const PASSWORD: &str = "Hx!9 q/\"z+Tk%7e";
/// A bearer token sent through PELCRO_API_TOKEN.
const TOKEN: &str = "tok_5f1c2e9a7b3d4c6e8f0a";
const EMAIL: &str = "qa+hostile@publisher.example";

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pelcro-conformance"));
    command
        .env_remove("PELCRO_SITE_ID")
        .env_remove("PELCRO_MOCK_CONTROL_TOKEN")
        .env("NO_COLOR", "1");
    command
}

/// Every encoding of `secret` written out by hand (not with the harness's own list), including
/// the base64 of the header lines it may travel in.
fn independent_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    for text in [
        secret.to_string(),
        format!("Authorization: Bearer {secret}"),
        format!("authorization: Bearer {secret}\r\n"),
    ] {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            forms.push(engine.encode(&text));
        }
    }
    forms.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    forms.push(
        serde_json::to_string(secret)
            .unwrap()
            .trim_matches('"')
            .to_string(),
    );
    forms.retain(|f| f.len() >= 8);
    forms
}

/// Asserts no form of any secret is in the texts or files given, and nothing panicked.
fn assert_clean(case: &str, output: &Output, files: &[PathBuf], secrets: &[&str]) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(
        output.status.code(),
        Some(101),
        "{case}: panicked\n{stderr}"
    );
    assert!(
        output.status.code().is_some(),
        "{case}: killed by a signal\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked at"),
        "{case}: panicked\n{stderr}"
    );
    let matcher = SecretMatcher::new(secrets.iter().copied());
    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), output.stdout.clone()),
        ("stderr".into(), output.stderr.clone()),
    ];
    for file in files {
        places.push((
            file.display().to_string(),
            std::fs::read(file).unwrap_or_default(),
        ));
    }
    for (place, bytes) in &places {
        if let Some(form) = matcher.find(bytes) {
            panic!("{case}: a secret ({} form) in {place}", form.name());
        }
        let text = String::from_utf8_lossy(bytes);
        for secret in secrets {
            for form in independent_forms(secret) {
                assert!(!text.contains(&form), "{case}: `{form}` in {place}");
            }
        }
    }
    let _ = stdout;
}

/// Every regular file under a folder.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    pelcro_conformance::leakscan::files_under(dir)
}

fn assert_reports(case: &str, dir: &Path) {
    for name in ["report.json", "junit.xml", "report.md", "report.html"] {
        let path = dir.join(name);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 0, "{case}: {} was not written", path.display());
    }
}

// ---------------------------------------------------------------- a hostile target

/// What the hostile target answers, given the raw request it received.
type Answer = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

/// A raw HTTP/1.1 server on loopback answering every request with `answer(request)` and closing.
async fn hostile_target(answer: Answer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 8192];
                // Read the head, then as much body as Content-Length says.
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buffer).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buffer.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let request = String::from_utf8_lossy(&buffer).into_owned();
                let reply = answer(&request);
                let _ = socket.write_all(&reply).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

fn http_reply(status: u16, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\nconnection: close\r\n").into_bytes();
    let mut has_length = false;
    for (name, value) in headers {
        has_length |= name.eq_ignore_ascii_case("content-length");
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if !has_length {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// The JSON body of a request (after the head).
fn request_json(request: &str) -> serde_json::Value {
    let body = request.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

/// The value of a request header.
fn request_header(request: &str, name: &str) -> String {
    request
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// A suite that logs in with the environment's credentials and sends the API token as a bearer.
const LOGIN_SUITE: &str = r#"name: hostile login
claims: [LOGIN-OK]
steps:
  - name: log in
    request:
      method: POST
      path: /auth/login
      json: { email: "{{ env.PELCRO_EMAIL }}", password: "{{ env.PELCRO_PASSWORD }}" }
      bearer: "{{ env.PELCRO_API_TOKEN }}"
    expect: { status: 200 }
"#;

/// Runs `run` against the hostile target with the login suite; returns the output and every
/// file it wrote.
async fn run_against(
    addr: SocketAddr,
    suite: &str,
    extra: &[&str],
) -> (Output, Vec<PathBuf>, TempDir) {
    let dir = TempDir::new("hostile");
    dir.write("suites/s.yaml", suite);
    let suites = dir.0.join("suites");
    let reports = dir.0.join("reports");
    let snapshots = dir.0.join("snaps");
    let target = format!("http://{addr}");
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        bin()
            .args([
                "run",
                "--target",
                &target,
                "--site-id",
                "1",
                "--max-rps",
                "0",
            ])
            .arg("--suites")
            .arg(&suites)
            .arg("--report-dir")
            .arg(&reports)
            .arg("--snapshots")
            .arg(&snapshots)
            .args([
                "--timeout",
                "3",
                "--connect-timeout",
                "2",
                "--max-wait",
                "1",
                "-v",
            ])
            .args(&extra)
            .env("PELCRO_EMAIL", EMAIL)
            .env("PELCRO_PASSWORD", PASSWORD)
            .env("PELCRO_API_TOKEN", TOKEN)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let files = files_in(&dir.0);
    (output, files, dir)
}

fn json_headers() -> Vec<(&'static str, String)> {
    vec![("content-type", "application/json".to_string())]
}

/// A target that echoes the password (from the login body) in one encoding, in the body and a
/// header, with status 200: a run that redacts at the source passes (exit 0) and leaks nothing.
async fn echo_case(case: &str, encode: fn(&str) -> String) {
    let answer: Answer = Arc::new(move |request| {
        let password = request_json(request)["password"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let bearer = request_header(request, "authorization");
        let echoed = encode(&password);
        let line = STANDARD.encode(format!("Authorization: {bearer}"));
        let body = serde_json::json!({
            "data": { "echo": echoed, "note": format!("you sent {echoed}"), "line": line }
        });
        let mut headers = json_headers();
        headers.push(("x-echo", encode(&password).replace(['\r', '\n'], "")));
        http_reply(200, &headers, body.to_string().as_bytes())
    });
    let addr = hostile_target(answer).await;
    let (output, files, dir) = run_against(addr, LOGIN_SUITE, &[]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{case}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_reports(case, &dir.0.join("reports"));
    assert_clean(case, &output, &files, &[PASSWORD, TOKEN]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_echoing_the_password_raw_leaks_nothing() {
    echo_case("raw echo", |p| p.to_string()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_echoing_the_password_in_standard_base64_leaks_nothing() {
    echo_case("base64 echo", |p| STANDARD.encode(p)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_echoing_the_password_in_url_safe_unpadded_base64_leaks_nothing() {
    echo_case("base64url echo", |p| URL_SAFE_NO_PAD.encode(p)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_echoing_the_password_percent_encoded_leaks_nothing() {
    echo_case("percent echo", |p| {
        url::form_urlencoded::byte_serialize(p.as_bytes()).collect()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_echoing_the_password_inside_a_longer_base64_text_leaks_nothing() {
    echo_case("embedded base64 echo", |p| {
        STANDARD.encode(format!("user={EMAIL}&password={p}&x=1"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_echoing_the_password_json_escaped_in_a_string_leaks_nothing() {
    echo_case("json-escaped echo", |p| {
        serde_json::to_string(&serde_json::json!({ "p": p })).unwrap()
    })
    .await;
}

/// A target that answers every request with the given raw reply.
async fn fixed_case(case: &str, reply: Vec<u8>, expected_exit: i32) -> (Output, TempDir) {
    let answer: Answer = Arc::new(move |_| reply.clone());
    let addr = hostile_target(answer).await;
    let (output, files, dir) = run_against(addr, LOGIN_SUITE, &[]).await;
    assert_eq!(
        output.status.code(),
        Some(expected_exit),
        "{case}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_reports(case, &dir.0.join("reports"));
    assert_clean(case, &output, &files, &[PASSWORD, TOKEN]);
    (output, dir)
}

fn with_retry_after(value: &str) -> Vec<u8> {
    let mut headers = json_headers();
    headers.push(("retry-after", value.to_string()));
    http_reply(
        429,
        &headers,
        br#"{"error":{"status":429,"message":"slow down"}}"#,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_of_u64_max_fails_the_step_without_overflowing() {
    let (output, _dir) = fixed_case(
        "Retry-After u64::MAX",
        with_retry_after("18446744073709551615"),
        1,
    )
    .await;
    assert!(String::from_utf8_lossy(&output.stdout).contains("would pass the cap"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_beyond_u64_fails_the_step_without_overflowing() {
    fixed_case(
        "Retry-After > u64",
        with_retry_after("99999999999999999999999999"),
        1,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_date_in_year_9999_fails_the_step_without_overflowing() {
    fixed_case(
        "Retry-After 9999",
        with_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"),
        1,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_negative_or_garbage_retry_after_falls_back_to_bounded_backoff() {
    fixed_case("Retry-After -5", with_retry_after("-5"), 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_escape_sequences_from_a_target_are_escaped_on_the_console() {
    let suite = LOGIN_SUITE.replace(
        "expect: { status: 200 }",
        "expect: { status: 200, json: { /error: ok } }",
    );
    let answer: Answer = Arc::new(|_| {
        let body = "{\"error\":\"\u{1b}]0;owned\u{7}\u{1b}[2J\"}";
        http_reply(500, &json_headers(), body.as_bytes())
    });
    let addr = hostile_target(answer).await;
    let (output, files, dir) = run_against(addr, &suite, &[]).await;
    assert_eq!(output.status.code(), Some(1));
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !stream.contains(&0x1b),
            "{}",
            String::from_utf8_lossy(stream)
        );
        assert!(!stream.contains(&0x07));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\\u{1b}[2J"), "{stdout}");
    assert_reports("escapes", &dir.0.join("reports"));
    assert_clean("escapes", &output, &files, &[PASSWORD, TOKEN]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_html_answer_with_status_200_where_json_is_expected_fails() {
    let suite = LOGIN_SUITE.replace(
        "expect: { status: 200 }",
        "expect: { status: 200, schema: customer-token-envelope }",
    );
    let answer: Answer = Arc::new(|_| {
        http_reply(
            200,
            &[("content-type", "text/html".into())],
            b"<html>hi</html>",
        )
    });
    let addr = hostile_target(answer).await;
    let (output, files, dir) = run_against(addr, &suite, &[]).await;
    assert_eq!(output.status.code(), Some(1));
    assert_reports("html 200", &dir.0.join("reports"));
    assert_clean("html 200", &output, &files, &[PASSWORD, TOKEN]);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_utf8_and_nul_bytes_in_an_answer_are_handled() {
    fixed_case(
        "bad utf-8",
        http_reply(200, &json_headers(), b"{\"a\":\"\xff\xfe\x00\"}"),
        0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_content_length_that_lies_is_a_transport_failure_not_a_panic() {
    let reply = http_reply(
        200,
        &[("content-length", "18446744073709551615".into())],
        b"{}",
    );
    // No HTTP answer the client can read: the run could not happen (exit 3), with its reports.
    fixed_case("content-length u64::MAX", reply, 3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_that_closes_without_answering_is_exit_3_with_reports() {
    fixed_case("closes", Vec::new(), 3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_answering_garbage_instead_of_http_is_exit_3_with_reports() {
    fixed_case("garbage", b"\x00\x01SSH-2.0-nope\r\n\r\n".to_vec(), 3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_set_cookie_and_api_key_header_in_an_answer_are_redacted() {
    let answer: Answer = Arc::new(|request| {
        let password = request_json(request)["password"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut headers = json_headers();
        headers.push(("set-cookie", format!("session={password}")));
        headers.push(("x-api-key", STANDARD.encode(&password)));
        http_reply(200, &headers, b"{\"data\":{}}")
    });
    let addr = hostile_target(answer).await;
    let (output, files, dir) = run_against(addr, LOGIN_SUITE, &[]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_reports("set-cookie", &dir.0.join("reports"));
    assert_clean("set-cookie", &output, &files, &[PASSWORD, TOKEN]);
}

// ---------------------------------------------------------------- URL credentials

fn cli_case(case: &str, args: &[&str], expected_exit: i32, secrets: &[&str]) -> Output {
    let output = bin().args(args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(expected_exit),
        "{case}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_clean(case, &output, &[], secrets);
    output
}

#[test]
fn a_target_url_with_credentials_is_refused_without_printing_them() {
    let output = cli_case(
        "target userinfo",
        &[
            "run",
            "--target",
            "http://qa:Sup3rSecretPw@127.0.0.1:9",
            "--site-id",
            "1",
        ],
        2,
        &["Sup3rSecretPw"],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("credentials"));
}

#[test]
fn a_target_url_with_percent_encoded_credentials_is_refused_without_printing_them() {
    cli_case(
        "target userinfo encoded",
        &[
            "run",
            "--target",
            "https://qa:Sup3r%40Secret%21@www.pelcro.com",
            "--site-id",
            "1",
        ],
        2,
        &["Sup3r@Secret!", "Sup3r%40Secret%21"],
    );
}

#[test]
fn a_malformed_target_url_with_credentials_is_refused_without_printing_them() {
    cli_case(
        "bad url userinfo",
        &[
            "run",
            "--target",
            "http://qa:Sup3rSecretPw@[::1",
            "--site-id",
            "1",
        ],
        2,
        &["Sup3rSecretPw"],
    );
}

#[test]
fn an_upstream_url_with_credentials_is_refused_without_printing_them() {
    cli_case(
        "upstream userinfo",
        &[
            "proxy",
            "--upstream",
            "http://qa:Sup3rSecretPw@127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
        ],
        2,
        &["Sup3rSecretPw"],
    );
}

// ---------------------------------------------------------------- suites

fn suite_case(case: &str, files: &[(&str, &str)], expected_exit: i32, needle: &str) -> Output {
    let dir = TempDir::new("hostile-suite");
    for (name, text) in files {
        dir.write(name, text);
    }
    let reports = dir.0.join("reports");
    let output = bin()
        .args(["run", "--suites", dir.path()])
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(expected_exit),
        "{case}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains(needle), "{case}: `{needle}` not in {all}");
    assert_clean(case, &output, &files_in(&reports), &[]);
    output
}

const CLIMB: &str = "name: climb\nclaims: [SITE]\nrequires: []\nsteps:\n  - name: reset everything\n    request: { method: POST, path: \"PATH\" }\n    expect: { status: 200 }\n";

#[test]
fn a_suite_path_climbing_to_the_control_api_is_refused_naming_the_place() {
    let suite = CLIMB.replace("PATH", "/../../../__control/reset");
    suite_case(
        "dot-dot path",
        &[("climb.yaml", &suite)],
        2,
        "climb.yaml:6:",
    );
}

#[test]
fn a_suite_path_climbing_with_percent_encoded_dots_is_refused() {
    let suite = CLIMB.replace("PATH", "/%2e%2e/%2E%2e/..%2e/__control/reset");
    suite_case(
        "encoded dot-dot path",
        &[("climb.yaml", &suite)],
        2,
        "leaves the API root",
    );
}

#[test]
fn a_suite_path_with_an_encoded_slash_is_refused() {
    let suite = CLIMB.replace("PATH", "/a/..%2f..%2f..%2f__control/reset");
    suite_case(
        "encoded slash path",
        &[("climb.yaml", &suite)],
        2,
        "encoded",
    );
}

#[test]
fn a_templated_path_that_renders_out_of_the_api_root_is_not_sent() {
    let suite = "name: climb later\nclaims: [SITE]\nvars:\n  up: ../../../__control/reset\nsteps:\n  - name: reset everything\n    request: { method: POST, path: \"/x/{{ up }}\" }\n    expect: { status: 200 }\n";
    suite_case(
        "templated climb",
        &[("later.yaml", suite)],
        1,
        "leaves the API root",
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_in_the_suites_folder_is_refused_without_hanging() {
    let dir = TempDir::new("fifo");
    let fifo = dir.0.join("wait.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut child = bin()
        .args(["run", "--suites", dir.path()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the run hangs on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
    assert_clean("fifo", &output, &[], &[]);
}

#[cfg(unix)]
#[test]
fn a_suite_that_links_to_dev_zero_is_refused() {
    let dir = TempDir::new("zero-suite");
    std::os::unix::fs::symlink("/dev/zero", dir.0.join("zero.yaml")).unwrap();
    let output = bin()
        .args(["run", "--suites", dir.path()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_clean("zero suite", &output, &[], &[]);
}

#[test]
fn an_oversized_suite_is_refused() {
    let big = format!(
        "name: big\nclaims: [SITE]\n# {}\nsteps: []\n",
        "x".repeat(2 * 1024 * 1024)
    );
    suite_case("big suite", &[("big.yaml", &big)], 2, "larger than");
}

#[test]
fn a_suite_that_is_not_utf8_is_refused_with_its_place() {
    let dir = TempDir::new("not-utf8");
    dir.write(
        "bad.yaml",
        b"name: bad\nclaims: [SITE]\nsteps: \xff\n".as_slice(),
    );
    let output = bin()
        .args(["run", "--suites", dir.path()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.yaml:3:"));
    assert_clean("not utf-8", &output, &[], &[]);
}

#[test]
fn deeply_nested_yaml_is_an_error_not_a_stack_overflow() {
    let nested = format!(
        "name: deep\nclaims: [SITE]\nsteps: {}{}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    let dir = TempDir::new("deep");
    dir.write("deep.yaml", nested);
    let output = bin()
        .args(["run", "--suites", dir.path()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_clean("deep yaml", &output, &[], &[]);
}

#[test]
fn a_huge_repeat_count_is_refused_before_the_run() {
    let suite = "name: many\nclaims: [SITE]\nsteps:\n  - name: again\n    request: { method: GET, path: /site }\n    repeat: 18446744073709551615\n";
    suite_case("huge repeat", &[("many.yaml", suite)], 2, "many.yaml");
}

#[test]
fn advancing_the_mock_clock_by_an_absurd_duration_does_not_panic_the_mock() {
    let suite = "name: far future\nclaims: [TOKEN-TTL]\nrequires: [clock]\nsteps:\n  - name: jump\n    advance_clock: 99999999999999d\n  - name: jump again\n    advance_clock: 99999999999999d\n  - name: register there\n    request: { method: POST, path: /auth/register, json: { email: \"{{ fresh_email }}\", password: \"{{ fresh_password }}\" } }\n    expect: { status: 200 }\n";
    let dir = TempDir::new("far-future");
    dir.write("far.yaml", suite);
    let reports = dir.0.join("reports");
    let output = bin()
        .args(["run", "--suites", dir.path()])
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_reports("far future", &reports);
    assert_clean("far future", &output, &files_in(&reports), &[]);
}

#[cfg(unix)]
#[test]
fn a_pending_snapshot_that_is_a_symlink_does_not_overwrite_its_target() {
    let dir = TempDir::new("snap-link");
    let snaps = dir.0.join("snaps");
    let profile_dir = snaps.join("default");
    std::fs::create_dir_all(&profile_dir).unwrap();
    let victim = dir.write("victim.txt", "precious");
    let suite = "name: snap\nclaims: [SITE]\nsteps:\n  - name: site\n    request: { method: GET, path: /site }\n    expect: { status: 200 }\n    snapshot: true\n";
    dir.write("suites/snap.yaml", suite);
    std::os::unix::fs::symlink(&victim, profile_dir.join("snap__site.snap.new")).unwrap();
    let reports = dir.0.join("reports");
    let output = bin()
        .args(["run", "--update-snapshots", "--suites"])
        .arg(dir.0.join("suites"))
        .arg("--snapshots")
        .arg(&snaps)
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::symlink_metadata(profile_dir.join("snap__site.snap.new"))
            .unwrap()
            .is_file()
    );
    assert_reports("snapshot symlink", &reports);
    assert_clean("snapshot symlink", &output, &files_in(&dir.0), &[]);
}

// ---------------------------------------------------------------- files the CLI reads

#[cfg(unix)]
#[test]
fn a_profile_that_never_ends_is_refused() {
    let output = cli_case(
        "profile /dev/zero",
        &["run", "--profile", "/dev/zero"],
        2,
        &[],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
}

#[cfg(unix)]
#[test]
fn an_env_file_that_never_ends_is_refused() {
    cli_case(
        "env file /dev/zero",
        &["run", "--env-file", "/dev/zero"],
        2,
        &[],
    );
}

#[cfg(unix)]
#[test]
fn a_ca_file_that_never_ends_is_refused() {
    cli_case(
        "ca file /dev/zero",
        &["run", "--ca-cert", "/dev/zero"],
        2,
        &[],
    );
}

#[cfg(unix)]
#[test]
fn a_diff_input_that_never_ends_is_refused() {
    cli_case(
        "diff /dev/zero",
        &["diff", "/dev/zero", "/dev/zero"],
        2,
        &[],
    );
}

#[test]
fn a_profile_with_numbers_beyond_u64_is_refused() {
    let dir = TempDir::new("profile-big");
    let profile = dir.write(
        "p.yaml",
        "name: big\nauth_token_ttl_days: 18446744073709551616\nlockout: { window_seconds: -1 }\n",
    );
    cli_case(
        "profile big numbers",
        &["run", "--profile", profile.to_str().unwrap()],
        2,
        &[],
    );
}

#[test]
fn an_env_file_password_never_reaches_an_output() {
    let dir = TempDir::new("env-file");
    let env = dir.write(
        "creds.env",
        format!("PELCRO_PASSWORD={PASSWORD}\nPELCRO_EMAIL={EMAIL}\n"),
    );
    let reports = dir.0.join("reports");
    dir.write(
        "suites/echo.yaml",
        "name: echo\nclaims: [LOGIN-BAD]\nsteps:\n  - name: wrong login\n    request: { method: POST, path: /auth/login, json: { email: \"{{ env.PELCRO_EMAIL }}\", password: \"{{ env.PELCRO_PASSWORD }}\" } }\n    expect: { status: 404 }\n",
    );
    let output = bin()
        .args(["run", "-v", "--env-file", env.to_str().unwrap(), "--suites"])
        .arg(dir.0.join("suites"))
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_reports("env file", &reports);
    assert_clean("env file", &output, &files_in(&reports), &[PASSWORD]);
}

// ---------------------------------------------------------------- CLI numbers and streams

#[test]
fn a_max_rps_of_1e_minus_300_is_a_usage_error() {
    cli_case("max-rps 1e-300", &["run", "--max-rps", "1e-300"], 2, &[]);
}

#[test]
fn a_max_rps_of_nan_is_a_usage_error() {
    cli_case("max-rps NaN", &["run", "--max-rps", "NaN"], 2, &[]);
}

#[test]
fn an_infinite_max_rps_is_a_usage_error() {
    cli_case("max-rps inf", &["run", "--max-rps", "inf"], 2, &[]);
}

#[test]
fn a_negative_max_rps_is_a_usage_error() {
    cli_case("max-rps -1", &["run", "--max-rps=-1"], 2, &[]);
}

#[test]
fn a_timeout_beyond_u64_is_a_usage_error() {
    cli_case(
        "timeout huge",
        &["run", "--timeout", "18446744073709551616"],
        2,
        &[],
    );
}

#[cfg(unix)]
#[test]
fn a_closed_stdout_and_stderr_end_the_run_quietly_with_its_exit_code() {
    for _ in 0..3 {
        let reports = TempDir::new("closed");
        let mut child = bin()
            .args(["run", "-v"])
            .arg("--report-dir")
            .arg(&reports.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -0`: both read ends close before the run writes anything.
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "exit code with closed pipes");
    }
}

#[cfg(unix)]
#[test]
fn a_closed_stderr_after_a_usage_error_still_exits_2() {
    let mut child = bin()
        .args(["run", "--profile", "no-such-profile-anywhere"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
}

// ---------------------------------------------------------------- the mock's exposure

#[test]
fn the_mock_refuses_a_non_loopback_host_without_allow_remote() {
    let output = cli_case(
        "mock 0.0.0.0",
        &["mock", "--host", "0.0.0.0", "--port", "0"],
        2,
        &[],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-remote"));
}

#[test]
fn the_mock_refuses_allow_remote_without_a_control_token() {
    let output = cli_case(
        "mock remote no token",
        &["mock", "--host", "0.0.0.0", "--port", "0", "--allow-remote"],
        2,
        &[],
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("control token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mock_with_a_control_token_refuses_control_requests_without_it() {
    use pelcro_conformance::mock::{MockConfig, MockServer};
    let token = "ctl-0123456789abcdef";
    let mock = MockServer::start(MockConfig {
        control_token: Some(token.into()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let reset = format!("{}/__control/reset", mock.base_url());
    let refused = http.post(&reset).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let wrong = http
        .post(&reset)
        .bearer_auth("ctl-0123456789abcdeX")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let allowed = http.post(&reset).bearer_auth(token).send().await.unwrap();
    assert_eq!(allowed.status().as_u16(), 200);
    // The server's own handle carries the token.
    assert!(mock.clock().await.is_ok());
    // The API itself needs no token.
    let site = http
        .get(format!("{}/site?site_id=1", mock.api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(site.status().as_u16(), 200);
}

// ---------------------------------------------------------------- the proxy's clients

async fn proxy_case(
    case: &str,
    send: impl AsyncFnOnce(&reqwest::Client, &str),
    secrets: &[&str],
) -> pelcro_conformance::report::RunReport {
    use pelcro_conformance::mock::{MockConfig, MockServer};
    use pelcro_conformance::proxy::{self, ProxyConfig};
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let handle = proxy::start(ProxyConfig::new(mock.base_url()).unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    send(&http, &handle.base_url()).await;
    let redactor = handle.redactor();
    let report = handle.stop().await;
    let dir = TempDir::new("proxy-hostile");
    let written = proxy::write_report(&report, &dir.0, &Default::default()).unwrap();
    let output = Output {
        status: std::process::ExitStatus::default(),
        stdout: pelcro_conformance::report::console::render(&report, true).into_bytes(),
        stderr: Vec::new(),
    };
    assert_eq!(written.len(), 4, "{case}");
    assert_clean(case, &output, &written, secrets);
    // The proxy's own after-run scan (as `pelcro-conformance proxy` runs it) finds nothing.
    let leaks = pelcro_conformance::leakscan::scan(&written, &redactor.matcher()).unwrap();
    assert!(leaks.is_empty(), "{case}: {leaks:?}");
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_encoded_password_through_the_proxy_is_not_kept() {
    let password = "F0rm-Secret!pw";
    proxy_case(
        "form password",
        async |http, base| {
            let _ = http
                .post(format!("{base}/api/v1/sdk/auth/login?site_id=1"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "email=a%40b.example&password={}",
                    url::form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
                ))
                .send()
                .await
                .unwrap();
        },
        &[password],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_and_x_auth_headers_and_api_key_queries_through_the_proxy_are_not_kept() {
    let key = "AKIA-hostile-0123456789";
    let auth = "xauth-hostile-9876543210";
    let query_key = "qk-hostile-5555555555";
    proxy_case(
        "api keys",
        async |http, base| {
            let _ = http
                .get(format!(
                    "{base}/api/v1/sdk/site?site_id=1&api_key={query_key}"
                ))
                .header("X-Api-Key", key)
                .header("X-Auth-User", auth)
                .send()
                .await
                .unwrap();
        },
        &[key, auth, query_key],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_basic_authorization_header_through_the_proxy_is_not_kept_in_any_encoding() {
    let credentials = "qa@publisher.example:B4sic-Secret";
    let header = format!("Basic {}", STANDARD.encode(credentials));
    let header_for_client = header.clone();
    proxy_case(
        "basic auth",
        async move |http, base| {
            let _ = http
                .post(format!("{base}/api/v1/sdk/customer?site_id=1"))
                .header("Authorization", header_for_client)
                .send()
                .await
                .unwrap();
        },
        &[credentials, &header],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_caps_the_evidence_it_keeps_and_says_so() {
    let report = proxy_case(
        "evidence cap",
        async |http, base| {
            let big = "x".repeat(512 * 1024);
            for _ in 0..8 {
                let _ = http
                    .post(format!("{base}/api/v1/sdk/auth/register?site_id=1"))
                    .json(&serde_json::json!({"email": "a@b.example", "password": "Abcdef1!", "first_name": big}))
                    .send()
                    .await
                    .unwrap();
            }
        },
        &["Abcdef1!"],
    )
    .await;
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.len() < 2 * 1024 * 1024,
        "the report keeps {} bytes",
        json.len()
    );
    assert!(
        json.contains("larger than the"),
        "a note says a body was not kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_keeps_about_32_mib_of_evidence_in_all_and_still_checks_every_later_exchange() {
    use pelcro_conformance::mock::{MockConfig, MockServer};
    use pelcro_conformance::proxy::{self, ProxyConfig};
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let handle = proxy::start(ProxyConfig::new(mock.base_url()).unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    // Each request body is kept (it is under the 64 KiB per-body cap): 640 × 60 KiB ≈ 37.5 MiB.
    let big = "x".repeat(60 * 1024);
    let exchanges = 640;
    for _ in 0..exchanges {
        let answer = http
            .post(format!("{}/api/v1/sdk/auth/login?site_id=1", handle.base_url()))
            .json(&serde_json::json!({"email": "cap@b.example", "password": "wrong-pass", "padding": big}))
            .send()
            .await
            .unwrap();
        assert!(answer.status().as_u16() < 500);
    }
    let report = handle.stop().await;
    let steps: Vec<_> = report.suites.iter().flat_map(|s| &s.steps).collect();
    assert_eq!(
        steps.len(),
        exchanges,
        "every exchange is checked and reported"
    );
    let kept = steps.iter().filter(|s| s.evidence.is_some()).count();
    let dropped = exchanges - kept;
    assert!(
        (500..=560).contains(&kept),
        "about 32 MiB of evidence: {kept} exchanges kept theirs"
    );
    let note = format!("{dropped} exchange(s) were checked without keeping their evidence");
    assert!(
        report.notes.iter().any(|n| n.starts_with(&note)),
        "{:?}",
        report.notes
    );
    let last = steps.last().unwrap();
    assert!(
        last.evidence.is_none() && !last.checks.is_empty(),
        "a later exchange is still checked"
    );
    assert!(
        last.notes
            .iter()
            .any(|n| n.contains("MiB of evidence in all"))
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.len() < 36 * 1024 * 1024,
        "the report keeps {} bytes",
        json.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_release_proxy_bug_is_gone_every_exchange_is_matched_to_its_endpoint() {
    let report = proxy_case(
        "matching",
        async |http, base| {
            for path in [
                "/site?site_id=1",
                "/plan?site_id=1&plan_id=1001",
                "/geo/country?site_id=1",
            ] {
                let _ = http
                    .get(format!("{base}/api/v1/sdk{path}"))
                    .send()
                    .await
                    .unwrap();
            }
        },
        &[],
    )
    .await;
    let checked: usize = report
        .suites
        .iter()
        .filter(|s| s.name != pelcro_conformance::proxy::NOT_IN_CONTRACT)
        .map(|s| s.steps.len())
        .sum();
    assert_eq!(checked, 3);
    assert!(
        report.notes[0].contains("3 answer(s) checked"),
        "{:?}",
        report.notes
    );
}

// ---------------------------------------------------------------- property tests

mod properties {
    use std::time::{Duration, SystemTime};

    use pelcro_conformance::backoff::{
        MAX_RETRY_AFTER, RateLimiter, parse_retry_after, wait_after_429,
    };
    use pelcro_conformance::cli::parse_rps;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_retry_after_value_gives_a_bounded_wait(value in "\\PC{0,40}|[0-9]{1,40}|-?[0-9]{1,30}") {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
            if let Some(wait) = parse_retry_after(&value, now) {
                prop_assert!(wait <= MAX_RETRY_AFTER);
            }
            for retry in [0, 1, 5, u32::MAX] {
                let (wait, _) = wait_after_429(Some(&value), retry, now);
                prop_assert!(wait <= MAX_RETRY_AFTER);
                prop_assert!(wait.checked_add(MAX_RETRY_AFTER).is_some());
            }
        }

        #[test]
        fn any_http_date_as_retry_after_gives_a_bounded_wait(secs in 0u64..400_000_000_000u64) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
            if let Some(date) = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs % 253_402_300_799)) {
                let text = httpdate::fmt_http_date(date);
                let wait = parse_retry_after(&text, now).expect("a date parses");
                prop_assert!(wait <= MAX_RETRY_AFTER);
            }
        }

        #[test]
        fn any_max_rps_text_is_accepted_only_in_range_and_never_panics(text in "\\PC{0,24}|-?[0-9]{0,5}(\\.[0-9]{0,5})?(e-?[0-9]{1,3})?") {
            if let Ok(rate) = parse_rps(&text) {
                prop_assert!(rate == 0.0 || (rate.is_finite() && (0.001..=10_000.0).contains(&rate)));
                let _ = RateLimiter::new(Some(rate));
            }
        }

        #[test]
        fn any_rate_builds_a_limiter(rate in proptest::num::f64::ANY) {
            let _ = RateLimiter::new(Some(rate));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn any_content_length_or_date_header_from_a_target_is_an_answer_or_an_error(
            content_length in "[0-9]{1,25}|-[0-9]{1,5}|\\PC{0,12}",
            date in "\\PC{0,30}",
            retry_after in "[0-9]{1,25}|\\PC{0,20}",
        ) {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let head = format!(
                    "HTTP/1.1 429 X\r\nconnection: close\r\ncontent-length: {}\r\ndate: {}\r\nretry-after: {}\r\n\r\n{{}}",
                    content_length.replace(['\r', '\n'], ""),
                    date.replace(['\r', '\n'], ""),
                    retry_after.replace(['\r', '\n'], "")
                );
                let answer: super::Answer = std::sync::Arc::new(move |_| head.clone().into_bytes());
                let addr = super::hostile_target(answer).await;
                let http = pelcro_conformance::http::HttpClient::new(
                    pelcro_conformance::http::Timeouts {
                        connect: Duration::from_secs(2),
                        total: Duration::from_secs(2),
                    },
                    &[],
                )
                .unwrap();
                let request = pelcro_conformance::http::OutgoingRequest {
                    method: reqwest::Method::GET,
                    url: format!("http://{addr}/api/v1/sdk/site"),
                    query: Vec::new(),
                    headers: Vec::new(),
                    body: None,
                };
                if let Ok(response) = http.send(&request).await {
                    let (wait, _) = wait_after_429(response.header("retry-after"), 1, SystemTime::now());
                    assert!(wait <= MAX_RETRY_AFTER);
                }
            });
        }
    }
}

// ---------------------------------------------------------------- Ctrl-C

#[cfg(unix)]
fn interrupt_case(suite: &str, signals: &[u64]) -> (Output, Duration, TempDir) {
    let dir = TempDir::new("ctrl-c");
    dir.write("suites/slow.yaml", suite);
    let reports = dir.0.join("reports");
    let child = bin()
        .args(["run", "-v", "--suites"])
        .arg(dir.0.join("suites"))
        .arg("--report-dir")
        .arg(&reports)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    for at in signals {
        let wait = Duration::from_millis(*at).saturating_sub(started.elapsed());
        std::thread::sleep(wait);
        common::ctrl_c(&child);
    }
    let output = child.wait_with_output().unwrap();
    (output, started.elapsed(), dir)
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_repeat_step_at_its_next_iteration_and_marks_it_interrupted() {
    let suite = "name: many slow calls\nclaims: [SITE]\nrequires: [faults, control]\nsteps:\n  - name: slow every call\n    request: { method: POST, path: /faults, control: true, json: { method: GET, path: /site, times: 0, fault: { type: delay, ms: 25 } } }\n    expect: { status: 200 }\n  - name: again and again\n    request: { method: GET, path: /site }\n    expect: { status: 200 }\n    repeat: 400\n";
    let (output, took, dir) = interrupt_case(suite, &[900]);
    assert!(
        took < Duration::from_secs(8),
        "a 10 s repeat was cut short: {took:?}"
    );
    assert_one_interrupted("repeat ctrl-c", &output, &dir, "repeats");
}

/// One suite, cut short by Ctrl-C: exit 3, counted as interrupted (not failed), the reports
/// written and saying why (`needle`), nothing leaked.
fn assert_one_interrupted(case: &str, output: &Output, dir: &TempDir, needle: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{case}: {stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("0 passed, 0 failed, 0 skipped, 1 interrupted"),
        "{case}: {stdout}"
    );
    let reports = dir.0.join("reports");
    assert_reports(case, &reports);
    let json = std::fs::read_to_string(reports.join("report.json")).unwrap();
    assert!(
        json.contains("\"outcome\": \"interrupted\""),
        "{case}: {json}"
    );
    assert!(json.contains(needle), "{case}: {json}");
    assert_clean(case, output, &files_in(&reports), &[]);
}

#[cfg(unix)]
#[test]
fn ctrl_c_cuts_a_real_429_wait_short_and_marks_the_step_interrupted() {
    // The suite does not own the clock, so the 429's Retry-After of 100 s is waited for real.
    let suite = "name: throttled\nclaims: [ERR-429]\nrequires: [faults, control]\nsteps:\n  - name: throttle the site\n    request: { method: POST, path: /faults, control: true, json: { method: GET, path: /site, times: 1, fault: { type: status, status: 429, headers: { retry-after: '100' } } } }\n    expect: { status: 200 }\n  - name: throttled call\n    request: { method: GET, path: /site }\n    expect: { status: 200 }\n";
    let (output, took, dir) = interrupt_case(suite, &[1500]);
    assert!(
        took < Duration::from_secs(10),
        "the 100 s wait was cut short: {took:?}"
    );
    assert_one_interrupted("429 ctrl-c", &output, &dir, "was cut short by Ctrl-C");
}

/// A free loopback port (bound, read, released: the child binds it next).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on the port (a child that is starting).
fn wait_listening(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on {port}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_command_stopped_by_ctrl_c_reports_scans_and_leaks_no_encoding_of_a_password() {
    // The upstream echoes the login's password base64- and percent-encoded, in body and header.
    let answer: Answer = Arc::new(|request| {
        let password = request_json(request)["password"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let percent: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
        let body = serde_json::json!({"data": {"b64": STANDARD.encode(&password), "pct": percent}});
        let mut headers = json_headers();
        headers.push(("x-echo", URL_SAFE_NO_PAD.encode(&password)));
        http_reply(200, &headers, body.to_string().as_bytes())
    });
    let upstream = hostile_target(answer).await;
    let dir = TempDir::new("proxy-cli");
    let port = free_port();
    let child = bin()
        .args([
            "proxy",
            "--upstream",
            &format!("http://{upstream}"),
            "--listen",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--report-dir")
        .arg(dir.0.join("reports"))
        .arg("-v")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::task::spawn_blocking(move || wait_listening(port))
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/api/v1/sdk/auth/login?site_id=1"
        ))
        .json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status().as_u16(),
        200,
        "the proxy forwards the upstream's answer"
    );
    common::ctrl_c(&child);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // An answer without the customer shape fails its check: exit 1, with the reports written.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 answer(s) checked") || stdout.contains("POST /auth/login"),
        "{stdout}"
    );
    let reports = dir.0.join("reports");
    assert_reports("proxy cli", &reports);
    assert_clean("proxy cli", &output, &files_in(&reports), &[PASSWORD]);
}

#[cfg(unix)]
#[test]
fn the_mock_command_stops_on_ctrl_c_with_exit_0() {
    let port = free_port();
    let mut child = bin()
        .args(["mock", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_listening(port);
    let started = std::time::Instant::now();
    common::ctrl_c(&child);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the mock ignored Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_clean("mock ctrl-c", &output, &[], &[]);
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_exits_at_once_with_3() {
    let suite = "name: one very slow call\nclaims: [SITE]\nrequires: [faults, control]\nsteps:\n  - name: slow\n    request: { method: POST, path: /faults, control: true, json: { method: GET, path: /site, fault: { type: delay, ms: 20000 } } }\n    expect: { status: 200 }\n  - name: wait\n    request: { method: GET, path: /site }\n    expect: { status: 200 }\n";
    let (output, took, _dir) = interrupt_case(suite, &[900, 1300]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        took < Duration::from_secs(6),
        "the second Ctrl-C did not stop the run: {took:?}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted again"));
    assert_clean("second ctrl-c", &output, &[], &[]);
}

#[test]
fn diff_does_not_count_an_interrupted_suite_as_newly_failing() {
    use pelcro_conformance::report::{
        REPORT_FORMAT_VERSION, RunReport, SuiteOutcome, SuiteReport, diff,
    };
    let suite = |outcome| SuiteReport {
        name: "s".into(),
        file: "suites/s.yaml".into(),
        claims: vec!["SITE".into()],
        tags: vec![],
        outcome,
        reason: None,
        steps: vec![],
        duration_ms: 1,
        started_at: None,
    };
    let report = |outcome| RunReport {
        format_version: REPORT_FORMAT_VERSION,
        harness_version: "0".into(),
        target: "embedded mock".into(),
        site_id: "1".into(),
        profile: "default".into(),
        profile_source: "built-in".into(),
        capabilities: vec![],
        started_at: "2026-12-01T00:00:00Z".into(),
        duration_ms: 1,
        notes: vec![],
        registrations: vec![],
        suites: vec![suite(outcome)],
        ..RunReport::default()
    };
    let passed = report(SuiteOutcome::Passed);
    let interrupted = report(SuiteOutcome::Interrupted);
    let failed = report(SuiteOutcome::Failed);
    assert!(!diff::diff(&passed, &interrupted).newly_failing());
    assert!(!diff::diff(&interrupted, &passed).newly_failing());
    assert!(diff::diff(&interrupted, &passed).fixed_suites.is_empty());
    assert!(
        diff::diff(&passed, &failed).newly_failing(),
        "the diff still bites"
    );
}

// ---------------------------------------------------------------- idle connections

async fn idle_connections_case(base: &str, addr: SocketAddr) {
    // 600 connections that never send a byte.
    let mut idle = Vec::new();
    for _ in 0..600 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    // A real client is still served, at once.
    let started = std::time::Instant::now();
    let answer = reqwest::Client::new()
        .get(format!("{base}/api/v1/sdk/site?site_id=1"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("served despite 600 idle connections");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    // And the idle ones are closed after the idle timeout.
    let mut first = idle.swap_remove(0);
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), first.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "an idle connection was closed: {read:?}"
    );
    // A slowloris (a byte at a time, never a whole head) is closed as well.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    for byte in b"GET /api/v1/sdk/site?site_id=1 HTTP/1.1\r\nx-slow: "
        .iter()
        .cycle()
        .take(40)
    {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), slow.read_to_end(&mut rest)).await;
    assert!(closed || started.elapsed() < Duration::from_secs(8));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mock_serves_a_client_beside_600_idle_connections_and_closes_them() {
    use pelcro_conformance::mock::{ConnLimits, MockConfig, MockServer};
    let mock = MockServer::start(MockConfig {
        connection_limits: ConnLimits {
            max_connections: 1024,
            idle_timeout: Duration::from_secs(1),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    idle_connections_case(&mock.base_url(), mock.local_addr()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_serves_a_client_beside_600_idle_connections_and_closes_them() {
    use pelcro_conformance::mock::{ConnLimits, MockConfig, MockServer};
    use pelcro_conformance::proxy::{self, ProxyConfig};
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let mut config = ProxyConfig::new(mock.base_url()).unwrap();
    config.connection_limits = ConnLimits {
        max_connections: 1024,
        idle_timeout: Duration::from_secs(1),
    };
    let handle = proxy::start(config).await.unwrap();
    idle_connections_case(&handle.base_url(), handle.local_addr()).await;
    let report = handle.stop().await;
    assert!(
        report.notes[0].contains("1 answer(s) checked"),
        "{:?}",
        report.notes
    );
}
