//! The outbox queue as one account's sender sees it. The engine runs a
//! sender per account, so each asks for its own account's due messages: one
//! account's backlog (a provider that hangs, a thousand queued messages) never
//! hides another account's messages behind a shared `LIMIT`.

use super::Store;
use crate::error::Result;
use rusqlite::params;

impl Store {
    /// Ids of `account_id`'s outgoing messages due to be sent at `now`, oldest
    /// first: the rule of `outbox_due` (pending, or sending with a lapsed
    /// lease), for one account. The caller loads and claims each one.
    pub fn outbox_due_ids(&self, account_id: i64, now: i64, limit: usize) -> Result<Vec<i64>> {
        let mut stmt = self.conn().prepare(
            "SELECT id FROM messages WHERE account_id = ?1 AND status IN ('pending', 'sending') AND coalesce(next_attempt_at, 0) <= ?2
             ORDER BY next_attempt_at, id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![account_id, now, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
