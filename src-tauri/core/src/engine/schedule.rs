//! When an account's periodic work is next due, how its polling fares, and
//! the one rule that turns what the engine learnt into the account's state.

use crate::model::AccountStatus;
use tokio::time::Instant;

/// A state and its reason, as stored on the account.
pub(super) type State = (AccountStatus, Option<String>);

/// One account's schedule. It outlives a worker that is rebuilt because the
/// account changed, so a rebuild neither repeats the once-per-run chat import
/// nor forgets a back-off.
#[derive(Debug)]
pub(super) struct Schedule {
    pub last_poll: Option<Instant>,
    /// Set while polls fail: the next try (back-off, Retry-After).
    pub retry_at: Option<Instant>,
    pub poll_failures: u32,
    /// What the failing poll means for the account (status, reason).
    pub poll_problem: Option<(AccountStatus, String)>,
    /// The last poll succeeded.
    pub polled_ok: bool,
    /// The provider's own report (state check or account-status webhook).
    pub provider_state: Option<State>,
    /// The state this engine last wrote; another value in the store means
    /// someone else (a webhook, the CLI) changed it.
    pub written: Option<State>,
    pub next_state_check: Instant,
    pub next_status_recheck: Instant,
    pub next_sync_check: Instant,
    pub pictures_paused_until: Option<Instant>,
    /// The provider's chat list was imported in this run (UniPile).
    pub chats_imported: bool,
}

impl Schedule {
    pub fn now() -> Schedule {
        let now = Instant::now();
        Schedule {
            last_poll: None,
            retry_at: None,
            poll_failures: 0,
            poll_problem: None,
            polled_ok: false,
            provider_state: None,
            written: None,
            next_state_check: now,
            next_status_recheck: now,
            next_sync_check: now,
            pictures_paused_until: None,
            chats_imported: false,
        }
    }

    /// The one rule for an account's state: the provider's report wins when
    /// it says something is wrong (it knows the session); otherwise a failing
    /// poll decides (retrying, needs re-authentication); otherwise ok. Both
    /// checks feed this, so the state (and "retrying since T") only changes
    /// when the outcome does, never back and forth between them.
    pub fn state(&self, current: State) -> State {
        match (&self.provider_state, &self.poll_problem) {
            (Some((s, r)), _) if *s != AccountStatus::Ok => (*s, r.clone()),
            (_, Some((s, r))) => (*s, Some(r.clone())),
            (Some(ok), None) => ok.clone(),
            (None, None) if self.polled_ok => (AccountStatus::Ok, None),
            // Nothing learnt yet: keep what the store says.
            (None, None) => current,
        }
    }

    /// Whether a poll is due at `now` with this `interval`. An interval so
    /// long that it overflows the clock means "not due", never a panic.
    pub fn poll_due(&self, now: Instant, interval: std::time::Duration) -> bool {
        match self.retry_at {
            Some(at) => now >= at,
            None => self.last_poll.is_none_or(|t| t.checked_add(interval).is_some_and(|due| now >= due)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_provider_report_wins_when_not_ok_then_a_failing_poll_then_ok() {
        let mut s = Schedule::now();
        let stored = (AccountStatus::Ok, None);
        assert_eq!(s.state(stored.clone()), stored, "nothing learnt: the store's state stays");
        s.poll_problem = Some((AccountStatus::Retrying, "slow".into()));
        assert_eq!(s.state(stored.clone()), (AccountStatus::Retrying, Some("slow".into())));
        s.provider_state = Some((AccountStatus::Disconnected, Some("scan".into())));
        assert_eq!(s.state(stored.clone()).0, AccountStatus::Disconnected);
        s.provider_state = Some((AccountStatus::Ok, None));
        s.poll_problem = None;
        assert_eq!(s.state((AccountStatus::Retrying, None)), (AccountStatus::Ok, None));
    }

    #[test]
    fn a_huge_poll_interval_is_never_due_and_never_panics() {
        let mut s = Schedule::now();
        let now = Instant::now();
        assert!(s.poll_due(now, Duration::MAX), "never polled: due now");
        s.last_poll = Some(now);
        assert!(!s.poll_due(now + Duration::from_secs(3600), Duration::MAX));
        assert!(s.poll_due(now + Duration::from_secs(6), Duration::from_secs(5)));
    }
}
