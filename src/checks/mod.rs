//! Checking one response against a step's (rendered) expectations.
//!
//! Each check family — status, schema, JSON values, headers, JWT — yields `CheckResult`s with what
//! was expected and what came, so a failure reads without a debugger.

pub mod level;
pub mod matcher;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::Response;
use crate::schemas::SchemaSet;
pub use level::{Gate, Level};
use matcher::Matcher;

/// The families of checks, as reports name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Status,
    Schema,
    Json,
    Header,
    Jwt,
    /// The response against its stored snapshot.
    Snapshot,
}

impl CheckKind {
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Status => "status",
            CheckKind::Schema => "schema",
            CheckKind::Json => "json",
            CheckKind::Header => "header",
            CheckKind::Jwt => "jwt",
            CheckKind::Snapshot => "snapshot",
        }
    }
}

/// One check and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub kind: CheckKind,
    /// What was checked: `status`, a schema name, a JSON Pointer, a header name, a JWT claim.
    pub subject: String,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
    /// What the check rests on; only some levels may fail a claim (see [`Gate`]).
    #[serde(default, skip_serializing_if = "Level::is_documented")]
    pub level: Level,
    /// For an assumed check: why it is only an assumption (the documents' silence it fills).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// For an assumed check: the claim its advisory is reported under, when not the suite's first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
}

impl CheckResult {
    fn new(
        kind: CheckKind,
        subject: impl Into<String>,
        expected: impl Into<String>,
        outcome: Result<String, String>,
    ) -> CheckResult {
        let (passed, expected, actual) = match outcome {
            Ok(actual) => (true, expected.into(), actual),
            // A matcher says "expected <the operator that failed>, got <value>": split it, so
            // that no report reads "expected X; got expected X, got Y".
            Err(message) => match message
                .strip_prefix("expected ")
                .and_then(|rest| rest.split_once(", got "))
            {
                Some((want, got)) => (false, want.to_string(), got.to_string()),
                None => (false, expected.into(), message),
            },
        };
        CheckResult {
            kind,
            subject: subject.into(),
            passed,
            expected,
            actual,
            level: Level::Documented,
            why: None,
            claim: None,
        }
    }

    /// A documented check with its outcome already decided.
    pub fn documented(
        kind: CheckKind,
        subject: impl Into<String>,
        passed: bool,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> CheckResult {
        let actual = actual.into();
        CheckResult::new(
            kind,
            subject,
            expected,
            if passed { Ok(actual) } else { Err(actual) },
        )
    }

    /// Whether this check failed in a way that fails its step under `gate`.
    pub fn fails(&self, gate: Gate) -> bool {
        !self.passed && gate.fails_on(self.level)
    }

    /// The check's family and subject: `json /data/email`; `status`, not "status status".
    pub fn what(&self) -> String {
        if self.subject == self.kind.name() || self.subject.is_empty() {
            self.kind.name().to_string()
        } else {
            format!("{} {}", self.kind.name(), self.subject)
        }
    }

    /// The check and how it went, in a sentence.
    pub fn sentence(&self) -> String {
        self.sentence_at("")
    }

    /// The sentence with `at` after the subject (` (attempt 3)` for a repeated step).
    pub fn sentence_at(&self, at: &str) -> String {
        let what = self.what();
        // A matcher's own message already says "expected …, got …".
        if self.actual.starts_with("expected ") {
            format!("{what}{at}: {}", self.actual)
        } else {
            format!(
                "{what}{at}: expected {}, got {}",
                self.expected, self.actual
            )
        }
    }

    /// A failed assumed check that does not fail the step: an advisory.
    pub fn is_advisory(&self, gate: Gate) -> bool {
        !self.passed && self.level == Level::Assumed && !gate.fails_on(self.level)
    }
}

/// A step's expectations with every template rendered.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Any of these statuses; empty means any status.
    pub status: Vec<u16>,
    pub schema: Option<String>,
    /// JSON Pointer → matcher.
    pub json: Vec<(String, Matcher)>,
    /// Lower-case header name → matcher.
    pub headers: Vec<(String, Matcher)>,
    pub jwt: Option<JwtExpectations>,
}

#[derive(Debug, Clone)]
pub struct JwtExpectations {
    /// JSON Pointer to the token.
    pub at: String,
    pub ttl_days: Option<u64>,
    pub header: Vec<(String, Matcher)>,
    pub claims: Vec<(String, Matcher)>,
}

