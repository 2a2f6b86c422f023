//! One account's gate: the slot a message takes before the outbox claims
//! it. Per second, a `governor` limiter (GCRA, no burst beyond what the
//! window allows: see `per_second_quota`) spaces sends so that no one-second
//! window, as the provider sees it, ever holds more than N. Per hour and per recipient,
//! a sliding log of this process's sends, started from the store's
//! `send_log` (so a restart grants no fresh hour). A provider's throttling
//! pauses the whole account ([`Gate::throttled`]).
//!
//! One gate per account and data dir, shared by every sender of the process
//! (only one process sends at a time: the engine, or `wicket send` when no
//! engine runs). A change of the account's limits replaces the gate and
//! keeps what it counted.

use super::Limits;
use crate::engine::wait;
use crate::error::Result;
use crate::store::{send_log, Account, Store};
use crate::time::now_ms;
use backon::BackoffBuilder;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Sends are spaced 2 % wider than the limit needs: N + 1 of them then span
/// at least 1.02 s, so a request's travel time varying by up to 20 ms never
/// puts N + 1 in one second at the provider. The long-run rate is about
/// (N - 1) / 1.02: 96 % of 50, 97 % of 80 (BENCHMARKS.md).
pub const SPACING_MARGIN: f64 = 1.02;

/// Throttled attempts in a row after which the message being sent fails
/// (the back-off reaches its 5-minute cap on the ninth; a provider asking
/// for longer is honoured, up to an hour each time).
pub const THROTTLE_RETRIES: usize = 12;

/// The longest back-off of our own after a throttle (a provider's delay may be longer).
const THROTTLE_MAX_DELAY_UNITS: u32 = 300;

/// Messages to one recipient that may go back to back: the gap is an average
/// (at most this many in any `RECIPIENT_BURST × gap`), as Meta's pair rate
/// allows a short burst. The owner's three quick replies in a chat go at
/// once; a bulk job, one message per recipient, never meets it.
pub const RECIPIENT_BURST: usize = 5;

/// Why a message is not sent yet. Nothing is claimed: it stays `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The whole account waits: its hourly limit is reached, or its provider throttled it.
    Account,
    /// This recipient got a message less than the gap ago; others may go.
    Recipient,
}

/// How long a message waits for its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub hold: Hold,
    /// When the slot may be free (Unix ms).
    pub until: i64,
}

impl Wait {
    /// The wait from now, at least [`wait::MIN_WAIT`].
    pub fn delay(&self) -> Duration {
        wait::clamp_wait(Duration::from_millis(self.until.saturating_sub(now_ms()).max(0) as u64))
    }
}

#[derive(Debug, Default, Clone)]
struct State {
    /// Sends of the last hour (Unix ms), oldest first.
    hour: VecDeque<i64>,
    /// The recent sends to each conversation (Unix ms, oldest first, at most
    /// [`RECIPIENT_BURST`]).
    last_to: HashMap<i64, VecDeque<i64>>,
    /// The provider throttled the account: nothing goes before this (Unix ms).
    paused_until: i64,
    /// Throttled attempts in a row (a send the provider took resets it).
    throttles: usize,
}

/// A slot taken for one send (see [`Gate::refund`]).
#[derive(Debug)]
pub struct Slot {
    conversation_id: i64,
    at: i64,
}

pub struct Gate {
    limits: Limits,
    per_second: governor::DefaultDirectRateLimiter,
    state: Mutex<State>,
}

type Gates = Mutex<HashMap<(PathBuf, i64), Arc<Gate>>>;

/// Records a send to `conversation_id`, keeping the last [`RECIPIENT_BURST`].
fn remember(last_to: &mut HashMap<i64, VecDeque<i64>>, conversation_id: i64, at: i64) {
    let recent = last_to.entry(conversation_id).or_default();
    recent.push_back(at);
    while recent.len() > RECIPIENT_BURST {
        recent.pop_front();
    }
}

/// The per-second quota for `n`: GCRA with a burst of `b` cells spaced `t`
/// apart lets at most `b + 1 s / t` cells (strictly fewer) into any
/// one-second window, so `t = margin / (n - b + 1)` keeps every window at
/// `n` or fewer. A burst of one wastes every wake-up that comes late (a
/// timer's millisecond is 5 % of a 20 ms spacing), so from 20 per second a
/// burst of two absorbs it, at the cost of one message a second of
/// long-run rate (`n - 1`, then the margin).
fn per_second_quota(n: u32) -> governor::Quota {
    let n = n.max(1);
    let burst: u32 = if n >= 20 { 2 } else { 1 };
    let spacing = Duration::from_secs(1).mul_f64(SPACING_MARGIN / f64::from(n - burst + 1));
    let burst = std::num::NonZeroU32::new(burst).unwrap_or(std::num::NonZeroU32::MIN);
    governor::Quota::with_period(spacing).map(|q| q.allow_burst(burst)).unwrap_or_else(|| governor::Quota::per_second(std::num::NonZeroU32::MIN))
}

