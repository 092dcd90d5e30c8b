//! Snapshots of step responses, as insta-compatible `.snap` files.
//!
//! One file per suite step: `<dir>/<suite-slug>__<step-slug>.snap`, in insta's format (a YAML
//! header between `---` lines, then the body), readable by `insta::Snapshot::from_file`, so
//! `cargo insta review` / `cargo insta accept` handle the pending `.snap.new` files this store
//! writes. The body is the pretty JSON of `{status, headers, body}` (see [`response_snapshot`]),
//! redacted by the caller and passed through [`stabilize`] so a second identical run matches byte
//! for byte.
//!
//! Modes:
//! - [`SnapshotMode::Check`] (a normal run): compare. A mismatch is a failure
//!   ([`SnapshotOutcome::Changed`]) and the new value is written beside the stored one as
//!   `.snap.new`. A **missing** snapshot is a failure too ([`SnapshotOutcome::New`], "no stored
//!   snapshot; run with --update-snapshots"), with the value written as `.snap.new` so it can be
//!   reviewed and accepted: a check must never pass because there was nothing to compare with.
//! - [`SnapshotMode::Update`] (`--update-snapshots`, like `INSTA_UPDATE=new`): the same files,
//!   but new and changed snapshots are pending review, not failures.
//! - [`SnapshotMode::Accept`] (`--accept-snapshots`): new and changed snapshots overwrite the
//!   `.snap` ([`SnapshotOutcome::Written`]).
//!
//! In every mode a match removes a stale `.snap.new` left by an earlier run.
//!
//! A store may read built-in (embedded, read-only) baselines and put its pending files elsewhere,
//! and may record missing snapshots as the baselines of a new target
//! ([`SnapshotOutcome::Recorded`]); `baselines` decides which store a run gets.
//!
//! Files are written only inside the snapshot folder (the names are slugs) and never through a
//! symbolic link: each is written to a fresh temporary file (`create_new`) and renamed over the
//! name, which replaces a link instead of writing where it points. A stored snapshot that is a
//! link, not a regular file, or larger than [`MAX_SNAPSHOT_BYTES`] is an error, not read.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use insta::internals::{SnapshotContents, TextSnapshotContents};
use insta::{Snapshot, TextSnapshotKind};
use regex::Regex;
use serde_json::{Map, Value};

/// What `source:` says in every snapshot header.
pub const SOURCE: &str = "pelcro-conformance";

/// Stored snapshots larger than this are refused.
pub const MAX_SNAPSHOT_BYTES: u64 = 8 * 1024 * 1024;

/// The message for a missing snapshot in `Check` mode.
/// How a changed snapshot's message starts (reports tell changes from new baselines by it).
pub const CHANGED_MESSAGE: &str = "the response differs from the stored snapshot";
/// How a missing snapshot's message starts.
pub const MISSING_MESSAGE: &str = "no stored snapshot; run with --update-snapshots";
/// How a first run's recorded baseline is reported (news in every report, not a failure unless
/// the run fails on every snapshot change).
pub const RECORDED_MESSAGE: &str =
    "no baseline for this target yet: this response is recorded as its baseline";

/// How the store treats new and changed snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Compare; new or changed is a failure, with a `.snap.new` written for review.
    Check,
    /// Write `.snap.new` for new or changed snapshots (pending review); not a failure.
    Update,
    /// Overwrite the `.snap` with the new value.
    Accept,
}

/// What one comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// The stored snapshot matches.
    Matched,
    /// There was no stored snapshot; the value is pending at this `.snap.new` path.
    New(PathBuf),
    /// The stored snapshot differs: a line diff (stored → new) and the pending `.snap.new`.
    Changed { diff: String, pending: PathBuf },
    /// `Accept` mode wrote the `.snap` (new or changed).
    Written(PathBuf),
    /// A first run against a target recorded its baseline here (not a failure).
    Recorded(PathBuf),
    /// The store could not read or write a file (the message names it).
    Error(String),
}

