//! The result of a run, in one serializable tree. Everything in it is already redacted.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checks::CheckResult;

/// Bumped when the JSON report's shape changes incompatibly.
pub const REPORT_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub format_version: u32,
    pub harness_version: String,
    /// `embedded mock` or the target URL.
    pub target: String,
    pub site_id: String,
    /// The profile's name and where it came from.
    pub profile: String,
    pub profile_source: String,
    /// The target's capabilities as probed.
    pub capabilities: Vec<String>,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    /// Things the reader must know about how the run went (`--allow-lockout`, …).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The email addresses the run registered (on a live site: accounts to clean up).
    #[serde(default)]
    pub registrations: Vec<String>,
    pub suites: Vec<SuiteReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuiteOutcome {
    Passed,
    Failed,
    Skipped,
    /// Ctrl-C cut it short: neither passed nor failed (exit 3; `diff` does not count it as
    /// newly failing).
    Interrupted,
}

impl SuiteOutcome {
    /// The mark the Markdown and HTML reports show.
    pub fn mark(self) -> &'static str {
        match self {
            SuiteOutcome::Passed => "✅",
            SuiteOutcome::Failed => "❌",
            SuiteOutcome::Skipped => "⏭️",
            SuiteOutcome::Interrupted => "⏸️",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteReport {
    pub name: String,
    pub file: String,
    pub claims: Vec<String>,
    pub tags: Vec<String>,
    pub outcome: SuiteOutcome,
    /// Why it was skipped, or the first failure in a sentence.
    pub reason: Option<String>,
    pub steps: Vec<StepReport>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Passed,
    /// A check failed: the target deviates.
    Failed,
    /// The step could not be carried out (no answer, a variable missing at run time).
    Errored,
    /// An earlier step did not provide what this one needs.
    NotRun,
    /// Ctrl-C stopped the run before (or during the repeats of) this step.
    Interrupted,
}

impl StepOutcome {
    /// The word the reports use.
    pub fn label(self) -> &'static str {
        match self {
            StepOutcome::Passed => "passed",
            StepOutcome::Failed => "failed",
            StepOutcome::Errored => "error",
            StepOutcome::NotRun => "not run",
            StepOutcome::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepReport {
    pub name: String,
    pub outcome: StepOutcome,
    pub reason: Option<String>,
    /// For repeated steps: the attempt (from 1) that failed, or the count that passed.
    pub attempts: u64,
    pub checks: Vec<CheckResult>,
    /// The last exchange, redacted.
    pub evidence: Option<Evidence>,
    /// What the harness did along the way (waits after a 429, …).
    #[serde(default)]
    pub notes: Vec<String>,
    pub duration_ms: u64,
}

impl StepReport {
    /// A step that did not run, and why.
    pub fn not_run(name: &str, reason: &str) -> StepReport {
        StepReport {
            name: name.to_string(),
            outcome: StepOutcome::NotRun,
            reason: Some(reason.to_string()),
            attempts: 0,
            checks: Vec::new(),
            evidence: None,
            notes: Vec::new(),
            duration_ms: 0,
        }
    }
}

/// One request and its response, redacted at the source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence {
    pub method: String,
    /// Path and query, relative to the target.
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Value>,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<Value>,
}

/// Counts of suites by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Cut short by Ctrl-C; shown in the count line only when there are some.
    #[serde(default)]
    pub interrupted: usize,
}

impl RunReport {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for suite in &self.suites {
            match suite.outcome {
                SuiteOutcome::Passed => counts.passed += 1,
                SuiteOutcome::Failed => counts.failed += 1,
                SuiteOutcome::Skipped => counts.skipped += 1,
                SuiteOutcome::Interrupted => counts.interrupted += 1,
            }
        }
        counts
    }

    /// Whether every suite that ran passed.
    pub fn passed(&self) -> bool {
        self.counts().failed == 0
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )?;
        if self.interrupted > 0 {
            write!(f, ", {} interrupted", self.interrupted)?;
        }
        Ok(())
    }
}
