//! `{{ name }}` templates in suite values.
//!
//! A string that is exactly one placeholder takes the variable's JSON value, so
//! `repeat: "{{ profile.lockout.attempts }}"` stays a number; placeholders inside longer text are
//! interpolated as text. Values are never rendered twice, so a template cannot loop.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// Names whose value the harness generates on first use, once per suite run:
/// `fresh_email`, `fresh_email_2`, `fresh_password_admin`, ...
pub const GENERATED_PREFIXES: &[&str] = &["fresh_email", "fresh_password", "fresh_username"];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown variable `{0}`")]
    UnknownVariable(String),
    #[error("environment variable `{0}` is not set")]
    MissingEnv(String),
    #[error("`{{{{` without a closing `}}}}`")]
    Unclosed,
    #[error("an empty `{{{{ }}}}`")]
    Empty,
    #[error("`{0}` is not a variable name (letters, digits, `_`, `-` and `.` only)")]
    BadName(String),
    /// A rendered request path that leaves its root (`/../__control`); never sent.
    #[error("the rendered path {0}")]
    Path(#[from] crate::suite::load::PathError),
}

/// The variables a suite's templates can see while it runs.
#[derive(Default)]
pub struct Scope {
    /// Captured from responses and declared in the suite's `vars`.
    pub values: BTreeMap<String, Value>,
    /// The site profile, as `profile.*`.
    pub profile: Value,
    /// Generated `fresh_*` values of this suite run.
    generated: BTreeMap<String, Value>,
    /// Distinguishes this suite run's generated values from every other's.
    pub unique: String,
    /// Environment lookups (`env.NAME`): the process, an env file, or a test's table.
    env: Option<EnvLookup>,
}

/// How `env.NAME` is looked up.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

impl Scope {
    pub fn new(profile: Value, unique: impl Into<String>) -> Scope {
        Scope {
            profile,
            unique: unique.into(),
            env: Some(Arc::new(|name: &str| std::env::var(name).ok())),
            ..Scope::default()
        }
    }

    /// A scope whose `env.*` lookups use the given function instead of the process environment.
    pub fn with_env(mut self, env: EnvLookup) -> Scope {
        self.env = Some(env);
        self
    }

    /// Every generated value so far: these are secrets or personal data to redact.
    pub fn generated(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.generated.iter()
    }

    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), value);
    }

    /// The value of a variable path such as `token`, `profile.lockout.attempts` or `env.HOME`.
    pub fn lookup(&mut self, path: &str) -> Result<Value, TemplateError> {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        if head == "env" {
            let name = rest.ok_or_else(|| TemplateError::UnknownVariable(path.into()))?;
            let env = self
                .env
                .as_ref()
                .ok_or_else(|| TemplateError::MissingEnv(name.into()))?;
            return env(name)
                .map(Value::String)
                .ok_or_else(|| TemplateError::MissingEnv(name.into()));
        }
        let root = if head == "profile" {
            Some(&self.profile)
        } else if let Some(value) = self.values.get(head) {
            Some(value)
        } else if is_generated(head) {
            Some(self.generate(head))
        } else {
            None
        };
        let value = root.ok_or_else(|| TemplateError::UnknownVariable(path.into()))?;
        match rest {
            None => Ok(value.clone()),
            Some(rest) => walk(value, rest)
                .cloned()
                .ok_or_else(|| TemplateError::UnknownVariable(path.into())),
        }
    }

    fn generate(&mut self, name: &str) -> &Value {
        let unique = self.unique.clone();
        self.generated.entry(name.to_string()).or_insert_with(|| {
            let salt = fastrand::u32(..);
            let suffix = name
                .trim_start_matches("fresh_email")
                .trim_start_matches("fresh_password")
                .trim_start_matches("fresh_username");
            let value = if name.starts_with("fresh_email") {
                format!("pc-{unique}{suffix}-{salt:08x}@conformance.example.com")
            } else if name.starts_with("fresh_password_weak") {
                // Valid under the default policy (6+ characters), invalid under the strong one.
                format!("pcweak{salt:08x}").replace(|c: char| c.is_ascii_digit(), "q")
            } else if name.starts_with("fresh_password") {
                // Meets the strong policy too: upper, lower, digit, symbol, 8-30 characters.
                format!("Pc!{salt:08x}x{}", fastrand::u16(1000..9999))
            } else {
                format!("pc_{unique}{suffix}_{salt:08x}").replace('-', "_")
            };
            Value::String(value)
        })
    }
}