impl SnapshotOutcome {
    /// In this mode, the failure message for the step, if the outcome is one.
    pub fn failure(&self, mode: SnapshotMode) -> Option<String> {
        match (self, mode) {
            (SnapshotOutcome::Error(e), _) => Some(e.clone()),
            (SnapshotOutcome::New(pending), SnapshotMode::Check) => Some(format!(
                "{MISSING_MESSAGE} (pending: {})",
                pending.display()
            )),
            (SnapshotOutcome::Changed { diff, pending }, SnapshotMode::Check) => Some(format!(
                "{CHANGED_MESSAGE} (pending: {}):\n{diff}",
                pending.display()
            )),
            (SnapshotOutcome::Recorded(path), SnapshotMode::Check | SnapshotMode::Update) => {
                Some(format!("{RECORDED_MESSAGE} ({})", path.display()))
            }
            _ => None,
        }
    }
}

/// Snapshots in one folder (or, for the embedded mock, the built-in baselines of one profile,
/// read from the binary; see `baselines`).
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
    mode: SnapshotMode,
    /// Read the stored snapshots from here instead of `dir` (read-only).
    built_in: Option<&'static include_dir::Dir<'static>>,
    /// Where `.snap.new` files go, when not beside the stored ones.
    pending_dir: Option<PathBuf>,
    /// A missing snapshot is recorded as the baseline (a first run against a new target), not
    /// a failure.
    record_missing: bool,
}

impl SnapshotStore {
    pub fn new(dir: PathBuf, mode: SnapshotMode) -> SnapshotStore {
        SnapshotStore {
            dir,
            mode,
            built_in: None,
            pending_dir: None,
            record_missing: false,
        }
    }

    /// Built-in baselines, read-only: `shown_as` names them in messages, `pending_dir` takes the
    /// `.snap.new` files of new and changed responses.
    pub fn built_in(
        files: &'static include_dir::Dir<'static>,
        shown_as: PathBuf,
        pending_dir: PathBuf,
        mode: SnapshotMode,
    ) -> SnapshotStore {
        SnapshotStore {
            built_in: Some(files),
            pending_dir: Some(pending_dir),
            ..SnapshotStore::new(shown_as, mode)
        }
    }

    /// Missing snapshots are recorded as this target's baselines instead of failing.
    pub fn recording_missing(mut self) -> SnapshotStore {
        self.record_missing = true;
        self
    }

    pub fn mode(&self) -> SnapshotMode {
        self.mode
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `.snap` file of a suite step.
    pub fn path(&self, suite_name: &str, step_name: &str) -> PathBuf {
        self.dir
            .join(format!("{}__{}.snap", slug(suite_name), slug(step_name)))
    }

    /// Compares (or writes, per the mode) the snapshot of one step. `snapshot` should already be
    /// redacted; it is stabilized here.
    pub fn check(&self, suite_name: &str, step_name: &str, snapshot: &Value) -> SnapshotOutcome {
        let path = self.path(suite_name, step_name);
        let pending_dir = self.pending_dir.as_deref().unwrap_or(&self.dir);
        let pending = pending_path(&pending_dir.join(path.file_name().unwrap_or_default()));
        let body = body_text(snapshot);
        let file = file_text(suite_name, step_name, &body);

        let stored = if let Some(files) = self.built_in {
            let name = path.file_name().unwrap_or_default();
            files
                .get_file(files.path().join(name))
                .and_then(|f| f.contents_utf8())
                .map(|text| TextSnapshotContents::new(stored_body(text), TextSnapshotKind::File))
        } else if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.file_type().is_file() {
                return SnapshotOutcome::Error(format!(
                    "snapshot {}: not a regular file (a symbolic link or a folder); refused",
                    path.display()
                ));
            }
            if meta.len() > MAX_SNAPSHOT_BYTES {
                return SnapshotOutcome::Error(format!(
                    "snapshot {}: larger than {MAX_SNAPSHOT_BYTES} bytes; refused",
                    path.display()
                ));
            }

            match Snapshot::from_file(&path) {
                Ok(snap) => match snap.contents() {
                    SnapshotContents::Text(text) => Some(text.clone()),
                    SnapshotContents::Binary(_) => None,
                },
                Err(e) => {
                    return SnapshotOutcome::Error(format!(
                        "snapshot {}: cannot be read: {e}",
                        path.display()
                    ));
                }
            }
        } else {
            None
        };

        let new_text = TextSnapshotContents::new(body.clone(), TextSnapshotKind::File);
        if let Some(stored) = &stored
            && stored.matches_latest(&new_text)
        {
            if std::fs::symlink_metadata(&pending).is_ok() {
                let _ = std::fs::remove_file(&pending);
            }
            return SnapshotOutcome::Matched;
        }

        let record = self.record_missing && stored.is_none();
        if self.built_in.is_some() && self.mode == SnapshotMode::Accept {
            return SnapshotOutcome::Error(format!(
                "snapshot {}: the built-in baselines are read-only; give --snapshots DIR (in a checkout: --snapshots snapshots) to accept into a folder",
                path.display()
            ));
        }
        let folder = if self.mode == SnapshotMode::Accept || record {
            &self.dir
        } else {
            pending_dir
        };
        if let Err(e) = std::fs::create_dir_all(folder) {
            return SnapshotOutcome::Error(format!(
                "snapshot folder {}: cannot be created: {e}",
                folder.display()
            ));
        }
        if record {
            if let Err(e) = write_inside(&self.dir, &path, &file) {
                return SnapshotOutcome::Error(format!(
                    "snapshot {}: cannot be written: {e}",
                    path.display()
                ));
            }
            return SnapshotOutcome::Recorded(path);
        }
        if self.mode == SnapshotMode::Accept {
            if let Err(e) = write_inside(&self.dir, &path, &file) {
                return SnapshotOutcome::Error(format!(
                    "snapshot {}: cannot be written: {e}",
                    path.display()
                ));
            }
            if std::fs::symlink_metadata(&pending).is_ok() {
                let _ = std::fs::remove_file(&pending);
            }
            return SnapshotOutcome::Written(path);
        }
        if let Err(e) = write_inside(pending_dir, &pending, &file) {
            return SnapshotOutcome::Error(format!(
                "snapshot {}: cannot be written: {e}",
                pending.display()
            ));
        }
        match stored {
            None => SnapshotOutcome::New(pending),
            Some(stored) => SnapshotOutcome::Changed {
                diff: line_diff(&stored.to_string(), &new_text.to_string()),
                pending,
            },
        }
    }
}

