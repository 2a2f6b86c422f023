//! `send_log`: when each send of the last hour was accepted, per account and
//! conversation. The rate limits (`ratelimit`) keep their own count in
//! memory while a process runs; this table is what they start from, so a
//! restart never grants a fresh hour or lets a recipient be written to again
//! too soon. A row is added in the transaction that records an accepted send
//! (`outbox`), and rows older than an hour are pruned as rows are added.

use super::Store;
use crate::error::Result;
use rusqlite::{params, Transaction};

/// How long a row is kept: the longest window a limit looks at.
pub const KEPT_MS: i64 = 3_600_000;

/// Records that `account_id` sent to `conversation_id` at `at` (Unix ms),
/// and prunes the account's rows older than [`KEPT_MS`].
pub fn record(tx: &Transaction<'_>, account_id: i64, conversation_id: i64, at: i64) -> Result<()> {
    tx.execute("INSERT INTO send_log (account_id, conversation_id, sent_at) VALUES (?1, ?2, ?3)", params![account_id, conversation_id, at])?;
    tx.execute("DELETE FROM send_log WHERE account_id = ?1 AND sent_at < ?2", params![account_id, at - KEPT_MS])?;
    Ok(())
}

impl Store {
    /// `account_id`'s sends accepted at or after `since`, oldest first, as
    /// (conversation id, Unix ms).
    pub fn sends_since(&self, account_id: i64, since: i64) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT conversation_id, sent_at FROM send_log
             WHERE account_id = ?1 AND sent_at >= ?2
             ORDER BY sent_at",
        )?;
        let rows = stmt.query_map(params![account_id, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
