//! The OpenAPI document: complete, self-contained (every `$ref` resolves inside it), and its
//! component schemas accept what the mock really answers.

use std::process::Command;

use jsonschema::{Draft, Registry};
use pelcro_conformance::contract;
use pelcro_conformance::mock::{MockConfig, MockServer};
use pelcro_conformance::openapi;
use serde_json::{Value, json};

const DOC_URI: &str = "https://pelcro-conformance.local/openapi.json";

fn document() -> Value {
    openapi::document().expect("the document builds")
}

/// Every `$ref` string in a value, with the JSON Pointer where it sits.
fn refs(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if key == "$ref"
                    && let Value::String(target) = item
                {
                    out.push((at.clone(), target.clone()));
                } else {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    refs(item, format!("{at}/{escaped}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refs(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A validator for one component schema, compiled against the whole document as one resource.
fn component_validator(doc: &Value, name: &str) -> jsonschema::Validator {
    let registry = Registry::new()
        .draft(Draft::Draft202012)
        .extend([(DOC_URI, doc)])
        .and_then(|b| b.prepare())
        .expect("the document registers as a resource");
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(&registry)
        .with_base_uri("https://pelcro-conformance.local/component-check.json")
        .should_validate_formats(true)
        .offline()
        .build(&json!({ "$ref": format!("{DOC_URI}#/components/schemas/{name}") }))
        .expect("the component compiles")
}

#[test]
fn document_has_every_endpoint_and_operation() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        doc["servers"][0]["url"],
        "https://www.pelcro.com/api/v1/sdk"
    );
    let scheme = &doc["components"]["securitySchemes"][openapi::BEARER_SCHEME];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");

    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for endpoint in contract::endpoints() {
        let op = &paths[endpoint.path][endpoint.method.to_ascii_lowercase()];
        assert!(op.is_object(), "{} missing", endpoint.label());
        operations += 1;
        assert_eq!(op["operationId"], endpoint.operation_id);
        let params = op["parameters"].as_array().expect("parameters");
        let site = params
            .iter()
            .find(|p| p["name"] == "site_id")
            .unwrap_or_else(|| panic!("{}: no site_id", endpoint.label()));
        assert_eq!(site["in"], "query");
        assert_eq!(site["required"], true);
        for field in endpoint.query {
            assert!(
                params.iter().any(|p| p["name"] == field.name),
                "{}: query {}",
                endpoint.label(),
                field.name
            );
        }
        if endpoint.auth {
            assert_eq!(
                op["security"],
                json!([{ openapi::BEARER_SCHEME: [] }]),
                "{}",
                endpoint.label()
            );
        } else {
            assert!(op.get("security").is_none(), "{}", endpoint.label());
        }
        if endpoint.body.is_empty() {
            assert!(op.get("requestBody").is_none(), "{}", endpoint.label());
        } else {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            for field in endpoint.body {
                assert!(
                    schema["properties"][field.name].is_object(),
                    "{}: body {}",
                    endpoint.label(),
                    field.name
                );
                let required = schema["required"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|n| n == field.name));
                // POST /plan: plan_id in the query or the body; the body requires it.
                let plan_body = endpoint.path == "/plan" && field.name == "plan_id";
                assert_eq!(
                    required,
                    field.required || plan_body,
                    "{} {}",
                    endpoint.label(),
                    field.name
                );
            }
        }
        let responses = op["responses"].as_object().expect("responses");
        assert_eq!(
            responses.len(),
            endpoint.answers.len(),
            "{}",
            endpoint.label()
        );
        for answer in endpoint.answers {
            let schema =
                &responses[&answer.status.to_string()]["content"]["application/json"]["schema"];
            let mut found = Vec::new();
            refs(schema, String::new(), &mut found);
            let named: Vec<String> = found.into_iter().map(|(_, r)| r).collect();
            let expected: Vec<String> = answer
                .schemas
                .iter()
                .map(|s| format!("#/components/schemas/{s}"))
                .collect();
            assert_eq!(named, expected, "{} {}", endpoint.label(), answer.status);
        }
    }
    assert_eq!(operations, contract::endpoints().len());
    let in_doc: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(in_doc, operations, "no operation outside the contract");

    let login = &paths["/auth/login"]["post"]["responses"]["429"]["content"]["application/json"]["schema"]
        ["anyOf"];
    assert_eq!(login.as_array().map(Vec::len), Some(2));
}

#[test]
fn every_ref_resolves_inside_the_document() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, String::new(), &mut found);
    assert!(found.len() > 60, "only {} refs", found.len());
    for (at, target) in &found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{at}: `{target}` points outside the document"));
        assert!(
            doc.pointer(pointer).is_some(),
            "{at}: `{target}` does not resolve"
        );
    }
    // Every schema file is a component, and nothing else is.
    let components = doc["components"]["schemas"].as_object().unwrap();
    let files = openapi::embedded_schemas().unwrap();
    assert_eq!(components.len(), files.len());
    for (name, _) in &files {
        assert!(components.contains_key(name), "{name}");
    }
    // The $defs that other files point into are still there.
    assert!(
        doc.pointer("/components/schemas/geo-envelope/$defs/ip")
            .is_some()
    );
    assert!(
        doc.pointer("/components/schemas/customer/$defs/relation")
            .is_some()
    );
}

