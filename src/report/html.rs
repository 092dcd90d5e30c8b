//! The compliance report as one self-contained HTML page: inline CSS, no scripts, no external
//! resources. The same content, in the same order, as the Markdown report; every piece of text
//! is HTML-escaped. Marks are a symbol and a word in a coloured box (no emoji); evidence is
//! folded on screen and printed in full (`@media print`).

use std::fmt::Write as _;

use crate::profile::SiteProfile;

use super::coverage::{self, ClaimStatus, evidence_text, human_duration};
use super::{RunReport, StepOutcome, SuiteOutcome, SuiteReport};

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:.9em}
code{background:#f6f8fa;padding:0 .2em;border-radius:3px}pre{background:#f6f8fa;padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
.mark{display:inline-block;white-space:nowrap;font-weight:600;padding:0 .4em;border-radius:3px;border:1px solid}
.mark.pass{color:#1a7f37;background:#dafbe1}.mark.fail{color:#fff;background:#cf222e;border-color:#a40e26}
.mark.partly,.mark.advised{color:#7d4e00;background:#fff8c5}.mark.skipped{color:#57606a;background:#eaeef2;border-style:dashed}
.mark.uncovered{color:#57606a;background:#fff;border-style:dotted}
.verdict{font-size:1.3rem;font-weight:700;padding:.5rem .8rem;border-radius:4px;margin:.5rem 0}
.verdict.pass{background:#dafbe1;color:#116329;border:2px solid #1a7f37}.verdict.fail{background:#ffebe9;color:#a40e26;border:3px double #cf222e}
.facts{color:#57606a}ul.failing{padding-left:1.2rem}ul.failing li{margin:.3rem 0}
.claims td:first-child{white-space:nowrap}ul.suites{margin:.2rem 0;padding-left:1.2rem}details{margin:.4rem 0}summary{cursor:pointer}
.print-only{display:none}
@media print{body{margin:0;max-width:none;font-size:11px}details.evidence{display:none}.print-only{display:block}pre{break-inside:auto}h2,h3,h4{break-after:avoid}}
";

/// A status as the reports show it: a text symbol and the word, in a coloured box whose border
/// style differs too (readable in greyscale and without an emoji font).
fn mark(css: &str, symbol: &str, word: &str) -> String {
    format!("<span class=\"mark {css}\">{symbol} {}</span>", esc(word))
}

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
                .map(|w| format!("<br><small>assumed because: {}</small>", run_text(w)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li>{} <a href=\"#claim-{claim}\"><strong>{claim}</strong></a> · {} / <code>{}</code>: <code>{}</code>{why}</li>",
                mark("advised", "!", "advisory"),
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

/// The compliance report as a self-contained HTML document, in the Markdown report's order.
pub fn render(report: &RunReport, profile: &SiteProfile) -> String {
    let claims = coverage::claims(report);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Pelcro conformance report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&report.target)
    );
    let _ = writeln!(out, "<h1>Pelcro conformance report</h1>");
    verdict(&mut out, report, &claims);
    findings(&mut out, report);
    claims_section(&mut out, &claims);
    failures(&mut out, report);
    suites_table(&mut out, report);
    run_facts(&mut out, report, profile);
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn verdict(out: &mut String, report: &RunReport, claims: &[coverage::ClaimCoverage<'_>]) {
    let (class, verdict) = if report.passed() {
        ("pass", "✓ PASSED")
    } else {
        ("fail", "✗ FAILED")
    };
    let _ = writeln!(
        out,
        "<p class=\"verdict {class}\">{verdict}</p>\n<p class=\"facts\">{} · site {} · profile {} · {}<br>Suites: {} · claims: {} · {}</p>",
        esc(&report.target),
        esc(&report.site_id),
        esc(&report.profile),
        esc(&report.started_at),
        report.counts(),
        coverage::tally(claims),
        coverage::findings_tally(report),
    );
    let failing = coverage::failing(claims);
    if !failing.is_empty() {
        let _ = writeln!(out, "<h2>Failing claims</h2>\n<ul class=\"failing\">");
        for f in failing {
            let _ = writeln!(
                out,
                "<li>{} <a href=\"#claim-{id}\"><strong>{id}</strong></a>: {}</li>",
                mark("fail", ClaimStatus::Fail.icon(), &f.verdict),
                run_text(&f.line),
                id = esc(&f.id),
            );
        }
        let _ = writeln!(out, "</ul>");
    }
}

fn claims_section(out: &mut String, claims: &[coverage::ClaimCoverage<'_>]) {
    let _ = writeln!(out, "<h2>Claims</h2>");
    for (area, list) in coverage::by_area(claims) {
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<table class=\"claims\">\n<tr><th>Claim</th><th>Status</th><th>Promise</th><th>Suites</th></tr>",
            esc(area)
        );
        for c in list {
            let promise = match c.claim {
                Some(claim) => format!("{} <em>({})</em>", prose(claim.text), esc(claim.source)),
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
            let css = if c.advisories.is_empty() || c.status == ClaimStatus::Fail {
                c.status.css()
            } else {
                "advised"
            };
            let _ = writeln!(
                out,
                "<tr id=\"claim-{id}\"><td><strong>{id}</strong></td><td>{}</td><td>{promise}</td><td>{suites}</td></tr>",
                mark(css, c.status.icon(), &c.verdict()),
                id = esc(&c.id),
            );
        }
        let _ = writeln!(out, "</table>");
    }
}

fn failures(out: &mut String, report: &RunReport) {
    let failed: Vec<&SuiteReport> = report
        .suites
        .iter()
        .filter(|s| s.outcome == SuiteOutcome::Failed)
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h2>Failures</h2>");
    for suite in failed {
        let _ = writeln!(
            out,
            "<h3>{} {}</h3>\n<p>File <code>{}</code> · claims {}</p>",
            mark("fail", ClaimStatus::Fail.icon(), "failed"),
            esc(&suite.name),
            esc(&suite.file),
            esc(&suite.claims.join(", "))
        );
        if suite.steps.is_empty() {
            let _ = writeln!(
                out,
                "<p>{}</p>",
                run_text(suite.reason.as_deref().unwrap_or("the suite failed"))
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
                let _ = writeln!(out, "<p>{}</p>", run_text(reason));
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
                let title = format!(
                    "Request and response (redacted): {} {} → {}",
                    esc(&evidence.method),
                    esc(&evidence.url),
                    evidence
                        .status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "no answer".into())
                );
                let body = esc(&evidence_text(evidence));
                // Closed on screen; printed in full (a closed <details> prints closed).
                let _ = writeln!(
                    out,
                    "<details class=\"evidence\"><summary>{title}</summary>\n<pre>{body}</pre>\n</details>\n<div class=\"print-only\"><p>{title}</p><pre>{body}</pre></div>"
                );
            }
            if let Some(reproduction) = &step.reproduction {
                let _ = writeln!(
                    out,
                    "<p>Reproduce (secrets are shell variables):</p>\n<pre class=\"reproduction\">{}</pre>",
                    esc(reproduction)
                );
            }
        }
    }
}

fn suites_table(out: &mut String, report: &RunReport) {
    let _ = writeln!(
        out,
        "<h2>Suites</h2>\n<table>\n<tr><th>Outcome</th><th>Suite</th><th>File</th><th>Claims</th><th>Time</th><th>Note</th></tr>"
    );
    for suite in &report.suites {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            mark(
                outcome_css(suite.outcome),
                suite.outcome.symbol(),
                suite.outcome.label()
            ),
            esc(&suite.name),
            esc(&suite.file),
            esc(&suite.claims.join(", ")),
            human_duration(suite.duration_ms),
            suite.reason.as_deref().map(run_text).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "</table>");
}

fn run_facts(out: &mut String, report: &RunReport, profile: &SiteProfile) {
    let _ = writeln!(out, "<h2>Run</h2>\n<table class=\"meta\">");
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
    if !report.notes.is_empty() {
        let _ = writeln!(out, "<h3>Notes</h3>\n<ul>");
        for note in &report.notes {
            let _ = writeln!(out, "<li>{}</li>", run_text(note));
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<h3>Profile expectations</h3>\n<p>Where the documents allow two readings, profile <code>{}</code> expects:</p>\n<ul>",
        esc(&profile.name)
    );
    for v in coverage::variations(profile) {
        let _ = writeln!(
            out,
            "<li><code>{}</code> = <strong>{}</strong>: {}</li>",
            esc(v.field),
            esc(&v.value),
            run_text(&v.meaning)
        );
    }
    let _ = writeln!(out, "</ul>");
    if !report.registrations.is_empty() {
        let _ = writeln!(
            out,
            "<details class=\"accounts\"><summary>{} this run registered</summary>\n<ul>",
            coverage::count(report.registrations.len(), "account", "accounts")
        );
        for email in &report.registrations {
            let _ = writeln!(out, "<li><code>{}</code></li>", esc(email));
        }
        let _ = writeln!(out, "</ul>\n</details>");
    }
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
            run_text(suite.reason.as_deref().unwrap_or("no reason given"))
        ),
        SuiteOutcome::Interrupted => format!(
            "interrupted: {}",
            run_text(suite.reason.as_deref().unwrap_or("Ctrl-C"))
        ),
        SuiteOutcome::Failed => {
            let mut s = format!(
                "failed: {}",
                run_text(suite.reason.as_deref().unwrap_or("no reason given"))
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
        suite.outcome.symbol(),
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

/// Text from a run, escaped, with `backticked` spans as `<code>` (reasons quote names so).
fn run_text(s: &str) -> String {
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

/// The claims' own Markdown: `code` spans and `*emphasis*`, everything else escaped.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
            continue;
        }
        let pieces: Vec<&str> = part.split('*').collect();
        // An odd piece closed by a later `*` is emphasis; an unclosed one is literal.
        let closed = |j: usize| j + 1 < pieces.len();
        for (j, piece) in pieces.iter().enumerate() {
            if j % 2 == 1 && !closed(j) {
                out.push('*');
                out.push_str(&esc(piece));
            } else if j % 2 == 1 && !piece.is_empty() {
                let _ = write!(out, "<em>{}</em>", esc(piece));
            } else if j % 2 == 1 {
                out.push_str("**");
            } else {
                out.push_str(&esc(piece));
            }
        }
    }
    out
}
