//! The embedded Pelcro mock: a stateful axum server that behaves as the documents say.
//!
//! The harness reaches it only over HTTP, exactly as it reaches Pelcro. Its control API lives under
//! `/__control`; Pelcro answers 404 there, which is how a target's capabilities are told apart.
//! See `docs/mock.md` for the endpoints, seeded data, control API and fault scripts.
//!
//! Files: `app` (shared state and auth helpers), `store` (data), `clock` (virtual time), `tokens`
//! (JWTs), `hashing` (argon2id), `validate` (field rules), `lockout`, `request` (site and body
//! resolution, request log), `handlers/*` (the API by area), `control` (control API), `faults`,
//! `conn` (connections that a fault can drop), `plans` (seed data), `geo` (IP table).

mod app;
pub mod clock;
pub(crate) mod conn;
mod control;
mod errors;
mod faults;
mod geo;
mod guard;
mod handlers;
mod hashing;
pub mod library;
mod lockout;
mod plans;
mod request;
mod store;
mod tokens;
mod validate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use conn::ConnLimits;
pub use control::CAPABILITIES;
pub use hashing::HashCost;
pub use library::{
    ClockState, FaultBuilder, FaultControl, IdpProfile, MockControlError, MockHandle, OneTimeToken,
    ReceivedRequest, ScriptedFault, SeededCustomer,
};

use crate::mock::app::{App, Shared};
use crate::mock::errors::ApiError;
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
    /// The argon2id cost of password hashes (cheap by default, so tests stay fast).
    pub hash_cost: HashCost,
    /// Start with the virtual clock frozen: time then moves only through the control API, and
    /// every window and expiry is exact however slowly requests come.
    pub frozen_clock: bool,
    /// When set, every `/__control` request must carry this token (`Authorization: Bearer …` or
    /// `X-Control-Token: …`); the handle of a [`MockServer`] sends it. Required to serve
    /// beyond loopback (`pelcro-conformance mock --allow-remote`).
    pub control_token: Option<String>,
    /// At most this many connections at once, each closed when it brings no request within the
    /// idle timeout (header-read and keep-alive idle in one).
    pub connection_limits: ConnLimits,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            site_id: 1,
            profile: SiteProfile::default(),
            trust_forwarded_for: false,
            hash_cost: HashCost::default(),
            frozen_clock: false,
            control_token: None,
            connection_limits: ConnLimits::default(),
        }
    }
}

/// A running mock. Dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The typed control API (`library`); `MockServer` derefs to it.
    control: MockHandle,
}

impl MockServer {
    /// Starts the mock on `127.0.0.1:0`.
    pub async fn start(config: MockConfig) -> std::io::Result<MockServer> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts the mock on the given address.
    pub async fn start_on(addr: SocketAddr, config: MockConfig) -> std::io::Result<MockServer> {
        let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
        let problems = config.profile.problems();
        if !problems.is_empty() {
            return Err(invalid(format!(
                "invalid site profile: {}",
                problems.join("; ")
            )));
        }
        config.hash_cost.check().map_err(invalid)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let control = MockHandle::with_control_token(
            format!("http://{addr}"),
            config.site_id,
            config.control_token.as_deref(),
        )
        .map_err(std::io::Error::other)?;
        let app: Shared = Arc::new(App {
            store: Mutex::new(store::Store::new(config.site_id, config.profile)),
            clock: if config.frozen_clock {
                clock::Clock::frozen()
            } else {
                clock::Clock::default()
            },
            keys: tokens::Keys::random(),
            base_url: format!("http://{addr}"),
            trust_forwarded_for: config.trust_forwarded_for,
            hash_cost: config.hash_cost,
            faults: Mutex::new(faults::Faults::default()),
            requests: Mutex::new(Vec::new()),
            control_token: config.control_token.filter(|t| !t.is_empty()),
        });
        let limits = config.connection_limits;
        let router = router(app).layer(axum::middleware::from_fn(conn::track_busy));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<conn::ConnInfo>();
            let _ = axum::serve(conn::KillableListener::new(listener, limits), service)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(MockServer {
            addr,
            shutdown: Some(tx),
            task: Some(task),
            control,
        })
    }

    /// `http://127.0.0.1:PORT`: the host root; the API is under `/api/v1/sdk`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the mock listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            // Open keep-alive connections would hold a graceful shutdown; give it a moment.
            let abort = task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn api_not_found() -> Response {
    ApiError::app(404, "Not Found").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::app(405, "Method Not Allowed").into_response()
}

fn router(app: Shared) -> Router {
    use handlers::{auth, customer, idp, password, passwordless, site};
    let api = Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/idp/login", post(idp::login))
        .route("/auth/passwordless/request", post(passwordless::request))
        .route("/auth/passwordless/login", post(passwordless::login))
        .route(
            "/customer",
            get(customer::retrieve)
                .post(customer::retrieve)
                .put(customer::update),
        )
        .route("/customer/refresh", post(customer::refresh))
        .route("/password/update", post(password::update))
        .route("/password/forgot", post(password::forgot))
        .route("/password/reset", post(password::reset))
        .route("/site", get(site::site))
        .route("/plan", get(site::plan).post(site::plan))
        .route("/plan/ip/authorization", get(site::plan_ip))
        .route("/plan/domain/authorization", get(site::plan_domain))
        .route("/geo/country", get(site::geo_country))
        .route("/location", get(site::location))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(app.clone(), faults::apply))
        .layer(from_fn_with_state(app.clone(), request::intake))
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .nest("/api/v1/sdk", api)
        .nest(
            "/__control",
            control::router().layer(from_fn_with_state(
                app.clone(),
                guard::require_control_token,
            )),
        )
        .fallback(api_not_found)
        .with_state(app)
}
