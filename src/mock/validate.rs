//! The field rules of register, customer update and the password endpoints, with Laravel-style
//! messages ("The email field is required.").

use serde_json::{Map, Value};

use crate::mock::errors::Problems;

pub const EMAIL_REQUIRED: &str = "The email field is required.";
pub const EMAIL_INVALID: &str = "The email must be a valid email address.";
pub const EMAIL_TAKEN: &str = "The email has already been taken.";
pub const USERNAME_TAKEN: &str = "The username has already been taken.";

/// The label Laravel derives from a field name (`display_name` → `display name`).
fn label(field: &str) -> String {
    field.replace('_', " ")
}

fn blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

/// A plausible email: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A required email. Returns it trimmed when valid.
pub fn email(p: &mut Problems, v: Option<&Value>) -> Option<String> {
    if blank(v) {
        p.add("email", EMAIL_REQUIRED);
        return None;
    }
    let Some(s) = v.and_then(Value::as_str).map(str::trim) else {
        p.add("email", EMAIL_INVALID);
        return None;
    };
    if s.chars().count() > 255 {
        p.add(
            "email",
            "The email must not be greater than 255 characters.",
        );
        return None;
    }
    if !is_email(s) {
        p.add("email", EMAIL_INVALID);
        return None;
    }
    Some(s.to_string())
}

/// A required password under the site's policy. Returns it when valid.
pub fn password(p: &mut Problems, field: &str, v: Option<&Value>, strong: bool) -> Option<String> {
    let l = label(field);
    let s = match v {
        None | Some(Value::Null) => {
            p.add(field, format!("The {l} field is required."));
            return None;
        }
        Some(Value::String(s)) if s.is_empty() => {
            p.add(field, format!("The {l} field is required."));
            return None;
        }
        Some(Value::String(s)) => s,
        Some(_) => {
            p.add(field, format!("The {l} must be a string."));
            return None;
        }
    };
    let n = s.chars().count();
    let mut msgs = Vec::new();
    if strong {
        if n < 8 {
            msgs.push(format!("The {l} must be at least 8 characters."));
        }
        if n > 30 {
            msgs.push(format!("The {l} must not be greater than 30 characters."));
        }
        if !(s.chars().any(|c| c.is_lowercase()) && s.chars().any(|c| c.is_uppercase())) {
            msgs.push(format!(
                "The {l} must contain at least one uppercase and one lowercase letter."
            ));
        }
        if !s
            .chars()
            .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
        {
            msgs.push(format!("The {l} must contain at least one symbol."));
        }
        if !s.chars().any(|c| c.is_ascii_digit()) {
            msgs.push(format!("The {l} must contain at least one number."));
        }
    } else {
        if n < 6 {
            msgs.push(format!("The {l} must be at least 6 characters."));
        }
        if n > 255 {
            msgs.push(format!("The {l} must not be greater than 255 characters."));
        }
    }
    let ok = msgs.is_empty();
    for m in msgs {
        p.add(field, m);
    }
    ok.then(|| s.clone())
}

/// A required string field of any content (e.g. a token). Returns it when present.
pub fn required_string(p: &mut Problems, field: &str, v: Option<&Value>) -> Option<String> {
    if blank(v) {
        p.add(field, format!("The {} field is required.", label(field)));
        return None;
    }
    match v {
        Some(Value::String(s)) if s.chars().count() <= 1000 => Some(s.clone()),
        Some(Value::String(_)) => {
            p.add(
                field,
                format!(
                    "The {} must not be greater than 1000 characters.",
                    label(field)
                ),
            );
            None
        }
        _ => {
            p.add(field, format!("The {} must be a string.", label(field)));
            None
        }
    }
}

/// An optional, nullable string of at most `max` characters: `None` when absent,
/// `Some(None)` when null.
fn optional_string(
    p: &mut Problems,
    body: &Map<String, Value>,
    field: &str,
    max: usize,
) -> Option<Option<String>> {
    match body.get(field)? {
        Value::Null => Some(None),
        Value::String(s) if s.chars().count() > max => {
            p.add(
                field,
                format!(
                    "The {} must not be greater than {max} characters.",
                    label(field)
                ),
            );
            None
        }
        Value::String(s) => Some(Some(s.clone())),
        _ => {
            p.add(field, format!("The {} must be a string.", label(field)));
            None
        }
    }
}

/// The customer fields of a register or update body, validated.
#[derive(Debug, Default)]
pub struct CustomerFields {
    pub email: Option<String>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub username: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub metadata: Option<Map<String, Value>>,
}

/// Validates the customer fields; `email` is required when `creating`, else only if present.
pub fn customer_fields(
    p: &mut Problems,
    body: &Map<String, Value>,
    creating: bool,
) -> CustomerFields {
    let mut f = CustomerFields::default();
    if creating || body.contains_key("email") {
        f.email = email(p, body.get("email"));
    }
    f.first_name = optional_string(p, body, "first_name", 255);
    f.last_name = optional_string(p, body, "last_name", 255);
    f.display_name = optional_string(p, body, "display_name", 100);
    f.username = optional_string(p, body, "username", 100);
    if let Some(Some(u)) = &f.username {
        if u.is_empty() {
            f.username = Some(None);
        } else if !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            p.add(
                "username",
                "The username must only contain letters, numbers, dashes, and underscores.",
            );
            f.username = None;
        }
    }
    f.phone = optional_string(p, body, "phone", 255);
    f.language = optional_string(p, body, "language", 255);
    if let Some(Some(l)) = &f.language {
        if l.chars().count() != 2 {
            p.add("language", "The language must be 2 characters.");
            f.language = None;
        } else if !l.chars().all(|c| c.is_ascii_alphabetic()) {
            p.add("language", "The language must only contain letters.");
            f.language = None;
        }
    }
    match body.get("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => f.metadata = Some(m.clone()),
        Some(_) => p.add("metadata", "The metadata must be an object."),
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("a@example.com"));
        assert!(!is_email("a@example"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("a@@example.com"));
    }

    #[test]
    fn strong_policy() {
        let mut p = Problems::default();
        assert!(password(&mut p, "password", Some(&"Abcdef1!".into()), true).is_some());
        assert!(password(&mut p, "password", Some(&"abcdef1!".into()), true).is_none());
        assert!(password(&mut p, "password", Some(&"abcdef".into()), false).is_some());
        assert!(password(&mut p, "password", Some(&"abcde".into()), false).is_none());
    }
}
