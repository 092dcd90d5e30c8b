//! The reference model: what `spec/claims.md` promises, with the profile's values, as a small pure
//! state machine. For each operation it predicts a *set* of acceptable statuses and the facts that
//! must hold; where the documents are silent it accepts every reading and forgets what it cannot
//! know (the account or token is then retired, so no later step leans on a guess).
//!
//! It is not the mock: it never reads a response. It knows the state because it knows the rules.

use serde_json::{Value, json};

use crate::profile::SiteProfile;

/// A one-second allowance at every time edge: "within 5 minutes" at exactly 300 s is either.
const EDGE: u64 = 1;

/// The documented first names an update may set (letter case, accents, scripts, emoji, quotes).
pub const NAMES: &[&str] = &["Zoë", "O'Brien", "名前", "ÉLODIE", "a", "José María", "🙂"];

/// Protected endpoints a token is tried on.
pub const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/customer"),
    ("POST", "/customer"),
    ("POST", "/customer/refresh"),
    ("POST", "/auth/logout"),
    ("PUT", "/customer"),
    ("POST", "/password/update"),
];

/// Fields a register or an update sets beyond the required ones, at their documented bounds.
pub const LAST_NAMES: &[&str] = &["Doe-Ünal", "O'Neil", "李"];
pub const PHONE: &str = "+1 555 0100";

/// Invalid values of REG-FIELDS: (field, why).
pub const INVALID_FIELDS: &[(&str, &str)] = &[
    ("username", "101 characters"),
    ("display_name", "101 characters"),
    ("language", "three letters"),
    ("username", "a space"),
];

/// Endpoints a `site_id` is left out of, or made unknown on.
pub const SITE_SCOPED: &[(&str, &str)] = &[
    ("GET", "/site"),
    ("POST", "/auth/login"),
    ("POST", "/auth/register"),
    ("GET", "/plan"),
];

/// How a token is forged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// Not a JWT at all.
    Garbage,
    /// A real token with its signature altered.
    BadSignature(usize),
    /// A real token re-signed with `alg: none`.
    AlgNone(usize),
}

/// The password a registration uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Password {
    /// A generated one that meets every policy.
    Normal,
    /// Exactly 6 characters (valid without strong passwords).
    AtMinimum,
    /// 5 characters: refused under every policy.
    BelowMinimum,
    /// No password at all.
    Missing,
}

/// One operation of a journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Register {
        acct: usize,
        password: Password,
        username: bool,
    },
    RegisterNoEmail,
    RegisterDuplicate {
        acct: usize,
        upper: bool,
    },
    Login {
        acct: usize,
        by_username: bool,
    },
    WrongPassword {
        acct: usize,
    },
    LoginUnknown {
        by_username: bool,
    },
    LoginNoPassword {
        acct: usize,
    },
    Logout {
        tok: usize,
    },
    Refresh {
        tok: usize,
    },
    Retrieve {
        tok: usize,
        post: bool,
    },
    Update {
        tok: usize,
        name: usize,
    },
    Forged {
        forgery: Forgery,
        endpoint: usize,
    },
    NoToken {
        endpoint: usize,
    },
    Passwordless {
        acct: usize,
    },
    PasswordlessUnknown,
    Site,
    PlanUnknown,
    Geo,
    Location,
    SiteIdMissing {
        endpoint: usize,
    },
    SiteIdUnknown {
        endpoint: usize,
    },
    /// Moves the mock's virtual clock.
    Advance {
        seconds: u64,
    },
    /// Register with every optional field at a bound (display name of 100, phone with spaces,
    /// nested metadata, a two-letter language, a unicode last name).
    RegisterFull {
        acct: usize,
    },
    /// Register with one invalid optional field (`INVALID_FIELDS`).
    RegisterInvalid {
        kind: usize,
    },
    /// PUT /customer setting the last name only (a partial update).
    UpdateLastName {
        tok: usize,
        name: usize,
    },
    /// PUT /customer with an invalid field (`INVALID_FIELDS`), or (kind 4) another customer's
    /// username, or (kind 5) another customer's email.
    UpdateInvalid {
        tok: usize,
        kind: usize,
        other: usize,
    },
    /// A wrong password by username, or by the email in upper case.
    WrongPasswordAs {
        acct: usize,
        by_username: bool,
    },
    /// Log in with the email in upper case.
    LoginUpper {
        acct: usize,
    },
    /// POST /password/update with a token that is refused (logged out or expired).
    PasswordUpdateRefused {
        tok: usize,
    },
    /// The same operation with `site_id` in the JSON body instead of the query (the JS SDK's way).
    InBody(Box<Op>),
}

impl Op {
    /// Whether it is a POST or PUT whose `site_id` can travel in the body.
    pub fn has_body(&self) -> bool {
        matches!(
            self,
            Op::Register { .. }
                | Op::RegisterFull { .. }
                | Op::Login { .. }
                | Op::WrongPassword { .. }
                | Op::Logout { .. }
                | Op::Refresh { .. }
                | Op::Retrieve { post: true, .. }
                | Op::Update { .. }
                | Op::UpdateLastName { .. }
                | Op::Passwordless { .. }
                | Op::RegisterDuplicate { .. }
        )
    }
}