#[test]
fn the_cli_prints_and_writes_the_same_document() {
    let exe = env!("CARGO_BIN_EXE_pelcro-conformance");
    let out = Command::new(exe).arg("openapi").output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(printed, document());

    let dir = std::env::temp_dir().join(format!("pc-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("openapi.json");
    let out = Command::new(exe)
        .args(["openapi", "--output"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, printed);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn components_validate_real_mock_answers() {
    let doc = document();
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let api = format!("{}/api/v1/sdk", mock.base_url());
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{api}{path}?site_id=1"))
            .json(&body)
            .send()
    };

    let email = "openapi@example.com";
    let register = post(
        "/auth/register",
        json!({"email": email, "password": "s3cret-pass"}),
    )
    .await
    .unwrap();
    assert_eq!(register.status(), 200);
    let register: Value = register.json().await.unwrap();
    let envelope = component_validator(&doc, "customer-token-envelope");
    assert!(
        envelope.is_valid(&register),
        "{:?}",
        envelope
            .iter_errors(&register)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );

    // The same component refuses what it must refuse: the schema is really applied.
    let mut no_token = register.clone();
    no_token["data"]["auth_token"] = Value::Null;
    assert!(!envelope.is_valid(&no_token));
    let mut bad_date = register.clone();
    bad_date["data"]["created_at"] = json!(true);
    assert!(
        !envelope.is_valid(&bad_date),
        "nested refs (timestamp) apply"
    );
    // What the documents leave open is tolerated through the same refs: another timestamp format,
    // an extra field, empty relations as null.
    let mut other = register.clone();
    other["data"]["created_at"] = json!("2026-11-24 13:00:00");
    other["data"]["favourite_colour"] = json!("teal");
    other["data"]["addresses"] = Value::Null;
    other["data"]["memberships"] = Value::Null;
    assert!(envelope.is_valid(&other), "{other}");

    let bad_login = post(
        "/auth/login",
        json!({"email": email, "password": "wrong-pass"}),
    )
    .await
    .unwrap();
    assert_eq!(bad_login.status(), 404);
    let bad_login: Value = bad_login.json().await.unwrap();
    assert!(component_validator(&doc, "error-app").is_valid(&bad_login));
    assert!(!component_validator(&doc, "error-validation").is_valid(&bad_login));

    let location: Value = http
        .get(format!("{api}/location?site_id=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let location_schema = component_validator(&doc, "location-envelope");
    assert!(location_schema.is_valid(&location), "{location}");
    let mut other_envelope = location.clone();
    other_envelope
        .as_object_mut()
        .unwrap()
        .remove("error")
        .unwrap();
    other_envelope["status"] = json!("success");
    assert!(
        location_schema.is_valid(&other_envelope),
        "the other success envelope: {other_envelope}"
    );
    let mut bad_ip = location.clone();
    bad_ip["data"]["ip"] = json!(42);
    assert!(
        !location_schema.is_valid(&bad_ip),
        "the cross-file $defs ref (geo-envelope/$defs/ip) applies"
    );

    let site: Value = http
        .get(format!("{api}/site?site_id=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(component_validator(&doc, "site-envelope").is_valid(&site));
    assert!(!component_validator(&doc, "plan-envelope").is_valid(&site));
    mock.shutdown().await;
}

/// The request body schema of an operation, compiled with formats checked.
fn body_validator(doc: &Value, path: &str, method: &str) -> Option<jsonschema::Validator> {
    let schema = doc["paths"][path][method]
        .pointer("/requestBody/content/application~1json/schema")?
        .clone();
    Some(
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .expect("the body schema compiles"),
    )
}

/// A mock set up as the examples assume (`openapi::examples`): the customer, the reset customer,
/// the social-login token, a passwordless and a reset token issued.
struct ExampleMock {
    _mock: MockServer,
    api: String,
    control: String,
    http: reqwest::Client,
    passwordless: String,
    reset: String,
}

impl ExampleMock {
    async fn start() -> ExampleMock {
        use openapi::examples::*;
        let mock = MockServer::start(MockConfig::default())
            .await
            .expect("mock");
        let api = format!("{}/api/v1/sdk", mock.base_url());
        let control = format!("{}/__control", mock.base_url());
        let http = reqwest::Client::new();
        for email in [EMAIL, RESET_EMAIL] {
            let r = http
                .post(format!("{api}/auth/register?site_id=1"))
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let r = http
            .post(format!("{control}/idp/tokens"))
            .json(&json!({"provider": "google", "token": IDP_TOKEN,
                "profile": {"email": "idp@example.com", "id": "g-1"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let issue = |path: &str, email: &str| {
            http.post(format!("{api}{path}?site_id=1"))
                .json(&json!({ "email": email }))
                .send()
        };
        assert_eq!(
            issue("/auth/passwordless/request", EMAIL)
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            issue("/password/forgot", RESET_EMAIL)
                .await
                .unwrap()
                .status(),
            200
        );
        let token = |path: String| {
            let http = http.clone();
            async move {
                let v: Value = http.get(path).send().await.unwrap().json().await.unwrap();
                v["token"].as_str().unwrap().to_string()
            }
        };
        let passwordless = token(format!("{control}/passwordless/{EMAIL}")).await;
        let reset = token(format!("{control}/password-reset/{RESET_EMAIL}")).await;
        ExampleMock {
            _mock: mock,
            api,
            control,
            http,
            passwordless,
            reset,
        }
    }

    /// A fresh customer's token (logout and refresh blacklist theirs; each operation has its own).
    async fn token(&self) -> String {
        let r: Value = self
            .http
            .post(format!("{}/auth/register?site_id=1", self.api))
            .json(&json!({
                "email": format!("pc-{}@example.com", fastrand::u64(..)),
                "password": openapi::examples::PASSWORD
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["data"]["auth_token"].as_str().unwrap().to_string()
    }

    /// Sends an operation's example as the document gives it; returns the status.
    async fn send_example(&self, doc: &Value, endpoint: &contract::Endpoint) -> u16 {
        let op = &doc["paths"][endpoint.path][endpoint.method.to_ascii_lowercase()];
        let mut query: Vec<(String, String)> = Vec::new();
        for p in op["parameters"].as_array().unwrap() {
            let example = &p["example"];
            if !example.is_null() {
                let text = example
                    .as_str()
                    .map_or_else(|| example.to_string(), str::to_string);
                query.push((p["name"].as_str().unwrap().into(), text));
            }
        }
        let mut request = self
            .http
            .request(
                endpoint.method.parse().unwrap(),
                format!("{}{}", self.api, endpoint.path),
            )
            .query(&query);
        if let Some(body) = op.pointer("/requestBody/content/application~1json/example") {
            let body = body
                .to_string()
                .replace(openapi::examples::PASSWORDLESS_TOKEN, &self.passwordless)
                .replace(openapi::examples::RESET_TOKEN, &self.reset);
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        if endpoint.auth {
            request = request.bearer_auth(self.token().await);
        }
        request.send().await.unwrap().status().as_u16()
    }
}

#[tokio::test]
async fn every_operation_has_one_valid_example_the_mock_accepts() {
    let doc = document();
    let mock = ExampleMock::start().await;
    let _ = &mock.control;
    let mut refused = Vec::new();
    for endpoint in contract::endpoints() {
        let method = endpoint.method.to_ascii_lowercase();
        let op = &doc["paths"][endpoint.path][method.as_str()];
        for p in op["parameters"].as_array().unwrap() {
            if p["required"] == true {
                assert!(
                    !p["example"].is_null(),
                    "{}: {} has no example",
                    endpoint.label(),
                    p["name"]
                );
            }
        }
        if let Some(validator) = body_validator(&doc, endpoint.path, &method) {
            let example = op
                .pointer("/requestBody/content/application~1json/example")
                .unwrap_or_else(|| panic!("{}: a body and no example", endpoint.label()));
            let errors: Vec<String> = validator
                .iter_errors(example)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{}: its example is invalid: {errors:?}",
                endpoint.label()
            );
        }
        let status = mock.send_example(&doc, endpoint).await;
        if !(200..300).contains(&status) {
            refused.push(format!("{} answered {status}", endpoint.label()));
        }
    }
    assert!(refused.is_empty(), "{refused:?}");
}

/// What the document calls valid at a field's edge is what the mock accepts, and what it calls
/// invalid the mock refuses with 400.
#[tokio::test]
async fn the_documented_keywords_are_the_mocks_rules_at_their_edges() {
    let doc = document();
    let mock = ExampleMock::start().await;
    let register = body_validator(&doc, "/auth/register", "post").unwrap();
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(Value, bool)> = vec![
        (json!({"password": "123456"}), true),
        (json!({"password": "12345"}), false),
        (json!({"email": "not-an-email"}), false),
        (json!({"display_name": long(100)}), true),
        (json!({"display_name": long(101)}), false),
        (json!({"display_name": null}), true),
        (json!({"username": "ada_l-2"}), true),
        (json!({"username": "ada l"}), false),
        (json!({"username": long(101)}), false),
        (json!({"language": "en"}), true),
        (json!({"language": "eng"}), false),
        (json!({"language": "e1"}), false),
        (json!({"first_name": long(255)}), true),
        (json!({"first_name": long(256)}), false),
        (json!({"metadata": []}), false),
    ];
    for (change, valid) in cases {
        let mut body = json!({
            "email": format!("edge-{}@example.com", fastrand::u64(..)),
            "password": openapi::examples::PASSWORD
        });
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        assert_eq!(register.is_valid(&body), valid, "schema on {change}");
        let status = mock
            .http
            .post(format!("{}/auth/register?site_id=1", mock.api))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status == 200, valid, "mock on {change}: {status}");
        assert_eq!(status == 400, !valid, "mock on {change}: {status}");
    }
    // plan_id: required in the body of POST /plan (the query's is optional), never blank.
    let plan = body_validator(&doc, "/plan", "post").unwrap();
    assert!(plan.is_valid(&json!({"plan_id": 1001})));
    assert!(plan.is_valid(&json!({"plan_id": "1001"})));
    assert!(!plan.is_valid(&json!({})));
    assert!(!plan.is_valid(&json!({"plan_id": " "})));
    assert_eq!(
        doc["paths"]["/plan"]["post"]["requestBody"]["required"],
        true
    );
    let blank = mock
        .http
        .post(format!("{}/plan?site_id=1", mock.api))
        .json(&json!({"plan_id": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(blank.status(), 400);
    let get_plan = &doc["paths"]["/plan"]["get"]["parameters"];
    let plan_id = get_plan
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "plan_id")
        .unwrap();
    assert_eq!(plan_id["required"], true);
    assert_eq!(plan_id["schema"]["pattern"], "\\S");
    // Login: a non-blank email, else a non-blank username; the other is ignored.
    let login = body_validator(&doc, "/auth/login", "post").unwrap();
    let password = openapi::examples::PASSWORD;
    for (body, valid) in [
        (
            json!({"email": openapi::examples::EMAIL, "password": password, "username": "\u{c}"}),
            true,
        ),
        (
            json!({"email": " ", "username": "nobody", "password": password}),
            true,
        ),
        (json!({"username": " ", "password": password}), false),
        (json!({"email": "", "password": password}), false),
        (
            json!({"email": openapi::examples::EMAIL, "password": ""}),
            false,
        ),
    ] {
        assert_eq!(login.is_valid(&body), valid, "schema on {body}");
        let status = mock
            .http
            .post(format!("{}/auth/login?site_id=1", mock.api))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status == 400, !valid, "mock on {body}: {status}");
    }
    // A token is looked up: any non-blank string is well formed.
    let pwl = body_validator(&doc, "/auth/passwordless/login", "post").unwrap();
    assert!(pwl.is_valid(&json!({"token": "anything"})));
    assert!(!pwl.is_valid(&json!({"token": "  "})));
    assert!(!pwl.is_valid(&json!({"token": ""})));
}
