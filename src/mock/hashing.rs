//! Password hashing: argon2id with configurable (cheap by default) parameters.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;

/// The argon2id cost. The default is deliberately cheap (a real argon2id hash, but 64 KiB and one
/// pass): a mock's passwords protect nothing, and hashing was what bounded its login rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        HashCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }
}

impl HashCost {
    fn params(&self) -> Result<Params, String> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| format!("invalid argon2 parameters: {e}"))
    }

    /// Whether argon2 accepts these parameters.
    pub fn check(&self) -> Result<(), String> {
        self.params().map(|_| ())
    }
}

fn raw(password: &[u8], salt: &[u8], cost: &HashCost) -> Option<[u8; 32]> {
    let params = cost.params().ok()?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password, salt, &mut out)
        .ok()?;
    Some(out)
}

/// A PHC-style string: `$argon2id$v=19$m=..,t=..,p=..$salt$hash`.
pub fn hash(password: &str, cost: &HashCost) -> String {
    let salt: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    let out = raw(password.as_bytes(), &salt, cost).unwrap_or([0u8; 32]);
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        cost.memory_kib,
        cost.iterations,
        cost.parallelism,
        B64.encode(salt),
        B64.encode(out)
    )
}

/// Checks a password against a stored hash (constant-time comparison).
pub fn verify(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    if parts.len() != 6 || parts[1] != "argon2id" {
        return false;
    }
    let mut cost = HashCost::default();
    for kv in parts[3].split(',') {
        let (k, v) = kv.split_once('=').unwrap_or(("", ""));
        let v: u32 = v.parse().unwrap_or(0);
        match k {
            "m" => cost.memory_kib = v,
            "t" => cost.iterations = v,
            "p" => cost.parallelism = v,
            _ => return false,
        }
    }
    let (Ok(salt), Ok(expected)) = (B64.decode(parts[4]), B64.decode(parts[5])) else {
        return false;
    };
    let Some(out) = raw(password.as_bytes(), &salt, &cost) else {
        return false;
    };
    expected.len() == out.len()
        && expected
            .iter()
            .zip(out.iter())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = HashCost::default();
        let h = hash("secret1", &c);
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("secret1", &h));
        assert!(!verify("secret2", &h));
        assert!(!verify("secret1", "garbage"));
    }
}
