//! site_id handling, the Site resource, plans, plan authorization, geo and location, and bodies
//! that are not JSON.

mod common;

use common::Mock;
use pelcro_conformance::mock::MockConfig;
use reqwest::Method;
use rstest::rstest;
use serde_json::{Value, json};

fn required() -> Value {
    json!({"errors": {"site_id": ["The site id field is required."]}})
}

#[rstest]
#[case::missing("", required())]
#[case::not_a_number("?site_id=abc", required())]
#[case::unknown("?site_id=999", json!({"errors": {"site_id": ["The selected site id is invalid."]}}))]
#[tokio::test]
async fn site_id_is_required_and_must_exist(#[case] query: &str, #[case] expected: Value) {
    let m = Mock::start().await;
    for path in ["/site", "/plan", "/geo/country", "/location", "/customer"] {
        let r = Mock::finish(m.http.get(format!("{}{query}", m.url(path)))).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.body, expected, "{path}");
    }
    let r = Mock::finish(
        m.http
            .post(format!("{}{query}", m.url("/auth/register")))
            .json(&json!({"email": "a@example.com", "password": "secret1"})),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, expected);
}

#[rstest]
#[case::number(json!(1))]
#[case::string(json!("1"))]
#[tokio::test]
async fn site_id_in_the_body_of_a_post(#[case] site_id: Value) {
    let m = Mock::start().await;
    let r = Mock::finish(
        m.http
            .post(m.url("/auth/register"))
            .json(&json!({"site_id": site_id, "email": "b@example.com", "password": "secret1"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn the_site_resource() {
    let m = Mock::with(MockConfig {
        site_id: 7,
        ..MockConfig::default()
    })
    .await;
    let r = m.get("/site", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["error"], false);
    let d = &r.body["data"];
    assert_eq!(d["id"], 7);
    for k in [
        "account",
        "name",
        "link",
        "default_currency",
        "default_locale",
        "ecommerce_enabled",
        "passwordless_enabled",
        "email_verify_enabled",
        "taxes_enabled",
        "passwordless_token_duration",
        "google_app_id",
        "facebook_app_id",
        "logo",
        "products",
        "paywalls",
        "design_settings",
    ] {
        assert!(d.get(k).is_some(), "{k}");
    }
    assert_eq!(d["passwordless_enabled"], true);
    assert_eq!(d["default_currency"], "usd");
    assert_eq!(d["products"][0]["plans"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn plans_by_id_on_get_and_post() {
    let m = Mock::start().await;
    let r = m.get("/plan?plan_id=1001", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["error"], false);
    assert_eq!(r.body["data"]["id"], 1001);
    assert_eq!(r.body["data"]["type"], "regular");
    assert_eq!(r.body["data"]["amount"], 999);
    let r = m.post("/plan", json!({"plan_id": 1002})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"]["ip_addresses"], json!(["127.0.0.0/8"]));
    let r = m.get("/plan", None).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"plan_id": ["Plan ID is required"]}})
    );
    for q in ["?plan_id=4242", "?plan_id=abc"] {
        let r = m.get(&format!("/plan{q}"), None).await;
        assert_eq!(r.status, 404);
        assert_eq!(
            r.body,
            json!({"error": {"report_id": null, "status": 404, "message": "Plan not found"}})
        );
    }
    // A plan of another site is not found here.
    m.control(Method::PUT, "/sites/2", Some(json!({}))).await;
    assert_eq!(
        m.call_site(2, Method::GET, "/plan?plan_id=2001", None, None)
            .await
            .status,
        200
    );
    assert_eq!(m.get("/plan?plan_id=2001", None).await.status, 404);
}

#[tokio::test]
async fn ip_authorization_from_the_connection() {
    let m = Mock::start().await;
    let r = m.get("/plan/ip/authorization", None).await;
    assert_eq!(r.status, 200);
    let ids: Vec<u64> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![1002]);
}

#[tokio::test]
async fn ip_authorization_and_geo_from_x_forwarded_for_when_trusted() {
    let m = Mock::with(MockConfig {
        trust_forwarded_for: true,
        ..MockConfig::default()
    })
    .await;
    let call = |path: &str, ip: &str| {
        Mock::finish(
            m.http
                .get(format!("{}?site_id=1", m.url(path)))
                .header("X-Forwarded-For", format!("{ip}, 10.0.0.1")),
        )
    };
    let r = call("/plan/ip/authorization", "81.2.69.160").await;
    assert_eq!(r.body["data"], json!([]));
    let r = call("/geo/country", "81.2.69.160").await;
    assert_eq!(
        r.body,
        json!({"error": false, "data": {"ip": "81.2.69.160", "country_code": "GB", "country_name": "United Kingdom"}})
    );
    let r = call("/location", "192.168.1.5").await;
    assert_eq!(r.body["data"]["country_code"], "CA");
    assert_eq!(r.body["data"]["city"], "Toronto");
    assert_eq!(r.body["data"]["timezone"], "America/Toronto");
    let r = call("/geo/country", "203.0.113.9").await;
    assert_eq!(r.body["data"]["country_code"], Value::Null);
    // Not trusted: the header is ignored.
    let plain = Mock::start().await;
    let r = Mock::finish(
        plain
            .http
            .get(format!("{}?site_id=1", plain.url("/geo/country")))
            .header("X-Forwarded-For", "81.2.69.160"),
    )
    .await;
    assert_eq!(r.body["data"]["ip"], "127.0.0.1");
    assert_eq!(r.body["data"]["country_code"], "US");
}

#[tokio::test]
async fn location_of_loopback() {
    let m = Mock::start().await;
    let r = m.get("/location", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["data"],
        json!({"ip": "127.0.0.1", "country_code": "US", "country_name": "United States", "region": "New York",
               "city": "New York", "latitude": 40.7128, "longitude": -74.006, "timezone": "America/New_York"})
    );
}

#[tokio::test]
async fn domain_authorization() {
    let m = Mock::start().await;
    let r = m
        .get("/plan/domain/authorization?email=staff@Example.com", None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["data"][0]["id"], 1003);
    let r = m
        .get("/plan/domain/authorization?email=x@other.org", None)
        .await;
    assert_eq!(r.body["data"], json!([]));
    let r = m.get("/plan/domain/authorization", None).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"email": ["The email field is required."]}})
    );
}

#[rstest]
#[case::not_json("{not json", "The request body must be valid JSON.")]
#[case::array("[1,2]", "The request body must be a JSON object.")]
#[case::string("\"x\"", "The request body must be a JSON object.")]
#[tokio::test]
async fn bodies_that_are_not_json_objects_are_400(
    #[case] body: &'static str,
    #[case] message: &str,
) {
    let m = Mock::start().await;
    for path in [
        "/auth/register",
        "/auth/login",
        "/auth/passwordless/request",
        "/password/forgot",
    ] {
        let r = Mock::finish(
            m.http
                .post(format!("{}?site_id=1", m.url(path)))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.body, json!({"errors": {"body": [message]}}), "{path}");
    }
}

#[tokio::test]
async fn huge_bodies_and_unknown_routes() {
    let m = Mock::start().await;
    let big = "x".repeat(2 * 1024 * 1024);
    let r = Mock::finish(
        m.http
            .post(format!("{}?site_id=1", m.url("/auth/register")))
            .body(big),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        json!({"errors": {"body": ["The request body must not be greater than 1048576 bytes."]}})
    );
    let r = m.get("/nope", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["status"], 404);
    let r = m.call(Method::DELETE, "/site", None, None).await;
    assert_eq!(r.status, 405);
}
