//! Keeping secrets out of every output.
//!
//! Evidence is redacted when it is recorded, not when it is printed, so no reporter can leak what
//! it never received. The nets: fields and headers whose names mean a secret (passwords, tokens,
//! `Authorization`, API keys, `X-Auth…`), anything shaped like a JWT, the credentials of a URL
//! (`https://user:pass@host`), and every secret value the run has seen (generated passwords,
//! captured tokens, credentials) in every form it may take ([`forms`]: raw, base64 of either
//! alphabet and inside a longer encoded text, percent-encoded, JSON- and HTML-escaped, JWT
//! segments), matched in one pass.

pub mod forms;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use regex::Regex;
use serde_json::Value;

pub use forms::{Form, MIN_SECRET_LEN, SecretMatcher};

pub const REDACTED: &str = "[redacted]";
pub const REDACTED_JWT: &str = "[redacted jwt]";

/// Whether a field, header or query parameter name holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let squashed: String = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    key.contains("password")
        || key.contains("passwd")
        || key.contains("token")
        || key.contains("secret")
        || squashed.contains("apikey")
        || squashed.contains("accesskey")
        || squashed.contains("privatekey")
        || squashed.starts_with("xauth")
        || squashed.starts_with("proxyauth")
        || key == "authorization"
        || key == "cookie"
        || key == "set-cookie"
}

/// Shared by every suite of a run.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    inner: Arc<RwLock<Known>>,
}

#[derive(Debug, Default)]
struct Known {
    secrets: BTreeSet<String>,
    /// Every form of every secret, grown as secrets are learned (never rebuilt); shared with
    /// whoever asked for it, copied only if it grows while they hold it.
    matcher: Arc<SecretMatcher>,
}

fn jwt_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    // A JWT's header is base64url JSON, so it starts `eyJ`; a cut-off token (no signature, half a
    // payload) is redacted too.
    PATTERN.get_or_init(|| {
        Regex::new(r"eyJ[A-Za-z0-9_-]{6,}(\.[A-Za-z0-9_-]*){0,2}").expect("a valid pattern")
    })
}

fn userinfo_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    // `scheme://user:pass@` (percent-encoded or not): the credentials go, the host stays.
    PATTERN.get_or_init(|| {
        Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]+@").expect("a valid pattern")
    })
}

/// Text with the credentials of every URL in it (`https://user:pass@host`) replaced.
pub fn without_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    userinfo_pattern().replace_all(text, "${1}[redacted]@")
}

