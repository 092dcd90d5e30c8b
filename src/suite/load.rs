//! Finding suite files and checking them before anything runs.
//!
//! Everything that can be known from the file alone is checked here, so a run never stops halfway
//! on a typo: claim IDs, schema names, matcher shapes, capability declarations, and that every
//! variable is defined before it is used.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde_json::Value;

use super::levels;
use super::model::{Capability, Expect, RequestSpec, Step, Suite};
use crate::checks::matcher;
use crate::input::{self, InputError, locate};
use crate::redact::is_secret_key;
use crate::schemas::SchemaSet;
use crate::template;

/// The repository's `suites/`, built into the binary.
static EMBEDDED_SUITES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/suites");

/// The folder of site profiles inside a suites folder; not suites themselves.
pub const PROFILES_DIR: &str = "profiles";

/// The most times a step may repeat: enough for any lockout setting, small enough to be polite.
pub const MAX_REPEAT: u64 = 1000;

/// Variables the runner defines itself.
const RUNNER_VARIABLES: &[&str] = &["site_id", "repeat_index"];

/// A suite file's name and bytes, before parsing.
#[derive(Debug, Clone)]
pub struct SuiteSource {
    pub file: String,
    pub bytes: Vec<u8>,
}

/// A suite that passed every static check.
#[derive(Debug, Clone)]
pub struct LoadedSuite {
    pub file: String,
    pub suite: Suite,
    pub needs: Needs,
}

/// What a suite needs of the target beyond its public API: a run asks the target only for
/// what one of its suites needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The control API (a standalone mock: capabilities probed, the run's profile pushed, faults
    /// cleared, the clock frozen, all put back after): the suite `requires` a capability, reads
    /// the profile (whose values only hold on a mock that was given it), repeats a request or
    /// expects a 429 (counted in windows a frozen clock keeps exact).
    pub control: bool,
    /// The test account (seeded on the embedded mock): `account: true` or any `env.` variable.
    pub account: bool,
}

impl Needs {
    /// Read from the suite and its text; a mention in a comment errs on the side of asking.
    pub fn of(suite: &Suite, text: &str) -> Needs {
        Needs {
            control: !suite.requires.is_empty()
                || text.contains("profile")
                || text.contains("429")
                || suite.steps.iter().any(|s| s.value.repeat.is_some()),
            account: suite.account || text.contains("env."),
        }
    }

    /// What a run of these suites needs.
    pub fn of_run(suites: &[LoadedSuite]) -> Needs {
        suites.iter().fold(Needs::default(), |all, s| Needs {
            control: all.control || s.needs.control,
            account: all.account || s.needs.account,
        })
    }
}

/// What the static checks compare against.
pub struct LoadContext<'a> {
    pub schemas: &'a SchemaSet,
    /// The profile as JSON, so `{{ profile.x }}` can be checked.
    pub profile: &'a Value,
    /// Against a live site, a suite may not carry a literal credential or token.
    pub live: bool,
}

/// The suites built into the binary, sorted by file name.
pub fn embedded_sources() -> Vec<SuiteSource> {
    let mut sources = Vec::new();
    collect_embedded(&EMBEDDED_SUITES, &mut sources);
    sources.sort_by(|a, b| a.file.cmp(&b.file));
    sources
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<SuiteSource>) {
    for file in dir.files() {
        if is_suite_file(file.path()) {
            out.push(SuiteSource {
                file: format!("suites/{}", file.path().display()),
                bytes: file.contents().to_vec(),
            });
        }
    }
    for sub in dir.dirs() {
        if sub.path().file_name().is_some_and(|n| n != PROFILES_DIR) {
            collect_embedded(sub, out);
        }
    }
}

/// An embedded profile by name (`suites/profiles/NAME.yaml`).
pub fn embedded_profile(name: &str) -> Option<(String, &'static [u8])> {
    let path = format!("{PROFILES_DIR}/{name}.yaml");
    EMBEDDED_SUITES
        .get_file(&path)
        .map(|file| (format!("suites/{path}"), file.contents()))
}