/// The gate of `account` in the data dir of `store`, made (and started from
/// the store's send log) on first use, or replaced when the limits changed.
pub fn gate(store: &Store, account: &Account) -> Result<Arc<Gate>> {
    static GATES: OnceLock<Gates> = OnceLock::new();
    let limits = Limits::of(account);
    let key = (store.path().to_path_buf(), account.id);
    let mut gates = GATES.get_or_init(Gates::default).lock().unwrap_or_else(|p| p.into_inner());
    let state = match gates.get(&key) {
        Some(g) if g.limits == limits => return Ok(g.clone()),
        Some(g) => g.lock().clone(),
        None => {
            let now = now_ms();
            let mut state = State::default();
            for (conversation_id, at) in store.sends_since(account.id, now - send_log::KEPT_MS)? {
                state.hour.push_back(at);
                remember(&mut state.last_to, conversation_id, at);
            }
            state
        }
    };
    let gate = Arc::new(Gate::new(limits, state));
    gates.insert(key, gate.clone());
    Ok(gate)
}

impl Gate {
    fn new(limits: Limits, state: State) -> Gate {
        Gate { limits, per_second: governor::RateLimiter::direct(per_second_quota(limits.max_per_second)), state: Mutex::new(state) }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What holds a message to `conversation_id` back at `now`, if anything.
    fn check(&self, st: &mut State, conversation_id: i64, now: i64) -> Option<Wait> {
        if st.paused_until > now {
            return Some(Wait { hold: Hold::Account, until: st.paused_until });
        }
        while st.hour.front().is_some_and(|&t| t <= now - send_log::KEPT_MS) {
            st.hour.pop_front();
        }
        let per_hour = self.limits.max_per_hour.max(1) as usize;
        if st.hour.len() >= per_hour {
            return Some(Wait { hold: Hold::Account, until: st.hour[st.hour.len() - per_hour] + send_log::KEPT_MS });
        }
        let window = self.recipient_window();
        match st.last_to.get(&conversation_id) {
            Some(recent) if window > 0 && recent.len() >= RECIPIENT_BURST => {
                let oldest = recent[recent.len() - RECIPIENT_BURST];
                (oldest + window > now).then_some(Wait { hold: Hold::Recipient, until: oldest + window })
            }
            _ => None,
        }
    }

    /// The span in which at most [`RECIPIENT_BURST`] messages go to one recipient (ms).
    fn recipient_window(&self) -> i64 {
        i64::from(self.limits.recipient_gap_seconds) * 1000 * RECIPIENT_BURST as i64
    }

    /// Whether a message to `conversation_id` would be held back now,
    /// without taking anything.
    pub fn peek(&self, conversation_id: i64) -> Option<Wait> {
        self.check(&mut self.lock(), conversation_id, now_ms())
    }

    /// Takes a slot for one send to `conversation_id`: waits for the
    /// per-second spacing (a fraction of a second), or returns what holds it
    /// back for longer. Call it before claiming the message; give the slot
    /// back ([`Gate::refund`]) when the provider refused the send.
    pub async fn acquire(&self, conversation_id: i64) -> std::result::Result<Slot, Wait> {
        if let Some(w) = self.peek(conversation_id) {
            return Err(w);
        }
        self.per_second.until_ready().await;
        let mut st = self.lock();
        let now = now_ms();
        // Another sender of the account may have taken the hour's last slot meanwhile.
        if let Some(w) = self.check(&mut st, conversation_id, now) {
            return Err(w);
        }
        st.hour.push_back(now);
        remember(&mut st.last_to, conversation_id, now);
        if st.last_to.len() > 4096 {
            let window = self.recipient_window();
            st.last_to.retain(|_, recent| recent.back().is_some_and(|&t| t + window > now));
        }
        Ok(Slot { conversation_id, at: now })
    }

    /// The provider refused the send of `slot` (or it never left): nothing
    /// reached the recipient, so it counts neither for the hour nor for the
    /// recipient's gap, and a retry of the message is not held back by it.
    pub fn refund(&self, slot: Slot) {
        let mut st = self.lock();
        if let Some(i) = st.hour.iter().rposition(|&t| t == slot.at) {
            st.hour.remove(i);
        }
        if let Some(recent) = st.last_to.get_mut(&slot.conversation_id) {
            if let Some(i) = recent.iter().rposition(|&t| t == slot.at) {
                recent.remove(i);
            }
        }
    }

    /// The provider throttled the account: pauses it for the next step of
    /// an exponential back-off with jitter (counted in `unit`s: 1, 2, 4 …
    /// up to 300, each up to twice as long with jitter), or for the
    /// provider's `retry_after` (seconds) when longer, at most an hour.
    /// Returns the pause, and whether the send should be given up
    /// ([`THROTTLE_RETRIES`] throttles in a row).
    pub fn throttled(&self, unit: Duration, retry_after: Option<u64>) -> (Duration, bool) {
        let mut st = self.lock();
        let mut steps = backon::ExponentialBuilder::default()
            .with_min_delay(unit)
            .with_max_delay(unit.saturating_mul(THROTTLE_MAX_DELAY_UNITS))
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(THROTTLE_RETRIES)
            .build();
        let ours = steps.nth(st.throttles.min(THROTTLE_RETRIES - 1)).unwrap_or(unit);
        let theirs = retry_after.map(wait::bounded_wait).unwrap_or_default();
        let pause = wait::clamp_wait(ours.max(theirs));
        st.throttles += 1;
        st.paused_until = st.paused_until.max(now_ms().saturating_add(pause.as_millis() as i64));
        (pause, st.throttles >= THROTTLE_RETRIES)
    }

    /// The provider took a send: the throttling back-off starts over.
    pub fn accepted(&self) {
        self.lock().throttles = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_per_hour: u32, recipient_gap_seconds: u32) -> Limits {
        Limits { max_per_second: 1000, max_per_hour, recipient_gap_seconds }
    }

    #[tokio::test]
    async fn a_recipient_waits_its_gap_after_a_short_burst_while_others_go() {
        let g = Gate::new(limits(100, 6), State::default());
        for _ in 0..RECIPIENT_BURST {
            g.acquire(1).await.expect("quick replies in a chat go at once");
        }
        let held = g.acquire(1).await.unwrap_err();
        assert_eq!(held.hold, Hold::Recipient, "then the same recipient waits");
        assert!(held.until - now_ms() > 29_000, "one message per 6 s on average: {held:?}");
        let other = g.acquire(2).await.expect("another recipient goes at once");
        g.refund(other);
        g.acquire(2).await.expect("a refused send does not hold its recipient back");
    }

    #[tokio::test]
    async fn the_hour_is_a_sliding_window_started_from_the_store() {
        let now = now_ms();
        let mut state = State::default();
        state.hour.extend([now - 3_599_000, now - 1000]);
        let g = Gate::new(limits(3, 0), state);
        g.acquire(1).await.unwrap();
        let held = g.acquire(2).await.unwrap_err();
        assert_eq!(held.hold, Hold::Account);
        assert!((now + 1000 - 50..=now + 1000 + 50).contains(&held.until), "free when the oldest send is an hour old: {held:?}");
    }

    #[test]
    fn throttling_pauses_the_account_and_backs_off_at_least_as_long_as_asked() {
        let g = Gate::new(limits(100, 0), State::default());
        let (first, give_up) = g.throttled(Duration::from_secs(1), None);
        assert!(!give_up);
        assert!((Duration::from_secs(1)..=Duration::from_secs(2)).contains(&first), "one unit plus jitter: {first:?}");
        assert_eq!(g.peek(7).map(|w| w.hold), Some(Hold::Account), "the whole account waits");
        let (second, _) = g.throttled(Duration::from_secs(1), Some(30));
        assert!(second >= Duration::from_secs(30), "the provider's delay is honoured: {second:?}");
        let (huge, _) = g.throttled(Duration::from_secs(1), Some(u64::MAX));
        assert_eq!(huge, wait::MAX_WAIT, "an absurd delay waits an hour");
        let mut last = (Duration::ZERO, false);
        for _ in 0..THROTTLE_RETRIES {
            last = g.throttled(Duration::from_millis(1), None);
        }
        assert!(last.1, "gives up after {THROTTLE_RETRIES} throttles in a row");
        g.accepted();
        assert!(!g.throttled(Duration::from_millis(1), None).1, "a send the provider took starts the count over");
    }
}