fn is_generated(name: &str) -> bool {
    GENERATED_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// Walks `a.b.0.c` into a JSON value (numbers index arrays).
fn walk<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |value, key| match value {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// Renders every string inside a JSON value (object keys stay literal).
pub fn render_value(value: &Value, scope: &mut Scope) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(text) => render_str(text, scope)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(item, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), render_value(item, scope)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// Renders one string: a lone placeholder keeps the variable's type, otherwise text.
pub fn render_str(text: &str, scope: &mut Scope) -> Result<Value, TemplateError> {
    let parts = parse(text)?;
    if let [Part::Var(name)] = parts.as_slice() {
        return scope.lookup(name);
    }
    let mut out = String::with_capacity(text.len());
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Var(name) => match scope.lookup(name)? {
                Value::String(s) => out.push_str(&s),
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(Value::String(out))
}

/// Renders to text (for paths, header values and the like).
pub fn render_text(text: &str, scope: &mut Scope) -> Result<String, TemplateError> {
    Ok(match render_str(text, scope)? {
        Value::String(s) => s,
        other => other.to_string(),
    })
}

/// The variable names a string refers to, in order, without rendering it.
pub fn references(text: &str) -> Result<Vec<&str>, TemplateError> {
    Ok(parse(text)?
        .into_iter()
        .filter_map(|part| match part {
            Part::Var(name) => Some(name),
            Part::Text(_) => None,
        })
        .collect())
}

/// Every variable name used in the strings of a JSON value.
pub fn value_references(value: &Value) -> Result<Vec<&str>, TemplateError> {
    let mut names = Vec::new();
    collect_references(value, &mut names)?;
    Ok(names)
}

fn collect_references<'v>(value: &'v Value, names: &mut Vec<&'v str>) -> Result<(), TemplateError> {
    match value {
        Value::String(text) => names.extend(references(text)?),
        Value::Array(items) => {
            for item in items {
                collect_references(item, names)?;
            }
        }
        Value::Object(map) => {
            for item in map.values() {
                collect_references(item, names)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The root of a variable path: `token` for `token`, `profile` for `profile.lockout.attempts`.
pub fn root_name(path: &str) -> &str {
    path.split('.').next().unwrap_or(path)
}

/// Whether the harness itself provides this variable (generated, profile or environment).
pub fn is_builtin(path: &str) -> bool {
    let root = root_name(path);
    root == "profile" || root == "env" || is_generated(root)
}

#[derive(Debug, PartialEq)]
enum Part<'t> {
    Text(&'t str),
    Var(&'t str),
}

fn parse(text: &str) -> Result<Vec<Part<'_>>, TemplateError> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        if name.is_empty() {
            return Err(TemplateError::Empty);
        }
        let valid = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            return Err(TemplateError::BadName(name.into()));
        }
        parts.push(Part::Var(name));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        let mut scope = Scope::new(json!({"lockout": {"attempts": 10}, "ttl": 60}), "t1").with_env(
            Arc::new(|name: &str| (name == "PELCRO_EMAIL").then(|| "a@example.com".to_string())),
        );
        scope.set("token", json!("abc"));
        scope.set("customer", json!({"id": 7, "tags": ["x", "y"]}));
        scope
    }

    #[test]
    fn a_lone_placeholder_keeps_its_type() {
        let mut scope = scope();
        assert_eq!(
            render_str("{{ profile.lockout.attempts }}", &mut scope).unwrap(),
            json!(10)
        );
        assert_eq!(render_str("{{customer.id}}", &mut scope).unwrap(), json!(7));
        assert_eq!(
            render_str("{{ customer.tags.1 }}", &mut scope).unwrap(),
            json!("y")
        );
    }

    #[test]
    fn placeholders_inside_text_are_interpolated() {
        let mut scope = scope();
        assert_eq!(
            render_str("Bearer {{ token }} #{{ customer.id }}", &mut scope).unwrap(),
            json!("Bearer abc #7")
        );
        assert_eq!(
            render_str("no templates", &mut scope).unwrap(),
            json!("no templates")
        );
    }

    #[test]
    fn generated_values_are_stable_within_a_run_and_distinct_by_name() {
        let mut scope = scope();
        let first = render_text("{{ fresh_email }}", &mut scope).unwrap();
        assert_eq!(render_text("{{ fresh_email }}", &mut scope).unwrap(), first);
        let second = render_text("{{ fresh_email_2 }}", &mut scope).unwrap();
        assert_ne!(first, second);
        assert!(first.ends_with("@conformance.example.com"), "{first}");
        let password = render_text("{{ fresh_password }}", &mut scope).unwrap();
        assert!(password.len() >= 8 && password.len() <= 30);
        assert!(password.chars().any(|c| c.is_ascii_uppercase()));
        assert!(password.chars().any(|c| c.is_ascii_digit()));
        assert_eq!(scope.generated().count(), 3);
    }

    #[test]
    fn environment_values_come_from_the_lookup() {
        let mut scope = scope();
        assert_eq!(
            render_text("{{ env.PELCRO_EMAIL }}", &mut scope).unwrap(),
            "a@example.com"
        );
        assert_eq!(
            render_text("{{ env.NOPE }}", &mut scope),
            Err(TemplateError::MissingEnv("NOPE".into()))
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let mut scope = scope();
        assert_eq!(
            render_str("{{ nope }}", &mut scope),
            Err(TemplateError::UnknownVariable("nope".into()))
        );
        assert_eq!(
            render_str("{{ profile.missing }}", &mut scope),
            Err(TemplateError::UnknownVariable("profile.missing".into()))
        );
        assert_eq!(
            render_str("{{ token", &mut scope),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(render_str("{{ }}", &mut scope), Err(TemplateError::Empty));
        assert!(matches!(
            render_str("{{ a b }}", &mut scope),
            Err(TemplateError::BadName(_))
        ));
    }

    #[test]
    fn values_render_recursively_and_keys_stay_literal() {
        let mut scope = scope();
        let rendered = render_value(
            &json!({"{{ token }}": ["{{ token }}", 1, {"n": "{{ customer.id }}"}]}),
            &mut scope,
        )
        .unwrap();
        assert_eq!(rendered, json!({"{{ token }}": ["abc", 1, {"n": 7}]}));
    }

    #[test]
    fn references_are_listed_without_rendering() {
        assert_eq!(
            references("a {{ x }} b {{ profile.y }}").unwrap(),
            vec!["x", "profile.y"]
        );
        assert_eq!(
            value_references(&json!({"a": ["{{ t }}"], "b": "{{ u.v }}"})).unwrap(),
            vec!["t", "u.v"]
        );
        assert!(
            is_builtin("profile.lockout") && is_builtin("env.X") && is_builtin("fresh_email_9")
        );
        assert!(!is_builtin("token"));
    }

    proptest::proptest! {
        #[test]
        fn rendering_never_panics(text in ".{0,64}") {
            let mut scope = scope();
            let _ = render_str(&text, &mut scope);
            let _ = references(&text);
        }
    }
}
