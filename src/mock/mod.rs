//! The embedded Pelcro mock: a stateful axum server that behaves as the documents say.
//!
//! The harness reaches it only over HTTP, exactly as it reaches Pelcro. Its control API lives under
//! `/__control`; Pelcro answers 404 there, which is how a target's capabilities are told apart.
//!
//! (Stub: the interface the rest of the crate relies on. Issue 3 fills it in.)

use std::net::SocketAddr;

use crate::profile::SiteProfile;

/// How the mock is started.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The id of the site the mock starts with (Pelcro's `site_id`).
    pub site_id: u64,
    /// That site's settings.
    pub profile: SiteProfile,
    /// Trust `X-Forwarded-For` for the requester's IP (plan IP authorization, geo).
    pub trust_forwarded_for: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            site_id: 1,
            profile: SiteProfile::default(),
            trust_forwarded_for: false,
        }
    }
}

/// A running mock. Dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
}

impl MockServer {
    /// Starts the mock on `127.0.0.1:0`.
    pub async fn start(config: MockConfig) -> std::io::Result<MockServer> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts the mock on the given address.
    pub async fn start_on(addr: SocketAddr, _config: MockConfig) -> std::io::Result<MockServer> {
        Ok(MockServer { addr })
    }

    /// `http://127.0.0.1:PORT`: the host root; the API is under `/api/v1/sdk`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server.
    pub async fn shutdown(self) {}

    /// The address the mock listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}
