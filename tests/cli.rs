//! The command line as a user meets it: exit codes, messages that name the place, no panics.

mod common;

use common::{TempDir, cli, stderr, stdout};

const GOOD_SUITE: &str = "name: no token
claims: [ERR-401]
steps:
  - name: without a token
    request: { method: POST, path: /customer }
    expect: { status: 401, schema: error-401 }
";

#[test]
fn a_full_run_against_the_mock_passes_and_ends_with_the_count_line() {
    let output = cli(&["run"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    let last = out.lines().last().unwrap_or_default();
    assert!(
        regex::Regex::new(r"^\d+ passed, 0 failed, \d+ skipped$")
            .unwrap()
            .is_match(last),
        "last line: {last}"
    );
    assert!(out.contains("✓ register a new customer"), "{out}");
}

#[test]
fn a_suite_expecting_a_wrong_status_fails_with_exit_1_naming_suite_step_expected_actual() {
    let dir = TempDir::new("wrong-status");
    dir.write(
        "wrong.yaml",
        GOOD_SUITE.replace("status: 401", "status: 200"),
    );
    let output = cli(&["run", "--suites", dir.path()]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    assert!(out.contains("✗ no token"), "names the suite: {out}");
    assert!(
        out.contains("step `without a token`"),
        "names the step: {out}"
    );
    assert!(
        out.contains("expected: 200"),
        "names the expectation: {out}"
    );
    assert!(
        out.contains("actual:   401"),
        "names the actual status: {out}"
    );
    assert!(
        out.trim_end().ends_with("0 passed, 1 failed, 0 skipped"),
        "{out}"
    );
}

#[test]
fn list_shows_the_suites_without_running_them() {
    let output = cli(&[
        "run",
        "--list",
        "--target",
        "https://pelcro.invalid",
        "--site-id",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("register a new customer  [REG-OK"));
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    let output = cli(&["run", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--no-such-flag"));
    let output = cli(&["run", "--jobs", "0"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_malformed_suite_names_file_line_and_column() {
    let dir = TempDir::new("malformed");
    dir.write("bad.yaml", "name: x\nclaims: [ERR-401]\nsteps:\n  - name: a\n    request: { method: POST, path: /customer, jsn: {} }\n");
    let output = cli(&["run", "--suites", dir.path()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("bad.yaml:5:"), "{err}");
    assert!(err.contains("jsn"), "{err}");
}

#[test]
fn semantic_suite_errors_are_placed_and_all_reported() {
    let dir = TempDir::new("semantic");
    dir.write(
        "a-schema.yaml",
        GOOD_SUITE.replace("schema: error-401", "schema: error-4O1"),
    );
    dir.write(
        "b-variable.yaml",
        GOOD_SUITE.replace("path: /customer", "path: /customer, bearer: \"{{ tokn }}\""),
    );
    dir.write("c-claim.yaml", GOOD_SUITE.replace("ERR-401", "ERR-999"));
    dir.write(
        "d-profile.yaml",
        GOOD_SUITE.replace("status: 401", "status: \"{{ profile.lockout.atempts }}\""),
    );
    dir.write("e-utf8.yaml", b"name: \xff\n".as_slice());
    let output = cli(&["run", "--suites", dir.path()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    for expected in [
        "a-schema.yaml:6:",
        "unknown schema `error-4O1`",
        "b-variable.yaml:5:",
        "unknown variable `tokn`",
        "c-claim.yaml:2:",
        "`ERR-999` is not a claim ID",
        "d-profile.yaml:6:",
        "the profile has no `lockout.atempts`",
        "e-utf8.yaml:1:7: not valid UTF-8",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
}

#[test]
fn a_bad_profile_is_a_usage_error_with_its_place() {
    let dir = TempDir::new("profile");
    let profile = dir.write("p.yaml", "name: x\nauth_token_ttl_days: 400\n");
    let output = cli(&["run", "--profile", profile.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("p.yaml:2:1: auth_token_ttl_days: 400 is outside 1..=365"),
        "{}",
        stderr(&output)
    );
    let output = cli(&["run", "--profile", "no-such-profile"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no built-in profile of that name"));
}

#[test]
fn an_unreachable_target_exits_3_and_still_writes_the_reports() {
    // Port 9 (discard) on loopback: nothing listens there on a test machine.
    let reports = TempDir::new("unreachable");
    let args = [
        "run",
        "--target",
        "http://127.0.0.1:9",
        "--site-id",
        "1",
        "--connect-timeout",
        "2",
        "--report-dir",
    ];
    let output = cli(&[&args[..], &[reports.path()]].concat());
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{out}{}", stderr(&output));
    assert!(
        stderr(&output).contains("127.0.0.1:9"),
        "{}",
        stderr(&output)
    );
    assert!(
        regex::Regex::new(r"(?m)^0 passed, 0 failed, [1-9][0-9]* skipped$")
            .unwrap()
            .is_match(&out),
        "{out}"
    );
    // The nightly job still gets a report saying why nothing ran.
    let markdown =
        std::fs::read_to_string(reports.0.join("report.md")).expect("report.md is written");
    assert!(markdown.contains("could not be reached"), "{markdown}");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_any_request() {
    let output = cli(&["run", "--target", "http://www.pelcro.com", "--site-id", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("plain HTTP is refused"));
    let output = cli(&["run", "--target", "https://www.pelcro.com"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "a URL target needs a site id"
    );
}

#[test]
fn no_token_or_password_reaches_the_console() {
    let output = cli(&["run", "-v"]);
    let out = stdout(&output);
    assert!(out.contains("ok"), "{out}");
    assert!(!out.contains("eyJ"), "a JWT reached the console:\n{out}");
    assert!(
        !out.contains("Pc!"),
        "a generated password reached the console:\n{out}"
    );
}

#[cfg(unix)]
#[test]
fn a_suite_link_pointing_outside_the_suites_folder_is_refused() {
    let outside = TempDir::new("outside");
    let secret = outside.write("elsewhere.yaml", GOOD_SUITE);
    let dir = TempDir::new("links");
    dir.write(
        "ok.yaml",
        GOOD_SUITE.replace("name: no token", "name: fine"),
    );
    std::os::unix::fs::symlink(&secret, dir.0.join("escape.yaml")).unwrap();
    let output = cli(&["run", "--suites", dir.path()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("escape.yaml: points outside the suites folder; refused"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_run_and_reports_what_ran() {
    // One suite holds the mock for a while (a 1.5 s delay fault); Ctrl-C arrives meanwhile.
    let dir = TempDir::new("interrupt");
    dir.write(
        "a-slow.yaml",
        "name: slow
claims: [SITE]
requires: [faults, control]
steps:
  - name: script a delay
    request: { method: POST, path: /faults, control: true, json: { method: GET, path: /site, fault: { type: delay, ms: 1500 } } }
    expect: { status: 200 }
  - name: slow site
    request: { method: GET, path: /site }
    expect: { status: 200 }
  - name: after the interrupt
    request: { method: GET, path: /site }
    expect: { status: 200 }
",
    );
    let reports = TempDir::new("interrupt-reports");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pelcro-conformance"))
        .args([
            "run",
            "--suites",
            dir.path(),
            "--report-dir",
            reports.path(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    std::thread::sleep(std::time::Duration::from_millis(700));
    common::ctrl_c(&child);
    let started = std::time::Instant::now();
    let output = child.wait_with_output().expect("the run ends");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the run ended promptly"
    );
    let out = stdout(&output);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{out}{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(
        out.contains("step `after the interrupt` (")
            && out.contains("interrupted (Ctrl-C) before it ran"),
        "{out}"
    );
    // Cut short is its own outcome, never a failure.
    assert!(
        out.trim_end()
            .ends_with("0 passed, 0 failed, 0 skipped, 1 interrupted"),
        "{out}"
    );
    let report = std::fs::read_to_string(reports.0.join("report.json")).expect("report.json");
    assert!(report.contains("\"outcome\": \"interrupted\""), "{report}");
    assert!(!report.contains("\"outcome\": \"failed\""), "{report}");
}

#[test]
fn a_run_writes_four_reports_and_diff_tells_what_newly_fails() {
    let suites = TempDir::new("diff-suites");
    suites.write("s.yaml", GOOD_SUITE);
    let (before, after) = (TempDir::new("diff-before"), TempDir::new("diff-after"));
    let output = cli(&[
        "run",
        "--suites",
        suites.path(),
        "--report-dir",
        before.path(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for file in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(before.0.join(file).exists(), "{file} was not written");
    }
    suites.write("s.yaml", GOOD_SUITE.replace("status: 401", "status: 200"));
    let output = cli(&[
        "run",
        "--suites",
        suites.path(),
        "--report-dir",
        after.path(),
    ]);
    assert_eq!(output.status.code(), Some(1));

    let old = before.0.join("report.json");
    let new = after.0.join("report.json");
    let worse = cli(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(
        worse.status.code(),
        Some(1),
        "{}{}",
        stdout(&worse),
        stderr(&worse)
    );
    assert!(
        stdout(&worse).contains("no token"),
        "names the suite: {}",
        stdout(&worse)
    );
    assert!(
        stdout(&worse).contains("ERR-401"),
        "names the claim: {}",
        stdout(&worse)
    );
    let better = cli(&["diff", new.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(better.status.code(), Some(0), "{}", stdout(&better));
    let unreadable = cli(&["diff", old.to_str().unwrap(), "/no/such/report.json"]);
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(stderr(&unreadable).contains("/no/such/report.json"));
}

#[test]
fn the_claims_command_lists_every_claim_with_its_checks_by_level() {
    let output = cli(&["claims"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("claim "), "{out}");
    for claim in pelcro_conformance::claims::CLAIMS {
        assert!(
            out.lines().any(|l| l.starts_with(claim.id)),
            "{} missing",
            claim.id
        );
    }
    let output = cli(&["claims", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let claims = json["claims"].as_array().unwrap();
    assert_eq!(claims.len(), pelcro_conformance::claims::CLAIMS.len());
    let bearer = claims.iter().find(|c| c["id"] == "TOKEN-BEARER").unwrap();
    assert!(bearer["checks"]["documented"].as_u64().unwrap() > 0);
    assert!(
        bearer["checks"]["assumed"].as_u64().unwrap() > 0,
        "the malformed-token wording is an assumption: {bearer}"
    );
    let bad = cli(&["claims", "--format", "yaml"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_main_run_has_no_advisory_and_no_snapshot_change_and_passes_strict() {
    let dir = TempDir::new("strict-run");
    let output = cli(&[
        "run",
        "--strict",
        "--fail-on-snapshot-change",
        "--report-dir",
        dir.path(),
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert!(
        out.contains("0 advisories · 0 snapshot changes · strict"),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.0.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["advisories"], serde_json::json!([]));
    assert_eq!(report["snapshot_changes"], serde_json::json!([]));
    assert_eq!(report["strict"], true);
}

const ASSUMING_SUITE: &str = "name: an assumption the mock breaks
claims: [ERR-401]
steps:
  - name: without a token
    request: { method: POST, path: /customer }
    expect: { status: 401, schema: error-401 }
    assume:
      why: a made-up wording, to see an advisory
      json: { /error/message: Please log in first }
";

#[test]
fn a_failed_assumption_is_an_advisory_and_fails_only_under_strict() {
    let dir = TempDir::new("advisory");
    dir.write("suites/assume.yaml", ASSUMING_SUITE);
    let suites = dir.0.join("suites");
    let reports = dir.0.join("reports");
    let args = |strict: bool| {
        let mut args = vec![
            "run".to_string(),
            "--suites".into(),
            suites.display().to_string(),
            "--report-dir".into(),
            reports.display().to_string(),
        ];
        if strict {
            args.push("--strict".into());
        }
        args
    };
    let plain: Vec<String> = args(false);
    let output = cli(&plain.iter().map(String::as_str).collect::<Vec<_>>());
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert!(out.contains("Advisories"), "{out}");
    assert!(out.contains("assumed because: a made-up wording"), "{out}");
    assert!(out.contains("1 advisory · 0 snapshot changes"), "{out}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("report.json")).unwrap()).unwrap();
    let advisory = &report["advisories"][0];
    assert_eq!(advisory["claim"], "ERR-401");
    assert_eq!(advisory["suite"], "an assumption the mock breaks");
    assert_eq!(advisory["step"], "without a token");
    assert!(
        advisory["message"]
            .as_str()
            .unwrap()
            .contains("Please log in first"),
        "{advisory}"
    );
    let md = std::fs::read_to_string(reports.join("report.md")).unwrap();
    assert!(md.contains("## Advisories"), "{md}");
    assert!(md.contains("pass, with 1 advisory"), "{md}");
    let html = std::fs::read_to_string(reports.join("report.html")).unwrap();
    assert!(html.contains("<h2>Advisories</h2>"));
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains("advisory (assumed)"), "{junit}");

    let strict: Vec<String> = args(true);
    let output = cli(&strict.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let md = std::fs::read_to_string(reports.join("report.md")).unwrap();
    assert!(md.contains("fail (assumed)"), "{md}");
}

#[test]
fn an_undocumented_wording_under_expect_is_refused_naming_the_place() {
    let dir = TempDir::new("undocumented");
    dir.write(
        "s.yaml",
        ASSUMING_SUITE
            .replace(
                "    assume:\n      why: a made-up wording, to see an advisory\n",
                "",
            )
            .replace(
                "expect: { status: 401, schema: error-401 }\n      json:",
                "expect:\n      json:",
            ),
    );
    let output = cli(&["run", "--suites", dir.path()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("s.yaml:"), "{err}");
    assert!(err.contains("is not quoted by claims.md"), "{err}");
    assert!(err.contains("under `assume:`"), "{err}");
}

#[test]
fn check_loads_everything_without_a_request_and_exits_2_on_a_bad_suite() {
    let output = cli(&["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("ok: "), "{}", stdout(&output));
    let dir = TempDir::new("check-bad");
    dir.write("good.yaml", GOOD_SUITE);
    dir.write(
        "bad.yaml",
        GOOD_SUITE.replace("claims: [ERR-401]", "claims: [NO-SUCH]"),
    );
    let output = cli(&["check", "--suites", dir.path()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.yaml:2:"), "{err}");
    let output = cli(&["check", "--profile", "no-such-profile"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn completions_and_the_man_page_are_generated_from_the_command_line() {
    for shell in ["bash", "zsh", "fish"] {
        let output = cli(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(stdout(&output).contains("pelcro-conformance"), "{shell}");
    }
    assert_eq!(cli(&["completions", "tcsh"]).status.code(), Some(2));
    let output = cli(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    let page = stdout(&output);
    assert!(page.contains(".TH pelcro-conformance 1"), "{page}");
    assert!(page.contains("claims"), "subcommands are listed");
}

/// The binary run from a folder of its own, as an installed one is.
fn cli_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pelcro-conformance"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("PELCRO_SITE_ID")
        .env_remove("PELCRO_EMAIL")
        .env_remove("PELCRO_PASSWORD")
        .env("NO_COLOR", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

#[test]
fn a_run_from_another_folder_compares_with_the_built_in_baselines_and_writes_only_its_reports() {
    let dir = TempDir::new("elsewhere");
    let output = cli_in(&dir.0, &["run", "--report-dir", "reports"], &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let written: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, ["reports"]);
    assert!(
        !dir.0.join("reports").join("snapshots").exists(),
        "no pending snapshot"
    );
}

#[test]
fn an_exported_site_id_is_followed_by_the_embedded_mock_which_records_baselines_of_its_own() {
    let dir = TempDir::new("site-id");
    let output = cli_in(
        &dir.0,
        &["run", "--report-dir", "reports"],
        &[("PELCRO_SITE_ID", "123")],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let report = std::fs::read_to_string(dir.0.join("reports/report.json")).unwrap();
    assert!(report.contains("\"site_id\": \"123\""), "{report}");
    assert!(
        dir.0
            .join("reports/baselines/embedded-mock/site-123/default")
            .is_dir()
    );
    assert!(
        stderr(&output).contains("note: new baselines:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn accepting_snapshots_into_the_read_only_built_in_baselines_is_a_usage_error() {
    let dir = TempDir::new("accept");
    let output = cli_in(&dir.0, &["run", "--accept-snapshots"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--snapshots"),
        "{}",
        stderr(&output)
    );
}
