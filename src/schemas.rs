//! The JSON Schemas of `schemas/`, compiled once, validated by name.
//!
//! Every `.json` file of a folder (the repository's `schemas/`, embedded in the binary, or a folder
//! given with `--schemas DIR`) is one JSON Schema 2020-12 document; its name is the file stem
//! (`customer-envelope.json` → `customer-envelope`). All documents go into one
//! [`jsonschema::Registry`] under their `$id` (or, without one, under [`BASE_URI`] + file name), so
//! relative `$ref`s between files (`"$ref": "customer.json"`) resolve without any network or file
//! access: the registry's retriever refuses everything and the validators are built `offline()`.
//! Formats (`date-time`, `email`, `ipv4`, ...) are validated.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use include_dir::{Dir, include_dir};
use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

/// The repository's `schemas/`, embedded at compile time.
pub static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// The base URI of a schema that has no `$id`: `BASE_URI` + file name.
pub const BASE_URI: &str = "https://pelcro-conformance.local/schemas/";

/// The keyword of the violation reported when `validate` is asked for a schema the set lacks.
pub const UNKNOWN_SCHEMA_KEYWORD: &str = "unknown-schema";

/// One reason an instance does not match its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaViolation {
    /// JSON Pointer into the instance (`/data/email`); empty for the root.
    pub instance_path: String,
    /// The failing keyword (`type`, `required`, ...).
    pub keyword: String,
    /// A readable sentence.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "{at}: {} ({})", self.message, self.keyword)
    }
}

/// A schema folder that cannot be loaded. The message names the file at fault where there is one.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SchemaLoadError(pub String);

/// Every schema, compiled, addressed by name (`customer-envelope` for `customer-envelope.json`).
pub struct SchemaSet {
    validators: BTreeMap<String, Validator>,
}

impl fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaSet")
            .field("names", &self.names())
            .finish()
    }
}

/// One schema file before compilation.
struct SchemaFile {
    /// The file name, for messages (`customer.json`).
    file: String,
    /// The file stem (`customer`).
    name: String,
    /// The raw text.
    text: String,
}

impl SchemaSet {
    /// The schemas embedded in the binary from the repository's `schemas/`.
    pub fn embedded() -> Result<SchemaSet, SchemaLoadError> {
        let mut files = Vec::new();
        for file in EMBEDDED.files() {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let file_name = path.display().to_string();
            let text = file.contents_utf8().ok_or_else(|| {
                SchemaLoadError(format!("schema {file_name}: the file is not UTF-8"))
            })?;
            files.push(schema_file(path, &file_name, text.to_owned())?);
        }
        Self::compile(files, "the embedded schemas/")
    }

