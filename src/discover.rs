//! What a site's configuration can be seen to be, without harm: the observations behind
//! `pelcro-conformance profile discover` (a profile file, each field saying how it was learned)
//! and behind a nightly run's *configuration drift* (where the site differs from the stated
//! profile, field by field).
//!
//! Harmless by default: the Site resource's flags (`GET /site`), the token lifetime (`exp − iat`
//! of a login token of the test account, logged out afterwards), the invalid-token status (a
//! token with its signature altered), single user authentication (two logins of the test account:
//! is the first session still valid?). Only with registration allowed: the strong-password policy
//! (a registration with a weak password). Only with `allow_lockout` too: the lockout (wrong
//! passwords on an account registered for it, until the answer changes).

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::account;
use crate::credentials::Environment;
use crate::http::{Body, HttpClient, OutgoingRequest, Response, TransportError};
use crate::profile::SiteProfile;
use crate::report::ConfigurationDrift;

/// How many wrong passwords the lockout probe tries at most.
const LOCKOUT_PROBE_LIMIT: u32 = 25;

/// One field of the profile, as observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The profile field (`auth_token_ttl_days`, `lockout.attempts`, …).
    pub field: &'static str,
    pub value: Value,
    /// How it was learned, in a phrase.
    pub how: String,
}

/// A field that could not be observed, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unobserved {
    pub field: &'static str,
    pub why: String,
}

/// Everything one discovery found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    pub observed: Vec<Observation>,
    pub unobserved: Vec<Unobserved>,
    /// Emails registered by the discovery (with registration allowed).
    pub registered: Vec<String>,
}

impl Findings {
    fn saw(&mut self, field: &'static str, value: Value, how: impl Into<String>) {
        self.observed.push(Observation {
            field,
            value,
            how: how.into(),
        });
    }

    fn missed(&mut self, field: &'static str, why: impl Into<String>) {
        self.unobserved.push(Unobserved {
            field,
            why: why.into(),
        });
    }

    /// The value observed for a field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.observed
            .iter()
            .find(|o| o.field == field)
            .map(|o| &o.value)
    }
}

/// Why a discovery could not happen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0}")]
    Transport(#[from] TransportError),
    #[error("GET /site answered {0}: check --site-id")]
    Site(u16),
}

/// Sends one request (the run sends through its rate cap; the command directly).
pub trait Sender {
    fn send(
        &self,
        request: &OutgoingRequest,
    ) -> impl Future<Output = Result<Response, TransportError>>;
    /// A secret seen (a token): never to be shown.
    fn secret(&self, _value: &str) {}
}

impl Sender for HttpClient {
    async fn send(&self, request: &OutgoingRequest) -> Result<Response, TransportError> {
        HttpClient::send(self, request).await
    }
}

impl Sender for crate::runner::RunContext {
    async fn send(&self, request: &OutgoingRequest) -> Result<Response, TransportError> {
        crate::runner::RunContext::send(self, request).await
    }

    fn secret(&self, value: &str) {
        self.redactor.add(value);
    }
}

/// Where and how far to look.
pub struct Probe<'a> {
    /// `{base}/api/v1/sdk`.
    pub api_root: String,
    pub site_id: &'a str,
    pub env: &'a Environment,
    pub allow_registration: bool,
    pub allow_lockout: bool,
}

impl Probe<'_> {
    fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> OutgoingRequest {
        OutgoingRequest {
            method,
            url: format!("{}{path}", self.api_root),
            query: vec![("site_id".into(), self.site_id.to_string())],
            headers: Vec::new(),
            body: body.map(Body::Json),
        }
    }

    fn with_bearer(mut request: OutgoingRequest, token: &str) -> OutgoingRequest {
        request
            .headers
            .push(("Authorization".into(), format!("Bearer {token}")));
        request
    }
}

