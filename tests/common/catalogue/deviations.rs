//! The deviation catalogue, shared by `tests/deviations.rs` (which runs the built-in suites
//! against it) and `tests/explore.rs` (which measures explore against it).
#![allow(dead_code, unused_imports)]

use crate::common::proxy::{
    DeviatingTarget, Mutation, ProxyRequest, ProxyResponse, everywhere, on, site_of,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pelcro_conformance::app::{RunOptions, execute, load_profile};
use pelcro_conformance::mock::MockConfig;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::report::{RunReport, SuiteOutcome};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::{LoadContext, load};
use pelcro_conformance::target::TargetSpec;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// One way a target can deviate, and the claim whose suites must catch it.
pub struct Deviation {
    pub name: &'static str,
    pub claim: &'static str,
    pub mutation: Mutation,
}

fn deviation(name: &'static str, claim: &'static str, mutation: Mutation) -> Deviation {
    Deviation {
        name,
        claim,
        mutation,
    }
}

/// Sends one endpoint's requests to another, keeping the answer's shape plausible.
fn reroute(
    method: &'static str,
    path: &'static str,
    to_method: &'static str,
    to_path: &'static str,
) -> Mutation {
    Mutation::before(move |request: &mut ProxyRequest| {
        if request.is(method, path) {
            request.method = to_method.into();
            request.path = to_path.into();
        }
    })
}

fn customer_stub() -> Value {
    json!({"status": "success", "data": {"id": 99, "email": "stub@example.com", "email_confirm": false,
        "username": null, "first_name": null, "last_name": null, "display_name": null, "phone": null,
        "metadata": {}, "addresses": [], "memberships": [],
        "auth_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI5OSJ9.c2lnbmF0dXJl",
        "token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI5OSJ9.c2lnbmF0dXJl"}})
}

fn validation_error_contains(response: &ProxyResponse, field: &str, text: &str) -> bool {
    response.status == 400
        && response
            .body
            .as_ref()
            .and_then(|b| b.pointer(&format!("/errors/{field}/0")))
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains(text))
}

/// Rewrites control-API requests (site settings, seeded plans): the mock is then set up otherwise
/// than the harness asked.
fn on_control(f: impl Fn(&mut ProxyRequest) + Send + Sync + 'static) -> Mutation {
    Mutation {
        control: Some(Arc::new(f)),
        ..Mutation::none()
    }
}

/// The default profile's lockout attempts, which the deviations run under.
pub const ATTEMPTS: u32 = 10;

fn stub_ok(r: &mut ProxyResponse) {
    r.status = 200;
    r.body = Some(customer_stub());
}

fn invalid_credentials(r: &mut ProxyResponse) {
    r.status = 404;
    r.body = Some(json!({"error": {"report_id": null, "status": 404,
        "message": "Invalid credentials! Please try again."}}));
}

fn is_lockout(r: &ProxyResponse) -> bool {
    (r.status == 400 || r.status == 429) && validation_error_contains(r, "email", "Too many")
        || r.status == 429 && r.raw_body.windows(9).any(|w| w == b"Too many ")
}

fn body_str(request: &ProxyRequest, field: &str) -> Option<String> {
    request
        .body
        .as_ref()
        .and_then(|b| b.get(field))
        .and_then(Value::as_str)
        .map(str::to_string)
}
/// A target that locks an account only once N failures were counted under the same key: a
/// narrower notion of "the account" than the mock's (by email only, case-sensitive, per site).
/// Lockout answers for a key with fewer failures are turned back into invalid credentials.
fn lockout_keyed(key: fn(&ProxyRequest) -> Option<String>) -> Mutation {
    let failures: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
            if !request.is("POST", "/auth/login") {
                return;
            }
            let key = key(request);
            let mut failures = failures.lock().unwrap();
            if r.status == 404
                && let Some(key) = &key
            {
                *failures.entry(key.clone()).or_default() += 1;
            }
            let counted = key
                .as_ref()
                .and_then(|k| failures.get(k))
                .copied()
                .unwrap_or(0);
            if is_lockout(r) && counted < ATTEMPTS {
                invalid_credentials(r);
            }
        },
    )
}

fn bearer_of(request: &ProxyRequest) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim_start_matches("Bearer ").to_string())
}

fn jwt_part(token: &str, index: usize) -> Option<Value> {
    let segment = token.split('.').nth(index)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()
}

/// Edits the claims of every token an answer hands out (`data.auth_token`, `data.token`); the
/// signature is kept, so the edited token no longer works: only what it says changes.
fn edit_tokens(
    method: &'static str,
    path: &'static str,
    f: impl Fn(&mut serde_json::Map<String, Value>) + Send + Sync + 'static,
) -> Mutation {
    on(method, path, move |r| {
        let Some(data) = r.data() else { return };
        for field in ["auth_token", "token"] {
            let Some(token) = data.get(field).and_then(Value::as_str) else {
                continue;
            };
            let parts: Vec<&str> = token.split('.').collect();
            let Some(Value::Object(mut claims)) = jwt_part(token, 1) else {
                continue;
            };
            f(&mut claims);
            let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
            let edited = format!("{}.{payload}.{}", parts[0], parts[2]);
            data.insert(field.into(), json!(edited));
        }
    })
}

/// Every token-issuing endpoint's tokens edited alike.
fn edit_all_tokens(f: fn(&mut serde_json::Map<String, Value>)) -> Mutation {
    everywhere(move |r| {
        let Some(data) = r.data() else { return };
        for field in ["auth_token", "token"] {
            let Some(token) = data.get(field).and_then(Value::as_str) else {
                continue;
            };
            let parts: Vec<&str> = token.split('.').collect();
            let Some(Value::Object(mut claims)) = jwt_part(token, 1) else {
                continue;
            };
            f(&mut claims);
            let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
            data.insert(
                field.into(),
                json!(format!("{}.{payload}.{}", parts[0], parts[2])),
            );
        }
    })
}

