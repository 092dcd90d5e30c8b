//! Being polite: how long to wait after a 429, and a cap on the run's request rate.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use tokio::sync::Mutex;

/// How many times one request is re-sent after 429s before the step gives up.
pub const MAX_RETRIES: u32 = 5;
/// The longest wait, in all, that one step may pass on a mock's virtual clock.
pub const MAX_VIRTUAL_WAIT: Duration = Duration::from_secs(7 * 86_400);
/// The longest single backoff when the target gives no `Retry-After`.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The first backoff on a virtual clock (a mock's, moved instead of slept on) when the target
/// gives no usable `Retry-After`. Waiting costs nothing there, so the backoff starts at a minute
/// and quadruples (1, 4, 16, 64 min …): within `MAX_RETRIES` it passes throttle windows of an hour
/// and more, which a real-time backoff capped at `MAX_BACKOFF` never could.
pub const VIRTUAL_BACKOFF_BASE: Duration = Duration::from_secs(60);
/// A `Retry-After` longer than this is read as this: longer than any cap a step may wait, and
/// far from where time arithmetic overflows.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(366 * 86_400);
/// The highest `--max-rps` (and the lowest, besides 0 for no cap).
pub const MAX_RPS: f64 = 10_000.0;
pub const MIN_RPS: f64 = 0.001;

/// Where a wait came from, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitSource {
    RetryAfter,
    Backoff,
}

/// The wait before retry number `retry` (from 1) after a 429 whose `Retry-After` header, if any,
/// is `retry_after`. `now` is the time to read an HTTP date against.
pub fn wait_after_429(
    retry_after: Option<&str>,
    retry: u32,
    now: SystemTime,
) -> (Duration, WaitSource) {
    if let Some(wait) = retry_after.and_then(|value| parse_retry_after(value, now)) {
        return (wait, WaitSource::RetryAfter);
    }
    // 1 s, 2 s, 4 s, … capped, with ±20 % jitter so that clients do not retry in step.
    let base = Duration::from_secs(1u64 << retry.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    let jitter = 0.8 + fastrand::f64() * 0.4;
    (base.mul_f64(jitter).min(MAX_BACKOFF), WaitSource::Backoff)
}

/// Like [`wait_after_429`], for a wait that passes on a virtual clock: `Retry-After` when it is
/// usable, else [`VIRTUAL_BACKOFF_BASE`] × 4^(retry − 1), without jitter, capped by
/// `MAX_VIRTUAL_WAIT`.
pub fn virtual_wait_after_429(
    retry_after: Option<&str>,
    retry: u32,
    now: SystemTime,
) -> (Duration, WaitSource) {
    if let Some(wait) = retry_after.and_then(|value| parse_retry_after(value, now)) {
        return (wait, WaitSource::RetryAfter);
    }
    let factor = 4u32.saturating_pow(retry.saturating_sub(1).min(12));
    (
        VIRTUAL_BACKOFF_BASE
            .saturating_mul(factor)
            .min(MAX_VIRTUAL_WAIT),
        WaitSource::Backoff,
    )
}

/// The time an HTTP-date `Retry-After` is read against: the answer's own `Date` when it has a
/// readable one (RFC 9110 §10.2.3, so a client whose clock is off still waits what was asked),
/// else `fallback` (the client's clock).
pub fn answer_time(date: Option<&str>, fallback: SystemTime) -> SystemTime {
    date.and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .unwrap_or(fallback)
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); `None` when it is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Any number of digits: `18446744073709551616` is a (very long) wait, not garbage.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// Spaces requests at least `1 / rate` apart across every suite of a run.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// `None`: no limit.
    pub fn new(requests_per_second: Option<f64>) -> RateLimiter {
        RateLimiter {
            // Out-of-range rates (NaN, infinite, 1e-300) are clamped, never a panic.
            interval: requests_per_second
                .filter(|r| *r > 0.0 && r.is_finite())
                .map(|r| r.clamp(MIN_RPS, MAX_RPS))
                .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok()),
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's turn.
    pub async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot.checked_add(interval).unwrap_or(slot));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let now = SystemTime::now();
        let (first, source) = wait_after_429(None, 1, now);
        assert_eq!(source, WaitSource::Backoff);
        assert!(
            first >= Duration::from_millis(800) && first <= Duration::from_millis(1200),
            "{first:?}"
        );
        let (third, _) = wait_after_429(Some("garbage"), 3, now);
        assert!(
            third >= Duration::from_millis(3200) && third <= Duration::from_millis(4800),
            "{third:?}"
        );
        let (capped, _) = wait_after_429(None, 30, now);
        assert!(capped <= MAX_BACKOFF);
        assert_eq!(
            wait_after_429(Some("7"), 1, now),
            (Duration::from_secs(7), WaitSource::RetryAfter)
        );
    }

    #[test]
    fn virtual_backoff_reaches_past_an_hour_within_the_retries() {
        let now = SystemTime::now();
        let waits: Vec<Duration> = (1..=MAX_RETRIES)
            .map(|retry| virtual_wait_after_429(None, retry, now).0)
            .collect();
        assert_eq!(waits[0], Duration::from_secs(60));
        assert_eq!(waits[1], Duration::from_secs(240));
        let total: Duration = waits.iter().sum();
        assert!(total > Duration::from_secs(2 * 3600), "{waits:?}");
        assert!(waits.iter().all(|w| *w <= MAX_VIRTUAL_WAIT));
        assert_eq!(
            virtual_wait_after_429(Some("7"), 3, now),
            (Duration::from_secs(7), WaitSource::RetryAfter)
        );
        assert_eq!(
            virtual_wait_after_429(None, 40, now).0,
            MAX_VIRTUAL_WAIT,
            "capped"
        );
    }

    #[test]
    fn huge_retry_after_values_are_capped_not_overflowed() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for value in [
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
        ] {
            assert_eq!(
                parse_retry_after(value, now),
                Some(MAX_RETRY_AFTER),
                "{value}"
            );
        }
        let far = "Fri, 31 Dec 9999 23:59:59 GMT";
        assert_eq!(parse_retry_after(far, now), Some(MAX_RETRY_AFTER));
        let (wait, _) = wait_after_429(Some("18446744073709551615"), 1, now);
        assert!(
            wait.checked_add(Duration::from_secs(u32::MAX as u64))
                .is_some()
        );
    }

    #[test]
    fn an_http_date_is_read_against_the_answers_date() {
        let client = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        // The server's clock is an hour ahead of the client's.
        let server = client + Duration::from_secs(3600);
        let date = httpdate::fmt_http_date(server);
        let retry_after = httpdate::fmt_http_date(server + Duration::from_secs(120));
        let now = answer_time(Some(&date), client);
        assert_eq!(now, server);
        assert_eq!(
            parse_retry_after(&retry_after, now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(answer_time(None, client), client);
        assert_eq!(answer_time(Some("not a date"), client), client);
    }

    #[test]
    fn absurd_rates_build_a_limiter_without_panicking() {
        for rate in [
            1e-300,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NAN,
            1e300,
            -1.0,
        ] {
            let _ = RateLimiter::new(Some(rate));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_limiter_spaces_requests() {
        let limiter = RateLimiter::new(Some(10.0));
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        // The first goes at once; four more at 100 ms intervals.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        let unlimited = RateLimiter::new(None);
        let start = tokio::time::Instant::now();
        unlimited.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
