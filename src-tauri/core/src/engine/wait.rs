//! Bounded waits: every delay the engine takes from a provider (`Retry-After`,
//! a gateway's `retry_after`) or computes (back-off) goes through here, so no
//! value can stall an account for days, overflow `Instant + Duration` (a panic)
//! or turn into a busy loop.

use std::time::Duration;

/// The longest the engine waits on a provider's word: one hour. A provider
/// asking for more is still retried hourly (an absurd value is a provider bug).
pub const MAX_WAIT: Duration = crate::providers::http::MAX_RETRY_AFTER;

/// The shortest wait between two tries of one thing, so a zero or missing
/// delay never makes a loop without a pause.
pub const MIN_WAIT: Duration = Duration::from_millis(250);

/// A wait of `secs` seconds (a provider's `Retry-After`), capped at [`MAX_WAIT`].
pub fn bounded_wait(secs: u64) -> Duration {
    Duration::from_secs(secs).min(MAX_WAIT)
}

/// Any computed delay, held between [`MIN_WAIT`] and [`MAX_WAIT`].
pub fn clamp_wait(d: Duration) -> Duration {
    d.clamp(MIN_WAIT, MAX_WAIT)
}

/// The instant `d` after `now`, the wait first held within [`MIN_WAIT`] and
/// [`MAX_WAIT`]; never panics (a far-off instant saturates to `now + MAX_WAIT`).
pub fn after(now: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    let d = clamp_wait(d);
    now.checked_add(d).unwrap_or(now)
}

/// Exponential back-off for the `failures`-th failure in a row: `base` doubled
/// each time, at most `cap` (and [`MAX_WAIT`]). No overflow for any count.
pub fn backoff(base: Duration, failures: u32, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.min(16));
    clamp_wait(base.checked_mul(factor).unwrap_or(cap).min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_retry_after_is_capped_at_an_hour() {
        assert_eq!(bounded_wait(u64::MAX), Duration::from_secs(3600));
        assert_eq!(bounded_wait(18_446_744_073_709_551_615), MAX_WAIT);
        assert_eq!(bounded_wait(3), Duration::from_secs(3));
        assert_eq!(bounded_wait(0), Duration::ZERO, "the caller's own back-off decides a zero");
    }

    #[test]
    fn instants_never_overflow_and_never_spin() {
        let now = tokio::time::Instant::now();
        assert_eq!(after(now, Duration::MAX), now + MAX_WAIT, "Duration::MAX is an hour away, not a panic");
        assert_eq!(after(now, Duration::from_secs(u64::MAX)), now + MAX_WAIT);
        assert_eq!(after(now, Duration::ZERO), now + MIN_WAIT, "a zero delay still pauses");
        assert_eq!(after(now, Duration::from_secs(5)), now + Duration::from_secs(5));
    }

    #[test]
    fn backoff_grows_within_its_cap_for_any_count() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(300);
        assert_eq!(backoff(base, 0, cap), Duration::from_secs(1));
        assert_eq!(backoff(base, 3, cap), Duration::from_secs(8));
        assert_eq!(backoff(base, u32::MAX, cap), cap);
        assert_eq!(backoff(Duration::MAX, u32::MAX, cap), cap, "no overflow multiplying a huge base");
        assert_eq!(backoff(Duration::from_secs(u64::MAX), 2, Duration::MAX), MAX_WAIT);
    }
}
