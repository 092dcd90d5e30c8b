//! An OpenAPI 3.1 document of the API as the harness checks it, built from the contract table
//! ([`crate::contract`]) and the JSON Schemas of `schemas/`.
//!
//! OpenAPI 3.1 schemas are JSON Schema 2020-12, so every schema file goes into
//! `components.schemas` under its file stem almost as is: `$schema` and `$id` are dropped (an `$id`
//! would change the base against which the rewritten references resolve), and every `$ref` is
//! rewritten to point inside the document: `other.json` → `#/components/schemas/other`,
//! `other.json#/$defs/x` → `#/components/schemas/other/$defs/x`, and a file's own `#/$defs/x` →
//! `#/components/schemas/<file>/$defs/x`. `$defs` stay where they are, so every reference resolves
//! as a JSON Pointer into the document.

use include_dir::{Dir, include_dir};
use serde_json::{Map, Value, json};

use crate::contract::{self, Endpoint, Field};

/// The repository's `schemas/`, embedded at compile time.
static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// The server of the document: Pelcro's API root.
pub const SERVER_URL: &str = "https://www.pelcro.com/api/v1/sdk";

/// The name of the bearer security scheme.
pub const BEARER_SCHEME: &str = "bearerAuth";

/// The embedded schema files as `(stem, document)`, sorted by name.
pub fn embedded_schemas() -> Result<Vec<(String, Value)>, String> {
    let mut out = Vec::new();
    for file in SCHEMAS.files() {
        let path = file.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("schema {}: no file stem", path.display()))?;
        let text = file
            .contents_utf8()
            .ok_or_else(|| format!("schema {}: not UTF-8", path.display()))?;
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("schema {}: invalid JSON: {e}", path.display()))?;
        out.push((stem.to_owned(), value));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The OpenAPI document of the embedded schemas.
pub fn document() -> Result<Value, String> {
    Ok(document_from(&embedded_schemas()?))
}

/// The OpenAPI document of the given schema files (`(stem, document)`).
pub fn document_from(schemas: &[(String, Value)]) -> Value {
    let mut components = Map::new();
    for (name, schema) in schemas {
        components.insert(name.clone(), component_schema(name, schema));
    }

    let mut paths = Map::new();
    for endpoint in contract::endpoints() {
        let item = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(endpoint.method.to_ascii_lowercase(), operation(endpoint));
        }
    }

    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Pelcro Open API (as checked by pelcro-conformance)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The endpoints of the Pelcro Open API that pelcro-conformance checks, with the answers it accepts per status. Wire shapes are the project's docs/wire.md; claim IDs (x-claims) are those of spec/claims.md. Where the integration guide and the public reference pages disagree (invalid-token status, lockout status), both answers are listed.",
            "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" }
        },
        "servers": [{ "url": SERVER_URL }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                BEARER_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Authorization: Bearer {auth_token} (TOKEN-BEARER)"
                }
            },
            "schemas": components
        }
    })
}

/// A `$ref` to a component schema.
pub fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

/// What the examples assume about the target: this customer exists with this password (the
/// examples of login, passwordless and password requests use it), this social-login token is
/// registered for Google, and the two placeholder tokens are replaced by ones the target issued
/// (`scripts/schemathesis.sh` and `tests/openapi.rs` set this up against a mock).
pub mod examples {
    /// An existing customer's email and password.
    pub const EMAIL: &str = "customer@example.com";
    pub const PASSWORD: &str = "Passw0rd-1";
    /// An email no customer has yet (registration).
    pub const NEW_EMAIL: &str = "new-customer@example.com";
    /// A customer whose password the reset example changes (kept apart from `EMAIL`).
    pub const RESET_EMAIL: &str = "reset@example.com";
    /// The password the update and reset examples set.
    pub const NEW_PASSWORD: &str = "Passw0rd-2";
    /// A Google token registered with the mock's control API.
    pub const IDP_TOKEN: &str = "example-google-token";
    /// Replaced by the token `POST /auth/passwordless/request` for `EMAIL` issued.
    pub const PASSWORDLESS_TOKEN: &str = "PASSWORDLESS_TOKEN";
    /// Replaced by the token `POST /password/forgot` for `RESET_EMAIL` issued.
    pub const RESET_TOKEN: &str = "RESET_TOKEN";
    /// A plan of the mock's site 1 (its seed: plans 1001 to 1003).
    pub const PLAN_ID: u64 = 1001;
}

