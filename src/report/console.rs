//! The console summary: one line per suite, the failures with expected vs actual, and the count
//! line `N passed, N failed, N skipped` last. Text that came from a target or a suite has its
//! control characters escaped ([`escape_controls`]): a hostile answer cannot drive the terminal.

use std::borrow::Cow;
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
        let _ = write!(
            out,
            "{mark} {}  [{}]",
            esc(&suite.name),
            esc(&suite.claims.join(", "))
        );
        match suite.outcome {
            SuiteOutcome::Skipped | SuiteOutcome::Interrupted => {
                let word = if suite.outcome == SuiteOutcome::Skipped {
                    "skipped"
                } else {
                    "interrupted"
                };
                let _ = writeln!(
                    out,
                    "  {word}: {}",
                    esc(suite.reason.as_deref().unwrap_or("no reason given"))
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
            let _ = writeln!(
                out,
                "    {}",
                esc(suite.reason.as_deref().unwrap_or("failed"))
            );
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
                StepOutcome::Interrupted => "interrupted",
            };
            let label = match step.outcome {
                StepOutcome::Failed | StepOutcome::Errored => paint("\x1b[31m", label),
                StepOutcome::NotRun | StepOutcome::Interrupted => paint("\x1b[33m", label),
                StepOutcome::Passed => label.to_string(),
            };
            let _ = writeln!(
                out,
                "    step `{}` ({}): {label}",
                esc(&step.name),
                esc(&suite.file)
            );
            if let Some(reason) = &step.reason
                && step.outcome != StepOutcome::Failed
            {
                let _ = writeln!(out, "      {}", esc(reason));
            }
            for note in &step.notes {
                let _ = writeln!(out, "      note: {}", esc(note));
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
                let _ = writeln!(out, "      {mark} {}{level}", esc(&check.what()));
                let _ = writeln!(out, "          expected: {}", esc(&check.expected));
                let _ = writeln!(out, "          actual:   {}", esc(&check.actual));
            }
            if step.outcome == StepOutcome::Failed
                && let Some(evidence) = &step.evidence
            {
                let _ = writeln!(
                    out,
                    "      request: {} {} → {}",
                    esc(&evidence.method),
                    esc(&evidence.url),
                    evidence
                        .status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "no answer".into())
                );
            }
            if verbose && let Some(reproduction) = &step.reproduction {
                let _ = writeln!(out, "      reproduce:");
                for line in reproduction.lines() {
                    let _ = writeln!(out, "        {}", esc(line));
                }
            }
        }
    }
    render_findings(&mut out, report, &paint);
    let _ = writeln!(
        out,
        "\ntarget: {} · site {} · profile {} ({}) · {} ms",
        esc(&report.target),
        esc(&report.site_id),
        esc(&report.profile),
        esc(&report.profile_source),
        report.duration_ms
    );
    let _ = writeln!(
        out,
        "{}{}",
        super::coverage::findings_tally(report),
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
                esc(&advisory.claim),
                esc(&advisory.suite),
                esc(&advisory.step),
                esc(&advisory.message)
            );
            if let Some(why) = &advisory.why {
                let _ = writeln!(out, "      assumed because: {}", esc(why));
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
                "  ~ {} / {}: {}: {}",
                esc(&change.suite),
                esc(&change.step),
                change.kind.label(),
                esc(first_line)
            );
        }
    }
    if !report.configuration_drift.is_empty() {
        let _ = writeln!(
            out,
            "\n{} (the site differs from the profile; not failures):",
            paint("\x1b[33m", "Configuration drift")
        );
        for drift in &report.configuration_drift {
            let _ = writeln!(out, "  ≠ {}", esc(&drift.sentence()));
        }
    }
}

/// Text with every control character but newline and tab written as an escape (`\u{1b}`), so
/// that what a target or a suite says cannot move the cursor, recolour or retitle a terminal.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_escaped(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn is_escaped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}')
}

fn esc(text: &str) -> Cow<'_, str> {
    escape_controls(text)
}

/// Prints to stderr; a closed stderr ends the output quietly instead of panicking.
pub fn eprint(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// Prints to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
