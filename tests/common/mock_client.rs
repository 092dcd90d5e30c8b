//! A JSON client of the mock for its integration tests: start a mock, talk JSON to it.

use pelcro_conformance::mock::{MockConfig, MockServer};
use pelcro_conformance::profile::SiteProfile;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Mock {
    pub server: MockServer,
    pub http: reqwest::Client,
    pub site_id: u64,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn token(&self) -> String {
        self.body["data"]["auth_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token in {}", self.body))
            .to_string()
    }
}

impl Mock {
    pub async fn start() -> Mock {
        Self::with(MockConfig::default()).await
    }

    pub async fn with_profile(profile: SiteProfile) -> Mock {
        Self::with(MockConfig {
            profile,
            ..MockConfig::default()
        })
        .await
    }

    pub async fn with(config: MockConfig) -> Mock {
        let site_id = config.site_id;
        let server = MockServer::start(config).await.expect("mock starts");
        Mock {
            server,
            http: reqwest::Client::new(),
            site_id,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1/sdk{}", self.server.base_url(), path)
    }

    /// An API call with `site_id` in the query.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.call_site(self.site_id, method, path, token, body)
            .await
    }

    pub async fn call_site(
        &self,
        site_id: u64,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut rb = self
            .http
            .request(method, format!("{}{sep}site_id={site_id}", self.url(path)));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Self::finish(rb).await
    }

    pub async fn finish(rb: reqwest::RequestBuilder) -> Resp {
        let r = rb.send().await.expect("request sent");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body read");
        let body =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, None, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn register(&self, email: &str, password: &str) -> Resp {
        let r = self
            .post(
                "/auth/register",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "register {email}: {}", r.body);
        r
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post("/auth/login", json!({"email": email, "password": password}))
            .await
    }

    /// A control API call.
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut rb = self.http.request(
            method,
            format!("{}/__control{path}", self.server.base_url()),
        );
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Self::finish(rb).await
    }

    pub async fn advance(&self, seconds: i64) {
        let r = self
            .control(
                Method::POST,
                "/clock/advance",
                Some(json!({"seconds": seconds})),
            )
            .await;
        assert_eq!(r.status, 200);
    }
}

/// Decodes a JWT's claims without verifying it.
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url claims");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

pub fn invalid_credentials() -> Value {
    json!({"error": {"report_id": null, "status": 404, "message": "Invalid credentials! Please try again."}})
}
