//! Keeping secrets out of every output.
//!
//! Evidence is redacted when it is recorded, not when it is printed, so no reporter can leak what
//! it never received. Three nets: fields whose names mean a secret, anything shaped like a JWT, and
//! every secret value the run has seen (generated passwords, captured tokens, credentials).

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use regex::Regex;
use serde_json::Value;

pub const REDACTED: &str = "[redacted]";
pub const REDACTED_JWT: &str = "[redacted jwt]";

/// Secrets shorter than this are not searched for as text: they would redact ordinary words.
const MIN_SECRET_LEN: usize = 6;

/// Whether a field or header name holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password")
        || key.contains("token")
        || key.contains("secret")
        || key == "authorization"
        || key == "cookie"
        || key == "set-cookie"
}

/// Shared by every suite of a run.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<BTreeSet<String>>>,
}

fn jwt_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    // A JWT's header is base64url JSON, so it starts `eyJ`; a cut-off token (no signature, half a
    // payload) is redacted too.
    PATTERN.get_or_init(|| {
        Regex::new(r"eyJ[A-Za-z0-9_-]{6,}(\.[A-Za-z0-9_-]*){0,2}").expect("a valid pattern")
    })
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Remembers a secret so that it is redacted wherever it appears from now on.
    pub fn add(&self, secret: &str) {
        if secret.len() >= MIN_SECRET_LEN {
            self.secrets
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(secret.to_string());
        }
    }

    /// Remembers every string inside a value (a captured token, a credential object).
    pub fn add_value(&self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Array(items) => items.iter().for_each(|v| self.add_value(v)),
            Value::Object(map) => map.values().for_each(|v| self.add_value(v)),
            _ => {}
        }
    }

    /// Remembers every string under a secret-named key (`password`, `auth_token`, `idp_token`, …)
    /// anywhere inside a value, such as a request body.
    pub fn add_secret_fields(&self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    if is_secret_key(key) {
                        self.add_value(item);
                    } else {
                        self.add_secret_fields(item);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.add_secret_fields(item)),
            _ => {}
        }
    }

    /// Every secret seen so far (for the after-run scan).
    pub fn secrets(&self) -> Vec<String> {
        self.secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Text with every known secret and every JWT replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = jwt_pattern().replace_all(text, REDACTED_JWT).into_owned();
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        // Longest first, so a secret that contains another is replaced whole.
        let mut ordered: Vec<&String> = secrets.iter().collect();
        ordered.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for secret in ordered {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// A JSON value with secret fields replaced and every string redacted as text.
    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| {
                        let item = match item {
                            Value::String(s) if is_secret_key(key) && !s.is_empty() => {
                                Value::String(REDACTED.into())
                            }
                            other => self.json(other),
                        };
                        (key.clone(), item)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    /// A header's value, redacted whole when its name means a secret.
    pub fn header(&self, name: &str, value: &str) -> String {
        if is_secret_key(name) {
            REDACTED.into()
        } else {
            self.text(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_fields_jwts_and_known_values_are_redacted() {
        let redactor = Redactor::new();
        redactor.add("hunter22");
        let body = json!({
            "password": "whatever1",
            "data": {"auth_token": "eyJhbGciOi.eyJzdWIiOiI.c2ln", "note": "pw was hunter22", "id": 5},
            "list": ["eyJhbGciOi.eyJzdWIiOiI.c2ln"]
        });
        let redacted = redactor.json(&body);
        assert_eq!(redacted["password"], REDACTED);
        assert_eq!(redacted["data"]["auth_token"], REDACTED);
        assert_eq!(redacted["data"]["note"], "pw was [redacted]");
        assert_eq!(redacted["data"]["id"], 5);
        assert_eq!(redacted["list"][0], REDACTED_JWT);
        assert_eq!(redactor.header("Authorization", "Bearer abc"), REDACTED);
        assert_eq!(
            redactor.text("Bearer eyJhbGciOi.eyJzdWIiOiI.c2ln!"),
            "Bearer [redacted jwt]!"
        );
    }

    #[test]
    fn cut_off_tokens_are_still_redacted() {
        let redactor = Redactor::new();
        assert_eq!(
            redactor.text("cut: eyJ0eXAiOiJKV1QiLC.eyJpc3Mi… (365 bytes)"),
            "cut: [redacted jwt]… (365 bytes)"
        );
    }

    #[test]
    fn short_values_are_not_treated_as_secrets() {
        let redactor = Redactor::new();
        redactor.add("abc");
        assert_eq!(redactor.text("abc def"), "abc def");
    }
}
