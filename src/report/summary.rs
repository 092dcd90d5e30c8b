//! A short Markdown summary for a CI job page (`run --summary "$GITHUB_STEP_SUMMARY"`): the
//! verdict, the counts, the failing claims (at most [`MAX_ROWS`], each line shortened) and where
//! the full reports are. Appended, as CI summary files are shared by the steps of a job.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::RunReport;
use super::coverage;
use super::markdown::{rich, text};

/// At most this many failing claims are listed; the rest are counted.
pub const MAX_ROWS: usize = 20;

/// A failure's line is cut to this many characters (a summary is read at a glance).
const MAX_LINE: usize = 160;

/// The summary of one run. `reports` is the folder holding its full reports.
pub fn render(report: &RunReport, reports: &Path) -> String {
    let claims = coverage::claims(report);
    let mut out = String::new();
    let verdict = if report.passed() {
        "✓ PASSED"
    } else {
        "✗ FAILED"
    };
    let _ = writeln!(
        out,
        "### Pelcro conformance: {verdict} — {} · site {} · profile {}\n",
        text(&report.target),
        text(&report.site_id),
        text(&report.profile)
    );
    let _ = writeln!(
        out,
        "Suites: {} · claims: {} · {}\n",
        report.counts(),
        coverage::tally(&claims),
        coverage::findings_tally(report)
    );
    let failing = coverage::failing(&claims);
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "| Failing claim | Verdict | First failure |\n|---|---|---|"
        );
        for f in failing.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                text(&f.id),
                text(&f.verdict),
                rich(&shorten(&f.line))
            );
        }
        if failing.len() > MAX_ROWS {
            let _ = writeln!(
                out,
                "\n…and {} more failing claims (see report.md).",
                failing.len() - MAX_ROWS
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Full reports (report.md, report.html, junit.xml, report.json): `{}`\n",
        reports.display().to_string().replace('`', "'")
    );
    out
}

/// Appends the summary to `path` (created if missing); the error names the file.
pub fn append(path: &Path, summary: &str) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: cannot be opened for the summary: {e}", path.display()))?;
    file.write_all(summary.as_bytes())
        .map_err(|e| format!("{}: cannot be written: {e}", path.display()))
}

fn shorten(line: &str) -> String {
    if line.chars().count() <= MAX_LINE {
        return line.to_string();
    }
    let cut: String = line.chars().take(MAX_LINE - 1).collect();
    // A cut inside a `quoted` name would leave it open.
    if cut.matches('`').count() % 2 == 1 {
        format!("{cut}`…")
    } else {
        format!("{cut}…")
    }
}
