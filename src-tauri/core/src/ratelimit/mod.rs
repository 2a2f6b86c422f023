//! Per-account sending limits: messages per second, messages per hour, and a
//! minimum gap between two messages to one recipient. Each account's limits
//! live in its config (`max_per_second`, `max_per_hour`,
//! `recipient_gap_seconds`); a key that is absent takes the provider's
//! default below. `wicket account set ID --max-per-second N --max-per-hour N
//! --recipient-gap SECONDS` writes them ([`set_limits`]).
//!
//! The rule kept here and in [`gate`]: a message waits for its slot *before*
//! the outbox claims it, so a burst only queues (it never fails because of
//! our own limit) and a crash while it waits leaves it `pending`, never
//! `unknown`. A provider that throttles anyway (Meta 4, 80007, 130429,
//! 131056; a gateway's 429) pauses the whole account with exponential
//! back-off and jitter, at least as long as the provider asked
//! ([`Gate::throttled`]).
//!
//! Defaults, per provider (the owner can raise them to what the number allows):
//! - Meta: 10 per second (a conservative start; Meta allows 80 per second
//!   per number, 20 for a number shared with the WhatsApp Business app, and
//!   upgrades busy numbers to 1,000), 1,000 per hour, 6 s per recipient
//!   (Meta's pair rate: about one message every 6 s to one user, error 131056).
//! - WASender: 4 per second (paid plans allow 256 requests a minute), 1,000
//!   per hour, 5 s per recipient (what its account protection enforces).
//! - UniPile: 2 per second (no documented figure; a WhatsApp Web session
//!   that bursts risks a ban), 1,000 per hour, 5 s per recipient.
//! - The demo account: 10 per second, 1,000 per hour, no gap.
//!
//! The gap per recipient is an average: up to [`RECIPIENT_BURST`] messages
//! to one recipient go back to back (the owner's quick replies in a chat,
//! as Meta's pair rate allows a short burst), then one per gap.

pub mod gate;

pub use gate::{gate, Gate, Hold, Slot, Wait, RECIPIENT_BURST};

use crate::error::{Error, Result};
use crate::model::Provider;
use crate::store::{Account, Store};
use serde::Serialize;
use std::time::Duration;

/// The highest `max_per_second` accepted: Meta's upgraded throughput.
pub const MAX_PER_SECOND_CEILING: u32 = 1000;
/// The highest `max_per_hour` accepted: the per-second ceiling for an hour.
pub const MAX_PER_HOUR_CEILING: u32 = MAX_PER_SECOND_CEILING * 3600;
/// The longest gap per recipient accepted: the hour the send log keeps.
pub const MAX_RECIPIENT_GAP_SECONDS: u32 = 3600;

/// One account's sending limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub max_per_second: u32,
    pub max_per_hour: u32,
    pub recipient_gap_seconds: u32,
}

impl Limits {
    /// The limits of a new account of `provider` (see the module docs).
    pub fn defaults(provider: Provider) -> Limits {
        let (max_per_second, recipient_gap_seconds) = match provider {
            Provider::Meta => (10, 6),
            Provider::Wasender => (4, 5),
            Provider::Unipile => (2, 5),
            Provider::Demo => (10, 0),
        };
        Limits { max_per_second, max_per_hour: 1000, recipient_gap_seconds }
    }

    /// `account`'s limits: its config where set and valid, else the defaults.
    pub fn of(account: &Account) -> Limits {
        let d = Limits::defaults(account.provider);
        let get = |key: &str, range: std::ops::RangeInclusive<u32>, default: u32| {
            account.config.get(key).and_then(|v| v.as_u64()).and_then(|v| u32::try_from(v).ok()).filter(|v| range.contains(v)).unwrap_or(default)
        };
        Limits {
            max_per_second: get("max_per_second", 1..=MAX_PER_SECOND_CEILING, d.max_per_second),
            max_per_hour: get("max_per_hour", 1..=MAX_PER_HOUR_CEILING, d.max_per_hour),
            recipient_gap_seconds: get("recipient_gap_seconds", 0..=MAX_RECIPIENT_GAP_SECONDS, d.recipient_gap_seconds),
        }
    }

    pub fn recipient_gap(&self) -> Duration {
        Duration::from_secs(self.recipient_gap_seconds.into())
    }
}

/// What `wicket account set` changes; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitChanges {
    pub max_per_second: Option<u32>,
    pub max_per_hour: Option<u32>,
    pub recipient_gap_seconds: Option<u32>,
}

impl LimitChanges {
    pub fn is_empty(&self) -> bool {
        self.max_per_second.is_none() && self.max_per_hour.is_none() && self.recipient_gap_seconds.is_none()
    }
}

/// Stores `changes` in the account's config and returns the account. The
/// engine's senders pick the new limits up at their next message.
pub fn set_limits(store: &mut Store, account_id: i64, changes: LimitChanges) -> Result<Account> {
    let account = store.account(account_id)?;
    if changes.is_empty() {
        return Err(Error::Invalid("nothing to change: give --max-per-second N, --max-per-hour N and/or --recipient-gap SECONDS".into()));
    }
    let checks = [
        ("--max-per-second", "messages per second", changes.max_per_second, 1, MAX_PER_SECOND_CEILING),
        ("--max-per-hour", "messages per hour", changes.max_per_hour, 1, MAX_PER_HOUR_CEILING),
        ("--recipient-gap", "seconds between two messages to one customer", changes.recipient_gap_seconds, 0, MAX_RECIPIENT_GAP_SECONDS),
    ];
    for (flag, what, value, low, high) in checks {
        if value.is_some_and(|v| v < low || v > high) {
            return Err(Error::Invalid(format!("{flag} takes {low} to {high} ({what})")));
        }
    }
    let mut config = if account.config.is_object() { account.config.clone() } else { serde_json::json!({}) };
    let keys = [("max_per_second", changes.max_per_second), ("max_per_hour", changes.max_per_hour), ("recipient_gap_seconds", changes.recipient_gap_seconds)];
    for (key, value) in keys {
        if let Some(v) = value {
            config[key] = serde_json::json!(v);
        }
    }
    store.update_account_config(account_id, &config)?;
    store.account(account_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account(provider: Provider, config: serde_json::Value) -> Account {
        Account {
            id: 1,
            provider,
            name: "a".into(),
            phone: None,
            status: crate::model::AccountStatus::Ok,
            status_reason: None,
            status_since: None,
            enabled: true,
            config,
            created_at: 0,
            updated_at: 0,
            last_sync_at: None,
            last_sync_result: None,
        }
    }

    #[test]
    fn an_account_without_settings_takes_its_providers_defaults() {
        assert_eq!(Limits::of(&account(Provider::Meta, json!({}))), Limits { max_per_second: 10, max_per_hour: 1000, recipient_gap_seconds: 6 });
        assert_eq!(Limits::of(&account(Provider::Wasender, json!(null))).recipient_gap_seconds, 5);
    }

    #[test]
    fn set_values_win_and_bad_ones_fall_back_to_the_default() {
        let a = account(Provider::Meta, json!({"max_per_second": 80, "max_per_hour": 5000, "recipient_gap_seconds": 0}));
        assert_eq!(Limits::of(&a), Limits { max_per_second: 80, max_per_hour: 5000, recipient_gap_seconds: 0 });
        let bad = account(Provider::Meta, json!({"max_per_second": 0, "max_per_hour": "x", "recipient_gap_seconds": 1_000_000}));
        assert_eq!(Limits::of(&bad), Limits::defaults(Provider::Meta), "a zero rate would never send: the default applies");
    }
}
