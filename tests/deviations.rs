//! Proof that the checks bite: the full built-in suite set is run against targets that each
//! deviate from the contract in one named way, and every deviation must fail the run on the claim
//! it breaks. A harness that passes everything is worthless; this file measures the kill rate.

mod common;

use common::proxy::{DeviatingTarget, Mutation, ProxyRequest, ProxyResponse};
use pelcro_conformance::app::{RunOptions, execute, load_profile};
use pelcro_conformance::mock::MockConfig;
use pelcro_conformance::profile::SiteProfile;
use pelcro_conformance::report::{RunReport, SuiteOutcome};
use pelcro_conformance::schemas::SchemaSet;
use pelcro_conformance::suite::{LoadContext, load};
use pelcro_conformance::target::TargetSpec;
use serde_json::{Value, json};

/// One way a target can deviate, and the claim whose suites must catch it.
struct Deviation {
    name: &'static str,
    claim: &'static str,
    mutation: Mutation,
}

fn deviation(name: &'static str, claim: &'static str, mutation: Mutation) -> Deviation {
    Deviation {
        name,
        claim,
        mutation,
    }
}

/// Rewrites the answer to one endpoint.
fn on(
    method: &'static str,
    path: &'static str,
    f: impl Fn(&mut ProxyResponse) + Send + Sync + 'static,
) -> Mutation {
    Mutation::after(
        move |request: &ProxyRequest, _: &ProxyRequest, response: &mut ProxyResponse| {
            if request.is(method, path) {
                f(response);
            }
        },
    )
}

/// Rewrites every answer.
fn everywhere(f: impl Fn(&mut ProxyResponse) + Send + Sync + 'static) -> Mutation {
    Mutation::after(
        move |_: &ProxyRequest, _: &ProxyRequest, response: &mut ProxyResponse| f(response),
    )
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

fn deviations() -> Vec<Deviation> {
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
    ]
}

async fn run_against(base_url: &str, profile: SiteProfile) -> RunReport {
    let schemas = SchemaSet::embedded().unwrap();
    let profile_json = profile.to_json();
    let ctx = LoadContext {
        schemas: &schemas,
        profile: &profile_json,
        live: false,
    };
    let suites =
        load::load_all(&load::embedded_sources(), &ctx).unwrap_or_else(|e| panic!("{e:?}"));
    let options = RunOptions::new(TargetSpec::parse(base_url).unwrap(), profile, schemas);
    execute(options, suites)
        .await
        .unwrap_or_else(|e| panic!("{:?}", e.messages))
        .report
}

fn failing_claims(report: &RunReport) -> Vec<String> {
    let mut claims: Vec<String> = report
        .suites
        .iter()
        .filter(|s| s.outcome == SuiteOutcome::Failed)
        .flat_map(|s| s.claims.clone())
        .collect();
    claims.sort();
    claims.dedup();
    claims
}

#[tokio::test]
async fn the_unmodified_proxy_passes() {
    let (profile, _) = load_profile(None).unwrap();
    let target = DeviatingTarget::start(
        MockConfig {
            profile: profile.clone(),
            ..MockConfig::default()
        },
        Mutation::none(),
    )
    .await;
    let report = run_against(&target.base_url, profile).await;
    assert!(
        report.passed(),
        "failing claims: {:?}",
        failing_claims(&report)
    );
}

#[tokio::test]
async fn every_deviation_is_caught_on_its_claim() {
    let (profile, _) = load_profile(None).unwrap();
    let all = deviations();
    let total = all.len();
    let mut runs = tokio::task::JoinSet::new();
    for deviation in all {
        let profile = profile.clone();
        runs.spawn(async move {
            let target = DeviatingTarget::start(
                MockConfig {
                    profile: profile.clone(),
                    ..MockConfig::default()
                },
                deviation.mutation.clone(),
            )
            .await;
            let report = run_against(&target.base_url, profile).await;
            let claims = failing_claims(&report);
            (deviation.name, deviation.claim, claims)
        });
    }
    let mut missed = Vec::new();
    let mut lines = Vec::new();
    while let Some(joined) = runs.join_next().await {
        let (name, claim, claims) = joined.expect("a deviation run");
        let caught = claims.iter().any(|c| c == claim);
        lines.push(format!(
            "{} {name}: expected {claim} to fail; failing: {}",
            if caught { "killed" } else { "MISSED" },
            claims.join(", ")
        ));
        if !caught {
            missed.push(name);
        }
    }
    lines.sort();
    println!(
        "{}\nkill rate: {}/{total}",
        lines.join("\n"),
        total - missed.len()
    );
    assert!(total >= 25, "at least 25 distinct deviations");
    assert!(
        missed.is_empty(),
        "missed {} of {total}:\n{}",
        missed.len(),
        lines.join("\n")
    );
}
