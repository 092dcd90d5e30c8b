//! The result of a run, in one serializable tree. Everything in it is already redacted.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checks::{CheckKind, CheckResult, Gate, Level};

/// Bumped when the JSON report's shape changes incompatibly.
pub const REPORT_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// `--strict`: failed assumptions failed their steps.
    #[serde(default)]
    pub strict: bool,
    /// `--fail-on-snapshot-change`: snapshot changes failed their steps.
    #[serde(default)]
    pub fail_on_snapshot_change: bool,
    /// Assumed checks that failed without failing the run (see [`RunReport::collect_findings`]).
    #[serde(default)]
    pub advisories: Vec<Advisory>,
    /// Snapshots that differ from, or are missing in, the target's baselines.
    #[serde(default)]
    pub snapshot_changes: Vec<SnapshotChange>,
    /// Where a live site, observed without harm after the suites, differs from the stated
    /// profile (`profile discover`'s observations): a finding per field, not a verdict.
    #[serde(default)]
    pub configuration_drift: Vec<ConfigurationDrift>,
    pub suites: Vec<SuiteReport>,
}

/// A profile field the site was seen to contradict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurationDrift {
    /// The profile field, e.g. `auth_token_ttl_days` or `lockout.attempts`.
    pub field: String,
    /// What the profile states.
    pub stated: Value,
    /// What the site showed.
    pub observed: Value,
    /// How it was observed, in a phrase.
    pub how: String,
}

impl ConfigurationDrift {
    /// `auth_token_ttl_days: the profile states 60, the site shows 30 (exp − iat of a login's token)`.
    pub fn sentence(&self) -> String {
        format!(
            "{}: the profile states {}, the site shows {} ({})",
            self.field, self.stated, self.observed, self.how
        )
    }
}

/// A failed assumption: the target differs from the mock where the documents are silent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub claim: String,
    pub suite: String,
    pub step: String,
    /// The check, what it expected and what came, in a sentence.
    pub message: String,
    /// Why it is only an assumption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// Whether a snapshot changed or had no baseline yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotChangeKind {
    /// The response differs from the accepted baseline.
    Changed,
    /// No baseline yet: this run's response is pending as the new one.
    New,
    /// The target had no baselines: this run's response was recorded as its baseline.
    Recorded,
    /// The snapshot could not be read or written.
    Error,
}

/// A snapshot that is news: drift since the baseline, not a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotChange {
    pub suite: String,
    pub step: String,
    pub kind: SnapshotChangeKind,
    /// The snapshot file.
    pub file: String,
    /// The diff or the reason.
    pub message: String,
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
    /// The text symbol the Markdown and HTML reports show beside the word (no emoji).
    pub fn symbol(self) -> &'static str {
        match self {
            SuiteOutcome::Passed => "✓",
            SuiteOutcome::Failed => "✗",
            SuiteOutcome::Skipped => "⊘",
            SuiteOutcome::Interrupted => "‖",
        }
    }

    /// The word.
    pub fn label(self) -> &'static str {
        match self {
            SuiteOutcome::Passed => "passed",
            SuiteOutcome::Failed => "failed",
            SuiteOutcome::Skipped => "skipped",
            SuiteOutcome::Interrupted => "interrupted",
        }
    }

    /// Symbol and word: `✓ passed`.
    pub fn mark(self) -> String {
        format!("{} {}", self.symbol(), self.label())
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
    /// When the suite started (RFC 3339, UTC); absent for one that never started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
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
    /// For a failed or errored step: `curl` commands that send it again with the steps it
    /// depends on, secrets as shell variables (see `report::reproduce`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduction: Option<String>,
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
            reproduction: None,
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

    /// The verdict rules this run applied.
    pub fn gate(&self) -> Gate {
        Gate {
            strict: self.strict,
            fail_on_snapshot_change: self.fail_on_snapshot_change,
        }
    }

    /// Fills `advisories` and `snapshot_changes` from the suites' checks.
    pub fn collect_findings(&mut self) {
        let gate = self.gate();
        let mut advisories = Vec::new();
        let mut changes = Vec::new();
        for suite in &self.suites {
            for step in &suite.steps {
                for check in step.checks.iter().filter(|c| !c.passed) {
                    if check.is_advisory(gate) {
                        advisories.push(Advisory {
                            claim: check
                                .claim
                                .clone()
                                .or_else(|| suite.claims.first().cloned())
                                .unwrap_or_default(),
                            suite: suite.name.clone(),
                            step: step.name.clone(),
                            message: check.sentence(),
                            why: check.why.clone(),
                        });
                    } else if check.kind == CheckKind::Snapshot && check.level == Level::Baseline {
                        changes.push(SnapshotChange {
                            suite: suite.name.clone(),
                            step: step.name.clone(),
                            kind: SnapshotChangeKind::of(&check.actual),
                            file: check.subject.clone(),
                            message: check.actual.clone(),
                        });
                    }
                }
            }
        }
        self.advisories = advisories;
        self.snapshot_changes = changes;
    }

    /// The claims that have advisories, for "pass, with advisories".
    pub fn advisories_of(&self, claim: &str) -> Vec<&Advisory> {
        self.advisories
            .iter()
            .filter(|a| a.claim == claim)
            .collect()
    }
}

impl SuiteReport {
    /// The levels of the checks that failed this suite's steps, sorted, for "what failed".
    pub fn failed_levels(&self, gate: Gate) -> Vec<Level> {
        let mut levels: Vec<Level> = self
            .steps
            .iter()
            .flat_map(|s| s.checks.iter())
            .filter(|c| c.fails(gate))
            .map(|c| c.level)
            .collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }
}

impl SnapshotChangeKind {
    /// Told apart by the store's message: a missing baseline, or a difference.
    fn of(message: &str) -> SnapshotChangeKind {
        if message.starts_with(crate::snapshot::MISSING_MESSAGE) {
            SnapshotChangeKind::New
        } else if message.starts_with(crate::snapshot::RECORDED_MESSAGE) {
            SnapshotChangeKind::Recorded
        } else if message.starts_with(crate::snapshot::CHANGED_MESSAGE) {
            SnapshotChangeKind::Changed
        } else {
            SnapshotChangeKind::Error
        }
    }

    /// The word the reports use.
    pub fn label(self) -> &'static str {
        match self {
            SnapshotChangeKind::Changed => "changed since the baseline",
            SnapshotChangeKind::New => "new baseline (pending)",
            SnapshotChangeKind::Recorded => "new baseline (recorded)",
            SnapshotChangeKind::Error => "snapshot error",
        }
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