/// One endpoint answers a refused token with this message as if it were good.
fn accepts_refused_token(
    method: &'static str,
    path: &'static str,
    message_part: &'static str,
) -> Mutation {
    on(method, path, move |r| {
        let refused = (r.status == 401 || r.status == 403)
            && r.raw_body
                .windows(message_part.len())
                .any(|w| w == message_part.as_bytes());
        if refused {
            stub_ok(r);
        }
    })
}

/// Requests that match `when` are answered as if their token were good, wherever it was refused.
fn accepts_token_when(
    method: Option<(&'static str, &'static str)>,
    when: fn(&str) -> bool,
) -> Mutation {
    Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
            let endpoint = method.is_none_or(|(m, p)| request.is(m, p));
            if endpoint
                && (r.status == 401 || r.status == 403)
                && bearer_of(request).is_some_and(|t| when(&t))
            {
                stub_ok(r);
            }
        },
    )
}

/// A POST/PUT whose `site_id` travels in the body only loses it on the way.
fn drops_body_site_id(method: &'static str, path: &'static str) -> Mutation {
    Mutation::before(move |request: &mut ProxyRequest| {
        if request.is(method, path)
            && !request.has_query("site_id")
            && let Some(Value::Object(body)) = &mut request.body
        {
            body.remove("site_id");
        }
    })
}

/// An answer of one endpoint refused under `field` is answered as accepted, when `when` holds.
fn accepts_refused_field(
    method: &'static str,
    path: &'static str,
    field: &'static str,
    when: fn(&ProxyRequest) -> bool,
) -> Mutation {
    Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
            if request.is(method, path)
                && when(request)
                && r.status == 400
                && r.body
                    .as_ref()
                    .and_then(|b| b.pointer(&format!("/errors/{field}")))
                    .is_some()
            {
                stub_ok(r);
            }
        },
    )
}

/// An accepted request of one endpoint is refused under `field`, when `when` holds.
fn refuses_field(
    method: &'static str,
    path: &'static str,
    field: &'static str,
    when: fn(&ProxyRequest) -> bool,
) -> Mutation {
    Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
            if request.is(method, path) && when(request) && r.status == 200 {
                r.status = 400;
                r.body = Some(json!({"errors": {field: [format!("The {field} is invalid.")]}}));
            }
        },
    )
}

fn str_len(request: &ProxyRequest, field: &str) -> Option<usize> {
    body_str(request, field).map(|s| s.chars().count())
}

/// Rewrites the `email` query parameter of the domain authorization.
fn domain_query(f: fn(&str) -> Option<String>) -> Mutation {
    Mutation::before(move |request: &mut ProxyRequest| {
        if !request.is("GET", "/plan/domain/authorization") {
            return;
        }
        for (name, value) in &mut request.query {
            if name == "email"
                && let Some((local, domain)) = value.split_once('@')
                && let Some(new_domain) = f(&domain.to_ascii_lowercase())
            {
                *value = format!("{local}@{new_domain}");
            }
        }
    })
}

/// Rewrites the IP ranges of plans seeded through the control API.
fn seeded_ranges(from: &'static str, to: &'static str) -> Mutation {
    on_control(move |request: &mut ProxyRequest| {
        if request.method == "POST"
            && request.path.ends_with("/plans")
            && let Some(Value::Array(ranges)) = request
                .body
                .as_mut()
                .and_then(|b| b.get_mut("ip_addresses"))
        {
            for range in ranges {
                if range == from {
                    *range = json!(to);
                }
            }
        }
    })
}

/// Sends one endpoint's requests for site `from` to site `to`.
fn site_swap(
    method: &'static str,
    path: &'static str,
    from: &'static str,
    to: &'static str,
) -> Mutation {
    Mutation::before(move |request: &mut ProxyRequest| {
        if request.is(method, path) {
            for (name, value) in &mut request.query {
                if name == "site_id" && value == from {
                    *value = to.into();
                }
            }
        }
    })
}

const UNKNOWN_SITE: &str = "987654321";

/// A target that judges tokens by a clock of its own: the proxy follows the mock's frozen clock
/// (the newest `iat` seen is the mock's now, since its clock is frozen; every `clock/advance`
/// moves it) and
/// `f(now, request, response)` rewrites the answer.
fn with_clock(f: fn(i64, &ProxyRequest, &mut ProxyResponse)) -> Mutation {
    let now: Arc<Mutex<i64>> = Arc::default();
    let seen = now.clone();
    Mutation {
        after: Some(Arc::new(
            move |request: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                let mut now = seen.lock().unwrap();
                f(*now, request, r);
                if let Some(iat) = r
                    .data()
                    .and_then(|d| d.get("auth_token"))
                    .and_then(Value::as_str)
                    .and_then(|t| jwt_part(t, 1))
                    .and_then(|c| c["iat"].as_i64())
                {
                    // Echoed tokens (POST /customer) are older: the newest iat is the clock.
                    *now = (*now).max(iat);
                }
            },
        )),
        control: Some(Arc::new(move |request: &mut ProxyRequest| {
            if request.is("POST", "/__control/clock/advance")
                && let Some(seconds) = request
                    .body
                    .as_ref()
                    .and_then(|b| b.get("seconds"))
                    .and_then(Value::as_i64)
            {
                *now.lock().unwrap() += seconds;
            }
        })),
        ..Mutation::none()
    }
}