/// The body of an insta `.snap` file: what follows the header between `---` lines.
fn stored_body(text: &str) -> String {
    let body = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, body)| body)
        .unwrap_or(text);
    body.trim_end_matches('\n').to_string()
}

/// Writes `contents` as `path`, a file directly inside `dir`, without following a symbolic link
/// at `path`: a fresh temporary file beside it (created exclusively), then renamed over it.
fn write_inside(dir: &Path, path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let name = path.file_name().filter(|_| path.parent() == Some(dir));
    let Some(name) = name else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "outside the snapshot folder",
        ));
    };
    let mut temporary = name.to_owned();
    temporary.push(format!(
        ".{}-{:016x}.tmp",
        std::process::id(),
        fastrand::u64(..)
    ));
    let temporary = dir.join(temporary);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// `x.snap` → `x.snap.new`.
fn pending_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// A file-name-safe slug: lower-case ASCII letters and digits, other runs become one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    let out: String = out.chars().take(80).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}

/// The snapshot body: stabilized pretty JSON.
fn body_text(snapshot: &Value) -> String {
    serde_json::to_string_pretty(&stabilize(snapshot)).unwrap_or_else(|_| snapshot.to_string())
}

/// The whole `.snap` file: insta's YAML header, then the body.
fn file_text(suite_name: &str, step_name: &str, body: &str) -> String {
    let description = format!("{suite_name} / {step_name}");
    // A JSON string is a valid YAML double-quoted scalar.
    let quoted = serde_json::to_string(&description).unwrap_or_else(|_| "\"\"".into());
    format!("---\nsource: {SOURCE}\ndescription: {quoted}\n---\n{body}\n")
}

/// The snapshot value of a response: `{status, headers: {chosen headers}, body}`. Header names
/// are matched case-insensitively and written lower-case; absent ones are left out.
pub fn response_snapshot(
    status: u16,
    headers: &[(String, String)],
    chosen: &[&str],
    body: Option<&Value>,
) -> Value {
    let mut picked = Map::new();
    for name in chosen {
        let lower = name.to_ascii_lowercase();
        if let Some((_, value)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(&lower)) {
            picked.insert(lower, Value::String(value.clone()));
        }
    }
    let mut out = Map::new();
    out.insert("status".into(), Value::from(status));
    out.insert("headers".into(), Value::Object(picked));
    out.insert("body".into(), body.cloned().unwrap_or(Value::Null));
    Value::Object(out)
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid pattern"))
}

fn jwt_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, r"^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
}

fn iso_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$",
    )
}

fn http_date_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$",
    )
}

fn email_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, r"[A-Za-z0-9._%+-]+@conformance\.example\.com")
}

