//! Drawing journeys: operations over every endpoint, inputs drawn towards the documented edges
//! (boundary lengths, letter case, unicode, missing fields, `site_id` left out or unknown, dead,
//! expired and forged tokens, clock moves to either side of each window). A journey is drawn
//! whole from the seed, before anything is sent: the model needs no answer to know the state.

use super::model::{
    Forgery, INVALID_FIELDS, LAST_NAMES, Model, NAMES, Op, PROTECTED, Password, SITE_SCOPED,
};

/// What the target allows a journey to do.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Registration is allowed (the profile's `allow_registration`).
    pub register: bool,
    /// The virtual clock can be moved (a mock).
    pub clock: bool,
    /// Wrong passwords allowed per account (a few on a live site; enough to lock on a mock or
    /// with `--allow-lockout`).
    pub wrong_passwords: usize,
    /// Passwordless requests allowed per account (each may send an email on a live site).
    pub passwordless: usize,
}

/// One step of a journey: its stable id (token variables are named by it) and the operation.
pub type Journey = Vec<(usize, Op)>;

/// Draws one journey of at most `length` steps.
pub fn journey(rng: &mut fastrand::Rng, model: &Model, limits: Limits, length: usize) -> Journey {
    let mut model = model.clone();
    let mut steps = Vec::with_capacity(length);
    let mut wrong = std::collections::BTreeMap::<usize, usize>::new();
    let mut pwl = std::collections::BTreeMap::<usize, usize>::new();
    let mut attempts = 0;
    while steps.len() < length && attempts < length * 20 {
        attempts += 1;
        let id = steps.len();
        let Some(op) = draw(rng, &model, limits, &wrong, &pwl) else {
            continue;
        };
        if !model.can_take(&op) {
            continue;
        }
        match counted(&op) {
            (Some(acct), _) => *wrong.entry(acct).or_default() += 1,
            (_, Some(acct)) => *pwl.entry(acct).or_default() += 1,
            _ => {}
        }
        model.step(id, &op);
        steps.push((id, op));
        // A lockout is worth reaching: now and then an account's first failure starts a burst
        // up to the limit (past the lockout on a mock, a few on a live site).
        if let (Some(acct), _) = counted(&steps[steps.len() - 1].1)
            && wrong[&acct] == 1
            && rng.u8(..100) < 40
        {
            while steps.len() < length && wrong[&acct] < limits.wrong_passwords {
                let again = Op::WrongPassword { acct };
                if !model.can_take(&again) {
                    break;
                }
                *wrong.entry(acct).or_default() += 1;
                model.step(steps.len(), &again);
                steps.push((steps.len(), again));
            }
        }
        // Likewise the passwordless throttle: a burst up to the limit (past the allowance on a
        // mock).
        if let (_, Some(acct)) = counted(&steps[steps.len() - 1].1)
            && pwl[&acct] == 1
            && rng.u8(..100) < 50
        {
            while steps.len() < length && pwl[&acct] < limits.passwordless {
                let again = Op::Passwordless { acct };
                if !model.can_take(&again) {
                    break;
                }
                *pwl.entry(acct).or_default() += 1;
                model.step(steps.len(), &again);
                steps.push((steps.len(), again));
            }
        }
    }
    steps
}

/// The account a step spends a wrong password on, or a passwordless request on.
fn counted(op: &Op) -> (Option<usize>, Option<usize>) {
    match op {
        Op::WrongPassword { acct } | Op::WrongPasswordAs { acct, .. } => (Some(*acct), None),
        Op::Passwordless { acct } => (None, Some(*acct)),
        Op::InBody(inner) => counted(inner),
        _ => (None, None),
    }
}

fn pick<T: Copy>(rng: &mut fastrand::Rng, items: &[T]) -> Option<T> {
    (!items.is_empty()).then(|| items[rng.usize(..items.len())])
}