/// Observes what can be observed without harm (and, where allowed, what registration and
/// lockout show).
pub async fn observe<S: Sender>(sender: &S, probe: &Probe<'_>) -> Result<Findings, DiscoverError> {
    let mut findings = Findings::default();
    let site = sender
        .send(&probe.request(reqwest::Method::GET, "/site", None))
        .await?;
    if site.status != 200 {
        return Err(DiscoverError::Site(site.status));
    }
    let data = site.json.as_ref().and_then(|b| b.get("data"));
    match data
        .and_then(|d| d.get("passwordless_enabled"))
        .and_then(Value::as_bool)
    {
        Some(on) => findings.saw(
            "passwordless_enabled",
            json!(on),
            "GET /site → data.passwordless_enabled",
        ),
        None => findings.missed(
            "passwordless_enabled",
            "GET /site has no passwordless_enabled",
        ),
    }
    match data
        .and_then(|d| d.pointer("/account/id"))
        .and_then(Value::as_u64)
    {
        Some(id) => findings.saw("account_id", json!(id), "GET /site → data.account.id"),
        None => findings.missed("account_id", "GET /site has no account.id"),
    }
    observe_tokens(sender, probe, &mut findings).await?;
    if probe.allow_registration {
        observe_password_policy(sender, probe, &mut findings).await?;
    } else {
        findings.missed(
            "strong_passwords",
            "registration is not allowed (a weak-password registration would show it)",
        );
    }
    if probe.allow_registration && probe.allow_lockout {
        observe_lockout(sender, probe, &mut findings).await?;
    } else {
        findings.missed(
            "lockout",
            "needs --allow-lockout and registration allowed (it locks an account registered for it)",
        );
    }
    Ok(findings)
}

/// Logs the test account in (twice), reads the token's lifetime, tries a tampered copy, checks
/// whether the first session survived the second login, and logs both out.
async fn observe_tokens<S: Sender>(
    sender: &S,
    probe: &Probe<'_>,
    findings: &mut Findings,
) -> Result<(), DiscoverError> {
    let credentials = match (
        probe.env.get(account::EMAIL),
        probe.env.get(account::PASSWORD),
    ) {
        (Some(email), Some(password)) if !email.is_empty() && !password.is_empty() => {
            sender.secret(&password);
            json!({ "email": email, "password": password })
        }
        _ => {
            let why = format!(
                "needs the test account ({} and {})",
                account::EMAIL,
                account::PASSWORD
            );
            for field in [
                "auth_token_ttl_days",
                "invalid_token_status",
                "single_user_auth",
            ] {
                findings.missed(field, why.clone());
            }
            return Ok(());
        }
    };
    let login = || {
        probe.request(
            reqwest::Method::POST,
            "/auth/login",
            Some(credentials.clone()),
        )
    };
    let first = sender.send(&login()).await?;
    let Some(token) = token_of(&first) else {
        let why = format!(
            "the test account's login answered {} without a token",
            first.status
        );
        for field in [
            "auth_token_ttl_days",
            "invalid_token_status",
            "single_user_auth",
        ] {
            findings.missed(field, why.clone());
        }
        return Ok(());
    };
    sender.secret(&token);
    match lifetime_days(&token) {
        Some(days) => findings.saw(
            "auth_token_ttl_days",
            json!(days),
            "exp − iat of the test account's login token",
        ),
        None => findings.missed(
            "auth_token_ttl_days",
            "the login token's exp − iat is not whole days",
        ),
    }
    let tampered = format!("{token}x");
    let refused = sender
        .send(&Probe::with_bearer(
            probe.request(reqwest::Method::GET, "/customer", None),
            &tampered,
        ))
        .await?;
    if matches!(refused.status, 401 | 403) {
        findings.saw(
            "invalid_token_status",
            json!(refused.status),
            "GET /customer with the login token's signature altered",
        );
    } else {
        findings.missed(
            "invalid_token_status",
            format!("a tampered token was answered {}", refused.status),
        );
    }
    let second = sender.send(&login()).await?;
    let second_token = token_of(&second);
    if let Some(t) = &second_token {
        sender.secret(t);
    }
    let first_still = sender
        .send(&Probe::with_bearer(
            probe.request(reqwest::Method::GET, "/customer", None),
            &token,
        ))
        .await?;
    match (second_token.is_some(), first_still.status) {
        (true, 200) => findings.saw(
            "single_user_auth",
            json!(false),
            "a second login of the test account left the first session valid",
        ),
        (true, 401 | 403) => findings.saw(
            "single_user_auth",
            json!(true),
            "a second login of the test account ended the first session",
        ),
        (_, status) => findings.missed(
            "single_user_auth",
            format!("the first session answered {status} after a second login"),
        ),
    }
    for t in [Some(token), second_token].into_iter().flatten() {
        let _ = sender
            .send(&Probe::with_bearer(
                probe.request(reqwest::Method::POST, "/auth/logout", None),
                &t,
            ))
            .await;
    }
    Ok(())
}

