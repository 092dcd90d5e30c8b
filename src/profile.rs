//! Site profiles: what a Pelcro site is configured to do.
//!
//! One struct serves three readers: the profile file a user writes (`suites/profiles/*.yaml`), the
//! mock's control API (`PUT /__control/sites/{id}` takes the same field names), and the suites'
//! templates (`{{ profile.lockout.attempts }}`). Defaults are the integration guide's.

use serde::{Deserialize, Serialize};

use crate::input::{self, InputError};

/// The settings of one site, in the names the profile file and the control API use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SiteProfile {
    /// A short name for reports (`default`, `public-401`, ...).
    pub name: String,
    /// What this profile is for, in a sentence.
    pub description: String,
    /// Sites with the same account share customers (ID "Unique emails").
    pub account_id: u64,
    /// Failed-login lockout (MAI Login note).
    pub lockout: LockoutPolicy,
    /// Token lifetime in days, 1 to 365 (MAI Token management).
    pub auth_token_ttl_days: u32,
    /// Whether `POST /auth/passwordless/request` is enabled for the site.
    pub passwordless_enabled: bool,
    /// Per-email throttle of passwordless requests (PUB: 5 an hour).
    pub passwordless_throttle: ThrottlePolicy,
    /// How long a passwordless login token stays valid, in minutes.
    pub passwordless_token_minutes: u32,
    /// A new login ends the customer's earlier sessions (ID Single user authentication).
    pub single_user_auth: bool,
    /// Strong Password Enforcement: 8 to 30 characters with a digit, a symbol, a lower- and an
    /// upper-case letter (PUB). Off: at least 6 characters.
    pub strong_passwords: bool,
    /// Status for a malformed, tampered or expired token: 403 (guide) or 401 (public pages).
    /// A blacklisted token is 403 under both.
    pub invalid_token_status: u16,
    /// Whether a run may register fresh customers (true on the mock; a live profile may say no).
    pub allow_registration: bool,
}

/// N failed logins within a window lock the account until the window has passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutPolicy {
    pub attempts: u32,
    pub window_seconds: u64,
    /// 400 with `errors.email` (guide) or 429 (public pages).
    pub status: u16,
}

/// At most `requests` within `window_seconds`; past it, 429 with `Retry-After`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottlePolicy {
    pub requests: u32,
    pub window_seconds: u64,
}

impl Default for SiteProfile {
    fn default() -> Self {
        SiteProfile {
            name: "default".into(),
            description: "The integration guide's defaults".into(),
            account_id: 1,
            lockout: LockoutPolicy::default(),
            auth_token_ttl_days: 60,
            passwordless_enabled: true,
            passwordless_throttle: ThrottlePolicy::default(),
            passwordless_token_minutes: 15,
            single_user_auth: false,
            strong_passwords: false,
            invalid_token_status: 403,
            allow_registration: true,
        }
    }
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            attempts: 10,
            window_seconds: 300,
            status: 400,
        }
    }
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            requests: 5,
            window_seconds: 3600,
        }
    }
}

impl SiteProfile {
    /// Checks the ranges the documents give; returns every problem, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=365).contains(&self.auth_token_ttl_days) {
            problems.push(format!(
                "auth_token_ttl_days: {} is outside 1..=365",
                self.auth_token_ttl_days
            ));
        }
        if self.lockout.attempts == 0 {
            problems.push("lockout.attempts: must be at least 1".into());
        }
        if self.lockout.window_seconds == 0 {
            problems.push("lockout.window_seconds: must be at least 1".into());
        }
        if !matches!(self.lockout.status, 400 | 429) {
            problems.push(format!(
                "lockout.status: {} is neither 400 (guide) nor 429 (public pages)",
                self.lockout.status
            ));
        }
        if !matches!(self.invalid_token_status, 401 | 403) {
            problems.push(format!(
                "invalid_token_status: {} is neither 403 (guide) nor 401 (public pages)",
                self.invalid_token_status
            ));
        }
        if self.passwordless_throttle.requests == 0
            || self.passwordless_throttle.window_seconds == 0
        {
            problems.push(
                "passwordless_throttle: requests and window_seconds must be at least 1".into(),
            );
        }
        if self.passwordless_token_minutes == 0 {
            problems.push("passwordless_token_minutes: must be at least 1".into());
        }
        problems
    }

    /// Parses a profile file and checks its ranges; errors name the file, line and column.
    pub fn from_yaml(file: &str, bytes: &[u8]) -> Result<SiteProfile, InputError> {
        let text = input::utf8(file, bytes)?;
        let profile: SiteProfile = input::parse_yaml(file, text)?;
        if let Some(problem) = profile.problems().into_iter().next() {
            // Problems start with the field's path (`lockout.status: …`); point at its last key.
            let path = problem.split(':').next().unwrap_or_default();
            let leaf = path.rsplit('.').next().unwrap_or(path);
            let (line, column) = input::locate(text, 1, leaf);
            return Err(InputError::new(file, problem).at(line, column));
        }
        Ok(profile)
    }

    /// The profile as a JSON value, for templates (`{{ profile.lockout.attempts }}`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a profile always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_guides() {
        let p = SiteProfile::default();
        assert_eq!(p.lockout.attempts, 10);
        assert_eq!(p.lockout.window_seconds, 300);
        assert_eq!(p.auth_token_ttl_days, 60);
        assert_eq!(p.invalid_token_status, 403);
        assert!(p.problems().is_empty());
    }

    #[test]
    fn profile_files_are_checked_with_places() {
        let ok =
            SiteProfile::from_yaml("p.yaml", b"name: strict\nlockout:\n  attempts: 3\n").unwrap();
        assert_eq!(ok.lockout.attempts, 3);
        assert_eq!(
            ok.lockout.window_seconds, 300,
            "unset fields keep the guide's defaults"
        );
        let err =
            SiteProfile::from_yaml("p.yaml", b"name: x\nlockout:\n  status: 404\n").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(3)), "{err}");
        let err = SiteProfile::from_yaml("p.yaml", b"name: x\nlockuot: {}\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn out_of_range_values_are_named() {
        let p = SiteProfile {
            auth_token_ttl_days: 400,
            invalid_token_status: 500,
            ..SiteProfile::default()
        };
        let problems = p.problems();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("auth_token_ttl_days"));
        assert!(problems[1].starts_with("invalid_token_status"));
    }

    proptest::proptest! {
        #[test]
        fn no_profile_text_panics(text in "[ -~\n]{0,200}") {
            let _ = SiteProfile::from_yaml("p.yaml", text.as_bytes());
        }

        #[test]
        fn any_numbers_are_checked_never_panic(ttl in proptest::num::i64::ANY, attempts in proptest::num::i64::ANY, status in proptest::num::i64::ANY) {
            let text = format!("auth_token_ttl_days: {ttl}\nlockout: {{ attempts: {attempts}, status: {status} }}\n");
            if let Ok(profile) = SiteProfile::from_yaml("p.yaml", text.as_bytes()) {
                proptest::prop_assert!(profile.problems().is_empty());
            }
        }
    }
}
