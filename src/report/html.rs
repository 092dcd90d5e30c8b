//! The compliance report as one self-contained HTML page: inline CSS, no scripts, no external
//! resources. The same content as the Markdown report; every piece of text is HTML-escaped.

use std::fmt::Write as _;

use crate::profile::SiteProfile;

use super::coverage::{self, ClaimStatus, evidence_text, human_duration};
use super::{RunReport, StepOutcome, SuiteOutcome, SuiteReport};

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
code{background:#f6f8fa;padding:0 .2em;border-radius:3px}pre{background:#f6f8fa;padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
.pass{color:#1a7f37}.fail{color:#cf222e}.skipped,.partly,.advised{color:#9a6700}.uncovered{color:#6e7781}
.verdict{font-size:1.1rem;font-weight:600}.claims td:first-child{white-space:nowrap}
ul.suites{margin:.2rem 0;padding-left:1.2rem}details{margin:.4rem 0}summary{cursor:pointer}
";

/// The advisories and the snapshot changes, each in a section of its own.
fn findings(out: &mut String, report: &RunReport) {
    if !report.advisories.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Advisories</h2>\n<p>{}</p>\n<ul class=\"advisories\">",
            esc(coverage::advisories_intro(report.strict))
        );
        for a in &report.advisories {
            let why = a
                .why
                .as_deref()
                .map(|w| format!("<br><small>assumed because: {}</small>", esc(w)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li>⚠️ <a href=\"#claim-{claim}\"><strong>{claim}</strong></a> · {} / <code>{}</code>: <code>{}</code>{why}</li>",
                esc(&a.suite),
                esc(&a.step),
                esc(&a.message),
                claim = esc(&a.claim),
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    if !report.snapshot_changes.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Snapshot changes</h2>\n<p>{}</p>\n<ul class=\"snapshots\">",
            esc(coverage::snapshot_changes_intro(
                report.fail_on_snapshot_change
            ))
        );
        for c in &report.snapshot_changes {
            let _ = writeln!(
                out,
                "<li>{} / <code>{}</code>: <strong>{}</strong> (<code>{}</code>)<pre>{}</pre></li>",
                esc(&c.suite),
                esc(&c.step),
                c.kind.label(),
                esc(&c.file),
                esc(&c.message)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    if !report.configuration_drift.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Configuration drift</h2>\n<p>{}</p>\n<table class=\"drift\">\n<tr><th>field</th><th>the profile states</th><th>the site shows</th><th>observed by</th></tr>",
            esc(coverage::CONFIGURATION_DRIFT_INTRO)
        );
        for d in &report.configuration_drift {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&d.field),
                esc(&d.stated.to_string()),
                esc(&d.observed.to_string()),
                esc(&d.how)
            );
        }
        let _ = writeln!(out, "</table>");
    }
}

/// The compliance report as a self-contained HTML document.
pub fn render(report: &RunReport, profile: &SiteProfile) -> String {
    let claims = coverage::claims(report);
    let tally = coverage::tally(&claims);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Pelcro conformance report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&report.target)
    );
    let _ = writeln!(
        out,
        "<h1>Pelcro conformance report</h1>\n<table class=\"meta\">"
    );
    let mut row = |key: &str, value: String| {
        let _ = writeln!(out, "<tr><th>{key}</th><td>{value}</td></tr>");
    };
    row("Target", esc(&report.target));
    row("Site", esc(&report.site_id));
    row(
        "Profile",
        format!("{} ({})", esc(&report.profile), esc(&report.profile_source)),
    );
    row("Started", esc(&report.started_at));
    row("Duration", human_duration(report.duration_ms));
    row(
        "Harness",
        format!("pelcro-conformance {}", esc(&report.harness_version)),
    );
    row(
        "Capabilities",
        if report.capabilities.is_empty() {
            "none".into()
        } else {
            esc(&report.capabilities.join(", "))
        },
    );
    let _ = writeln!(out, "</table>");
    let (class, verdict) = if report.passed() {
        ("pass", "✅ PASSED")
    } else {
        ("fail", "❌ FAILED")
    };
    let _ = writeln!(
        out,
        "<p class=\"verdict {class}\">{verdict} — suites: {} · claims: {} · {}</p>",
        report.counts(),
        tally,
        coverage::findings_tally(report),
    );
    findings(&mut out, report);

    if !report.notes.is_empty() {
        let _ = writeln!(out, "<h2>Notes</h2>\n<ul>");
        for note in &report.notes {
            let _ = writeln!(out, "<li>{}</li>", esc(note));
        }
        let _ = writeln!(out, "</ul>");
    }
    if !report.registrations.is_empty() {
        let _ = writeln!(out, "<h2>Accounts this run registered</h2>\n<ul>");
        for email in &report.registrations {
            let _ = writeln!(out, "<li><code>{}</code></li>", esc(email));
        }
        let _ = writeln!(out, "</ul>");
    }

    let _ = writeln!(
        out,
        "<h2>Profile expectations</h2>\n<p>Where the documents allow two readings, profile <code>{}</code> expects:</p>\n<ul>",
        esc(&profile.name)
    );
    for v in coverage::variations(profile) {
        let _ = writeln!(
            out,
            "<li><code>{}</code> = <strong>{}</strong>: {}</li>",
            esc(v.field),
            esc(&v.value),
            inline_code(&v.meaning)
        );
    }
    let _ = writeln!(out, "</ul>\n<h2>Claims</h2>");
    for (area, list) in coverage::by_area(&claims) {
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<table class=\"claims\">\n<tr><th>Claim</th><th>Status</th><th>Promise</th><th>Suites</th></tr>",
            esc(area)
        );
        for c in list {
            let promise = match c.claim {
                Some(claim) => format!(
                    "{} <em>({})</em>",
                    inline_code(claim.text),
                    esc(claim.source)
                ),
                None => "<em>not in spec/claims.md</em>".into(),
            };
            let mut suites = String::new();
            if c.status == ClaimStatus::NotCovered {
                suites.push_str("no suite in this run names this claim");
            } else {
                suites.push_str("<ul class=\"suites\">");
                for suite in &c.suites {
                    let _ = write!(suites, "<li>{}</li>", suite_line(suite));
                }
                suites.push_str("</ul>");
            }
            let _ = writeln!(
                out,
                "<tr id=\"claim-{id}\"><td><strong>{id}</strong></td><td class=\"{}\">{} {}</td><td>{promise}</td><td>{suites}</td></tr>",
                if c.advisories.is_empty() {
                    c.status.css()
                } else {
                    "advised"
                },
                c.status.icon(),
                esc(&c.verdict()),
                id = esc(&c.id),
            );
        }
        let _ = writeln!(out, "</table>");
    }

    let _ = writeln!(
        out,
        "<h2>Suites</h2>\n<table>\n<tr><th></th><th>Suite</th><th>File</th><th>Claims</th><th>Time</th><th>Note</th></tr>"
    );
    for suite in &report.suites {
        let _ = writeln!(
            out,
            "<tr><td class=\"{}\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            outcome_css(suite.outcome),
            suite.outcome.mark(),
            esc(&suite.name),
            esc(&suite.file),
            esc(&suite.claims.join(", ")),
            human_duration(suite.duration_ms),
            suite.reason.as_deref().map(esc).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "</table>");

    let failed: Vec<&SuiteReport> = report
        .suites
        .iter()
        .filter(|s| s.outcome == SuiteOutcome::Failed)
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "<h2>Failures</h2>");
        for suite in failed {
            let _ = writeln!(
                out,
                "<h3 class=\"fail\">❌ {}</h3>\n<p>File <code>{}</code> · claims {}</p>",
                esc(&suite.name),
                esc(&suite.file),
                esc(&suite.claims.join(", "))
            );
            if suite.steps.is_empty() {
                let _ = writeln!(
                    out,
                    "<p>{}</p>",
                    esc(suite.reason.as_deref().unwrap_or("the suite failed"))
                );
            }
            for step in suite
                .steps
                .iter()
                .filter(|s| s.outcome != StepOutcome::Passed)
            {
                let _ = writeln!(
                    out,
                    "<h4>step <code>{}</code> — {}</h4>",
                    esc(&step.name),
                    step.outcome.label()
                );
                if let Some(reason) = &step.reason {
                    let _ = writeln!(out, "<p>{}</p>", esc(reason));
                }
                let failing: Vec<_> = step.checks.iter().filter(|c| !c.passed).collect();
                if !failing.is_empty() {
                    let _ = writeln!(
                        out,
                        "<table><tr><th>Check</th><th>Subject</th><th>Expected</th><th>Actual</th></tr>"
                    );
                    for check in failing {
                        let _ = writeln!(
                            out,
                            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                            esc(check.kind.name()),
                            esc(&check.subject),
                            esc(&check.expected),
                            esc(&check.actual)
                        );
                    }
                    let _ = writeln!(out, "</table>");
                }
                if let Some(evidence) = &step.evidence {
                    let _ = writeln!(
                        out,
                        "<details><summary>Request and response (redacted): {} {} → {}</summary>\n<pre>{}</pre>\n</details>",
                        esc(&evidence.method),
                        esc(&evidence.url),
                        evidence
                            .status
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "no answer".into()),
                        esc(&evidence_text(evidence))
                    );
                }
            }
        }
    }
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn outcome_css(outcome: SuiteOutcome) -> &'static str {
    match outcome {
        SuiteOutcome::Passed => "pass",
        SuiteOutcome::Failed => "fail",
        SuiteOutcome::Skipped => "skipped",
        SuiteOutcome::Interrupted => "skipped",
    }
}

