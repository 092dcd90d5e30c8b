//! The system under test: the embedded mock, or a Pelcro site (or a mock) at a URL.
//!
//! A target's capabilities are probed through the mock's control API, once; Pelcro answers 404
//! there, so it has none, checks that need one are skipped with a reason, and no other request
//! goes to `/__control` on it. A standalone mock's state is saved before the run changes it and
//! put back after (`restore`).

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::{Value, json};

use crate::http::{Body, HttpClient, OutgoingRequest, TransportError};
use crate::mock::{MockConfig, MockServer};
use crate::profile::SiteProfile;
use crate::restore::{Control, SavedState};
use crate::suite::Capability;

/// The API root under a target's base URL.
pub const API_PREFIX: &str = "/api/v1/sdk";
/// The mock's control API under a target's base URL.
pub const CONTROL_PREFIX: &str = "/__control";

/// What `--target` names.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSpec {
    /// The embedded mock, started for this run.
    Mock,
    /// A base URL (`https://www.pelcro.com`); the API is under `/api/v1/sdk`.
    Url(url::Url),
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The user's words are wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The target could not be reached or started (exit 3).
    #[error("{0}")]
    Unreachable(String),
}

impl TargetSpec {
    /// `mock`, or an `https://` URL (plain `http://` only to a loopback address).
    pub fn parse(text: &str) -> Result<TargetSpec, TargetError> {
        if text == "mock" {
            return Ok(TargetSpec::Mock);
        }
        // Credentials in the URL are refused, and never echoed in a message.
        let shown = crate::redact::without_userinfo(text);
        let text = shown.as_ref();
        let url = url::Url::parse(text).map_err(|e| {
            TargetError::Usage(format!("--target `{text}`: not `mock` and not a URL ({e})"))
        })?;
        if text.contains("[redacted]@") || !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError::Usage(format!(
                "--target `{}`: credentials in the URL are refused (they would travel to every \
                 request and into logs); give PELCRO_EMAIL and PELCRO_PASSWORD instead",
                crate::redact::without_userinfo(url.as_str())
            )));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(TargetError::Usage(format!(
                    "--target `{text}`: plain HTTP is refused for anything but a loopback address; use https://"
                )));
            }
            other => {
                return Err(TargetError::Usage(format!(
                    "--target `{text}`: the scheme `{other}` is not http(s)"
                )));
            }
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(TargetError::Usage(format!(
                "--target `{text}`: give the base URL without a query or fragment"
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError::Usage(format!(
                "--target: give the base URL without credentials in it ({}://{}…)",
                url.scheme(),
                url.host_str().unwrap_or_default()
            )));
        }
        Ok(TargetSpec::Url(base_of(url, text)?))
    }

    /// The host (and port, when not the scheme's default) a URL target names: where its
    /// baselines live. `None` for the embedded mock.
    pub fn host_label(&self) -> Option<String> {
        match self {
            TargetSpec::Mock => None,
            TargetSpec::Url(url) => Some(match url.port() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_string(),
            }),
        }
    }
}