fn draw(
    rng: &mut fastrand::Rng,
    model: &Model,
    limits: Limits,
    wrong: &std::collections::BTreeMap<usize, usize>,
    pwl: &std::collections::BTreeMap<usize, usize>,
) -> Option<Op> {
    let accounts = model.usable_accounts();
    let tokens: Vec<usize> = model
        .usable_tokens()
        .into_iter()
        .map(|i| model.tokens[i].id)
        .collect();
    let new_acct = model.accounts.len();
    // With nobody registered yet, register first more often than not.
    let roll = if accounts.is_empty() && limits.register && rng.bool() {
        0
    } else {
        rng.u32(..130)
    };
    let op = draw_one(
        rng, model, limits, wrong, pwl, roll, &accounts, &tokens, new_acct,
    )?;
    // Now and then the JS SDK's way: site_id in the body of a POST or PUT.
    Some(if op.has_body() && rng.u8(..100) < 15 {
        Op::InBody(Box::new(op))
    } else {
        op
    })
}

#[allow(clippy::too_many_arguments)]
fn draw_one(
    rng: &mut fastrand::Rng,
    model: &Model,
    limits: Limits,
    wrong: &std::collections::BTreeMap<usize, usize>,
    pwl: &std::collections::BTreeMap<usize, usize>,
    roll: u32,
    accounts: &[usize],
    tokens: &[usize],
    new_acct: usize,
) -> Option<Op> {
    let spent = |acct: usize| wrong.get(&acct).copied().unwrap_or(0) >= limits.wrong_passwords;
    Some(match roll {
        0..=11 if limits.register => Op::Register {
            acct: new_acct,
            password: match rng.u8(..10) {
                0 => Password::AtMinimum,
                1 => Password::BelowMinimum,
                2 => Password::Missing,
                _ => Password::Normal,
            },
            username: rng.bool(),
        },
        12..=13 if limits.register => Op::RegisterNoEmail,
        14..=16 if limits.register => Op::RegisterDuplicate {
            acct: pick(rng, accounts)?,
            upper: rng.bool(),
        },
        17..=26 => {
            let acct = pick(rng, accounts)?;
            Op::Login {
                acct,
                by_username: model.accounts[acct].username && rng.bool(),
            }
        }
        27..=36 => {
            let acct = pick(rng, accounts)?;
            if spent(acct) {
                return None;
            }
            Op::WrongPassword { acct }
        }
        37..=38 => Op::LoginUnknown {
            by_username: rng.bool(),
        },
        39 => Op::LoginNoPassword {
            acct: pick(rng, accounts)?,
        },
        40..=44 => Op::Logout {
            tok: pick(rng, tokens)?,
        },
        45..=49 => Op::Refresh {
            tok: pick(rng, tokens)?,
        },
        50..=57 => Op::Retrieve {
            tok: pick(rng, tokens)?,
            post: rng.bool(),
        },
        58..=62 => Op::Update {
            tok: pick(rng, tokens)?,
            name: rng.usize(..NAMES.len()),
        },
        63..=66 => Op::Forged {
            forgery: match (rng.u8(..3), pick(rng, tokens)) {
                (1, Some(t)) => Forgery::BadSignature(t),
                (2, Some(t)) => Forgery::AlgNone(t),
                _ => Forgery::Garbage,
            },
            endpoint: rng.usize(..PROTECTED.len()),
        },
        67..=68 => Op::NoToken {
            endpoint: rng.usize(..PROTECTED.len()),
        },
        69..=73 => {
            let acct = pick(rng, accounts)?;
            if pwl.get(&acct).copied().unwrap_or(0) >= limits.passwordless {
                return None;
            }
            Op::Passwordless { acct }
        }
        74 => Op::PasswordlessUnknown,
        75..=76 => Op::Site,
        77 => Op::PlanUnknown,
        78 => Op::Geo,
        79 => Op::Location,
        80..=81 => Op::SiteIdMissing {
            endpoint: rng.usize(..SITE_SCOPED.len()),
        },
        82..=83 => Op::SiteIdUnknown {
            endpoint: rng.usize(..SITE_SCOPED.len()),
        },
        84..=99 | 123..=129 if limits.clock => Op::Advance {
            seconds: clock_move(rng, model),
        },
        100..=103 if limits.register => Op::RegisterFull { acct: new_acct },
        104..=106 if limits.register => Op::RegisterInvalid {
            kind: rng.usize(..INVALID_FIELDS.len()),
        },
        107..=109 => Op::UpdateLastName {
            tok: pick(rng, tokens)?,
            name: rng.usize(..LAST_NAMES.len()),
        },
        110..=113 => Op::UpdateInvalid {
            tok: pick(rng, tokens)?,
            kind: rng.usize(..6),
            other: pick(rng, accounts)?,
        },
        114..=117 => {
            let acct = pick(rng, accounts)?;
            if spent(acct) {
                return None;
            }
            Op::WrongPasswordAs {
                acct,
                by_username: rng.bool(),
            }
        }
        118..=119 => Op::LoginUpper {
            acct: pick(rng, accounts)?,
        },
        120..=122 => Op::PasswordUpdateRefused {
            tok: pick(rng, tokens)?,
        },
        _ => return None,
    })
}

