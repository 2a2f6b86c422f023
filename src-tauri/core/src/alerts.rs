//! Alerts: one list of what needs the owner, derived from the store each
//! time it is asked (never stored, so an alert clears itself once its cause
//! is gone):
//!
//! | kind                         | raised when                                              |
//! |------------------------------|----------------------------------------------------------|
//! | `token_expired`              | Meta refused the account's token (190): status `needs_token` |
//! | `session_logged_out`         | a gateway session logged out or asks for a QR scan       |
//! | Meta's attention kinds       | a template paused, rejected or disabled; the number's quality dropping; restrictions, bans (`account_health`) |
//! | `webhook_signatures`         | [`BAD_SIGNATURES_PER_HOUR`] or more signature failures in the last hour |
//! | `outbox_stuck`               | a due message waits over [`STUCK_AFTER`] and nothing went out meanwhile, with the hourly limit not reached |
//! | `public_address_unreachable` | the last public-address check failed                     |
//!
//! What was already announced is kept in `alerts_seen` (by [`Alert::key`]):
//! [`refresh`] returns only the alerts that are new since the last call, so a
//! desktop notification goes out once per occurrence, not while it lasts.

use crate::error::Result;
use crate::model::{AccountStatus, Provider};
use crate::ratelimit::Limits;
use crate::store::Store;
use serde::Serialize;
use std::time::Duration;

/// Signature failures in an hour that make an alert.
pub const BAD_SIGNATURES_PER_HOUR: i64 = 10;
/// How long a due message may wait, with nothing sent, before the outbox counts as stuck.
pub const STUCK_AFTER: Duration = Duration::from_secs(15 * 60);

/// One thing that needs the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Stable, for scripts: see the module's table.
    pub kind: String,
    /// `critical` (messages are not flowing) or `warning`.
    pub severity: &'static str,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    /// What it is about within the account (a template), if anything.
    pub subject: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
    /// What fixes it.
    pub action: String,
    /// Since when (Unix ms), when known.
    pub since: Option<i64>,
}

impl Alert {
    /// Identifies one occurrence: the same alert raised again after it
    /// cleared is announced again.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.kind, self.account_id.unwrap_or(0), self.subject.as_deref().unwrap_or(""))
    }
}

/// Every current alert, accounts in order, then the data dir's own.
pub fn current(store: &Store, now: i64) -> Result<Vec<Alert>> {
    let mut alerts = vec![];
    let reach = crate::tunnel::health::load(store)?;
    for account in store.accounts()?.into_iter().filter(|a| a.enabled) {
        let named = |kind: &str, severity, subject: Option<String>, message: String, action: String, since: Option<i64>| Alert {
            kind: kind.into(),
            severity,
            account_id: Some(account.id),
            account_name: Some(account.name.clone()),
            subject,
            message,
            action,
            since,
        };
        let reason = account.status_reason.clone().map(|r| format!(": {r}")).unwrap_or_default();
        match account.status {
            AccountStatus::NeedsToken => alerts.push(named(
                "token_expired",
                "critical",
                None,
                format!("{} cannot send or receive: its access was refused (token expired or revoked){reason}", account.name),
                match account.provider {
                    Provider::Meta => "Paste a new access token in Settings → Accounts (a System User token does not expire)".into(),
                    _ => "Enter a new API key in Settings → Accounts".into(),
                },
                account.status_since,
            )),
            AccountStatus::Disconnected if account.provider != Provider::Meta => alerts.push(named(
                "session_logged_out",
                "critical",
                None,
                format!("{}'s WhatsApp session is logged out{reason}", account.name),
                format!("Reconnect it: scan the QR code with the phone (Settings → Accounts, or `wicket account reconnect {}`)", account.id),
                account.status_since,
            )),
            _ => {}
        }
        if account.provider == Provider::Meta {
            for a in store.account_health(account.id)?.attention {
                let severity = if matches!(a.kind.as_str(), "banned" | "restricted" | "disconnected") { "critical" } else { "warning" };
                alerts.push(named(&a.kind, severity, a.subject.clone(), a.message.clone(), a.action.clone(), Some(a.since)));
            }
        }
        if let Some((waiting, oldest)) = stuck(store, &account, now)? {
            alerts.push(named(
                "outbox_stuck",
                "critical",
                None,
                format!("{waiting} message(s) from {} have waited since {} and nothing was sent meanwhile", account.name, crate::time::to_rfc3339(oldest)),
                "Check that Wicket (or `wicket serve`) is running and the account is connected; `wicket messages --json` shows each message's last error"
                    .into(),
                Some(oldest),
            ));
        }
        if let Some(h) = reach.as_ref().filter(|h| h.is_unreachable() && matches!(account.provider, Provider::Meta | Provider::Wasender)) {
            alerts.push(named(
                "public_address_unreachable",
                "critical",
                None,
                crate::tunnel::health::cannot_reach(h.reason.as_deref().unwrap_or("the last check failed"), "Messages wait at the provider until it is fixed"),
                "Restart the public address (Settings → Webhook listener, or restart `wicket serve`)".into(),
                h.checked_at,
            ));
        }
    }
    let failures = store.bad_signatures_since(now - 3_600_000)?;
    if failures >= BAD_SIGNATURES_PER_HOUR {
        alerts.push(Alert {
            kind: "webhook_signatures".into(),
            severity: "warning",
            account_id: None,
            account_name: None,
            subject: None,
            message: format!("{failures} webhook requests in the last hour had a bad signature and were refused"),
            action: "If they are Meta's, the app secret in Wicket is not the app's: copy it again from the Meta App Dashboard (App settings → Basic) into Settings → Accounts. Otherwise someone is probing your address; nothing was stored.".into(),
            since: None,
        });
    }
    Ok(alerts)
}

/// The account's due messages waiting longer than [`STUCK_AFTER`] while
/// nothing was sent for as long and the hourly limit is not what holds them:
/// (how many, the oldest's time). None when the outbox flows.
fn stuck(store: &Store, account: &crate::store::Account, now: i64) -> Result<Option<(i64, i64)>> {
    let stuck_ms = STUCK_AFTER.as_millis() as i64;
    let Some((waiting, oldest)) = store.overdue_sends(account.id, now - stuck_ms)? else { return Ok(None) };
    let sent = store.sends_since(account.id, now - 3_600_000)?;
    let recently = sent.iter().any(|(_, at)| *at >= now - stuck_ms);
    let hour_full = sent.len() as u64 >= u64::from(Limits::of(account).max_per_hour);
    Ok((!recently && !hour_full).then_some((waiting, oldest)))
}

/// Syncs what was announced with what is current: returns the alerts that
/// are new (to notify once), and forgets those that cleared, so they are
/// announced again if they come back.
pub fn refresh(store: &mut Store, now: i64) -> Result<Vec<Alert>> {
    let alerts = current(store, now)?;
    let keys: Vec<String> = alerts.iter().map(Alert::key).collect();
    let fresh = store.mark_alerts_seen(&keys, now)?;
    Ok(alerts.into_iter().filter(|a| fresh.contains(&a.key())).collect())
}
