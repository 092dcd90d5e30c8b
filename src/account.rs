//! The test account: an existing customer of the site, named by `PELCRO_EMAIL` and
//! `PELCRO_PASSWORD` (and, optionally, `PELCRO_USERNAME`) in the environment or `--env-file`.
//!
//! Suites with `account: true` use it; they never lock it (one wrong password per run), never
//! change its email or password, put back any profile field they edit, and log out every session
//! they open. They run one at a time. Without the account they are skipped with the reason.
//!
//! On the embedded mock the account is seeded for the run (with the given values, or generated
//! ones), so the account suites run in every mock run too.

use serde_json::{Value, json};

use crate::credentials::Environment;
use crate::http::{Body, HttpClient, OutgoingRequest};
use crate::target::{Target, TargetError};

/// The account's email.
pub const EMAIL: &str = "PELCRO_EMAIL";
/// The account's password (a secret: redacted from the moment it is read).
pub const PASSWORD: &str = "PELCRO_PASSWORD";
/// The account's username, if it has one.
pub const USERNAME: &str = "PELCRO_USERNAME";

/// Whether the environment names a test account (an email and a password, neither empty).
pub fn given(env: &Environment) -> bool {
    [EMAIL, PASSWORD]
        .iter()
        .all(|name| env.get(name).is_some_and(|v| !v.trim().is_empty()))
}

/// The email of the account, when given.
pub fn email(env: &Environment) -> Option<String> {
    env.get(EMAIL).filter(|v| !v.trim().is_empty())
}

/// Registers the test account on the embedded mock: the given email, password and username, or
/// generated ones. Returns the environment the suites then read, and the password (a secret).
pub async fn seed_on_mock(
    target: &Target,
    http: &HttpClient,
    env: Environment,
    run_id: &str,
) -> Result<(Environment, String), TargetError> {
    let salt = fastrand::u32(..);
    let email = email(&env)
        .unwrap_or_else(|| format!("pc-account-{run_id}-{salt:08x}@conformance.example.com"));
    let password = env
        .get(PASSWORD)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| format!("Pc!{salt:08x}A{}", fastrand::u16(1000..9999)));
    let username = env
        .get(USERNAME)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| format!("pc_account_{run_id}_{salt:08x}"));
    let request = OutgoingRequest {
        method: reqwest::Method::POST,
        url: target.api_url("/auth/register"),
        query: vec![("site_id".into(), target.site_id.clone())],
        headers: Vec::new(),
        body: Some(Body::Json(json!({
            "email": email,
            "password": password,
            "username": username,
            "first_name": "Test",
            "last_name": "Account",
        }))),
    };
    let response = http.send(&request).await.map_err(|e| {
        TargetError::Unreachable(format!("cannot seed the test account on the mock: {e}"))
    })?;
    if response.status != 200 {
        let field = response
            .json
            .as_ref()
            .and_then(|b| b.get("errors"))
            .and_then(Value::as_object)
            .map(|errors| errors.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        return Err(TargetError::Usage(format!(
            "the test account cannot be registered on the embedded mock ({}; refused: {field}): check {EMAIL}, {PASSWORD} and {USERNAME} against the profile's rules",
            response.status
        )));
    }
    let env = env
        .with(EMAIL, email)
        .with(PASSWORD, password.clone())
        .with(USERNAME, username);
    Ok((env, password))
}
