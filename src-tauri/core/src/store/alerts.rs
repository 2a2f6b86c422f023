//! What the alerts (`crate::alerts`) read and keep: signature failures per
//! hour (`hourly`), overdue sends, and which alerts were already announced.

use super::Store;
use crate::error::Result;
use rusqlite::params;
use std::collections::HashSet;

impl Store {
    /// Signature failures counted in the hours that overlap `since`..now.
    pub fn bad_signatures_since(&self, since: i64) -> Result<i64> {
        self.hourly_sum(super::hourly::WEBHOOK_REJECTED, None, since)
    }

    /// `account_id`'s messages waiting to be sent, due, and queued before
    /// `created_before`: (how many, the oldest's creation). None when there are none.
    pub fn overdue_sends(&self, account_id: i64, created_before: i64) -> Result<Option<(i64, i64)>> {
        let (count, oldest): (i64, Option<i64>) = self.conn().query_row(
            "SELECT count(*), min(created_at) FROM messages
             WHERE status IN ('pending', 'sending') AND account_id = ?1 AND created_at < ?2 AND coalesce(next_attempt_at, 0) < ?2",
            params![account_id, created_before],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(oldest.filter(|_| count > 0).map(|o| (count, o)))
    }

    /// Records `keys` as the current alerts: returns those not announced
    /// before, and forgets the announced ones that are no longer current.
    pub fn mark_alerts_seen(&mut self, keys: &[String], now: i64) -> Result<HashSet<String>> {
        self.write(|tx| {
            let seen: HashSet<String> = {
                let mut stmt = tx.prepare("SELECT key FROM alerts_seen")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<std::result::Result<_, _>>()?
            };
            let current: HashSet<&String> = keys.iter().collect();
            for gone in seen.iter().filter(|k| !current.contains(k)) {
                tx.execute("DELETE FROM alerts_seen WHERE key = ?1", [gone])?;
            }
            let mut fresh = HashSet::new();
            for key in keys.iter().filter(|k| !seen.contains(*k)) {
                tx.execute("INSERT OR IGNORE INTO alerts_seen (key, first_seen) VALUES (?1, ?2)", params![key, now])?;
                fresh.insert(key.clone());
            }
            Ok(fresh)
        })
    }
}
