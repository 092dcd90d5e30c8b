//! The forms a secret takes on its way into an output, and one matcher for all of them.
//!
//! A secret the run knows may reach a file or the console raw, base64-encoded (standard or
//! URL-safe alphabet, padded or not, alone or inside a longer encoded text such as the base64 of
//! the `Authorization: Bearer …` line it travelled in), percent-encoded (form or path style, upper
//! or lower hex), JSON-escaped, HTML-escaped, or, for a JWT, as its payload or signature segment.
//! [`forms`] lists them; [`SecretMatcher`] finds or replaces every form of every secret in one
//! linear pass (aho-corasick, leftmost-longest). The redactor ([`super::Redactor`]) replaces with
//! it, the after-run scan ([`crate::leakscan`]) searches with it: one list of forms for both.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// Raw secrets shorter than this are not searched for: they would match ordinary words.
pub const MIN_SECRET_LEN: usize = 6;
/// Encoded forms shorter than this would match ordinary text by chance.
pub const MIN_FORM_LEN: usize = 8;

/// How a secret was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Form {
    Raw,
    Base64,
    PercentEncoded,
    JsonEscaped,
    HtmlEscaped,
    JwtSegment,
}

impl Form {
    /// The name used in messages: `raw`, `base64`, …
    pub fn name(self) -> &'static str {
        match self {
            Form::Raw => "raw",
            Form::Base64 => "base64",
            Form::PercentEncoded => "percent-encoded",
            Form::JsonEscaped => "JSON-escaped",
            Form::HtmlEscaped => "HTML-escaped",
            Form::JwtSegment => "jwt segment",
        }
    }
}

/// Every form of `secret` worth searching for, longest first within a kind, without duplicates.
pub fn forms(secret: &str) -> Vec<(Form, String)> {
    let mut out = Vec::new();
    if secret.len() < MIN_SECRET_LEN {
        return out;
    }
    out.push((Form::Raw, secret.to_string()));
    let bytes = secret.as_bytes();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        out.push((Form::Base64, engine.encode(bytes)));
    }
    // Inside a longer base64 text the secret starts at one of three offsets within a 3-byte
    // group; the characters that depend on its bytes alone are the encoding of whole groups.
    for start in 0..3 {
        if bytes.len() > start {
            let whole = (bytes.len() - start) / 3 * 3;
            if whole > 0 {
                let core = &bytes[start..start + whole];
                out.push((Form::Base64, STANDARD_NO_PAD.encode(core)));
                out.push((Form::Base64, URL_SAFE_NO_PAD.encode(core)));
            }
        }
    }
    let form: String = url::form_urlencoded::byte_serialize(bytes).collect();
    out.push((Form::PercentEncoded, form.replace('+', "%20")));
    out.push((Form::PercentEncoded, lower_hex(&form)));
    out.push((Form::PercentEncoded, form));
    let all = percent_encode_all(bytes);
    out.push((Form::PercentEncoded, lower_hex(&all)));
    out.push((Form::PercentEncoded, all));
    if let Ok(quoted) = serde_json::to_string(secret) {
        let escaped = quoted[1..quoted.len() - 1].to_string();
        out.push((Form::JsonEscaped, escaped.replace('/', "\\/")));
        out.push((Form::JsonEscaped, json_ascii(&escaped)));
        out.push((Form::JsonEscaped, escaped));
    }
    let html = html_escape(secret);
    out.push((Form::HtmlEscaped, html.replace("&#39;", "&#x27;")));
    out.push((Form::HtmlEscaped, html));
    let segments: Vec<&str> = secret.split('.').collect();
    if segments.len() == 3 && secret.starts_with("eyJ") {
        // The payload and signature identify the token; the header is the same for every token.
        out.extend(
            segments[1..]
                .iter()
                .map(|s| (Form::JwtSegment, s.to_string())),
        );
    }
    out.retain(|(form, text)| match form {
        Form::Raw => true,
        _ => text.len() >= MIN_FORM_LEN && text != secret,
    });
    let mut seen = std::collections::HashSet::new();
    out.retain(|(_, text)| seen.insert(text.clone()));
    out
}

fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if c == '%' {
            hex_left = 2;
            out.push(c);
        } else if hex_left > 0 {
            hex_left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn percent_encode_all(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// JSON escaping as some encoders do it: everything outside ASCII as `\uXXXX`.
fn json_ascii(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Every form of every secret, found or replaced in one pass.
#[derive(Debug, Clone)]
pub struct SecretMatcher {
    automaton: Option<AhoCorasick>,
    forms: Vec<Form>,
}

impl SecretMatcher {
    /// A matcher for every form of every secret (secrets shorter than [`MIN_SECRET_LEN`] are left
    /// out).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> SecretMatcher {
        let mut patterns = Vec::new();
        let mut kinds = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for secret in secrets {
            for (form, text) in forms(secret) {
                if seen.insert(text.clone()) {
                    patterns.push(text);
                    kinds.push(form);
                }
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            // A contiguous NFA: linear to search like a DFA, and far cheaper to build (the
            // redactor rebuilds as the run learns secrets; a DFA over hundreds of patterns
            // cost milliseconds a build).
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&patterns)
                .ok()
        };
        SecretMatcher {
            automaton,
            forms: kinds,
        }
    }

    /// Whether there is anything to look for.
    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// The form of the first secret found in `haystack`, if any.
    pub fn find(&self, haystack: &[u8]) -> Option<Form> {
        let automaton = self.automaton.as_ref()?;
        automaton
            .find(haystack)
            .map(|m| self.forms[m.pattern().as_usize()])
    }

    /// `text` with every form of every secret replaced by `with`.
    pub fn replace(&self, text: &str, with: &str) -> String {
        match &self.automaton {
            Some(automaton) if automaton.is_match(text) => {
                let replacements = vec![with; self.forms.len()];
                automaton.replace_all(text, &replacements)
            }
            _ => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base64_of_a_header_line_carrying_the_secret_is_found_at_every_offset() {
        let token = "tok_9f8e7d6c5b4a3210";
        let matcher = SecretMatcher::new([token]);
        for prefix in [
            "",
            "a",
            "ab",
            "Authorization: Bearer ",
            "authorization: bearer  ",
        ] {
            let line = format!("{prefix}{token}\r\n");
            for engine in [&STANDARD, &URL_SAFE_NO_PAD] {
                let encoded = engine.encode(&line);
                assert_eq!(
                    matcher.find(encoded.as_bytes()),
                    Some(Form::Base64),
                    "{prefix:?} → {encoded}"
                );
                assert!(!matcher.replace(&encoded, "[x]").contains(&encoded));
            }
        }
    }

    #[test]
    fn percent_json_and_html_forms_are_listed_and_short_secrets_are_not() {
        let secret = "Pa ss/wörd\"<&>!";
        let listed: Vec<String> = forms(secret).into_iter().map(|(_, t)| t).collect();
        for expected in [
            "Pa+ss%2Fw%C3%B6rd%22%3C%26%3E%21",
            "Pa%20ss%2Fw%C3%B6rd%22%3C%26%3E%21",
            "Pa+ss%2fw%c3%b6rd%22%3c%26%3e%21",
            "Pa%20ss%2Fw%C3%B6rd%22%3C%26%3E%21",
            "Pa ss/wörd\\\"<&>!",
            "Pa ss\\/wörd\\\"<&>!",
            "Pa ss/w\\u00f6rd\\\"<&>!",
            "Pa ss/wörd&quot;&lt;&amp;&gt;!",
        ] {
            assert!(
                listed.iter().any(|t| t == expected),
                "{expected} in {listed:?}"
            );
        }
        assert!(forms("abc").is_empty());
        assert!(SecretMatcher::new(["abc"]).is_empty());
    }

    #[test]
    fn a_jwt_s_payload_and_signature_are_forms_of_it() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJlX2hlcmU";
        let matcher = SecretMatcher::new([jwt]);
        assert_eq!(
            matcher.find(b"seen eyJzdWIiOiI3In0 here"),
            Some(Form::JwtSegment)
        );
        assert_eq!(
            matcher.find(b"a whole eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJlX2hlcmU"),
            Some(Form::Raw)
        );
        assert_eq!(matcher.find(b"nothing here"), None);
    }
}
