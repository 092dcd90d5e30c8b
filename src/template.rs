//! `{{ name }}` templates in suite values.
//!
//! A string that is exactly one placeholder takes the variable's JSON value, so
//! `repeat: "{{ profile.lockout.attempts }}"` stays a number; placeholders inside longer text are
//! interpolated as text. Values are never rendered twice, so a template cannot loop.
//!
//! A placeholder holds an expression: a variable or a whole number, optionally joined by `+`, `-`,
//! `*` or `/` (whole numbers, left to right, spaces around the operator:
//! `{{ profile.lockout.window_seconds / profile.lockout.attempts }}`), then optional filters after
//! `|` ([`FILTERS`]: `{{ email | upper }}`, `{{ token | jwt.jti }}`, `{{ flag | not }}`).

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
    #[error(
        "`{0}`: an expression is operands (variables or whole numbers) joined by ` + `, ` - `, ` * ` or ` / `"
    )]
    BadExpression(String),
    #[error("unknown filter `{0}` (known: {known})", known = FILTERS.join(", "))]
    UnknownFilter(String),
    #[error("{0}")]
    Eval(String),
    /// A rendered request path that leaves its root (`/../__control`); never sent.
    #[error("the rendered path {0}")]
    Path(#[from] crate::suite::load::PathError),
}

/// The filters a placeholder may apply after `|`, in order.
pub const FILTERS: &[&str] = &[
    "upper",
    "lower",
    "not",
    "text",
    "jwt.CLAIM",
    "jwt_header.FIELD",
    "jwt_alg_none",
    "jwt_edited",
    "jwt_bad_signature",
];

/// Whether a value counts as true (`when:`, the `not` filter): false, null, 0, an empty string,
/// `"0"`, `"false"` and empty collections mean no.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !(s.is_empty() || s.eq_ignore_ascii_case("false") || s == "0"),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
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

    /// Whether a variable has been set (captured, or a suite variable).
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
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
            Value::String(match length_suffix(name) {
                // A cut password keeps an upper and a lower letter, a symbol and a digit first.
                Some(length) if name.starts_with("fresh_password") => {
                    fit(&format!("Pc!9{salt:08x}"), length)
                }
                Some(length) => fit(&value, length),
                None => value,
            })
        })
    }
}

/// `fresh_username_len_100` → 100: a generated value of exactly that many characters.
fn length_suffix(name: &str) -> Option<usize> {
    let (_, digits) = name.rsplit_once("_len_")?;
    digits
        .parse()
        .ok()
        .filter(|n| (1..=MAX_GENERATED_LENGTH).contains(n))
}

/// The longest generated value `_len_N` may ask for.
const MAX_GENERATED_LENGTH: usize = 1000;