/// What the documents allow for one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The claims this step enforces (empty: a setup step whose outcome is only observed).
    pub claims: Vec<&'static str>,
    /// Acceptable statuses (empty for a clock move).
    pub statuses: Vec<u16>,
    pub schema: Option<&'static str>,
    /// JSON Pointer → matcher, every one documented.
    pub json: Vec<(String, Value)>,
    /// Variable → pointer: a token (and customer id) the step hands out.
    pub capture: Vec<(String, String)>,
    /// Checks of the JWT the step hands out (`jwt:` of the suite format).
    pub jwt: Option<Value>,
}

impl Prediction {
    fn new(claims: &[&'static str], statuses: &[u16]) -> Prediction {
        Prediction {
            claims: claims.to_vec(),
            statuses: statuses.to_vec(),
            schema: None,
            json: Vec::new(),
            capture: Vec::new(),
            jwt: None,
        }
    }

    fn schema(mut self, schema: &'static str) -> Prediction {
        self.schema = Some(schema);
        self
    }

    fn json(mut self, pointer: &str, matcher: Value) -> Prediction {
        self.json.push((pointer.to_string(), matcher));
        self
    }
}

/// What the model knows of an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub registered: Known,
    pub password: Password,
    pub username: bool,
    /// Times of wrong passwords not yet followed by a success.
    pub failures: Vec<u64>,
    /// Locked at this time (the attempt after N failures), with the last attempt since.
    pub locked: Option<(u64, u64)>,
    pub first_name: Option<usize>,
    pub last_name: Option<usize>,
    /// Registered with every optional field (`RegisterFull`).
    pub full: bool,
    /// Times of passwordless requests; `pwl_throttled` once one was refused.
    pub pwl: Vec<u64>,
    pub pwl_throttled: Option<u64>,
    /// The model no longer knows enough to predict (a silence was met); not used again.
    pub retired: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    No,
    Yes,
}

/// What the model knows of a token.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The step that minted it: its variable is `tok{id}`, stable when a journey is shrunk.
    pub id: usize,
    pub owner: usize,
    pub issued: u64,
    pub blacklisted: bool,
    /// Ended by a later login under single user authentication.
    pub ended: bool,
    /// Its fate is not documented (refreshed: maybe retired); not used again.
    pub retired: bool,
}

/// How a token would be judged now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TokenNow {
    Works,
    Refused(Vec<u16>, &'static str),
    /// At an edge of its lifetime: either reading.
    Unsure,
}

/// The model's state: accounts, tokens and the virtual time since the journey began.
#[derive(Debug, Clone)]
pub struct Model {
    pub profile: SiteProfile,
    /// The journey read the server's clock into `clock0` first (a mock): `iat` is then checked
    /// to the second.
    pub clock_known: bool,
    pub now: u64,
    pub accounts: Vec<Account>,
    pub tokens: Vec<Token>,
}

impl Model {
    pub fn new(profile: SiteProfile) -> Model {
        Model {
            profile,
            clock_known: false,
            now: 0,
            accounts: Vec::new(),
            tokens: Vec::new(),
        }
    }

    /// The variable names a step's templates use for an account.
    pub fn email_var(acct: usize) -> String {
        format!("fresh_email_x{acct}")
    }
    pub fn password_var(&self, acct: usize) -> String {
        match self.accounts.get(acct).map(|a| a.password) {
            Some(Password::AtMinimum) => format!("fresh_password_x{acct}_len_6"),
            _ => format!("fresh_password_x{acct}"),
        }
    }
    pub fn username_var(acct: usize) -> String {
        format!("fresh_username_x{acct}_len_100")
    }
    pub fn token_var(tok: usize) -> String {
        format!("tok{tok}")
    }

    fn ttl(&self) -> u64 {
        u64::from(self.profile.auth_token_ttl_days) * 86_400
    }

    fn token_now(&self, tok: usize) -> TokenNow {
        let Some(t) = self.tokens.get(tok) else {
            return TokenNow::Unsure;
        };
        if t.ended {
            // *assumed* in claims.md: refused, by either refusal.
            return TokenNow::Refused(sorted(vec![401, 403]), "SINGLE-USER");
        }
        let age = self.now - t.issued;
        let expired = if age + EDGE < self.ttl() {
            Some(false)
        } else if age > self.ttl() + EDGE {
            Some(true)
        } else {
            None
        };
        let invalid = self.profile.invalid_token_status;
        match (t.blacklisted, expired) {
            (false, Some(false)) => TokenNow::Works,
            (false, Some(true)) => TokenNow::Refused(vec![invalid], "TOKEN-EXPIRED"),
            (true, Some(false)) => TokenNow::Refused(vec![403], "LOGOUT-BLACKLIST"),
            // Blacklisted and expired: either refusal.
            (true, _) => TokenNow::Refused(sorted(vec![403, invalid]), "LOGOUT-BLACKLIST"),
            (false, None) => TokenNow::Unsure,
        }
    }

