//! The contract of every endpoint the harness knows: method, path, authentication, the claims it
//! serves, its request fields, and per status the schema(s) the answer must match.
//!
//! One table, read by three consumers: `openapi` (the OpenAPI 3.1 document), `proxy` (checks every
//! answer a client saw) and the tests. Paths are relative to the API root `/api/v1/sdk`
//! ([`crate::target::API_PREFIX`]). Shapes are those of `docs/wire.md`; where the guide and the
//! public pages disagree (invalid-token status, lockout status) the table holds both answers and a
//! [`SiteProfile`] narrows them ([`Endpoint::schemas_under`]).

use crate::profile::SiteProfile;

/// The type of a request field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    /// A number or a numeric string (`site_id`, `plan_id`).
    IntegerOrString,
    Boolean,
    Object,
}

impl FieldType {
    /// The JSON Schema of the type.
    pub fn json_schema(self) -> serde_json::Value {
        use serde_json::json;
        match self {
            FieldType::String => json!({"type": "string"}),
            FieldType::Integer => json!({"type": "integer"}),
            FieldType::IntegerOrString => json!({"type": ["integer", "string"]}),
            FieldType::Boolean => json!({"type": "boolean"}),
            FieldType::Object => json!({"type": "object"}),
        }
    }
}

/// One field of a request body or query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldType,
    pub required: bool,
    /// The allowed values, when the documents list them (`idp_name`); empty: any.
    pub values: &'static [&'static str],
    pub description: &'static str,
}

const fn req(name: &'static str, kind: FieldType, description: &'static str) -> Field {
    Field {
        name,
        kind,
        required: true,
        values: &[],
        description,
    }
}

const fn opt(name: &'static str, kind: FieldType, description: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        values: &[],
        description,
    }
}

/// One documented answer: a status and the schema names (file stems of `schemas/`) any of which
/// the body may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub schemas: &'static [&'static str],
    pub description: &'static str,
}

const fn answer(
    status: u16,
    schemas: &'static [&'static str],
    description: &'static str,
) -> Answer {
    Answer {
        status,
        schemas,
        description,
    }
}

/// The contract of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Upper case: `GET`, `POST`, `PUT`.
    pub method: &'static str,
    /// Relative to `/api/v1/sdk`, starting with `/`.
    pub path: &'static str,
    /// A stable identifier (`authRegister`): the OpenAPI `operationId`.
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Whether `Authorization: Bearer {token}` is required.
    pub auth: bool,
    /// Claim IDs of `spec/claims.md` this operation serves.
    pub claims: &'static [&'static str],
    /// JSON body fields (POST/PUT); `site_id` may also travel in the body and is not listed.
    pub body: &'static [Field],
    /// Query parameters besides `site_id`.
    pub query: &'static [Field],
    /// Every documented answer.
    pub answers: &'static [Answer],
}

impl Endpoint {
    /// The schema names an answer with this status may match; `None`: the status is not
    /// documented for this operation. The union over every known site variant.
    pub fn schema_for(&self, status: u16) -> Option<&'static [&'static str]> {
        self.answers
            .iter()
            .find(|a| a.status == status)
            .map(|a| a.schemas)
    }

    /// Like [`Endpoint::schema_for`], narrowed by what the site is configured to do: the login
    /// lockout's validation body at 429 is accepted only when the profile's lockout status is 429.
    pub fn schemas_under(&self, status: u16, profile: &SiteProfile) -> Option<Vec<&'static str>> {
        let schemas = self.schema_for(status)?;
        let lockout_at_429 = self.path == "/auth/login" && status == 429;
        Some(
            schemas
                .iter()
                .copied()
                .filter(|s| !(lockout_at_429 && *s == VALIDATION && profile.lockout.status != 429))
                .collect(),
        )
    }

    /// The documented statuses, in table order.
    pub fn statuses(&self) -> Vec<u16> {
        self.answers.iter().map(|a| a.status).collect()
    }

    /// `POST /auth/register`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

const VALIDATION: &str = "error-validation";

const E400: Answer = answer(
    400,
    &[VALIDATION],
    "Validation failure (ERR-400), also a missing or unknown `site_id` (SITE-ID)",
);
const E401: Answer = answer(
    401,
    &["error-401"],
    "No token (ERR-401); under the public pages' variant also an invalid or expired token",
);
const E403: Answer = answer(
    403,
    &["error-403"],
    "Invalid, expired or blacklisted token (ERR-403)",
);
const E429: Answer = answer(429, &["error-429"], "Too many requests (ERR-429)");
const E500: Answer = answer(
    500,
    &["error-500"],
    "Server error with a report_id (ERR-500)",
);