/// One valid body per operation that has one.
fn example_body(endpoint: &Endpoint) -> Option<Value> {
    use examples::*;
    Some(match endpoint.operation_id {
        "authRegister" => json!({
            "email": NEW_EMAIL, "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace",
            "display_name": "Ada", "username": "ada_l", "language": "en", "metadata": {"source": "example"}
        }),
        "authLogin" => json!({ "email": EMAIL, "password": PASSWORD }),
        "authIdpLogin" => json!({ "idp_name": "google", "idp_token": IDP_TOKEN }),
        "authPasswordlessRequest" | "passwordForgot" => json!({ "email": EMAIL }),
        "authPasswordlessLogin" => json!({ "token": PASSWORDLESS_TOKEN }),
        "customerUpdate" => json!({ "first_name": "Ada", "language": "fr" }),
        "passwordUpdate" => json!({
            "old_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_new_password": NEW_PASSWORD
        }),
        "passwordReset" => json!({
            "email": RESET_EMAIL, "token": RESET_TOKEN, "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD
        }),
        "planPost" => json!({ "plan_id": PLAN_ID }),
        _ => return None,
    })
}

/// A valid value of a query parameter besides `site_id`.
fn example_query(name: &str) -> Value {
    match name {
        "plan_id" => json!(examples::PLAN_ID),
        "email" => json!(examples::EMAIL),
        _ => Value::Null,
    }
}

fn operation(endpoint: &Endpoint) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(endpoint.operation_id));
    op.insert("summary".into(), json!(endpoint.summary));
    op.insert(
        "description".into(),
        json!(format!("Claims: {}.", endpoint.claims.join(", "))),
    );
    op.insert(
        "tags".into(),
        json!([endpoint
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("api")]),
    );
    op.insert("x-claims".into(), json!(endpoint.claims));

    let mut parameters = vec![json!({
        "name": "site_id",
        "in": "query",
        "required": true,
        "description": "The site (GEN-BASE, SITE-ID); on POST/PUT the JSON body's site_id is used when the query has none",
        "schema": { "type": ["integer", "string"], "pattern": "^[0-9]+$" },
        "example": 1
    })];
    for field in endpoint.query {
        parameters.push(json!({
            "name": field.name,
            "in": "query",
            "required": field.required,
            "description": field.description,
            "schema": field_schema(endpoint, field),
            "example": example_query(field.name)
        }));
    }
    op.insert("parameters".into(), Value::Array(parameters));

    if endpoint.auth {
        op.insert("security".into(), json!([{ BEARER_SCHEME: [] }]));
    }

    if !endpoint.body.is_empty() {
        op.insert("requestBody".into(), request_body(endpoint));
    }

    let mut responses = Map::new();
    for answer in endpoint.answers {
        let schema = match answer.schemas {
            [one] => json!({ "$ref": schema_ref(one) }),
            many => json!({
                "anyOf": many.iter().map(|s| json!({ "$ref": schema_ref(s) })).collect::<Vec<_>>()
            }),
        };
        let mut response = Map::new();
        response.insert("description".into(), json!(answer.description));
        if answer.status == 429 {
            response.insert(
                "headers".into(),
                json!({
                    "Retry-After": {
                        "description": "Seconds (or an HTTP date) to wait before trying again",
                        "schema": { "type": "string" }
                    }
                }),
            );
        }
        response.insert(
            "content".into(),
            json!({ "application/json": { "schema": schema } }),
        );
        responses.insert(answer.status.to_string(), Value::Object(response));
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

fn field_schema(endpoint: &Endpoint, field: &Field) -> Value {
    let mut schema = field.kind.json_schema();
    if let Value::Object(map) = &mut schema {
        for (key, value) in rules(endpoint, field) {
            if value.is_null() {
                map.remove(key);
            } else {
                map.insert(key.into(), value);
            }
        }
        if !field.values.is_empty() {
            map.insert("enum".into(), json!(field.values));
        }
        map.insert("description".into(), json!(field.description));
    }
    schema
}

/// At least one character that is not white space: the mock takes a blank string for a missing
/// one (`src/mock/validate.rs`, `blank`).
const NOT_BLANK: &str = "\\S";

/// The request rules the mock enforces (`src/mock/validate.rs` and the handlers) as JSON Schema
/// keywords, so that a request the document calls valid is one the mock accepts. Where the mock
/// only looks a value up (a login's email, a token), any non-blank string is valid. A `null`
/// value removes the keyword.
fn rules(endpoint: &Endpoint, field: &Field) -> Vec<(&'static str, Value)> {
    let login = endpoint.path == "/auth/login";
    let looked_up = |max: usize| {
        vec![
            ("minLength", json!(1)),
            ("maxLength", json!(max)),
            ("pattern", json!(NOT_BLANK)),
        ]
    };
    let optional_text = |max: usize| {
        vec![
            ("type", json!(["string", "null"])),
            ("maxLength", json!(max)),
        ]
    };
    match field.name {
        // The identity is looked up; which one counts, and its type, the body's anyOf says (the
        // other one is ignored, whatever it holds).
        "email" | "username" if login => vec![("type", Value::Null)],
        "email" => vec![("format", json!("email")), ("maxLength", json!(255))],
        "password" if login => vec![("minLength", json!(1))],
        // The default policy; a strong-password site asks for more (REG-PASSWORD).
        "password" | "new_password" | "password_confirmation" => {
            vec![("minLength", json!(6)), ("maxLength", json!(255))]
        }
        "old_password" | "confirm_new_password" | "token" | "idp_token" | "idp_name" => {
            looked_up(1000)
        }
        "first_name" | "last_name" | "phone" => optional_text(255),
        "display_name" => optional_text(100),
        "username" => {
            let mut rules = optional_text(100);
            rules.push(("pattern", json!("^[A-Za-z0-9_-]*$")));
            rules
        }
        "language" => vec![
            ("type", json!(["string", "null"])),
            ("pattern", json!("^[A-Za-z]{2}$")),
        ],
        "metadata" => vec![("type", json!(["object", "null"]))],
        // A number, or a string of one (anything else is an unknown plan: 404).
        "plan_id" => vec![("minimum", json!(0)), ("pattern", json!(NOT_BLANK))],
        _ => Vec::new(),
    }
}

fn request_body(endpoint: &Endpoint) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in endpoint.body {
        properties.insert(field.name.to_owned(), field_schema(endpoint, field));
        if field.required {
            required.push(field.name);
        }
    }
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    if endpoint.path == "/auth/login" {
        // `email` or `username` (LOGIN-ID-REQ): a non-blank email wins, else a non-blank
        // username is used; the other is then ignored, whatever it holds.
        let present = json!({ "type": "string", "pattern": NOT_BLANK });
        schema.insert(
            "anyOf".into(),
            json!([
                { "required": ["email"], "properties": { "email": present } },
                { "required": ["username"], "properties": { "username": present } }
            ]),
        );
    }
    if endpoint.path == "/plan" {
        // `plan_id` in the query or the body; a schema cannot span the two, so the body, which
        // POST always has, requires it and the query's is optional.
        schema.insert("required".into(), json!(["plan_id"]));
        schema.insert(
            "description".into(),
            json!(
                "plan_id is required in the query or in this body (the mock reads the query first)"
            ),
        );
    }
    let required = !required.is_empty() || endpoint.path == "/plan";
    let mut media = Map::new();
    media.insert("schema".into(), Value::Object(schema));
    if let Some(example) = example_body(endpoint) {
        media.insert("example".into(), example);
    }
    json!({
        "required": required,
        "content": { "application/json": Value::Object(media) }
    })
}