    /// The schemas in a folder (`--schemas DIR`): every `*.json` file directly in it.
    pub fn from_dir(dir: &Path) -> Result<SchemaSet, SchemaLoadError> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            SchemaLoadError(format!(
                "schema folder {}: cannot be read: {e}",
                dir.display()
            ))
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                SchemaLoadError(format!(
                    "schema folder {}: cannot be listed: {e}",
                    dir.display()
                ))
            })?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") || !path.is_file() {
                continue;
            }
            let file_name = path.display().to_string();
            let bytes = crate::input::read_file(&path)
                .map_err(|e| SchemaLoadError(format!("schema {e}")))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                SchemaLoadError(format!(
                    "schema {file_name}: cannot be read: not UTF-8 ({e})"
                ))
            })?;
            files.push(schema_file(&path, &file_name, text)?);
        }
        Self::compile(files, &format!("{}", dir.display()))
    }

    /// No schemas at all (for tests of the other check families).
    pub fn empty() -> SchemaSet {
        SchemaSet {
            validators: BTreeMap::new(),
        }
    }

    /// Whether a schema of that name is loaded.
    pub fn contains(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// The names of every loaded schema, sorted.
    pub fn names(&self) -> Vec<String> {
        self.validators.keys().cloned().collect()
    }

    /// `Ok` when the instance matches; otherwise every violation.
    ///
    /// A name the set does not contain gives one violation with the keyword
    /// [`UNKNOWN_SCHEMA_KEYWORD`] (check names with [`SchemaSet::contains`] when loading suites).
    pub fn validate(&self, name: &str, instance: &Value) -> Result<(), Vec<SchemaViolation>> {
        let Some(validator) = self.validators.get(name) else {
            return Err(vec![SchemaViolation {
                instance_path: String::new(),
                keyword: UNKNOWN_SCHEMA_KEYWORD.to_owned(),
                message: format!("there is no schema named `{name}`"),
            }]);
        };
        // Most answers match: the yes/no walk stops early and builds no error.
        if validator.is_valid(instance) {
            return Ok(());
        }
        let violations: Vec<SchemaViolation> = validator
            .iter_errors(instance)
            .map(|error| SchemaViolation {
                instance_path: error.instance_path().as_str().to_owned(),
                keyword: error.kind().keyword().to_owned(),
                message: error.to_string(),
            })
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }

    /// Parse, register and compile a set of schema files; `origin` names the folder in messages.
    fn compile(mut files: Vec<SchemaFile>, origin: &str) -> Result<SchemaSet, SchemaLoadError> {
        if files.is_empty() {
            return Err(SchemaLoadError(format!("{origin}: no .json schema files")));
        }
        files.sort_by(|a, b| a.file.cmp(&b.file));

        // Parse every file and pick the URI it is registered under.
        let mut parsed: Vec<(&SchemaFile, String, Value)> = Vec::with_capacity(files.len());
        let mut by_uri: BTreeMap<String, &str> = BTreeMap::new();
        let mut by_name: BTreeMap<&str, &str> = BTreeMap::new();
        for file in &files {
            let value: Value = serde_json::from_str(&file.text)
                .map_err(|e| SchemaLoadError(format!("schema {}: invalid JSON: {e}", file.file)))?;
            let uri = match &value {
                Value::Object(map) => match map.get("$id") {
                    Some(Value::String(id)) => id.trim_end_matches('#').to_owned(),
                    Some(_) => {
                        return Err(SchemaLoadError(format!(
                            "schema {}: `$id` is not a string",
                            file.file
                        )));
                    }
                    None => format!("{BASE_URI}{}.json", file.name),
                },
                Value::Bool(_) => format!("{BASE_URI}{}.json", file.name),
                _ => {
                    return Err(SchemaLoadError(format!(
                        "schema {}: a schema is a JSON object or a boolean",
                        file.file
                    )));
                }
            };
            if let Some(other) = by_name.insert(&file.name, &file.file) {
                return Err(SchemaLoadError(format!(
                    "schema {}: the name `{}` is also used by {other}",
                    file.file, file.name
                )));
            }
            if let Some(other) = by_uri.insert(uri.clone(), &file.file) {
                return Err(SchemaLoadError(format!(
                    "schema {}: the $id {uri} is also used by {other}",
                    file.file
                )));
            }
            parsed.push((file, uri, value));
        }

        // One registry holding every document, so `$ref`s between files resolve offline.
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .extend(parsed.iter().map(|(_, uri, value)| (uri.as_str(), value)))
            .and_then(|builder| builder.prepare())
            .map_err(|e| SchemaLoadError(registry_error_message(origin, &parsed, &e)))?;

        let mut validators = BTreeMap::new();
        for (file, uri, value) in &parsed {
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_base_uri(uri.as_str())
                .with_registry(&registry)
                .should_validate_formats(true)
                .offline()
                .build(value)
                .map_err(|e| SchemaLoadError(format!("schema {}: {e}", file.file)))?;
            validators.insert(file.name.clone(), validator);
        }
        Ok(SchemaSet { validators })
    }
}

/// A schema file with its stem as its name; a file without a usable stem is refused.
fn schema_file(path: &Path, file_name: &str, text: String) -> Result<SchemaFile, SchemaLoadError> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| SchemaLoadError(format!("schema {file_name}: the file name has no stem")))?;
    let file = path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or(file_name)
        .to_owned();
    Ok(SchemaFile {
        file,
        name: name.to_owned(),
        text,
    })
}

/// The registry reports the URI at fault, not the file; name the files that mention it.
fn registry_error_message(
    origin: &str,
    parsed: &[(&SchemaFile, String, Value)],
    error: &jsonschema::ReferencingError,
) -> String {
    let text = error.to_string();
    let culprits: Vec<&str> = parsed
        .iter()
        .filter(|(file, uri, _)| {
            // The file whose URI is in the message, or whose text holds a `$ref` the message quotes.
            text.contains(uri.as_str())
                || refs_of(&file.text)
                    .iter()
                    .any(|r| !r.is_empty() && text.contains(r.as_str()))
        })
        .map(|(file, _, _)| file.file.as_str())
        .collect();
    if culprits.is_empty() {
        format!("{origin}: the schemas cannot be registered: {text}")
    } else {
        format!("schema {}: {text}", culprits.join(", "))
    }
}

