//! Value matchers of `expect.json`, `expect.headers` and `expect.jwt`.
//!
//! A scalar or a list means "equals". A map is a set of operators that must all hold:
//! `{ type: string, not_empty: true }`. To compare with a whole object, write `{ equals: {...} }`.

use regex::Regex;
use serde_json::Value;

/// The operator names, for error messages and the README.
pub const OPERATORS: &[&str] = &[
    "equals",
    "not_equals",
    "present",
    "absent",
    "missing_or_null",
    "type",
    "contains",
    "not_contains",
    "matches",
    "one_of",
    "min",
    "max",
    "length",
    "not_empty",
];

#[derive(Debug, Clone)]
enum Op {
    Equals(Value),
    NotEquals(Value),
    Present(bool),
    MissingOrNull,
    Type(String),
    Contains(Value),
    NotContains(Value),
    Matches(Regex),
    OneOf(Vec<Value>),
    Min(f64),
    Max(f64),
    Length(u64),
    NotEmpty,
}

/// A parsed, rendered matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    ops: Vec<Op>,
}

const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

/// Checks a matcher's shape before templates are rendered: operator names, and argument kinds
/// where the argument is not a template.
pub fn check_shape(spec: &Value) -> Result<(), String> {
    let Value::Object(map) = spec else {
        return Ok(());
    };
    if map.is_empty() {
        return Err(
            "an empty matcher `{}`; to compare with an empty object use `{ equals: {} }`".into(),
        );
    }
    for (name, arg) in map {
        if !OPERATORS.contains(&name.as_str()) {
            return Err(format!(
                "unknown matcher `{name}` (known: {}); to compare with an object use `{{ equals: {{...}} }}`",
                OPERATORS.join(", ")
            ));
        }
        let is_template = arg.as_str().is_some_and(|s| s.contains("{{"));
        if !is_template {
            parse_op(name, arg)?;
        }
    }
    Ok(())
}

impl Matcher {
    /// Parses a rendered matcher specification.
    pub fn parse(spec: &Value) -> Result<Matcher, String> {
        let ops = match spec {
            Value::Object(map) => {
                check_shape(spec)?;
                map.iter()
                    .map(|(name, arg)| parse_op(name, arg))
                    .collect::<Result<Vec<_>, _>>()?
            }
            other => vec![Op::Equals(other.clone())],
        };
        Ok(Matcher { ops })
    }

    /// `Ok` when `actual` (None: absent) satisfies every operator; otherwise what was wrong.
    pub fn check(&self, actual: Option<&Value>) -> Result<(), String> {
        for op in &self.ops {
            check_op(op, actual)?;
        }
        Ok(())
    }

    /// What the matcher expects, in words.
    pub fn describe(&self) -> String {
        self.ops
            .iter()
            .map(describe_op)
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

fn parse_op(name: &str, arg: &Value) -> Result<Op, String> {
    let want_bool = || {
        arg.as_bool()
            .ok_or_else(|| format!("`{name}` takes true or false"))
    };
    let want_number = || as_number(arg).ok_or_else(|| format!("`{name}` takes a number"));
    Ok(match name {
        "equals" => Op::Equals(arg.clone()),
        "not_equals" => Op::NotEquals(arg.clone()),
        "present" => Op::Present(want_bool()?),
        "absent" => Op::Present(!want_bool()?),
        "missing_or_null" => {
            want_bool()?
                .then_some(())
                .ok_or("`missing_or_null` takes only true")?;
            Op::MissingOrNull
        }
        "not_empty" => {
            want_bool()?
                .then_some(())
                .ok_or("`not_empty` takes only true")?;
            Op::NotEmpty
        }
        "type" => {
            let kind = arg.as_str().filter(|k| TYPES.contains(k));
            Op::Type(
                kind.ok_or_else(|| format!("`type` takes one of {}", TYPES.join(", ")))?
                    .to_string(),
            )
        }
        "contains" => Op::Contains(arg.clone()),
        "not_contains" => Op::NotContains(arg.clone()),
        "matches" => {
            let pattern = arg.as_str().ok_or("`matches` takes a regular expression")?;
            Op::Matches(Regex::new(pattern).map_err(|e| format!("`matches`: {e}"))?)
        }
        "one_of" => Op::OneOf(arg.as_array().ok_or("`one_of` takes a list")?.clone()),
        "min" => Op::Min(want_number()?),
        "max" => Op::Max(want_number()?),
        "length" => Op::Length(arg.as_u64().ok_or("`length` takes a whole number")?),
        _ => return Err(format!("unknown matcher `{name}`")),
    })
}

/// Numbers compare by value, so `60` equals `60.0`.
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => x == y,
        _ => a == b,
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn show(actual: Option<&Value>) -> String {
    match actual {
        None => "absent".into(),
        Some(value) => crate::checks::brief(value),
    }
}

fn check_op(op: &Op, actual: Option<&Value>) -> Result<(), String> {
    let fail = || {
        Err(format!(
            "expected {}, got {}",
            describe_op(op),
            show(actual)
        ))
    };
    let ok = match (op, actual) {
        (Op::Present(want), _) => *want == actual.is_some(),
        (Op::MissingOrNull, _) => actual.is_none_or(Value::is_null),
        (_, None) => false,
        (Op::Equals(want), Some(v)) => same(want, v),
        (Op::NotEquals(want), Some(v)) => !same(want, v),
        (Op::Type(kind), Some(v)) => {
            let actual_kind = type_of(v);
            actual_kind == kind || (kind == "number" && actual_kind == "integer")
        }
        (Op::Contains(want), Some(v)) => contains(v, want),
        (Op::NotContains(want), Some(v)) => !contains(v, want),
        (Op::Matches(re), Some(Value::String(s))) => re.is_match(s),
        (Op::Matches(_), Some(_)) => false,
        (Op::OneOf(options), Some(v)) => options.iter().any(|o| same(o, v)),
        (Op::Min(min), Some(v)) => as_number(v).is_some_and(|n| n >= *min),
        (Op::Max(max), Some(v)) => as_number(v).is_some_and(|n| n <= *max),
        (Op::Length(len), Some(v)) => length(v) == Some(*len),
        (Op::NotEmpty, Some(v)) => length(v).is_some_and(|n| n > 0),
    };
    if ok { Ok(()) } else { fail() }
}

/// A number, or text that is one: header values (`Retry-After: 3600`) and captured headers are
/// text, and bounds on them are still numeric.
fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::String(s), Value::String(n)) => s.contains(n.as_str()),
        (Value::Array(items), _) => items.iter().any(|item| same(item, needle)),
        (Value::Object(map), Value::String(key)) => map.contains_key(key),
        _ => false,
    }
}