    /// Whether the account is locked now: `Some(true|false)`, or `None` at an edge (or where the
    /// documents leave the reading open).
    fn locked_now(&self, acct: usize) -> Option<bool> {
        let a = &self.accounts[acct];
        let window = self.profile.lockout.window_seconds;
        if let Some((first, last)) = a.locked {
            // Locked from the first of the N failures (the sliding reading) or from the lock
            // (the fixed one), and attempts while locked may count: certain only outside both.
            if self.now + EDGE < first + window {
                return Some(true);
            }
            if self.now > last + window + EDGE {
                return Some(false);
            }
            return None;
        }
        let n = self.profile.lockout.attempts as usize;
        let mut within = 0;
        let mut unsure = 0;
        for &f in &a.failures {
            let age = self.now - f;
            if age + EDGE < window {
                within += 1;
            } else if age <= window + EDGE {
                unsure += 1;
            }
        }
        if within >= n {
            Some(true)
        } else if within + unsure >= n {
            None
        } else {
            Some(false)
        }
    }

    /// The status of a lockout answer and its documented body.
    fn locked_prediction(&self, claim: &'static str) -> Prediction {
        let status = self.profile.lockout.status;
        let p = Prediction::new(&["LOCKOUT", claim], &[status]);
        if status == 400 {
            p.schema("error-validation").json(
                "/errors/email",
                json!(["Too many login attempts. Please try again later."]),
            )
        } else {
            p
        }
    }

    fn invalid_credentials() -> Prediction {
        Prediction::new(&["LOGIN-BAD"], &[404])
            .schema("error-app")
            .json("/error/status", json!(404))
            .json(
                "/error/message",
                json!("Invalid credentials! Please try again."),
            )
    }

    fn ensure_account(&mut self, acct: usize) {
        while self.accounts.len() <= acct {
            self.accounts.push(Account {
                registered: Known::No,
                password: Password::Normal,
                username: false,
                failures: Vec::new(),
                locked: None,
                first_name: None,
                last_name: None,
                full: false,
                pwl: Vec::new(),
                pwl_throttled: None,
                retired: false,
            });
        }
    }

    pub fn id_var(acct: usize) -> String {
        format!("id{acct}")
    }

    /// The documented facts of a token minted now by `path` for `owner` (TOKEN-JWT, TOKEN-TTL).
    fn jwt_facts(&self, owner: usize, path: &str) -> Value {
        // Register's own answer carries the id first, so its token's `sub` is checked by form.
        let sub = if path == "/auth/register" {
            json!({"type": "string", "matches": "^[0-9]+$"})
        } else {
            json!({"type": "string", "equals": format!("{{{{ {} | text }}}}", Model::id_var(owner))})
        };
        let mut claims = json!({
            "sub": sub,
            "iss": {"type": "string", "matches": format!("^https?://.+{}", regex::escape(path))},
            "jti": {"type": "string", "not_empty": true},
            "prv": {"present": true},
            "iat": {"type": "integer"},
            "exp": {"type": "integer"},
            "nbf": {"type": "integer"},
        });
        if let Some(last) = self.tokens.last() {
            claims["jti"]["not_equals"] =
                json!(format!("{{{{ {} | jwt.jti }}}}", Model::token_var(last.id)));
        }
        if self.clock_known {
            let now = format!("{{{{ clock0 + {} }}}}", self.now);
            claims["iat"] = json!(now);
            claims["nbf"]["max"] = json!(now);
        }
        json!({
            "ttl_days": self.profile.auth_token_ttl_days,
            "header": {"alg": "HS256"},
            "claims": claims,
        })
    }

    /// A step that hands out a token: its captures, its JWT facts, their claims.
    fn minting(
        &mut self,
        mut p: Prediction,
        id: usize,
        owner: usize,
        login: bool,
        path: &str,
    ) -> Prediction {
        p.jwt = Some(self.jwt_facts(owner, path));
        p.claims.extend(["TOKEN-JWT", "TOKEN-TTL"]);
        let (var, pointer) = self.mint(id, owner, login);
        p.capture.push((var, pointer));
        p
    }

    fn mint(&mut self, id: usize, owner: usize, login: bool) -> (String, String) {
        if login && self.profile.single_user_auth {
            for t in self.tokens.iter_mut().filter(|t| t.owner == owner) {
                t.ended = true;
            }
        }
        self.tokens.push(Token {
            id,
            owner,
            issued: self.now,
            blacklisted: false,
            ended: false,
            retired: false,
        });
        (Model::token_var(id), "/data/auth_token".to_string())
    }

    /// The index of the token minted by step `id`.
    pub fn token_index(&self, id: usize) -> Option<usize> {
        self.tokens.iter().position(|t| t.id == id)
    }

