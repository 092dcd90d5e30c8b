//! A journey as a suite: each operation becomes a step whose `expect` is the model's prediction,
//! so running it through the harness's own runner (HTTP client, rate cap, redactor, checks) is
//! judging it, and the same suite, written out, replays it.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::generate::Journey;
use super::model::{
    Forgery, INVALID_FIELDS, LAST_NAMES, Model, NAMES, Op, PHONE, PROTECTED, Password, SITE_SCOPED,
};
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
    /// Steps before the journey's first (reading the server's clock).
    pub offset: usize,
}

/// Writes the journey's steps, with the model's predictions, as a suite named `name`.
pub fn write(name: &str, description: &str, model: &Model, journey: &Journey) -> Written {
    let mut model = model.clone();
    let mut steps = Vec::new();
    let mut step_claims = Vec::new();
    if model.clock_known {
        // The server's clock, for `iat` to the second.
        steps.push(json!({"name": "read the server's clock",
            "request": {"method": "GET", "path": "/clock", "control": true},
            "expect": {"status": 200}, "capture": {"clock0": "/now"}}));
        step_claims.push(Vec::new());
    }
    let mut claims: Vec<&'static str> = Vec::new();
    let mut requires = Vec::new();
    if model.clock_known {
        requires.push("control");
    }
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
            if let Some(jwt) = &prediction.jwt {
                expect.insert("jwt".into(), jwt.clone());
            }
            step.insert("expect".into(), Value::Object(expect));
            if !prediction.capture.is_empty() {
                let capture: Map<String, Value> = prediction
                    .capture
                    .iter()
                    .map(|(var, pointer)| (var.clone(), json!(pointer)))
                    .collect();
                step.insert("capture".into(), Value::Object(capture));
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
        offset: usize::from(model.clock_known),
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
        Op::RegisterFull { .. } => "register with every optional field at its bound".into(),
        Op::RegisterInvalid { kind } => {
            let (field, why) = INVALID_FIELDS[kind % INVALID_FIELDS.len()];
            format!("register with a {field} of {why}")
        }
        Op::UpdateLastName { tok, .. } => format!("PUT /customer last_name only with tok{tok}"),
        Op::UpdateInvalid { tok, kind, .. } => match kind {
            4 => format!("PUT /customer another customer's username with tok{tok}"),
            5 => format!("PUT /customer another customer's email with tok{tok}"),
            k => {
                let (field, why) = INVALID_FIELDS[k % INVALID_FIELDS.len()];
                format!("PUT /customer a {field} of {why} with tok{tok}")
            }
        },
        Op::WrongPasswordAs { by_username, .. } => format!(
            "a wrong password by {}",
            if *by_username {
                "username"
            } else {
                "the email in upper case"
            }
        ),
        Op::LoginUpper { .. } => "log in by the email in upper case".into(),
        Op::PasswordUpdateRefused { tok } => format!("POST /password/update with refused tok{tok}"),
        Op::InBody(inner) => {
            return step_name(id, inner, claims).replacen(' ', " (site_id in the body) ", 1);
        }
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
            with_body(bearer(method, path, token), path, id)
        }
        Op::NoToken { endpoint } => {
            let (method, path) = PROTECTED[*endpoint];
            with_body(json!({"method": method, "path": path}), path, id)
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
        Op::RegisterFull { acct } => post(
            "/auth/register",
            json!({"email": email(*acct), "password": var(&format!("fresh_password_x{acct}")),
                "last_name": LAST_NAMES[0], "phone": PHONE, "language": "en",
                "metadata": {"tier": {"level": 2}},
                "display_name": var(&format!("fresh_username_d{acct}_len_100"))}),
        ),
        Op::RegisterInvalid { kind } => {
            let mut body = json!({"email": var(&format!("fresh_email_r{id}")),
                "password": var(&format!("fresh_password_r{id}"))});
            let (field, value) = invalid_value(*kind, id);
            body[field] = value;
            post("/auth/register", body)
        }
        Op::UpdateLastName { tok, name } => json!({"method": "PUT", "path": "/customer",
            "bearer": var(&Model::token_var(*tok)), "json": {"last_name": LAST_NAMES[*name]}}),
        Op::UpdateInvalid { tok, kind, other } => {
            let (field, value) = match kind {
                4 => ("username", var(&Model::username_var(*other))),
                5 => ("email", email(*other)),
                k => invalid_value(*k, id),
            };
            let mut body = json!({});
            body[field] = value;
            json!({"method": "PUT", "path": "/customer", "bearer": var(&Model::token_var(*tok)), "json": body})
        }
        Op::WrongPasswordAs { acct, by_username } => {
            let who = if *by_username {
                json!({"username": var(&Model::username_var(*acct)), "password": var("fresh_password_wrong")})
            } else {
                json!({"email": format!("{{{{ {} | upper }}}}", Model::email_var(*acct)), "password": var("fresh_password_wrong")})
            };
            post("/auth/login", who)
        }
        Op::LoginUpper { acct } => post(
            "/auth/login",
            json!({"email": format!("{{{{ {} | upper }}}}", Model::email_var(*acct)), "password": password(*acct)}),
        ),
        Op::PasswordUpdateRefused { tok } => json!({"method": "POST", "path": "/password/update",
            "bearer": var(&Model::token_var(*tok)), "json": password_update_body(id)}),
        Op::InBody(inner) => {
            let mut request = request(id, inner, model);
            request["site_id"] = json!("body");
            if request.get("json").is_none() {
                request["json"] = json!({});
            }
            request
        }
    }
}

