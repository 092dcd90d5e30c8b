//! A failure's reproduction: the failing step and the steps it depends on as `curl` commands.
//!
//! Built while the suite runs, from the requests as they were sent (passing steps' evidence may
//! not be kept), and stored with the failure. A value the failing step takes from an earlier
//! step's capture comes from that step's command (`TOKEN=$(curl … | jq -r '.data.auth_token')`);
//! every other secret (a password, a token the suite made, a secret query parameter, anything the
//! redactor knows) is a shell variable the reader sets first (`"$PELCRO_PASSWORD"`). The text is
//! redacted as a whole at the end, a net under the substitution: no value of a secret is written.

use std::fmt::Write as _;

use serde_json::Value;

use crate::http::{Body, OutgoingRequest};
use crate::redact::{Redactor, is_secret_key};

/// A request one step sent, kept in memory while its suite runs.
#[derive(Debug, Clone)]
pub struct Sent {
    pub step: String,
    /// The last attempt's request, as sent (not redacted: it never leaves this module as is).
    pub request: OutgoingRequest,
    /// The root names the step's request templates refer to.
    pub references: Vec<String>,
    /// What the step captured: variable name, where from (`data.auth_token`, `header:x`), value.
    pub captures: Vec<(String, String, Value)>,
}

/// Values shorter than this are replaced only where they are a whole value (a path segment, a
/// JSON leaf, a query value): `1` must not become a variable inside `site_id=1`.
const SUBSTRING_MIN: usize = 6;

/// The steps the last entry of `history` depends on, oldest first, the last entry included: the
/// latest earlier step capturing each name it (or a dependency) refers to, and a registration
/// sharing a name with them (the account a later login uses).
fn dependencies(history: &[Sent]) -> Vec<&Sent> {
    let Some((failing, earlier)) = history.split_last() else {
        return Vec::new();
    };
    let mut needed: Vec<String> = failing.references.clone();
    let mut chosen: Vec<&Sent> = vec![failing];
    for sent in earlier.iter().rev() {
        let provides = sent
            .captures
            .iter()
            .any(|(name, _, _)| needed.contains(name));
        let registers = sent.request.url.ends_with("/auth/register")
            && sent.references.iter().any(|r| needed.contains(r));
        if provides || registers {
            needed.retain(|n| !sent.captures.iter().any(|(name, _, _)| name == n));
            needed.extend(sent.references.iter().cloned());
            chosen.push(sent);
        }
    }
    chosen.reverse();
    chosen
}

/// Part of a shell word: literal text, or a variable.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(String),
    Var(String),
}

/// What becomes a variable: a value and the variable's name.
struct Substitutions {
    pairs: Vec<(String, String)>,
}

impl Substitutions {
    fn var_for(&mut self, value: &str, wanted: &str) -> String {
        if let Some((_, var)) = self.pairs.iter().find(|(v, _)| v == value) {
            return var.clone();
        }
        let mut name = wanted.to_string();
        let mut n = 2;
        while self.pairs.iter().any(|(_, var)| *var == name) {
            name = format!("{wanted}_{n}");
            n += 1;
        }
        self.pairs.push((value.to_string(), name.clone()));
        // Longest first, so that a token is replaced before a shorter secret inside it.
        self.pairs
            .sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        name
    }

    /// A whole value: a variable if it is one, else split around any long one inside.
    fn pieces(&self, text: &str) -> Vec<Piece> {
        if let Some((_, var)) = self.pairs.iter().find(|(v, _)| v == text) {
            return vec![Piece::Var(var.clone())];
        }
        let mut pieces = vec![Piece::Lit(text.to_string())];
        for (value, var) in self.pairs.iter().filter(|(v, _)| v.len() >= SUBSTRING_MIN) {
            pieces = pieces
                .into_iter()
                .flat_map(|piece| match piece {
                    Piece::Lit(lit) if lit.contains(value.as_str()) => {
                        let mut out = Vec::new();
                        for (i, part) in lit.split(value.as_str()).enumerate() {
                            if i > 0 {
                                out.push(Piece::Var(var.clone()));
                            }
                            if !part.is_empty() {
                                out.push(Piece::Lit(part.to_string()));
                            }
                        }
                        out
                    }
                    other => vec![other],
                })
                .collect();
        }
        pieces
    }
}

/// A variable name from a field or capture name: `auth_token` → `AUTH_TOKEN`.
fn shell_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "V_");
    }
    out
}

