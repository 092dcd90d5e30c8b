//! The tolerance catalogue, shared by `tests/tolerances.rs` (which runs the built-in suites
//! against it) and `tests/explore.rs` (which measures explore against it).
#![allow(dead_code, unused_imports)]

use crate::common::proxy::{
    DeviatingTarget, Mutation, ProxyRequest, ProxyResponse, everywhere, on, site_of,
};
use pelcro_conformance::app::{RunOptions, execute, load_profile};
use pelcro_conformance::checks::Gate;
use pelcro_conformance::claims::DOCUMENTED_MESSAGES;
use pelcro_conformance::mock::MockConfig;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::report::{RunReport, SuiteOutcome};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::{LoadContext, load};
use pelcro_conformance::target::TargetSpec;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// One way a target may differ where the documents are silent.
pub struct Tolerance {
    pub name: &'static str,
    /// The claims whose suites must report an advisory for it (an empty list: none at all).
    pub advises: &'static [&'static str],
    pub mutation: Mutation,
}

fn tolerance(
    name: &'static str,
    advises: &'static [&'static str],
    mutation: Mutation,
) -> Tolerance {
    Tolerance {
        name,
        advises,
        mutation,
    }
}
/// Rewrites the answers to any of several endpoints.
fn on_any(
    endpoints: &'static [(&'static str, &'static str)],
    f: impl Fn(&mut ProxyResponse) + Send + Sync + 'static,
) -> Mutation {
    Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, response: &mut ProxyResponse| {
            if endpoints.iter().any(|(m, p)| request.is(m, p)) {
                f(response);
            }
        },
    )
}
const SITE_AND_PLANS: &[(&str, &str)] = &[
    ("GET", "/site"),
    ("GET", "/plan"),
    ("POST", "/plan"),
    ("GET", "/plan/ip/authorization"),
    ("GET", "/plan/domain/authorization"),
    ("GET", "/geo/country"),
    ("GET", "/location"),
];

const PLANS: &[(&str, &str)] = &[
    ("GET", "/plan"),
    ("POST", "/plan"),
    ("GET", "/plan/ip/authorization"),
    ("GET", "/plan/domain/authorization"),
];

/// Customer answers other than register's, whose envelope the guide shows.
const CUSTOMER_NOT_REGISTER: &[(&str, &str)] = &[
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/idp/login"),
    ("POST", "/auth/passwordless/login"),
    ("POST", "/auth/passwordless/request"),
    ("POST", "/customer"),
    ("GET", "/customer"),
    ("PUT", "/customer"),
    ("POST", "/customer/refresh"),
    ("POST", "/password/update"),
    ("POST", "/password/forgot"),
    ("POST", "/password/reset"),
];

const RELATIONS: &[&str] = &[
    "subscriptions",
    "memberships",
    "expired_memberships",
    "expired_subscriptions",
    "gift_recipients",
    "addresses",
    "invoices",
    "charges",
    "orders",
    "source",
    "sources",
];

/// `{"error":false,"data":…}` ⇄ `{"status":"success","data":…}`.
fn swap_envelope(response: &mut ProxyResponse) {
    if !(200..300).contains(&response.status) {
        return;
    }
    let Some(Value::Object(body)) = &mut response.body else {
        return;
    };
    if body.get("error") == Some(&json!(false)) {
        body.shift_remove("error");
        body.insert("status".into(), json!("success"));
    } else if body.get("status") == Some(&json!("success")) {
        body.shift_remove("status");
        body.insert("error".into(), json!(false));
    }
}

/// The customer under `data`, if the answer carries one.
fn customer(response: &mut ProxyResponse) -> Option<&mut Map<String, Value>> {
    response.data().filter(|d| d.contains_key("email"))
}

/// The `error` object of an application or auth error.
fn app_error(response: &mut ProxyResponse) -> Option<&mut Map<String, Value>> {
    response.body.as_mut()?.get_mut("error")?.as_object_mut()
}