/// The body PUT /customer and password update need, so that only the token is wrong.
fn with_body(mut request: Value, path: &str, id: usize) -> Value {
    match path {
        "/customer" if request["method"] == "PUT" => {
            request["json"] = json!({"first_name": "Nope"})
        }
        "/password/update" => request["json"] = password_update_body(id),
        _ => {}
    }
    request
}

/// An invalid value of `INVALID_FIELDS[kind]`.
fn invalid_value(kind: usize, id: usize) -> (&'static str, Value) {
    match kind % INVALID_FIELDS.len() {
        0 => ("username", var(&format!("fresh_username_v{id}_len_101"))),
        1 => (
            "display_name",
            var(&format!("fresh_username_w{id}_len_101")),
        ),
        2 => ("language", json!("deu")),
        _ => (
            "username",
            json!(format!("{{{{ fresh_username_s{id} }}}} x")),
        ),
    }
}

fn password_update_body(id: usize) -> Value {
    json!({"old_password": var("fresh_password_wrong"),
        "new_password": var(&format!("fresh_password_n{id}")),
        "confirm_new_password": var(&format!("fresh_password_n{id}"))})
}

/// The result of running one journey.
#[derive(Debug, Clone)]
pub struct Ran {
    pub report: SuiteReport,
    /// The first failed step (its index in the journey) and the claims it breaks.
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
            // A failure before the journey (reading the clock) is not the target's deviation.
            .filter(|&i| i >= written.offset)
            .map(|i| {
                let claims = written.step_claims.get(i).cloned().unwrap_or_default();
                (i - written.offset, blame(&report.steps[i], claims))
            })
    } else {
        None
    };
    Ok(Ran { report, failed })
}

/// The claims a failed step breaks: a failed JWT check breaks the token claims, any other check
/// the step's own.
fn blame(step: &crate::report::StepReport, claims: Vec<&'static str>) -> Vec<&'static str> {
    let gate = crate::checks::Gate::default();
    let Some(failed) = step.checks.iter().find(|c| c.fails(gate)) else {
        return claims;
    };
    let (jwt, other): (Vec<&'static str>, Vec<&'static str>) = claims
        .iter()
        .partition(|c| matches!(**c, "TOKEN-JWT" | "TOKEN-TTL"));
    let chosen = if failed.kind == crate::checks::CheckKind::Jwt {
        if failed.subject.contains("ttl") || failed.subject.contains("exp") {
            jwt.into_iter().rev().collect()
        } else {
            jwt
        }
    } else {
        other
    };
    if chosen.is_empty() { claims } else { chosen }
}
