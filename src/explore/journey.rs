//! A journey as a suite: each operation becomes a step whose `expect` is the model's prediction,
//! so running it through the harness's own runner (HTTP client, rate cap, redactor, checks) is
//! judging it, and the same suite, written out, replays it.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::generate::Journey;
use super::model::{Forgery, Model, NAMES, Op, PROTECTED, Password, SITE_SCOPED};
use crate::report::{StepOutcome, SuiteOutcome, SuiteReport};
use crate::runner::{RunContext, run_all};
use crate::suite::{LoadContext, SuiteSource, load};

/// A site id no site has.
const UNKNOWN_SITE: &str = "987654321";
/// A plan id no site has.
const UNKNOWN_PLAN: u64 = 999_999_999;

/// A journey written as a suite (a JSON value in the suite format), with the claims each step
/// enforces.
pub struct Written {
    pub suite: Value,
    pub step_claims: Vec<Vec<&'static str>>,
    /// Requests it sends (clock moves are control requests, counted too).
    pub requests: usize,
}

/// Writes the journey's steps, with the model's predictions, as a suite named `name`.
pub fn write(name: &str, description: &str, model: &Model, journey: &Journey) -> Written {
    let mut model = model.clone();
    let mut steps = Vec::new();
    let mut step_claims = Vec::new();
    let mut claims: Vec<&'static str> = Vec::new();
    let mut requires = Vec::new();
    for (id, op) in journey {
        let prediction = model.step(*id, op);
        let mut step = Map::new();
        step.insert("name".into(), json!(step_name(*id, op, &prediction.claims)));
        if let Op::Advance { seconds } = op {
            step.insert("advance_clock".into(), json!(seconds));
            if !requires.contains(&"clock") {
                requires.push("clock");
            }
        } else {
            step.insert("request".into(), request(*id, op, &model));
            let mut expect = Map::new();
            expect.insert(
                "status".into(),
                match prediction.statuses.as_slice() {
                    [one] => json!(one),
                    many => json!(many),
                },
            );
            if let Some(schema) = prediction.schema {
                expect.insert("schema".into(), json!(schema));
            }
            if !prediction.json.is_empty() {
                expect.insert(
                    "json".into(),
                    Value::Object(prediction.json.iter().cloned().collect()),
                );
            }
            step.insert("expect".into(), Value::Object(expect));
            if let Some((var, pointer)) = &prediction.capture {
                step.insert("capture".into(), json!({ var: pointer }));
            }
        }
        if prediction.claims.contains(&"LOCKOUT") && !requires.contains(&"lockout") {
            requires.push("lockout");
        }
        for claim in &prediction.claims {
            if !claims.contains(claim) {
                claims.push(claim);
            }
        }
        step_claims.push(prediction.claims);
        steps.push(Value::Object(step));
    }
    if claims.is_empty() {
        claims.push("GEN-OK");
    }
    let requests = steps.len();
    let mut suite = Map::new();
    suite.insert("name".into(), json!(name));
    suite.insert("description".into(), json!(description));
    suite.insert("claims".into(), json!(claims));
    suite.insert("tags".into(), json!(["explore"]));
    if !requires.is_empty() {
        suite.insert("requires".into(), json!(requires));
    }
    suite.insert("steps".into(), Value::Array(steps));
    Written {
        suite: Value::Object(suite),
        step_claims,
        requests,
    }
}

