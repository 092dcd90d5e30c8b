//! The compliance report in Markdown (GitHub-flavoured; fits `$GITHUB_STEP_SUMMARY`).
//!
//! A header (target, site, profile and its source, start, duration, harness version,
//! capabilities), a summary line, the known-variation expectations the profile applied, then every
//! claim of `claims::CLAIMS` in document order grouped by area with its status (see
//! `report::coverage`) and the suites behind it, a table of every suite, and for each failure the
//! checks (expected vs actual) and the redacted request and response in a `<details>` block.
//!
//! Text that comes from a run (names, reasons, values) is escaped so that it cannot inject
//! Markdown or HTML; evidence goes into fenced code blocks.

use std::fmt::Write as _;

use crate::profile::SiteProfile;

use super::coverage::{self, ClaimStatus, evidence_text, human_duration};
use super::{RunReport, StepOutcome, SuiteOutcome, SuiteReport};

/// The advisories and the snapshot changes, each in a section of its own.
fn findings(out: &mut String, report: &RunReport) {
    if !report.advisories.is_empty() {
        let _ = writeln!(out, "## Advisories\n");
        let _ = writeln!(out, "{}\n", coverage::advisories_intro(report.strict));
        for a in &report.advisories {
            let _ = writeln!(
                out,
                "- ! advisory **{}** · {} / {}: {}",
                text(&a.claim),
                text(&a.suite),
                code(&a.step),
                code(&a.message)
            );
            if let Some(why) = &a.why {
                let _ = writeln!(out, "  - assumed because: {}", text(why));
            }
        }
        let _ = writeln!(out);
    }
    if !report.snapshot_changes.is_empty() {
        let _ = writeln!(out, "## Snapshot changes\n");
        let _ = writeln!(
            out,
            "{}\n",
            coverage::snapshot_changes_intro(report.fail_on_snapshot_change)
        );
        for c in &report.snapshot_changes {
            let _ = writeln!(
                out,
                "- {} / {}: **{}** ({})",
                text(&c.suite),
                code(&c.step),
                c.kind.label(),
                code(&c.file)
            );
            let fence = fence_for(&c.message);
            let _ = writeln!(out, "\n{fence}text\n{}\n{fence}\n", c.message);
        }
    }
    if !report.configuration_drift.is_empty() {
        let _ = writeln!(out, "## Configuration drift\n");
        let _ = writeln!(out, "{}\n", coverage::CONFIGURATION_DRIFT_INTRO);
        let _ = writeln!(
            out,
            "| field | the profile states | the site shows | observed by |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for d in &report.configuration_drift {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(&d.field),
                code(&d.stated.to_string()),
                code(&d.observed.to_string()),
                text(&d.how)
            );
        }
        let _ = writeln!(out);
    }
}

/// The compliance report. `profile` is the profile the run applied (for the variations it chose).
///
/// In the order a reader needs it: the verdict with the failing claims, the findings, the claims,
/// the failures with their evidence and reproductions, then the suites and the run's facts.
pub fn render(report: &RunReport, profile: &SiteProfile) -> String {
    let claims = coverage::claims(report);
    let mut out = String::new();
    let _ = writeln!(out, "# Pelcro conformance report\n");
    verdict(&mut out, report, &claims);
    findings(&mut out, report);
    claims_section(&mut out, &claims);
    failures(&mut out, report);
    suites_table(&mut out, report);
    run_facts(&mut out, report, profile);
    out
}

