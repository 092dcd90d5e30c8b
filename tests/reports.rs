//! The file reporters (JUnit, JSON, Markdown, HTML), the report diff, progress lines and the
//! snapshot store, on a report built by hand: a passing suite, a failing suite whose evidence
//! holds a `<script>` and a redacted token, a skipped suite and a not-run step.

use std::path::{Path, PathBuf};

use pelcro_conformance::checks::{CheckKind, CheckResult};
use pelcro_conformance::claims::CLAIMS;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::report::progress::{self, ProgressMode};
use pelcro_conformance::report::{
    self, Evidence, REPORT_FORMAT_VERSION, RunReport, StepOutcome, StepReport, SuiteOutcome,
    SuiteReport, console, diff, html, json, junit, markdown,
};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::snapshot::{self, SnapshotMode, SnapshotOutcome, SnapshotStore};
use serde_json::json;

/// A secret the redactor would have removed; it must appear in no output.
const SECRET: &str = "hunter2";

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "pelcro-reports-{tag}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn check(
    kind: CheckKind,
    subject: &str,
    passed: bool,
    expected: &str,
    actual: &str,
) -> CheckResult {
    CheckResult::documented(kind, subject, passed, expected, actual)
}

fn step(name: &str, outcome: StepOutcome, reason: Option<&str>) -> StepReport {
    StepReport {
        name: name.into(),
        outcome,
        reason: reason.map(Into::into),
        attempts: 1,
        checks: vec![check(CheckKind::Status, "status", true, "200", "200")],
        evidence: None,
        notes: Vec::new(),
        duration_ms: 12,
        reproduction: None,
    }
}

fn suite(
    name: &str,
    claims: &[&str],
    outcome: SuiteOutcome,
    steps: Vec<StepReport>,
) -> SuiteReport {
    SuiteReport {
        name: name.into(),
        file: format!("suites/{}.yaml", name.replace(' ', "-")),
        claims: claims.iter().map(|c| c.to_string()).collect(),
        tags: vec![],
        outcome,
        reason: None,
        steps,
        duration_ms: 40,
        started_at: Some("2025-01-02T03:04:06Z".into()),
    }
}

/// The report: `register` passes (REG-OK), `no token <script>` fails (ERR-401) with evidence and
/// a not-run step, `lockout` is skipped (LOCKOUT).
fn sample() -> RunReport {
    let passing = suite(
        "register a new customer",
        &["REG-OK", "GEN-OK"],
        SuiteOutcome::Passed,
        vec![step("register", StepOutcome::Passed, None)],
    );
    let mut failed_step = step(
        "without a token <script>alert(1)</script>",
        StepOutcome::Failed,
        Some("status: expected 401, got 200"),
    );
    failed_step.checks = vec![
        check(CheckKind::Status, "status", false, "401", "200"),
        check(CheckKind::Schema, "error-401", true, "error-401", "valid"),
    ];
    failed_step.evidence = Some(Evidence {
        method: "POST".into(),
        url: "/customer?site_id=123".into(),
        request_headers: vec![("authorization".into(), "[redacted]".into())],
        request_body: Some(json!({"password": "[redacted]"})),
        status: Some(200),
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: Some(json!({
            "data": {"auth_token": "[redacted jwt]", "note": "<script>alert('x')</script>"}
        })),
    });
    let mut failing = suite(
        "no token",
        &["ERR-401"],
        SuiteOutcome::Failed,
        vec![
            failed_step,
            step(
                "use the token",
                StepOutcome::NotRun,
                Some("`token` was not captured <img src=x onerror=alert(1)>"),
            ),
        ],
    );
    failing.reason = Some("step `without a token`: status: expected 401, got 200".into());
    let mut skipped = suite(
        "lockout after failed logins",
        &["LOCKOUT"],
        SuiteOutcome::Skipped,
        vec![step("fail to log in", StepOutcome::NotRun, None)],
    );
    skipped.reason = Some("the target lacks the `lockout` capability".into());
    RunReport {
        format_version: REPORT_FORMAT_VERSION,
        harness_version: "0.1.0".into(),
        target: "embedded mock".into(),
        site_id: "123".into(),
        profile: "default".into(),
        profile_source: "built in".into(),
        capabilities: vec!["clock".into(), "faults".into()],
        started_at: "2025-01-02T03:04:05Z".into(),
        duration_ms: 1234,
        notes: vec!["a note for the reader".into()],
        registrations: vec!["pc-1@conformance.example.com".into()],
        suites: vec![passing, failing, skipped],
        ..RunReport::default()
    }
}

