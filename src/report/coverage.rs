//! Each documented claim's status in one run, from the suites that name it.
//!
//! - **fail**: a suite naming the claim failed;
//! - **pass**: every suite naming it passed;
//! - **partly skipped**: none failed, some passed and some were skipped (the skips are listed:
//!   part of what the claim promises was not exercised);
//! - **skipped**: every suite naming it was skipped (with their reasons);
//! - **not covered**: no suite of this run names it.

use crate::claims::{CLAIMS, Claim};

use crate::checks::Level;

use super::{Advisory, RunReport, SuiteOutcome, SuiteReport};

/// A claim's status in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClaimStatus {
    Fail,
    Pass,
    PartlySkipped,
    Skipped,
    NotCovered,
}

impl ClaimStatus {
    /// The word reports print.
    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Fail => "fail",
            ClaimStatus::Pass => "pass",
            ClaimStatus::PartlySkipped => "pass (partly skipped)",
            ClaimStatus::Skipped => "skipped",
            ClaimStatus::NotCovered => "not covered",
        }
    }

    /// A text symbol (no emoji: it must read without an emoji font, and in greyscale beside
    /// the word).
    pub fn icon(self) -> &'static str {
        match self {
            ClaimStatus::Fail => "✗",
            ClaimStatus::Pass => "✓",
            ClaimStatus::PartlySkipped => "◐",
            ClaimStatus::Skipped => "⊘",
            ClaimStatus::NotCovered => "○",
        }
    }

    /// A CSS class name for HTML.
    pub fn css(self) -> &'static str {
        match self {
            ClaimStatus::Fail => "fail",
            ClaimStatus::Pass => "pass",
            ClaimStatus::PartlySkipped => "partly",
            ClaimStatus::Skipped => "skipped",
            ClaimStatus::NotCovered => "uncovered",
        }
    }
}

/// One claim, its status and the suites behind it.
#[derive(Debug, Clone)]
pub struct ClaimCoverage<'a> {
    /// The claim's ID (from `claims::CLAIMS`, or one a suite names that the documents lack).
    pub id: String,
    /// `None` for an ID that `claims::CLAIMS` does not know.
    pub claim: Option<&'static Claim>,
    pub status: ClaimStatus,
    pub suites: Vec<&'a SuiteReport>,
    /// Failed assumptions reported under this claim (they do not fail it).
    pub advisories: Vec<&'a Advisory>,
    /// The levels of the checks that failed it (documented, variant; assumed under `--strict`).
    pub failed_levels: Vec<Level>,
}

impl ClaimCoverage<'_> {
    /// The status in words, with what failed or the advisories: `fail (documented)`,
    /// `pass, with 2 advisories`.
    pub fn verdict(&self) -> String {
        match self.status {
            ClaimStatus::Fail if !self.failed_levels.is_empty() => {
                let levels: Vec<&str> = self.failed_levels.iter().map(|l| l.label()).collect();
                format!("fail ({})", levels.join(", "))
            }
            ClaimStatus::Pass | ClaimStatus::PartlySkipped if !self.advisories.is_empty() => {
                format!(
                    "{}, with {} {}",
                    self.status.label(),
                    self.advisories.len(),
                    if self.advisories.len() == 1 {
                        "advisory"
                    } else {
                        "advisories"
                    }
                )
            }
            _ => self.status.label().to_string(),
        }
    }

    /// Why the claim has its status, in a sentence (skip reasons, "no suite names it").
    pub fn why(&self) -> String {
        match self.status {
            ClaimStatus::NotCovered => "no suite in this run names this claim".into(),
            ClaimStatus::Skipped | ClaimStatus::PartlySkipped => {
                let reasons: Vec<String> = self
                    .suites
                    .iter()
                    .filter(|s| s.outcome == SuiteOutcome::Skipped)
                    .map(|s| {
                        format!(
                            "`{}` skipped: {}",
                            s.name,
                            s.reason.as_deref().unwrap_or("no reason given")
                        )
                    })
                    .collect();
                reasons.join("; ")
            }
            ClaimStatus::Fail => {
                let reasons: Vec<String> = self
                    .suites
                    .iter()
                    .filter(|s| s.outcome == SuiteOutcome::Failed)
                    .map(|s| {
                        format!(
                            "`{}` failed: {}",
                            s.name,
                            s.reason.as_deref().unwrap_or("no reason given")
                        )
                    })
                    .collect();
                reasons.join("; ")
            }
            ClaimStatus::Pass => String::new(),
        }
    }
}

/// A failing claim in one line, for the top of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingClaim {
    pub id: String,
    /// `fail (documented)`.
    pub verdict: String,
    /// The first failed suite and its first failure: `no token — step \`x\`: status: …`.
    pub line: String,
}

