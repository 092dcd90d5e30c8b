//! Failed-login lockout.
//!
//! Counting (docs/mock.md): each login attempt for an identity is counted *before* the password is
//! checked and un-counted (the record cleared) when it succeeds, so concurrent attempts can never
//! slip past the limit. Attempts 1..=N within the window are checked normally (a wrong password
//! answers 404); once N failures are counted, every attempt is refused with the lockout until
//! `window_seconds` after the Nth failure, even with the right password. The window opens at the
//! first failure; when it has passed without reaching N, the count starts again.

use crate::mock::store::{Failures, Store};
use crate::profile::LockoutPolicy;

/// Counts an attempt for `key` in `account`; `Err(seconds_left)` when the identity is locked.
pub fn begin(
    store: &mut Store,
    account: u64,
    key: &str,
    now: i64,
    policy: &LockoutPolicy,
) -> Result<(), i64> {
    let window = i64::try_from(policy.window_seconds).unwrap_or(i64::MAX / 4);
    let k = (account, key.to_string());
    if let Some(r) = store.failures.get(&k) {
        match r.locked_until {
            Some(until) if now < until => return Err(until - now),
            Some(_) => {
                store.failures.remove(&k);
            }
            None if now >= r.window_start.saturating_add(window) => {
                store.failures.remove(&k);
            }
            None => {}
        }
    }
    let r = store.failures.entry(k).or_insert(Failures {
        window_start: now,
        count: 0,
        locked_until: None,
    });
    r.count += 1;
    if r.count >= policy.attempts {
        r.locked_until = Some(now.saturating_add(window));
    }
    Ok(())
}

/// A successful login clears the identity's count.
pub fn clear(store: &mut Store, account: u64, key: &str) {
    store.failures.remove(&(account, key.to_string()));
}