    /// Whether every account and token the operation names is known and usable now: a shrunk
    /// journey whose step lost what it needs is not tried.
    pub fn can_take(&self, op: &Op) -> bool {
        let acct_ok = |a: usize| self.usable_accounts().contains(&a);
        let tok_ok = |t: usize| {
            self.token_index(t)
                .is_some_and(|i| self.usable_tokens().contains(&i))
        };
        match *op {
            Op::InBody(ref inner) => inner.has_body() && self.can_take(inner),
            Op::RegisterFull { acct } => self
                .accounts
                .get(acct)
                .is_none_or(|a| a.registered == Known::No && !a.retired),
            Op::WrongPasswordAs { acct, by_username } => {
                acct_ok(acct) && (!by_username || self.accounts[acct].username)
            }
            Op::LoginUpper { acct } => acct_ok(acct),
            Op::UpdateLastName { tok, .. } => tok_ok(tok),
            Op::UpdateInvalid { tok, kind, other } => {
                tok_ok(tok)
                    && (kind < 4 || {
                        let owner = self.token_index(tok).map(|i| self.tokens[i].owner);
                        acct_ok(other)
                            && owner != Some(other)
                            && (kind == 5 || self.accounts[other].username)
                    })
            }
            Op::PasswordUpdateRefused { tok } => {
                tok_ok(tok)
                    && self
                        .token_index(tok)
                        .is_some_and(|i| matches!(self.token_now(i), TokenNow::Refused(..)))
            }
            Op::Register { acct, .. } => self
                .accounts
                .get(acct)
                .is_none_or(|a| a.registered == Known::No && !a.retired),
            Op::RegisterDuplicate { acct, .. }
            | Op::Login { acct, .. }
            | Op::WrongPassword { acct }
            | Op::LoginNoPassword { acct }
            | Op::Passwordless { acct } => acct_ok(acct),
            Op::Logout { tok }
            | Op::Refresh { tok }
            | Op::Retrieve { tok, .. }
            | Op::Update { tok, .. } => tok_ok(tok),
            Op::Forged {
                forgery: Forgery::BadSignature(t) | Forgery::AlgNone(t),
                ..
            } => tok_ok(t),
            _ => true,
        }
    }