/// The failing claims in document order, each with its first failure.
pub fn failing(coverage: &[ClaimCoverage<'_>]) -> Vec<FailingClaim> {
    coverage
        .iter()
        .filter(|c| c.status == ClaimStatus::Fail)
        .map(|c| {
            let failed: Vec<&&SuiteReport> = c
                .suites
                .iter()
                .filter(|s| s.outcome == SuiteOutcome::Failed)
                .collect();
            let mut line = match failed.first() {
                Some(suite) => format!(
                    "{} — {}",
                    suite.name,
                    suite.reason.as_deref().unwrap_or("failed")
                ),
                None => "failed".into(),
            };
            if failed.len() > 1 {
                line.push_str(&format!(" (and {} more)", failed.len() - 1));
            }
            FailingClaim {
                id: c.id.clone(),
                verdict: c.verdict(),
                line,
            }
        })
        .collect()
}

/// The status of a claim covered by these suites.
pub fn status_of(suites: &[&SuiteReport]) -> ClaimStatus {
    if suites.is_empty() {
        ClaimStatus::NotCovered
    } else if suites.iter().any(|s| s.outcome == SuiteOutcome::Failed) {
        ClaimStatus::Fail
    } else if suites.iter().all(|s| s.outcome == SuiteOutcome::Passed) {
        ClaimStatus::Pass
    } else if suites.iter().all(|s| s.outcome == SuiteOutcome::Skipped) {
        ClaimStatus::Skipped
    } else {
        ClaimStatus::PartlySkipped
    }
}

/// Every claim of `claims::CLAIMS` in document order, then any ID a suite names that the
/// documents lack (in order of first appearance).
pub fn claims(report: &RunReport) -> Vec<ClaimCoverage<'_>> {
    let coverage = |id: &str, claim, suites| claim_coverage(report, id, claim, suites);
    let covering = |id: &str| -> Vec<&SuiteReport> {
        report
            .suites
            .iter()
            .filter(|s| s.claims.iter().any(|c| c == id))
            .collect()
    };
    let mut out: Vec<ClaimCoverage<'_>> = CLAIMS
        .iter()
        .map(|claim| {
            let suites = covering(claim.id);
            coverage(claim.id, Some(claim), suites)
        })
        .collect();
    let mut unknown: Vec<&str> = Vec::new();
    for suite in &report.suites {
        for id in &suite.claims {
            if crate::claims::find(id).is_none() && !unknown.contains(&id.as_str()) {
                unknown.push(id);
            }
        }
    }
    for id in unknown {
        let suites = covering(id);
        out.push(coverage(id, None, suites));
    }
    out
}

fn claim_coverage<'a>(
    report: &'a RunReport,
    id: &str,
    claim: Option<&'static Claim>,
    suites: Vec<&'a SuiteReport>,
) -> ClaimCoverage<'a> {
    let gate = report.gate();
    let mut failed_levels: Vec<Level> = suites.iter().flat_map(|s| s.failed_levels(gate)).collect();
    failed_levels.sort_unstable();
    failed_levels.dedup();
    ClaimCoverage {
        id: id.to_string(),
        claim,
        status: status_of(&suites),
        suites,
        advisories: report.advisories_of(id),
        failed_levels,
    }
}

/// How many claims have each status: (pass incl. partly skipped, fail, skipped, not covered).
pub fn tally(coverage: &[ClaimCoverage<'_>]) -> ClaimTally {
    let mut tally = ClaimTally::default();
    for c in coverage {
        match c.status {
            ClaimStatus::Pass | ClaimStatus::PartlySkipped => tally.pass += 1,
            ClaimStatus::Fail => tally.fail += 1,
            ClaimStatus::Skipped => tally.skipped += 1,
            ClaimStatus::NotCovered => tally.not_covered += 1,
        }
    }
    tally
}

/// Counts of claims by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimTally {
    pub pass: usize,
    pub fail: usize,
    pub skipped: usize,
    pub not_covered: usize,
}

impl std::fmt::Display for ClaimTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pass, {} fail, {} skipped, {} not covered",
            self.pass, self.fail, self.skipped, self.not_covered
        )
    }
}

/// Groups in the order areas first appear, keeping the claims' order within each.
pub fn by_area<'a, 'b>(
    coverage: &'b [ClaimCoverage<'a>],
) -> Vec<(&'static str, Vec<&'b ClaimCoverage<'a>>)> {
    let mut groups: Vec<(&'static str, Vec<&'b ClaimCoverage<'a>>)> = Vec::new();
    for c in coverage {
        let area = c
            .claim
            .map(|c| c.area)
            .unwrap_or("Claims the documents do not list");
        match groups.iter_mut().find(|(a, _)| *a == area) {
            Some((_, list)) => list.push(c),
            None => groups.push((area, vec![c])),
        }
    }
    groups
}

/// A duration in milliseconds as people read it (`850 ms`, `12.3 s`, `2 min 5 s`).
pub fn human_duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// Evidence as plain text: the request line, the request body, the status, the response headers
/// and the response body (pretty JSON). Already redacted at the source.
pub fn evidence_text(evidence: &super::Evidence) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", evidence.method, evidence.url);
    for (name, value) in &evidence.request_headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    if let Some(body) = &evidence.request_body {
        let _ = writeln!(out, "\n{}", pretty(body));
    }
    let _ = writeln!(
        out,
        "\n→ {}",
        evidence
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "no answer".into())
    );
    for (name, value) in &evidence.response_headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    if let Some(body) = &evidence.response_body {
        let _ = writeln!(out, "\n{}", pretty(body));
    }
    out
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// One documented variation a profile chose (the two readings the documents allow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variation {
    /// The profile field (`invalid_token_status`, `lockout.status`, `auth_token_ttl_days`).
    pub field: &'static str,
    /// The value the run expected.
    pub value: String,
    /// What it means and where the documents say so.
    pub meaning: String,
}

