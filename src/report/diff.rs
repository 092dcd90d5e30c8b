//! Comparing two JSON reports (OLD, NEW): what newly fails, what was fixed, what changed in the
//! skips, which suites were added or removed. Suites are matched by name; claims by ID.
//!
//! `pelcro-conformance diff OLD.json NEW.json` prints `render()` and exits 1 when
//! `newly_failing()`, 2 when a file cannot be read or is not a report (`run_diff`'s `Err`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::coverage::{self, ClaimStatus};
use super::{RunReport, SuiteOutcome, SuiteReport};

/// A suite that is skipped now and was not (or was not there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub suite: String,
    pub reason: String,
}

/// A suite skipped in both runs, for different reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonChange {
    pub suite: String,
    pub old: String,
    pub new: String,
}

/// What changed between two reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportDiff {
    /// Claims that fail now and did not before (with their new status before: `pass`, ...).
    pub newly_failing_claims: Vec<(String, String)>,
    /// Claims that failed before and pass now.
    pub fixed_claims: Vec<String>,
    /// Suites that fail now and did not (including added suites that fail).
    pub newly_failing_suites: Vec<(String, String)>,
    /// Suites that failed before and pass now.
    pub fixed_suites: Vec<String>,
    /// Suites skipped now that ran before (or are new), with the reason.
    pub newly_skipped: Vec<Skip>,
    /// Suites that were skipped before and ran now, with their outcome now.
    pub no_longer_skipped: Vec<(String, String)>,
    /// Suites skipped in both runs whose reason changed.
    pub skip_reason_changed: Vec<ReasonChange>,
    /// Suites only in NEW, with their outcome.
    pub added_suites: Vec<(String, String)>,
    /// Suites only in OLD.
    pub removed_suites: Vec<String>,
    /// Claims whose status changed otherwise (ID, old status, new status).
    pub other_claim_changes: Vec<(String, String, String)>,
    /// The count lines of both runs.
    pub old_counts: String,
    pub new_counts: String,
}

fn outcome(s: SuiteOutcome) -> &'static str {
    match s {
        SuiteOutcome::Passed => "passed",
        SuiteOutcome::Failed => "failed",
        SuiteOutcome::Skipped => "skipped",
        SuiteOutcome::Interrupted => "interrupted",
    }
}

fn reason(s: &SuiteReport) -> String {
    s.reason.clone().unwrap_or_else(|| "no reason given".into())
}

/// Compares OLD with NEW.
pub fn diff(old: &RunReport, new: &RunReport) -> ReportDiff {
    let mut d = ReportDiff {
        old_counts: old.counts().to_string(),
        new_counts: new.counts().to_string(),
        ..ReportDiff::default()
    };
    let old_suites: BTreeMap<&str, &SuiteReport> =
        old.suites.iter().map(|s| (s.name.as_str(), s)).collect();
    let new_names: Vec<&str> = new.suites.iter().map(|s| s.name.as_str()).collect();

    for suite in &new.suites {
        let now = suite.outcome;
        match old_suites.get(suite.name.as_str()) {
            None => {
                d.added_suites
                    .push((suite.name.clone(), outcome(now).into()));
                match now {
                    SuiteOutcome::Failed => d
                        .newly_failing_suites
                        .push((suite.name.clone(), reason(suite))),
                    SuiteOutcome::Skipped => d.newly_skipped.push(Skip {
                        suite: suite.name.clone(),
                        reason: reason(suite),
                    }),
                    // Cut short by Ctrl-C: not a verdict, so not news either way.
                    SuiteOutcome::Passed | SuiteOutcome::Interrupted => {}
                }
            }
            Some(before) => match (before.outcome, now) {
                (SuiteOutcome::Failed, SuiteOutcome::Failed) => {}
                // An interrupted run says nothing new about a suite it cut short, nor does an
                // interrupted suite of the old run make tonight's verdict news.
                (_, SuiteOutcome::Interrupted) | (SuiteOutcome::Interrupted, _) => {}
                (_, SuiteOutcome::Failed) => {
                    if before.outcome == SuiteOutcome::Skipped {
                        d.no_longer_skipped
                            .push((suite.name.clone(), outcome(now).into()));
                    }
                    d.newly_failing_suites
                        .push((suite.name.clone(), reason(suite)));
                }
                (SuiteOutcome::Failed, SuiteOutcome::Passed) => {
                    d.fixed_suites.push(suite.name.clone());
                }
                (SuiteOutcome::Skipped, SuiteOutcome::Skipped) => {
                    if before.reason != suite.reason {
                        d.skip_reason_changed.push(ReasonChange {
                            suite: suite.name.clone(),
                            old: reason(before),
                            new: reason(suite),
                        });
                    }
                }
                (_, SuiteOutcome::Skipped) => d.newly_skipped.push(Skip {
                    suite: suite.name.clone(),
                    reason: reason(suite),
                }),
                (SuiteOutcome::Skipped, _) => d
                    .no_longer_skipped
                    .push((suite.name.clone(), outcome(now).into())),
                (SuiteOutcome::Passed, SuiteOutcome::Passed) => {}
            },
        }
    }
    for suite in &old.suites {
        if !new_names.contains(&suite.name.as_str()) {
            d.removed_suites.push(suite.name.clone());
        }
    }

    let old_claims: BTreeMap<String, ClaimStatus> = coverage::claims(old)
        .into_iter()
        .map(|c| (c.id, c.status))
        .collect();
    for c in coverage::claims(new) {
        let before = old_claims
            .get(&c.id)
            .copied()
            .unwrap_or(ClaimStatus::NotCovered);
        if before == c.status {
            continue;
        }
        match (before, c.status) {
            (_, ClaimStatus::Fail) => d.newly_failing_claims.push((c.id, before.label().into())),
            (ClaimStatus::Fail, ClaimStatus::Pass | ClaimStatus::PartlySkipped) => {
                d.fixed_claims.push(c.id)
            }
            (before, now) => {
                d.other_claim_changes
                    .push((c.id, before.label().into(), now.label().into()))
            }
        }
    }
    d
}