/// `https://host`, `https://host/`, `https://host/api/v1/sdk` and `https://host/api/v1/sdk/`
/// name one target: the site's origin (a deployment under a prefix keeps its prefix). The API
/// root is added to every request, so it must not be in the base.
fn base_of(mut url: url::Url, text: &str) -> Result<url::Url, TargetError> {
    let path = url.path().trim_end_matches('/');
    let base = path
        .strip_suffix(API_PREFIX)
        .unwrap_or(path)
        .trim_end_matches('/');
    if base.contains(CONTROL_PREFIX) {
        return Err(TargetError::Usage(format!(
            "--target `{text}`: give the site's base URL, not a path under {CONTROL_PREFIX}"
        )));
    }
    let base = format!("{base}/");
    url.set_path(&base);
    Ok(url)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A target ready to run against.
pub struct Target {
    /// For reports: `embedded mock` or the URL.
    pub label: String,
    /// The base URL without a trailing slash.
    pub base_url: String,
    pub site_id: String,
    pub capabilities: BTreeSet<Capability>,
    /// Keeps the embedded mock alive for the run.
    _mock: Option<MockServer>,
    /// A standalone mock's state before the run changed it, put back by [`Target::release`].
    saved: Option<SavedState>,
}

impl Target {
    /// Starts or reaches the target, probes its capabilities, and hands a mock the run's profile.
    pub async fn connect(
        spec: &TargetSpec,
        site_id: &str,
        profile: &SiteProfile,
        http: &HttpClient,
    ) -> Result<Target, TargetError> {
        let (label, base_url, mock) = match spec {
            TargetSpec::Mock => {
                let site: u64 = site_id.parse().map_err(|_| {
                    TargetError::Usage(format!(
                        "--site-id `{site_id}`: the mock's site id is a whole number"
                    ))
                })?;
                let config = MockConfig {
                    site_id: site,
                    profile: profile.clone(),
                    frozen_clock: true,
                    ..MockConfig::default()
                };
                let server = MockServer::start(config).await.map_err(|e| {
                    TargetError::Unreachable(format!("cannot start the embedded mock: {e}"))
                })?;
                ("embedded mock".to_string(), server.base_url(), Some(server))
            }
            TargetSpec::Url(url) => (
                url.as_str().trim_end_matches('/').to_string(),
                url.as_str().trim_end_matches('/').to_string(),
                None,
            ),
        };
        let mut target = Target {
            label,
            base_url,
            site_id: site_id.to_string(),
            capabilities: BTreeSet::new(),
            _mock: mock,
            saved: None,
        };
        target.capabilities = target.probe(http).await?;
        if target.base_url.starts_with("https://") {
            target.capabilities.insert(Capability::Https);
        }
        if target.capabilities.contains(&Capability::Control) && !matches!(spec, TargetSpec::Mock) {
            // A standalone mock is someone's: what the run changes is put back by `release`.
            let control = target.control(http);
            let saved = control.save(&target.site_id).await.map_err(|e| {
                TargetError::Unreachable(format!(
                    "{}: the mock's state cannot be saved, so the run changes nothing: {e}",
                    target.label
                ))
            })?;
            target.saved = Some(saved);
            target.apply_profile(profile, http).await?;
            if let Err(e) = target.control(http).clear_faults().await {
                return Err(TargetError::Unreachable(format!("{}: {e}", target.label)));
            }
            // Exact windows however slowly requests come; `release` gives the clock back.
            target.clock_control("/clock/freeze", http).await;
        }
        Ok(target)
    }

    fn control<'a>(&self, http: &'a HttpClient) -> Control<'a> {
        Control {
            http,
            root: self.control_url(""),
        }
    }

    pub fn api_url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base_url)
    }

    pub fn control_url(&self, path: &str) -> String {
        format!("{}{CONTROL_PREFIX}{path}", self.base_url)
    }

    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    /// `GET /__control/capabilities`: a mock lists its own; anything else has none.
    async fn probe(&self, http: &HttpClient) -> Result<BTreeSet<Capability>, TargetError> {
        let response = match http.send(&get(self.control_url("/capabilities"))).await {
            Ok(response) => response,
            // It answered, but too much: no control API, and the suites will say what else is wrong.
            Err(TransportError::TooLarge | TransportError::Truncated(_)) => {
                return Ok(BTreeSet::new());
            }
            // No connection, a timeout, or no HTTP answer at all (plain HTTP to a TLS port): the
            // run cannot happen.
            Err(e) => {
                return Err(TargetError::Unreachable(format!("{}: {e}", self.label)));
            }
        };
        let listed = response
            .json
            .as_ref()
            .filter(|_| response.status == 200)
            .and_then(|body| body.get("capabilities"))
            .and_then(Value::as_array);
        let Some(listed) = listed else {
            return Ok(BTreeSet::new());
        };
        let mut capabilities: BTreeSet<Capability> = listed
            .iter()
            .filter_map(Value::as_str)
            .filter_map(Capability::from_name)
            .collect();
        capabilities.insert(Capability::Control);
        Ok(capabilities)
    }

    /// Makes a mock's site behave as the run's profile says (a no-op for the embedded mock,
    /// which starts with it).
    pub async fn apply_profile(
        &self,
        profile: &SiteProfile,
        http: &HttpClient,
    ) -> Result<(), TargetError> {
        let request = OutgoingRequest {
            method: reqwest::Method::PUT,
            url: self.control_url(&format!("/sites/{}", self.site_id)),
            query: Vec::new(),
            headers: Vec::new(),
            body: Some(Body::Json(profile.to_json())),
        };
        let response = http
            .send(&request)
            .await
            .map_err(|e| TargetError::Unreachable(format!("{}: {e}", self.label)))?;
        if response.status != 200 {
            return Err(TargetError::Unreachable(format!(
                "{}: the mock refused the profile ({}): {}",
                self.label,
                response.status,
                crate::checks::brief_text(&response.body)
            )));
        }
        Ok(())
    }

    /// Puts a standalone mock back as the run found it: site settings, faults and clock (the
    /// embedded mock just stops). Returns what could not be put back, for the report's notes.
    pub async fn release(&self, http: &HttpClient) -> Vec<String> {
        let Some(saved) = &self.saved else {
            return Vec::new();
        };
        self.control(http)
            .put_back(&self.site_id, saved)
            .await
            .into_iter()
            .map(|e| format!("{}: not put back after the run: {e}", self.label))
            .collect()
    }

    /// Freezes or thaws a mock's clock; a mock without the endpoint keeps its clock as it is.
    async fn clock_control(&self, path: &str, http: &HttpClient) {
        let request = OutgoingRequest {
            method: reqwest::Method::POST,
            url: self.control_url(path),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        };
        let _ = http.send(&request).await;
    }

    /// Advances a mock's virtual clock.
    pub async fn advance_clock(&self, seconds: u64, http: &HttpClient) -> Result<(), String> {
        let request = OutgoingRequest {
            method: reqwest::Method::POST,
            url: self.control_url("/clock/advance"),
            query: Vec::new(),
            headers: Vec::new(),
            body: Some(Body::Json(json!({ "seconds": seconds }))),
        };
        let response = http.send(&request).await.map_err(|e| e.to_string())?;
        if response.status == 200 {
            Ok(())
        } else {
            Err(format!(
                "the mock refused to advance its clock ({}): {}",
                response.status, response.body
            ))
        }
    }
}