fn all_outputs(report: &RunReport) -> Vec<(&'static str, String)> {
    let profile = SiteProfile::default();
    vec![
        ("junit", junit::render(report)),
        ("json", json::render(report)),
        ("markdown", markdown::render(report, &profile)),
        ("html", html::render(report, &profile)),
        ("console", console::render(report, true)),
        ("diff", diff::diff(report, report).render()),
    ]
}

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_parses_names_every_suite_and_counts_failures_errors_and_skips() {
    let report = sample();
    let xml = junit::render(&report);
    assert!(xml.starts_with("<?xml"), "{xml}");
    for s in &report.suites {
        assert!(
            xml.contains(&format!("<testsuite name=\"{}\"", s.name)),
            "names suite {}: {xml}",
            s.name
        );
    }
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!(parsed.test_suites.len(), 3);
    assert_eq!(parsed.tests, 4, "one case per step");
    assert_eq!(parsed.failures, 1, "the failed step");
    assert_eq!(parsed.errors, 0);
    let skipped: usize = parsed.test_suites.iter().map(|s| s.skipped).sum();
    assert_eq!(skipped, 2, "the not-run step and the skipped suite's step");
    let failing = &parsed.test_suites[1];
    let props: Vec<(&str, &str)> = failing
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    assert!(
        props.contains(&("file", "suites/no-token.yaml")),
        "{props:?}"
    );
    assert!(props.contains(&("claims", "ERR-401")), "{props:?}");
    // The failure text carries expected vs actual and the evidence.
    assert!(xml.contains("expected: 401"), "{xml}");
    assert!(xml.contains("actual:   200"), "{xml}");
    assert!(xml.contains("POST /customer?site_id=123"), "{xml}");
    assert!(
        xml.contains("the target lacks the `lockout` capability"),
        "{xml}"
    );
    assert!(xml.contains("not run: `token` was not captured"), "{xml}");
    assert!(!xml.contains("<script>"), "escaped in XML: {xml}");
}

#[test]
fn junit_has_timestamps_and_one_property_per_claim() {
    let mut report = sample();
    report.suites[2].started_at = None;
    let xml = junit::render(&report);
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(parsed.timestamp, Some(at("2025-01-02T03:04:05Z")), "{xml}");
    assert_eq!(
        parsed.test_suites[0].timestamp,
        Some(at("2025-01-02T03:04:06Z")),
        "a suite's own start: {xml}"
    );
    assert_eq!(
        parsed.test_suites[2].timestamp,
        Some(at("2025-01-02T03:04:05Z")),
        "a suite that never started has the run's"
    );
    let claims: Vec<&str> = parsed.test_suites[0]
        .properties
        .iter()
        .filter(|p| p.name.as_str() == "claim")
        .map(|p| p.value.as_str())
        .collect();
    assert_eq!(claims, ["REG-OK", "GEN-OK"]);
    // A report whose time does not parse still renders (without a timestamp).
    report.started_at = "yesterday".into();
    let parsed = quick_junit::Report::deserialize_from_str(&junit::render(&report)).unwrap();
    assert_eq!(parsed.timestamp, None);
}