fn generated_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(&R, r"^(pc_[A-Za-z0-9_]+|Pc![A-Za-z0-9]+)$")
}

/// Replaces what changes from run to run with stable placeholders, and sorts object keys:
///
/// - JWTs, and fields named `auth_token` / `token` / `*_token` → `[token]`; `jti` → `[jti]`;
///   `report_id` → `[report_id]` (a null stays null);
/// - integer `id` and `*_id` fields → `[id]`;
/// - `created_at`, `updated_at`, `last_login_at` and other `*_at` fields, `iat`/`exp`/`nbf`,
///   ISO 8601 date-times, HTTP dates and the `date` header → `[timestamp]`;
/// - generated emails (`…@conformance.example.com`, also inside text) → `[email]`;
/// - generated usernames and passwords (`pc_…`, `Pc!…`) → `[generated]`.
pub fn stabilize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                let item = &map[key];
                out.insert(key.clone(), stabilize_field(key, item));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(stabilize).collect()),
        Value::String(s) => stabilize_string(s),
        other => other.clone(),
    }
}

fn stabilize_field(key: &str, value: &Value) -> Value {
    let k = key.to_ascii_lowercase();
    let placeholder = |p: &str| Value::String(p.into());
    if value.is_null() {
        return Value::Null;
    }
    let scalar = !value.is_object() && !value.is_array();
    if scalar {
        if k == "auth_token" || k == "token" || k.ends_with("_token") {
            return placeholder("[token]");
        }
        if k == "jti" {
            return placeholder("[jti]");
        }
        if k == "report_id" {
            return placeholder("[report_id]");
        }
        if (k == "id" || k.ends_with("_id")) && (value.is_i64() || value.is_u64()) {
            return placeholder("[id]");
        }
        if matches!(k.as_str(), "iat" | "exp" | "nbf" | "date")
            || k.ends_with("_at")
            || k == "last-modified"
            || k == "expires"
        {
            return placeholder("[timestamp]");
        }
    }
    stabilize(value)
}

fn stabilize_string(s: &str) -> Value {
    let placeholder = |p: &str| Value::String(p.into());
    if jwt_re().is_match(s) {
        return placeholder("[token]");
    }
    if iso_re().is_match(s) || http_date_re().is_match(s) {
        return placeholder("[timestamp]");
    }
    if generated_re().is_match(s) {
        return placeholder("[generated]");
    }
    Value::String(email_re().replace_all(s, "[email]").into_owned())
}

/// A readable line diff (`-` stored, `+` new, two lines of context), from `similar`.
pub fn line_diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header("stored", "new")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_pending_file_that_is_a_symlink_is_replaced_not_followed() {
        let root = std::env::temp_dir().join(format!("pc-snap-link-{}", fastrand::u64(..)));
        let dir = root.join("snaps");
        std::fs::create_dir_all(&dir).unwrap();
        let victim = root.join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let store = SnapshotStore::new(dir.clone(), SnapshotMode::Update);
        let path = store.path("s", "t");
        std::os::unix::fs::symlink(&victim, pending_path(&path)).unwrap();
        let outcome = store.check("s", "t", &serde_json::json!({"status": 200}));
        assert!(matches!(outcome, SnapshotOutcome::New(_)), "{outcome:?}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let pending = std::fs::symlink_metadata(pending_path(&path)).unwrap();
        assert!(
            pending.file_type().is_file(),
            "the link was replaced by a file"
        );

        // A stored snapshot that is a link is refused, not read (nor written through).
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let store = SnapshotStore::new(dir.clone(), SnapshotMode::Accept);
        let outcome = store.check("s", "t", &serde_json::json!({"status": 200}));
        assert!(
            matches!(&outcome, SnapshotOutcome::Error(e) if e.contains("not a regular file")),
            "{outcome:?}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn slugs_are_file_name_safe() {
        assert_eq!(slug("Register a new customer!"), "register-a-new-customer");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("***"), "unnamed");
        assert_eq!(
            pending_path(Path::new("a/b.snap")),
            PathBuf::from("a/b.snap.new")
        );
    }

    #[test]
    fn the_file_has_insta_s_header() {
        let text = file_text("s: x", "t", "{}");
        assert_eq!(
            text,
            "---\nsource: pelcro-conformance\ndescription: \"s: x / t\"\n---\n{}\n"
        );
    }
}
