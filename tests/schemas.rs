//! The schemas of `schemas/` against samples from the documents (valid) and deviations (invalid).
//!
//! Valid samples are the guide's examples (register response completed with the fields the public
//! notes list, error examples verbatim) and the shapes of `docs/wire.md`; long ones live in
//! `tests/fixtures/schemas/`. Each deviation names the keyword and instance path it must fail with.

use std::path::PathBuf;
use std::sync::OnceLock;

use pelcro_conformance::schemas::{SchemaSet, SchemaViolation};
use serde_json::{Value, json};

const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwczovL3d3dy5wZWxjcm8uY29tL2FwaS92MS9zZGsvYXV0aC9yZWdpc3RlciIsImlhdCI6MTc5NTk1NzIwMCwiZXhwIjoxODAxMTQxMjAwLCJuYmYiOjE3OTU5NTcyMDAsImp0aSI6ImhRM2tadDh2VzJ4WWI1blIiLCJzdWIiOiIxMDM5IiwicHJ2IjoiMjNiZDVjODk0OWY2MDBhZGIzOWU3MDFjNDAwODcyZGI3YTU5NzZmNyJ9._1O4gNpBzfI1IO4o-k7OTlsWpwprcbdAOg2rjc0TNl8";

/// The claim IDs of `spec/claims.md`.
const CLAIM_IDS: &[&str] = &[
    "GEN-BASE",
    "GEN-HTTPS",
    "GEN-JSON",
    "GEN-OK",
    "ERR-400",
    "ERR-APP",
    "ERR-401",
    "ERR-403",
    "ERR-404",
    "ERR-429",
    "ERR-500",
    "REG-OK",
    "REG-EMAIL-REQ",
    "REG-EMAIL-UNIQUE",
    "REG-PASSWORD",
    "REG-FIELDS",
    "LOGIN-OK",
    "LOGIN-ID-REQ",
    "LOGIN-BAD",
    "LOCKOUT",
    "LOCKOUT-CORRECT",
    "LOCKOUT-EXPIRES",
    "LOGOUT",
    "LOGOUT-BLACKLIST",
    "LOGOUT-NOAUTH",
    "IDP-LOGIN",
    "PWL-REQUEST",
    "PWL-THROTTLE",
    "PWL-LOGIN",
    "TOKEN-JWT",
    "TOKEN-TTL",
    "TOKEN-EXPIRED",
    "TOKEN-BEARER",
    "TOKEN-REFRESH",
    "TOKEN-SHARED",
    "SINGLE-USER",
    "MULTI-SITE",
    "CUST-GET",
    "CUST-UPDATE",
    "PASSWORD-FLOWS",
    "SITE",
    "PLAN",
    "PLAN-IP",
    "PLAN-DOMAIN",
    "GEO",
    "LOCATION",
    "SITE-ID",
];

/// Every schema the harness and the suites rely on.
const EXPECTED: &[&str] = &[
    "jwt",
    "timestamp",
    "customer",
    "customer-envelope",
    "customer-token-envelope",
    "customer-logout-envelope",
    "site",
    "site-envelope",
    "plan",
    "plan-envelope",
    "plan-list-envelope",
    "geo-envelope",
    "location-envelope",
    "message-envelope",
    "error-validation",
    "error-app",
    "error-401",
    "error-403",
    "error-auth",
    "error-429",
    "error-500",
];