#[test]
fn the_ci_summary_is_short_names_the_failing_claims_and_appends() {
    let report = sample();
    let summary = report::summary::render(&report, Path::new("target/conformance"));
    assert!(
        summary.starts_with(
            "### Pelcro conformance: ✗ FAILED — embedded mock · site 123 · profile default"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("Suites: 1 passed, 1 failed, 1 skipped"),
        "{summary}"
    );
    assert!(
        summary.contains("| ERR-401 | fail (documented) | no token — step `without a token`: status: expected 401, got 200 |"),
        "{summary}"
    );
    assert!(summary.contains("`target/conformance`"), "{summary}");
    assert!(
        !summary.contains("REG-OK"),
        "passing claims are not listed: {summary}"
    );
    // Many failures: capped rows, the rest counted, every line short.
    let mut many = sample();
    let failing = many.suites[1].clone();
    many.suites.clear();
    for claim in CLAIMS.iter().take(30) {
        let mut suite = failing.clone();
        suite.claims = vec![claim.id.into()];
        suite.reason = Some("x".repeat(500));
        many.suites.push(suite);
    }
    let summary = report::summary::render(&many, Path::new("r"));
    assert_eq!(
        summary.matches("\n| ").count(),
        report::summary::MAX_ROWS + 1,
        "{summary}"
    );
    assert!(summary.contains("…and 10 more failing claims"), "{summary}");
    assert!(
        summary.lines().all(|l| l.chars().count() < 260),
        "{summary}"
    );
    let dir = TempDir::new("summary");
    let file = dir.0.join("step-summary.md");
    std::fs::write(&file, "earlier step\n").unwrap();
    report::summary::append(&file, "one\n").unwrap();
    report::summary::append(&file, "two\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "earlier step\none\ntwo\n"
    );
    let error = report::summary::append(&dir.0.join("no/such/dir/x.md"), "x").unwrap_err();
    assert!(error.contains("no/such/dir/x.md"), "{error}");
}

#[test]
fn junit_errored_step_is_an_error_and_a_stepless_skipped_suite_is_one_skipped_case() {
    let mut report = sample();
    report.suites[0].steps[0].outcome = StepOutcome::Errored;
    report.suites[0].steps[0].reason = Some("no answer: connection refused".into());
    report.suites[2].steps.clear();
    let xml = junit::render(&report);
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!(parsed.errors, 1, "{xml}");
    assert!(xml.contains("connection refused"), "{xml}");
    assert_eq!(parsed.test_suites[2].test_cases.len(), 1);
    assert_eq!(
        parsed.test_suites[2].test_cases[0].name.as_str(),
        junit::SUITE_CASE
    );
    assert_eq!(parsed.test_suites[2].skipped, 1);
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_report_validates_against_the_embedded_schema_and_from_dir() {
    let report = sample();
    let value: serde_json::Value = serde_json::from_str(&json::render(&report)).unwrap();
    let embedded = SchemaSet::embedded().expect("schemas load");
    embedded
        .validate(json::SCHEMA, &value)
        .unwrap_or_else(|v| panic!("{v:?}"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let from_dir = SchemaSet::from_dir(&dir).expect("schemas load");
    from_dir
        .validate(json::SCHEMA, &value)
        .unwrap_or_else(|v| panic!("{v:?}"));
}

#[test]
fn the_schema_rejects_a_wrong_version_and_a_bad_outcome() {
    let schemas = SchemaSet::embedded().unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&json::render(&sample())).unwrap();
    value["format_version"] = json!(2);
    assert!(schemas.validate(json::SCHEMA, &value).is_err());
    let mut value: serde_json::Value = serde_json::from_str(&json::render(&sample())).unwrap();
    value["suites"][0]["outcome"] = json!("maybe");
    assert!(schemas.validate(json::SCHEMA, &value).is_err());
}

#[test]
fn json_round_trips_through_parse_and_diffs_empty_against_itself() {
    let report = sample();
    let text = json::render(&report);
    let parsed = json::parse(&text).expect("parses");
    assert_eq!(json::render(&parsed), text, "round trip is lossless");
    let d = diff::diff(&report, &parsed);
    assert!(d.is_empty(), "{d:?}");
    assert!(!d.newly_failing());
    assert!(json::parse("{}").unwrap_err().contains("format_version"));
    assert!(
        json::parse(r#"{"format_version": 9}"#)
            .unwrap_err()
            .contains("not supported")
    );
    assert!(json::parse("nope").unwrap_err().contains("not JSON"));
}

// ---------------------------------------------------------------- Markdown and HTML

#[test]
fn markdown_lists_every_claim_in_order_with_statuses_and_evidence() {
    let report = sample();
    let md = markdown::render(&report, &SiteProfile::default());
    let mut last = 0;
    for claim in CLAIMS {
        let needle = format!("**{}**", markdown::text(claim.id));
        let at = md[last..]
            .find(&needle)
            .unwrap_or_else(|| panic!("claim {} missing or out of order", claim.id));
        last += at;
    }
    let claims_part = &md[md.find("## Claims").unwrap()..];
    let line = |id: &str| {
        claims_part
            .lines()
            .find(|l| l.contains(&format!("**{}**", markdown::text(id))))
            .unwrap()
            .to_string()
    };
    assert!(line("REG-OK").contains("— pass"), "{}", line("REG-OK"));
    assert!(line("ERR-401").contains("— fail"), "{}", line("ERR-401"));
    assert!(line("LOCKOUT").contains("— skipped"), "{}", line("LOCKOUT"));
    assert!(
        line("GEN-HTTPS").contains("— not covered"),
        "{}",
        line("GEN-HTTPS")
    );
    assert!(
        md.contains("the target lacks the `lockout` capability"),
        "{md}"
    );
    assert!(md.contains("Started | 2025-01-02T03:04:05Z"), "{md}");
    assert!(md.contains("Capabilities | clock, faults"), "{md}");
    assert!(md.contains("`invalid_token_status` = **403**"), "{md}");
    assert!(md.contains("`lockout.status` = **400**"), "{md}");
    assert!(md.contains("`auth_token_ttl_days` = **60**"), "{md}");
    assert!(
        md.contains("<details><summary>Request and response (redacted): POST"),
        "{md}"
    );
    assert!(md.contains("expected `401`, actual `200`"), "{md}");
    assert!(md.contains("1 passed, 1 failed, 1 skipped"), "{md}");
    // Text from the run is escaped, or literal inside code spans and fences (never live HTML).
    assert!(
        md.contains("#### step `without a token <script>alert(1)</script>` — failed"),
        "{md}"
    );
    let outside = outside_code(&md);
    assert!(!outside.contains("<script"), "{outside}");
    assert!(!outside.contains("<img"), "{outside}");
    assert!(
        outside.contains("&lt;img src=x"),
        "escaped elsewhere: {outside}"
    );
}

/// Markdown with fenced blocks and code spans removed.
fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(part);
            }
        }
        out.push('\n');
    }
    out
}