fn get(url: String) -> OutgoingRequest {
    OutgoingRequest {
        method: reqwest::Method::GET,
        url,
        query: Vec::new(),
        headers: Vec::new(),
        body: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_transport_rules() {
        assert_eq!(TargetSpec::parse("mock").unwrap(), TargetSpec::Mock);
        assert!(TargetSpec::parse("https://www.pelcro.com").is_ok());
        assert!(TargetSpec::parse("http://127.0.0.1:8080").is_ok());
        assert!(TargetSpec::parse("http://localhost:8080").is_ok());
        assert!(TargetSpec::parse("http://[::1]:8080").is_ok());
        for bad in [
            "http://www.pelcro.com",
            "ftp://x",
            "not a url",
            "https://x?site_id=1",
            "http://10.0.0.1",
        ] {
            assert!(
                matches!(TargetSpec::parse(bad), Err(TargetError::Usage(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_origin_and_the_api_root_with_or_without_a_slash_name_one_target() {
        let forms = [
            "https://pelcro.example",
            "https://pelcro.example/",
            "https://pelcro.example/api/v1/sdk",
            "https://pelcro.example/api/v1/sdk/",
            "https://pelcro.example//api/v1/sdk//",
        ];
        for form in forms {
            assert_eq!(
                TargetSpec::parse(form).unwrap(),
                TargetSpec::parse("https://pelcro.example").unwrap(),
                "{form}"
            );
        }
        let TargetSpec::Url(url) = TargetSpec::parse("https://h.example/api/v1/sdk").unwrap()
        else {
            panic!("a URL target")
        };
        assert_eq!(url.as_str(), "https://h.example/");
        // A deployment under a prefix keeps it.
        let TargetSpec::Url(url) = TargetSpec::parse("https://h.example/eu/api/v1/sdk/").unwrap()
        else {
            panic!("a URL target")
        };
        assert_eq!(url.as_str(), "https://h.example/eu/");
        assert_eq!(
            TargetSpec::parse("https://h.example:8443/")
                .unwrap()
                .host_label(),
            Some("h.example:8443".to_string())
        );
        assert!(matches!(
            TargetSpec::parse("https://user:pw@h.example/"),
            Err(TargetError::Usage(m)) if !m.contains("pw")
        ));
    }
}
