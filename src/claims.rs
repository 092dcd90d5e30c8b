//! Every documented claim of `spec/claims.md`, with its stable ID, in the document's order.
//!
//! Generated from `spec/claims.md` (the repository's copy of `../shared/spec/claims.md`);
//! `tests/coverage.rs` fails when the two drift apart.

/// One documented promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub id: &'static str,
    pub area: &'static str,
    pub text: &'static str,
    pub source: &'static str,
}

pub const CLAIMS: &[Claim] = &[
    Claim {
        id: "GEN-BASE",
        area: "Transport and envelopes",
        text: "Base URL is `https://www.pelcro.com/api/v1/sdk`; every request carries `?site_id=`",
        source: "MAI Prerequisites",
    },
    Claim {
        id: "GEN-HTTPS",
        area: "Transport and envelopes",
        text: "HTTPS only, certificates validated (a client must refuse plain HTTP and bad certificates)",
        source: "MAI Prerequisites, Security 3",
    },
    Claim {
        id: "GEN-JSON",
        area: "Transport and envelopes",
        text: "POST/PUT bodies are JSON with `Content-Type: application/json`; responses are JSON",
        source: "MAI Prerequisites",
    },
    Claim {
        id: "GEN-OK",
        area: "Transport and envelopes",
        text: "A success is JSON under `data`: `{\"status\":\"success\",\"data\":{…}}` or `{\"error\":false,\"data\":…}` depending on the endpoint",
        source: "MAI Response formats",
    },
    Claim {
        id: "ERR-400",
        area: "Transport and envelopes",
        text: "Validation failure: 400 `{\"errors\":{\"field\":[\"message\"]}}`",
        source: "MAI Errors",
    },
    Claim {
        id: "ERR-APP",
        area: "Transport and envelopes",
        text: "Application/auth errors: `{\"error\":{\"report_id\":null,\"status\":N,\"message\":\"…\"}}`",
        source: "MAI Errors",
    },
    Claim {
        id: "ERR-401",
        area: "Transport and envelopes",
        text: "No token on a protected endpoint: 401 `{\"error\":{\"message\":\"Token not provided\"}}`",
        source: "MAI Errors",
    },
    Claim {
        id: "ERR-403",
        area: "Transport and envelopes",
        text: "Invalid, expired or blacklisted token: 403 `{\"error\":{\"status\":403,\"message\":…}}` (expired: \"Authentication token has expired, please try again\")",
        source: "MAI Errors",
    },
    Claim {
        id: "ERR-404",
        area: "Transport and envelopes",
        text: "Missing resource or a domain rejection (invalid credentials) is 404",
        source: "MAI Errors",
    },
    Claim {
        id: "ERR-429",
        area: "Transport and envelopes",
        text: "Throttled (passwordless/email requests) is 429; the client backs off and retries",
        source: "MAI Errors",
    },
    Claim {
        id: "ERR-500",
        area: "Transport and envelopes",
        text: "Server error is 500 and carries a `report_id`",
        source: "MAI Errors",
    },
    Claim {
        id: "REG-OK",
        area: "Register, login, logout",
        text: "`POST /auth/register` (no auth) returns 200 and the Customer resource with `data.auth_token` and `data.token`",
        source: "MAI Register",
    },
    Claim {
        id: "REG-EMAIL-REQ",
        area: "Register, login, logout",
        text: "`email` is required (400 `errors.email`)",
        source: "MAI Register",
    },
    Claim {
        id: "REG-EMAIL-UNIQUE",
        area: "Register, login, logout",
        text: "Email is unique per account: a second register is 400 `{\"errors\":{\"email\":[\"The email has already been taken.\"]}}`",
        source: "MAI Errors, ID Unique emails",
    },
    Claim {
        id: "REG-PASSWORD",
        area: "Register, login, logout",
        text: "`password` required, at least 6 characters; stricter when the site enforces strong passwords",
        source: "MAI Register",
    },
    Claim {
        id: "REG-FIELDS",
        area: "Register, login, logout",
        text: "Optional `first_name`, `last_name`, `display_name` (≤100), `username` (unique; letters, digits, `-`, `_`; ≤100), `phone`, `language` (two letters), `metadata` (object) are validated and echoed in the Customer",
        source: "MAI Register",
    },
    Claim {
        id: "LOGIN-OK",
        area: "Register, login, logout",
        text: "`POST /auth/login` with email (or username) and password returns the same Customer shape, with subscriptions, addresses etc. populated",
        source: "MAI Login",
    },
    Claim {
        id: "LOGIN-ID-REQ",
        area: "Register, login, logout",
        text: "Either `email` or `username` is required; `password` is required",
        source: "MAI Login",
    },
    Claim {
        id: "LOGIN-BAD",
        area: "Register, login, logout",
        text: "Wrong credentials: 404 `{\"error\":{\"report_id\":null,\"status\":404,\"message\":\"Invalid credentials! Please try again.\"}}`; a wrong password, an unknown email and an unknown username get the same answer (no account enumeration)",
        source: "MAI Errors, PUB",
    },
    Claim {
        id: "LOCKOUT",
        area: "Register, login, logout",
        text: "After N failed attempts within a window the account is temporarily locked: 400 `{\"errors\":{\"email\":[\"Too many login attempts. Please try again later.\"]}}`; default N=10, window 5 minutes, configurable per account",
        source: "MAI Login note",
    },
    Claim {
        id: "LOCKOUT-CORRECT",
        area: "Register, login, logout",
        text: "While locked, even the correct password is refused (*inferred*)",
        source: "MAI Login note",
    },
    Claim {
        id: "LOCKOUT-EXPIRES",
        area: "Register, login, logout",
        text: "After the window the lock lifts and the correct password works again (*inferred*: \"temporarily\")",
        source: "MAI Login note",
    },
    Claim {
        id: "LOGOUT",
        area: "Register, login, logout",
        text: "`POST /auth/logout` (auth) blacklists the token server-side and returns the Customer resource (PUB: with no token in it)",
        source: "MAI Log out, PUB",
    },
    Claim {
        id: "LOGOUT-BLACKLIST",
        area: "Register, login, logout",
        text: "After logout the same token is refused (403) on every protected endpoint",
        source: "MAI Log out, Errors",
    },
    Claim {
        id: "LOGOUT-NOAUTH",
        area: "Register, login, logout",
        text: "Logout without a token is 401",
        source: "MAI Errors",
    },
    Claim {
        id: "IDP-LOGIN",
        area: "Register, login, logout",
        text: "`POST /auth/idp/login` (no auth): social login with google, facebook, auth0; returns the Customer; the provider's profile lands in the customer's metadata",
        source: "MAI table, ID Social logins",
    },
    Claim {
        id: "PWL-REQUEST",
        area: "Register, login, logout",
        text: "`POST /auth/passwordless/request` (no auth) asks for a login token by email; 400 when the site has passwordless disabled, 404 for an unknown email",
        source: "MAI table, PUB",
    },
    Claim {
        id: "PWL-THROTTLE",
        area: "Register, login, logout",
        text: "Repeated passwordless requests are throttled per email with 429 (PUB, older page: 5 an hour); after backing off a request succeeds again",
        source: "MAI Errors, PUB",
    },
    Claim {
        id: "PWL-LOGIN",
        area: "Register, login, logout",
        text: "`POST /auth/passwordless/login` (no auth) logs in with that token and returns the Customer",
        source: "MAI table",
    },
    Claim {
        id: "TOKEN-JWT",
        area: "Tokens",
        text: "`auth_token` is a JWT: HS256, claims `iss` (the issuing URL, not a fixed value), `iat`, `exp`, `nbf`, `jti`, `sub` (the customer id as a string), `prv`",
        source: "MAI Token management, PUB",
    },
    Claim {
        id: "TOKEN-TTL",
        area: "Tokens",
        text: "Its lifetime is 60 days by default, configurable per site by `auth_token_ttl_days` (1–365): `exp − iat` matches",
        source: "MAI Token management",
    },
    Claim {
        id: "TOKEN-EXPIRED",
        area: "Tokens",
        text: "Past its lifetime the token is refused with 403 \"Authentication token has expired, please try again\"",
        source: "MAI Errors",
    },
    Claim {
        id: "TOKEN-BEARER",
        area: "Tokens",
        text: "Protected endpoints read `Authorization: Bearer {token}`; a malformed or tampered token is 403",
        source: "MAI Make authenticated requests",
    },
    Claim {
        id: "TOKEN-REFRESH",
        area: "Tokens",
        text: "`POST /customer/refresh` (auth) mints a fresh working token without credentials; only a token that has not expired can be refreshed",
        source: "MAI Token management, PUB",
    },
    Claim {
        id: "TOKEN-SHARED",
        area: "Tokens",
        text: "A token from one service, sent to `GET /customer`, identifies the same customer (SSO by passing the token)",
        source: "ID SSO",
    },
    Claim {
        id: "SINGLE-USER",
        area: "Tokens",
        text: "With single user authentication enabled, a new login ends the customer's earlier sessions (*assumed*: earlier tokens are refused)",
        source: "ID Single user authentication",
    },
    Claim {
        id: "MULTI-SITE",
        area: "Tokens",
        text: "A customer of one site logs in to another site of the same account with the same credentials",
        source: "ID Unique emails",
    },
    Claim {
        id: "CUST-GET",
        area: "Customer, site and plans",
        text: "`POST /customer` (auth) returns the Customer resource (MAI quick start; the identity document calls it \"the Customer GET API endpoint\", so `GET` is accepted too)",
        source: "MAI, ID SSO, PUB",
    },
    Claim {
        id: "CUST-UPDATE",
        area: "Customer, site and plans",
        text: "`PUT /customer` (auth) with `first_name`, `last_name`, … is a partial update; it returns the Customer (PUB: with a fresh token) and the change persists; changing `email` resets `email_confirm` to false",
        source: "MAI Make authenticated requests, PUB",
    },
    Claim {
        id: "PASSWORD-FLOWS",
        area: "Customer, site and plans",
        text: "Password update, forgot-password and reset journeys exist in the API: `POST /password/update` (auth), `POST /password/forgot`, `POST /password/reset` (paths from the public JS SDK)",
        source: "ID intro, PUB",
    },
    Claim {
        id: "SITE",
        area: "Customer, site and plans",
        text: "`GET /site` (no auth) returns the Site resource",
        source: "MAI Site & configuration",
    },
    Claim {
        id: "PLAN",
        area: "Customer, site and plans",
        text: "`GET`/`POST /plan` (no auth) returns one plan by `plan_id`; an unknown plan is 404",
        source: "MAI Site & configuration",
    },
    Claim {
        id: "PLAN-IP",
        area: "Customer, site and plans",
        text: "`GET /plan/ip/authorization` lists free plans whose authorized IP ranges include the requester's IP",
        source: "MAI Site & configuration",
    },
    Claim {
        id: "PLAN-DOMAIN",
        area: "Customer, site and plans",
        text: "`GET /plan/domain/authorization` lists free plans whose authorized domains match the requester's email domain",
        source: "MAI Site & configuration",
    },
    Claim {
        id: "GEO",
        area: "Customer, site and plans",
        text: "`GET /geo/country` resolves the visitor's country by IP",
        source: "MAI Site & configuration",
    },
    Claim {
        id: "LOCATION",
        area: "Customer, site and plans",
        text: "`GET /location` resolves the visitor's location",
        source: "MAI Site & configuration",
    },
    Claim {
        id: "SITE-ID",
        area: "Customer, site and plans",
        text: "A request with a missing or unknown `site_id` is refused with 400",
        source: "MAI Prerequisites, PUB",
    },
];