/// Pads (with `x`) or cuts a generated value to `length` characters; an email keeps its domain.
fn fit(value: &str, length: usize) -> String {
    let (local, domain) = match value.split_once('@') {
        Some((local, domain)) => (local, format!("@{domain}")),
        None => (value, String::new()),
    };
    let room = length.saturating_sub(domain.len()).max(1);
    let mut local: String = local.chars().take(room).collect();
    while local.len() < room {
        local.push('x');
    }
    format!("{local}{domain}")
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
        return evaluate(name, scope);
    }
    let mut out = String::with_capacity(text.len());
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Var(name) => match evaluate(name, scope)? {
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
            Part::Var(expr) => Some(Expr::parse(expr).map(|e| e.names())),
            Part::Text(_) => None,
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
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
        Expr::parse(name)?;
        parts.push(Part::Var(name));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// One operand of an expression.
enum Operand<'t> {
    Name(&'t str),
    Number(i64),
}

/// The inside of a placeholder: operands joined by operators, then filters.
struct Expr<'t> {
    first: Operand<'t>,
    rest: Vec<(char, Operand<'t>)>,
    filters: Vec<&'t str>,
}

impl<'t> Expr<'t> {
    fn parse(text: &'t str) -> Result<Expr<'t>, TemplateError> {
        let mut pieces = text.split('|');
        let arithmetic = pieces.next().unwrap_or_default().trim();
        let filters: Vec<&str> = pieces.map(str::trim).collect();
        for filter in &filters {
            if !known_filter(filter) {
                return Err(TemplateError::UnknownFilter((*filter).into()));
            }
        }
        let operand = |token: &'t str| -> Result<Operand<'t>, TemplateError> {
            if let Ok(n) = token.parse::<i64>() {
                Ok(Operand::Number(n))
            } else if valid_name(token) {
                Ok(Operand::Name(token))
            } else {
                Err(TemplateError::BadName(token.into()))
            }
        };
        let tokens: Vec<&str> = arithmetic.split_whitespace().collect();
        let Some((head, tail)) = tokens.split_first() else {
            return Err(TemplateError::Empty);
        };
        if tokens.len() == 1 && !valid_name(head) && head.parse::<i64>().is_err() {
            return Err(TemplateError::BadName((*head).into()));
        }
        if tail.len() % 2 != 0 {
            return Err(TemplateError::BadExpression(text.into()));
        }
        let mut rest = Vec::new();
        for pair in tail.chunks(2) {
            let op = match pair[0] {
                "+" => '+',
                "-" => '-',
                "*" => '*',
                "/" => '/',
                _ => return Err(TemplateError::BadExpression(text.into())),
            };
            rest.push((op, operand(pair[1])?));
        }
        Ok(Expr {
            first: operand(head)?,
            rest,
            filters,
        })
    }

    fn names(&self) -> Vec<&'t str> {
        std::iter::once(&self.first)
            .chain(self.rest.iter().map(|(_, o)| o))
            .filter_map(|o| match o {
                Operand::Name(name) => Some(*name),
                Operand::Number(_) => None,
            })
            .collect()
    }
}

fn known_filter(filter: &str) -> bool {
    matches!(
        filter,
        "upper" | "lower" | "not" | "text" | "jwt_alg_none" | "jwt_edited" | "jwt_bad_signature"
    ) || filter
        .strip_prefix("jwt.")
        .or_else(|| filter.strip_prefix("jwt_header."))
        .is_some_and(valid_name)
}

fn evaluate(text: &str, scope: &mut Scope) -> Result<Value, TemplateError> {
    let expr = Expr::parse(text)?;
    let mut value_of = |operand: &Operand| match operand {
        Operand::Number(n) => Ok(Value::from(*n)),
        Operand::Name(name) => scope.lookup(name),
    };
    let mut value = value_of(&expr.first)?;
    if !expr.rest.is_empty() {
        let number = |value: &Value| {
            value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| {
                    TemplateError::Eval(format!("`{text}`: {value} is not a whole number"))
                })
        };
        let mut total = number(&value)?;
        for (op, operand) in &expr.rest {
            let n = number(&value_of(operand)?)?;
            let result = match op {
                '+' => total.checked_add(n),
                '-' => total.checked_sub(n),
                '*' => total.checked_mul(n),
                _ => total.checked_div(n),
            };
            total = result.ok_or_else(|| {
                TemplateError::Eval(format!("`{text}`: overflow or division by zero"))
            })?;
        }
        value = Value::from(total);
    }
    for filter in &expr.filters {
        value = apply_filter(filter, value).map_err(|reason| {
            TemplateError::Eval(format!("`{text}`: filter `{filter}`: {reason}"))
        })?;
    }
    Ok(value)
}

fn as_plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn apply_filter(filter: &str, value: Value) -> Result<Value, String> {
    Ok(match filter {
        "upper" => Value::String(as_plain_text(&value).to_uppercase()),
        "lower" => Value::String(as_plain_text(&value).to_lowercase()),
        "not" => Value::Bool(!truthy(&value)),
        "text" => Value::String(as_plain_text(&value)),
        "jwt_alg_none" => Value::String(jwt::alg_none(&as_plain_text(&value))?),
        "jwt_edited" => Value::String(jwt::edited(&as_plain_text(&value))?),
        "jwt_bad_signature" => Value::String(jwt::bad_signature(&as_plain_text(&value))?),
        _ => {
            let token = as_plain_text(&value);
            let (part, field) = match filter.strip_prefix("jwt.") {
                Some(claim) => (jwt::payload(&token)?, claim),
                None => (
                    jwt::header(&token)?,
                    filter.strip_prefix("jwt_header.").unwrap_or(filter),
                ),
            };
            part.get(field)
                .cloned()
                .ok_or_else(|| format!("the token has no `{field}`"))?
        }
    })
}

/// Decoding and forging JWTs for the `jwt*` filters (never verifying: the target does that).
mod jwt {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    fn parts(token: &str) -> Result<[&str; 3], String> {
        let mut split = token.split('.');
        match (split.next(), split.next(), split.next(), split.next()) {
            (Some(h), Some(p), Some(s), None) => Ok([h, p, s]),
            _ => Err("not a JWT (three dot-separated parts)".into()),
        }
    }