fn step_name(id: usize, op: &Op, claims: &[&str]) -> String {
    let what = match op {
        Op::Register {
            password, username, ..
        } => format!(
            "register{}{}",
            match password {
                Password::Normal => "",
                Password::AtMinimum => " with a 6-character password",
                Password::BelowMinimum => " with a 5-character password",
                Password::Missing => " without a password",
            },
            if *username {
                " and a 100-character username"
            } else {
                ""
            }
        ),
        Op::RegisterNoEmail => "register without an email".into(),
        Op::RegisterDuplicate { upper, .. } => format!(
            "register a taken email{}",
            if *upper { " in upper case" } else { "" }
        ),
        Op::Login { by_username, .. } => format!(
            "log in by {}",
            if *by_username { "username" } else { "email" }
        ),
        Op::WrongPassword { .. } => "a wrong password".into(),
        Op::LoginUnknown { by_username } => format!(
            "log in with an unknown {}",
            if *by_username { "username" } else { "email" }
        ),
        Op::LoginNoPassword { .. } => "log in without a password".into(),
        Op::Logout { tok } => format!("log out tok{tok}"),
        Op::Refresh { tok } => format!("refresh tok{tok}"),
        Op::Retrieve { tok, post } => {
            format!(
                "{} /customer with tok{tok}",
                if *post { "POST" } else { "GET" }
            )
        }
        Op::Update { tok, .. } => format!("PUT /customer first_name with tok{tok}"),
        Op::Forged { forgery, endpoint } => {
            let (m, p) = PROTECTED[*endpoint];
            match forgery {
                Forgery::Garbage => format!("{m} {p} with a token that is no JWT"),
                Forgery::BadSignature(t) => format!("{m} {p} with tok{t}'s signature altered"),
                Forgery::AlgNone(t) => format!("{m} {p} with tok{t} re-signed alg none"),
            }
        }
        Op::NoToken { endpoint } => {
            let (m, p) = PROTECTED[*endpoint];
            format!("{m} {p} without a token")
        }
        Op::Passwordless { .. } => "passwordless request".into(),
        Op::PasswordlessUnknown => "passwordless request for an unknown email".into(),
        Op::Site => "GET /site".into(),
        Op::PlanUnknown => "an unknown plan".into(),
        Op::Geo => "GET /geo/country".into(),
        Op::Location => "GET /location".into(),
        Op::SiteIdMissing { endpoint } => {
            let (m, p) = SITE_SCOPED[*endpoint];
            format!("{m} {p} without site_id")
        }
        Op::SiteIdUnknown { endpoint } => {
            let (m, p) = SITE_SCOPED[*endpoint];
            format!("{m} {p} with an unknown site_id")
        }
        Op::Advance { seconds } => format!("the clock moves {seconds} s"),
    };
    if claims.is_empty() {
        format!("#{id} {what}")
    } else {
        format!("#{id} {what} ({})", claims.join(", "))
    }
}

fn var(name: &str) -> Value {
    json!(format!("{{{{ {name} }}}}"))
}