    /// Predicts the operation of step `id` and moves the state as the documents say it moves.
    /// Tokens are named by the step that minted them; the caller checks `can_take` first.
    pub fn step(&mut self, id: usize, op: &Op) -> Prediction {
        if !self.can_take(op) {
            // Not taken by a caller that asked `can_take`; observed only if it is.
            return Prediction::new(&[], &[]);
        }
        let op = &self.resolve(op);
        match *op {
            Op::Advance { seconds } => {
                self.now += seconds;
                Prediction::new(&[], &[])
            }
            Op::Register {
                acct,
                password,
                username,
            } => {
                self.ensure_account(acct);
                let strong = self.profile.strong_passwords;
                let a = &mut self.accounts[acct];
                a.password = password;
                a.username = username;
                let refused = match password {
                    Password::BelowMinimum | Password::Missing => true,
                    Password::AtMinimum => strong,
                    Password::Normal => false,
                };
                if refused {
                    a.retired = true;
                    return Prediction::new(&["REG-PASSWORD"], &[400])
                        .schema("error-validation")
                        .json("/errors/password", json!({"not_empty": true}));
                }
                a.registered = Known::Yes;
                let mut p = Prediction::new(&["REG-OK"], &[200])
                    .schema("customer-token-envelope")
                    .json(
                        "/data/email",
                        json!(format!("{{{{ {} }}}}", Model::email_var(acct))),
                    );
                if username {
                    p.claims.push("REG-FIELDS");
                    p = p.json(
                        "/data/username",
                        json!(format!("{{{{ {} }}}}", Model::username_var(acct))),
                    );
                }
                p.capture.push((Model::id_var(acct), "/data/id".into()));
                self.minting(p, id, acct, false, "/auth/register")
            }
            Op::RegisterFull { acct } => {
                self.ensure_account(acct);
                let a = &mut self.accounts[acct];
                a.registered = Known::Yes;
                a.full = true;
                a.last_name = Some(0);
                let mut p = Prediction::new(&["REG-OK", "REG-FIELDS"], &[200])
                    .schema("customer-token-envelope")
                    .json(
                        "/data/email",
                        json!(format!("{{{{ {} }}}}", Model::email_var(acct))),
                    );
                p.json.extend(self.full_fields(acct));
                p.capture.push((Model::id_var(acct), "/data/id".into()));
                self.minting(p, id, acct, false, "/auth/register")
            }
            Op::RegisterInvalid { kind } => {
                let field = INVALID_FIELDS[kind % INVALID_FIELDS.len()].0;
                Prediction::new(&["REG-FIELDS"], &[400])
                    .schema("error-validation")
                    .json(&format!("/errors/{field}"), json!({"not_empty": true}))
            }
            Op::WrongPasswordAs { acct, .. } => self.step(id, &Op::WrongPassword { acct }),
            Op::LoginUpper { acct } => self.step(
                id,
                &Op::Login {
                    acct,
                    by_username: false,
                },
            ),
            Op::InBody(ref inner) => {
                let mut p = self.step(id, inner);
                if !p.claims.is_empty() {
                    p.claims.push("GEN-BASE");
                }
                p
            }
            Op::PasswordUpdateRefused { tok } => {
                let now = self.token_now(tok);
                let mut p = self.refused(tok, now);
                p.claims.push("PASSWORD-FLOWS");
                p
            }
            Op::UpdateLastName { tok, name } => match self.token_now(tok) {
                TokenNow::Works => {
                    let owner = self.tokens[tok].owner;
                    self.accounts[owner].last_name = Some(name);
                    let mut p = Prediction::new(&["CUST-UPDATE"], &[200])
                        .schema("customer-token-envelope")
                        .json("/data/last_name", json!(LAST_NAMES[name]));
                    p.json.extend(self.kept_fields(owner, false));
                    self.minting_update(p, owner)
                }
                other => self.refused(tok, other),
            },
            Op::UpdateInvalid { tok, kind, other } => match self.token_now(tok) {
                TokenNow::Works => {
                    let (field, claim) = match kind {
                        4 => ("username", "REG-FIELDS"),
                        5 => ("email", "REG-EMAIL-UNIQUE"),
                        k => (INVALID_FIELDS[k % INVALID_FIELDS.len()].0, "REG-FIELDS"),
                    };
                    let _ = other;
                    Prediction::new(&[claim, "CUST-UPDATE"], &[400])
                        .schema("error-validation")
                        .json(&format!("/errors/{field}"), json!({"not_empty": true}))
                }
                other => self.refused(tok, other),
            },
            Op::RegisterNoEmail => Prediction::new(&["REG-EMAIL-REQ"], &[400])
                .schema("error-validation")
                .json("/errors/email", json!({"not_empty": true})),
            Op::RegisterDuplicate { .. } => Prediction::new(&["REG-EMAIL-UNIQUE"], &[400])
                .schema("error-validation")
                .json(
                    "/errors/email",
                    json!(["The email has already been taken."]),
                ),
            Op::Login { acct, by_username } => {
                let claim = "LOGIN-OK";
                let _ = by_username;
                match self.locked_now(acct) {
                    Some(true) => {
                        let p = self.locked_prediction("LOCKOUT-CORRECT");
                        self.note_locked_attempt(acct);
                        p
                    }
                    None => {
                        self.accounts[acct].retired = true;
                        let status = self.profile.lockout.status;
                        Prediction::new(&["LOCKOUT-EXPIRES"], &sorted(vec![200, status]))
                    }
                    Some(false) => {
                        let was_locked = self.accounts[acct].locked.take().is_some();
                        let a = &mut self.accounts[acct];
                        // Whether a success clears the count is not documented.
                        if !a.failures.is_empty() && !was_locked {
                            a.retired = true;
                        }
                        a.failures.clear();
                        let mut p = Prediction::new(&[claim], &[200])
                            .schema("customer-token-envelope")
                            .json(
                                "/data/email",
                                json!(format!("{{{{ {} }}}}", Model::email_var(acct))),
                            );
                        if was_locked {
                            p.claims.push("LOCKOUT-EXPIRES");
                        }
                        if let Some(name) = self.accounts[acct].first_name {
                            p = p.json("/data/first_name", json!(NAMES[name]));
                        }
                        self.minting(p, id, acct, true, "/auth/login")
                    }
                }
            }
            Op::WrongPassword { acct } => match self.locked_now(acct) {
                Some(true) => {
                    let p = self.locked_prediction("LOCKOUT");
                    self.note_locked_attempt(acct);
                    p
                }
                None => {
                    self.accounts[acct].retired = true;
                    let status = self.profile.lockout.status;
                    Prediction::new(&["LOCKOUT"], &sorted(vec![404, status]))
                }
                Some(false) => {
                    let now = self.now;
                    let window = self.profile.lockout.window_seconds;
                    let a = &mut self.accounts[acct];
                    a.locked = None;
                    a.failures.retain(|&f| now - f <= window + EDGE);
                    a.failures.push(now);
                    let mut p = Model::invalid_credentials();
                    p.claims.push("LOCKOUT");
                    // The attempt after N failures within the window is the lockout.
                    if self.locked_now(acct) == Some(true) {
                        let first = self.accounts[acct].failures[0];
                        self.accounts[acct].locked = Some((first, now));
                    } else if self.locked_now(acct).is_none() {
                        self.accounts[acct].retired = true;
                    }
                    p
                }
            },
            Op::LoginUnknown { .. } => Model::invalid_credentials(),
            Op::LoginNoPassword { .. } => Prediction::new(&["LOGIN-ID-REQ"], &[400])
                .schema("error-validation")
                .json("/errors/password", json!({"not_empty": true})),
            Op::Logout { tok } => match self.token_now(tok) {
                TokenNow::Works => {
                    self.tokens[tok].blacklisted = true;
                    let owner = self.tokens[tok].owner;
                    Prediction::new(&["LOGOUT"], &[200])
                        .schema("customer-logout-envelope")
                        .json(
                            "/data/email",
                            json!(format!("{{{{ {} }}}}", Model::email_var(owner))),
                        )
                }
                other => self.refused(tok, other),
            },
            Op::Refresh { tok } => match self.token_now(tok) {
                TokenNow::Works => {
                    let owner = self.tokens[tok].owner;
                    // Whether the presented token is retired is not documented.
                    self.tokens[tok].retired = true;
                    let p = Prediction::new(&["TOKEN-REFRESH"], &[200])
                        .schema("customer-token-envelope")
                        .json(
                            "/data/email",
                            json!(format!("{{{{ {} }}}}", Model::email_var(owner))),
                        );
                    self.minting(p, id, owner, false, "/customer/refresh")
                }
                other => {
                    let mut p = self.refused(tok, other);
                    if p.claims.contains(&"TOKEN-EXPIRED") {
                        p.claims.push("TOKEN-REFRESH");
                    }
                    p
                }
            },
            Op::Retrieve { tok, .. } => match self.token_now(tok) {
                TokenNow::Works => {
                    let owner = self.tokens[tok].owner;
                    let mut p = Prediction::new(&["CUST-GET"], &[200])
                        .schema("customer-envelope")
                        .json(
                            "/data/email",
                            json!(format!("{{{{ {} }}}}", Model::email_var(owner))),
                        );
                    let kept = self.kept_fields(owner, true);
                    if !kept.is_empty() {
                        p.claims.push("CUST-UPDATE");
                    }
                    p.json.extend(kept);
                    p
                }
                other => self.refused(tok, other),
            },
            Op::Update { tok, name } => match self.token_now(tok) {
                TokenNow::Works => {
                    let owner = self.tokens[tok].owner;
                    self.accounts[owner].first_name = Some(name);
                    let mut p = Prediction::new(&["CUST-UPDATE"], &[200])
                        .schema("customer-token-envelope")
                        .json(
                            "/data/email",
                            json!(format!("{{{{ {} }}}}", Model::email_var(owner))),
                        );
                    p.json.extend(self.kept_fields(owner, true));
                    self.minting_update(p, owner)
                }
                other => self.refused(tok, other),
            },
            Op::Forged { .. } => {
                Prediction::new(&["TOKEN-BEARER"], &[self.profile.invalid_token_status])
            }
            Op::NoToken { .. } => Prediction::new(&["ERR-401"], &[401]),
            Op::Passwordless { acct } => {
                if !self.profile.passwordless_enabled {
                    return Prediction::new(&["PWL-REQUEST"], &[400]);
                }
                let now = self.now;
                let window = self.profile.passwordless_throttle.window_seconds;
                let allowance = self.profile.passwordless_throttle.requests as usize;
                let a = &mut self.accounts[acct];
                if let Some(since) = a.pwl_throttled {
                    // Refused requests may or may not count: certain only well past the last.
                    let last = a.pwl.last().copied().unwrap_or(since).max(since);
                    if now > last + window + EDGE {
                        a.pwl.clear();
                        a.pwl_throttled = None;
                    } else if now + EDGE < a.pwl.first().copied().unwrap_or(since) + window {
                        a.pwl_throttled = Some(now);
                        return Prediction::new(&["PWL-THROTTLE", "ERR-429"], &[429]);
                    } else {
                        a.retired = true;
                        return Prediction::new(&["PWL-THROTTLE"], &[200, 429]);
                    }
                }
                let mut within = 0;
                let mut unsure = 0;
                for &t in &a.pwl {
                    let age = now - t;
                    if age + EDGE < window {
                        within += 1;
                    } else if age <= window + EDGE {
                        unsure += 1;
                    }
                }
                if within >= allowance {
                    a.pwl_throttled = Some(now);
                    Prediction::new(&["PWL-THROTTLE", "ERR-429"], &[429])
                } else if within + unsure >= allowance {
                    a.retired = true;
                    Prediction::new(&["PWL-THROTTLE"], &[200, 429])
                } else {
                    a.pwl.retain(|&t| now - t <= window + EDGE);
                    a.pwl.push(now);
                    Prediction::new(&["PWL-REQUEST"], &[200])
                }
            }
            Op::PasswordlessUnknown => {
                if self.profile.passwordless_enabled {
                    Prediction::new(&["PWL-REQUEST"], &[404])
                } else {
                    Prediction::new(&["PWL-REQUEST"], &[400])
                }
            }
            Op::Site => Prediction::new(&["SITE"], &[200]).schema("site-envelope"),
            Op::PlanUnknown => Prediction::new(&["PLAN"], &[404])
                .schema("error-app")
                .json("/error/status", json!(404)),
            Op::Geo => Prediction::new(&["GEO"], &[200]).schema("geo-envelope"),
            Op::Location => Prediction::new(&["LOCATION"], &[200]).schema("location-envelope"),
            Op::SiteIdMissing { .. } | Op::SiteIdUnknown { .. } => {
                Prediction::new(&["SITE-ID"], &[400])
                    .schema("error-validation")
                    .json("/errors/site_id", json!({"not_empty": true}))
            }
        }
    }