/// A registration with a password of 6+ characters that the strong policy refuses.
async fn observe_password_policy<S: Sender>(
    sender: &S,
    probe: &Probe<'_>,
    findings: &mut Findings,
) -> Result<(), DiscoverError> {
    let email = generated_email("policy");
    let weak = format!("pcweak{}", "q".repeat(4));
    sender.secret(&weak);
    let answer = sender
        .send(&probe.request(
            reqwest::Method::POST,
            "/auth/register",
            Some(json!({ "email": email, "password": weak })),
        ))
        .await?;
    let refused_password = answer
        .json
        .as_ref()
        .and_then(|b| b.pointer("/errors/password"))
        .is_some();
    match answer.status {
        200 => {
            findings.registered.push(email);
            findings.saw(
                "strong_passwords",
                json!(false),
                "a registration with a weak 10-letter password was accepted",
            );
        }
        400 if refused_password => findings.saw(
            "strong_passwords",
            json!(true),
            "a registration with a weak 10-letter password was refused under errors.password",
        ),
        status => findings.missed(
            "strong_passwords",
            format!("a weak-password registration answered {status}"),
        ),
    }
    Ok(())
}

/// Registers an account and sends wrong passwords until the answer is no longer the wrong
/// password's 404: that attempt is the lockout.
async fn observe_lockout<S: Sender>(
    sender: &S,
    probe: &Probe<'_>,
    findings: &mut Findings,
) -> Result<(), DiscoverError> {
    let email = generated_email("lockout");
    let password = format!("Pc!{:08x}A1", fastrand::u32(..));
    let wrong = format!("Pc!{:08x}B2", fastrand::u32(..));
    sender.secret(&password);
    sender.secret(&wrong);
    let registered = sender
        .send(&probe.request(
            reqwest::Method::POST,
            "/auth/register",
            Some(json!({ "email": email, "password": password })),
        ))
        .await?;
    if registered.status != 200 {
        findings.missed(
            "lockout",
            format!(
                "the lockout probe's registration answered {}",
                registered.status
            ),
        );
        return Ok(());
    }
    findings.registered.push(email.clone());
    for attempt in 1..=LOCKOUT_PROBE_LIMIT {
        let answer = sender
            .send(&probe.request(
                reqwest::Method::POST,
                "/auth/login",
                Some(json!({ "email": email, "password": wrong })),
            ))
            .await?;
        if answer.status != 404 {
            findings.saw(
                "lockout.attempts",
                json!(attempt - 1),
                format!("wrong passwords on an account registered for it: attempt {attempt} was refused as locked"),
            );
            findings.saw(
                "lockout.status",
                json!(answer.status),
                "the status of that refusal",
            );
            return Ok(());
        }
    }
    findings.missed(
        "lockout",
        format!("no lockout within {LOCKOUT_PROBE_LIMIT} wrong passwords"),
    );
    Ok(())
}

fn generated_email(what: &str) -> String {
    format!(
        "pc-discover-{what}-{:08x}@conformance.example.com",
        fastrand::u32(..)
    )
}

fn token_of(response: &Response) -> Option<String> {
    if response.status != 200 {
        return None;
    }
    response
        .json
        .as_ref()?
        .pointer("/data/auth_token")?
        .as_str()
        .map(String::from)
}

/// `exp − iat` of a JWT in whole days (decoded, never verified).
pub fn lifetime_days(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let seconds = claims.get("exp")?.as_i64()? - claims.get("iat")?.as_i64()?;
    (seconds > 0 && seconds % 86_400 == 0).then_some((seconds / 86_400) as u64)
}

