//! The console summary: one line per suite, the failures with expected vs actual, and the count
//! line `N passed, N failed, N skipped` last.

use std::fmt::Write as _;
use std::io::Write as _;

use super::{RunReport, StepOutcome, SuiteOutcome};

/// The summary as text; `verbose` adds every check of every step.
pub fn render(report: &RunReport, verbose: bool) -> String {
    render_coloured(report, verbose, false)
}

/// The summary, with `colour` marking ✓ green, ✗ and FAILED red, - and skips yellow (decide with
/// `progress::use_colour()`). The count line stays last and uncoloured.
pub fn render_coloured(report: &RunReport, verbose: bool, colour: bool) -> String {
    let paint = |code: &str, text: &str| -> String {
        if colour {
            format!("{code}{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for suite in &report.suites {
        let mark = super::progress::mark(suite.outcome, colour);
        let _ = write!(out, "{mark} {}  [{}]", suite.name, suite.claims.join(", "));
        match suite.outcome {
            SuiteOutcome::Skipped => {
                let _ = writeln!(
                    out,
                    "  skipped: {}",
                    suite.reason.as_deref().unwrap_or("no reason given")
                );
            }
            _ => {
                let gate = report.gate();
                let advisories = suite
                    .steps
                    .iter()
                    .flat_map(|s| s.checks.iter())
                    .filter(|c| c.is_advisory(gate))
                    .count();
                let advised = if advisories == 0 {
                    String::new()
                } else {
                    format!(
                        " · {}",
                        paint(
                            "\x1b[33m",
                            &super::coverage::count(advisories, "advisory", "advisories")
                        )
                    )
                };
                let _ = writeln!(out, "  ({} ms){advised}", suite.duration_ms);
            }
        }
        if suite.outcome == SuiteOutcome::Failed && suite.steps.is_empty() {
            let _ = writeln!(out, "    {}", suite.reason.as_deref().unwrap_or("failed"));
        }
        for step in &suite.steps {
            let show_step = verbose || step.outcome != StepOutcome::Passed;
            if !show_step {
                continue;
            }
            let label = match step.outcome {
                StepOutcome::Passed => "ok",
                StepOutcome::Failed => "FAILED",
                StepOutcome::Errored => "ERROR",
                StepOutcome::NotRun => "not run",
            };
            let label = match step.outcome {
                StepOutcome::Failed | StepOutcome::Errored => paint("\x1b[31m", label),
                StepOutcome::NotRun => paint("\x1b[33m", label),
                StepOutcome::Passed => label.to_string(),
            };
            let _ = writeln!(out, "    step `{}` ({}): {label}", step.name, suite.file);
            if let Some(reason) = &step.reason
                && step.outcome != StepOutcome::Failed
            {
                let _ = writeln!(out, "      {reason}");
            }
            for note in &step.notes {
                let _ = writeln!(out, "      note: {note}");
            }
            for check in &step.checks {
                if check.passed && !verbose {
                    continue;
                }
                let mark = if check.passed {
                    "ok".to_string()
                } else if check.fails(report.gate()) {
                    paint("\x1b[31m", "✗")
                } else {
                    paint("\x1b[33m", "!")
                };
                let level = if check.level.is_documented() {
                    String::new()
                } else {
                    format!(" ({})", check.level.label())
                };
                let _ = writeln!(
                    out,
                    "      {mark} {} {}{level}",
                    check.kind.name(),
                    check.subject
                );
                let _ = writeln!(out, "          expected: {}", check.expected);
                let _ = writeln!(out, "          actual:   {}", check.actual);
            }
            if step.outcome == StepOutcome::Failed
                && let Some(evidence) = &step.evidence
            {
                let _ = writeln!(
                    out,
                    "      request: {} {} → {}",
                    evidence.method,
                    evidence.url,
                    evidence
                        .status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "no answer".into())
                );
            }
        }
    }
    render_findings(&mut out, report, &paint);
    let _ = writeln!(
        out,
        "\ntarget: {} · site {} · profile {} ({}) · {} ms",
        report.target, report.site_id, report.profile, report.profile_source, report.duration_ms
    );
    let _ = writeln!(
        out,
        "{} · {}{}",
        super::coverage::count(report.advisories.len(), "advisory", "advisories"),
        super::coverage::count(
            report.snapshot_changes.len(),
            "snapshot change",
            "snapshot changes"
        ),
        if report.strict { " · strict" } else { "" }
    );
    let _ = writeln!(out, "{}", report.counts());
    out
}

/// The advisories (failed assumptions) and the snapshot changes, each in a section of its own.
fn render_findings(out: &mut String, report: &RunReport, paint: &dyn Fn(&str, &str) -> String) {
    if !report.advisories.is_empty() {
        let _ = writeln!(
            out,
            "\n{} where the documents are silent (not failures; --strict fails them):",
            paint("\x1b[33m", "Advisories")
        );
        for advisory in &report.advisories {
            let _ = writeln!(
                out,
                "  ! [{}] {} / {}: {}",
                advisory.claim, advisory.suite, advisory.step, advisory.message
            );
            if let Some(why) = &advisory.why {
                let _ = writeln!(out, "      assumed because: {why}");
            }
        }
    }
    if !report.snapshot_changes.is_empty() {
        let failing = if report.fail_on_snapshot_change {
            "failing the run: --fail-on-snapshot-change"
        } else {
            "drift, not failures; --fail-on-snapshot-change fails them"
        };
        let _ = writeln!(out, "\n{} ({failing}):", paint("\x1b[33m", "Snapshots"));
        for change in &report.snapshot_changes {
            let first_line = change.message.lines().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "  ~ {} / {}: {}: {first_line}",
                change.suite,
                change.step,
                change.kind.label()
            );
        }
    }
}

/// Prints to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