    /// The operation with token ids turned into indices of `tokens` (`usize::MAX`: unknown).
    fn resolve(&self, op: &Op) -> Op {
        let index = |id: usize| self.token_index(id).unwrap_or(usize::MAX);
        match op.clone() {
            Op::Logout { tok } => Op::Logout { tok: index(tok) },
            Op::Refresh { tok } => Op::Refresh { tok: index(tok) },
            Op::Retrieve { tok, post } => Op::Retrieve {
                tok: index(tok),
                post,
            },
            Op::Update { tok, name } => Op::Update {
                tok: index(tok),
                name,
            },
            Op::UpdateLastName { tok, name } => Op::UpdateLastName {
                tok: index(tok),
                name,
            },
            Op::UpdateInvalid { tok, kind, other } => Op::UpdateInvalid {
                tok: index(tok),
                kind,
                other,
            },
            Op::PasswordUpdateRefused { tok } => Op::PasswordUpdateRefused { tok: index(tok) },
            other => other,
        }
    }

    /// The JWT facts of the token a PUT hands back (PUB: "with a fresh token"); not captured.
    fn minting_update(&self, mut p: Prediction, owner: usize) -> Prediction {
        let mut facts = self.jwt_facts(owner, "/customer");
        // The PUT's token is not kept, so later tokens are not compared with it.
        if let Some(claims) = facts.get_mut("claims").and_then(Value::as_object_mut) {
            claims.insert("jti".into(), json!({"type": "string", "not_empty": true}));
            // claims.md gives the issuing URL; which URL a PUT's token names is not said.
            claims.remove("iss");
        }
        p.jwt = Some(facts);
        p.claims.extend(["TOKEN-JWT", "TOKEN-TTL"]);
        p
    }