impl ReportDiff {
    /// Whether a suite or claim fails in NEW that did not fail in OLD.
    pub fn newly_failing(&self) -> bool {
        !self.newly_failing_suites.is_empty() || !self.newly_failing_claims.is_empty()
    }

    /// Whether nothing changed that the diff reports.
    pub fn is_empty(&self) -> bool {
        self.newly_failing_claims.is_empty()
            && self.fixed_claims.is_empty()
            && self.newly_failing_suites.is_empty()
            && self.fixed_suites.is_empty()
            && self.newly_skipped.is_empty()
            && self.no_longer_skipped.is_empty()
            && self.skip_reason_changed.is_empty()
            && self.added_suites.is_empty()
            && self.removed_suites.is_empty()
            && self.other_claim_changes.is_empty()
    }

    /// The diff as text, most important first; the last line is a verdict.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "old: {}", self.old_counts);
        let _ = writeln!(out, "new: {}", self.new_counts);
        let section = |out: &mut String, title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                let _ = writeln!(out, "\n{title} ({}):", lines.len());
                for line in lines {
                    let _ = writeln!(out, "  {line}");
                }
            }
        };
        section(
            &mut out,
            "Newly failing claims",
            self.newly_failing_claims
                .iter()
                .map(|(id, before)| format!("✗ {id} (was {before})"))
                .collect(),
        );
        section(
            &mut out,
            "Newly failing suites",
            self.newly_failing_suites
                .iter()
                .map(|(name, why)| format!("✗ {name}: {why}"))
                .collect(),
        );
        section(
            &mut out,
            "Fixed claims",
            self.fixed_claims
                .iter()
                .map(|id| format!("✓ {id}"))
                .collect(),
        );
        section(
            &mut out,
            "Fixed suites",
            self.fixed_suites.iter().map(|n| format!("✓ {n}")).collect(),
        );
        section(
            &mut out,
            "Newly skipped suites",
            self.newly_skipped
                .iter()
                .map(|s| format!("- {}: {}", s.suite, s.reason))
                .collect(),
        );
        section(
            &mut out,
            "No longer skipped",
            self.no_longer_skipped
                .iter()
                .map(|(n, now)| format!("{n}: now {now}"))
                .collect(),
        );
        section(
            &mut out,
            "Skip reason changed",
            self.skip_reason_changed
                .iter()
                .map(|c| format!("{}: {} → {}", c.suite, c.old, c.new))
                .collect(),
        );
        section(
            &mut out,
            "Suites added",
            self.added_suites
                .iter()
                .map(|(n, o)| format!("+ {n} ({o})"))
                .collect(),
        );
        section(
            &mut out,
            "Suites removed",
            self.removed_suites
                .iter()
                .map(|n| format!("- {n}"))
                .collect(),
        );
        section(
            &mut out,
            "Other claim changes",
            self.other_claim_changes
                .iter()
                .map(|(id, a, b)| format!("{id}: {a} → {b}"))
                .collect(),
        );
        let verdict = if self.newly_failing() {
            "\nverdict: something newly fails"
        } else if self.is_empty() {
            "\nverdict: no change"
        } else {
            "\nverdict: nothing newly fails"
        };
        let _ = writeln!(out, "{verdict}");
        out
    }
}

/// Reports larger than this are refused by `diff` (a report is never this big).
pub const MAX_REPORT_BYTES: usize = 256 * 1024 * 1024;

/// Reads a JSON report file (a regular file, at most [`MAX_REPORT_BYTES`]); errors name the file.
pub fn read_report(path: &Path) -> Result<RunReport, String> {
    let bytes =
        crate::input::read_file_limited(path, MAX_REPORT_BYTES).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes)
        .map_err(|e| format!("{}: cannot be read: not UTF-8 ({e})", path.display()))?;
    super::json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `diff OLD NEW`: the rendered diff and whether something newly fails; `Err` (naming the file)
/// when a report cannot be read (exit 2).
pub fn run_diff(old_path: &Path, new_path: &Path) -> Result<(String, bool), String> {
    let old = read_report(old_path)?;
    let new = read_report(new_path)?;
    let d = diff(&old, &new);
    Ok((d.render(), d.newly_failing()))
}
