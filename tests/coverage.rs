//! The suites cover the documented claims, and the claim list matches the spec.
//!
//! (a) every claim ID of `claims::CLAIMS` is named by at least one suite under `suites/`;
//! (b) `src/claims.rs` lists the IDs of the repository's `spec/claims.md` (a copy of the shared spec), in order;
//! (c) every profile under `suites/profiles/` loads, and every suite loads under it, also as it
//!     would against a live target (no literal credential or token in any suite).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pelcro_conformance::claims::CLAIMS;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::load::{embedded_sources, load_all};
use pelcro_conformance::suite::{LoadContext, LoadedSuite};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_suites(profile: &SiteProfile, live: bool) -> Vec<LoadedSuite> {
    let schemas = SchemaSet::embedded().expect("the built-in schemas load");
    let profile_json = profile.to_json();
    let ctx = LoadContext {
        schemas: &schemas,
        profile: &profile_json,
        live,
    };
    load_all(&embedded_sources(), &ctx).unwrap_or_else(|errors| {
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!(
            "the suites do not load (profile {}, live {live}):\n{}",
            profile.name,
            messages.join("\n")
        )
    })
}

#[test]
fn every_claim_is_covered_by_a_suite() {
    let suites = load_suites(&SiteProfile::default(), false);
    let named: BTreeSet<&str> = suites
        .iter()
        .flat_map(|s| s.suite.claims.iter().map(String::as_str))
        .collect();
    let uncovered: Vec<&str> = CLAIMS
        .iter()
        .map(|c| c.id)
        .filter(|id| !named.contains(id))
        .collect();
    assert!(
        uncovered.is_empty(),
        "claims no suite under suites/ names: {uncovered:?}"
    );
}

/// The `| ID | claim | source |` rows of every section but "Known variations", in order.
fn spec_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut in_variations = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            in_variations = heading.trim().eq_ignore_ascii_case("Known variations");
            continue;
        }
        if in_variations || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 3 {
            continue;
        }
        let id = cells[0];
        let is_header = id.eq_ignore_ascii_case("ID");
        let is_rule = id.chars().all(|c| c == '-' || c == ':');
        if !is_header && !is_rule && !id.is_empty() {
            ids.push(id.to_string());
        }
    }
    ids
}

#[test]
fn the_claim_list_matches_the_repository_s_copy_of_the_spec() {
    // The repository carries its own copy (`spec/claims.md`); `.ci/run` compares it with
    // `../shared/spec/claims.md` where that folder exists. A fresh clone has only the copy.
    let path = manifest_dir().join("spec/claims.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): the repository's claims copy",
            path.display()
        )
    });
    let spec = spec_ids(&text);
    assert!(
        !spec.is_empty(),
        "no claim rows found in {}",
        path.display()
    );
    let code: Vec<String> = CLAIMS.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(
        code,
        spec,
        "src/claims.rs and {} list different claim IDs (or a different order)",
        path.display()
    );
}

#[test]
fn the_spec_parser_reads_rows_and_skips_variations() {
    let text = "## A\n| ID | claim | source |\n|---|---|---|\n| X-1 | a | b |\n| X-2 | c | d |\n\
                ## Known variations\n| point | guide | public |\n|---|---|---|\n| p | q | r |\n";
    assert_eq!(spec_ids(text), vec!["X-1", "X-2"]);
}

fn profile_files() -> Vec<PathBuf> {
    let dir = manifest_dir().join("suites/profiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

fn read_profile(path: &Path) -> SiteProfile {
    let bytes = std::fs::read(path).expect("the profile is readable");
    SiteProfile::from_yaml(&path.display().to_string(), &bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_profile_loads_with_a_name_and_description() {
    let files = profile_files();
    assert!(
        files.len() >= 5,
        "expected default, public-401, lockout-429, ttl-14 and strict: {files:?}"
    );
    for path in &files {
        let profile = read_profile(path);
        let stem = path.file_stem().unwrap().to_string_lossy();
        assert_eq!(
            profile.name,
            stem,
            "{}: `name` differs from the file name",
            path.display()
        );
        assert!(
            !profile.description.trim().is_empty(),
            "{}: no description",
            path.display()
        );
    }
}

#[test]
fn every_suite_loads_under_every_profile_also_for_a_live_target() {
    for path in profile_files() {
        let profile = read_profile(&path);
        load_suites(&profile, false);
        load_suites(&profile, true);
    }
}

#[test]
fn the_readme_lists_every_claim_with_its_suites() {
    let readme =
        std::fs::read_to_string(manifest_dir().join("README.md")).expect("README.md is readable");
    let suites = load_suites(&SiteProfile::default(), false);
    for claim in CLAIMS {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| {} |", claim.id)))
            .unwrap_or_else(|| panic!("README.md's claims table has no row for {}", claim.id));
        for suite in suites
            .iter()
            .filter(|s| s.suite.claims.iter().any(|c| c == claim.id))
        {
            let stem = suite
                .file
                .trim_start_matches("suites/")
                .trim_end_matches(".yaml");
            assert!(
                row.contains(&format!("`{stem}`")),
                "README.md's row for {} does not name suite `{stem}`",
                claim.id
            );
        }
    }
}