/// A schema file as a component: `$schema`/`$id` dropped, `$ref`s pointing inside the document.
fn component_schema(name: &str, schema: &Value) -> Value {
    let mut out = rewrite_refs(name, schema);
    if let Value::Object(map) = &mut out {
        map.remove("$schema");
        map.remove("$id");
    }
    out
}

fn rewrite_refs(name: &str, value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let item = match (key.as_str(), item) {
                        ("$ref", Value::String(target)) => Value::String(rewrite_ref(name, target)),
                        _ => rewrite_refs(name, item),
                    };
                    (key.clone(), item)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| rewrite_refs(name, v)).collect()),
        other => other.clone(),
    }
}

/// `other.json#/$defs/x` (or an absolute `…/other.json`) → `#/components/schemas/other/$defs/x`;
/// `#/$defs/x` in the file `name` → `#/components/schemas/name/$defs/x`.
fn rewrite_ref(name: &str, target: &str) -> String {
    let (file, fragment) = match target.split_once('#') {
        Some((file, fragment)) => (file, fragment),
        None => (target, ""),
    };
    let stem = if file.is_empty() {
        name
    } else {
        let last = file.rsplit('/').next().unwrap_or(file);
        last.strip_suffix(".json").unwrap_or(last)
    };
    format!("{}{fragment}", schema_ref(stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_rewritten_into_the_document() {
        assert_eq!(
            rewrite_ref("x", "customer.json"),
            "#/components/schemas/customer"
        );
        assert_eq!(
            rewrite_ref("location-envelope", "geo-envelope.json#/$defs/ip"),
            "#/components/schemas/geo-envelope/$defs/ip"
        );
        assert_eq!(
            rewrite_ref("customer", "#/$defs/relation"),
            "#/components/schemas/customer/$defs/relation"
        );
        assert_eq!(
            rewrite_ref("x", "https://pelcro-conformance.local/schemas/jwt.json"),
            "#/components/schemas/jwt"
        );
    }

    #[test]
    fn components_drop_schema_and_id() {
        let doc = document().expect("document");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        assert!(schemas.len() >= 20);
        for (name, schema) in schemas {
            assert!(schema.get("$id").is_none(), "{name}");
            assert!(schema.get("$schema").is_none(), "{name}");
        }
    }
}