/// The verdict, the counts, and each failing claim with its first failure in one line.
fn verdict(out: &mut String, report: &RunReport, claims: &[coverage::ClaimCoverage<'_>]) {
    let verdict = if report.passed() {
        "✓ PASSED"
    } else {
        "✗ FAILED"
    };
    let _ = writeln!(
        out,
        "**{verdict}** — {} · site {} · profile {} · {}\n",
        text(&report.target),
        text(&report.site_id),
        text(&report.profile),
        text(&report.started_at)
    );
    let _ = writeln!(
        out,
        "Suites: {} · claims: {} · {}\n",
        report.counts(),
        coverage::tally(claims),
        coverage::findings_tally(report),
    );
    let failing = coverage::failing(claims);
    if !failing.is_empty() {
        let _ = writeln!(out, "## Failing claims\n");
        for f in failing {
            let _ = writeln!(
                out,
                "- {} **{}** {}: {}",
                ClaimStatus::Fail.icon(),
                text(&f.id),
                text(&f.verdict),
                rich(&f.line)
            );
        }
        let _ = writeln!(out);
    }
}

fn claims_section(out: &mut String, claims: &[coverage::ClaimCoverage<'_>]) {
    let _ = writeln!(out, "## Claims\n");
    for (area, list) in coverage::by_area(claims) {
        let _ = writeln!(out, "### {}\n", text(area));
        for c in list {
            let _ = write!(
                out,
                "- {} **{}** — {}",
                c.status.icon(),
                text(&c.id),
                c.verdict()
            );
            match c.claim {
                Some(claim) => {
                    let _ = writeln!(out, " · {} *({})*", claim.text, claim.source);
                }
                None => {
                    let _ = writeln!(out, " · *(not in spec/claims.md)*");
                }
            }
            if c.status == ClaimStatus::NotCovered {
                let _ = writeln!(out, "  - no suite in this run names this claim");
            }
            for suite in &c.suites {
                let _ = writeln!(out, "  - {}", suite_line(suite));
            }
        }
        out.push('\n');
    }
}

fn suites_table(out: &mut String, report: &RunReport) {
    let _ = writeln!(out, "## Suites\n");
    let _ = writeln!(
        out,
        "| Outcome | Suite | File | Claims | Time | Note |\n|---|---|---|---|---|---|"
    );
    for suite in &report.suites {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            suite.outcome.mark(),
            text(&suite.name),
            code(&suite.file),
            text(&suite.claims.join(", ")),
            human_duration(suite.duration_ms),
            suite.reason.as_deref().map(rich).unwrap_or_default()
        );
    }
    let _ = writeln!(out);
}

/// Each failed suite's failing steps: the checks, the evidence, the reproduction.
fn failures(out: &mut String, report: &RunReport) {
    let failed: Vec<&SuiteReport> = report
        .suites
        .iter()
        .filter(|s| s.outcome == SuiteOutcome::Failed)
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Failures");
    for suite in failed {
        let _ = writeln!(
            out,
            "\n### {} {}\n\nFile {} · claims {}\n",
            ClaimStatus::Fail.icon(),
            text(&suite.name),
            code(&suite.file),
            text(&suite.claims.join(", "))
        );
        if suite.steps.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                text(suite.reason.as_deref().unwrap_or("the suite failed"))
            );
        }
        for step in &suite.steps {
            if matches!(step.outcome, StepOutcome::Passed) {
                continue;
            }
            let _ = writeln!(
                out,
                "#### step {} — {}\n",
                code(&step.name),
                step.outcome.label()
            );
            if let Some(reason) = &step.reason {
                let _ = writeln!(out, "{}\n", rich(reason));
            }
            for check in step.checks.iter().filter(|c| !c.passed) {
                let _ = writeln!(
                    out,
                    "- {} {} ({}) {}: expected {}, actual {}",
                    if check.fails(report.gate()) {
                        "✗"
                    } else {
                        "!"
                    },
                    check.level.label(),
                    check.kind.name(),
                    code(&check.subject),
                    code(&check.expected),
                    code(&check.actual)
                );
            }
            if let Some(evidence) = &step.evidence {
                let body = evidence_text(evidence);
                let fence = fence_for(&body);
                let _ = writeln!(
                    out,
                    "\n<details><summary>Request and response (redacted): {} {} → {}</summary>\n\n{fence}text\n{}{fence}\n\n</details>\n",
                    text(&evidence.method),
                    text(&evidence.url),
                    evidence
                        .status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "no answer".into()),
                    body
                );
            }
            if let Some(reproduction) = &step.reproduction {
                let fence = fence_for(reproduction);
                let _ = writeln!(
                    out,
                    "Reproduce (secrets are shell variables):\n\n{fence}sh\n{reproduction}{fence}\n"
                );
            }
        }
    }
    let _ = writeln!(out);
}

