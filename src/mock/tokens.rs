//! Customer tokens: HS256 JWTs with jwt-auth's claim set. Expiry is checked against the virtual
//! clock here, never by jsonwebtoken (which would read the system clock).

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// jwt-auth's `prv`: a hash of the user model's class name; a fixed value here.
pub const PRV: &str = "23bd5c8949f600adb39e701c400872db7a5976f7";

/// The claims of a customer token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub nbf: i64,
    pub jti: String,
    pub sub: String,
    pub prv: String,
}

/// Why a token was refused (before the blacklist is consulted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not a JWT, a bad signature, missing claims, or not yet valid.
    Invalid,
    /// Past `exp` on the virtual clock.
    Expired,
}

/// The signing key of one mock instance.
pub struct Keys {
    enc: EncodingKey,
    dec: DecodingKey,
}

impl Keys {
    pub fn random() -> Keys {
        let secret: Vec<u8> = (0..32).map(|_| fastrand::u8(..)).collect();
        Keys {
            enc: EncodingKey::from_secret(&secret),
            dec: DecodingKey::from_secret(&secret),
        }
    }

    /// Mints a token for a customer; returns the token and its claims.
    pub fn mint(&self, iss: &str, now: i64, ttl_days: u32, customer_id: u64) -> (String, Claims) {
        let claims = Claims {
            iss: iss.to_string(),
            iat: now,
            exp: now + i64::from(ttl_days) * 86_400,
            nbf: now,
            jti: random_hex(16),
            sub: customer_id.to_string(),
            prv: PRV.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .unwrap_or_default();
        (token, claims)
    }

    /// Verifies the signature and the claims against the virtual `now`.
    pub fn read(&self, token: &str, now: i64) -> Result<Claims, TokenProblem> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims = HashSet::new();
        let data = jsonwebtoken::decode::<Claims>(token, &self.dec, &v)
            .map_err(|_| TokenProblem::Invalid)?;
        let c = data.claims;
        if c.sub.parse::<u64>().is_err() || c.prv != PRV {
            return Err(TokenProblem::Invalid);
        }
        if now >= c.exp {
            return Err(TokenProblem::Expired);
        }
        if now < c.nbf {
            return Err(TokenProblem::Invalid);
        }
        Ok(c)
    }
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mint_and_read() {
        let k = Keys::random();
        let (t, c) = k.mint("http://x/api/v1/sdk/auth/login", 1000, 60, 7);
        assert_eq!(c.exp - c.iat, 60 * 86_400);
        assert_eq!(k.read(&t, 1001).unwrap().sub, "7");
        assert_eq!(k.read(&t, c.exp).unwrap_err(), TokenProblem::Expired);
        assert_eq!(k.read("abc", 1001).unwrap_err(), TokenProblem::Invalid);
        let other = Keys::random();
        assert_eq!(other.read(&t, 1001).unwrap_err(), TokenProblem::Invalid);
    }
}
