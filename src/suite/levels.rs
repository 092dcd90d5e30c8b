//! The loader's rules for levels of expectation: a check under `expect:` claims to be documented,
//! so it must rest on what the documents state; anything else belongs under `assume:` (or a step
//! marked `assumed:`), with the silence it fills in `why`.
//!
//! What "rests on the documents" means here, per check family:
//! - a literal status must be one the contract table (`contract.rs`, built from claims.md)
//!   documents for that endpoint;
//! - a schema must be one the contract table names for that endpoint;
//! - a literal message (`…/message`, `/errors/…`) must be a wording claims.md quotes.

use serde_json::Value;

use crate::checks::to_pointer;
use crate::claims;
use crate::contract;

use super::model::{Expect, RequestSpec, Step, Suite};

/// A rule a step breaks: the text to point at, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelProblem {
    /// Where in the suite's text the loader points (a key or a value).
    pub needle: String,
    pub message: String,
}

impl LevelProblem {
    fn new(needle: impl Into<String>, message: impl Into<String>) -> LevelProblem {
        LevelProblem {
            needle: needle.into(),
            message: message.into(),
        }
    }
}

const MOVE_HINT: &str = "a check the documents do not state belongs under `assume:` (with `why:`), or mark the step `assumed:`";

/// Checks one step's levels.
pub fn check_step(suite: &Suite, step: &Step) -> Result<(), LevelProblem> {
    if step.expect.why.is_some() || step.expect.claim.is_some() {
        return Err(LevelProblem::new(
            "why",
            "`why` and `claim` belong under `assume:`; `expect:` holds what the documents promise",
        ));
    }
    if let Some(why) = &step.assumed
        && why.trim().is_empty()
    {
        return Err(LevelProblem::new(
            "assumed",
            "`assumed:` takes the reason in one line: which silence of the documents the step fills",
        ));
    }
    if let Some(assume) = &step.assume {
        check_assume(suite, assume)?;
    }
    if step.assumed.is_some() {
        return Ok(());
    }
    let Some(request) = step.request.as_ref().filter(|r| !r.control) else {
        return Ok(());
    };
    check_documented(request, &step.expect)
}

fn check_assume(suite: &Suite, assume: &Expect) -> Result<(), LevelProblem> {
    if assume.why.as_deref().is_none_or(|w| w.trim().is_empty()) {
        return Err(LevelProblem::new(
            "assume",
            "`assume:` needs `why:`: the silence of the documents it fills, in one line",
        ));
    }
    if assume.is_empty() {
        return Err(LevelProblem::new("assume", "`assume:` checks nothing"));
    }
    if let Some(claim) = &assume.claim
        && !suite.claims.contains(claim)
    {
        return Err(LevelProblem::new(
            claim.clone(),
            format!("`assume.claim: {claim}` is not one of the suite's claims"),
        ));
    }
    Ok(())
}