/// Runs every expectation against the response.
pub fn evaluate(
    expect: &Expectations,
    response: &Response,
    schemas: &SchemaSet,
) -> Vec<CheckResult> {
    let mut results = Vec::new();
    if !expect.status.is_empty() {
        results.push(check_status(&expect.status, response.status));
    }
    if let Some(schema) = &expect.schema {
        results.push(check_schema(schema, response, schemas));
    }
    for (pointer, matcher) in &expect.json {
        let actual = response
            .json
            .as_ref()
            .and_then(|body| body.pointer(pointer));
        results.push(CheckResult::new(
            CheckKind::Json,
            pointer,
            matcher.describe(),
            matcher
                .check(actual)
                .map(|_| show(actual))
                .map_err(|e| not_json_hint(e, response)),
        ));
    }
    for (name, matcher) in &expect.headers {
        let actual = response.header(name).map(|v| Value::String(v.to_string()));
        results.push(CheckResult::new(
            CheckKind::Header,
            name,
            matcher.describe(),
            matcher
                .check(actual.as_ref())
                .map(|_| show(actual.as_ref())),
        ));
    }
    if let Some(jwt) = &expect.jwt {
        results.extend(check_jwt(jwt, response));
    }
    results
}

fn check_status(expected: &[u16], actual: u16) -> CheckResult {
    let shown = expected
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    let outcome = if expected.contains(&actual) {
        Ok(actual.to_string())
    } else {
        Err(actual.to_string())
    };
    CheckResult::new(CheckKind::Status, "status", shown, outcome)
}

fn check_schema(name: &str, response: &Response, schemas: &SchemaSet) -> CheckResult {
    let expected = format!("a body matching schema `{name}`");
    let outcome = match &response.json {
        None => Err(format!(
            "a body that is not JSON: {}",
            brief_text(&response.body)
        )),
        Some(body) => match schemas.validate(name, body) {
            Ok(()) => Ok("a matching body".into()),
            Err(violations) => Err(violations
                .iter()
                .map(|v| {
                    let at = if v.instance_path.is_empty() {
                        "(root)"
                    } else {
                        &v.instance_path
                    };
                    format!("at {at}: `{}` failed: {}", v.keyword, v.message)
                })
                .collect::<Vec<_>>()
                .join("; ")),
        },
    };
    CheckResult::new(CheckKind::Schema, name, expected, outcome)
}

fn check_jwt(jwt: &JwtExpectations, response: &Response) -> Vec<CheckResult> {
    let subject = |part: &str| format!("{} {part}", jwt.at);
    let token = response
        .json
        .as_ref()
        .and_then(|body| body.pointer(&jwt.at))
        .and_then(Value::as_str);
    let decoded = match token
        .ok_or_else(|| format!("no token at {}", jwt.at))
        .and_then(decode_jwt)
    {
        Ok(decoded) => decoded,
        Err(reason) => {
            return vec![CheckResult::new(
                CheckKind::Jwt,
                subject("decode"),
                "a decodable JWT",
                Err(reason),
            )];
        }
    };
    let mut results = Vec::new();
    for (field, matcher) in &jwt.header {
        let actual = decoded.header.get(field);
        results.push(CheckResult::new(
            CheckKind::Jwt,
            subject(&format!("header.{field}")),
            matcher.describe(),
            matcher.check(actual).map(|_| show(actual)),
        ));
    }
    for (claim, matcher) in &jwt.claims {
        let actual = decoded.claims.get(claim);
        results.push(CheckResult::new(
            CheckKind::Jwt,
            subject(claim),
            matcher.describe(),
            matcher.check(actual).map(|_| show(actual)),
        ));
    }
    if let Some(days) = jwt.ttl_days {
        let iat = decoded.claims.get("iat").and_then(Value::as_i64);
        let exp = decoded.claims.get("exp").and_then(Value::as_i64);
        let expected = format!("exp − iat = {days} days ({} s)", days * 86_400);
        let outcome = match (iat, exp) {
            (Some(iat), Some(exp)) if exp - iat == days as i64 * 86_400 => {
                Ok(format!("{} s", exp - iat))
            }
            (Some(iat), Some(exp)) => Err(format!(
                "{} s ({:.2} days)",
                exp - iat,
                (exp - iat) as f64 / 86_400.0
            )),
            _ => Err("no numeric `iat` and `exp` claims".into()),
        };
        results.push(CheckResult::new(
            CheckKind::Jwt,
            subject("ttl"),
            expected,
            outcome,
        ));
    }
    results
}

