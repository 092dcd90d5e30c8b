//! The mock's virtual clock: real time plus an offset the control API advances, or, frozen,
//! a fixed instant that moves only when it is advanced.
//!
//! Every expiry, lockout window and throttle reads this clock, so a test never sleeps. A frozen
//! clock also makes windows exact however slowly the requests come (a loaded CI machine).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// No frozen instant.
const RUNNING: i64 = i64::MIN;
/// The virtual time stays within 1970-01-01 and 9999-12-31T23:59:59Z however far it is moved, so
/// that every expiry computed from it (`now + ttl`) is far from overflowing.
pub const LATEST: i64 = 253_402_300_799;

/// Virtual now = (the frozen instant, or real now) + offset (seconds).
#[derive(Debug)]
pub struct Clock {
    offset: AtomicI64,
    frozen_at: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset: AtomicI64::new(0),
            frozen_at: AtomicI64::new(RUNNING),
        }
    }
}

impl Clock {
    /// A clock stopped at the real now.
    pub fn frozen() -> Clock {
        let clock = Clock::default();
        clock.freeze();
        clock
    }

    /// The virtual time in unix seconds.
    pub fn now(&self) -> i64 {
        let base = match self.frozen_at.load(Ordering::SeqCst) {
            RUNNING => real_now(),
            at => at,
        };
        base.saturating_add(self.offset()).clamp(0, LATEST)
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen_at.load(Ordering::SeqCst) != RUNNING
    }

    /// Stops real time from moving the clock; the virtual now stays where it is.
    pub fn freeze(&self) {
        let _ = self.frozen_at.compare_exchange(
            RUNNING,
            real_now(),
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }

    /// Lets real time move the clock again, from the virtual now it has reached.
    pub fn unfreeze(&self) {
        let at = self.frozen_at.swap(RUNNING, Ordering::SeqCst);
        if at != RUNNING {
            self.advance(at - real_now());
        }
    }

    /// How far the virtual clock is ahead of the real one, in seconds.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }

    /// Moves the virtual clock by `seconds` (may be negative).
    pub fn advance(&self, seconds: i64) {
        let _ = self
            .offset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(seconds).clamp(-LATEST, LATEST))
            });
    }
}

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-11-24T13:00:00.000000Z` for a unix time (UTC).
pub fn iso8601(ts: i64) -> String {
    let ts = ts.clamp(i64::from(i32::MIN) * 86_400, LATEST);
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso8601(1_795_525_200), "2026-11-24T13:00:00.000000Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced_and_thaws_where_it_was() {
        let c = Clock::frozen();
        let at = c.now();
        assert!(c.is_frozen());
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(c.now(), at, "real time does not move a frozen clock");
        c.advance(-1);
        assert_eq!(c.now(), at - 1);
        c.unfreeze();
        assert!(!c.is_frozen());
        assert!((c.now() - (at - 1)).abs() <= 1, "thawed where it stood");
    }

    #[test]
    fn advancing_by_extreme_amounts_saturates_within_the_calendar() {
        let c = Clock::frozen();
        c.advance(i64::MAX);
        c.advance(i64::MAX);
        assert_eq!(c.now(), LATEST);
        assert_eq!(iso8601(c.now()), "9999-12-31T23:59:59.000000Z");
        assert!(c.now().checked_add(365 * 86_400).is_some());
        c.advance(i64::MIN);
        c.advance(i64::MIN);
        assert_eq!(c.now(), 0);
        assert_eq!(iso8601(i64::MAX), "9999-12-31T23:59:59.000000Z");
        let _ = iso8601(i64::MIN);
    }

    #[test]
    fn advance_moves_now() {
        let c = Clock::default();
        let before = c.now();
        c.advance(3600);
        assert!(c.now() >= before + 3600);
        assert_eq!(c.offset(), 3600);
    }
}
