//! A mutating proxy in front of the mock: a target that deviates from the contract in one named
//! way, to prove that the harness notices.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use pelcro_conformance::mock::{MockConfig, MockServer};

/// A request as the proxy forwards it; a deviation may rewrite it.
#[derive(Debug, Clone)]
pub struct ProxyRequest {
    pub method: String,
    /// The path under `/api/v1/sdk` (or the full path for `/__control`).
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    pub raw_body: Bytes,
}

impl ProxyRequest {
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }

    pub fn has_query(&self, name: &str) -> bool {
        self.query.iter().any(|(n, _)| n == name)
    }
}

/// A response as the proxy returns it; a deviation may rewrite it.
#[derive(Debug, Clone)]
pub struct ProxyResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    pub raw_body: Bytes,
}

impl ProxyResponse {
    /// The `data` object of a JSON body, to edit.
    pub fn data(&mut self) -> Option<&mut serde_json::Map<String, Value>> {
        self.body.as_mut()?.get_mut("data")?.as_object_mut()
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.remove_header(name);
        self.headers.push((name.to_string(), value.to_string()));
    }
}

type Before = dyn Fn(&mut ProxyRequest) + Send + Sync;
type After = dyn Fn(&ProxyRequest, &ProxyRequest, &mut ProxyResponse) + Send + Sync;

/// One way of deviating: rewrite the request before it is sent upstream, and/or the response
/// after (`after` sees the original request, the forwarded one, and the response).
#[derive(Clone, Default)]
pub struct Mutation {
    pub before: Option<Arc<Before>>,
    pub after: Option<Arc<After>>,
    /// Applied to control-API requests (`/__control/...`), e.g. to pin site settings.
    pub control: Option<Arc<Before>>,
}

impl Mutation {
    pub fn none() -> Mutation {
        Mutation::default()
    }

    pub fn before(f: impl Fn(&mut ProxyRequest) + Send + Sync + 'static) -> Mutation {
        Mutation {
            before: Some(Arc::new(f)),
            ..Mutation::default()
        }
    }

    pub fn after(
        f: impl Fn(&ProxyRequest, &ProxyRequest, &mut ProxyResponse) + Send + Sync + 'static,
    ) -> Mutation {
        Mutation {
            after: Some(Arc::new(f)),
            ..Mutation::default()
        }
    }

    /// Keeps these site settings whatever the harness asks of the control API: the mock then
    /// deviates from the profile the harness expects.
    pub fn pin_site(settings: Value) -> Mutation {
        Mutation {
            control: Some(Arc::new(move |request: &mut ProxyRequest| {
                if request.method == "PUT"
                    && request.path.starts_with("/__control/sites/")
                    && let Some(Value::Object(body)) = &mut request.body
                    && let Value::Object(pinned) = &settings
                {
                    for (key, value) in pinned {
                        body.insert(key.clone(), value.clone());
                    }
                }
            })),
            ..Mutation::default()
        }
    }

    pub fn and_after(
        mut self,
        f: impl Fn(&ProxyRequest, &ProxyRequest, &mut ProxyResponse) + Send + Sync + 'static,
    ) -> Mutation {
        self.after = Some(Arc::new(f));
        self
    }
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    mutation: Mutation,
}

/// A mock started with `config`, behind a proxy that applies `mutation`. Both stop when dropped.
pub struct DeviatingTarget {
    pub base_url: String,
    _mock: MockServer,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DeviatingTarget {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const API_PREFIX: &str = "/api/v1/sdk";

impl DeviatingTarget {
    pub async fn start(config: MockConfig, mutation: Mutation) -> DeviatingTarget {
        let mock = MockServer::start(config).await.expect("the mock starts");
        let state = ProxyState {
            upstream: mock.base_url(),
            client: reqwest::Client::builder()
                .pool_idle_timeout(std::time::Duration::from_secs(4))
                .build()
                .expect("a plain HTTP client builds"),
            mutation,
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        DeviatingTarget {
            base_url: format!("http://{addr}"),
            _mock: mock,
            task,
        }
    }
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let raw_body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let full_path = parts.uri.path().to_string();
    let (api, path) = match full_path.strip_prefix(API_PREFIX) {
        Some(rest) => (true, rest.to_string()),
        None => (false, full_path.clone()),
    };
    let query = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let headers = parts
        .headers
        .iter()
        .filter(|(n, _)| *n != "host" && *n != "content-length")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let original = ProxyRequest {
        method: parts.method.to_string(),
        path,
        query,
        headers,
        body: serde_json::from_slice(&raw_body).ok(),
        raw_body: raw_body.clone(),
    };
    let mut forwarded = original.clone();
    let hook = if api {
        &state.mutation.before
    } else {
        &state.mutation.control
    };
    if let Some(hook) = hook {
        hook(&mut forwarded);
    }
    let url = format!(
        "{}{}{}",
        state.upstream,
        if api { API_PREFIX } else { "" },
        forwarded.path
    );
    let method =
        reqwest::Method::from_bytes(forwarded.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut upstream = state.client.request(method, url).query(&forwarded.query);
    for (name, value) in &forwarded.headers {
        upstream = upstream.header(name, value);
    }
    let body_bytes = match (&forwarded.body, original.body == forwarded.body) {
        (Some(json), false) => Bytes::from(json.to_string()),
        _ => forwarded.raw_body.clone(),
    };
    let reply = match upstream.body(body_bytes).send().await {
        Ok(reply) => reply,
        Err(error) => return (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    };
    let status = reply.status().as_u16();
    let headers = reply
        .headers()
        .iter()
        .filter(|(n, _)| *n != "content-length" && *n != "transfer-encoding")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let raw = reply.bytes().await.unwrap_or_default();
    let mut response = ProxyResponse {
        status,
        headers,
        body: serde_json::from_slice(&raw).ok(),
        raw_body: raw,
    };
    let before_body = response.body.clone();
    if api && let Some(after) = &state.mutation.after {
        after(&original, &forwarded, &mut response);
    }
    let out_body = match (&response.body, response.body == before_body) {
        (Some(json), false) => Bytes::from(json.to_string()),
        _ => response.raw_body.clone(),
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &response.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.append(n, v);
        }
    }
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, headers, out_body).into_response()
}

/// Rewrites the answer to one endpoint.
pub fn on(
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
pub fn everywhere(f: impl Fn(&mut ProxyResponse) + Send + Sync + 'static) -> Mutation {
    Mutation::after(
        move |_: &ProxyRequest, _: &ProxyRequest, response: &mut ProxyResponse| f(response),
    )
}

/// The site a request names: the query's, else the body's, else the mock's default 1.
pub fn site_of(request: &ProxyRequest) -> String {
    request
        .query
        .iter()
        .find(|(n, _)| n == "site_id")
        .map(|(_, v)| v.clone())
        .or_else(|| {
            request
                .body
                .as_ref()
                .and_then(|b| b.get("site_id"))
                .map(|v| v.to_string().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "1".into())
}