/// A JWT's header and claims, decoded without verifying the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    pub header: Value,
    pub claims: Value,
}

pub fn decode_jwt(token: &str) -> Result<DecodedJwt, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, _signature] = parts.as_slice() else {
        return Err(format!("not a JWT: {} segments instead of 3", parts.len()));
    };
    let segment = |name: &str, text: &str| -> Result<Value, String> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| format!("not a JWT: the {name} is not base64url ({e})"))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("not a JWT: the {name} is not JSON ({e})"))?;
        if value.is_object() {
            Ok(value)
        } else {
            Err(format!("not a JWT: the {name} is not a JSON object"))
        }
    };
    Ok(DecodedJwt {
        header: segment("header", header)?,
        claims: segment("payload", claims)?,
    })
}

/// A JSON Pointer from a pointer (`/data/id`) or a dotted path (`data.items[0].id`).
pub fn to_pointer(path: &str) -> String {
    if path.starts_with('/') || path.is_empty() {
        return path.to_string();
    }
    let mut pointer = String::new();
    for segment in path.split('.') {
        let (key, indexes) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        if !key.is_empty() {
            pointer.push('/');
            pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
        }
        for index in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            pointer.push('/');
            pointer.push_str(index);
        }
    }
    pointer
}

fn not_json_hint(message: String, response: &Response) -> String {
    if response.json.is_none() {
        format!(
            "{message} (the body is not JSON: {})",
            brief_text(&response.body)
        )
    } else {
        message
    }
}

fn show(value: Option<&Value>) -> String {
    value.map(brief).unwrap_or_else(|| "absent".into())
}

/// A value as JSON text for messages. Not shortened here: messages are redacted first and
/// shortened after (`brief_text`), or a secret cut in half would slip past the redactor.
pub fn brief(value: &Value) -> String {
    value.to_string()
}