fn set() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(|| SchemaSet::embedded().expect("the embedded schemas load"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Value {
    let path = root().join("tests/fixtures/schemas").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `value` with the JSON Pointer `pointer` set to `new` (the parent must exist).
fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = value
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match target {
        Value::Object(map) => {
            map.insert(key.to_owned(), new);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = new,
        _ => panic!("{parent} is not a container"),
    }
    value
}

/// `value` without the member at `pointer`.
fn without(mut value: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let removed = value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|map| map.shift_remove(key));
    assert!(removed.is_some(), "{pointer} was not there");
    value
}

#[track_caller]
fn assert_valid(schema: &str, instance: &Value) {
    if let Err(violations) = set().validate(schema, instance) {
        panic!("{schema} refused a valid sample: {violations:#?}\n{instance:#}");
    }
}

/// The instance fails `schema`, and one violation is `keyword` at `instance_path`.
#[track_caller]
fn assert_fails(schema: &str, instance: &Value, instance_path: &str, keyword: &str) {
    let violations = match set().validate(schema, instance) {
        Ok(()) => panic!("{schema} accepted an invalid sample:\n{instance:#}"),
        Err(v) => v,
    };
    assert!(
        violations
            .iter()
            .any(|v| v.instance_path == instance_path && v.keyword == keyword),
        "{schema}: expected `{keyword}` at `{instance_path}`, got {:#?}",
        violations
    );
    assert!(violations.iter().all(|v| !v.message.is_empty()));
}

fn violations(schema: &str, instance: &Value) -> Vec<SchemaViolation> {
    set().validate(schema, instance).err().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The set as a whole

/// Schemas of the harness's own outputs, not of Pelcro's answers: they cite no claims, and
/// tests/reports.rs validates real reports against them.
const HARNESS_SCHEMAS: &[&str] = &["run-report"];

#[test]
fn every_expected_schema_is_loaded() {
    for name in EXPECTED {
        assert!(set().contains(name), "{name} missing: {:?}", set().names());
    }
}

#[test]
fn every_schema_file_compiles_from_the_folder_too() {
    let from_dir = SchemaSet::from_dir(&root().join("schemas")).expect("schemas/ loads");
    assert_eq!(from_dir.names(), set().names());
    for name in from_dir.names() {
        // The two sets agree on a sample (same files, same compilation).
        assert_eq!(
            from_dir.validate(&name, &json!({"x": 1})).is_ok(),
            set().validate(&name, &json!({"x": 1})).is_ok(),
            "{name}"
        );
    }
}

#[test]
fn every_schema_file_declares_draft_id_and_cites_claims() {
    let dir = root().join("schemas");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        seen += 1;
        let file = path.file_name().unwrap().to_str().unwrap();
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        assert_eq!(
            schema["$id"],
            format!("https://pelcro-conformance.local/schemas/{file}"),
            "{file}"
        );
        let description = schema["description"].as_str().unwrap_or_default();
        if HARNESS_SCHEMAS.contains(&file.trim_end_matches(".json")) {
            continue;
        }
        assert!(
            description.contains("Claims: "),
            "{file}: the description cites no claim IDs"
        );
        let claims = description.rsplit("Claims: ").next().unwrap();
        let cited: Vec<&str> = claims
            .trim_end_matches('.')
            .split(", ")
            .map(|item| item.split(' ').next().unwrap())
            .collect();
        assert!(!cited.is_empty(), "{file}: no claim cited");
        for id in cited {
            assert!(
                CLAIM_IDS.contains(&id),
                "{file}: `{id}` is not a claim ID of spec/claims.md"
            );
        }
    }
    assert_eq!(seen, set().names().len());
}

/// Every schema has at least one valid sample here; a new schema without one fails this test.
#[test]
fn every_schema_accepts_a_sample_from_the_documents() {
    let register = fixture("register-response.json");
    let samples: Vec<(&str, Value)> = vec![
        ("jwt", json!(JWT)),
        ("timestamp", json!("2026-11-24T13:00:00.000000Z")),
        ("customer", register["data"].clone()),
        ("customer-envelope", register.clone()),
        ("customer-token-envelope", register.clone()),
        ("customer-logout-envelope", fixture("logout-response.json")),
        ("site", fixture("site-response.json")["data"].clone()),
        ("site-envelope", fixture("site-response.json")),
        ("plan", fixture("plan-response.json")["data"].clone()),
        ("plan-envelope", fixture("plan-response.json")),
        ("plan-list-envelope", fixture("plan-list-response.json")),
        ("geo-envelope", fixture("geo-response.json")),
        ("location-envelope", fixture("location-response.json")),
        (
            "message-envelope",
            json!({"status": "success", "data": {"message": "We have e-mailed your password reset link!"}}),
        ),
        (
            "error-validation",
            json!({"errors": {"email": ["The email has already been taken."]}}),
        ),
        (
            "error-app",
            json!({"error": {"report_id": null, "status": 404, "message": "Invalid credentials! Please try again."}}),
        ),
        (
            "error-401",
            json!({"error": {"message": "Token not provided"}}),
        ),
        (
            "error-403",
            json!({"error": {"status": 403, "message": "Authentication token has expired, please try again"}}),
        ),
        (
            "error-auth",
            json!({"error": {"message": "Token not provided"}}),
        ),
        (
            "error-429",
            json!({"error": {"report_id": null, "status": 429, "message": "Too many requests. Please try again later."}}),
        ),
        (
            "error-500",
            json!({"error": {"report_id": "6f1c2a9e-3b7d-4e1a-9c55-0d2f8b7a1e44", "status": 500, "message": "Server Error"}}),
        ),
    ];
    for (schema, sample) in &samples {
        assert_valid(schema, sample);
    }
    for name in set()
        .names()
        .into_iter()
        .filter(|n| !HARNESS_SCHEMAS.contains(&n.as_str()))
    {
        assert!(
            samples.iter().any(|(s, _)| *s == name),
            "schema {name} has no valid sample in this test"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// jwt, timestamp

#[test]
fn jwt_needs_three_base64url_segments() {
    assert_valid("jwt", &json!("a-_9.b.c"));
    for bad in [
        "eyJ0xxx", "a.b", "a.b.c.d", "a..c", "a.b.", "a+b.c.d", "a.b.c=", " a.b.c", "",
    ] {
        assert_fails("jwt", &json!(bad), "", "pattern");
    }
    assert_fails("jwt", &json!(null), "", "type");
}

#[test]
fn timestamp_is_any_string_or_unix_seconds() {
    // The documents name the timestamps but give no format: RFC 3339 (the mock's), other
    // renderings and Unix seconds are all accepted; only other JSON types are refused.
    for ok in [
        json!("2026-11-24T13:00:00Z"),
        json!("2026-11-24T13:00:00+02:00"),
        json!("2026-11-24T13:00:00.000000Z"),
        json!("2026-11-24 13:00:00"),
        json!("Tue, 24 Nov 2026 13:00:00 GMT"),
        json!(1_795_957_200),
    ] {
        assert_valid("timestamp", &ok);
    }
    for bad in [json!(true), json!({"date": "2026-11-24"}), json!(12.5)] {
        assert_fails("timestamp", &bad, "", "type");
    }
}

// ---------------------------------------------------------------------------------------------
// Customer and its envelopes

#[test]
fn customer_envelope_accepts_register_login_and_logout_responses() {
    for file in [
        "register-response.json",
        "login-response.json",
        "logout-response.json",
    ] {
        assert_valid("customer-envelope", &fixture(file));
    }
    // The token is optional in the plain envelope.
    let register = fixture("register-response.json");
    let no_token = without(without(register, "/data/auth_token"), "/data/token");
    assert_valid("customer-envelope", &no_token);
}

#[test]
fn customer_missing_email_fails_required_at_data() {
    let sample = without(fixture("register-response.json"), "/data/email");
    assert_fails("customer-envelope", &sample, "/data", "required");
    let v = violations("customer-envelope", &sample);
    assert!(v.iter().any(|v| v.message.contains("email")), "{v:#?}");
}

#[test]
fn customer_requires_every_field_clients_read() {
    // public-notes.md: clients read these (auth_token aside, see customer-token-envelope).
    for field in [
        "id",
        "email",
        "email_confirm",
        "username",
        "first_name",
        "last_name",
        "display_name",
        "phone",
        "metadata",
        "addresses",
        "memberships",
    ] {
        let sample = without(fixture("login-response.json"), &format!("/data/{field}"));
        assert_fails("customer-envelope", &sample, "/data", "required");
    }
}

#[test]
fn customer_field_types_are_enforced() {
    let base = fixture("login-response.json");
    let cases: &[(&str, Value, &str)] = &[
        ("/data/id", json!("1039"), "type"),
        ("/data/id", json!(10.5), "type"),
        ("/data/id", json!(0), "minimum"),
        ("/data/email", json!(null), "type"),
        ("/data/email_confirm", json!("true"), "type"),
        ("/data/email_confirm", json!(1), "type"),
        ("/data/username", json!(42), "type"),
        ("/data/display_name", json!("x".repeat(101)), "maxLength"),
        ("/data/first_name", json!(false), "type"),
        ("/data/phone", json!(5145550100_i64), "type"),
        ("/data/metadata", json!([]), "type"),
        ("/data/metadata", json!(null), "type"),
        ("/data/has_password", json!(null), "type"),
        ("/data/created_at", json!(true), "type"),
        ("/data/addresses", json!({}), "type"),
        ("/data/addresses/0", json!("1 Main St"), "type"),
        ("/data/memberships", json!("none"), "type"),
        ("/data/subscriptions", json!(0), "type"),
        ("/data/source", json!([]), "type"),
        ("/data/sources", json!({}), "type"),
    ];
    for (pointer, value, keyword) in cases {
        let sample = with(base.clone(), pointer, value.clone());
        assert_fails("customer-envelope", &sample, pointer, keyword);
    }
}

#[test]
fn customer_last_login_and_tokens_may_be_null_but_not_malformed() {
    let base = fixture("register-response.json");
    assert_valid(
        "customer-envelope",
        &with(base.clone(), "/data/last_login_at", json!(null)),
    );
    assert_valid(
        "customer-envelope",
        &with(
            base.clone(),
            "/data/last_login_at",
            json!("2026-11-24 13:00:00"),
        ),
    );
    assert_fails(
        "customer-envelope",
        &with(base.clone(), "/data/last_login_at", json!(false)),
        "/data/last_login_at",
        "anyOf",
    );
    assert_fails(
        "customer-envelope",
        &with(base, "/data/auth_token", json!("eyJ0xxx")),
        "/data/auth_token",
        "anyOf",
    );
}

#[test]
fn customer_envelope_tolerates_new_fields_but_not_a_wrong_status() {
    let base = fixture("login-response.json");
    assert_valid(
        "customer-envelope",
        &with(base.clone(), "/meta", json!({"v": 2})),
    );
    assert_valid(
        "customer-envelope",
        &with(base.clone(), "/data/newsletter_opt_in", json!(true)),
    );
    assert_fails(
        "customer-envelope",
        &with(base.clone(), "/status", json!("ok")),
        "/status",
        "const",
    );
    // GEN-OK: either success envelope, but one of them.
    assert_valid(
        "customer-envelope",
        &with(without(base.clone(), "/status"), "/error", json!(false)),
    );
    assert_fails(
        "customer-envelope",
        &without(base.clone(), "/status"),
        "",
        "anyOf",
    );
    assert_fails(
        "customer-envelope",
        &with(base.clone(), "/error", json!(true)),
        "/error",
        "const",
    );
    assert_fails(
        "customer-envelope",
        &with(base, "/data", json!([])),
        "/data",
        "type",
    );
}

#[test]
fn customer_token_envelope_requires_both_tokens_as_jwts() {
    let base = fixture("register-response.json");
    assert_valid("customer-token-envelope", &fixture("login-response.json"));
    assert_fails(
        "customer-token-envelope",
        &without(base.clone(), "/data/auth_token"),
        "/data",
        "required",
    );
    assert_fails(
        "customer-token-envelope",
        &without(base.clone(), "/data/token"),
        "/data",
        "required",
    );
    assert_fails(
        "customer-token-envelope",
        &with(base.clone(), "/data/auth_token", json!(null)),
        "/data/auth_token",
        "type",
    );
    assert_fails(
        "customer-token-envelope",
        &with(base.clone(), "/data/token", json!("eyJ0xxx")),
        "/data/token",
        "pattern",
    );
    // The customer part still applies.
    assert_fails(
        "customer-token-envelope",
        &with(base, "/data/id", json!("1039")),
        "/data/id",
        "type",
    );
    // The logout response has no token.
    assert_fails(
        "customer-token-envelope",
        &fixture("logout-response.json"),
        "/data/auth_token",
        "type",
    );
}

#[test]
fn customer_logout_envelope_refuses_a_token() {
    let logout = fixture("logout-response.json");
    assert_valid("customer-logout-envelope", &logout);
    let absent = without(without(logout.clone(), "/data/auth_token"), "/data/token");
    assert_valid("customer-logout-envelope", &absent);
    assert_fails(
        "customer-logout-envelope",
        &with(logout.clone(), "/data/auth_token", json!(JWT)),
        "/data/auth_token",
        "type",
    );
    assert_fails(
        "customer-logout-envelope",
        &with(logout.clone(), "/data/token", json!(JWT)),
        "/data/token",
        "type",
    );
    assert_fails(
        "customer-logout-envelope",
        &fixture("register-response.json"),
        "/data/auth_token",
        "type",
    );
    assert_fails(
        "customer-logout-envelope",
        &without(logout, "/data/email"),
        "/data",
        "required",
    );
}

/// The guide's register example is abbreviated (and its token a placeholder): it lacks fields
/// the public notes say clients read, so it does not pass. This pins that decision.
#[test]
fn guide_register_example_verbatim_is_incomplete() {
    let guide = fixture("guide-register-example.json");
    let v = violations("customer-token-envelope", &guide);
    let required_at_data = v
        .iter()
        .filter(|v| v.instance_path == "/data" && v.keyword == "required")
        .count();
    // email_confirm, username, display_name, phone, metadata, memberships
    assert_eq!(required_at_data, 6, "{v:#?}");
    assert_fails(
        "customer-token-envelope",
        &guide,
        "/data/auth_token",
        "pattern",
    );
    // With the missing fields filled in and a real JWT it passes.
    let mut completed = guide;
    for (k, v) in [
        ("email_confirm", json!(false)),
        ("username", json!(null)),
        ("display_name", json!(null)),
        ("phone", json!(null)),
        ("metadata", json!({})),
        ("memberships", json!(null)),
        ("auth_token", json!(JWT)),
        ("token", json!(JWT)),
    ] {
        completed = with(completed, &format!("/data/{k}"), v);
    }
    assert_valid("customer-token-envelope", &completed);
}

#[test]
fn customer_schema_validates_the_bare_resource() {
    let data = fixture("login-response.json")["data"].clone();
    assert_valid("customer", &data);
    assert_fails("customer", &fixture("login-response.json"), "", "required");
    assert_fails("customer", &with(data, "/id", json!("1039")), "/id", "type");
}

// ---------------------------------------------------------------------------------------------
// Site, plans, geo, location, message

#[test]
fn site_envelope_checks_envelope_and_fields() {
    let base = fixture("site-response.json");
    assert_fails(
        "site-envelope",
        &with(base.clone(), "/error", json!(true)),
        "/error",
        "const",
    );
    assert_fails(
        "site-envelope",
        &with(base.clone(), "/error", json!("false")),
        "/error",
        "const",
    );
    assert_fails(
        "site-envelope",
        &without(base.clone(), "/data"),
        "",
        "required",
    );
    assert_fails(
        "site-envelope",
        &without(base.clone(), "/data/name"),
        "/data",
        "required",
    );
    assert_fails(
        "site-envelope",
        &without(base.clone(), "/data/passwordless_enabled"),
        "/data",
        "required",
    );
    assert_fails(
        "site-envelope",
        &with(base.clone(), "/data/passwordless_enabled", json!("yes")),
        "/data/passwordless_enabled",
        "type",
    );
    assert_valid(
        "site-envelope",
        &with(base.clone(), "/data/default_currency", json!("USD")),
    );
    assert_fails(
        "site-envelope",
        &with(base.clone(), "/data/default_currency", json!("dollars")),
        "/data/default_currency",
        "pattern",
    );
    assert_valid(
        "site-envelope",
        &with(base.clone(), "/data/default_locale", json!("en-US")),
    );
    assert_valid("site-envelope", &without(base.clone(), "/data/id"));
    // GEN-OK: the other success envelope.
    assert_valid(
        "site-envelope",
        &with(without(base.clone(), "/error"), "/status", json!("success")),
    );
    assert_fails(
        "site-envelope",
        &with(without(base.clone(), "/error"), "/status", json!("ok")),
        "/status",
        "const",
    );
    assert_fails(
        "site-envelope",
        &without(base.clone(), "/error"),
        "",
        "anyOf",
    );
    assert_fails(
        "site-envelope",
        &with(base.clone(), "/data/id", json!("123")),
        "/data/id",
        "type",
    );
    // A customer envelope is not a site envelope: the envelope may be either, the Site's fields
    // are still required.
    assert_fails(
        "site-envelope",
        &fixture("register-response.json"),
        "/data",
        "required",
    );
    assert_valid("site-envelope", &with(base, "/data/new_setting", json!(1)));
}

#[test]
fn plan_envelope_checks_plan_fields() {
    let base = fixture("plan-response.json");
    let cases: &[(&str, Value, &str)] = &[
        ("/data/amount", json!(9.99), "type"),
        ("/data/amount", json!(-1), "minimum"),
        ("/data/currency", json!("USD"), "pattern"),
        ("/data/interval", json!("fortnight"), "enum"),
        ("/data/interval_count", json!(0), "minimum"),
        ("/data/type", json!("premium"), "enum"),
        ("/data/id", json!("12"), "type"),
        ("/data/domains", json!("university.example"), "type"),
        ("/data/countries/0", json!(840), "type"),
        ("/error", json!(true), "const"),
    ];
    for (pointer, value, keyword) in cases {
        let sample = with(base.clone(), pointer, value.clone());
        assert_fails("plan-envelope", &sample, pointer, keyword);
    }
    for field in [
        "id",
        "product_id",
        "amount",
        "currency",
        "interval",
        "interval_count",
    ] {
        let sample = without(base.clone(), &format!("/data/{field}"));
        assert_fails("plan-envelope", &sample, "/data", "required");
    }
}

#[test]
fn plan_list_envelope_wants_an_array_of_plans() {
    assert_valid("plan-list-envelope", &json!({"error": false, "data": []}));
    assert_valid(
        "plan-list-envelope",
        &json!({"status": "success", "data": [], "meta": {"count": 0}}),
    );
    assert_valid(
        "plan-envelope",
        &with(
            without(fixture("plan-response.json"), "/error"),
            "/status",
            json!("success"),
        ),
    );
    let base = fixture("plan-list-response.json");
    assert_fails(
        "plan-list-envelope",
        &fixture("plan-response.json"),
        "/data",
        "type",
    );
    assert_fails(
        "plan-list-envelope",
        &with(base.clone(), "/data/0/amount", json!("0")),
        "/data/0/amount",
        "type",
    );
    assert_fails(
        "plan-list-envelope",
        &without(base, "/data/0/currency"),
        "/data/0",
        "required",
    );
}

#[test]
fn geo_envelope_checks_ip_and_country() {
    let base = fixture("geo-response.json");
    assert_valid(
        "geo-envelope",
        &with(base.clone(), "/data/ip", json!("2001:db8::1")),
    );
    // No IP format is documented.
    assert_valid(
        "geo-envelope",
        &with(base.clone(), "/data/ip", json!("::ffff:127.0.0.1%lo")),
    );
    assert_fails(
        "geo-envelope",
        &with(base.clone(), "/data/ip", json!("")),
        "/data/ip",
        "minLength",
    );
    assert_valid(
        "geo-envelope",
        &with(without(base.clone(), "/error"), "/status", json!("success")),
    );
    assert_fails(
        "geo-envelope",
        &with(base.clone(), "/data/ip", json!(127)),
        "/data/ip",
        "type",
    );
    assert_fails(
        "geo-envelope",
        &with(base.clone(), "/data/country_code", json!("us")),
        "/data/country_code",
        "pattern",
    );
    assert_fails(
        "geo-envelope",
        &with(base.clone(), "/data/country_code", json!("USA")),
        "/data/country_code",
        "pattern",
    );
    assert_fails(
        "geo-envelope",
        &without(base.clone(), "/data/country_name"),
        "/data",
        "required",
    );
    assert_fails(
        "geo-envelope",
        &with(base, "/error", json!(null)),
        "/error",
        "const",
    );
}

#[test]
fn location_envelope_requires_every_key_and_allows_unknown_parts_as_null() {
    let base = fixture("location-response.json");
    let mut unknown = base.clone();
    for key in ["region", "city", "latitude", "longitude", "timezone"] {
        unknown = with(unknown, &format!("/data/{key}"), json!(null));
    }
    assert_valid("location-envelope", &unknown);
    for key in [
        "ip",
        "country_code",
        "country_name",
        "region",
        "city",
        "latitude",
        "longitude",
        "timezone",
    ] {
        assert_fails(
            "location-envelope",
            &without(base.clone(), &format!("/data/{key}")),
            "/data",
            "required",
        );
    }
    assert_fails(
        "location-envelope",
        &with(base.clone(), "/data/latitude", json!("45.5")),
        "/data/latitude",
        "type",
    );
    assert_fails(
        "location-envelope",
        &with(base.clone(), "/data/latitude", json!(91)),
        "/data/latitude",
        "maximum",
    );
    assert_fails(
        "location-envelope",
        &with(base.clone(), "/data/longitude", json!(-181)),
        "/data/longitude",
        "minimum",
    );
    assert_fails(
        "location-envelope",
        &with(base.clone(), "/data/ip", json!(127)),
        "/data/ip",
        "type",
    );
    assert_valid(
        "location-envelope",
        &with(without(base, "/error"), "/status", json!("success")),
    );
}

#[test]
fn message_envelope_wants_a_message() {
    let ok = json!({"status": "success", "data": {"message": "A login link has been sent."}});
    assert_fails(
        "message-envelope",
        &with(ok.clone(), "/data/message", json!("")),
        "/data/message",
        "minLength",
    );
    assert_fails(
        "message-envelope",
        &with(ok.clone(), "/data/message", json!(null)),
        "/data/message",
        "type",
    );
    assert_fails(
        "message-envelope",
        &without(ok.clone(), "/data/message"),
        "/data",
        "required",
    );
    assert_fails(
        "message-envelope",
        &with(ok, "/status", json!("error")),
        "/status",
        "const",
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn error_validation_accepts_the_documented_bodies() {
    for body in [
        json!({"errors": {"email": ["Too many login attempts. Please try again later."]}}),
        json!({"errors": {"site_id": ["The site id field is required."]}}),
        json!({"errors": {"plan_id": ["Plan ID is required"]}}),
        json!({"errors": {"email": ["The email field is required."], "password": ["The password must be at least 6 characters.", "x"]}}),
    ] {
        assert_valid("error-validation", &body);
    }
}

#[test]
fn error_validation_fixes_errors_as_field_to_strings() {
    let ok = json!({"errors": {"email": ["The email has already been taken."]}});
    assert_fails(
        "error-validation",
        &json!({"errors": {}}),
        "/errors",
        "minProperties",
    );
    assert_fails(
        "error-validation",
        &json!({"errors": {"email": []}}),
        "/errors/email",
        "minItems",
    );
    assert_fails(
        "error-validation",
        &json!({"errors": {"email": [""]}}),
        "/errors/email/0",
        "minLength",
    );
    assert_fails(
        "error-validation",
        &json!({"errors": {"email": "The email has already been taken."}}),
        "/errors/email",
        "type",
    );
    assert_fails(
        "error-validation",
        &json!({"errors": {"email": [42]}}),
        "/errors/email/0",
        "type",
    );
    assert_fails(
        "error-validation",
        &json!({"errors": ["email"]}),
        "/errors",
        "type",
    );
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid(
        "error-validation",
        &with(ok.clone(), "/message", json!("The given data was invalid.")),
    );
    assert_fails(
        "error-validation",
        &json!({"error": {"message": "x"}}),
        "",
        "required",
    );
    assert_fails("error-validation", &json!([]), "", "type");
}

#[test]
fn error_app_requires_all_three_keys_and_tolerates_more() {
    let ok = json!({"error": {"report_id": null, "status": 404, "message": "Invalid credentials! Please try again."}});
    assert_valid(
        "error-app",
        &with(ok.clone(), "/error/report_id", json!("abc123")),
    );
    assert_valid("error-app", &with(ok.clone(), "/error/status", json!(400)));
    for key in ["report_id", "status", "message"] {
        assert_fails(
            "error-app",
            &without(ok.clone(), &format!("/error/{key}")),
            "/error",
            "required",
        );
    }
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid("error-app", &with(ok.clone(), "/error/code", json!("E42")));
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid("error-app", &with(ok.clone(), "/errors", json!({})));
    assert_fails(
        "error-app",
        &with(ok.clone(), "/error/status", json!("404")),
        "/error/status",
        "type",
    );
    assert_fails(
        "error-app",
        &with(ok.clone(), "/error/status", json!(200)),
        "/error/status",
        "minimum",
    );
    assert_fails(
        "error-app",
        &with(ok.clone(), "/error/message", json!("")),
        "/error/message",
        "minLength",
    );
    assert_fails(
        "error-app",
        &with(ok, "/error/report_id", json!(7)),
        "/error/report_id",
        "type",
    );
}

#[test]
fn error_401_accepts_both_documented_variants() {
    assert_valid(
        "error-401",
        &json!({"error": {"message": "Token not provided"}}),
    );
    assert_valid(
        "error-401",
        &json!({"error": {"status": 401, "message": "Invalid or expired token"}}),
    );
    assert_valid(
        "error-401",
        &json!({"error": {"report_id": null, "status": 401, "message": "Invalid or expired token"}}),
    );
}

#[test]
fn error_401_fixes_the_message() {
    let ok = json!({"error": {"message": "Token not provided"}});
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid("error-401", &with(ok.clone(), "/debug", json!("trace")));
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid("error-401", &with(ok.clone(), "/error/trace", json!([])));
    assert_fails(
        "error-401",
        &with(ok.clone(), "/error/status", json!(403)),
        "/error/status",
        "const",
    );
    assert_fails(
        "error-401",
        &without(ok.clone(), "/error/message"),
        "/error",
        "required",
    );
    assert_fails(
        "error-401",
        &with(ok, "/error/message", json!("")),
        "/error/message",
        "minLength",
    );
    assert_fails(
        "error-401",
        &json!({"message": "Token not provided"}),
        "",
        "required",
    );
}

#[test]
fn error_403_fixes_status_and_message() {
    let ok = json!({"error": {"status": 403, "message": "Authentication token has been blacklisted, please try again"}});
    assert_valid(
        "error-403",
        &with(ok.clone(), "/error/report_id", json!(null)),
    );
    assert_fails(
        "error-403",
        &with(ok.clone(), "/error/status", json!(401)),
        "/error/status",
        "const",
    );
    assert_fails(
        "error-403",
        &without(ok.clone(), "/error/status"),
        "/error",
        "required",
    );
    assert_fails(
        "error-403",
        &without(ok.clone(), "/error/message"),
        "/error",
        "required",
    );
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid("error-403", &with(ok.clone(), "/error/detail", json!("x")));
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid("error-403", &with(ok, "/status", json!(403)));
    assert_fails(
        "error-403",
        &json!({"error": {"message": "Token not provided"}}),
        "/error",
        "required",
    );
}

#[test]
fn error_auth_accepts_401_or_403_shapes_only() {
    for ok in [
        json!({"error": {"message": "Token not provided"}}),
        json!({"error": {"status": 401, "message": "Invalid or expired token"}}),
        json!({"error": {"status": 403, "message": "Authentication token is invalid, please try again"}}),
    ] {
        assert_valid("error-auth", &ok);
    }
    // Extra keys are tolerated.
    assert_valid(
        "error-auth",
        &json!({"error": {"message": "Token not provided"}, "junk": 1}),
    );
    assert_valid(
        "error-auth",
        &json!({"error": {"status": 403, "message": "x", "extra": true}}),
    );
    for bad in [
        json!({"error": {"status": 404, "message": "Invalid credentials! Please try again."}}),
        json!({"errors": {"token": ["The token field is required."]}}),
    ] {
        assert_fails("error-auth", &bad, "", "anyOf");
    }
}

#[test]
fn error_429_is_the_throttle_shape() {
    let ok = json!({"error": {"report_id": null, "status": 429, "message": "Too many requests. Please try again later."}});
    assert_fails(
        "error-429",
        &with(ok.clone(), "/error/status", json!(400)),
        "/error/status",
        "const",
    );
    assert_fails(
        "error-429",
        &without(ok.clone(), "/error/report_id"),
        "/error",
        "required",
    );
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid(
        "error-429",
        &with(ok.clone(), "/error/retry_after", json!(60)),
    );
    assert_fails(
        "error-429",
        &with(ok, "/error/message", json!("")),
        "/error/message",
        "minLength",
    );
    // The lockout body at 429 is a validation body, checked with error-validation.
    let lockout =
        json!({"errors": {"email": ["Too many login attempts. Please try again later."]}});
    assert_fails("error-429", &lockout, "", "required");
    assert_valid("error-validation", &lockout);
}

#[test]
fn error_500_needs_a_report_id() {
    let ok = json!({"error": {"report_id": "R-2026-11-24-0001", "status": 500, "message": "Server Error"}});
    assert_fails(
        "error-500",
        &with(ok.clone(), "/error/report_id", json!(null)),
        "/error/report_id",
        "type",
    );
    assert_fails(
        "error-500",
        &with(ok.clone(), "/error/report_id", json!("")),
        "/error/report_id",
        "minLength",
    );
    assert_fails(
        "error-500",
        &without(ok.clone(), "/error/report_id"),
        "/error",
        "required",
    );
    assert_fails(
        "error-500",
        &with(ok.clone(), "/error/status", json!(503)),
        "/error/status",
        "const",
    );
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid(
        "error-500",
        &with(ok.clone(), "/error/exception", json!("PDOException")),
    );
    // Tolerated: the documents show the keys they fix, not that no other may appear.
    assert_valid("error-500", &with(ok, "/trace", json!([])));
}

#[test]
fn error_shapes_are_not_success_shapes() {
    let err = json!({"error": {"report_id": null, "status": 404, "message": "Plan not found"}});
    assert_fails("plan-envelope", &err, "", "required");
    assert_fails("customer-envelope", &err, "", "required");
    assert_fails(
        "error-app",
        &fixture("register-response.json"),
        "",
        "required",
    );
}

#[test]
fn unknown_schema_name_is_reported() {
    let v = violations("customer_envelope", &json!({}));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].keyword, "unknown-schema");
}