/// The rules for `expect:` of a request to the API.
fn check_documented(request: &RequestSpec, expect: &Expect) -> Result<(), LevelProblem> {
    if let Some(endpoint) = endpoint_of(request) {
        for status in literal_statuses(expect.status.as_ref()) {
            if !endpoint.statuses().contains(&status) {
                return Err(LevelProblem::new(
                    "status",
                    format!(
                        "status {status} is not documented for {} (documented: {}); {MOVE_HINT}",
                        endpoint.label(),
                        join(endpoint.statuses())
                    ),
                ));
            }
        }
        if let Some(schema) = &expect.schema {
            let parts = EITHER_SCHEMAS
                .iter()
                .find(|(name, _)| name == schema)
                .map_or(&[][..], |(_, parts)| *parts);
            let named = endpoint.answers.iter().any(|a| {
                a.schemas.contains(&schema.as_str()) || parts.iter().any(|p| a.schemas.contains(p))
            });
            if !named {
                return Err(LevelProblem::new(
                    schema.clone(),
                    format!(
                        "schema `{schema}` is not one the contract names for {}; {MOVE_HINT}",
                        endpoint.label()
                    ),
                ));
            }
        }
    }
    for (key, spec) in &expect.json {
        if !is_message_pointer(&to_pointer(key)) {
            continue;
        }
        for text in literal_texts(spec) {
            let documented = claims::DOCUMENTED_MESSAGES
                .iter()
                .any(|m| m.contains(text.as_str()));
            if !documented {
                return Err(LevelProblem::new(
                    key.clone(),
                    format!(
                        "`{key}`: the wording \"{text}\" is not quoted by claims.md; {MOVE_HINT}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Schemas that accept any of several documented shapes (an `anyOf` of them): named for an
/// endpoint when one of their parts is.
const EITHER_SCHEMAS: &[(&str, &[&str])] = &[("error-auth", &["error-401", "error-403"])];

/// The contract's endpoint of a request whose path has no template.
fn endpoint_of(request: &RequestSpec) -> Option<&'static contract::Endpoint> {
    if request.path.contains("{{") {
        return None;
    }
    contract::find(&request.method, &request.path)
}

fn literal_statuses(status: Option<&Value>) -> Vec<u16> {
    let as_code = |v: &Value| v.as_u64().and_then(|n| u16::try_from(n).ok());
    match status {
        Some(Value::Number(_)) => status.and_then(as_code).into_iter().collect(),
        Some(Value::Array(codes)) => codes.iter().filter_map(as_code).collect(),
        _ => Vec::new(),
    }
}

/// Pointers that hold a human-readable message: `/error/message`, `/errors/<field>/<n>`.
fn is_message_pointer(pointer: &str) -> bool {
    pointer.ends_with("/message")
        || (pointer.starts_with("/errors/") && pointer.matches('/').count() >= 3)
}

/// The literal strings a matcher compares with: a scalar, or `equals`/`contains`/`one_of`.
fn literal_texts(spec: &Value) -> Vec<String> {
    let literal = |v: &Value| v.as_str().filter(|s| !s.contains("{{")).map(str::to_string);
    match spec {
        Value::String(_) => literal(spec).into_iter().collect(),
        Value::Object(map) => {
            let mut texts = Vec::new();
            for op in ["equals", "contains"] {
                texts.extend(map.get(op).and_then(literal));
            }
            if let Some(Value::Array(items)) = map.get("one_of") {
                texts.extend(items.iter().filter_map(literal));
            }
            texts
        }
        _ => Vec::new(),
    }
}

fn join(codes: Vec<u16>) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(step_yaml: &str) -> (Suite, Step) {
        let text = format!(
            "name: s\nclaims: [LOGIN-BAD, ERR-404]\nsteps:\n  - name: x\n{}",
            step_yaml
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        );
        let suite: Suite = serde_saphyr::from_str(&text).unwrap();
        let step = suite.steps[0].value.clone();
        (suite, step)
    }

    #[test]
    fn a_documented_status_and_message_pass() {
        let (s, step) = suite(
            "request: { method: POST, path: /auth/login, json: {} }\nexpect:\n  status: 404\n  schema: error-app\n  json:\n    /error/message: \"Invalid credentials! Please try again.\"",
        );
        assert_eq!(check_step(&s, &step), Ok(()));
    }

    #[test]
    fn an_undocumented_status_is_refused_under_expect_and_allowed_under_assume() {
        let (s, step) =
            suite("request: { method: POST, path: /auth/login, json: {} }\nexpect:\n  status: 409");
        let problem = check_step(&s, &step).unwrap_err();
        assert!(
            problem
                .message
                .contains("status 409 is not documented for POST /auth/login"),
            "{}",
            problem.message
        );
        let (s, step) = suite(
            "request: { method: POST, path: /auth/login, json: {} }\nassume:\n  why: the documents say nothing\n  status: 409",
        );
        assert_eq!(check_step(&s, &step), Ok(()));
    }

    #[test]
    fn a_wording_no_claim_quotes_is_refused_as_documented() {
        let (s, step) = suite(
            "request: { method: POST, path: /auth/login, json: {} }\nexpect:\n  json:\n    /errors/email/0: The email field is required.",
        );
        let problem = check_step(&s, &step).unwrap_err();
        assert!(
            problem.message.contains("not quoted by claims.md"),
            "{}",
            problem.message
        );
        let (s, step) = suite(
            "request: { method: POST, path: /auth/login, json: {} }\nassumed: wording from the public notes only\nexpect:\n  json:\n    /errors/email/0: The email field is required.",
        );
        assert_eq!(check_step(&s, &step), Ok(()));
    }

    #[test]
    fn an_assumption_needs_its_why_and_a_claim_of_the_suite() {
        let (s, step) = suite("request: { method: GET, path: /site }\nassume:\n  status: 200");
        assert!(
            check_step(&s, &step)
                .unwrap_err()
                .message
                .contains("needs `why:`")
        );
        let (s, step) = suite(
            "request: { method: GET, path: /site }\nassume:\n  why: x\n  claim: SITE\n  status: 200",
        );
        assert!(
            check_step(&s, &step)
                .unwrap_err()
                .message
                .contains("not one of the suite's claims")
        );
        let (s, step) =
            suite("request: { method: GET, path: /site }\nexpect:\n  why: x\n  status: 200");
        assert!(
            check_step(&s, &step)
                .unwrap_err()
                .message
                .contains("belong under `assume:`")
        );
    }

    #[test]
    fn the_either_schemas_are_the_any_of_their_files_say() {
        let schemas = &crate::schemas::EMBEDDED;
        for (name, parts) in EITHER_SCHEMAS {
            let file = schemas
                .get_file(format!("{name}.json"))
                .unwrap_or_else(|| panic!("schemas/{name}.json exists"));
            let json: Value = serde_json::from_slice(file.contents()).unwrap();
            let refs: Vec<String> = json["anyOf"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r["$ref"]
                        .as_str()
                        .unwrap()
                        .trim_end_matches(".json")
                        .to_string()
                })
                .collect();
            assert_eq!(refs, *parts, "{name}");
        }
    }

    #[test]
    fn a_schema_the_contract_does_not_name_for_the_endpoint_is_refused() {
        let (s, step) = suite(
            "request: { method: GET, path: /site }\nexpect:\n  status: 200\n  schema: error-app",
        );
        assert!(
            check_step(&s, &step)
                .unwrap_err()
                .message
                .contains("schema `error-app`")
        );
    }
}