fn suite_line(suite: &SuiteReport) -> String {
    let state = match suite.outcome {
        SuiteOutcome::Passed => format!(
            "passed, {} step{}",
            suite.steps.len(),
            if suite.steps.len() == 1 { "" } else { "s" }
        ),
        SuiteOutcome::Skipped => format!(
            "skipped: {}",
            esc(suite.reason.as_deref().unwrap_or("no reason given"))
        ),
        SuiteOutcome::Interrupted => format!(
            "interrupted: {}",
            esc(suite.reason.as_deref().unwrap_or("Ctrl-C"))
        ),
        SuiteOutcome::Failed => {
            let mut s = format!(
                "failed: {}",
                esc(suite.reason.as_deref().unwrap_or("no reason given"))
            );
            let not_run: Vec<String> = suite
                .steps
                .iter()
                .filter(|s| s.outcome == StepOutcome::NotRun)
                .map(|s| format!("<code>{}</code>", esc(&s.name)))
                .collect();
            if !not_run.is_empty() {
                let _ = write!(s, " (not run: {})", not_run.join(", "));
            }
            s
        }
    };
    format!(
        "<span class=\"{}\">{}</span> {} (<code>{}</code>): {state}",
        outcome_css(suite.outcome),
        suite.outcome.mark(),
        esc(&suite.name),
        esc(&suite.file)
    )
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escapes text and turns `backticked` spans into `<code>` (for the claims' own Markdown).
fn inline_code(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}
