//! The editor schemas of `schemas/editor/` (for yaml-language-server): fresh against the model,
//! and every built-in suite and profile, and README's suite example, valid against them.

use std::path::{Path, PathBuf};

use pelcro_conformance::editor_schemas::EditorSchema;
use pelcro_conformance::input::parse_yaml;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator(which: EditorSchema) -> jsonschema::Validator {
    jsonschema::validator_for(&which.generate()).expect("the generated schema compiles")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn errors_of(validator: &jsonschema::Validator, path: &Path, text: &str) -> Vec<String> {
    let value: Value = parse_yaml(&path.display().to_string(), text).unwrap();
    validator
        .iter_errors(&value)
        .map(|e| format!("{}: at {}: {e}", path.display(), e.instance_path()))
        .collect()
}

#[test]
fn the_checked_in_editor_schemas_are_the_ones_the_model_generates() {
    for which in EditorSchema::ALL {
        let path = root().join("schemas/editor").join(which.file_name());
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stored == which.text(),
            "{} is stale: run `cargo run -- schema {} > {}`",
            path.display(),
            which.file_name().split('.').next().unwrap(),
            path.strip_prefix(root()).unwrap().display()
        );
    }
}

#[test]
fn every_built_in_suite_and_profile_validates_against_its_editor_schema() {
    let suites = validator(EditorSchema::Suite);
    let profiles = validator(EditorSchema::Profile);
    let mut files = Vec::new();
    yaml_files(&root().join("suites"), &mut files);
    assert!(files.len() > 50, "found {} suite files", files.len());
    let mut errors = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let is_profile = path.parent().is_some_and(|p| p.ends_with("profiles"));
        let validator = if is_profile { &profiles } else { &suites };
        errors.extend(errors_of(validator, path, &text));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_editor_schema_refuses_an_unknown_key_and_a_wrong_type() {
    let suites = validator(EditorSchema::Suite);
    let path = Path::new("bad.yaml");
    let unknown =
        "name: x\nclaims: [SITE]\nsteps:\n  - name: s\n    reqest: { method: GET, path: /site }\n";
    assert!(!errors_of(&suites, path, unknown).is_empty());
    let wrong = "name: x\nclaims: SITE\nsteps: []\n";
    assert!(!errors_of(&suites, path, wrong).is_empty());
}

#[test]
fn the_readme_suite_example_validates_and_loads() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## The suite format")
        .nth(1)
        .expect("README has a suite format section");
    let example = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a yaml example");
    let errors = errors_of(
        &validator(EditorSchema::Suite),
        Path::new("README.md"),
        example,
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // And the harness's own loader takes it, with every static check.
    let schemas = pelcro_conformance::schemas::SchemaSet::embedded().unwrap();
    let profile = pelcro_conformance::profile::SiteProfile::default().to_json();
    let ctx = pelcro_conformance::suite::LoadContext {
        schemas: &schemas,
        profile: &profile,
        live: false,
    };
    let source = pelcro_conformance::suite::SuiteSource {
        file: "README.md".into(),
        bytes: example.as_bytes().to_vec(),
    };
    if let Err(error) = pelcro_conformance::suite::load::load(&source, &ctx) {
        panic!("README's example does not load: {error}");
    }
}

/// The `yaml-language-server` modeline's schema path, resolved from the file's own folder.
fn modeline_schema(path: &Path, text: &str) -> Result<PathBuf, String> {
    let first = text.lines().next().unwrap_or_default();
    let relative = first
        .strip_prefix("# yaml-language-server: $schema=")
        .ok_or_else(|| {
            format!(
                "{}: first line is not the modeline: {first}",
                path.display()
            )
        })?;
    let resolved = path.parent().unwrap().join(relative);
    resolved
        .canonicalize()
        .map_err(|e| format!("{}: {} does not resolve: {e}", path.display(), relative))
}

#[test]
fn every_built_in_suite_and_profile_names_its_editor_schema_by_a_relative_path() {
    let mut files = Vec::new();
    yaml_files(&root().join("suites"), &mut files);
    assert!(files.len() > 50, "found {} suite files", files.len());
    let schemas = root().join("schemas/editor").canonicalize().unwrap();
    let mut errors = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let is_profile = path.parent().is_some_and(|p| p.ends_with("profiles"));
        let want = schemas.join(if is_profile {
            EditorSchema::Profile.file_name()
        } else {
            EditorSchema::Suite.file_name()
        });
        match modeline_schema(path, &text) {
            Ok(found) if found == want => {}
            Ok(found) => errors.push(format!(
                "{}: names {}, not {}",
                path.display(),
                found.display(),
                want.display()
            )),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_modeline_that_is_missing_or_points_nowhere_is_caught() {
    let file = root().join("suites/site/x.yaml");
    assert!(modeline_schema(&file, "name: x\n").is_err());
    assert!(
        modeline_schema(
            &file,
            "# yaml-language-server: $schema=../nowhere/suite.schema.json\n"
        )
        .is_err()
    );
    assert!(
        modeline_schema(
            &file,
            "# yaml-language-server: $schema=../../schemas/editor/suite.schema.json\n"
        )
        .is_ok()
    );
}