    fn decode(segment: &str) -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(segment.trim_end_matches('='))
            .map_err(|_| "a part is not base64url".to_string())?;
        serde_json::from_slice(&bytes).map_err(|_| "a part is not JSON".to_string())
    }

    fn encode(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    pub fn header(token: &str) -> Result<Value, String> {
        decode(parts(token)?[0])
    }

    pub fn payload(token: &str) -> Result<Value, String> {
        decode(parts(token)?[1])
    }

    /// The same claims under `{"alg":"none"}` with no signature.
    pub fn alg_none(token: &str) -> Result<String, String> {
        let [_, payload, _] = parts(token)?;
        Ok(format!(
            "{}.{payload}.",
            encode(&json!({"typ": "JWT", "alg": "none"}))
        ))
    }

    /// The payload edited (`exp` a year later), the original signature kept.
    pub fn edited(token: &str) -> Result<String, String> {
        let [header, payload, signature] = parts(token)?;
        let mut claims = decode(payload)?;
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        claims["exp"] = Value::from(exp + 365 * 86_400);
        Ok(format!("{header}.{}.{signature}", encode(&claims)))
    }

    /// The header and payload kept, the signature's first byte changed.
    pub fn bad_signature(token: &str) -> Result<String, String> {
        let [header, payload, signature] = parts(token)?;
        let mut bytes = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| "the signature is not base64url".to_string())?;
        match bytes.first_mut() {
            Some(first) => *first ^= 0x01,
            None => bytes.push(0),
        }
        Ok(format!(
            "{header}.{payload}.{}",
            URL_SAFE_NO_PAD.encode(bytes)
        ))
    }
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
            Err(TemplateError::BadExpression(_))
        ));
        assert!(matches!(
            render_str("{{ a ^ b }}", &mut scope),
            Err(TemplateError::BadExpression(_))
        ));
        assert!(matches!(
            render_str("{{ token | shout }}", &mut scope),
            Err(TemplateError::UnknownFilter(_))
        ));
        assert!(matches!(
            render_str("{{ token / 0 }}", &mut scope),
            Err(TemplateError::Eval(_))
        ));
    }

    #[test]
    fn arithmetic_on_whole_numbers_goes_left_to_right() {
        let mut scope = scope();
        assert_eq!(
            render_str("{{ profile.lockout.attempts - 1 }}", &mut scope).unwrap(),
            json!(9)
        );
        assert_eq!(
            render_str("{{ profile.ttl * 86400 - 1 }}", &mut scope).unwrap(),
            json!(5_183_999)
        );
        assert_eq!(
            render_str("{{ 300 / profile.lockout.attempts }}s", &mut scope).unwrap(),
            json!("30s")
        );
        assert_eq!(
            references("{{ a - 1 }} {{ b | upper }}").unwrap(),
            vec!["a", "b"]
        );
    }

    #[test]
    fn filters_change_case_negate_and_read_or_forge_jwts() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut scope = scope();
        assert_eq!(
            render_str("{{ token | upper }}", &mut scope).unwrap(),
            json!("ABC")
        );
        assert_eq!(
            render_str("{{ profile.ttl | not }}", &mut scope).unwrap(),
            json!(false)
        );
        assert_eq!(
            render_str("{{ customer.id | text }}", &mut scope).unwrap(),
            json!("7")
        );
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let jwt = format!(
            "{}.{}.{}",
            part(json!({"alg": "HS256", "typ": "JWT"})),
            part(json!({"sub": "7", "exp": 100, "jti": "j1"})),
            URL_SAFE_NO_PAD.encode([1u8, 2, 3])
        );
        scope.set("jwt", json!(jwt));
        assert_eq!(
            render_str("{{ jwt | jwt.sub }}", &mut scope).unwrap(),
            json!("7")
        );
        assert_eq!(
            render_str("{{ jwt | jwt.exp + 1 }}", &mut scope).ok(),
            None,
            "filters come last"
        );
        assert_eq!(
            render_str("{{ jwt | jwt_header.alg }}", &mut scope).unwrap(),
            json!("HS256")
        );
        let none = render_text("{{ jwt | jwt_alg_none }}", &mut scope).unwrap();
        scope.set("none", json!(none));
        assert_eq!(
            render_str("{{ none | jwt_header.alg }}", &mut scope).unwrap(),
            json!("none")
        );
        assert!(none.ends_with('.') && none.contains(jwt.split('.').nth(1).unwrap()));
        let edited = render_text("{{ jwt | jwt_edited }}", &mut scope).unwrap();
        assert_ne!(edited.split('.').nth(1), jwt.split('.').nth(1));
        assert_eq!(edited.split('.').nth(2), jwt.split('.').nth(2));
        let bad = render_text("{{ jwt | jwt_bad_signature }}", &mut scope).unwrap();
        assert_eq!(
            bad.rsplit_once('.').unwrap().0,
            jwt.rsplit_once('.').unwrap().0
        );
        assert_ne!(bad, jwt);
        assert!(render_str("{{ token | jwt.sub }}", &mut scope).is_err());
    }

    #[test]
    fn generated_values_can_ask_for_an_exact_length() {
        let mut scope = scope();
        let name = render_text("{{ fresh_username_len_100 }}", &mut scope).unwrap();
        assert_eq!(name.len(), 100);
        assert_ne!(
            render_text("{{ fresh_username_len_101 }}", &mut scope).unwrap()[..100],
            name
        );
        assert_eq!(
            render_text("{{ fresh_password_len_5 }}", &mut scope)
                .unwrap()
                .len(),
            5
        );
        let email = render_text("{{ fresh_email_len_64 }}", &mut scope).unwrap();
        assert!(
            email.len() == 64 && email.ends_with("@conformance.example.com"),
            "{email}"
        );
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