/// The known-variation expectations a profile applies, in a fixed order.
pub fn variations(profile: &crate::profile::SiteProfile) -> Vec<Variation> {
    vec![
        Variation {
            field: "invalid_token_status",
            value: profile.invalid_token_status.to_string(),
            meaning: match profile.invalid_token_status {
                403 => "a malformed, tampered or expired token gets 403 (integration guide)".into(),
                401 => "a malformed, tampered or expired token gets 401 (public pages)".into(),
                other => format!("a malformed, tampered or expired token gets {other}"),
            },
        },
        Variation {
            field: "lockout.status",
            value: profile.lockout.status.to_string(),
            meaning: format!(
                "{} after {} failed logins within {} s{}",
                profile.lockout.status,
                profile.lockout.attempts,
                profile.lockout.window_seconds,
                match profile.lockout.status {
                    400 => " with `errors.email` (integration guide)",
                    429 => " (public pages)",
                    _ => "",
                }
            ),
        },
        Variation {
            field: "auth_token_ttl_days",
            value: profile.auth_token_ttl_days.to_string(),
            meaning: format!(
                "an auth token's `exp` is {} days after its `iat`",
                profile.auth_token_ttl_days
            ),
        },
    ]
}

/// The sentence that opens the advisories section of every report.
pub fn advisories_intro(strict: bool) -> &'static str {
    if strict {
        "Checks of what the mock does where the documents are silent. The target differs there; under --strict that fails the run."
    } else {
        "Checks of what the mock does where the documents are silent. The target differs there; this fails no claim (--strict would fail the run)."
    }
}

/// The sentence that opens the snapshot-changes section of every report.
pub fn snapshot_changes_intro(fail_on_change: bool) -> &'static str {
    if fail_on_change {
        "Responses that differ from the target's accepted baseline, or have none yet: drift, failing this run (--fail-on-snapshot-change)."
    } else {
        "Responses that differ from the target's accepted baseline, or have none yet: drift, not a verdict."
    }
}

/// The sentence that opens the configuration-drift section of every report.
pub const CONFIGURATION_DRIFT_INTRO: &str = "Where the site, observed without harm after the suites, differs from the profile the run was given: correct the profile (the command pelcro-conformance profile discover writes one) or the site's settings. A finding, not a verdict.";

/// `0 advisories · 1 snapshot change` (`· 2 configuration drifts` when there are any): the
/// findings besides the verdict, as every report counts them.
pub fn findings_tally(report: &RunReport) -> String {
    let mut tally = format!(
        "{} · {}",
        count(report.advisories.len(), "advisory", "advisories"),
        count(
            report.snapshot_changes.len(),
            "snapshot change",
            "snapshot changes"
        )
    );
    if !report.configuration_drift.is_empty() {
        tally.push_str(" · ");
        tally.push_str(&count(
            report.configuration_drift.len(),
            "configuration drift",
            "configuration drifts",
        ));
    }
    tally
}

/// `1 advisory`, `3 advisories`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(outcome: SuiteOutcome) -> SuiteReport {
        SuiteReport {
            name: "s".into(),
            file: "s.yaml".into(),
            claims: vec!["GEN-OK".into()],
            tags: vec![],
            outcome,
            reason: None,
            steps: vec![],
            duration_ms: 0,
            started_at: None,
        }
    }

    #[test]
    fn a_claims_status_follows_its_suites() {
        let (p, f, s) = (
            suite(SuiteOutcome::Passed),
            suite(SuiteOutcome::Failed),
            suite(SuiteOutcome::Skipped),
        );
        assert_eq!(status_of(&[]), ClaimStatus::NotCovered);
        assert_eq!(status_of(&[&p, &p]), ClaimStatus::Pass);
        assert_eq!(status_of(&[&p, &f, &s]), ClaimStatus::Fail);
        assert_eq!(status_of(&[&s, &s]), ClaimStatus::Skipped);
        assert_eq!(status_of(&[&p, &s]), ClaimStatus::PartlySkipped);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(850), "850 ms");
        assert_eq!(human_duration(12_340), "12.3 s");
        assert_eq!(human_duration(125_000), "2 min 5 s");
    }
}