/// The names of the embedded profiles.
pub fn embedded_profile_names() -> Vec<String> {
    let mut names: Vec<String> = EMBEDDED_SUITES
        .get_dir(PROFILES_DIR)
        .map(|dir| {
            dir.files()
                .filter(|f| is_suite_file(f.path()))
                .filter_map(|f| {
                    f.path()
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn is_suite_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// The suite files under a folder, recursively, sorted; `profiles/` is skipped, and files whose
/// real path lies outside the folder (through a link) are refused.
pub fn dir_sources(dir: &Path) -> Result<Vec<SuiteSource>, InputError> {
    let root = dir.canonicalize().map_err(|e| {
        InputError::new(
            dir.display().to_string(),
            format!("cannot open the suites folder: {e}"),
        )
    })?;
    if !root.is_dir() {
        return Err(InputError::new(dir.display().to_string(), "not a folder"));
    }
    let mut files = Vec::new();
    walk(&root, &root, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = input::read_file(&path)?;
            let shown = Path::new(dir).join(path.strip_prefix(&root).unwrap_or(&path));
            Ok(SuiteSource {
                file: shown.display().to_string(),
                bytes,
            })
        })
        .collect()
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(dir.display().to_string(), format!("cannot read: {e}")))?;
    for entry in entries {
        let entry = entry
            .map_err(|e| InputError::new(dir.display().to_string(), format!("cannot read: {e}")))?;
        let path = entry.path();
        let real = path.canonicalize().map_err(|e| {
            InputError::new(path.display().to_string(), format!("cannot read: {e}"))
        })?;
        if !real.starts_with(root) {
            return Err(InputError::new(
                path.display().to_string(),
                "points outside the suites folder; refused",
            ));
        }
        if real.is_dir() {
            if path.file_name().is_some_and(|n| n != PROFILES_DIR) {
                walk(root, &path, files)?;
            }
        } else if is_suite_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}

/// Parses and checks every source; returns every error, not only the first.
pub fn load_all(
    sources: &[SuiteSource],
    ctx: &LoadContext,
) -> Result<Vec<LoadedSuite>, Vec<InputError>> {
    let mut suites = Vec::new();
    let mut errors = Vec::new();
    let mut names = BTreeSet::new();
    for source in sources {
        match load(source, ctx) {
            Ok(loaded) => {
                if !names.insert(loaded.suite.name.clone()) {
                    let text = String::from_utf8_lossy(&source.bytes);
                    let (line, column) = locate(&text, 1, &loaded.suite.name);
                    errors.push(
                        InputError::new(
                            &source.file,
                            format!("another suite is also named `{}`", loaded.suite.name),
                        )
                        .at(line, column),
                    );
                }
                suites.push(loaded);
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(suites)
    } else {
        Err(errors)
    }
}

/// Parses one suite file and checks it.
pub fn load(source: &SuiteSource, ctx: &LoadContext) -> Result<LoadedSuite, InputError> {
    let text = input::utf8(&source.file, &source.bytes)?;
    let suite: Suite = input::parse_yaml(&source.file, text)?;
    Checker {
        file: &source.file,
        text,
        ctx,
        suite: &suite,
    }
    .check()?;
    let needs = Needs::of(&suite, text);
    Ok(LoadedSuite {
        file: source.file.clone(),
        suite,
        needs,
    })
}

/// Why a request path may not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Dot segments (`..`, `%2e%2e`) climb above the root the path is relative to: the API root
    /// (`/api/v1/sdk`) or the control API's.
    #[error(
        "`{0}` leaves the API root (dot segments, percent-encoded or not, may not climb above it)"
    )]
    LeavesRoot(String),
    /// An encoded slash or backslash, which servers read differently.
    #[error("`{0}` carries an encoded `/` or a `\\`, which servers read differently")]
    AmbiguousSeparator(String),
}

/// Normalises a request path as a server would (percent-decoded dot segments, `.` and `..`
/// resolved) and refuses it when it climbs above the root it is relative to. Templates (`{{ x }}`)
/// are checked as written here, and again once rendered, before the request is sent.
pub fn path_within_root(path: &str) -> Result<(), PathError> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") || path.contains('\\') {
        return Err(PathError::AmbiguousSeparator(path.to_string()));
    }
    let mut depth: usize = 0;
    for segment in path.split('/') {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        match decoded.as_str() {
            "" | "." => {}
            ".." => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| PathError::LeavesRoot(path.to_string()))?;
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    ctx: &'a LoadContext<'a>,
    suite: &'a Suite,
}

impl Checker<'_> {
    /// An error placed at `needle`, searched from `line`.
    fn error(&self, line: u64, needle: &str, message: String) -> InputError {
        let (line, column) = locate(self.text, line, needle);
        InputError::new(self.file, message).at(line, column)
    }

    fn check(&self) -> Result<(), InputError> {
        let suite = self.suite;
        if suite.name.trim().is_empty() {
            return Err(self.error(1, "name", "the suite's `name` is empty".into()));
        }
        if suite.claims.is_empty() {
            return Err(self.error(
                1,
                "claims",
                "`claims` lists no claim ID of spec/claims.md".into(),
            ));
        }
        for id in &suite.claims {
            if crate::claims::find(id).is_none() {
                return Err(self.error(
                    1,
                    id,
                    format!("`{id}` is not a claim ID of spec/claims.md"),
                ));
            }
        }
        if suite.steps.is_empty() {
            return Err(self.error(1, "steps", "the suite has no steps".into()));
        }
        if let Some(when) = &suite.when {
            self.check_references(1, &Value::String(when.clone()), &BTreeSet::new())?;
        }
        let mut defined: BTreeSet<String> = BTreeSet::new();
        for (name, value) in &suite.vars {
            self.check_references(1, value, &defined)?;
            defined.insert(name.clone());
        }
        let mut step_names = BTreeSet::new();
        for spanned in &suite.steps {
            let line = spanned.referenced.line();
            let step = &spanned.value;
            if !step_names.insert(step.name.as_str()) {
                return Err(self.error(
                    line,
                    &step.name,
                    format!("another step is also named `{}`", step.name),
                ));
            }
            self.check_step(line, step, &defined)?;
            defined.extend(step.capture.keys().cloned());
        }
        Ok(())
    }

    fn check_step(
        &self,
        line: u64,
        step: &Step,
        defined: &BTreeSet<String>,
    ) -> Result<(), InputError> {
        let step_error = |message: String| {
            self.error(line, &step.name, format!("step `{}`: {message}", step.name))
        };
        if step.name.trim().is_empty() {
            return Err(self.error(line, "name", "a step has an empty `name`".into()));
        }
        match (&step.request, &step.advance_clock) {
            (Some(_), Some(_)) => {
                return Err(step_error(
                    "has both `request` and `advance_clock`; use two steps".into(),
                ));
            }
            (None, None) => {
                return Err(step_error("needs a `request` or an `advance_clock`".into()));
            }
            _ => {}
        }
        for (key, duration) in [
            ("advance_clock", &step.advance_clock),
            ("repeat_every", &step.repeat_every),
        ] {
            let Some(advance) = duration else { continue };
            self.require(line, step, Capability::Clock, key)?;
            if let Value::String(text) = advance
                && !text.contains("{{")
            {
                parse_duration(text)
                    .map_err(|e| self.error(line, text, format!("step `{}`: {e}", step.name)))?;
            } else if !advance.is_string() && advance.as_u64().is_none() {
                return Err(step_error(format!(
                    "`{key}` takes a duration such as `300s`, `5m` or `60d`"
                )));
            }
            self.check_references(line, advance, defined)?;
        }
        if step.repeat_every.is_some() && step.repeat.is_none() {
            return Err(step_error(
                "`repeat_every` spreads the repeats of `repeat`; add `repeat`".into(),
            ));
        }
        if let Some(request) = &step.request {
            const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
            if !METHODS.contains(&request.method.as_str()) {
                return Err(self.error(
                    line,
                    &request.method,
                    format!(
                        "step `{}`: method `{}` is not one of {}",
                        step.name,
                        request.method,
                        METHODS.join(", ")
                    ),
                ));
            }
            if !request.path.starts_with('/') {
                return Err(self.error(
                    line,
                    &request.path,
                    format!("step `{}`: `path` must start with `/`", step.name),
                ));
            }
            if let Err(why) = path_within_root(&request.path) {
                return Err(self.error(
                    line,
                    &request.path,
                    format!("step `{}`: `path` {why}", step.name),
                ));
            }
            if request.json.is_some() && request.body.is_some() {
                return Err(step_error("has both `json` and `body`; send one".into()));
            }
            if request.control {
                self.require(line, step, Capability::Control, "control: true")?;
            }
            if self.ctx.live && !request.control {
                self.refuse_literal_secrets(line, step, request)?;
            }
            for value in [
                Some(Value::String(request.path.clone())),
                request.json.clone(),
                request.body.clone().map(Value::String),
                request.bearer.clone().map(Value::String),
                Some(Value::Object(request.query.clone())),
                Some(Value::Object(request.headers.clone())),
            ]
            .into_iter()
            .flatten()
            {
                self.check_references(line, &value, defined)?;
            }
        }
        if let Some(repeat) = &step.repeat {
            match repeat {
                Value::Number(n) if n.as_u64().is_some_and(|n| (1..=MAX_REPEAT).contains(&n)) => {}
                Value::String(text) if text.contains("{{") => {
                    self.check_references(line, repeat, defined)?
                }
                _ => {
                    return Err(self.error(
                        line,
                        "repeat",
                        format!("step `{}`: `repeat` takes a whole number from 1 to {MAX_REPEAT} or a template", step.name),
                    ));
                }
            }
        }
        self.check_expect(line, step, &step.expect, defined)?;
        if let Some(assume) = &step.assume {
            self.check_expect(line, step, assume, defined)?;
        }
        levels::check_step(self.suite, step).map_err(|problem| {
            self.error(
                line,
                &problem.needle,
                format!("step `{}`: {}", step.name, problem.message),
            )
        })?;
        for (name, from) in &step.capture {
            if from.as_str().is_none_or(str::is_empty) {
                return Err(self.error(
                    line,
                    name,
                    format!("step `{}`: capture `{name}` takes a JSON Pointer, a dotted path or `header:NAME`", step.name),
                ));
            }
            if template::is_builtin(name) || RUNNER_VARIABLES.contains(&name.as_str()) {
                return Err(self.error(
                    line,
                    name,
                    format!("step `{}`: `{name}` is a reserved variable name", step.name),
                ));
            }
        }
        Ok(())
    }

    /// An `expect:` or `assume:` block: status and schema shapes, matchers, variable names.
    fn check_expect(
        &self,
        line: u64,
        step: &Step,
        expect: &Expect,
        defined: &BTreeSet<String>,
    ) -> Result<(), InputError> {
        if let Some(status) = &expect.status {
            let valid_code = |v: &Value| v.as_u64().is_some_and(|n| (100..=599).contains(&n));
            let ok = match status {
                Value::Number(_) => valid_code(status),
                Value::Array(codes) => !codes.is_empty() && codes.iter().all(valid_code),
                Value::String(text) => text.contains("{{"),
                _ => false,
            };
            if !ok {
                return Err(self.error(
                    line,
                    "status",
                    format!(
                        "step `{}`: `status` takes a code (100-599), a list of codes or a template",
                        step.name
                    ),
                ));
            }
            self.check_references(line, status, defined)?;
        }
        if let Some(schema) = &expect.schema
            && !self.ctx.schemas.contains(schema)
        {
            return Err(self.error(
                line,
                schema,
                format!(
                    "step `{}`: unknown schema `{schema}` (known: {})",
                    step.name,
                    self.ctx.schemas.names().join(", ")
                ),
            ));
        }
        let jwt_matchers = expect
            .jwt
            .iter()
            .flat_map(|jwt| jwt.header.iter().chain(jwt.claims.iter()));
        for (key, spec) in expect
            .json
            .iter()
            .chain(expect.headers.iter())
            .chain(jwt_matchers)
        {
            matcher::check_shape(spec).map_err(|e| {
                self.error(line, key, format!("step `{}`: `{key}`: {e}", step.name))
            })?;
            self.check_references(line, spec, defined)?;
        }
        if let Some(ttl) = expect.jwt.as_ref().and_then(|jwt| jwt.ttl_days.as_ref()) {
            self.check_references(line, ttl, defined)?;
        }
        Ok(())
    }

    /// Credentials come from the environment or a generator, never from a suite file: a literal
    /// password (6+ characters, so deliberately invalid short ones stay allowed) or token is refused.
    fn refuse_literal_secrets(
        &self,
        line: u64,
        step: &Step,
        request: &RequestSpec,
    ) -> Result<(), InputError> {
        let is_literal = |text: &str| !text.contains("{{");
        let mut found: Option<String> = None;
        if let Some(bearer) = request
            .bearer
            .as_deref()
            .filter(|b| is_literal(b) && b.len() >= 6)
        {
            found = Some(bearer.to_string());
        }
        let mut secret_fields = Vec::new();
        collect_secret_literals(request.json.as_ref(), &mut secret_fields);
        collect_secret_literals(
            Some(&Value::Object(request.query.clone())),
            &mut secret_fields,
        );
        collect_secret_literals(
            Some(&Value::Object(request.headers.clone())),
            &mut secret_fields,
        );
        found = found.or_else(|| secret_fields.into_iter().next());
        match found {
            None => Ok(()),
            Some(literal) => Err(self.error(
                line,
                &literal,
                format!(
                    "step `{}`: a literal credential or token is refused against a live target; take it from the environment (`{{{{ env.PELCRO_PASSWORD }}}}`) or generate it (`{{{{ fresh_password }}}}`)",
                    step.name
                ),
            )),
        }
    }

    fn require(
        &self,
        line: u64,
        step: &Step,
        capability: Capability,
        what: &str,
    ) -> Result<(), InputError> {
        if self.suite.requires.contains(&capability) {
            return Ok(());
        }
        Err(self.error(
            line,
            what.split(':').next().unwrap_or(what),
            format!(
                "step `{}` uses `{what}`, so the suite must declare `requires: [{}]`",
                step.name,
                capability.name()
            ),
        ))
    }

    /// Every variable a value uses must be built in, defined by `vars`, or captured earlier.
    fn check_references(
        &self,
        line: u64,
        value: &Value,
        defined: &BTreeSet<String>,
    ) -> Result<(), InputError> {
        let names =
            template::value_references(value).map_err(|e| self.error(line, "{{", e.to_string()))?;
        for name in names {
            let root = template::root_name(name);
            let known = defined.contains(root)
                || RUNNER_VARIABLES.contains(&root)
                || template::is_builtin(name);
            if !known {
                return Err(self.error(
                    line,
                    name,
                    format!("unknown variable `{name}`: not in `vars`, not captured by an earlier step, not built in"),
                ));
            }
            if let Some(path) = name.strip_prefix("profile.")
                && path
                    .split('.')
                    .try_fold(self.ctx.profile, |v, key| v.get(key))
                    .is_none()
            {
                return Err(self.error(
                    line,
                    name,
                    format!("unknown variable `{name}`: the profile has no `{path}`"),
                ));
            }
        }
        Ok(())
    }
}

/// Literal strings under secret-named keys (6+ characters), and JWT-shaped literals anywhere.
fn collect_secret_literals(value: Option<&Value>, out: &mut Vec<String>) {
    let looks_like_jwt = |s: &str| s.starts_with("eyJ") && s.matches('.').count() == 2;
    match value {
        Some(Value::Object(map)) => {
            for (key, item) in map {
                match item {
                    Value::String(s)
                        if !s.contains("{{")
                            && (looks_like_jwt(s) || (is_secret_key(key) && s.len() >= 6)) =>
                    {
                        out.push(s.clone());
                    }
                    other => collect_secret_literals(Some(other), out),
                }
            }
        }
        Some(Value::Array(items)) => items
            .iter()
            .for_each(|item| collect_secret_literals(Some(item), out)),
        Some(Value::String(s)) if !s.contains("{{") && looks_like_jwt(s) => out.push(s.clone()),
        _ => {}
    }
}

/// `300s`, `5m`, `2h`, `60d` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `300s`, `5m`, `2h` or `60d`"))?;
    let scale = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("`{other}` is not a unit of duration (s, m, h, d)")),
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load_text(text: &str) -> Result<LoadedSuite, InputError> {
        load_for(text, false)
    }

    fn load_for(text: &str, live: bool) -> Result<LoadedSuite, InputError> {
        let schemas = SchemaSet::embedded().unwrap();
        let profile = json!({"lockout": {"attempts": 10}});
        let ctx = LoadContext {
            schemas: &schemas,
            profile: &profile,
            live,
        };
        load(
            &SuiteSource {
                file: "t.yaml".into(),
                bytes: text.as_bytes().to_vec(),
            },
            &ctx,
        )
    }

    const HEAD: &str = "name: t\nclaims: [ERR-401]\n";

    #[test]
    fn a_path_that_climbs_out_of_the_api_root_is_refused_with_its_place() {
        for path in [
            "/../../../__control/reset",
            "/%2e%2e/%2E%2E/__control/reset",
            "/auth/../../x",
            "/.%2e/x",
            "/a/..%2f..%2f__control",
            "/a\\\\..\\\\..",
        ] {
            assert!(path_within_root(path).is_err(), "{path}");
        }
        for path in [
            "/auth/login",
            "/a/../b",
            "/./site",
            "/plan/..",
            "/x?y=/../..",
        ] {
            assert_eq!(path_within_root(path), Ok(()), "{path}");
        }
        let text = format!(
            "{HEAD}steps:\n  - name: sneak\n    request: {{ method: POST, path: \"/../../../__control/reset\" }}\n"
        );
        let err = load_text(&text).unwrap_err();
        assert!(err.message.contains("leaves the API root"), "{err}");
        assert_eq!(err.line, Some(5), "{err}");
    }

    #[test]
    fn a_valid_suite_loads_with_its_steps() {
        let suite = load_text(&format!(
            "{HEAD}vars:\n  who: \"{{{{ fresh_email }}}}\"\nsteps:\n  - name: a\n    request: {{ method: POST, path: /auth/login, json: {{ email: \"{{{{ who }}}}\" }} }}\n    capture: {{ token: /data/auth_token }}\n    repeat: \"{{{{ profile.lockout.attempts }}}}\"\n  - name: b\n    request: {{ method: GET, path: /customer, bearer: \"{{{{ token }}}}\" }}\n"
        ))
        .unwrap();
        assert_eq!(suite.suite.steps.len(), 2);
        assert_eq!(suite.suite.steps[1].referenced.line(), 10);
    }

    #[test]
    fn a_variable_captured_only_later_is_unknown_where_it_is_used() {
        let err = load_text(&format!(
            "{HEAD}steps:\n  - name: a\n    request: {{ method: GET, path: /customer, bearer: \"{{{{ token }}}}\" }}\n  - name: b\n    request: {{ method: GET, path: /customer }}\n    capture: {{ token: /data/auth_token }}\n"
        ))
        .unwrap_err();
        assert_eq!(err.line, Some(5), "{err}");
        assert!(err.message.contains("unknown variable `token`"), "{err}");
    }

    #[test]
    fn mock_only_steps_must_declare_their_capability() {
        let err = load_text(&format!(
            "{HEAD}steps:\n  - name: wait\n    advance_clock: 5m\n"
        ))
        .unwrap_err();
        assert!(err.message.contains("requires: [clock]"), "{err}");
        assert_eq!(err.line, Some(5));
        let err = load_text(&format!(
            "{HEAD}steps:\n  - name: reset\n    request: {{ method: POST, path: /reset, control: true }}\n"
        ))
        .unwrap_err();
        assert!(err.message.contains("requires: [control]"), "{err}");
        assert!(
            load_text(&format!(
                "{HEAD}requires: [clock]\nsteps:\n  - name: wait\n    advance_clock: 5m\n"
            ))
            .is_ok()
        );
    }

    #[test]
    fn repeat_every_needs_the_clock_a_repeat_and_a_duration() {
        let step = "  - name: spread\n    request: { method: GET, path: /site }\n";
        let err = load_text(&format!(
            "{HEAD}steps:\n{step}    repeat: 3\n    repeat_every: 30s\n"
        ))
        .unwrap_err();
        assert!(err.message.contains("requires: [clock]"), "{err}");
        let err = load_text(&format!(
            "{HEAD}requires: [clock]\nsteps:\n{step}    repeat_every: 30s\n"
        ))
        .unwrap_err();
        assert!(err.message.contains("add `repeat`"), "{err}");
        let err = load_text(&format!(
            "{HEAD}requires: [clock]\nsteps:\n{step}    repeat: 3\n    repeat_every: soon\n"
        ))
        .unwrap_err();
        assert!(err.message.contains("soon"), "{err}");
        assert!(
            load_text(&format!(
                "{HEAD}requires: [clock]\nsteps:\n{step}    repeat: \"{{{{ 4 - 1 }}}}\"\n    repeat_every: \"{{{{ 300 / 10 }}}}\"\n"
            ))
            .is_ok()
        );
        let err = load_text(&format!(
            "{HEAD}steps:\n{step}    repeat: \"{{{{ 3 | shout }}}}\"\n"
        ))
        .unwrap_err();
        assert!(err.message.contains("unknown filter `shout`"), "{err}");
    }

    #[test]
    fn bad_values_are_refused_with_their_place() {
        let cases = [
            (
                "    request: { method: FETCH, path: /x }\n",
                "method `FETCH`",
            ),
            (
                "    request: { method: GET, path: x }\n",
                "must start with `/`",
            ),
            (
                "    request: { method: GET, path: /x }\n    repeat: 100000\n",
                "`repeat` takes",
            ),
            (
                "    request: { method: GET, path: /x }\n    expect: { status: 99 }\n",
                "`status` takes",
            ),
            (
                "    request: { method: GET, path: /x }\n    expect: { json: { /a: { equal: 1 } } }\n",
                "unknown matcher `equal`",
            ),
            (
                "    request: { method: GET, path: /x }\n    capture: { env: /a }\n",
                "reserved variable name",
            ),
            (
                "    request: { method: GET, path: /x, json: {}, body: x }\n",
                "both `json` and `body`",
            ),
            (
                "    request: { method: GET, path: /x }\n    advance_clock: 1d\n",
                "both `request` and `advance_clock`",
            ),
            (
                "    request: { method: GET, path: \"/{{ x\" }\n",
                "without a closing",
            ),
        ];
        for (step, expected) in cases {
            let err = load_text(&format!(
                "{HEAD}requires: [clock]\nsteps:\n  - name: s\n{step}"
            ))
            .unwrap_err();
            assert!(err.message.contains(expected), "`{expected}` not in: {err}");
            assert!(err.line.is_some_and(|l| l >= 5), "no place: {err}");
        }
    }

    #[test]
    fn literal_credentials_are_refused_only_against_a_live_target() {
        let literal = format!(
            "{HEAD}steps:\n  - name: login\n    request: {{ method: POST, path: /auth/login, json: {{ email: a@b.c, password: hunter2hunter2 }} }}\n"
        );
        assert!(load_for(&literal, false).is_ok());
        let err = load_for(&literal, true).unwrap_err();
        assert!(err.message.contains("literal credential"), "{err}");
        assert_eq!((err.line, err.column), (Some(5), Some(81)), "{err}");
        let bearer = format!(
            "{HEAD}steps:\n  - name: t\n    request: {{ method: GET, path: /customer, bearer: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc }}\n"
        );
        assert!(load_for(&bearer, true).is_err());
        let templated = format!(
            "{HEAD}steps:\n  - name: login\n    request: {{ method: POST, path: /auth/login, json: {{ email: \"{{{{ env.PELCRO_EMAIL }}}}\", password: \"{{{{ env.PELCRO_PASSWORD }}}}\" }} }}\n  - name: short\n    request: {{ method: POST, path: /auth/register, json: {{ password: \"12345\" }} }}\n"
        );
        assert!(load_for(&templated, true).is_ok());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("300s"), Ok(300));
        assert_eq!(parse_duration("5m"), Ok(300));
        assert_eq!(parse_duration("60d"), Ok(60 * 86_400));
        assert_eq!(parse_duration("42"), Ok(42));
        assert!(parse_duration("5 weeks").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    proptest::proptest! {
        #[test]
        fn no_suite_text_panics_the_loader(text in "[ -~\n]{0,300}") {
            let _ = load_text(&text);
        }

        #[test]
        fn no_step_yaml_panics_the_loader(method in "[A-Z]{0,6}", path in "[ -~]{0,20}", repeat in proptest::num::i64::ANY) {
            let text = format!("{HEAD}steps:\n  - name: s\n    request: {{ method: \"{method}\", path: {path:?} }}\n    repeat: {repeat}\n");
            let _ = load_text(&text);
        }
    }
}