/// The variable a secret field's value becomes: `password` → `PELCRO_PASSWORD`.
fn secret_var(key: &str) -> String {
    format!("PELCRO_{}", shell_name(key))
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The secrets of a request that no capture provides, named after where they travel.
fn collect_secrets(request: &OutgoingRequest, subs: &mut Substitutions) {
    fn walk(value: &Value, subs: &mut Substitutions) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    match value_text(item) {
                        Some(text) if is_secret_key(key) => {
                            subs.var_for(&text, &secret_var(key));
                        }
                        _ => walk(item, subs),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, subs)),
            _ => {}
        }
    }
    for (name, value) in &request.headers {
        if name.eq_ignore_ascii_case("authorization") {
            let credential = value.split_once(' ').map_or(value.as_str(), |(_, c)| c);
            if !credential.is_empty() {
                subs.var_for(credential, "TOKEN");
            }
        } else if is_secret_key(name) && !value.is_empty() {
            subs.var_for(value, &shell_name(name));
        }
    }
    for (name, value) in &request.query {
        if is_secret_key(name) && !value.is_empty() {
            subs.var_for(value, &secret_var(name));
        }
    }
    match &request.body {
        Some(Body::Json(body)) => walk(body, subs),
        Some(Body::Raw(text)) => {
            for (key, value) in url::form_urlencoded::parse(text.as_bytes()) {
                if is_secret_key(&key) && !value.is_empty() {
                    subs.var_for(&value, &secret_var(&key));
                }
            }
        }
        None => {}
    }
}

/// A JSON value as compact JSON text in pieces: a leaf that is a variable's value is the
/// variable (inside the quotes for a string).
fn json_pieces(value: &Value, subs: &Substitutions, out: &mut Vec<Piece>) {
    let lit = |out: &mut Vec<Piece>, s: &str| out.push(Piece::Lit(s.to_string()));
    match value {
        Value::Object(map) => {
            lit(out, "{");
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    lit(out, ",");
                }
                lit(out, &Value::String(key.clone()).to_string());
                lit(out, ":");
                json_pieces(item, subs, out);
            }
            lit(out, "}");
        }
        Value::Array(items) => {
            lit(out, "[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    lit(out, ",");
                }
                json_pieces(item, subs, out);
            }
            lit(out, "]");
        }
        Value::String(s) => {
            // The JSON escape of the text, quotes stripped, split around variables.
            let escaped = Value::String(s.clone()).to_string();
            let inner = &escaped[1..escaped.len() - 1];
            lit(out, "\"");
            out.extend(subs.pieces(inner));
            lit(out, "\"");
        }
        Value::Number(n) => out.extend(subs.pieces(&n.to_string())),
        other => lit(out, &other.to_string()),
    }
}

/// One shell word from pieces: literal runs single-quoted, variables double-quoted.
fn word(pieces: &[Piece]) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |out: &mut String, run: &mut String| {
        if !run.is_empty() {
            out.push('\'');
            out.push_str(&run.replace('\'', "'\\''"));
            out.push('\'');
            run.clear();
        }
    };
    for piece in pieces {
        match piece {
            Piece::Lit(text) => run.push_str(text),
            Piece::Var(var) => {
                flush(&mut out, &mut run);
                let _ = write!(out, "\"${var}\"");
            }
        }
    }
    flush(&mut out, &mut run);
    if out.is_empty() {
        out.push_str("''");
    }
    out
}

fn lit(text: &str) -> Piece {
    Piece::Lit(text.to_string())
}

/// The URL with its query, in pieces; path segments and query values may be variables.
fn url_pieces(request: &OutgoingRequest, subs: &Substitutions) -> Vec<Piece> {
    let url = crate::redact::without_userinfo(&request.url).into_owned();
    let (origin, path) = match url.find("://").map(|i| i + 3) {
        Some(start) => match url[start..].find('/') {
            Some(slash) => url.split_at(start + slash),
            None => (url.as_str(), ""),
        },
        None => ("", url.as_str()),
    };
    let mut out = vec![lit(origin)];
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push(lit("/"));
        }
        out.extend(subs.pieces(segment));
    }
    for (i, (name, value)) in request.query.iter().enumerate() {
        out.push(lit(if i == 0 && !url.contains('?') {
            "?"
        } else {
            "&"
        }));
        out.push(lit(&encode(name)));
        out.push(lit("="));
        // A variable's value goes in as it is; a literal one is percent-encoded.
        for piece in subs.pieces(value) {
            out.push(match piece {
                Piece::Lit(text) => Piece::Lit(encode(&text)),
                var => var,
            });
        }
    }
    out
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A `curl` command (without a capture around it) for one request.
fn curl(request: &OutgoingRequest, subs: &Substitutions, flags: &str) -> String {
    let mut out = format!("curl {flags} -X {}", request.method.as_str());
    let _ = write!(out, " {}", word(&url_pieces(request, subs)));
    let header = |out: &mut String, name: &str, value: &str| {
        let mut pieces = vec![lit(&format!("{name}: "))];
        pieces.extend(subs.pieces(value));
        let _ = write!(out, " \\\n  -H {}", word(&pieces));
    };
    header(&mut out, "Accept", "application/json");
    let has_type = request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    if matches!(request.body, Some(Body::Json(_))) && !has_type {
        header(&mut out, "Content-Type", "application/json");
    }
    for (name, value) in &request.headers {
        if let Some((scheme, credential)) = value.split_once(' ')
            && name.eq_ignore_ascii_case("authorization")
        {
            let mut pieces = vec![lit(&format!("{name}: {scheme} "))];
            pieces.extend(subs.pieces(credential));
            let _ = write!(out, " \\\n  -H {}", word(&pieces));
        } else {
            header(&mut out, name, value);
        }
    }
    match &request.body {
        Some(Body::Json(body)) => {
            let mut pieces = Vec::new();
            json_pieces(body, subs, &mut pieces);
            let _ = write!(out, " \\\n  --data-raw {}", word(&pieces));
        }
        Some(Body::Raw(text)) => {
            let _ = write!(out, " \\\n  --data-raw {}", word(&subs.pieces(text)));
        }
        None => {}
    }
    out
}

