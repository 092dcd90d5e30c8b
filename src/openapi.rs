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
        "schema": { "type": ["integer", "string"], "pattern": "^[0-9]+$" }
    })];
    for field in endpoint.query {
        parameters.push(json!({
            "name": field.name,
            "in": "query",
            "required": field.required,
            "description": field.description,
            "schema": field_schema(field)
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

fn field_schema(field: &Field) -> Value {
    let mut schema = field.kind.json_schema();
    if let Value::Object(map) = &mut schema {
        if !field.values.is_empty() {
            map.insert("enum".into(), json!(field.values));
        }
        map.insert("description".into(), json!(field.description));
    }
    schema
}

fn request_body(endpoint: &Endpoint) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in endpoint.body {
        properties.insert(field.name.to_owned(), field_schema(field));
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
        // `email` or `username` (LOGIN-ID-REQ).
        schema.insert(
            "anyOf".into(),
            json!([{ "required": ["email"] }, { "required": ["username"] }]),
        );
    }
    json!({
        "required": !required.is_empty(),
        "content": { "application/json": { "schema": Value::Object(schema) } }
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
