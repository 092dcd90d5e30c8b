//! The forms a secret takes on its way into an output, and one matcher for all of them.
//!
//! A secret the run knows may reach a file or the console raw, base64-encoded (standard or
//! URL-safe alphabet, padded or not, alone or inside a longer encoded text such as the base64 of
//! the `Authorization: Bearer …` line it travelled in), percent-encoded (form or path style, upper
//! or lower hex), JSON-escaped, HTML-escaped, or, for a JWT, as its payload or signature segment.
//! [`forms`] lists them; [`SecretMatcher`] finds or replaces every form of every secret in one
//! linear pass (leftmost-longest, as aho-corasick does), and takes a new secret without
//! rebuilding anything. The redactor ([`super::Redactor`]) replaces with
//! it, the after-run scan ([`crate::leakscan`]) searches with it: one list of forms for both.

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
    // A score of forms: comparing them is cheaper than hashing them.
    let mut kept: Vec<(Form, String)> = Vec::with_capacity(out.len());
    for (form, text) in out {
        if !kept.iter().any(|(_, known)| *known == text) {
            kept.push((form, text));
        }
    }
    kept
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
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
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

/// Every form of every secret, found or replaced in one pass; secrets are added one at a time
/// at a cost that does not grow with how many are known.
///
/// Every pattern (form) is at least [`WINDOW`] bytes long and is filed under its last
/// [`WINDOW`] bytes. A search slides a window over the text: a bit table answers "may a pattern
/// end here?" for most positions, and the few that may are checked against the patterns filed
/// under those bytes. The last bytes of a token's forms (its signature) tell tokens apart, where
/// their first bytes (`eyJhbG…`) would not. Matches are chosen leftmost-longest, as aho-corasick
/// would (the property test holds it to that).
#[derive(Debug, Clone, Default)]
pub struct SecretMatcher {
    patterns: Vec<Pattern>,
    /// Last [`WINDOW`] bytes → the latest pattern filed there (then `Pattern::next`).
    heads: std::collections::HashMap<u64, u32, WindowHasher>,
    /// One bit per hash of a window: clear means no pattern ends with those bytes.
    bits: Vec<u64>,
    /// The longest pattern, in bytes.
    longest: usize,
}

#[derive(Debug, Clone)]
struct Pattern {
    text: Box<[u8]>,
    form: Form,
    /// The pattern filed before it under the same last bytes.
    next: Option<u32>,
}

/// How many trailing bytes a pattern is filed under (no pattern is shorter).
const WINDOW: usize = MIN_SECRET_LEN;

/// The keys are 48-bit windows, looked up at most once per byte scanned: a multiply and a shift
/// spread them (high bits into the low ones the table indexes by), where SipHash was a tenth of
/// a run's CPU.
#[derive(Debug, Clone, Copy, Default)]
struct WindowHasher;

impl std::hash::BuildHasher for WindowHasher {
    type Hasher = WindowHash;
    fn build_hasher(&self) -> WindowHash {
        WindowHash(0)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct WindowHash(u64);

impl std::hash::Hasher for WindowHash {
    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ (h >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// The window's bytes as a number (exact: 6 bytes fit in 48 bits).
fn window_key(bytes: &[u8]) -> u64 {
    let mut key = 0u64;
    for &b in &bytes[..WINDOW] {
        key = key << 8 | u64::from(b);
    }
    key
}

fn bit_of(key: u64, table_bits: u32) -> usize {
    // Fibonacci hashing: the top bits of a multiplication spread similar windows apart.
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - table_bits)) as usize
}

/// One match: `start..end` of the text, and the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Found {
    start: usize,
    end: usize,
    pattern: u32,
}

impl SecretMatcher {
    /// A matcher for every form of every secret (secrets shorter than [`MIN_SECRET_LEN`] are left
    /// out).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> SecretMatcher {
        let mut matcher = SecretMatcher::default();
        for secret in secrets {
            matcher.insert(secret);
        }
        matcher
    }

    /// Adds every form of `secret`; work proportional to the secret's length.
    pub fn insert(&mut self, secret: &str) {
        for (form, text) in forms(secret) {
            self.insert_pattern(form, text.into_bytes());
        }
    }

    fn insert_pattern(&mut self, form: Form, text: Vec<u8>) {
        if text.len() < WINDOW {
            return;
        }
        let key = window_key(&text[text.len() - WINDOW..]);
        let head = self.heads.get(&key).copied();
        let mut at = head;
        while let Some(i) = at {
            let known = &self.patterns[i as usize];
            if *known.text == *text {
                return;
            }
            at = known.next;
        }
        let id = self.patterns.len() as u32;
        self.longest = self.longest.max(text.len());
        self.patterns.push(Pattern {
            text: text.into_boxed_slice(),
            form,
            next: head,
        });
        self.heads.insert(key, id);
        // At most one pattern in eight bits set: few false "may end here"s.
        if self.heads.len() * 8 > self.bits.len() * 64 {
            self.grow_bits();
        } else {
            let bit = bit_of(key, self.table_bits());
            self.bits[bit / 64] |= 1 << (bit % 64);
        }
    }

    fn table_bits(&self) -> u32 {
        (self.bits.len() * 64).trailing_zeros()
    }