const CUSTOMER_TOKEN: &str = "customer-token-envelope";
const CUSTOMER: &str = "customer-envelope";

use FieldType::{IntegerOrString, Object, String as Str};

const PROFILE_FIELDS: [Field; 7] = [
    opt("first_name", Str, "First name"),
    opt("last_name", Str, "Last name"),
    opt("display_name", Str, "At most 100 characters"),
    opt(
        "username",
        Str,
        "Unique; letters, digits, `-` and `_`; at most 100 characters",
    ),
    opt("phone", Str, "Phone number"),
    opt("language", Str, "Two letters"),
    opt("metadata", Object, "Any JSON object"),
];

const REGISTER_BODY: [Field; 9] = [
    req("email", Str, "Unique per account"),
    req(
        "password",
        Str,
        "At least 6 characters (strong policy: 8-30 with upper, lower, digit, symbol)",
    ),
    PROFILE_FIELDS[0],
    PROFILE_FIELDS[1],
    PROFILE_FIELDS[2],
    PROFILE_FIELDS[3],
    PROFILE_FIELDS[4],
    PROFILE_FIELDS[5],
    PROFILE_FIELDS[6],
];

const UPDATE_BODY: [Field; 8] = [
    opt(
        "email",
        Str,
        "Unique per account; a change resets email_confirm",
    ),
    PROFILE_FIELDS[0],
    PROFILE_FIELDS[1],
    PROFILE_FIELDS[2],
    PROFILE_FIELDS[3],
    PROFILE_FIELDS[4],
    PROFILE_FIELDS[5],
    PROFILE_FIELDS[6],
];