fn length(value: &Value) -> Option<u64> {
    Some(match value {
        Value::String(s) => s.chars().count() as u64,
        Value::Array(items) => items.len() as u64,
        Value::Object(map) => map.len() as u64,
        _ => return None,
    })
}

fn describe_op(op: &Op) -> String {
    match op {
        Op::Equals(v) => crate::checks::brief(v),
        Op::NotEquals(v) => format!("not {}", crate::checks::brief(v)),
        Op::Present(true) => "present".into(),
        Op::Present(false) => "absent".into(),
        Op::MissingOrNull => "absent or null".into(),
        Op::Type(kind) => format!("a {kind}"),
        Op::Contains(v) => format!("containing {}", crate::checks::brief(v)),
        Op::NotContains(v) => format!("not containing {}", crate::checks::brief(v)),
        Op::Matches(re) => format!("matching /{}/", re.as_str()),
        Op::OneOf(options) => format!(
            "one of {}",
            options
                .iter()
                .map(crate::checks::brief)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Op::Min(n) => format!("at least {n}"),
        Op::Max(n) => format!("at most {n}"),
        Op::Length(n) => format!("of length {n}"),
        Op::NotEmpty => "not empty".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(spec: Value, actual: Option<Value>) -> Result<(), String> {
        Matcher::parse(&spec).unwrap().check(actual.as_ref())
    }

    #[test]
    fn scalars_mean_equals_and_numbers_compare_by_value() {
        assert!(check(json!(200), Some(json!(200))).is_ok());
        assert!(check(json!(60), Some(json!(60.0))).is_ok());
        assert_eq!(
            check(json!("a"), Some(json!("b"))),
            Err("expected \"a\", got \"b\"".into())
        );
        assert_eq!(
            check(json!("a"), None),
            Err("expected \"a\", got absent".into())
        );
    }

    #[test]
    fn every_operator_passes_and_fails() {
        let cases = [
            (json!({"present": true}), json!(1), None),
            (json!({"type": "string"}), json!("x"), Some(json!(1))),
            (json!({"type": "number"}), json!(1), Some(json!("1"))),
            (json!({"contains": "bc"}), json!("abcd"), Some(json!("xyz"))),
            (json!({"contains": 2}), json!([1, 2]), Some(json!([3]))),
            (
                json!({"not_contains": "x"}),
                json!("abc"),
                Some(json!("xyz")),
            ),
            (
                json!({"matches": "^eyJ"}),
                json!("eyJhbG"),
                Some(json!("abc")),
            ),
            (json!({"one_of": [400, 429]}), json!(429), Some(json!(404))),
            (json!({"min": 1, "max": 5}), json!(3), Some(json!(6))),
            (json!({"length": 2}), json!([1, 2]), Some(json!([1]))),
            (json!({"not_empty": true}), json!("x"), Some(json!(""))),
            (json!({"not_equals": 1}), json!(2), Some(json!(1))),
            (
                json!({"equals": {"a": 1}}),
                json!({"a": 1}),
                Some(json!({"a": 2})),
            ),
        ];
        for (spec, good, bad) in cases {
            assert!(
                check(spec.clone(), Some(good.clone())).is_ok(),
                "{spec} should accept {good}"
            );
            match bad {
                Some(bad) => assert!(
                    check(spec.clone(), Some(bad.clone())).is_err(),
                    "{spec} should refuse {bad}"
                ),
                None => assert!(
                    check(spec.clone(), None).is_err(),
                    "{spec} should refuse absence"
                ),
            }
        }
        assert!(
            check(json!({"min": 1, "max": "3600"}), Some(json!("3600"))).is_ok(),
            "numeric text compares as a number"
        );
        assert!(check(json!({"max": "60"}), Some(json!("3600"))).is_err());
        assert!(check(json!({"min": 1}), Some(json!("soon"))).is_err());
        assert!(check(json!({"missing_or_null": true}), None).is_ok());
        assert!(check(json!({"missing_or_null": true}), Some(json!(null))).is_ok());
        assert!(check(json!({"missing_or_null": true}), Some(json!("eyJ"))).is_err());
        assert!(check(json!({"absent": true}), None).is_ok());
        assert!(check(json!({"absent": true}), Some(json!(null))).is_err());
    }

    #[test]
    fn bad_shapes_are_named() {
        assert!(
            check_shape(&json!({"equal": 1}))
                .unwrap_err()
                .contains("unknown matcher `equal`")
        );
        assert!(
            check_shape(&json!({"type": "str"}))
                .unwrap_err()
                .contains("`type` takes one of")
        );
        assert!(
            check_shape(&json!({"matches": "("}))
                .unwrap_err()
                .starts_with("`matches`")
        );
        assert!(check_shape(&json!({})).is_err());
        assert!(check_shape(&json!({"min": "{{ profile.x }}"})).is_ok());
    }
}
