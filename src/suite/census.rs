//! What stands behind each claim: the suites that name it and how many of their checks are
//! documented, variant or assumed. Counted from the suite files, before anything runs (the
//! `claims` command); a repeated step counts once.

use serde::Serialize;
use serde_json::Value;

use crate::checks::Level;
use crate::claims::CLAIMS;

use super::LoadedSuite;
use super::model::{Expect, Step};

/// Checks by level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LevelCounts {
    pub documented: usize,
    pub variant: usize,
    pub assumed: usize,
}

impl LevelCounts {
    fn add(&mut self, level: Level, n: usize) {
        match level {
            Level::Documented => self.documented += n,
            Level::Variant => self.variant += n,
            Level::Assumed => self.assumed += n,
            Level::Baseline => {}
        }
    }

    fn merge(&mut self, other: LevelCounts) {
        self.documented += other.documented;
        self.variant += other.variant;
        self.assumed += other.assumed;
    }
}

/// One claim, the suites behind it, and their checks by level.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimChecks {
    pub id: String,
    pub claim: String,
    pub suites: Vec<String>,
    pub checks: LevelCounts,
}

/// Every claim of claims.md in order, with what the given suites check of it.
pub fn census(suites: &[LoadedSuite]) -> Vec<ClaimChecks> {
    let per_suite: Vec<(&LoadedSuite, LevelCounts)> =
        suites.iter().map(|s| (s, suite_counts(s))).collect();
    CLAIMS
        .iter()
        .map(|claim| {
            let mut checks = LevelCounts::default();
            let mut names = Vec::new();
            for (loaded, counts) in &per_suite {
                if loaded.suite.claims.iter().any(|c| c == claim.id) {
                    names.push(loaded.file.clone());
                    checks.merge(*counts);
                }
            }
            ClaimChecks {
                id: claim.id.to_string(),
                claim: claim.text.to_string(),
                suites: names,
                checks,
            }
        })
        .collect()
}

fn suite_counts(loaded: &LoadedSuite) -> LevelCounts {
    let mut counts = LevelCounts::default();
    for step in &loaded.suite.steps {
        step_counts(&step.value, &mut counts);
    }
    counts
}

fn step_counts(step: &Step, counts: &mut LevelCounts) {
    let (documented, variant) = expect_size(&step.expect);
    if step.assumed.is_some() {
        counts.add(Level::Assumed, documented + variant);
    } else {
        counts.add(Level::Documented, documented);
        counts.add(Level::Variant, variant);
    }
    if let Some(assume) = &step.assume {
        let (a, b) = expect_size(assume);
        counts.add(Level::Assumed, a + b);
    }
}

/// (documented, variant) checks of one block; variant where the expectation comes from a profile
/// field that selects a Known-variations row (the runner's rule, `step::is_variant_spec`).
fn expect_size(expect: &Expect) -> (usize, usize) {
    let mut specs: Vec<&Value> = Vec::new();
    specs.extend(expect.status.as_ref());
    specs.extend(expect.json.values());
    specs.extend(expect.headers.values());
    if let Some(jwt) = &expect.jwt {
        specs.extend(jwt.header.values());
        specs.extend(jwt.claims.values());
        specs.extend(jwt.ttl_days.as_ref());
    }
    let variant = specs
        .iter()
        .filter(|spec| crate::step::is_variant_spec(spec))
        .count();
    let schema = usize::from(expect.schema.is_some());
    (specs.len() - variant + schema, variant)
}

/// The census as a table for the console.
pub fn render_text(rows: &[ClaimChecks]) -> String {
    let mut out = format!(
        "{:<17} {:>6} {:>10} {:>7} {:>7}  suites\n",
        "claim", "suites", "documented", "variant", "assumed"
    );
    for row in rows {
        out.push_str(&format!(
            "{:<17} {:>6} {:>10} {:>7} {:>7}  {}\n",
            row.id,
            row.suites.len(),
            row.checks.documented,
            row.checks.variant,
            row.checks.assumed,
            if row.suites.is_empty() {
                "(none: not covered)".to_string()
            } else {
                row.suites.join(", ")
            }
        ));
    }
    let uncovered = rows.iter().filter(|r| r.suites.is_empty()).count();
    out.push_str(&format!(
        "{} claims, {} covered; a suite's checks count under every claim it names\n",
        rows.len(),
        rows.len() - uncovered
    ));
    out
}

/// The census as JSON: `{"claims": [{id, claim, suites, checks: {documented, variant, assumed}}]}`.
pub fn render_json(rows: &[ClaimChecks]) -> String {
    let value = serde_json::json!({ "claims": rows });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{LoadContext, SuiteSource, load};

    fn loaded(text: &str) -> LoadedSuite {
        let schemas = crate::schemas::SchemaSet::embedded().unwrap();
        let profile = crate::profile::SiteProfile::default().to_json();
        let ctx = LoadContext {
            schemas: &schemas,
            profile: &profile,
            live: false,
        };
        load::load(
            &SuiteSource {
                file: "t.yaml".into(),
                bytes: text.as_bytes().to_vec(),
            },
            &ctx,
        )
        .unwrap()
    }

    #[test]
    fn checks_are_counted_by_level_under_every_claim_the_suite_names() {
        let suite = loaded(
            r#"
name: t
claims: [TOKEN-BEARER, CUST-GET]
steps:
  - name: a
    request: { method: GET, path: /customer, bearer: x }
    expect:
      status: "{{ profile.invalid_token_status }}"
      schema: error-auth
      json: { /error/status: 403 }
    assume:
      why: no wording is quoted
      json: { /error/message: nope }
  - name: b
    assumed: a journey the documents do not promise
    request: { method: GET, path: /site }
    expect: { status: 200 }
"#,
        );
        let rows = census(&[suite]);
        let bearer = rows.iter().find(|r| r.id == "TOKEN-BEARER").unwrap();
        assert_eq!(
            bearer.checks,
            LevelCounts {
                documented: 2,
                variant: 1,
                assumed: 2
            }
        );
        assert_eq!(bearer.suites, vec!["t.yaml".to_string()]);
        let get = rows.iter().find(|r| r.id == "CUST-GET").unwrap();
        assert_eq!(get.checks, bearer.checks);
        let site = rows.iter().find(|r| r.id == "SITE").unwrap();
        assert!(site.suites.is_empty() && site.checks == LevelCounts::default());
        assert!(render_text(&rows).contains("(none: not covered)"));
        let json: Value = serde_json::from_str(&render_json(&rows)).unwrap();
        assert_eq!(json["claims"].as_array().unwrap().len(), CLAIMS.len());
    }
}