/// Every endpoint of `docs/mock.md`'s table, one row per method.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "POST",
        path: "/auth/register",
        operation_id: "authRegister",
        summary: "Register a customer; returns the customer with a token",
        auth: false,
        claims: &[
            "REG-OK",
            "REG-EMAIL-REQ",
            "REG-EMAIL-UNIQUE",
            "REG-PASSWORD",
            "REG-FIELDS",
            "TOKEN-JWT",
            "TOKEN-TTL",
        ],
        body: &REGISTER_BODY,
        query: &[],
        answers: &[
            answer(
                200,
                &[CUSTOMER_TOKEN],
                "The new customer with auth_token and token",
            ),
            E400,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/auth/login",
        operation_id: "authLogin",
        summary: "Log in with email (or username) and password",
        auth: false,
        claims: &[
            "LOGIN-OK",
            "LOGIN-ID-REQ",
            "LOGIN-BAD",
            "LOCKOUT",
            "LOCKOUT-CORRECT",
            "LOCKOUT-EXPIRES",
            "SINGLE-USER",
            "MULTI-SITE",
            "TOKEN-JWT",
        ],
        body: &[
            opt("email", Str, "Required when username is not present"),
            opt("username", Str, "Used when email is not present"),
            req("password", Str, "The customer's password"),
        ],
        query: &[],
        answers: &[
            answer(
                200,
                &[CUSTOMER_TOKEN],
                "The customer with auth_token and token",
            ),
            answer(
                400,
                &[VALIDATION],
                "Validation failure, or the lockout (errors.email)",
            ),
            answer(
                404,
                &["error-app"],
                "Invalid credentials (the same answer for an unknown identity)",
            ),
            answer(
                429,
                &["error-429", VALIDATION],
                "Too many requests; under the public pages' lockout variant, the lockout with the validation body",
            ),
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/auth/logout",
        operation_id: "authLogout",
        summary: "Blacklist the presented token; returns the customer without a token",
        auth: true,
        claims: &["LOGOUT", "LOGOUT-BLACKLIST", "LOGOUT-NOAUTH"],
        body: &[],
        query: &[],
        answers: &[
            answer(
                200,
                &["customer-logout-envelope"],
                "The customer, auth_token and token null",
            ),
            E400,
            E401,
            E403,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/auth/idp/login",
        operation_id: "authIdpLogin",
        summary: "Social login (google, facebook, auth0)",
        auth: false,
        claims: &["IDP-LOGIN", "TOKEN-JWT"],
        body: &[
            Field {
                name: "idp_name",
                kind: Str,
                required: true,
                values: &["google", "facebook", "auth0"],
                description: "The identity provider",
            },
            req("idp_token", Str, "The provider's token"),
        ],
        query: &[],
        answers: &[
            answer(200, &[CUSTOMER_TOKEN], "The customer with a token"),
            E400,
            answer(
                404,
                &["error-app"],
                "The provider's token is not recognised",
            ),
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/auth/passwordless/request",
        operation_id: "authPasswordlessRequest",
        summary: "Ask for a passwordless login token by email",
        auth: false,
        claims: &["PWL-REQUEST", "PWL-THROTTLE"],
        body: &[req("email", Str, "The customer's email")],
        query: &[],
        answers: &[
            answer(200, &["message-envelope"], "The token was sent"),
            answer(
                400,
                &[VALIDATION, "error-app"],
                "Validation failure, or passwordless login disabled for the site (ERR-APP)",
            ),
            answer(404, &["error-app"], "No customer with this email"),
            answer(429, &["error-429"], "Throttled per email, with Retry-After"),
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/auth/passwordless/login",
        operation_id: "authPasswordlessLogin",
        summary: "Log in with a passwordless token",
        auth: false,
        claims: &["PWL-LOGIN", "TOKEN-JWT"],
        body: &[req("token", Str, "The passwordless token")],
        query: &[],
        answers: &[
            answer(200, &[CUSTOMER_TOKEN], "The customer with a token"),
            answer(
                400,
                &[VALIDATION],
                "Validation failure, or the token is invalid, used or expired",
            ),
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "GET",
        path: "/customer",
        operation_id: "customerGet",
        summary: "The customer the token names",
        auth: true,
        claims: &[
            "CUST-GET",
            "TOKEN-BEARER",
            "TOKEN-SHARED",
            "TOKEN-EXPIRED",
            "LOGOUT-BLACKLIST",
            "SINGLE-USER",
        ],
        body: &[],
        query: &[],
        answers: &[
            answer(
                200,
                &[CUSTOMER],
                "The customer (the documents do not say whether a token comes with it)",
            ),
            E400,
            E401,
            E403,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/customer",
        operation_id: "customerPost",
        summary: "The customer the token names (the guide's quick start)",
        auth: true,
        claims: &[
            "CUST-GET",
            "TOKEN-BEARER",
            "TOKEN-SHARED",
            "TOKEN-EXPIRED",
            "LOGOUT-BLACKLIST",
            "SINGLE-USER",
        ],
        body: &[],
        query: &[],
        answers: &[
            answer(
                200,
                &[CUSTOMER],
                "The customer (the documents do not say whether a token comes with it)",
            ),
            E400,
            E401,
            E403,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "PUT",
        path: "/customer",
        operation_id: "customerUpdate",
        summary: "Partial update of the customer; returns it with a fresh token",
        auth: true,
        claims: &["CUST-UPDATE", "TOKEN-BEARER"],
        body: &UPDATE_BODY,
        query: &[],
        answers: &[
            answer(
                200,
                &[CUSTOMER_TOKEN, CUSTOMER],
                "The updated customer (the public pages add a fresh token; the guide does not)",
            ),
            E400,
            E401,
            E403,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/customer/refresh",
        operation_id: "customerRefresh",
        summary: "Mint a fresh token; the presented one is blacklisted",
        auth: true,
        claims: &["TOKEN-REFRESH", "TOKEN-BEARER", "TOKEN-JWT"],
        body: &[],
        query: &[],
        answers: &[
            answer(
                200,
                &[CUSTOMER_TOKEN, "message-envelope"],
                "Success (the documents show no body; the mock answers the customer with a fresh token)",
            ),
            E400,
            E401,
            E403,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/password/update",
        operation_id: "passwordUpdate",
        summary: "Change the password of the customer the token names",
        auth: true,
        claims: &["PASSWORD-FLOWS", "TOKEN-BEARER"],
        body: &[
            req("old_password", Str, "The current password"),
            req("new_password", Str, "The new password (site policy)"),
            req("confirm_new_password", Str, "The new password again"),
        ],
        query: &[],
        answers: &[
            answer(200, &[CUSTOMER_TOKEN], "The customer with a fresh token"),
            E400,
            E401,
            E403,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/password/forgot",
        operation_id: "passwordForgot",
        summary: "Send a password reset token by email",
        auth: false,
        claims: &["PASSWORD-FLOWS"],
        body: &[req("email", Str, "The customer's email")],
        query: &[],
        answers: &[
            answer(200, &["message-envelope"], "The reset token was sent"),
            E400,
            answer(404, &["error-app"], "No customer with this email"),
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/password/reset",
        operation_id: "passwordReset",
        summary: "Set a new password with a reset token",
        auth: false,
        claims: &["PASSWORD-FLOWS"],
        body: &[
            req("email", Str, "The customer's email"),
            req("token", Str, "The reset token"),
            req("password", Str, "The new password (site policy)"),
            req("password_confirmation", Str, "The new password again"),
        ],
        query: &[],
        answers: &[
            answer(200, &["message-envelope"], "The password was reset"),
            answer(
                400,
                &[VALIDATION],
                "Validation failure, or the token is invalid, used or expired",
            ),
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "GET",
        path: "/site",
        operation_id: "siteGet",
        summary: "The site and its configuration",
        auth: false,
        claims: &["SITE", "SITE-ID"],
        body: &[],
        query: &[],
        answers: &[
            answer(200, &["site-envelope"], "The site"),
            E400,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "GET",
        path: "/plan",
        operation_id: "planGet",
        summary: "One plan by plan_id",
        auth: false,
        claims: &["PLAN"],
        body: &[],
        query: &[req("plan_id", IntegerOrString, "The plan's id")],
        answers: &[
            answer(200, &["plan-envelope"], "The plan"),
            answer(400, &[VALIDATION], "plan_id (or site_id) missing"),
            answer(
                404,
                &["error-app"],
                "Plan not found (unknown, or of another site)",
            ),
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "POST",
        path: "/plan",
        operation_id: "planPost",
        summary: "One plan by plan_id (query or body)",
        auth: false,
        claims: &["PLAN"],
        body: &[opt(
            "plan_id",
            IntegerOrString,
            "The plan's id, when not in the query",
        )],
        query: &[opt("plan_id", IntegerOrString, "The plan's id")],
        answers: &[
            answer(200, &["plan-envelope"], "The plan"),
            answer(400, &[VALIDATION], "plan_id (or site_id) missing"),
            answer(
                404,
                &["error-app"],
                "Plan not found (unknown, or of another site)",
            ),
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "GET",
        path: "/plan/ip/authorization",
        operation_id: "planIpAuthorization",
        summary: "Free plans whose authorized IP ranges include the requester's IP",
        auth: false,
        claims: &["PLAN-IP"],
        body: &[],
        query: &[],
        answers: &[
            answer(
                200,
                &["plan-list-envelope"],
                "The matching plans (maybe none)",
            ),
            E400,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "GET",
        path: "/plan/domain/authorization",
        operation_id: "planDomainAuthorization",
        summary: "Free plans whose authorized domains match the email's domain",
        auth: false,
        claims: &["PLAN-DOMAIN"],
        body: &[],
        query: &[req("email", Str, "The email whose domain is matched")],
        answers: &[
            answer(
                200,
                &["plan-list-envelope"],
                "The matching plans (maybe none)",
            ),
            E400,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "GET",
        path: "/geo/country",
        operation_id: "geoCountry",
        summary: "The requester's country by IP",
        auth: false,
        claims: &["GEO"],
        body: &[],
        query: &[],
        answers: &[
            answer(200, &["geo-envelope"], "The country"),
            E400,
            E429,
            E500,
        ],
    },
    Endpoint {
        method: "GET",
        path: "/location",
        operation_id: "locationGet",
        summary: "The requester's location by IP",
        auth: false,
        claims: &["LOCATION"],
        body: &[],
        query: &[],
        answers: &[
            answer(200, &["location-envelope"], "The location"),
            E400,
            E429,
            E500,
        ],
    },
];

/// Claims every answer of the API serves besides an endpoint's own (envelopes, error shapes).
pub const COMMON_CLAIMS: &[&str] = &[
    "GEN-BASE", "GEN-JSON", "GEN-OK", "SITE-ID", "ERR-400", "ERR-APP", "ERR-401", "ERR-403",
    "ERR-404", "ERR-429", "ERR-500",
];

/// Every endpoint.
pub fn endpoints() -> &'static [Endpoint] {
    ENDPOINTS
}

/// The endpoint of a method and a path relative to `/api/v1/sdk` (`/auth/login`); the method is
/// compared case-insensitively, a trailing `/` on the path is ignored.
pub fn find(method: &str, path: &str) -> Option<&'static Endpoint> {
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    ENDPOINTS
        .iter()
        .find(|e| e.method.eq_ignore_ascii_case(method) && e.path == path)
}

/// Every distinct schema name the table uses, sorted.
pub fn schema_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = ENDPOINTS
        .iter()
        .flat_map(|e| e.answers.iter().flat_map(|a| a.schemas.iter().copied()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::SchemaSet;

    #[test]
    fn every_schema_name_exists_in_the_embedded_set() {
        let set = SchemaSet::embedded().expect("embedded schemas");
        for name in schema_names() {
            assert!(set.contains(name), "`{name}` is not a schema of schemas/");
        }
        assert!(schema_names().len() >= 14, "{:?}", schema_names());
    }

    #[test]
    fn every_claim_id_exists() {
        for endpoint in ENDPOINTS {
            assert!(!endpoint.claims.is_empty(), "{}", endpoint.label());
            for claim in endpoint.claims.iter().chain(COMMON_CLAIMS) {
                assert!(
                    crate::claims::find(claim).is_some(),
                    "{}: unknown claim {claim}",
                    endpoint.label()
                );
            }
        }
    }

    #[test]
    fn table_covers_the_mock_endpoints_once_each() {
        assert_eq!(ENDPOINTS.len(), 20);
        let mut seen = std::collections::BTreeSet::new();
        for e in ENDPOINTS {
            assert!(seen.insert((e.method, e.path)), "{} twice", e.label());
            assert!(seen.len() <= ENDPOINTS.len());
            assert!(e.path.starts_with('/'));
            assert!(matches!(e.method, "GET" | "POST" | "PUT"));
        }
        let ids: std::collections::BTreeSet<_> = ENDPOINTS.iter().map(|e| e.operation_id).collect();
        assert_eq!(ids.len(), ENDPOINTS.len(), "operation ids are unique");
    }

    #[test]
    fn every_endpoint_documents_success_validation_and_server_errors() {
        for e in ENDPOINTS {
            for status in [200, 400, 429, 500] {
                assert!(
                    e.schema_for(status).is_some(),
                    "{} lacks {status}",
                    e.label()
                );
            }
            // Protected endpoints, and only those, answer 401 and 403.
            assert_eq!(e.schema_for(401).is_some(), e.auth, "{}", e.label());
            assert_eq!(e.schema_for(403).is_some(), e.auth, "{}", e.label());
            assert_eq!(e.schema_for(418), None);
        }
    }

    #[test]
    fn lookups_and_known_rows() {
        let register = find("post", "/auth/register").expect("register");
        assert_eq!(
            register.schema_for(200),
            Some(&["customer-token-envelope"][..])
        );
        assert_eq!(register.schema_for(400), Some(&["error-validation"][..]));
        assert_eq!(register.schema_for(404), None);
        assert!(!register.auth);
        assert!(
            register
                .body
                .iter()
                .any(|f| f.name == "email" && f.required)
        );

        let login = find("POST", "/auth/login/").expect("trailing slash ignored");
        assert_eq!(login.schema_for(404), Some(&["error-app"][..]));
        assert_eq!(
            login.schema_for(429),
            Some(&["error-429", "error-validation"][..])
        );
        let guide = SiteProfile::default();
        assert_eq!(login.schemas_under(429, &guide), Some(vec!["error-429"]));
        let mut public = SiteProfile::default();
        public.lockout.status = 429;
        assert_eq!(
            login.schemas_under(429, &public),
            Some(vec!["error-429", "error-validation"])
        );

        let customer = find("GET", "/customer").expect("customer");
        assert!(customer.auth);
        assert_eq!(customer.schema_for(401), Some(&["error-401"][..]));
        assert_eq!(customer.schema_for(403), Some(&["error-403"][..]));
        assert_eq!(
            find("GET", "/plan").unwrap().schema_for(200),
            Some(&["plan-envelope"][..])
        );
        assert_eq!(
            find("POST", "/auth/logout").unwrap().schema_for(200),
            Some(&["customer-logout-envelope"][..])
        );
        assert!(find("DELETE", "/customer").is_none());
        assert!(find("GET", "/nope").is_none());
    }
}