/// The sample with an advisory, a reproduction and two accounts: every section present.
fn sample_with_findings() -> RunReport {
    let mut report = sample();
    report.advisories.push(report::Advisory {
        claim: "REG-OK".into(),
        suite: "register a new customer".into(),
        step: "register".into(),
        message: "json /data/x: expected 1, got 2".into(),
        why: Some("the documents are silent".into()),
    });
    report
        .registrations
        .push("pc-2@conformance.example.com".into());
    report.suites[1].steps[0].reproduction =
        Some("# the failing step\ncurl -sS -i -X POST 'http://h/x' \\\n  -H 'Authorization: Bearer '\"$TOKEN\"\n".into());
    report
}

/// Where each needle first appears, in order; panics naming a missing or misplaced one.
fn assert_in_order(text: &str, needles: &[&str]) {
    let mut last = 0;
    for needle in needles {
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` missing: {text}"));
        assert!(at >= last, "`{needle}` is out of order: {text}");
        last = at;
    }
}

#[test]
fn markdown_puts_the_verdict_and_failing_claims_first_and_the_run_facts_last() {
    let md = markdown::render(&sample_with_findings(), &SiteProfile::default());
    assert_in_order(
        &md,
        &[
            "**✗ FAILED**",
            "## Failing claims",
            "- ✗ **ERR-401** fail (documented): no token — step `without a token`: status: expected 401, got 200",
            "## Advisories",
            "## Claims",
            "## Failures",
            "Request and response (redacted)",
            "Reproduce (secrets are shell variables)",
            "```sh\n# the failing step",
            "## Suites",
            "## Run",
            "| Started | 2025-01-02T03:04:05Z |",
            "<details><summary>2 accounts this run registered</summary>",
            "pc-2@conformance.example.com",
        ],
    );
    let failing = &md[md.find("## Failing claims").unwrap()..md.find("## Advisories").unwrap()];
    assert_eq!(
        failing.matches("- ✗").count(),
        1,
        "one line per failing claim: {failing}"
    );
}

#[test]
fn html_puts_the_verdict_and_failing_claims_first_and_the_run_facts_last() {
    let page = html::render(&sample_with_findings(), &SiteProfile::default());
    assert_in_order(
        &page,
        &[
            "<p class=\"verdict fail\">✗ FAILED</p>",
            "<h2>Failing claims</h2>",
            "<span class=\"mark fail\">✗ fail (documented)</span> <a href=\"#claim-ERR-401\"><strong>ERR-401</strong></a>: no token — step <code>without a token</code>: status: expected 401, got 200",
            "<h2>Advisories</h2>",
            "<h2>Claims</h2>",
            "<h2>Failures</h2>",
            "<details class=\"evidence\">",
            "<pre class=\"reproduction\">",
            "<h2>Suites</h2>",
            "<h2>Run</h2>",
            "<details class=\"accounts\"><summary>2 accounts this run registered</summary>",
        ],
    );
}

/// The characters of the emoji marks the reports used to print (and the emoji selector).
const EMOJI: &[char] = &['✅', '❌', '⚠', '⏭', '⏸', '⚪', '☑', '\u{fe0f}'];

