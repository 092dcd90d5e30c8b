//! Sending requests: one pooled client, timeouts, no redirects followed, and a cap on how much
//! of a body is read.

use std::time::{Duration, Instant};

use serde_json::Value;

/// Bodies larger than this are not read further; the step fails with a reason instead.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// What the target answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    pub elapsed: Duration,
}

impl Response {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: String) -> Response {
        let json = serde_json::from_str(&body).ok();
        Response {
            status,
            headers,
            body,
            json,
            elapsed: Duration::ZERO,
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    pub method: reqwest::Method,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

#[derive(Debug, Clone)]
pub enum Body {
    Json(Value),
    Raw(String),
}

/// Why no response came.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the connection failed: {0}")]
    Other(String),
    /// The status line came, then the connection failed before the whole body.
    #[error("the connection failed in the middle of the answer: {0}")]
    Truncated(String),
    /// Not sent: the run stopped sending after the target stopped answering (`halt`).
    #[error("not sent: the target stopped answering")]
    Stopped,
}

impl TransportError {
    /// Whether the target could not be reached at all (as opposed to answering badly).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, TransportError::Connect(_))
    }

    /// Whether no HTTP answer came at all (counted towards stopping the run).
    pub fn is_no_answer(&self) -> bool {
        matches!(
            self,
            TransportError::Connect(_) | TransportError::Timeout(_) | TransportError::Other(_)
        )
    }
}

/// Timeouts of the client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

/// The run's one HTTP client (one connection pool for every suite).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeouts: Timeouts,
}

impl HttpClient {
    /// A client that trusts the system's roots, and the PEM certificates of `extra_roots` (a
    /// private CA) besides. Certificate validation cannot be turned off.
    pub fn new(
        timeouts: Timeouts,
        extra_roots: &[reqwest::Certificate],
    ) -> Result<HttpClient, String> {
        let mut builder = reqwest::Client::builder();
        for root in extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        Self::build(builder, timeouts)
    }

    /// A client for a plain-HTTP target (the embedded mock, a loopback URL): it never makes a
    /// TLS connection (redirects are not followed), so it skips reading the system's roots,
    /// a third of a one-suite run's CPU.
    pub fn plain(timeouts: Timeouts) -> Result<HttpClient, String> {
        Self::build(
            reqwest::Client::builder().tls_certs_only(Vec::new()),
            timeouts,
        )
    }

    fn build(builder: reqwest::ClientBuilder, timeouts: Timeouts) -> Result<HttpClient, String> {
        let client = builder
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            // Well under the idle timeouts servers use (the mock's is 10 s): a pooled connection
            // the server already closed is never picked up again.
            .pool_idle_timeout(Duration::from_secs(4))
            .user_agent(concat!("pelcro-conformance/", env!("CARGO_PKG_VERSION")))
            .https_only(false)
            // A 3xx is an answer to judge, never a hop: following one would re-send the body
            // (a password) to wherever it points, and credit that host's answer to the target.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(HttpClient { client, timeouts })
    }

    pub async fn send(&self, request: &OutgoingRequest) -> Result<Response, TransportError> {
        let started = Instant::now();
        let mut builder = self
            .client
            .request(request.method.clone(), &request.url)
            .query(&request.query)
            .header(reqwest::header::ACCEPT, "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        builder = match &request.body {
            Some(Body::Json(value)) => builder.json(value),
            Some(Body::Raw(text)) => builder.body(text.clone()),
            None => builder,
        };
        let mut reply = builder.send().await.map_err(|e| self.classify(e))?;
        let status = reply.status().as_u16();
        let headers = reply
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut bytes = Vec::new();
        let cut = |e: reqwest::Error| match self.classify(e) {
            TransportError::Other(why) => TransportError::Truncated(why),
            other => other,
        };
        while let Some(chunk) = reply.chunk().await.map_err(cut)? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(TransportError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut response = Response::new(
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        );
        response.elapsed = started.elapsed();
        Ok(response)
    }

    fn classify(&self, error: reqwest::Error) -> TransportError {
        if error.is_timeout() {
            TransportError::Timeout(self.timeouts.total)
        } else if error.is_connect() {
            TransportError::Connect(root_cause(&error))
        } else {
            TransportError::Other(root_cause(&error))
        }
    }
}

/// Reads a PEM file of one or more CA certificates (`--ca-cert`).
pub fn read_ca_certificates(
    path: &std::path::Path,
) -> Result<Vec<reqwest::Certificate>, crate::input::InputError> {
    let name = path.display().to_string();
    let pem = crate::input::read_file(path)?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        crate::input::InputError::new(&name, format!("not a PEM certificate: {}", root_cause(&e)))
    })?;
    if certificates.is_empty() {
        return Err(crate::input::InputError::new(
            &name,
            "holds no PEM certificate",
        ));
    }
    Ok(certificates)
}

/// reqwest's top-level message is generic; the innermost cause says what happened.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