    /// The optional fields of a full registration, as echoed.
    fn full_fields(&self, acct: usize) -> Vec<(String, Value)> {
        vec![
            ("/data/phone".into(), json!(PHONE)),
            ("/data/language".into(), json!("en")),
            (
                "/data/metadata".into(),
                json!({"equals": {"tier": {"level": 2}}}),
            ),
            (
                "/data/display_name".into(),
                json!(format!("{{{{ fresh_username_d{acct}_len_100 }}}}")),
            ),
        ]
    }

    /// What must still be stored: the names last set, and a full registration's fields.
    fn kept_fields(&self, acct: usize, with_first: bool) -> Vec<(String, Value)> {
        let a = &self.accounts[acct];
        let mut kept = Vec::new();
        if with_first && let Some(name) = a.first_name {
            kept.push(("/data/first_name".to_string(), json!(NAMES[name])));
        }
        if let Some(name) = a.last_name {
            kept.push(("/data/last_name".to_string(), json!(LAST_NAMES[name])));
        }
        if a.full {
            kept.extend(self.full_fields(acct));
        }
        kept
    }

    fn note_locked_attempt(&mut self, acct: usize) {
        let now = self.now;
        if let Some((_, last)) = &mut self.accounts[acct].locked {
            *last = now;
        }
    }

    fn refused(&mut self, tok: usize, now: TokenNow) -> Prediction {
        match now {
            TokenNow::Refused(statuses, claim) => {
                let mut claims = vec![claim];
                if claim == "LOGOUT-BLACKLIST" {
                    claims.push("ERR-403");
                }
                let mut p = Prediction::new(&claims, &statuses);
                if statuses == [403] {
                    p = p.schema("error-403").json("/error/status", json!(403));
                }
                if claim == "TOKEN-EXPIRED" && statuses == [403] {
                    p = p.json(
                        "/error/message",
                        json!("Authentication token has expired, please try again"),
                    );
                }
                p
            }
            TokenNow::Unsure => {
                if let Some(t) = self.tokens.get_mut(tok) {
                    t.retired = true;
                }
                Prediction::new(
                    &["TOKEN-TTL"],
                    &sorted(vec![200, self.profile.invalid_token_status]),
                )
            }
            // Not called for a working token; observe only if it ever is.
            TokenNow::Works => Prediction::new(&[], &[]),
        }
    }

    /// Accounts the generator may still use.
    pub fn usable_accounts(&self) -> Vec<usize> {
        (0..self.accounts.len())
            .filter(|&i| {
                let a = &self.accounts[i];
                a.registered == Known::Yes && !a.retired
            })
            .collect()
    }

    /// Tokens the generator may still present.
    pub fn usable_tokens(&self) -> Vec<usize> {
        (0..self.tokens.len())
            .filter(|&i| !self.tokens[i].retired && !self.accounts[self.tokens[i].owner].retired)
            .collect()
    }

    /// Wrong passwords an account has taken in all (live safety counts them).
    pub fn failures_of(&self, acct: usize) -> usize {
        self.accounts[acct].failures.len()
    }
}