    /// Doubles the bit table (or more) and files every window again: amortised constant work
    /// per pattern.
    fn grow_bits(&mut self) {
        let wanted = (self.heads.len() * 8).next_power_of_two().max(1 << 12);
        self.bits = vec![0; wanted / 64];
        let table_bits = self.table_bits();
        for &key in self.heads.keys() {
            let bit = bit_of(key, table_bits);
            self.bits[bit / 64] |= 1 << (bit % 64);
        }
    }

    /// Whether there is anything to look for.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// How many forms it looks for.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Calls `each` with every match of every pattern, in the order they end.
    fn each_match(&self, haystack: &[u8], mut each: impl FnMut(Found)) {
        if self.patterns.is_empty() || haystack.len() < WINDOW {
            return;
        }
        let table_bits = self.table_bits();
        let mask = (1u64 << (8 * WINDOW)) - 1;
        let mut key = window_key(haystack);
        for end in WINDOW..=haystack.len() {
            if end > WINDOW {
                key = (key << 8 | u64::from(haystack[end - 1])) & mask;
            }
            let bit = bit_of(key, table_bits);
            if self.bits[bit / 64] & (1 << (bit % 64)) == 0 {
                continue;
            }
            let mut at = self.heads.get(&key).copied();
            while let Some(i) = at {
                let pattern = &self.patterns[i as usize];
                let len = pattern.text.len();
                if len <= end && haystack[end - len..end] == *pattern.text {
                    each(Found {
                        start: end - len,
                        end,
                        pattern: i,
                    });
                }
                at = pattern.next;
            }
        }
    }

    /// The matches leftmost-longest picks: the one starting first (the longest of those), then
    /// the same again after its end.
    fn chosen(&self, haystack: &[u8]) -> Vec<Found> {
        let mut all = Vec::new();
        self.each_match(haystack, |found| all.push(found));
        all.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let mut chosen: Vec<Found> = Vec::new();
        for found in all {
            if chosen.last().is_none_or(|last| found.start >= last.end) {
                chosen.push(found);
            }
        }
        chosen
    }

    /// The form of the first secret found in `haystack`, if any.
    pub fn find(&self, haystack: &[u8]) -> Option<Form> {
        let mut first: Option<Found> = None;
        self.each_match(haystack, |found| {
            let better = first.is_none_or(|best| {
                (found.start, std::cmp::Reverse(found.end))
                    < (best.start, std::cmp::Reverse(best.end))
            });
            if better {
                first = Some(found);
            }
        });
        first.map(|found| self.patterns[found.pattern as usize].form)
    }

    /// `text` with every form of every secret replaced by `with`; `None` when there is none in
    /// it (nothing to copy).
    pub fn replace_found(&self, text: &str, with: &str) -> Option<String> {
        let chosen = self.chosen(text.as_bytes());
        if chosen.is_empty() {
            return None;
        }
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(text.len());
        let mut from = 0;
        for found in chosen {
            out.extend_from_slice(&bytes[from..found.start]);
            out.extend_from_slice(with.as_bytes());
            from = found.end;
        }
        out.extend_from_slice(&bytes[from..]);
        // A form may begin or end inside a multi-byte character (a JSON-escaped form next to
        // raw UTF-8); what is left stays readable.
        Some(match String::from_utf8(out) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// `text` with every form of every secret replaced by `with`.
    pub fn replace(&self, text: &str, with: &str) -> String {
        self.replace_found(text, with)
            .unwrap_or_else(|| text.to_string())
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

#[cfg(test)]
mod against_aho_corasick {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;

    fn reference(patterns: &[String], text: &str) -> String {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .unwrap();
        automaton.replace_all(text, &vec!["[x]"; patterns.len()])
    }

    proptest! {
        /// Same choice of matches as aho-corasick's leftmost-longest, over secrets that overlap,
        /// nest and share their last bytes (a small alphabet makes that common).
        #[test]
        fn replaces_what_aho_corasick_leftmost_longest_replaces(
            secrets in proptest::collection::vec("[ab=%.]{6,14}", 1..12),
            text in "[ab=%. x]{0,200}",
        ) {
            let matcher = SecretMatcher::new(secrets.iter().map(String::as_str));
            let patterns: Vec<String> = matcher
                .patterns
                .iter()
                .map(|p| String::from_utf8(p.text.to_vec()).unwrap())
                .collect();
            prop_assert_eq!(matcher.replace(&text, "[x]"), reference(&patterns, &text));
            let expected = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .unwrap()
                .find(&text)
                .map(|m| text[m.range()].to_string());
            let found = matcher.find(text.as_bytes());
            prop_assert_eq!(found.is_some(), expected.is_some());
        }
    }

    #[test]
    fn a_secret_added_later_is_found_like_one_given_at_the_start() {
        let mut grown = SecretMatcher::default();
        let secrets: Vec<String> = (0..5000).map(|n| format!("tok_{n:08}_x")).collect();
        for secret in &secrets {
            grown.insert(secret);
        }
        let built = SecretMatcher::new(secrets.iter().map(String::as_str));
        assert_eq!(grown.len(), built.len());
        for probe in [
            "a tok_00004999_x b",
            "tok_00000000_x",
            "tok_00005000_x",
            "none",
        ] {
            assert_eq!(
                grown.replace(probe, "[x]"),
                built.replace(probe, "[x]"),
                "{probe}"
            );
        }
        assert_eq!(grown.replace("a tok_00004999_x b", "[x]"), "a [x] b");
        assert_eq!(grown.replace("tok_00005000_x", "[x]"), "tok_00005000_x");
    }
}