/// The `$ref` values of a schema text (best effort, for error messages only).
fn refs_of(text: &str) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    if key == "$ref" {
                        if let Value::String(r) = v {
                            out.push(r.split('#').next().unwrap_or_default().to_owned());
                        }
                    } else {
                        walk(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        walk(&value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn embedded() -> SchemaSet {
        SchemaSet::embedded().expect("the embedded schemas load")
    }

    #[test]
    fn embedded_set_holds_every_file_by_stem() {
        let set = embedded();
        let on_disk: Vec<String> = EMBEDDED
            .files()
            .filter(|f| f.path().extension().and_then(|e| e.to_str()) == Some("json"))
            .map(|f| f.path().file_stem().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert!(on_disk.len() >= 20, "{on_disk:?}");
        for name in &on_disk {
            assert!(set.contains(name), "{name} missing from {:?}", set.names());
        }
        assert_eq!(set.names().len(), on_disk.len());
        assert!(set.contains("customer-envelope"));
        assert!(!set.contains("customer-envelope.json"));
        let mut sorted = set.names();
        sorted.sort();
        assert_eq!(sorted, set.names());
    }

    #[test]
    fn violation_carries_pointer_keyword_and_message() {
        let set = embedded();
        let errors = set
            .validate(
                "message-envelope",
                &json!({"status": "success", "data": {}}),
            )
            .unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].instance_path, "/data");
        assert_eq!(errors[0].keyword, "required");
        assert!(
            errors[0].message.contains("message"),
            "{}",
            errors[0].message
        );
        assert_eq!(
            errors[0].to_string(),
            format!("/data: {} (required)", errors[0].message)
        );
    }

    #[test]
    fn every_violation_is_reported() {
        let set = embedded();
        let errors = set
            .validate(
                "message-envelope",
                &json!({"status": "ok", "data": {"message": 5}}),
            )
            .unwrap_err();
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|v| (v.instance_path.as_str(), v.keyword.as_str()))
            .collect();
        assert!(got.contains(&("/status", "const")), "{got:?}");
        assert!(got.contains(&("/data/message", "type")), "{got:?}");
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn unknown_schema_name_is_a_violation() {
        let errors = embedded()
            .validate("no-such-schema", &json!({}))
            .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].keyword, UNKNOWN_SCHEMA_KEYWORD);
        assert!(errors[0].message.contains("no-such-schema"));
    }

    #[test]
    fn formats_are_validated() {
        // The built-in schemas name no format the documents do not give (a timestamp is any
        // string), but a folder of schemas that does gets its formats enforced.
        assert!(
            embedded()
                .validate("timestamp", &json!("24/11/2026"))
                .is_ok()
        );
        let dated = r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string", "format": "date-time"}"#;
        let dir = TempSchemas::new("format", &[("dated.json", dated)]);
        let set = SchemaSet::from_dir(&dir.0).unwrap();
        assert!(
            set.validate("dated", &json!("2026-11-24T13:00:00.000000Z"))
                .is_ok()
        );
        let errors = set.validate("dated", &json!("24/11/2026")).unwrap_err();
        assert_eq!(errors[0].keyword, "format");
    }

    #[test]
    fn cross_file_refs_resolve() {
        // customer-envelope → customer.json → jwt.json, timestamp.json
        let set = embedded();
        let errors = set
            .validate(
                "customer-envelope",
                &json!({"status": "success", "data": {"id": 1, "email": "a@example.com",
                    "created_at": true, "auth_token": "not-a-jwt"}}),
            )
            .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|v| v.instance_path.as_str()).collect();
        assert!(paths.contains(&"/data/created_at"), "{errors:?}");
        assert!(paths.contains(&"/data/auth_token"), "{errors:?}");
    }

    #[test]
    fn schema_set_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SchemaSet>();
    }

    /// A fresh folder under the system temp dir holding the given files; removed on drop.
    struct TempSchemas(std::path::PathBuf);

    impl TempSchemas {
        fn new(tag: &str, files: &[(&str, &str)]) -> TempSchemas {
            let dir = std::env::temp_dir().join(format!(
                "pelcro-schemas-{tag}-{}-{}",
                std::process::id(),
                fastrand::u64(..)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in files {
                std::fs::write(dir.join(name), text).unwrap();
            }
            TempSchemas(dir)
        }
    }

    impl Drop for TempSchemas {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn load_error(tag: &str, files: &[(&str, &str)]) -> String {
        let dir = TempSchemas::new(tag, files);
        match SchemaSet::from_dir(&dir.0) {
            Ok(set) => panic!("loaded {:?}", set.names()),
            Err(e) => e.to_string(),
        }
    }

    const OK_A: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema",
        "$id":"https://pelcro-conformance.local/schemas/a.json","type":"object",
        "properties":{"b":{"$ref":"b.json"}}}"#;
    const OK_B: &str =
        r#"{"$id":"https://pelcro-conformance.local/schemas/b.json","type":"integer"}"#;

    #[test]
    fn from_dir_loads_json_files_and_resolves_relative_refs() {
        let dir = TempSchemas::new(
            "ok",
            &[("a.json", OK_A), ("b.json", OK_B), ("notes.txt", "x")],
        );
        let set = SchemaSet::from_dir(&dir.0).unwrap();
        assert_eq!(set.names(), vec!["a".to_owned(), "b".to_owned()]);
        assert!(set.validate("a", &json!({"b": 1})).is_ok());
        let errors = set.validate("a", &json!({"b": "1"})).unwrap_err();
        assert_eq!(errors[0].instance_path, "/b");
        assert_eq!(errors[0].keyword, "type");
    }

    #[test]
    fn schema_without_id_gets_the_base_uri_of_its_file_name() {
        let c = r#"{"type":"object","properties":{"b":{"$ref":"b.json"}}}"#;
        let dir = TempSchemas::new("noid", &[("c.json", c), ("b.json", OK_B)]);
        let set = SchemaSet::from_dir(&dir.0).unwrap();
        assert!(set.validate("c", &json!({"b": 2})).is_ok());
        assert!(set.validate("c", &json!({"b": true})).is_err());
    }

    #[test]
    fn invalid_json_names_the_file() {
        let msg = load_error(
            "json",
            &[
                ("a.json", OK_A),
                ("b.json", OK_B),
                ("broken.json", "{\"type\": "),
            ],
        );
        assert!(msg.contains("broken.json"), "{msg}");
        assert!(msg.contains("invalid JSON"), "{msg}");
    }

    #[test]
    fn invalid_schema_names_the_file() {
        let bad = r#"{"$id":"https://pelcro-conformance.local/schemas/bad.json","type":"strnig"}"#;
        let msg = load_error(
            "bad",
            &[("a.json", OK_A), ("b.json", OK_B), ("bad.json", bad)],
        );
        assert!(msg.contains("bad.json"), "{msg}");
    }

    #[test]
    fn dangling_ref_names_the_file() {
        let msg = load_error("dangling", &[("a.json", OK_A)]);
        assert!(msg.contains("a.json"), "{msg}");
        assert!(msg.contains("b.json"), "{msg}");
    }

    #[test]
    fn dangling_fragment_ref_names_the_file() {
        let d = r##"{"$id":"https://pelcro-conformance.local/schemas/d.json",
            "properties":{"x":{"$ref":"b.json#/$defs/missing"}}}"##;
        let msg = load_error("fragment", &[("b.json", OK_B), ("d.json", d)]);
        assert!(msg.contains("d.json"), "{msg}");
    }

    #[test]
    fn duplicate_id_names_both_files() {
        let b2 = OK_B.replace("integer", "string");
        let msg = load_error("dup", &[("b.json", OK_B), ("b2.json", &b2)]);
        assert!(msg.contains("b.json") && msg.contains("b2.json"), "{msg}");
    }

    #[test]
    fn empty_or_missing_folder_is_an_error() {
        let msg = load_error("empty", &[("readme.md", "no schemas")]);
        assert!(msg.contains("no .json schema files"), "{msg}");
        let missing = std::env::temp_dir().join("pelcro-schemas-does-not-exist-7f3a");
        let msg = SchemaSet::from_dir(&missing).unwrap_err().to_string();
        assert!(msg.contains("pelcro-schemas-does-not-exist-7f3a"), "{msg}");
    }

    #[test]
    fn from_dir_on_the_repository_folder_matches_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let set = SchemaSet::from_dir(&dir).unwrap();
        assert_eq!(set.names(), embedded().names());
    }

    #[test]
    fn refs_of_lists_ref_targets_without_fragment() {
        let refs = refs_of(r##"{"a":{"$ref":"x.json#/$defs/y"},"b":[{"$ref":"#/$defs/z"}]}"##);
        assert_eq!(refs, vec!["x.json".to_owned(), String::new()]);
    }
}