fn sorted(mut statuses: Vec<u16>) -> Vec<u16> {
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(model: &mut Model) -> usize {
        let p = model.step(
            0,
            &Op::Register {
                acct: 0,
                password: Password::Normal,
                username: false,
            },
        );
        assert_eq!(p.statuses, [200]);
        0
    }

    #[test]
    fn n_failures_leave_the_nth_a_404_and_lock_the_next() {
        let mut model = Model::new(SiteProfile::default());
        let acct = registered(&mut model);
        for _ in 0..model.profile.lockout.attempts {
            assert_eq!(model.step(9, &Op::WrongPassword { acct }).statuses, [404]);
        }
        let p = model.step(
            9,
            &Op::Login {
                acct,
                by_username: false,
            },
        );
        assert_eq!(p.statuses, [400]);
        assert!(p.claims.contains(&"LOCKOUT-CORRECT"));
        // Past the window and the last attempt, the lock has lifted.
        model.step(9, &Op::Advance { seconds: 302 });
        let p = model.step(
            9,
            &Op::Login {
                acct,
                by_username: false,
            },
        );
        assert_eq!(p.statuses, [200]);
        assert!(p.claims.contains(&"LOCKOUT-EXPIRES"));
    }

    #[test]
    fn at_the_window_edge_either_reading_is_accepted_and_the_account_retired() {
        let mut model = Model::new(SiteProfile::default());
        let acct = registered(&mut model);
        for _ in 0..10 {
            model.step(9, &Op::WrongPassword { acct });
        }
        model.step(9, &Op::Advance { seconds: 300 });
        let p = model.step(9, &Op::WrongPassword { acct });
        assert_eq!(p.statuses, [400, 404]);
        assert!(model.usable_accounts().is_empty());
    }

    #[test]
    fn tokens_expire_after_their_lifetime_and_die_at_logout() {
        let mut model = Model::new(SiteProfile {
            invalid_token_status: 401,
            ..SiteProfile::default()
        });
        registered(&mut model);
        let ttl = 60 * 86_400;
        model.step(9, &Op::Advance { seconds: ttl - 2 });
        assert_eq!(
            model
                .step(
                    9,
                    &Op::Retrieve {
                        tok: 0,
                        post: false
                    }
                )
                .statuses,
            [200]
        );
        model.step(9, &Op::Advance { seconds: 4 });
        let p = model.step(9, &Op::Retrieve { tok: 0, post: true });
        assert_eq!((p.statuses, p.claims), (vec![401], vec!["TOKEN-EXPIRED"]));
        let p = model.step(9, &Op::Logout { tok: 0 });
        assert_eq!(p.statuses, [401]);
    }

    #[test]
    fn a_logged_out_token_is_403_and_a_refreshed_one_is_retired() {
        let mut model = Model::new(SiteProfile::default());
        registered(&mut model);
        let p = model.step(1, &Op::Refresh { tok: 0 });
        assert_eq!(p.capture[0].0, "tok1");
        assert_eq!(model.usable_tokens(), [1]);
        assert_eq!(model.step(9, &Op::Logout { tok: 1 }).statuses, [200]);
        let p = model.step(
            9,
            &Op::Retrieve {
                tok: 1,
                post: false,
            },
        );
        assert_eq!(p.statuses, [403]);
        assert!(p.claims.contains(&"LOGOUT-BLACKLIST"));
    }

    #[test]
    fn the_throttle_allows_its_allowance_then_429_then_lifts() {
        let mut model = Model::new(SiteProfile::default());
        let acct = registered(&mut model);
        for _ in 0..5 {
            assert_eq!(model.step(9, &Op::Passwordless { acct }).statuses, [200]);
        }
        assert_eq!(model.step(9, &Op::Passwordless { acct }).statuses, [429]);
        model.step(9, &Op::Advance { seconds: 3602 });
        assert_eq!(model.step(9, &Op::Passwordless { acct }).statuses, [200]);
    }

    #[test]
    fn a_success_after_failures_retires_the_account_the_documents_leave_open() {
        let mut model = Model::new(SiteProfile::default());
        let acct = registered(&mut model);
        model.step(9, &Op::WrongPassword { acct });
        model.step(
            9,
            &Op::Login {
                acct,
                by_username: false,
            },
        );
        assert!(model.usable_accounts().is_empty());
    }

    #[test]
    fn single_user_authentication_ends_earlier_sessions() {
        let mut model = Model::new(SiteProfile {
            single_user_auth: true,
            ..SiteProfile::default()
        });
        let acct = registered(&mut model);
        model.step(
            1,
            &Op::Login {
                acct,
                by_username: false,
            },
        );
        assert_eq!(
            model
                .step(
                    9,
                    &Op::Retrieve {
                        tok: 0,
                        post: false
                    }
                )
                .statuses,
            [401, 403]
        );
        assert_eq!(
            model
                .step(
                    9,
                    &Op::Retrieve {
                        tok: 1,
                        post: false
                    }
                )
                .statuses,
            [200]
        );
    }
}