/// A clock move to just before or just after one of the profile's windows (lockout, throttle,
/// token lifetime), or a small step.
fn clock_move(rng: &mut fastrand::Rng, model: &Model) -> u64 {
    let p = &model.profile;
    let window = match rng.u8(..4) {
        0 => p.lockout.window_seconds,
        1 => p.passwordless_throttle.window_seconds,
        2 => u64::from(p.auth_token_ttl_days) * 86_400,
        _ => return rng.u64(1..60),
    };
    if rng.bool() {
        window.saturating_sub(2).max(1)
    } else {
        window + 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::SiteProfile;

    const MOCK: Limits = Limits {
        register: true,
        clock: true,
        wrong_passwords: 12,
        passwordless: 8,
    };

    #[test]
    fn a_seed_draws_the_same_journey() {
        let model = Model::new(SiteProfile::default());
        let a = journey(&mut fastrand::Rng::with_seed(7), &model, MOCK, 40);
        let b = journey(&mut fastrand::Rng::with_seed(7), &model, MOCK, 40);
        let c = journey(&mut fastrand::Rng::with_seed(8), &model, MOCK, 40);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 40);
    }

    #[test]
    fn live_limits_hold_in_every_journey() {
        let live = Limits {
            register: true,
            clock: false,
            wrong_passwords: 3,
            passwordless: 2,
        };
        let model = Model::new(SiteProfile::default());
        for seed in 0..200 {
            let steps = journey(&mut fastrand::Rng::with_seed(seed), &model, live, 60);
            let mut wrong = std::collections::BTreeMap::<usize, usize>::new();
            for (_, op) in &steps {
                assert!(!matches!(op, Op::Advance { .. }), "seed {seed}: {op:?}");
                if let Op::WrongPassword { acct } = op {
                    *wrong.entry(*acct).or_default() += 1;
                }
            }
            assert!(wrong.values().all(|&n| n <= 3), "seed {seed}: {wrong:?}");
        }
    }

    #[test]
    fn without_registration_no_account_is_touched() {
        let closed = Limits {
            register: false,
            ..MOCK
        };
        let model = Model::new(SiteProfile::default());
        let steps = journey(&mut fastrand::Rng::with_seed(3), &model, closed, 50);
        assert!(!steps.is_empty());
        assert!(steps.iter().all(|(_, op)| !matches!(
            op,
            Op::Register { .. } | Op::Login { .. } | Op::WrongPassword { .. } | Op::Update { .. }
        )));
    }

    #[test]
    fn journeys_reach_a_lockout_and_every_endpoint_family() {
        let model = Model::new(SiteProfile::default());
        let mut seen = std::collections::BTreeSet::new();
        let mut locked = false;
        for seed in 0..30 {
            let steps = journey(&mut fastrand::Rng::with_seed(seed), &model, MOCK, 40);
            let mut m = model.clone();
            for (id, op) in &steps {
                let p = m.step(*id, op);
                locked |= p.claims.contains(&"LOCKOUT-CORRECT")
                    || p.statuses == [400] && p.claims.contains(&"LOCKOUT");
                seen.insert(
                    format!("{op:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap()
                        .to_string(),
                );
            }
        }
        assert!(locked, "no journey reached a lockout");
        assert!(seen.len() >= 20, "{seen:?}");
    }
}