/// The request of an operation (before the model stepped it, for the password variable).
fn request(id: usize, op: &Op, model: &Model) -> Value {
    let email = |acct: usize| var(&Model::email_var(acct));
    let password = |acct: usize| var(&model.password_var(acct));
    let post = |path: &str, body: Value| json!({"method": "POST", "path": path, "json": body});
    let bearer = |method: &str, path: &str, token: Value| json!({"method": method, "path": path, "bearer": token});
    match op {
        Op::Register {
            acct,
            password: kind,
            username,
        } => {
            let mut body = Map::new();
            body.insert("email".into(), email(*acct));
            match kind {
                Password::Normal => {
                    body.insert("password".into(), var(&format!("fresh_password_x{acct}")));
                }
                Password::AtMinimum => {
                    body.insert(
                        "password".into(),
                        var(&format!("fresh_password_x{acct}_len_6")),
                    );
                }
                Password::BelowMinimum => {
                    body.insert(
                        "password".into(),
                        var(&format!("fresh_password_x{acct}_len_5")),
                    );
                }
                Password::Missing => {}
            }
            if *username {
                body.insert("username".into(), var(&Model::username_var(*acct)));
            }
            post("/auth/register", Value::Object(body))
        }
        Op::RegisterNoEmail => post(
            "/auth/register",
            json!({"password": var(&format!("fresh_password_n{id}"))}),
        ),
        Op::RegisterDuplicate { acct, upper } => {
            let taken = if *upper {
                json!(format!("{{{{ {} | upper }}}}", Model::email_var(*acct)))
            } else {
                email(*acct)
            };
            post(
                "/auth/register",
                json!({"email": taken, "password": var(&format!("fresh_password_d{id}"))}),
            )
        }
        Op::Login { acct, by_username } => {
            let who = if *by_username {
                json!({"username": var(&Model::username_var(*acct)), "password": password(*acct)})
            } else {
                json!({"email": email(*acct), "password": password(*acct)})
            };
            post("/auth/login", who)
        }
        Op::WrongPassword { acct } => post(
            "/auth/login",
            json!({"email": email(*acct), "password": var("fresh_password_wrong")}),
        ),
        Op::LoginUnknown { by_username } => {
            let who = if *by_username {
                json!({"username": var(&format!("fresh_username_u{id}")), "password": var("fresh_password_wrong")})
            } else {
                json!({"email": var(&format!("fresh_email_u{id}")), "password": var("fresh_password_wrong")})
            };
            post("/auth/login", who)
        }
        Op::LoginNoPassword { acct } => post("/auth/login", json!({"email": email(*acct)})),
        Op::Logout { tok } => bearer("POST", "/auth/logout", var(&Model::token_var(*tok))),
        Op::Refresh { tok } => bearer("POST", "/customer/refresh", var(&Model::token_var(*tok))),
        Op::Retrieve { tok, post } => bearer(
            if *post { "POST" } else { "GET" },
            "/customer",
            var(&Model::token_var(*tok)),
        ),
        Op::Update { tok, name } => json!({"method": "PUT", "path": "/customer",
            "bearer": var(&Model::token_var(*tok)), "json": {"first_name": NAMES[*name]}}),
        Op::Forged { forgery, endpoint } => {
            let (method, path) = PROTECTED[*endpoint];
            let token = match forgery {
                // Short literals: nothing that resembles a credential.
                Forgery::Garbage => json!("a.b.c"),
                Forgery::BadSignature(t) => {
                    json!(format!(
                        "{{{{ {} | jwt_bad_signature }}}}",
                        Model::token_var(*t)
                    ))
                }
                Forgery::AlgNone(t) => {
                    json!(format!("{{{{ {} | jwt_alg_none }}}}", Model::token_var(*t)))
                }
            };
            bearer(method, path, token)
        }
        Op::NoToken { endpoint } => {
            let (method, path) = PROTECTED[*endpoint];
            json!({"method": method, "path": path})
        }
        Op::Passwordless { acct } => {
            post("/auth/passwordless/request", json!({"email": email(*acct)}))
        }
        Op::PasswordlessUnknown => post(
            "/auth/passwordless/request",
            json!({"email": var(&format!("fresh_email_p{id}"))}),
        ),
        Op::Site => json!({"method": "GET", "path": "/site"}),
        Op::PlanUnknown => {
            json!({"method": "GET", "path": "/plan", "query": {"plan_id": UNKNOWN_PLAN}})
        }
        Op::Geo => json!({"method": "GET", "path": "/geo/country"}),
        Op::Location => json!({"method": "GET", "path": "/location"}),
        Op::SiteIdMissing { endpoint } | Op::SiteIdUnknown { endpoint } => {
            let (method, path) = SITE_SCOPED[*endpoint];
            let mut request = json!({"method": method, "path": path});
            match path {
                "/auth/login" | "/auth/register" => {
                    request["json"] = json!({"email": var(&format!("fresh_email_s{id}")),
                        "password": var(&format!("fresh_password_s{id}"))});
                }
                "/plan" => request["query"] = json!({"plan_id": UNKNOWN_PLAN}),
                _ => {}
            }
            if matches!(op, Op::SiteIdMissing { .. }) {
                request["site_id"] = json!("none");
            } else {
                if request.get("query").is_none() {
                    request["query"] = json!({});
                }
                request["query"]["site_id"] = json!(UNKNOWN_SITE);
            }
            request
        }
        Op::Advance { .. } => Value::Null,
    }
}

/// The result of running one journey.
#[derive(Debug, Clone)]
pub struct Ran {
    pub report: SuiteReport,
    /// The first failed step and its claims.
    pub failed: Option<(usize, Vec<&'static str>)>,
}

/// Loads the written suite and runs it on the context's target.
pub async fn run(
    ctx: &Arc<RunContext>,
    live: bool,
    written: &Written,
    file: &str,
) -> Result<Ran, String> {
    let text = serde_json::to_string(&written.suite).map_err(|e| e.to_string())?;
    let source = SuiteSource {
        file: file.to_string(),
        bytes: text.into_bytes(),
    };
    let profile = ctx.profile.to_json();
    let load_ctx = LoadContext {
        schemas: &ctx.schemas,
        profile: &profile,
        live,
    };
    let loaded = load::load(&source, &load_ctx).map_err(|e| e.to_string())?;
    let report = run_all(Arc::clone(ctx), vec![loaded])
        .await
        .into_iter()
        .next()
        .ok_or("the runner returned no report")?;
    let failed = if report.outcome == SuiteOutcome::Failed {
        report
            .steps
            .iter()
            .position(|s| s.outcome == StepOutcome::Failed)
            .map(|i| (i, written.step_claims.get(i).cloned().unwrap_or_default()))
    } else {
        None
    };
    Ok(Ran { report, failed })
}