#[test]
fn marks_are_words_with_text_symbols_never_emoji() {
    let report = sample_with_findings();
    let profile = SiteProfile::default();
    let md = markdown::render(&report, &profile);
    let page = html::render(&report, &profile);
    for (name, text) in [("markdown", &md), ("html", &page)] {
        assert!(!text.contains(EMOJI), "{name} holds an emoji: {text}");
        assert!(
            !text
                .chars()
                .any(|c| ('\u{1F000}'..='\u{1FAFF}').contains(&c)),
            "{name} holds an emoji"
        );
    }
    assert!(md.contains("- ✓ **REG-OK** — pass"), "{md}");
    assert!(md.contains("- ⊘ **LOCKOUT** — skipped"), "{md}");
    assert!(md.contains("- ○ **GEN-HTTPS** — not covered"), "{md}");
    assert!(
        md.contains("| ✓ passed | register a new customer |"),
        "{md}"
    );
    // In HTML the box's colour and border differ too; the symbol and word carry it in greyscale.
    assert!(
        page.contains("<span class=\"mark pass\">✓ pass</span>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"mark skipped\">⊘ skipped</span>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"mark uncovered\">○ not covered</span>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"mark advised\">! advisory</span>"),
        "{page}"
    );
    assert!(page.contains(".mark.skipped{") && page.contains("border-style:dashed"));
}

#[test]
fn html_prints_the_evidence_expanded_and_shows_no_raw_markdown() {
    let page = html::render(&sample_with_findings(), &SiteProfile::default());
    let print = page.find("@media print{").expect("a print style");
    let rules = &page[print..page[print..].find("\n").unwrap() + print];
    assert!(
        rules.contains("details.evidence{display:none}")
            && rules.contains(".print-only{display:block}"),
        "{rules}"
    );
    let folded = page.find("<details class=\"evidence\">").unwrap();
    let printed = page.find("<div class=\"print-only\">").unwrap();
    assert!(printed > folded);
    assert!(
        page[printed..].contains("POST /customer?site_id=123"),
        "the printed copy holds the evidence"
    );
    // Outside <pre>, no Markdown: no backtick, no *emphasis* (the claims' own is <em>).
    let mut outside = String::new();
    for (i, part) in page.split("<pre").enumerate() {
        outside.push_str(if i == 0 {
            part
        } else {
            part.split_once("</pre>").map_or("", |(_, rest)| rest)
        });
    }
    let style_end = outside.find("</style>").unwrap();
    let body = &outside[style_end..];
    assert!(!body.contains('`'), "a backtick outside <pre>: {body}");
    assert!(!body.contains("*inferred*"), "{body}");
    assert!(body.contains("(<em>inferred</em>)"), "{body}");
    assert!(body.contains("step <code>without a token</code>"), "{body}");
}

#[test]
fn markdown_and_html_show_the_notes_and_the_accounts_registered() {
    let report = sample();
    let markdown = markdown::render(&report, &SiteProfile::default());
    let html = html::render(&report, &SiteProfile::default());
    for text in [&markdown, &html] {
        assert!(text.contains("a note for the reader"), "{text}");
        assert!(text.contains("pc-1@conformance.example.com"), "{text}");
    }
}

#[test]
fn markdown_reflects_the_profile_variations() {
    let mut profile = SiteProfile {
        invalid_token_status: 401,
        auth_token_ttl_days: 30,
        ..SiteProfile::default()
    };
    profile.lockout.status = 429;
    let md = markdown::render(&sample(), &profile);
    assert!(md.contains("`invalid_token_status` = **401**"), "{md}");
    assert!(md.contains("`lockout.status` = **429**"), "{md}");
    assert!(md.contains("`auth_token_ttl_days` = **30**"), "{md}");
}

#[test]
fn html_is_self_contained_lists_every_claim_and_escapes_script() {
    let report = sample();
    let page = html::render(&report, &SiteProfile::default());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        !page.contains("<script"),
        "nothing from the run is live HTML"
    );
    assert!(!page.contains("<img"), "nothing from the run is live HTML");
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(
        page.contains("without a token &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("src=\"http"), "no external resources");
    assert!(!page.contains("href=\"http"), "no external resources");
    assert!(!page.contains("<link"), "no external stylesheets");
    for claim in CLAIMS {
        assert!(
            page.contains(&format!("id=\"claim-{}\"", claim.id)),
            "claim {}",
            claim.id
        );
    }
    assert!(page.contains("<code>invalid_token_status</code> = <strong>403</strong>"));
}

#[test]
fn no_output_contains_a_jwt_or_the_planted_secret() {
    let report = sample();
    for (name, text) in all_outputs(&report) {
        assert!(!text.contains("eyJ"), "{name} holds a JWT: {text}");
        assert!(!text.contains(SECRET), "{name} holds the secret: {text}");
        if !matches!(name, "console" | "diff") {
            assert!(
                text.contains("[redacted"),
                "{name} keeps the redaction marks"
            );
        }
    }
}

