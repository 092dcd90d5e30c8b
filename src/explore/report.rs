//! What an exploration found, in the run report's four formats (each finding is a failed suite
//! under the claims it breaks, so the compliance tables list findings by claim), plus the
//! finding suites themselves under `findings/`.

use std::path::{Path, PathBuf};

use super::ExploreOutcome;
use crate::report::{REPORT_FORMAT_VERSION, RunReport};

/// The exploration as a run report: one failed suite per finding; the seed, the budget spent and
/// the journeys in its notes.
pub fn run_report(outcome: &ExploreOutcome, capabilities: Vec<String>) -> RunReport {
    let mut notes = vec![format!(
        "explore: seed {}, {} journeys, {} of {} requests, {} finding(s){}",
        outcome.seed,
        outcome.journeys,
        outcome.requests,
        outcome.budget,
        outcome.findings.len(),
        outcome
            .stopped
            .as_ref()
            .map(|s| format!("; stopped early: {s}"))
            .unwrap_or_default()
    )];
    notes.extend(outcome.notes.iter().cloned());
    let mut report = RunReport {
        format_version: REPORT_FORMAT_VERSION,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        target: outcome.target.clone(),
        site_id: outcome.site_id.clone(),
        profile: outcome.profile.name.clone(),
        profile_source: "explore".into(),
        capabilities,
        started_at: crate::time::now_rfc3339(),
        duration_ms: outcome.duration.as_millis() as u64,
        notes,
        registrations: outcome.registrations.clone(),
        strict: false,
        fail_on_snapshot_change: false,
        advisories: Vec::new(),
        snapshot_changes: Vec::new(),
        configuration_drift: Vec::new(),
        suites: outcome
            .findings
            .iter()
            .map(|f| {
                let mut suite = f.report.clone();
                suite.file = format!("findings/{}", f.file_name);
                suite.claims = f.claims.iter().map(|c| c.to_string()).collect();
                suite
            })
            .collect(),
    };
    report.collect_findings();
    report
}

/// Writes the four report files and the finding suites into `dir`; returns every path written.
pub fn write(
    outcome: &ExploreOutcome,
    report: &RunReport,
    dir: &Path,
) -> Result<Vec<PathBuf>, String> {
    let mut paths = crate::report::files::write_all(report, dir, &outcome.profile)?;
    let findings = dir.join("findings");
    if !outcome.findings.is_empty() {
        std::fs::create_dir_all(&findings)
            .map_err(|e| format!("{}: cannot create the folder: {e}", findings.display()))?;
    }
    for finding in &outcome.findings {
        let path = findings.join(&finding.file_name);
        std::fs::write(&path, &finding.yaml)
            .map_err(|e| format!("{}: cannot be written: {e}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// The console summary: one line per finding, by claim.
pub fn summary(outcome: &ExploreOutcome) -> String {
    let mut text = format!(
        "explore {} (site {}): seed {}, {} journeys, {} of {} requests, {:.1} s\n",
        outcome.target,
        outcome.site_id,
        outcome.seed,
        outcome.journeys,
        outcome.requests,
        outcome.budget,
        outcome.duration.as_secs_f64()
    );
    if let Some(why) = &outcome.stopped {
        text.push_str(&format!("stopped early: {why}\n"));
    }
    if outcome.findings.is_empty() {
        text.push_str("no finding: every step answered as the documents allow\n");
    }
    for finding in &outcome.findings {
        text.push_str(&format!(
            "FINDING {}: {} steps, {}\n",
            finding.claims.join(", "),
            finding.steps,
            finding.report.reason.as_deref().unwrap_or("failed")
        ));
    }
    if !outcome.registrations.is_empty() {
        text.push_str(&format!(
            "registered {} customer(s) (listed in the report)\n",
            outcome.registrations.len()
        ));
    }
    text
}