/// The `exp` of the request's bearer token.
fn bearer_exp(request: &ProxyRequest) -> Option<i64> {
    bearer_of(request)
        .and_then(|t| jwt_part(&t, 1))
        .and_then(|c| c["exp"].as_i64())
}

pub fn deviations() -> Vec<Deviation> {
    vec![
        // Status codes of each documented answer.
        deviation(
            "register answers 201",
            "REG-OK",
            on("POST", "/auth/register", |r| {
                if r.status == 200 {
                    r.status = 201
                }
            }),
        ),
        deviation(
            "invalid credentials answer 401",
            "LOGIN-BAD",
            on("POST", "/auth/login", |r| {
                if r.status == 404 {
                    r.status = 401
                }
            }),
        ),
        deviation(
            "no token answers 403",
            "ERR-401",
            everywhere(|r| {
                if r.status == 401 {
                    r.status = 403
                }
            }),
        ),
        deviation(
            "a blacklisted token answers 401",
            "LOGOUT-BLACKLIST",
            everywhere(|r| {
                if r.status == 403 && r.raw_body.windows(11).any(|w| w == b"blacklisted") {
                    r.status = 401
                }
            }),
        ),
        deviation(
            "validation errors answer 422",
            "ERR-400",
            everywhere(|r| {
                if r.status == 400 {
                    r.status = 422
                }
            }),
        ),
        deviation(
            "an unknown plan answers 200",
            "PLAN",
            on("GET", "/plan", |r| {
                if r.status == 404 {
                    r.status = 200;
                    r.body = Some(json!({"error": false, "data": null}))
                }
            }),
        ),
        deviation(
            "a missing site_id is accepted",
            "SITE-ID",
            Mutation::before(|request: &mut ProxyRequest| {
                let in_body = request
                    .body
                    .as_ref()
                    .is_some_and(|b| b.get("site_id").is_some());
                if !request.has_query("site_id") && !in_body {
                    request.query.push(("site_id".into(), "1".into()))
                }
            }),
        ),
        // Shapes.
        deviation(
            "the Customer lacks email",
            "CUST-GET",
            everywhere(|r| {
                if let Some(d) = r.data() {
                    d.remove("email");
                }
            }),
        ),
        deviation(
            "the customer id is a string",
            "REG-OK",
            everywhere(|r| {
                if let Some(d) = r.data()
                    && let Some(id) = d.get("id").and_then(Value::as_u64)
                    && d.contains_key("email")
                {
                    d.insert("id".into(), json!(id.to_string()));
                }
            }),
        ),
        deviation(
            "the success envelope says ok",
            "GEN-OK",
            everywhere(|r| {
                if let Some(Value::Object(b)) = &mut r.body
                    && b.get("status") == Some(&json!("success"))
                {
                    b.insert("status".into(), json!("ok"));
                }
            }),
        ),
        deviation(
            "application errors lose their status",
            "ERR-APP",
            everywhere(|r| {
                if let Some(e) = r
                    .body
                    .as_mut()
                    .and_then(|b| b.get_mut("error"))
                    .and_then(Value::as_object_mut)
                {
                    e.remove("status");
                }
            }),
        ),
        deviation(
            "validation errors are flat strings",
            "ERR-400",
            everywhere(|r| {
                if let Some(Value::Object(errors)) =
                    r.body.as_mut().and_then(|b| b.get_mut("errors"))
                {
                    for v in errors.values_mut() {
                        if let Some(first) = v.get(0).cloned() {
                            *v = first;
                        }
                    }
                }
            }),
        ),
        deviation(
            "responses are text/html",
            "GEN-JSON",
            everywhere(|r| r.set_header("content-type", "text/html")),
        ),
        deviation(
            "token and auth_token differ",
            "REG-OK",
            everywhere(|r| {
                if let Some(d) = r.data()
                    && d.get("token").is_some_and(Value::is_string)
                {
                    d.insert("token".into(), json!("not-a-jwt"));
                }
            }),
        ),
        deviation(
            "500s carry no report_id",
            "ERR-500",
            everywhere(|r| {
                if r.status == 500
                    && let Some(e) = r
                        .body
                        .as_mut()
                        .and_then(|b| b.get_mut("error"))
                        .and_then(Value::as_object_mut)
                {
                    e.insert("report_id".into(), Value::Null);
                }
            }),
        ),
        deviation(
            "the Site lacks default_currency",
            "SITE",
            on("GET", "/site", |r| {
                if let Some(d) = r.data() {
                    d.remove("default_currency");
                }
            }),
        ),
        deviation(
            "the country code is lower case",
            "GEO",
            on("GET", "/geo/country", |r| {
                if let Some(d) = r.data()
                    && let Some(c) = d
                        .get("country_code")
                        .and_then(Value::as_str)
                        .map(str::to_lowercase)
                {
                    d.insert("country_code".into(), json!(c));
                }
            }),
        ),
        deviation(
            "the IdP profile is not in metadata",
            "IDP-LOGIN",
            on("POST", "/auth/idp/login", |r| {
                if let Some(d) = r.data() {
                    d.insert("metadata".into(), json!({}));
                }
            }),
        ),
        deviation(
            "logout returns the token",
            "LOGOUT",
            Mutation::after(
                |request: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    let bearer = request
                        .headers
                        .iter()
                        .find(|(n, _)| n == "authorization")
                        .map(|(_, v)| v.trim_start_matches("Bearer ").to_string());
                    if request.is("POST", "/auth/logout")
                        && let (Some(d), Some(t)) = (r.data(), bearer)
                    {
                        d.insert("auth_token".into(), json!(t));
                    }
                },
            ),
        ),
        // Semantics.
        deviation(
            "a duplicate email is accepted",
            "REG-EMAIL-UNIQUE",
            on("POST", "/auth/register", |r| {
                if validation_error_contains(r, "email", "already been taken") {
                    r.status = 200;
                    r.body = Some(customer_stub());
                }
            }),
        ),
        deviation(
            "a too-short password is accepted",
            "REG-PASSWORD",
            on("POST", "/auth/register", |r| {
                if validation_error_contains(r, "password", "at least") {
                    r.status = 200;
                    r.body = Some(customer_stub());
                }
            }),
        ),
        deviation(
            "a token survives logout",
            "LOGOUT-BLACKLIST",
            reroute("POST", "/auth/logout", "POST", "/customer").and_after(
                |original: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    if original.is("POST", "/auth/logout")
                        && let Some(d) = r.data()
                    {
                        d.insert("auth_token".into(), Value::Null);
                        d.insert("token".into(), Value::Null);
                    }
                },
            ),
        ),
        deviation(
            "an update does not persist",
            "CUST-UPDATE",
            reroute("PUT", "/customer", "POST", "/customer").and_after(
                |original: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    if original.is("PUT", "/customer")
                        && let (Some(Value::Object(sent)), Some(d)) =
                            (original.body.clone(), r.data())
                    {
                        for (k, v) in sent {
                            if k != "site_id" {
                                d.insert(k, v);
                            }
                        }
                    }
                },
            ),
        ),
        deviation(
            "refresh hands back the same token",
            "TOKEN-REFRESH",
            reroute("POST", "/customer/refresh", "POST", "/customer"),
        ),
        deviation(
            "Retry-After is a lie (the throttle holds past it)",
            "PWL-THROTTLE",
            everywhere(|r| {
                if r.status == 429 {
                    r.set_header("retry-after", "1")
                }
            }),
        ),
        deviation(
            "the second site of the account refuses the customer",
            "MULTI-SITE",
            Mutation::before(|request: &mut ProxyRequest| {
                if request.is("POST", "/auth/login")
                    && request
                        .query
                        .iter()
                        .any(|(n, v)| n == "site_id" && v != "1")
                {
                    request.body =
                        Some(json!({"email": "nobody@example.com", "password": "wrong-password"}));
                }
            }),
        ),
        // Site settings that differ from the profile the harness expects.
        deviation(
            "no lockout",
            "LOCKOUT",
            Mutation::pin_site(json!({"lockout": {"attempts": 1000}})),
        ),
        deviation(
            "lockout too early",
            "LOCKOUT",
            Mutation::pin_site(json!({"lockout": {"attempts": 5}})),
        ),
        deviation(
            "the lock never lifts in time",
            "LOCKOUT-EXPIRES",
            Mutation::pin_site(json!({"lockout": {"window_seconds": 86400}})),
        ),
        deviation(
            "lockout answers 429",
            "LOCKOUT",
            Mutation::pin_site(json!({"lockout": {"status": 429}})),
        ),
        deviation(
            "a 14-day token lifetime",
            "TOKEN-TTL",
            Mutation::pin_site(json!({"auth_token_ttl_days": 14})),
        ),
        deviation(
            "a year-long token lifetime",
            "TOKEN-EXPIRED",
            Mutation::pin_site(json!({"auth_token_ttl_days": 365})),
        ),
        deviation(
            "invalid tokens answer 401",
            "TOKEN-BEARER",
            Mutation::pin_site(json!({"invalid_token_status": 401})),
        ),
        // (A 429 without Retry-After is no deviation: the documents say nothing of the header, and
        // the harness outwaits such a throttle with its own backoff; tests/tolerances.rs.)
        deviation(
            "the passwordless throttle never lifts (a month-long window)",
            "PWL-THROTTLE",
            Mutation::pin_site(json!({"passwordless_throttle": {"window_seconds": 30 * 86400}})),
        ),
        deviation(
            "no passwordless throttle",
            "PWL-THROTTLE",
            Mutation::pin_site(json!({"passwordless_throttle": {"requests": 1000}})),
        ),
        deviation(
            "passwordless disabled",
            "PWL-REQUEST",
            Mutation::pin_site(json!({"passwordless_enabled": false})),
        ),
        // Edges: bounds on both sides.
        deviation(
            "lockout one failure late (N+1)",
            "LOCKOUT",
            Mutation::pin_site(json!({"lockout": {"attempts": ATTEMPTS + 1}})),
        ),
        deviation(
            "lockout one failure early (N-1)",
            "LOCKOUT",
            Mutation::pin_site(json!({"lockout": {"attempts": ATTEMPTS - 1}})),
        ),
        deviation(
            "failures spread across the window are not counted together (a 60 s window)",
            "LOCKOUT",
            Mutation::pin_site(json!({"lockout": {"window_seconds": 60}})),
        ),
        deviation(
            "failures spread wider than the window still lock (an hour's window)",
            "LOCKOUT",
            Mutation::pin_site(json!({"lockout": {"window_seconds": 3600}})),
        ),
        deviation(
            "a 5-character password is accepted",
            "REG-PASSWORD",
            accepts_refused_field("POST", "/auth/register", "password", |q| {
                str_len(q, "password") == Some(5)
            }),
        ),
        deviation(
            "a 6-character password is refused",
            "REG-PASSWORD",
            refuses_field("POST", "/auth/register", "password", |q| {
                str_len(q, "password") == Some(6)
            }),
        ),
        deviation(
            "a 101-character display name is accepted on register",
            "REG-FIELDS",
            accepts_refused_field("POST", "/auth/register", "display_name", |q| {
                str_len(q, "display_name") == Some(101)
            }),
        ),
        deviation(
            "a 100-character display name is refused on register",
            "REG-FIELDS",
            refuses_field("POST", "/auth/register", "display_name", |q| {
                str_len(q, "display_name") == Some(100)
            }),
        ),
        deviation(
            "a 101-character username is accepted on register",
            "REG-FIELDS",
            accepts_refused_field("POST", "/auth/register", "username", |q| {
                str_len(q, "username") == Some(101)
            }),
        ),
        deviation(
            "a 100-character username is refused on register",
            "REG-FIELDS",
            refuses_field("POST", "/auth/register", "username", |q| {
                str_len(q, "username") == Some(100)
            }),
        ),
        deviation(
            "a three-letter language is accepted on register",
            "REG-FIELDS",
            accepts_refused_field("POST", "/auth/register", "language", |q| {
                str_len(q, "language") == Some(3)
            }),
        ),
        // Edges: the same rule on every endpoint it covers.
        deviation(
            "a 101-character display name is accepted on PUT /customer",
            "REG-FIELDS",
            accepts_refused_field("PUT", "/customer", "display_name", |q| {
                str_len(q, "display_name") == Some(101)
            }),
        ),
        deviation(
            "a 101-character username is accepted on PUT /customer",
            "REG-FIELDS",
            accepts_refused_field("PUT", "/customer", "username", |q| {
                str_len(q, "username") == Some(101)
            }),
        ),
        deviation(
            "a three-letter language is accepted on PUT /customer",
            "REG-FIELDS",
            accepts_refused_field("PUT", "/customer", "language", |_| true),
        ),
        deviation(
            "another customer's username is accepted on PUT /customer",
            "REG-FIELDS",
            accepts_refused_field("PUT", "/customer", "username", |q| {
                str_len(q, "username").is_some_and(|n| n <= 100)
                    && body_str(q, "username").is_some_and(|u| !u.contains(' '))
            }),
        ),
        deviation(
            "a duplicate email is accepted on PUT /customer",
            "REG-EMAIL-UNIQUE",
            accepts_refused_field("PUT", "/customer", "email", |_| true),
        ),
        deviation(
            "an email taken with its domain in another case is accepted on register",
            "REG-EMAIL-UNIQUE",
            accepts_refused_field("POST", "/auth/register", "email", |q| {
                body_str(q, "email").is_some_and(|e| e.chars().any(|c| c.is_ascii_uppercase()))
            }),
        ),
        deviation(
            "PUT /customer accepts a logged-out token",
            "LOGOUT-BLACKLIST",
            accepts_refused_token("PUT", "/customer", "blacklisted"),
        ),
        deviation(
            "refresh accepts a logged-out token",
            "LOGOUT-BLACKLIST",
            accepts_refused_token("POST", "/customer/refresh", "blacklisted"),
        ),
        deviation(
            "password update accepts a logged-out token",
            "LOGOUT-BLACKLIST",
            accepts_refused_token("POST", "/password/update", "blacklisted"),
        ),
        deviation(
            "logout accepts a logged-out token",
            "LOGOUT-BLACKLIST",
            accepts_refused_token("POST", "/auth/logout", "blacklisted"),
        ),
        deviation(
            "PUT /customer accepts an expired token",
            "TOKEN-EXPIRED",
            accepts_refused_token("PUT", "/customer", "expired"),
        ),
        deviation(
            "password update accepts an expired token",
            "TOKEN-EXPIRED",
            accepts_refused_token("POST", "/password/update", "expired"),
        ),
        deviation(
            "logout accepts an expired token",
            "TOKEN-EXPIRED",
            accepts_refused_token("POST", "/auth/logout", "expired"),
        ),
        deviation(
            "POST /customer accepts alg none",
            "TOKEN-BEARER",
            accepts_token_when(Some(("POST", "/customer")), |t| {
                jwt_part(t, 0).is_some_and(|h| h["alg"] == "none")
            }),
        ),
        deviation(
            "refresh accepts alg none",
            "TOKEN-BEARER",
            accepts_token_when(Some(("POST", "/customer/refresh")), |t| {
                jwt_part(t, 0).is_some_and(|h| h["alg"] == "none")
            }),
        ),
        deviation(
            "every endpoint accepts alg none",
            "TOKEN-BEARER",
            accepts_token_when(None, |t| jwt_part(t, 0).is_some_and(|h| h["alg"] == "none")),
        ),
        deviation(
            "PUT /customer accepts an edited payload",
            "TOKEN-BEARER",
            accepts_token_when(Some(("PUT", "/customer")), |t| {
                jwt_part(t, 1).is_some_and(|c| {
                    c["exp"].as_i64().unwrap_or(0) - c["iat"].as_i64().unwrap_or(0) > 365 * 86_400
                })
            }),
        ),
        deviation(
            "logout accepts an edited payload",
            "TOKEN-BEARER",
            accepts_token_when(Some(("POST", "/auth/logout")), |t| {
                jwt_part(t, 1).is_some_and(|c| {
                    c["exp"].as_i64().unwrap_or(0) - c["iat"].as_i64().unwrap_or(0) > 365 * 86_400
                })
            }),
        ),
        deviation(
            "password update accepts a wrong signature",
            "TOKEN-BEARER",
            wrong_signature_accepted("POST", "/password/update"),
        ),
        deviation(
            "GET /customer accepts a wrong signature",
            "TOKEN-BEARER",
            wrong_signature_accepted("GET", "/customer"),
        ),
        deviation(
            "refresh serves a request without a token",
            "ERR-401",
            on("POST", "/customer/refresh", |r| {
                if r.status == 401 {
                    stub_ok(r)
                }
            }),
        ),
        deviation(
            "no token on PUT /customer answers 403",
            "ERR-401",
            on("PUT", "/customer", |r| {
                if r.status == 401 {
                    r.status = 403;
                    r.body =
                        Some(json!({"error": {"status": 403, "message": "Token not provided"}}));
                }
            }),
        ),
        deviation(
            "no token on password update answers 400",
            "ERR-401",
            on("POST", "/password/update", |r| {
                if r.status == 401 {
                    r.status = 400;
                    r.body = Some(json!({"errors": {"token": ["Token not provided"]}}));
                }
            }),
        ),
        deviation(
            "a token is still accepted at exactly exp",
            "TOKEN-EXPIRED",
            with_clock(|now, q, r| {
                if (r.status == 401 || r.status == 403)
                    && r.raw_body.windows(7).any(|w| w == b"expired")
                    && bearer_exp(q) == Some(now)
                {
                    stub_ok(r);
                }
            }),
        ),
        deviation(
            "refresh refuses a token in its last second",
            "TOKEN-REFRESH",
            with_clock(|now, q, r| {
                if q.is("POST", "/customer/refresh")
                    && r.status == 200
                    && bearer_exp(q).is_some_and(|exp| exp - now <= 1)
                {
                    r.status = 403;
                    r.body = Some(json!({"error": {"status": 403,
                        "message": "Authentication token has expired, please try again"}}));
                }
            }),
        ),
        deviation(
            "site_id in the body is ignored on refresh",
            "GEN-BASE",
            drops_body_site_id("POST", "/customer/refresh"),
        ),
        deviation(
            "site_id in the body is ignored on PUT /customer",
            "GEN-BASE",
            drops_body_site_id("PUT", "/customer"),
        ),
        deviation(
            "site_id in the body is ignored on password update",
            "GEN-BASE",
            drops_body_site_id("POST", "/password/update"),
        ),
        deviation(
            "site_id in the body is ignored on POST /plan",
            "GEN-BASE",
            drops_body_site_id("POST", "/plan"),
        ),
        deviation(
            "site_id in the body is ignored on logout",
            "GEN-BASE",
            drops_body_site_id("POST", "/auth/logout"),
        ),
        deviation(
            "site_id in the body is ignored on password forgot",
            "GEN-BASE",
            drops_body_site_id("POST", "/password/forgot"),
        ),
        deviation(
            "an unknown site_id is accepted on POST only",
            "SITE-ID",
            Mutation::before(|request: &mut ProxyRequest| {
                if request.method == "POST" {
                    for (name, value) in &mut request.query {
                        if name == "site_id" && value == UNKNOWN_SITE {
                            *value = "1".into();
                        }
                    }
                }
            }),
        ),
        deviation(
            "an unknown site_id in the body is accepted",
            "SITE-ID",
            Mutation::before(|request: &mut ProxyRequest| {
                if let Some(Value::Object(body)) = &mut request.body
                    && body.get("site_id") == Some(&json!(987654321))
                {
                    body.insert("site_id".into(), json!(1));
                }
            }),
        ),
        deviation(
            "an unknown site_id is accepted on GET /plan",
            "SITE-ID",
            site_swap("GET", "/plan", UNKNOWN_SITE, "1"),
        ),
        deviation(
            "a missing site_id is accepted on refresh",
            "SITE-ID",
            Mutation::before(|request: &mut ProxyRequest| {
                let in_body = request
                    .body
                    .as_ref()
                    .is_some_and(|b| b.get("site_id").is_some());
                if request.is("POST", "/customer/refresh")
                    && !request.has_query("site_id")
                    && !in_body
                {
                    request.query.push(("site_id".into(), "1".into()))
                }
            }),
        ),
        // Edges: every identity of the account.
        deviation(
            "lockout counts only attempts by email",
            "LOCKOUT",
            lockout_keyed(|q| body_str(q, "email").map(|e| e.to_lowercase())),
        ),
        deviation(
            "lockout is case-sensitive about the email",
            "LOCKOUT",
            lockout_keyed(|q| body_str(q, "email").or_else(|| body_str(q, "username"))),
        ),
        deviation(
            "lockout is per site, not per account",
            "LOCKOUT",
            lockout_keyed(|q| {
                body_str(q, "email")
                    .or_else(|| body_str(q, "username"))
                    .map(|id| format!("{}:{}", site_of(q), id.to_lowercase()))
            }),
        ),
        deviation(
            "the right password gets through a lock",
            "LOCKOUT-CORRECT",
            right_password_passes_lock(),
        ),
        deviation(
            "the lockout answer names the password field",
            "LOCKOUT",
            on("POST", "/auth/login", |r| {
                if is_lockout(r) {
                    r.body = Some(
                        json!({"errors": {"password": ["Too many login attempts. Please try again later."]}}),
                    );
                }
            }),
        ),
        deviation(
            "lockout answers 403",
            "LOCKOUT",
            on("POST", "/auth/login", |r| {
                if is_lockout(r) {
                    r.status = 403;
                }
            }),
        ),
        deviation(
            "a wrong password by username answers 401",
            "LOGIN-BAD",
            Mutation::after(
                |q: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    if q.is("POST", "/auth/login")
                        && body_str(q, "email").is_none()
                        && r.status == 404
                    {
                        r.status = 401;
                    }
                },
            ),
        ),
        deviation(
            "an unknown username is told apart",
            "LOGIN-BAD",
            unknown_username_told_apart(),
        ),
        deviation(
            "a wrong password on another site of the account answers 403",
            "LOGIN-BAD",
            Mutation::after(
                |q: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    if q.is("POST", "/auth/login") && site_of(q) != "1" && r.status == 404 {
                        r.status = 403;
                        r.body = Some(
                            json!({"error": {"report_id": null, "status": 403, "message": "Invalid credentials! Please try again."}}),
                        );
                    }
                },
            ),
        ),
        deviation(
            "invalid credentials are worded otherwise for an upper-case email",
            "LOGIN-BAD",
            Mutation::after(
                |q: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    if q.is("POST", "/auth/login")
                        && body_str(q, "email")
                            .is_some_and(|e| e.chars().any(|c| c.is_ascii_uppercase()))
                        && r.status == 404
                    {
                        r.body = Some(
                            json!({"error": {"report_id": null, "status": 404, "message": "Invalid email or password."}}),
                        );
                    }
                },
            ),
        ),
        deviation(
            "login with the email's domain in another case is refused",
            "LOGIN-OK",
            Mutation::after(
                |q: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
                    if q.is("POST", "/auth/login")
                        && body_str(q, "email")
                            .is_some_and(|e| e.chars().any(|c| c.is_ascii_uppercase()))
                        && r.status == 200
                    {
                        invalid_credentials(r);
                    }
                },
            ),
        ),
        // Edges: the content of what is echoed.
        deviation(
            "register echoes a different last_name",
            "REG-FIELDS",
            on("POST", "/auth/register", |r| {
                if let Some(d) = r.data()
                    && let Some(name) = d
                        .get("last_name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                {
                    d.insert("last_name".into(), json!(format!("{name}e")));
                }
            }),
        ),
        deviation(
            "register drops a nested metadata key",
            "REG-FIELDS",
            on("POST", "/auth/register", |r| {
                if let Some(d) = r.data()
                    && let Some(Value::Object(m)) = d.get_mut("metadata")
                {
                    m.remove("nested");
                }
            }),
        ),
        deviation(
            "the phone comes back without its spaces",
            "REG-FIELDS",
            everywhere(|r| {
                if let Some(d) = r.data()
                    && let Some(phone) = d
                        .get("phone")
                        .and_then(Value::as_str)
                        .map(|p| p.replace(' ', ""))
                {
                    d.insert("phone".into(), json!(phone));
                }
            }),
        ),
        deviation(
            "PUT /customer echoes a different first_name",
            "CUST-UPDATE",
            on("PUT", "/customer", |r| {
                if let Some(d) = r.data()
                    && let Some(name) = d
                        .get("first_name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                {
                    d.insert("first_name".into(), json!(format!("{name}y")));
                }
            }),
        ),
        deviation(
            "a partial update clears the phone",
            "CUST-UPDATE",
            Mutation::before(|request: &mut ProxyRequest| {
                if request.is("PUT", "/customer")
                    && let Some(Value::Object(body)) = &mut request.body
                {
                    body.entry("phone").or_insert(Value::Null);
                }
            }),
        ),
        deviation(
            "PUT /customer ignores last_name",
            "CUST-UPDATE",
            Mutation::before(|request: &mut ProxyRequest| {
                if request.is("PUT", "/customer")
                    && let Some(Value::Object(body)) = &mut request.body
                {
                    body.remove("last_name");
                }
            }),
        ),
        // Edges: the JWT against the facts.
        deviation(
            "sub names another customer",
            "TOKEN-JWT",
            edit_all_tokens(|c| {
                if let Some(sub) = c
                    .get("sub")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    c.insert("sub".into(), json!((sub + 1).to_string()));
                }
            }),
        ),
        deviation(
            "sub is a number",
            "TOKEN-JWT",
            edit_all_tokens(|c| {
                if let Some(sub) = c
                    .get("sub")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    c.insert("sub".into(), json!(sub));
                }
            }),
        ),
        deviation(
            "iat is an hour early",
            "TOKEN-JWT",
            edit_all_tokens(|c| {
                for claim in ["iat", "nbf", "exp"] {
                    if let Some(t) = c.get(claim).and_then(Value::as_i64) {
                        c.insert(claim.into(), json!(t - 3600));
                    }
                }
            }),
        ),
        deviation(
            "nbf is an hour in the future",
            "TOKEN-JWT",
            edit_all_tokens(|c| {
                if let Some(t) = c.get("nbf").and_then(Value::as_i64) {
                    c.insert("nbf".into(), json!(t + 3600));
                }
            }),
        ),
        deviation(
            "every token has the same jti",
            "TOKEN-JWT",
            edit_all_tokens(|c| {
                c.insert("jti".into(), json!("the-one-jti"));
            }),
        ),
        deviation(
            "iss is a fixed value",
            "TOKEN-JWT",
            edit_all_tokens(|c| {
                c.insert("iss".into(), json!("https://www.pelcro.com"));
            }),
        ),
        deviation(
            "refresh's token names another customer",
            "TOKEN-JWT",
            edit_tokens("POST", "/customer/refresh", |c| {
                c.insert("sub".into(), json!("1"));
            }),
        ),
        deviation(
            "a site's auth_token_ttl_days is ignored",
            "TOKEN-TTL",
            on_control(|request: &mut ProxyRequest| {
                if request.method == "PUT"
                    && request.path.starts_with("/__control/sites/79")
                    && let Some(Value::Object(body)) = &mut request.body
                {
                    body.remove("auth_token_ttl_days");
                }
            }),
        ),
        deviation(
            "a 365-day setting gives 364 days",
            "TOKEN-TTL",
            on_control(|request: &mut ProxyRequest| {
                if let Some(Value::Object(body)) = &mut request.body
                    && body.get("auth_token_ttl_days") == Some(&json!(365))
                {
                    body.insert("auth_token_ttl_days".into(), json!(364));
                }
            }),
        ),
        deviation(
            "a 1-day setting gives 2 days",
            "TOKEN-TTL",
            on_control(|request: &mut ProxyRequest| {
                if let Some(Value::Object(body)) = &mut request.body
                    && body.get("auth_token_ttl_days") == Some(&json!(1))
                {
                    body.insert("auth_token_ttl_days".into(), json!(2));
                }
            }),
        ),
        // Edges: plans scoped to the site, exact matches.
        deviation(
            "a plan of another site of the same account is returned",
            "PLAN",
            Mutation::before(|request: &mut ProxyRequest| {
                if request.path != "/plan" {
                    return;
                }
                let plan = request
                    .query
                    .iter()
                    .find(|(n, _)| n == "plan_id")
                    .and_then(|(_, v)| v.parse::<u64>().ok())
                    .or_else(|| {
                        request
                            .body
                            .as_ref()
                            .and_then(|b| b.get("plan_id"))
                            .and_then(Value::as_u64)
                    });
                if let Some(plan) = plan.filter(|p| (7_900_000..8_000_000).contains(p)) {
                    let owner = (plan / 1000).to_string();
                    request.query.retain(|(n, _)| n != "site_id");
                    request.query.push(("site_id".into(), owner));
                }
            }),
        ),
        deviation(
            "the IP authorization answers with a sibling site's plans",
            "PLAN-IP",
            site_swap("GET", "/plan/ip/authorization", "7921", "7922"),
        ),
        deviation(
            "the domain authorization answers with a sibling site's plans",
            "PLAN-DOMAIN",
            site_swap("GET", "/plan/domain/authorization", "7921", "7922"),
        ),
        deviation(
            "an email domain matches as a suffix",
            "PLAN-DOMAIN",
            domain_query(|d| {
                (d.ends_with("example.com") && d != "example.com").then(|| "example.com".into())
            }),
        ),
        deviation(
            "an email domain matches as a prefix",
            "PLAN-DOMAIN",
            domain_query(|d| {
                (d.starts_with("example.com") && d != "example.com").then(|| "example.com".into())
            }),
        ),
        deviation(
            "an email domain matches as a substring",
            "PLAN-DOMAIN",
            domain_query(|d| {
                (d.contains("example.co") && d != "example.com").then(|| "example.com".into())
            }),
        ),
        deviation(
            "the address one past a range matches",
            "PLAN-IP",
            seeded_ranges("127.0.0.0/32", "127.0.0.0/31"),
        ),
        deviation(
            "the address one before a range matches",
            "PLAN-IP",
            seeded_ranges("127.0.0.2/31", "127.0.0.0/30"),
        ),
        deviation(
            "the last address of a range does not match",
            "PLAN-IP",
            seeded_ranges("127.0.0.0/31", "127.0.0.0/32"),
        ),
        deviation(
            "a one-address range does not match its address",
            "PLAN-IP",
            seeded_ranges("127.0.0.1/32", "127.0.0.2/32"),
        ),
    ]
}