#[test]
fn write_all_writes_the_four_files_and_names_the_path_on_error() {
    let dir = TempDir::new("write-all");
    let out = dir.0.join("nested/reports");
    let paths = report::write_all(&sample(), &out, &SiteProfile::default()).expect("written");
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["report.json", "junit.xml", "report.md", "report.html"]
    );
    for path in &paths {
        assert!(
            std::fs::metadata(path).unwrap().len() > 100,
            "{}",
            path.display()
        );
    }
    // A file where the folder should be.
    let blocker = dir.0.join("blocker");
    std::fs::write(&blocker, "x").unwrap();
    let err = report::write_all(&sample(), &blocker, &SiteProfile::default()).unwrap_err();
    assert!(err.contains("blocker"), "{err}");
}

// ---------------------------------------------------------------- diff

#[test]
fn diff_detects_newly_failing_fixed_and_skip_changes() {
    let old = sample();
    let mut new = sample();
    // Fixed: `no token` passes now.
    new.suites[1].outcome = SuiteOutcome::Passed;
    new.suites[1].reason = None;
    // Newly failing: `register` fails.
    new.suites[0].outcome = SuiteOutcome::Failed;
    new.suites[0].reason = Some("status: expected 200, got 500".into());
    // Skip reason changed.
    new.suites[2].reason = Some("lockout checks on live need --destructive".into());
    // Added (skipped) and removed.
    let mut added = suite(
        "passwordless",
        &["PWL-LOGIN"],
        SuiteOutcome::Skipped,
        vec![],
    );
    added.reason = Some("passwordless is off for this site".into());
    new.suites.push(added);

    let d = diff::diff(&old, &new);
    assert!(d.newly_failing());
    assert_eq!(d.newly_failing_suites[0].0, "register a new customer");
    let failing_claims: Vec<&str> = d
        .newly_failing_claims
        .iter()
        .map(|(c, _)| c.as_str())
        .collect();
    assert_eq!(failing_claims, ["GEN-OK", "REG-OK"]);
    assert_eq!(d.fixed_suites, ["no token"]);
    assert_eq!(d.fixed_claims, ["ERR-401"]);
    assert_eq!(d.skip_reason_changed.len(), 1);
    assert_eq!(d.newly_skipped[0].suite, "passwordless");
    assert_eq!(d.added_suites[0].0, "passwordless");
    let text = d.render();
    assert!(text.contains("Newly failing claims (2)"), "{text}");
    assert!(text.contains("Fixed claims (1)"), "{text}");
    assert!(text.contains("Skip reason changed (1)"), "{text}");
    assert!(text.contains("verdict: something newly fails"), "{text}");

    // The other way round: nothing newly fails, a suite was removed, one is no longer skipped.
    let mut back = old.clone();
    back.suites[2].outcome = SuiteOutcome::Passed;
    let d = diff::diff(&new, &back);
    assert!(
        d.removed_suites.contains(&"passwordless".to_string()),
        "{d:?}"
    );
    assert_eq!(d.no_longer_skipped[0].0, "lockout after failed logins");
    assert_eq!(d.fixed_suites, ["register a new customer"]);
    assert!(d.newly_failing(), "no token fails again");
}

#[test]
fn run_diff_reads_files_and_names_the_bad_one() {
    let dir = TempDir::new("diff");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports/previous.json");
    let new_path = dir.0.join("new.json");
    std::fs::write(&new_path, json::render(&sample())).unwrap();
    let (text, newly_failing) = diff::run_diff(&fixture, &new_path).expect("both readable");
    assert!(newly_failing, "the fixture's `no token` passed: {text}");
    assert!(text.contains("✗ no token"), "{text}");
    let (_, newly_failing) = diff::run_diff(&new_path, &new_path).unwrap();
    assert!(!newly_failing);

    let missing = dir.0.join("missing.json");
    let err = diff::run_diff(&missing, &new_path).unwrap_err();
    assert!(err.contains("missing.json"), "{err}");
    let garbage = dir.0.join("garbage.json");
    std::fs::write(&garbage, "{\"format_version\": 1}").unwrap();
    let err = diff::run_diff(&new_path, &garbage).unwrap_err();
    assert!(
        err.contains("garbage.json") && err.contains("missing field"),
        "{err}"
    );
}

// ---------------------------------------------------------------- console and progress

