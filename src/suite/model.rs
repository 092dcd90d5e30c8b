//! The suite file format, as it is written in YAML.
//!
//! Values that may hold templates (`{{ ... }}`) stay `serde_json::Value` here and are rendered when
//! the step runs; `suite::load` checks their structure and variable names before anything runs.

use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

/// One suite file.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Claim IDs of `spec/claims.md` this suite checks.
    pub claims: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Target capabilities the suite needs; without them it is skipped with a reason.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// Runs the suite only when this template renders to true (`"{{ profile.single_user_auth }}"`);
    /// otherwise it is skipped with the reason. An unset `env.NAME` in it also skips.
    #[serde(default)]
    pub when: Option<String>,
    /// Uses the test account (`{{ env.PELCRO_EMAIL }}`, `{{ env.PELCRO_PASSWORD }}`): skipped
    /// when it is not given, and run one at a time with the other account suites (a site with
    /// single user authentication ends earlier sessions at each login).
    #[serde(default)]
    pub account: bool,
    /// Suite variables, rendered once, in order, before the first step.
    #[serde(default)]
    pub vars: Map<String, Value>,
    #[schemars(with = "Vec<Step>")]
    pub steps: Vec<Spanned<Step>>,
}

/// What a target can do beyond the public API. The mock has them all; Pelcro has none.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// A virtual clock the harness can advance (`advance_clock`).
    Clock,
    /// Scripted faults (`/__control/faults`).
    Faults,
    /// Lockout can be triggered without harm (a throwaway store).
    Lockout,
    /// The control API at all (`request.control: true`).
    Control,
    /// Reached over HTTPS (a plain-HTTP loopback target lacks it: what needs TLS does not apply).
    Https,
}

impl Capability {
    pub fn name(self) -> &'static str {
        match self {
            Capability::Clock => "clock",
            Capability::Faults => "faults",
            Capability::Lockout => "lockout",
            Capability::Control => "control",
            Capability::Https => "https",
        }
    }

    pub fn from_name(name: &str) -> Option<Capability> {
        Some(match name {
            "clock" => Capability::Clock,
            "faults" => Capability::Faults,
            "lockout" => Capability::Lockout,
            "control" => Capability::Control,
            "https" => Capability::Https,
            _ => return None,
        })
    }
}

/// One step: a request with expectations, or an action on the target.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: String,
    #[serde(default)]
    pub request: Option<RequestSpec>,
    /// Advances the mock's virtual clock: `300s`, `5m`, `2h`, `60d`, a number of seconds, or a
    /// template. Needs the `clock` capability.
    #[serde(default)]
    pub advance_clock: Option<Value>,
    /// Sends the request this many times (a number or a template); the expectations apply to every
    /// response, and `{{ repeat_index }}` counts from 1.
    #[serde(default)]
    pub repeat: Option<Value>,
    /// Spreads the repeats over time: the mock's clock is advanced by this duration (as
    /// `advance_clock` takes it) before every repeat after the first. Needs `repeat` and the
    /// `clock` capability.
    #[serde(default)]
    pub repeat_every: Option<Value>,
    /// What the documents promise: a failure fails the suite's claims.
    #[serde(default)]
    pub expect: Expect,
    /// What the mock does where the documents are silent (its `why` says which silence): a
    /// failure is an advisory, failing the run only under `--strict`.
    #[serde(default)]
    pub assume: Option<Expect>,
    /// Makes every check of this step an assumption, with why (a whole journey the documents do
    /// not promise, such as a passwordless token being single-use).
    #[serde(default)]
    pub assumed: Option<String>,
    /// Variable name → where to take it from: a JSON Pointer (`/data/auth_token`), a dotted path
    /// (`data.auth_token`) or `header:NAME`.
    #[serde(default)]
    pub capture: Map<String, Value>,
    /// Keep the response as a snapshot.
    #[serde(default)]
    pub snapshot: bool,
}

/// Where a request carries `site_id`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteIdPlacement {
    /// `?site_id=` (the guide's way).
    #[default]
    Query,
    /// In the JSON body (the JS SDK's way on POST/PUT).
    Body,
    /// Not at all, to test the error.
    None,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub method: String,
    /// Relative to the API root (`/auth/login`), or to `/__control` when `control` is set.
    pub path: String,
    #[serde(default)]
    pub query: Map<String, Value>,
    /// A JSON body.
    #[serde(default)]
    pub json: Option<Value>,
    /// A raw body sent as is (to test bodies that are not JSON).
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// Sent as `Authorization: Bearer …`.
    #[serde(default)]
    pub bearer: Option<String>,
    #[serde(default)]
    pub site_id: SiteIdPlacement,
    /// Sends to the mock's control API instead of the Open API.
    #[serde(default)]
    pub control: bool,
}

/// What a response must show. Every part is optional; a step with none only checks that the
/// target answered.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A status (`200`), any of several (`[400, 429]`) or a template.
    #[serde(default)]
    pub status: Option<Value>,
    /// A schema name of `schemas/` (file stem).
    #[serde(default)]
    pub schema: Option<String>,
    /// JSON Pointer or dotted path → matcher.
    #[serde(default)]
    pub json: Map<String, Value>,
    /// Header name → matcher (on the header's text).
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// Checks of a JWT found in the body; decoded, never verified.
    #[serde(default)]
    pub jwt: Option<JwtExpect>,
    /// Only in `assume:`: the documents' silence this assumption fills, in one line.
    #[serde(default)]
    pub why: Option<String>,
    /// Only in `assume:`: the claim an advisory is reported under (default: the suite's first).
    #[serde(default)]
    pub claim: Option<String>,
}

impl Expect {
    /// Whether it asks for nothing at all.
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.schema.is_none()
            && self.json.is_empty()
            && self.headers.is_empty()
            && self.jwt.is_none()
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtExpect {
    /// Where the token is (default `/data/auth_token`).
    #[serde(default = "default_jwt_at")]
    pub at: String,
    /// `exp − iat` must equal this many days.
    #[serde(default)]
    pub ttl_days: Option<Value>,
    /// Header field → matcher (`alg: HS256`).
    #[serde(default)]
    pub header: Map<String, Value>,
    /// Claim → matcher (`sub: { type: string }`).
    #[serde(default)]
    pub claims: Map<String, Value>,
}

fn default_jwt_at() -> String {
    "/data/auth_token".into()
}