fn documented(text: &str) -> bool {
    DOCUMENTED_MESSAGES.contains(&text)
}

/// Rewrites every timestamp of a customer.
fn timestamps(f: impl Fn(&str) -> Value + Send + Sync + 'static) -> Mutation {
    everywhere(move |r| {
        if let Some(c) = customer(r) {
            for key in ["created_at", "updated_at", "last_login_at"] {
                if let Some(Value::String(t)) = c.get(key).cloned() {
                    c.insert(key.into(), f(&t));
                }
            }
        }
    })
}

/// Rewrites the raw bytes of every JSON answer, leaving its value alone.
fn raw_json(f: impl Fn(&Value) -> String + Send + Sync + 'static) -> Mutation {
    everywhere(move |r| {
        if let Some(body) = &r.body {
            r.raw_body = f(body).into_bytes().into();
        }
    })
}

fn reversed(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        other => other.clone(),
    }
}
fn field(request: &ProxyRequest, name: &str) -> Option<String> {
    request
        .body
        .as_ref()?
        .get(name)?
        .as_str()
        .map(str::to_lowercase)
}

/// A target whose failed-login count a success does not clear, on every site whose lockout the
/// harness sets through the control API: the proxy keeps its own count per site and identity,
/// never cleared by a success, and answers the lockout itself once the site's number of failures
/// is reached, until the window has passed on the mock's clock (whose moves it sees on their way
/// to the control API) since the failure that locked.
/// Refresh mints a new token and the old one keeps working: a token that a refresh replaced is
/// sent upstream as its successor (so it lives exactly as long as the successor does).
fn refresh_keeps_the_old_token() -> Mutation {
    let successors: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let recorded = successors.clone();
    let bearer = |request: &ProxyRequest| {
        request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, v)| v.strip_prefix("Bearer "))
            .map(str::to_string)
    };
    Mutation::before(move |request: &mut ProxyRequest| {
        let successors = successors.lock().unwrap();
        for (name, value) in &mut request.headers {
            if let Some(token) = value.strip_prefix("Bearer ")
                && name.eq_ignore_ascii_case("authorization")
            {
                let mut token = token.to_string();
                while let Some(next) = successors.get(&token) {
                    token = next.clone();
                }
                *value = format!("Bearer {token}");
            }
        }
    })
    .and_after(
        move |_: &ProxyRequest, sent: &ProxyRequest, response: &mut ProxyResponse| {
            let fresh = response
                .body
                .as_ref()
                .and_then(|b| b.pointer("/data/auth_token"))
                .and_then(Value::as_str)
                .map(str::to_string);
            if sent.is("POST", "/customer/refresh")
                && response.status == 200
                && let (Some(old), Some(fresh)) = (bearer(sent), fresh)
            {
                recorded.lock().unwrap().insert(old, fresh);
            }
        },
    )
}