#[test]
fn coloured_console_keeps_the_count_line_last_and_plain() {
    let report = sample();
    let plain = console::render(&report, false);
    let coloured = console::render_coloured(&report, false, true);
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[31m✗\x1b[0m no token"), "{coloured}");
    assert!(coloured.contains("\x1b[32m✓\x1b[0m register"), "{coloured}");
    let last = coloured.trim_end().lines().last().unwrap();
    assert_eq!(last, "1 passed, 1 failed, 1 skipped");
    assert_eq!(console::render_coloured(&report, false, false), plain);
}

#[test]
fn progress_modes_colour_rules_and_plain_lines() {
    assert_eq!(progress::decide(true, true, None), ProgressMode::Bar);
    assert_eq!(progress::decide(false, true, None), ProgressMode::Plain);
    assert_eq!(
        progress::decide(true, true, Some("true")),
        ProgressMode::Plain
    );
    assert_eq!(progress::decide(true, true, Some("")), ProgressMode::Bar);
    assert!(progress::colour_allowed(true, None));
    assert!(
        progress::colour_allowed(true, Some("")),
        "empty NO_COLOR does not count"
    );
    assert!(!progress::colour_allowed(true, Some("1")));
    assert!(!progress::colour_allowed(false, None));

    let report = sample();
    let progress = progress::Progress::with_mode(3, ProgressMode::Hidden, false);
    let lines: Vec<String> = report
        .suites
        .iter()
        .map(|s| progress.suite_finished(s))
        .collect();
    progress.finish();
    assert_eq!(progress.done(), 3);
    assert_eq!(lines[0], "[1/3] ✓ register a new customer (40 ms)");
    assert!(
        lines[1].starts_with("[2/3] ✗ no token (40 ms): step"),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        "[3/3] - lockout after failed logins: skipped: the target lacks the `lockout` capability"
    );
    let coloured = progress::suite_line(&report.suites[2], 3, 3, true);
    assert!(coloured.contains("\x1b[33m-\x1b[0m"), "{coloured}");
}

// ---------------------------------------------------------------- snapshots

fn response(id: u64, token: &str, email: &str, when: &str) -> serde_json::Value {
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        (
            "Date".to_string(),
            "Tue, 07 Jan 2025 10:00:00 GMT".to_string(),
        ),
        ("X-Other".to_string(), "left out".to_string()),
    ];
    let body = json!({
        "data": {
            "id": id,
            "email": email,
            "username": format!("pc_user_{id}"),
            "auth_token": token,
            "created_at": when,
            "site_id": 123,
            "note": format!("sent to {email}"),
            "jwt": {"iat": 1_700_000_000u64 + id, "exp": 1_705_000_000u64 + id, "jti": format!("j{id}")},
            "seen": when,
            "name": "Ada"
        },
        "error": {"report_id": null}
    });
    snapshot::response_snapshot(200, &headers, &["content-type", "date"], Some(&body))
}

#[test]
fn stabilize_replaces_what_changes_between_runs_and_is_deterministic() {
    let a = response(
        7,
        "eyJhbGci.eyJzdWIi.c2ln",
        "pc-1-aa@conformance.example.com",
        "2025-01-07T10:00:00Z",
    );
    let b = response(
        8,
        "eyJhbGci.eyJzdWIiOjh9.c2lnMg",
        "pc-2-bb@conformance.example.com",
        "2025-01-08 11:30:00",
    );
    let sa = snapshot::stabilize(&a);
    assert_eq!(sa, snapshot::stabilize(&b), "two runs look the same");
    let data = &sa["body"]["data"];
    assert_eq!(data["id"], "[id]");
    assert_eq!(data["site_id"], "[id]");
    assert_eq!(data["auth_token"], "[token]");
    assert_eq!(data["email"], "[email]");
    assert_eq!(data["note"], "sent to [email]");
    assert_eq!(data["username"], "[generated]");
    assert_eq!(data["created_at"], "[timestamp]");
    assert_eq!(data["seen"], "[timestamp]");
    assert_eq!(data["jwt"]["iat"], "[timestamp]");
    assert_eq!(data["jwt"]["jti"], "[jti]");
    assert_eq!(data["name"], "Ada", "ordinary values stay");
    assert_eq!(sa["body"]["error"]["report_id"], serde_json::Value::Null);
    assert_eq!(sa["headers"]["date"], "[timestamp]");
    assert_eq!(sa["headers"]["content-type"], "application/json");
    assert!(
        sa["headers"].get("x-other").is_none(),
        "only chosen headers"
    );
    assert_eq!(
        snapshot::stabilize(&json!("Pc!0badf00dx1234")),
        json!("[generated]")
    );
    assert_eq!(
        snapshot::stabilize(&json!({"report_id": 55})),
        json!({"report_id": "[report_id]"})
    );
}

#[test]
fn snapshot_check_update_accept_flow() {
    let dir = TempDir::new("snapshots");
    let snaps = dir.0.join("snapshots");
    let first = response(
        1,
        "eyJhbGci.eyJzdWIi.c2ln",
        "pc-1@conformance.example.com",
        "2025-01-07T10:00:00Z",
    );
    let second = response(
        2,
        "eyJhbGci.eyJzdWIiOjJ9.c2ln",
        "pc-2@conformance.example.com",
        "2025-01-08T10:00:00Z",
    );
    let suite = "Register a new customer!";
    let step = "register <one>";

    // Check with nothing stored: a failure, and a pending file for review.
    let check = SnapshotStore::new(snaps.clone(), SnapshotMode::Check);
    let path = check.path(suite, step);
    assert_eq!(
        path.file_name().unwrap().to_string_lossy(),
        "register-a-new-customer__register-one.snap"
    );
    let outcome = check.check(suite, step, &first);
    let SnapshotOutcome::New(pending) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(pending.to_string_lossy().ends_with(".snap.new"));
    assert!(
        outcome
            .failure(SnapshotMode::Check)
            .unwrap()
            .contains("no stored snapshot; run with --update-snapshots")
    );
    assert!(!path.exists());

    // Update: still pending, not a failure.
    let update = SnapshotStore::new(snaps.clone(), SnapshotMode::Update);
    let outcome = update.check(suite, step, &first);
    assert!(matches!(outcome, SnapshotOutcome::New(_)), "{outcome:?}");
    assert_eq!(outcome.failure(SnapshotMode::Update), None);
    let pending_text = std::fs::read_to_string(pending).unwrap();
    let parsed = insta::Snapshot::from_file(pending).expect("insta reads the pending file");
    assert_eq!(
        parsed.metadata().description(),
        Some("Register a new customer! / register <one>")
    );

    // Accept writes the .snap and removes the pending file.
    let accept = SnapshotStore::new(snaps.clone(), SnapshotMode::Accept);
    assert_eq!(
        accept.check(suite, step, &first),
        SnapshotOutcome::Written(path.clone())
    );
    assert!(!pending.exists());
    let stored = std::fs::read_to_string(&path).unwrap();
    assert_eq!(stored, pending_text, "the accepted file is the pending one");
    let snap = insta::Snapshot::from_file(&path).expect("insta reads the .snap");
    let body = snap.contents().as_text().unwrap().to_string();
    assert!(body.contains("\"auth_token\": \"[token]\""), "{body}");
    assert!(!stored.contains("eyJ"), "{stored}");

    // A second run with other ids, tokens and times matches byte for byte.
    assert_eq!(check.check(suite, step, &second), SnapshotOutcome::Matched);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), stored);
    assert!(!pending.exists());

    // A real change: a failure with a readable diff and a pending file.
    let mut changed = second.clone();
    changed["status"] = json!(201);
    changed["body"]["data"]["name"] = json!("Grace");
    let outcome = check.check(suite, step, &changed);
    let SnapshotOutcome::Changed { diff, pending: p } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        diff.contains("-  \"status\": 200") && diff.contains("+  \"status\": 201"),
        "{diff}"
    );
    assert!(diff.contains("-      \"name\": \"Ada\""), "{diff}");
    assert!(p.exists());
    assert!(
        outcome
            .failure(SnapshotMode::Check)
            .unwrap()
            .contains("differs")
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        stored,
        "Check leaves the .snap"
    );
    // Accepting the change overwrites the .snap.
    assert_eq!(
        accept.check(suite, step, &changed),
        SnapshotOutcome::Written(path.clone())
    );
    assert_eq!(check.check(suite, step, &changed), SnapshotOutcome::Matched);
}

#[test]
fn an_unreadable_stored_snapshot_is_an_error_naming_the_file() {
    let dir = TempDir::new("bad-snap");
    let store = SnapshotStore::new(dir.0.clone(), SnapshotMode::Check);
    let path = store.path("s", "t");
    std::fs::write(&path, "---\nsource: [unclosed\n---\n{}\n").unwrap();
    let outcome = store.check("s", "t", &json!({}));
    let SnapshotOutcome::Error(message) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("s__t.snap"), "{message}");
    assert!(outcome.failure(SnapshotMode::Update).is_some());
}
