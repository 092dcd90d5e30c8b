//! What a run changes on a standalone mock — its site settings, its clock, its fault rules — read
//! before the run changes it and put back when the run ends (`target` calls both sides).
//!
//! Only a target whose capability probe listed the control API gets these requests; a live site
//! gets none. The embedded mock needs none of it: it stops with the run.

use serde_json::{Value, json};

use crate::http::{Body, HttpClient, OutgoingRequest, Response};

/// Why something could not be saved or put back (the run goes on; the report notes it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RestoreError {
    #[error("{what}: the mock did not answer: {reason}")]
    Transport { what: &'static str, reason: String },
    #[error("{what}: the mock answered {status}")]
    Status { what: &'static str, status: u16 },
    #[error("{what}: the mock's answer is not the control API's shape")]
    Shape { what: &'static str },
}

/// The state of a standalone mock before the run touched it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedState {
    /// The site's settings (`GET /__control/sites/{id}`); `None` when the site did not exist.
    pub site: Option<Value>,
    /// The clock: its offset from real time, whether it was frozen, and its virtual now.
    pub clock: ClockState,
    /// The scripted fault rules, without their `seen` counts.
    pub faults: Vec<Value>,
}

/// A mock clock as `GET /__control/clock` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    pub now: i64,
    pub offset_seconds: i64,
    pub frozen: bool,
}

impl ClockState {
    fn from_json(value: &Value) -> Option<ClockState> {
        Some(ClockState {
            now: value.get("now")?.as_i64()?,
            offset_seconds: value.get("offset_seconds")?.as_i64()?,
            frozen: value.get("frozen")?.as_bool()?,
        })
    }
}

/// Talks to one standalone mock's control API.
pub struct Control<'a> {
    pub http: &'a HttpClient,
    /// `{base}/__control`.
    pub root: String,
}

impl Control<'_> {
    async fn call(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Response, RestoreError> {
        let request = OutgoingRequest {
            method,
            url: format!("{}{path}", self.root),
            query: Vec::new(),
            headers: Vec::new(),
            body: body.map(Body::Json),
        };
        self.http
            .send(&request)
            .await
            .map_err(|e| RestoreError::Transport {
                what,
                reason: e.to_string(),
            })
    }

    async fn json(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, RestoreError> {
        let response = self.call(what, method, path, body).await?;
        if !(200..300).contains(&response.status) {
            return Err(RestoreError::Status {
                what,
                status: response.status,
            });
        }
        response.json.ok_or(RestoreError::Shape { what })
    }

    /// Reads what the run is about to change.
    pub async fn save(&self, site_id: &str) -> Result<SavedState, RestoreError> {
        let site = self
            .call(
                "reading the site's settings",
                reqwest::Method::GET,
                &format!("/sites/{site_id}"),
                None,
            )
            .await?;
        let site = match site.status {
            200 => Some(site.json.ok_or(RestoreError::Shape {
                what: "reading the site's settings",
            })?),
            404 => None,
            status => {
                return Err(RestoreError::Status {
                    what: "reading the site's settings",
                    status,
                });
            }
        };
        let clock = self
            .json("reading the clock", reqwest::Method::GET, "/clock", None)
            .await?;
        let clock = ClockState::from_json(&clock).ok_or(RestoreError::Shape {
            what: "reading the clock",
        })?;
        let faults = self
            .json("reading the faults", reqwest::Method::GET, "/faults", None)
            .await?;
        let faults = faults
            .get("rules")
            .and_then(Value::as_array)
            .ok_or(RestoreError::Shape {
                what: "reading the faults",
            })?
            .iter()
            .map(|rule| {
                let mut rule = rule.clone();
                if let Some(map) = rule.as_object_mut() {
                    map.remove("seen");
                }
                rule
            })
            .collect();
        Ok(SavedState {
            site,
            clock,
            faults,
        })
    }

    /// Empties the fault rules (the run starts from a mock that answers normally).
    pub async fn clear_faults(&self) -> Result<(), RestoreError> {
        self.json(
            "clearing the faults",
            reqwest::Method::DELETE,
            "/faults",
            None,
        )
        .await
        .map(drop)
    }

    /// Puts back everything [`Control::save`] read. Every part is tried; the errors are returned.
    pub async fn put_back(&self, site_id: &str, saved: &SavedState) -> Vec<RestoreError> {
        let mut errors = Vec::new();
        if let Some(site) = &saved.site
            && let Err(e) = self
                .json(
                    "restoring the site's settings",
                    reqwest::Method::PUT,
                    &format!("/sites/{site_id}"),
                    Some(site.clone()),
                )
                .await
        {
            errors.push(e);
        }
        if let Err(e) = self.clear_faults().await {
            errors.push(e);
        }
        if !saved.faults.is_empty()
            && let Err(e) = self
                .json(
                    "restoring the faults",
                    reqwest::Method::POST,
                    "/faults",
                    Some(json!({ "rules": saved.faults })),
                )
                .await
        {
            errors.push(e);
        }
        if let Err(e) = self.put_back_clock(saved.clock).await {
            errors.push(e);
        }
        errors
    }

    /// A running clock gets its offset back; a frozen one its instant.
    async fn put_back_clock(&self, saved: ClockState) -> Result<(), RestoreError> {
        let what = "restoring the clock";
        let path = if saved.frozen {
            "/clock/freeze"
        } else {
            "/clock/unfreeze"
        };
        let now = self.json(what, reqwest::Method::POST, path, None).await?;
        let now = ClockState::from_json(&now).ok_or(RestoreError::Shape { what })?;
        let seconds = if saved.frozen {
            saved.now - now.now
        } else {
            saved.offset_seconds - now.offset_seconds
        };
        if seconds != 0 {
            self.json(
                what,
                reqwest::Method::POST,
                "/clock/advance",
                Some(json!({ "seconds": seconds })),
            )
            .await?;
        }
        Ok(())
    }
}