fn success_keeps_the_count() -> Mutation {
    #[derive(Default)]
    struct State {
        /// site → (attempts, window in seconds, status)
        policies: HashMap<String, (u64, i64, u16)>,
        /// (site, username) → email
        usernames: HashMap<(String, String), String>,
        /// (site, email) → (the times of the failures, locked until), on the clock below
        failures: HashMap<(String, String), (Vec<i64>, Option<i64>)>,
        /// How far the mock's clock has been moved, in seconds.
        clock: i64,
    }
    let state = Arc::new(Mutex::new(State::default()));
    let control_state = state.clone();
    let mut mutation = Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, response: &mut ProxyResponse| {
            let mut state = state.lock().unwrap();
            let site = site_of(request);
            let Some(&(attempts, window, status)) = state.policies.get(&site) else {
                return;
            };
            if request.is("POST", "/auth/register") && response.status == 200 {
                if let (Some(u), Some(e)) = (field(request, "username"), field(request, "email")) {
                    state.usernames.insert((site.clone(), u), e);
                }
                return;
            }
            if !request.is("POST", "/auth/login") {
                return;
            }
            let email = field(request, "email").or_else(|| {
                field(request, "username")
                    .and_then(|u| state.usernames.get(&(site.clone(), u)).cloned())
            });
            let Some(email) = email else { return };
            let key = (site, email);
            let now = state.clock;
            // Only failures within the window count (LOCKOUT); a success clears none of them.
            let (mut times, locked_until) = match state.failures.get(&key).cloned() {
                Some((_, Some(until))) if now >= until => (Vec::new(), None),
                Some(entry) => entry,
                None => (Vec::new(), None),
            };
            times.retain(|t| now - t < window);
            if locked_until.is_some() {
                response.status = status;
                response.body = Some(
                    json!({"errors": {"email": ["Too many login attempts. Please try again later."]}}),
                );
            } else if response.status == 404 {
                times.push(now);
                let lock = (times.len() as u64 >= attempts).then_some(now + window);
                state.failures.insert(key, (times, lock));
            } else {
                state.failures.insert(key, (times, None));
            }
        },
    );
    mutation.control = Some(Arc::new(move |request: &mut ProxyRequest| {
        if request.method == "POST"
            && request.path == "/__control/clock/advance"
            && let Some(seconds) = request
                .body
                .as_ref()
                .and_then(|b| b.get("seconds"))
                .and_then(Value::as_i64)
        {
            control_state.lock().unwrap().clock += seconds;
        }
        if request.method == "PUT"
            && let Some(site) = request.path.strip_prefix("/__control/sites/")
            && let Some(lockout) = request.body.as_ref().and_then(|b| b.get("lockout"))
        {
            let attempts = lockout
                .get("attempts")
                .and_then(Value::as_u64)
                .unwrap_or(10);
            let window = lockout
                .get("window_seconds")
                .and_then(Value::as_i64)
                .unwrap_or(300);
            let status = lockout.get("status").and_then(Value::as_u64).unwrap_or(400) as u16;
            control_state
                .lock()
                .unwrap()
                .policies
                .insert(site.to_string(), (attempts, window, status));
        }
    }));
    mutation
}

/// A target whose passwordless tokens log in as often as they are used: the first answer for a
/// token is replayed for later uses (its auth token still works).
fn reusable_passwordless_tokens() -> Mutation {
    /// token → the first answer it got.
    type Seen = HashMap<String, (u16, Option<Value>)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, response: &mut ProxyResponse| {
            if !request.is("POST", "/auth/passwordless/login") {
                return;
            }
            let Some(token) = field(request, "token") else {
                return;
            };
            let mut seen = seen.lock().unwrap();
            match seen.get(&token) {
                Some((status, body)) if response.status != 200 => {
                    response.status = *status;
                    response.body = body.clone();
                }
                Some(_) => {}
                None if response.status == 200 => {
                    seen.insert(token, (response.status, response.body.clone()));
                }
                None => {}
            }
        },
    )
}