/// A capture's source as a `jq` path: `data.auth_token` or `/data/auth_token` → `.data.auth_token`.
fn jq_path(from: &str) -> String {
    let pointer = crate::checks::to_pointer(from.trim_end_matches('?'));
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            let _ = write!(out, "[{segment}]");
        } else if segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !segment.starts_with(|c: char| c.is_ascii_digit())
        {
            let _ = write!(out, ".{segment}");
        } else {
            let _ = write!(out, "[{}]", Value::String(segment));
        }
    }
    if out.is_empty() { ".".into() } else { out }
}

/// The commands that reproduce the last step of `history` (the failing one), redacted.
pub fn reproduction(history: &[Sent], redactor: &Redactor) -> String {
    let steps = dependencies(history);
    let mut subs = Substitutions { pairs: Vec::new() };
    // Captured values that a later chosen step uses come from their step's command.
    let mut captured_vars: Vec<String> = Vec::new();
    let used: Vec<&String> = steps.iter().flat_map(|s| s.references.iter()).collect();
    for sent in &steps {
        for (name, _, value) in &sent.captures {
            if used.contains(&name)
                && let Some(text) = value_text(value)
            {
                captured_vars.push(subs.var_for(&text, &shell_name(name)));
            }
        }
    }
    for sent in &steps {
        collect_secrets(&sent.request, &mut subs);
    }
    // Whatever else the run knows as a secret and these requests carry.
    for secret in redactor.secrets() {
        let carried = steps.iter().any(|s| {
            let r = &s.request;
            r.url.contains(&secret)
                || r.query.iter().any(|(_, v)| v.contains(&secret))
                || r.headers.iter().any(|(_, v)| v.contains(&secret))
                || match &r.body {
                    Some(Body::Json(b)) => b.to_string().contains(&secret),
                    Some(Body::Raw(t)) => t.contains(&secret),
                    None => false,
                }
        });
        if carried {
            subs.var_for(&secret, "SECRET");
        }
    }

    let mut out = String::new();
    let Some((failing, before)) = steps.split_last() else {
        return out;
    };
    let _ = writeln!(
        out,
        "# Step `{}`{}; needs curl{}.",
        failing.step,
        if before.is_empty() {
            String::new()
        } else {
            format!(" after {} step(s) it depends on", before.len())
        },
        if captured_vars.is_empty() {
            ""
        } else {
            " and jq"
        }
    );
    let mut preset: Vec<&str> = subs
        .pairs
        .iter()
        .map(|(_, var)| var.as_str())
        .filter(|var| !captured_vars.iter().any(|c| c == var))
        .collect();
    preset.sort_unstable();
    for var in preset {
        let _ = writeln!(
            out,
            ": \"${{{var}:?set {var} first: the run's value is not shown}}\""
        );
    }
    for (n, sent) in before.iter().enumerate() {
        let mine: Vec<(&str, &str)> = sent
            .captures
            .iter()
            .filter(|(name, _, _)| used.contains(&name))
            .map(|(name, from, _)| (name.as_str(), from.as_str()))
            .collect();
        let _ = writeln!(out, "\n# step `{}`", sent.step);
        let command = |flags: &str| curl(&sent.request, &subs, flags);
        match mine.as_slice() {
            [] => {
                let _ = writeln!(out, "{}", command("-sS -o /dev/null"));
            }
            [(name, from)] if !from.starts_with("header:") => {
                let _ = writeln!(
                    out,
                    "{}=$({} | jq -r '{}')",
                    shell_name(name),
                    command("-sS"),
                    jq_path(from)
                );
            }
            many => {
                let response = format!("RESPONSE_{}", n + 1);
                let _ = writeln!(out, "{response}=$({})", command("-sS -i"));
                for (name, from) in many {
                    match from.strip_prefix("header:") {
                        Some(header) => {
                            let _ = writeln!(
                                out,
                                "{}=$(printf '%s' \"${response}\" | tr -d '\\r' | sed -n 's/^{}: *//Ip' | head -n 1)",
                                shell_name(name),
                                header.to_ascii_lowercase().replace('\'', "")
                            );
                        }
                        None => {
                            let _ = writeln!(
                                out,
                                "{}=$(printf '%s' \"${response}\" | tr -d '\\r' | sed '1,/^$/d' | jq -r '{}')",
                                shell_name(name),
                                jq_path(from)
                            );
                        }
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "\n# the failing step `{}`", failing.step);
    let _ = writeln!(out, "{}", curl(&failing.request, &subs, "-sS -i"));
    redactor.text(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent(
        step: &str,
        request: OutgoingRequest,
        refs: &[&str],
        caps: &[(&str, &str, Value)],
    ) -> Sent {
        Sent {
            step: step.into(),
            request,
            references: refs.iter().map(|s| s.to_string()).collect(),
            captures: caps
                .iter()
                .map(|(n, f, v)| (n.to_string(), f.to_string(), v.clone()))
                .collect(),
        }
    }

    fn request(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> OutgoingRequest {
        OutgoingRequest {
            method: method.parse().unwrap(),
            url: url.into(),
            query: vec![("site_id".into(), "1".into())],
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.map(Body::Json),
        }
    }

    #[test]
    fn a_token_from_a_login_comes_from_its_command_and_the_password_is_a_variable() {
        let redactor = Redactor::new();
        let token = "tok-0123456789abcdef";
        redactor.add("hunter2-secret");
        redactor.add(token);
        let history = vec![
            sent(
                "register",
                request(
                    "POST",
                    "http://127.0.0.1:9/api/v1/sdk/auth/register",
                    &[],
                    Some(json!({"email": "a@b.example", "password": "hunter2-secret"})),
                ),
                &["email"],
                &[],
            ),
            sent(
                "site",
                request("GET", "http://127.0.0.1:9/api/v1/sdk/site", &[], None),
                &[],
                &[],
            ),
            sent(
                "login",
                request(
                    "POST",
                    "http://127.0.0.1:9/api/v1/sdk/auth/login",
                    &[],
                    Some(json!({"email": "a@b.example", "password": "hunter2-secret"})),
                ),
                &["email"],
                &[
                    ("token", "data.auth_token", json!(token)),
                    ("id", "data.id", json!(7)),
                ],
            ),
            sent(
                "read",
                request(
                    "GET",
                    "http://127.0.0.1:9/api/v1/sdk/customer/7",
                    &[("Authorization", &format!("Bearer {token}"))],
                    None,
                ),
                &["token", "id"],
                &[],
            ),
        ];
        let text = reproduction(&history, &redactor);
        assert!(!text.contains("hunter2-secret"), "{text}");
        assert!(!text.contains(token), "{text}");
        assert!(
            !text.contains("[redacted"),
            "nothing left for the net: {text}"
        );
        assert!(text.contains("\"$PELCRO_PASSWORD\""), "{text}");
        assert!(
            text.contains("'Authorization: Bearer '\"$TOKEN\""),
            "{text}"
        );
        assert!(text.contains("jq -r '.data.auth_token'"), "{text}");
        assert!(text.contains("/customer/'\"$ID\"'?site_id=1'"), "{text}");
        assert!(
            text.contains("site_id=1"),
            "a short value is not replaced inside others: {text}"
        );
        assert!(
            text.contains("# step `register`"),
            "the registration is a dependency: {text}"
        );
        assert!(
            !text.contains("# step `site`"),
            "an unrelated step is left out: {text}"
        );
        assert!(text.contains(": \"${PELCRO_PASSWORD:?"), "{text}");
        assert!(
            !text.contains(": \"${TOKEN:?"),
            "a captured variable needs no presetting: {text}"
        );
    }

    #[test]
    fn quotes_in_literals_are_escaped_for_the_shell() {
        let subs = Substitutions { pairs: Vec::new() };
        assert_eq!(word(&[lit("it's")]), "'it'\\''s'");
        assert_eq!(
            word(&[lit("a"), Piece::Var("X".into()), lit("b")]),
            "'a'\"$X\"'b'"
        );
        assert_eq!(word(&subs.pieces("")), "''");
        assert_eq!(jq_path("/data/items/0/id"), ".data.items[0].id");
        assert_eq!(jq_path("data.first-name"), ".data[\"first-name\"]");
    }
}