/// The profile's value of a field, as JSON (`lockout.attempts` walks into the object).
fn stated(profile: &SiteProfile, field: &str) -> Option<Value> {
    let mut value = profile.to_json();
    for part in field.split('.') {
        value = value.get(part)?.clone();
    }
    Some(value)
}

/// Where the site, as observed, differs from the stated profile: one finding per field.
pub fn drift(profile: &SiteProfile, findings: &Findings) -> Vec<ConfigurationDrift> {
    findings
        .observed
        .iter()
        .filter_map(|o| {
            let stated = stated(profile, o.field)?;
            (stated != o.value).then(|| ConfigurationDrift {
                field: o.field.to_string(),
                stated,
                observed: o.value.clone(),
                how: o.how.clone(),
            })
        })
        .collect()
}

/// A profile file of the findings: every observed field with a comment saying how it was
/// learned, every other field commented out with why. It loads as a `SiteProfile`.
pub fn profile_yaml(findings: &Findings, target: &str, site_id: &str, when: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Discovered from {target}, site {site_id}, at {when} by `pelcro-conformance profile discover`."
    );
    let _ = writeln!(
        out,
        "# Fields not observed keep the integration guide's defaults; review before use."
    );
    let _ = writeln!(out, "name: site-{site_id}");
    let _ = writeln!(
        out,
        "description: \"Discovered from {target}, site {site_id}\""
    );
    let mut lockout = Vec::new();
    for o in &findings.observed {
        match o.field.strip_prefix("lockout.") {
            Some(sub) => lockout.push((sub, o)),
            None => {
                let _ = writeln!(out, "{}: {}  # learned: {}", o.field, o.value, o.how);
            }
        }
    }
    if !lockout.is_empty() {
        let _ = writeln!(out, "lockout:");
        for (sub, o) in lockout {
            let _ = writeln!(out, "  {sub}: {}  # learned: {}", o.value, o.how);
        }
        let _ = writeln!(
            out,
            "  # window_seconds: not observed (it would take waiting out the lock)"
        );
    }
    for u in &findings.unobserved {
        let _ = writeln!(out, "# {}: not observed: {}", u.field, u.why);
    }
    let _ = writeln!(
        out,
        "allow_registration: false  # not observed: the publisher's choice (a cautious default)"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(iat: i64, exp: i64) -> String {
        let enc = |v: Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        format!(
            "{}.{}.sig",
            enc(json!({"alg": "HS256"})),
            enc(json!({"iat": iat, "exp": exp}))
        )
    }

    #[test]
    fn the_lifetime_is_exp_minus_iat_in_whole_days() {
        assert_eq!(lifetime_days(&token(1000, 1000 + 14 * 86_400)), Some(14));
        assert_eq!(lifetime_days(&token(1000, 1000 + 3600)), None);
        assert_eq!(lifetime_days("junk"), None);
    }

    #[test]
    fn drift_names_each_field_that_differs_and_a_discovered_profile_loads() {
        let mut findings = Findings::default();
        findings.saw("auth_token_ttl_days", json!(30), "exp − iat");
        findings.saw("invalid_token_status", json!(403), "a tampered token");
        findings.saw("lockout.attempts", json!(5), "wrong passwords");
        findings.missed("strong_passwords", "registration is not allowed");
        let found = drift(&SiteProfile::default(), &findings);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0].sentence(),
            "auth_token_ttl_days: the profile states 60, the site shows 30 (exp − iat)"
        );
        assert_eq!(found[1].field, "lockout.attempts");
        assert_eq!(
            (&found[1].stated, &found[1].observed),
            (&json!(10), &json!(5))
        );
        let yaml = profile_yaml(&findings, "https://h", "7", "now");
        let profile = SiteProfile::from_yaml("discovered.yaml", yaml.as_bytes()).unwrap();
        assert_eq!(profile.auth_token_ttl_days, 30);
        assert_eq!(profile.lockout.attempts, 5);
        assert!(!profile.allow_registration);
        assert!(yaml.contains("# strong_passwords: not observed: registration is not allowed"));
    }
}