/// Text cut to a readable length for messages; only ever applied to redacted text.
pub fn brief_text(text: &str) -> String {
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}… ({} bytes)", text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, body: Value) -> Response {
        Response::new(
            status,
            vec![("retry-after".into(), "2".into())],
            body.to_string(),
        )
    }

    fn matcher(spec: Value) -> Matcher {
        Matcher::parse(&spec).unwrap()
    }

    #[test]
    fn failure_sentences_say_each_thing_once() {
        let expect = Expectations {
            status: vec![400],
            json: vec![(
                "/a".into(),
                matcher(json!({"equals": 1, "type": "integer"})),
            )],
            ..Default::default()
        };
        let results = evaluate(
            &expect,
            &response(429, json!({"a": 2})),
            &SchemaSet::empty(),
        );
        assert_eq!(results[0].sentence(), "status: expected 400, got 429");
        let json = &results[1];
        assert!(!json.passed);
        // The matcher's "expected …, got …" is split into the two fields, not nested in one.
        assert!(!json.actual.contains("expected"), "{json:?}");
        assert_eq!(json.actual, "2");
        assert_eq!(
            json.sentence(),
            format!("json /a: expected {}, got 2", json.expected)
        );
        assert_eq!(json.sentence().matches("expected").count(), 1);
    }

    #[test]
    fn status_passes_and_fails() {
        let expect = Expectations {
            status: vec![200],
            ..Default::default()
        };
        assert!(evaluate(&expect, &response(200, json!({})), &SchemaSet::empty())[0].passed);
        let failed = &evaluate(&expect, &response(404, json!({})), &SchemaSet::empty())[0];
        assert!(!failed.passed);
        assert_eq!(
            (failed.expected.as_str(), failed.actual.as_str()),
            ("200", "404")
        );
        let either = Expectations {
            status: vec![400, 429],
            ..Default::default()
        };
        assert!(evaluate(&either, &response(429, json!({})), &SchemaSet::empty())[0].passed);
    }

    #[test]
    fn json_values_pass_and_fail() {
        let expect = Expectations {
            json: vec![
                ("/data/email".into(), matcher(json!("a@b.c"))),
                ("/data/id".into(), matcher(json!({"type": "integer"}))),
            ],
            ..Default::default()
        };
        let good = evaluate(
            &expect,
            &response(200, json!({"data": {"email": "a@b.c", "id": 3}})),
            &SchemaSet::empty(),
        );
        assert!(good.iter().all(|r| r.passed), "{good:?}");
        let bad = evaluate(
            &expect,
            &response(200, json!({"data": {"email": "x@b.c", "id": "3"}})),
            &SchemaSet::empty(),
        );
        assert!(bad.iter().all(|r| !r.passed), "{bad:?}");
        assert_eq!(
            (bad[0].expected.as_str(), bad[0].actual.as_str()),
            ("\"a@b.c\"", "\"x@b.c\"")
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_named() {
        let expect = Expectations {
            json: vec![("/data".into(), matcher(json!({"present": true})))],
            ..Default::default()
        };
        let resp = Response::new(200, vec![], "<html>oops</html>".into());
        let result = &evaluate(&expect, &resp, &SchemaSet::empty())[0];
        assert!(!result.passed);
        assert!(
            result.actual.contains("not JSON: <html>oops</html>"),
            "{}",
            result.actual
        );
    }

    #[test]
    fn headers_pass_and_fail() {
        let expect = Expectations {
            headers: vec![(
                "retry-after".into(),
                matcher(json!({"matches": "^[0-9]+$"})),
            )],
            ..Default::default()
        };
        assert!(evaluate(&expect, &response(429, json!({})), &SchemaSet::empty())[0].passed);
        let missing = Expectations {
            headers: vec![("x-absent".into(), matcher(json!({"present": true})))],
            ..Default::default()
        };
        assert!(!evaluate(&missing, &response(429, json!({})), &SchemaSet::empty())[0].passed);
    }

    fn token(claims: Value) -> String {
        let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.sig",
            enc(json!({"alg": "HS256", "typ": "JWT"})),
            enc(claims)
        )
    }

    #[test]
    fn jwt_ttl_and_claims_pass_and_fail() {
        let expect = Expectations {
            jwt: Some(JwtExpectations {
                at: "/data/auth_token".into(),
                ttl_days: Some(60),
                header: vec![("alg".into(), matcher(json!("HS256")))],
                claims: vec![("sub".into(), matcher(json!({"type": "string"})))],
            }),
            ..Default::default()
        };
        let good = token(json!({"iat": 1000, "exp": 1000 + 60 * 86_400, "sub": "7"}));
        let results = evaluate(
            &expect,
            &response(200, json!({"data": {"auth_token": good}})),
            &SchemaSet::empty(),
        );
        assert_eq!(results.len(), 3);
        assert!(results.iter().all(|r| r.passed), "{results:?}");
        let bad = token(json!({"iat": 1000, "exp": 1000 + 14 * 86_400, "sub": 7}));
        let results = evaluate(
            &expect,
            &response(200, json!({"data": {"auth_token": bad}})),
            &SchemaSet::empty(),
        );
        assert_eq!(
            results.iter().filter(|r| !r.passed).count(),
            2,
            "{results:?}"
        );
        assert!(results[2].actual.contains("14.00 days"));
        let garbage = evaluate(
            &expect,
            &response(200, json!({"data": {"auth_token": "abc"}})),
            &SchemaSet::empty(),
        );
        assert!(!garbage[0].passed && garbage[0].actual.contains("segments"));
    }

    #[test]
    fn schema_passes_and_fails_with_path_and_keyword() {
        let schemas = SchemaSet::embedded().unwrap();
        let expect = Expectations {
            schema: Some("error-app".into()),
            ..Default::default()
        };
        let good = json!({"error": {"report_id": null, "status": 404, "message": "Invalid credentials! Please try again."}});
        assert!(evaluate(&expect, &response(404, good), &schemas)[0].passed);
        let bad = json!({"error": {"report_id": null, "status": "404", "message": "x"}});
        let result = &evaluate(&expect, &response(404, bad), &schemas)[0];
        assert!(!result.passed);
        assert!(
            result.actual.contains("at /error/status: `type` failed"),
            "{}",
            result.actual
        );
        let not_json = Response::new(500, vec![], "<html>".into());
        assert!(
            evaluate(&expect, &not_json, &schemas)[0]
                .actual
                .contains("not JSON")
        );
    }

    #[test]
    fn dotted_paths_become_pointers() {
        assert_eq!(to_pointer("data.auth_token"), "/data/auth_token");
        assert_eq!(to_pointer("data.items[0].id"), "/data/items/0/id");
        assert_eq!(to_pointer("/errors/email/0"), "/errors/email/0");
        assert_eq!(to_pointer("a/b"), "/a~1b");
    }
}