/// The run's facts, the profile's expectations, the notes and the accounts registered.
fn run_facts(out: &mut String, report: &RunReport, profile: &SiteProfile) {
    let _ = writeln!(out, "## Run\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let row = |out: &mut String, key: &str, value: String| {
        let _ = writeln!(out, "| {key} | {value} |");
    };
    row(out, "Target", text(&report.target));
    row(out, "Site", text(&report.site_id));
    row(
        out,
        "Profile",
        format!(
            "{} ({})",
            text(&report.profile),
            text(&report.profile_source)
        ),
    );
    row(out, "Started", text(&report.started_at));
    row(out, "Duration", human_duration(report.duration_ms));
    row(
        out,
        "Harness",
        format!("pelcro-conformance {}", text(&report.harness_version)),
    );
    row(
        out,
        "Capabilities",
        if report.capabilities.is_empty() {
            "none".into()
        } else {
            text(&report.capabilities.join(", "))
        },
    );
    let _ = writeln!(out);
    if !report.notes.is_empty() {
        let _ = writeln!(out, "### Notes\n");
        for note in &report.notes {
            let _ = writeln!(out, "- {}", rich(note));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "### Profile expectations\n");
    let _ = writeln!(
        out,
        "Where the documents allow two readings, profile `{}` expects:\n",
        text(&profile.name)
    );
    for v in coverage::variations(profile) {
        let _ = writeln!(out, "- `{}` = **{}**: {}", v.field, v.value, v.meaning);
    }
    if !report.registrations.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} this run registered</summary>\n",
            coverage::count(report.registrations.len(), "account", "accounts")
        );
        for email in &report.registrations {
            let _ = writeln!(out, "- {}", code(email));
        }
        let _ = writeln!(out, "\n</details>");
    }
}

/// One covering suite, in a claim's list.
fn suite_line(suite: &SuiteReport) -> String {
    let mut line = format!(
        "{} suite {} ({}): ",
        suite.outcome.symbol(),
        text(&suite.name),
        code(&suite.file)
    );
    match suite.outcome {
        SuiteOutcome::Passed => {
            let _ = write!(
                line,
                "passed, {} step{}",
                suite.steps.len(),
                if suite.steps.len() == 1 { "" } else { "s" }
            );
        }
        SuiteOutcome::Skipped => {
            let _ = write!(
                line,
                "skipped: {}",
                rich(suite.reason.as_deref().unwrap_or("no reason given"))
            );
        }
        SuiteOutcome::Interrupted => {
            let _ = write!(
                line,
                "interrupted: {}",
                rich(suite.reason.as_deref().unwrap_or("Ctrl-C"))
            );
        }
        SuiteOutcome::Failed => {
            let _ = write!(
                line,
                "failed: {}",
                rich(suite.reason.as_deref().unwrap_or("no reason given"))
            );
            let not_run: Vec<String> = suite
                .steps
                .iter()
                .filter(|s| s.outcome == StepOutcome::NotRun)
                .map(|s| code(&s.name))
                .collect();
            if !not_run.is_empty() {
                let _ = write!(line, " (not run: {})", not_run.join(", "));
            }
        }
    }
    line
}

/// Text from a run with its `quoted` names as code spans (reasons quote names so), the rest
/// escaped.
pub fn rich(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { text(part) })
        .collect()
}

/// Text from a run, escaped for Markdown and HTML, on one line.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// A code span that holds any text (a longer backtick fence when the text has backticks); `|`
/// is escaped for tables and newlines become spaces. `<` is literal inside code spans.
pub fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let longest = longest_run(&s, '`');
    let ticks = "`".repeat(longest + 1);
    if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        format!("{ticks} {s} {ticks}")
    } else {
        format!("{ticks}{s}{ticks}")
    }
}

/// A code fence longer than any run of backticks in the body.
fn fence_for(body: &str) -> String {
    "`".repeat(longest_run(body, '`').max(2) + 1)
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut current) = (0, 0);
    for ch in s.chars() {
        if ch == c {
            current += 1;
            best = best.max(current);
        } else {
            current = 0;
        }
    }
    best
}
