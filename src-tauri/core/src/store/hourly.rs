//! Hourly counters in `counters`, named `{metric}:{account}@{hour start}`
//! (account 0 when there is none): webhook requests accepted, duplicate,
//! rejected for a bad signature or unreadable, and rate-limit waits. The
//! alerts and `wicket stats` sum them over a time window; the daily
//! maintenance drops those older than [`KEEP_DAYS`].

use super::Store;
use crate::error::Result;
use rusqlite::{params, Connection};

const HOUR_MS: i64 = 3_600_000;
/// Hourly counters are kept this long.
pub const KEEP_DAYS: i64 = 400;

pub const WEBHOOK_ACCEPTED: &str = "webhook_accepted";
pub const WEBHOOK_DUPLICATE: &str = "webhook_duplicate";
pub const WEBHOOK_REJECTED: &str = "webhook_rejected";
pub const WEBHOOK_FAILED: &str = "webhook_failed";
pub const RATELIMIT_WAITS: &str = "ratelimit_waits";

/// Adds `n` to `metric` for `account` in the hour of `now` (inside the caller's transaction).
pub fn bump(conn: &Connection, metric: &str, account: Option<i64>, n: i64, now: i64) -> Result<()> {
    let hour = now - now.rem_euclid(HOUR_MS);
    conn.prepare_cached("INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = value + ?2")?
        .execute(params![format!("{metric}:{}@{hour}", account.unwrap_or(0)), n])?;
    Ok(())
}

/// Drops every hourly counter of an hour before `before` (Unix ms).
pub fn prune(conn: &Connection, before: i64) -> Result<usize> {
    Ok(conn.execute("DELETE FROM counters WHERE name GLOB '*:*@*' AND CAST(substr(name, instr(name, '@') + 1) AS INTEGER) < ?1", [before])?)
}

impl Store {
    /// `metric` summed over the hours that overlap `since`..now, for
    /// `account` (None: every account, and none).
    pub fn hourly_sum(&self, metric: &str, account: Option<i64>, since: i64) -> Result<i64> {
        let pattern = match account {
            Some(a) => format!("{metric}:{a}@*"),
            None => format!("{metric}:*@*"),
        };
        Ok(self.conn().query_row(
            "SELECT coalesce(sum(value), 0) FROM counters WHERE name GLOB ?1 AND CAST(substr(name, instr(name, '@') + 1) AS INTEGER) > ?2",
            params![pattern, since - HOUR_MS],
            |r| r.get(0),
        )?)
    }
}