/// The user name and password of a URL in `text`, if it has them (to remember as secrets).
pub fn userinfo_secrets(text: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(text.trim()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for part in [Some(url.username()), url.password()].into_iter().flatten() {
        if part.is_empty() {
            continue;
        }
        found.push(part.to_string());
        if let Some((_, decoded)) =
            url::form_urlencoded::parse(format!("x={part}").as_bytes()).next()
            && decoded != part
        {
            found.push(decoded.into_owned());
        }
    }
    found
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Remembers a secret so that it is redacted wherever it appears from now on, in every form.
    pub fn add(&self, secret: &str) {
        if secret.len() < MIN_SECRET_LEN {
            return;
        }
        if self.read().secrets.contains(secret) {
            return;
        }
        let mut known = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if known.secrets.insert(secret.to_string()) {
            Arc::make_mut(&mut known.matcher).insert(secret);
        }
    }

    /// Remembers a header's value when its name means a secret (`Authorization: Bearer X`: the
    /// credential `X`; `X-Api-Key: K`: `K`).
    pub fn add_header(&self, name: &str, value: &str) {
        if !is_secret_key(name) {
            return;
        }
        let value = value.trim();
        // `Bearer X`: X alone covers every form of the whole value too (each encoded form of
        // the value contains one of X's), and a secret less halves the matcher's work.
        match value.split_once(' ') {
            Some((_, credential)) if credential.trim().len() >= MIN_SECRET_LEN => {
                self.add(credential.trim())
            }
            _ => self.add(value),
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

    /// Remembers the values of secret-named fields of a form-encoded text (`password=…&…`, a
    /// query string).
    pub fn add_form_secrets(&self, form: &str) {
        for (key, value) in url::form_urlencoded::parse(form.as_bytes()) {
            if is_secret_key(&key) {
                self.add(&value);
            }
        }
    }

    /// Every secret seen so far (for the after-run scan).
    pub fn secrets(&self) -> Vec<String> {
        self.read().secrets.iter().cloned().collect()
    }

    /// One matcher for every form of every secret seen so far.
    pub fn matcher(&self) -> Arc<SecretMatcher> {
        Arc::clone(&self.read().matcher)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Text with every JWT, every URL's credentials and every form of every known secret
    /// replaced.
    pub fn text(&self, text: &str) -> String {
        let without_jwts = jwt_pattern().replace_all(text, REDACTED_JWT);
        let clean = without_userinfo(&without_jwts);
        match self.read().matcher.replace_found(&clean, REDACTED) {
            Some(replaced) => replaced,
            None => clean.into_owned(),
        }
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
                        (self.text(key), item)
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

    /// A form-encoded text (a query string, an `application/x-www-form-urlencoded` body) with
    /// the values of secret-named fields replaced, then redacted as text.
    pub fn form(&self, form: &str) -> String {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in url::form_urlencoded::parse(form.as_bytes()) {
            if is_secret_key(&key) {
                serializer.append_pair(&key, REDACTED);
            } else {
                serializer.append_pair(&key, &value);
            }
        }
        self.text(&serializer.finish())
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
    fn every_encoding_of_a_known_secret_is_redacted() {
        use base64::Engine;
        let redactor = Redactor::new();
        let password = "Pc!0a1b2c3d x4242";
        redactor.add(password);
        let b64 = base64::engine::general_purpose::STANDARD.encode(password);
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("Authorization: Basic {password}"));
        for text in [
            format!("raw {password} end"),
            format!("b64 {b64} end"),
            format!("line {header} end"),
            "pct Pc%210a1b2c3d%20x4242 end".to_string(),
            "form Pc%210a1b2c3d+x4242 end".to_string(),
        ] {
            let out = redactor.text(&text);
            assert!(out.contains(REDACTED), "{text} → {out}");
            assert!(!out.contains("0a1b2c3d"), "{text} → {out}");
        }
    }

    #[test]
    fn url_credentials_api_keys_and_form_fields_are_redacted() {
        let redactor = Redactor::new();
        assert_eq!(
            redactor.text("GET https://qa:hunter2secret@www.pelcro.com/x"),
            "GET https://[redacted]@www.pelcro.com/x"
        );
        assert_eq!(
            userinfo_secrets("http://qa:p%40ss-word@127.0.0.1:9"),
            ["qa", "p%40ss-word", "p@ss-word"]
        );
        assert!(
            is_secret_key("X-Api-Key") && is_secret_key("api_key") && is_secret_key("X-Auth-User")
        );
        assert!(!is_secret_key("content-type") && !is_secret_key("email"));
        redactor.add_form_secrets("email=a%40b.c&password=form-secret-1");
        assert_eq!(
            redactor.form("email=a%40b.c&password=form-secret-1&api_key=k"),
            "email=a%40b.c&password=%5Bredacted%5D&api_key=%5Bredacted%5D"
        );
        assert_eq!(redactor.text("echo form-secret-1"), "echo [redacted]");
    }

    #[test]
    fn secrets_learned_one_by_one_are_redacted_at_once() {
        let redactor = Redactor::new();
        for n in 0..96 {
            let secret = format!("learned-secret-{n:04}");
            redactor.add(&secret);
            assert_eq!(
                redactor.text(&format!("x {secret} y")),
                "x [redacted] y",
                "{n}"
            );
        }
        assert_eq!(redactor.text("x learned-secret-0000 y"), "x [redacted] y");
        assert!(redactor.matcher().find(b"learned-secret-0095").is_some());
    }

    #[test]
    fn short_values_are_not_treated_as_secrets() {
        let redactor = Redactor::new();
        redactor.add("abc");
        assert_eq!(redactor.text("abc def"), "abc def");
    }
}