pub fn tolerances() -> Vec<Tolerance> {
    vec![
        // Extra fields: the documents show the fields they fix, never that no other may appear.
        tolerance(
            "extra fields in the Customer",
            &[],
            everywhere(|r| {
                if let Some(c) = customer(r) {
                    c.insert("favourite_colour".into(), json!("teal"));
                    c.insert("loyalty".into(), json!({"tier": "gold", "points": 12}));
                }
            }),
        ),
        tolerance(
            "extra fields in the Site",
            &[],
            on("GET", "/site", |r| {
                if let Some(d) = r.data() {
                    d.insert("newsletter_enabled".into(), json!(true));
                    d.insert("theme".into(), json!({"primary": "#123456"}));
                }
            }),
        ),
        tolerance(
            "extra fields in every Plan",
            &[],
            on_any(PLANS, |r| {
                let add = |p: &mut Value| {
                    if let Some(p) = p.as_object_mut() {
                        p.insert("trial_days".into(), json!(14));
                        p.insert("tax_behavior".into(), json!("exclusive"));
                    }
                };
                match r.body.as_mut().and_then(|b| b.get_mut("data")) {
                    Some(Value::Array(plans)) => plans.iter_mut().for_each(add),
                    Some(plan) => add(plan),
                    None => {}
                }
            }),
        ),
        tolerance(
            "an extra top-level key on every success",
            &[],
            everywhere(|r| {
                if (200..300).contains(&r.status)
                    && let Some(Value::Object(b)) = &mut r.body
                {
                    b.insert("meta".into(), json!({"api_version": 2}));
                }
            }),
        ),
        tolerance(
            "an extra key inside every application error",
            &["LOGIN-BAD"],
            everywhere(|r| {
                if let Some(e) = app_error(r) {
                    e.insert("code".into(), json!("E_APP"));
                }
            }),
        ),
        tolerance(
            "validation errors carry Laravel's message key too",
            &[],
            everywhere(|r| {
                if let Some(Value::Object(b)) = &mut r.body
                    && b.contains_key("errors")
                {
                    b.insert("message".into(), json!("The given data was invalid."));
                }
            }),
        ),
        tolerance(
            "every error body has one more key",
            &[],
            everywhere(|r| {
                if r.status >= 400
                    && let Some(Value::Object(b)) = &mut r.body
                {
                    b.insert("trace_id".into(), json!("7f3a"));
                }
            }),
        ),
        // Relations: "null or arrays".
        tolerance(
            "empty relations are null",
            &["LOGIN-OK"],
            everywhere(|r| {
                if let Some(c) = customer(r) {
                    for key in RELATIONS {
                        if c.get(*key) == Some(&json!([])) {
                            c.insert((*key).into(), Value::Null);
                        }
                    }
                }
            }),
        ),
        // Envelopes: GEN-OK says "depending on the endpoint" without saying which.
        tolerance(
            "GET /site answers status success",
            &["SITE", "GEN-BASE", "GEN-OK"],
            on("GET", "/site", swap_envelope),
        ),
        tolerance(
            "plans and plan lists answer status success",
            &["PLAN", "PLAN-IP", "PLAN-DOMAIN", "GEN-OK"],
            on_any(PLANS, swap_envelope),
        ),
        tolerance(
            "GET /geo/country answers status success",
            &["GEO"],
            on("GET", "/geo/country", swap_envelope),
        ),
        tolerance(
            "GET /location answers status success",
            &["LOCATION"],
            on("GET", "/location", swap_envelope),
        ),
        tolerance(
            "customer answers other than register's say error false",
            &["LOGOUT", "PWL-REQUEST"],
            on_any(CUSTOMER_NOT_REGISTER, swap_envelope),
        ),
        tolerance(
            "site, plan, geo and location answers carry both envelope keys",
            &[],
            on_any(SITE_AND_PLANS, |r| {
                if let Some(Value::Object(b)) = &mut r.body
                    && (200..300).contains(&r.status)
                {
                    b.insert("status".into(), json!("success"));
                }
            }),
        ),
        // Timestamps: named, never given a format.
        tolerance(
            "timestamps in SQL format",
            &[],
            timestamps(|t| json!(t.replace('T', " ").chars().take(19).collect::<String>())),
        ),
        tolerance(
            "timestamps as Unix seconds",
            &[],
            timestamps(|_| json!(1_795_957_200)),
        ),
        // Wordings claims.md does not quote.
        tolerance(
            "another wording for a malformed or tampered token",
            &["TOKEN-BEARER"],
            everywhere(|r| {
                if (r.status == 401 || r.status == 403)
                    && let Some(e) = app_error(r)
                    && e.get("message")
                        .and_then(Value::as_str)
                        .is_some_and(|m| !documented(m))
                {
                    e.insert(
                        "message".into(),
                        json!("Could not decode token: Error while decoding to JSON"),
                    );
                }
            }),
        ),
        tolerance(
            "other wordings for every unquoted validation text",
            &[
                "LOGIN-ID-REQ",
                "REG-EMAIL-REQ",
                "REG-FIELDS",
                "REG-PASSWORD",
                "ERR-400",
                "SITE-ID",
            ],
            everywhere(|r| {
                if let Some(Value::Object(errors)) =
                    r.body.as_mut().and_then(|b| b.get_mut("errors"))
                {
                    for messages in errors.values_mut() {
                        if let Value::Array(items) = messages {
                            for item in items {
                                if item.as_str().is_some_and(|m| !documented(m)) {
                                    *item = json!("This value is not valid.");
                                }
                            }
                        }
                    }
                }
            }),
        ),
        tolerance(
            "another wording for an unknown plan",
            &["ERR-APP"],
            on_any(PLANS, |r| {
                if r.status == 404
                    && let Some(e) = app_error(r)
                {
                    e.insert(
                        "message".into(),
                        json!("No query results for model [Plan]."),
                    );
                }
            }),
        ),
        tolerance(
            "other wordings for every unquoted application error",
            &["ERR-APP"],
            everywhere(|r| {
                if let Some(e) = app_error(r)
                    && e.get("message")
                        .and_then(Value::as_str)
                        .is_some_and(|m| !documented(m))
                {
                    e.insert("message".into(), json!("Something went wrong."));
                }
            }),
        ),
        // Throttles: the documents say 429 and "back off and retry", nothing of Retry-After.
        tolerance(
            "429 without Retry-After",
            &["PWL-THROTTLE", "ERR-429"],
            everywhere(|r| {
                if r.status == 429 {
                    r.remove_header("retry-after");
                }
            }),
        ),
        tolerance(
            "429 with Retry-After as an HTTP date",
            &["PWL-THROTTLE", "ERR-429"],
            everywhere(|r| {
                if r.status == 429
                    && let Some(seconds) = r
                        .headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
                        .and_then(|(_, v)| v.parse::<u64>().ok())
                {
                    let date = SystemTime::now() + Duration::from_secs(seconds);
                    r.set_header("retry-after", &httpdate::fmt_http_date(date));
                }
            }),
        ),
        tolerance(
            "429 asks for a whole hour every time",
            &[],
            everywhere(|r| {
                if r.status == 429 {
                    r.set_header("retry-after", "3600");
                }
            }),
        ),
        tolerance(
            "the 429 body is in the validation shape",
            &["PWL-THROTTLE", "ERR-429"],
            everywhere(|r| {
                if r.status == 429 && app_error(r).is_some() {
                    r.body = Some(
                        json!({"errors": {"email": ["Too many requests. Please try again later."]}}),
                    );
                }
            }),
        ),
        // Journeys the documents do not describe.
        tolerance(
            "refresh leaves the old token working",
            &["TOKEN-REFRESH"],
            refresh_keeps_the_old_token(),
        ),
        tolerance(
            "a passwordless token is reusable",
            &["PWL-LOGIN"],
            reusable_passwordless_tokens(),
        ),
        tolerance(
            "a success does not clear the failure count",
            &["LOCKOUT"],
            success_keeps_the_count(),
        ),
        tolerance(
            "forgot-password does not reveal an unknown email",
            &["PASSWORD-FLOWS", "ERR-404"],
            on("POST", "/password/forgot", |r| {
                if r.status == 404 {
                    r.status = 200;
                    r.body = Some(
                        json!({"status": "success", "data": {"message": "If the email is known, a link is on its way."}}),
                    );
                }
            }),
        ),
        tolerance(
            "passwordless disabled is refused in the validation shape",
            &["PWL-REQUEST"],
            on("POST", "/auth/passwordless/request", |r| {
                if r.status == 400 && app_error(r).is_some() {
                    r.body = Some(
                        json!({"errors": {"email": ["Passwordless login is not enabled for this site."]}}),
                    );
                }
            }),
        ),
        tolerance(
            "a plan id that is not a number is a validation failure",
            &["ERR-404"],
            Mutation::after(
                |request: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    let not_a_number = request
                        .query
                        .iter()
                        .any(|(n, v)| n == "plan_id" && v.parse::<u64>().is_err());
                    if request.is("GET", "/plan") && not_a_number && r.status == 404 {
                        r.status = 400;
                        r.body = Some(
                            json!({"errors": {"plan_id": ["The plan id must be an integer."]}}),
                        );
                    }
                },
            ),
        ),
        tolerance(
            "an unsupported identity provider is 404 invalid credentials",
            &["IDP-LOGIN"],
            on("POST", "/auth/idp/login", |r| {
                if r.status == 400 {
                    r.status = 404;
                    r.body = Some(
                        json!({"error": {"report_id": null, "status": 404, "message": "Invalid credentials! Please try again."}}),
                    );
                }
            }),
        ),
        tolerance(
            "the provider's profile lands in metadata under other keys",
            &["IDP-LOGIN"],
            on("POST", "/auth/idp/login", |r| {
                if let Some(c) = customer(r)
                    && let Some(metadata) = c.get("metadata").cloned()
                {
                    c.insert("metadata".into(), json!({"social_profiles": metadata}));
                }
            }),
        ),
        tolerance(
            "password update answers a message, not the customer",
            &["PASSWORD-FLOWS"],
            on("POST", "/password/update", |r| {
                if r.status == 200 {
                    r.body = Some(
                        json!({"status": "success", "data": {"message": "Password updated."}}),
                    );
                }
            }),
        ),
        tolerance(
            "a body that is not JSON is refused under the missing fields",
            &["GEN-JSON"],
            on("POST", "/auth/login", |r| {
                if r.status == 400
                    && r.body
                        .as_ref()
                        .and_then(|b| b.pointer("/errors/body"))
                        .is_some()
                {
                    r.body = Some(
                        json!({"errors": {"email": ["The email field is required."], "password": ["The password field is required."]}}),
                    );
                }
            }),
        ),
        tolerance(
            "GET and POST /customer answer without a token",
            &["TOKEN-JWT"],
            on_any(&[("GET", "/customer"), ("POST", "/customer")], |r| {
                if let Some(c) = customer(r) {
                    c.shift_remove("auth_token");
                    c.shift_remove("token");
                }
            }),
        ),
        tolerance(
            "the Site has no id and its account is a number",
            &["SITE"],
            on("GET", "/site", |r| {
                if let Some(d) = r.data() {
                    d.shift_remove("id");
                    d.insert("account".into(), json!(1));
                }
            }),
        ),
        // The wire: what HTTP and JSON leave open.
        tolerance(
            "content-type with charset=utf-8",
            &[],
            everywhere(|r| {
                if r.body.is_some() {
                    r.set_header("content-type", "application/json; charset=utf-8");
                }
            }),
        ),
        tolerance(
            "the media type in other case",
            &[],
            everywhere(|r| {
                if r.body.is_some() {
                    r.set_header("content-type", "Application/JSON; Charset=UTF-8");
                }
            }),
        ),
        tolerance(
            "extra response headers",
            &[],
            everywhere(|r| {
                r.set_header("x-request-id", "c0ffee");
                r.set_header("cache-control", "no-cache, private");
                r.set_header("x-ratelimit-remaining", "59");
            }),
        ),
        tolerance(
            "keys in reverse order",
            &[],
            raw_json(|v| reversed(v).to_string()),
        ),
        tolerance(
            "pretty-printed JSON",
            &[],
            raw_json(|v| serde_json::to_string_pretty(v).unwrap()),
        ),
    ]
}