/// The right password is let through a lock: the target remembers the passwords registered.
fn right_password_passes_lock() -> Mutation {
    let passwords: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    Mutation::after(
        move |q: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
            let (Some(email), Some(password)) = (body_str(q, "email"), body_str(q, "password"))
            else {
                return;
            };
            let mut passwords = passwords.lock().unwrap();
            if q.is("POST", "/auth/register") && r.status == 200 {
                passwords.insert(email.to_lowercase(), password);
            } else if q.is("POST", "/auth/login")
                && is_lockout(r)
                && passwords.get(&email.to_lowercase()) == Some(&password)
            {
                stub_ok(r);
            }
        },
    )
}

/// An unknown username gets its own answer (account enumeration by username).
fn unknown_username_told_apart() -> Mutation {
    let usernames: Arc<Mutex<HashSet<String>>> = Arc::default();
    Mutation::after(
        move |q: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
            let Some(username) = body_str(q, "username") else {
                return;
            };
            let mut usernames = usernames.lock().unwrap();
            if (q.is("POST", "/auth/register") || q.is("PUT", "/customer")) && r.status == 200 {
                usernames.insert(username.to_lowercase());
            } else if q.is("POST", "/auth/login")
                && body_str(q, "email").is_none()
                && r.status == 404
                && !usernames.contains(&username.to_lowercase())
            {
                r.status = 400;
                r.body = Some(json!({"errors": {"username": ["No customer has this username."]}}));
            }
        },
    )
}

/// One endpoint accepts a token whose header and payload it issued, whatever the signature.
fn wrong_signature_accepted(method: &'static str, path: &'static str) -> Mutation {
    let issued: Arc<Mutex<HashSet<String>>> = Arc::default();
    Mutation::after(
        move |q: &ProxyRequest, _: &ProxyRequest, r: &mut ProxyResponse| {
            let mut issued = issued.lock().unwrap();
            if q.is(method, path)
                && (r.status == 401 || r.status == 403)
                && let Some(token) = bearer_of(q)
                && let Some((signed, _)) = token.rsplit_once('.')
                && issued.contains(signed)
            {
                stub_ok(r);
                return;
            }
            if let Some(d) = r.data()
                && let Some(token) = d.get("auth_token").and_then(Value::as_str)
                && let Some((signed, _)) = token.rsplit_once('.')
            {
                issued.insert(signed.to_string());
            }
        },
    )
}
