//! Property tests: any register or login body gets a Customer or a documented error shape,
//! never a 500 or a dropped connection.

mod common;

use common::Mock;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "[a-z]{1,8}@example\\.com".prop_map(Value::String),
        Just(Value::String("x".repeat(300))),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Value> {
    let keys = [
        "email",
        "password",
        "username",
        "first_name",
        "last_name",
        "display_name",
        "phone",
        "language",
        "metadata",
        "site_id",
    ];
    prop::collection::vec((prop::sample::select(keys.to_vec()), any_json()), 0..7).prop_map(|kv| {
        let mut m = Map::new();
        for (k, v) in kv {
            m.insert(k.to_string(), v);
        }
        Value::Object(m)
    })
}

/// A documented shape for the status.
fn documented(status: u16, body: &Value) -> bool {
    match status {
        200 => body["status"] == "success" && body["data"]["id"].is_u64(),
        400 => body["errors"].as_object().is_some_and(|e| {
            !e.is_empty()
                && e.values().all(|v| {
                    v.as_array()
                        .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
                })
        }),
        404 => *body == common::invalid_credentials(),
        _ => false,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn register_and_login_answer_a_documented_shape(b in body(), raw in prop::option::of(".{0,60}")) {
        let rt = runtime();
        rt.block_on(async {
            let m = Mock::start().await;
            for path in ["/auth/register", "/auth/login"] {
                let mut rb = m.http.post(format!("{}?site_id=1", m.url(path)));
                rb = match &raw {
                    Some(text) => rb.header("content-type", "application/json").body(text.clone()),
                    None => rb.json(&b),
                };
                let r = rb.send().await.expect("an answer, not a dropped connection");
                let status = r.status().as_u16();
                let text = r.text().await.unwrap();
                let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
                assert!(documented(status, &v), "{path} {status} {v} for {b} / {raw:?}");
            }
        });
    }
}