/// The claim with this ID, if the documents have one.
pub fn find(id: &str) -> Option<&'static Claim> {
    CLAIMS.iter().find(|c| c.id == id)
}

/// The Known-variations rows of `claims.md`: what a site profile may select instead of the guide.
pub const KNOWN_VARIATIONS: &[(&str, &str, &str)] = &[
    (
        "invalid or expired token",
        "403",
        "401 \"Invalid or expired token\"; blacklisted stays 403 \"Authentication token has been blacklisted, please try again\"",
    ),
    (
        "login lockout",
        "400 `errors.email` \"Too many login attempts. Please try again later.\"",
        "429",
    ),
    (
        "token lifetime",
        "60 days, site setting 1–365",
        "older pages: 14 days",
    ),
];

/// Every message text a claims.md row (or a Known-variations row) quotes. A suite may check a
/// message for equality as documented only if it is one of these; any other wording is the mock's
/// and belongs under `assume:`.
pub const DOCUMENTED_MESSAGES: &[&str] = &[
    "The email has already been taken.",
    "Token not provided",
    "Authentication token has expired, please try again",
    "Invalid credentials! Please try again.",
    "Too many login attempts. Please try again later.",
    "Invalid or expired token",
    "Authentication token has been blacklisted, please try again",
];

/// Whether claims.md quotes this message.
pub fn is_documented_message(text: &str) -> bool {
    DOCUMENTED_MESSAGES.contains(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_message_is_quoted_by_a_claim_or_a_variation() {
        for message in DOCUMENTED_MESSAGES {
            let quoted = format!("\"{message}\"");
            let in_claims = CLAIMS
                .iter()
                .any(|c| c.text.contains(&quoted) || c.text.contains(message));
            let in_variations = KNOWN_VARIATIONS
                .iter()
                .any(|(_, guide, public)| guide.contains(&quoted) || public.contains(&quoted));
            assert!(
                in_claims || in_variations,
                "`{message}` is not quoted by claims.md"
            );
        }
    }
}
