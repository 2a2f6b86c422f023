//! Noticing that the computer slept: the wall clock keeps running through a
//! suspend while the monotonic clock (`CLOCK_MONOTONIC` on Linux, what
//! `Instant` reads) stops, so a wall-clock jump much larger than the
//! monotonic time elapsed means the machine just woke up. A tunnel rarely
//! survives a sleep (its connections to the edge are gone), so the keeper
//! checks the public address again then.
//!
//! The clocks are behind [`Clock`] so tests drive them by hand.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The two clocks the keeper reads.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch (jumps when the machine sleeps or
    /// the time is set).
    fn wall_ms(&self) -> i64;
    /// Time elapsed since some fixed point, never going back; does not
    /// advance while the machine sleeps.
    fn mono(&self) -> Duration;
}

/// The real clocks.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> SystemClock {
        SystemClock { origin: Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn wall_ms(&self) -> i64 {
        crate::time::now_ms()
    }

    fn mono(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock moved by hand (tests): `advance` moves both clocks, `sleep_for`
/// only the wall clock, as a suspended machine does.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<(i64, Duration)>,
}

impl ManualClock {
    pub fn new(wall_ms: i64) -> ManualClock {
        ManualClock { state: Mutex::new((wall_ms, Duration::ZERO)) }
    }

    /// Time passes with the machine awake.
    pub fn advance(&self, by: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 += by.as_millis() as i64;
        s.1 += by;
    }

    /// The machine sleeps for `by`: only the wall clock moves.
    pub fn sleep_for(&self, by: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 += by.as_millis() as i64;
    }
}

impl Clock for ManualClock {
    fn wall_ms(&self) -> i64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    fn mono(&self) -> Duration {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1
    }
}

/// Compares the two clocks between calls of [`WakeDetector::woke`].
#[derive(Debug, Clone)]
pub struct WakeDetector {
    last_wall_ms: i64,
    last_mono: Duration,
    threshold: Duration,
}

impl WakeDetector {
    /// Starts from the clocks' current readings; a wall-clock gain over the
    /// monotonic clock larger than `threshold` counts as a wake-up.
    pub fn new(clock: &dyn Clock, threshold: Duration) -> WakeDetector {
        WakeDetector { last_wall_ms: clock.wall_ms(), last_mono: clock.mono(), threshold }
    }

    /// Whether the machine slept since the last call (or since `new`).
    /// A wall clock set back (a time correction) is not a wake-up.
    pub fn woke(&mut self, clock: &dyn Clock) -> bool {
        let wall = clock.wall_ms();
        let mono = clock.mono();
        let wall_gain = wall.saturating_sub(self.last_wall_ms);
        let mono_gain = mono.saturating_sub(self.last_mono).as_millis().min(i64::MAX as u128) as i64;
        self.last_wall_ms = wall;
        self.last_mono = mono;
        wall_gain.saturating_sub(mono_gain) > self.threshold.as_millis().min(i64::MAX as u128) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_wall_clock_jump_beyond_the_monotonic_time_is_a_wake_up() {
        let clock = ManualClock::new(1_800_000_000_000);
        let mut wake = WakeDetector::new(&clock, 2 * MIN);
        clock.advance(30 * MIN);
        assert!(!wake.woke(&clock), "time passing awake is no wake-up, however long");
        clock.advance(Duration::from_secs(30));
        clock.sleep_for(MIN);
        assert!(!wake.woke(&clock), "a jump under the threshold (a time sync) is not one either");
        clock.advance(Duration::from_secs(30));
        clock.sleep_for(45 * MIN);
        assert!(wake.woke(&clock), "45 minutes of wall time in 30 s of monotonic time: the machine slept");
        clock.advance(Duration::from_secs(30));
        assert!(!wake.woke(&clock), "reported once");
    }

    #[test]
    fn a_wall_clock_set_back_is_not_a_wake_up() {
        let clock = ManualClock::new(1_800_000_000_000);
        let mut wake = WakeDetector::new(&clock, 2 * MIN);
        {
            let mut s = clock.state.lock().unwrap();
            s.0 -= 3_600_000;
        }
        assert!(!wake.woke(&clock));
    }

    #[test]
    fn the_system_clock_runs() {
        let clock = SystemClock::new();
        let mut wake = WakeDetector::new(&clock, MIN);
        assert!(clock.wall_ms() > 1_600_000_000_000);
        assert!(!wake.woke(&clock));
    }
}
