//! What the automatic replies (`crate::away`) remember: per account, the
//! last inbound message they looked at (`auto_reply_cursors`), and per
//! conversation, the closed periods it already got an away message for
//! (`away_replies`). Both are written in the transaction that queues the
//! reply, so a restart never answers twice.

use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// An inbound message the automatic replies consider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inbound {
    pub id: i64,
    pub conversation_id: i64,
    pub contact_id: i64,
    pub is_group: bool,
    /// When the customer wrote it (Unix ms).
    pub timestamp: i64,
}

/// The last message id of `account_id` already looked at. An account
/// without a row was added after the feature came (migration 18 started the
/// others at their newest message), so everything of it counts.
pub fn cursor(conn: &Connection, account_id: i64) -> Result<i64> {
    Ok(conn.query_row("SELECT message_id FROM auto_reply_cursors WHERE account_id = ?1", [account_id], |r| r.get(0)).optional()?.unwrap_or(0))
}

/// Moves the cursor on to `message_id` (never back).
pub fn advance(conn: &Connection, account_id: i64, message_id: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO auto_reply_cursors (account_id, message_id) VALUES (?1, ?2)
         ON CONFLICT (account_id) DO UPDATE SET message_id = max(message_id, excluded.message_id)",
        params![account_id, message_id],
    )?;
    Ok(())
}

/// The newest message id of `account_id` (0 without any).
pub fn newest(conn: &Connection, account_id: i64) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM messages WHERE account_id = ?1", [account_id], |r| r.get(0))?)
}

/// Up to `limit` messages customers wrote to `account_id` after message
/// `after`, oldest first: not history imports, notices or reactions, nor
/// what they wrote before the account was added (a gateway's first poll
/// brings in earlier chats: those customers never wrote to Wicket), with a
/// minute's slack for the provider's clock and its whole-second times.
pub fn inbound_after(conn: &Connection, account_id: i64, after: i64, limit: usize) -> Result<Vec<Inbound>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.conversation_id, c.contact_id, ct.is_group, m.timestamp
         FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
         JOIN accounts a ON a.id = m.account_id
         WHERE m.id > ?2 AND m.account_id = ?1 AND m.direction = 'in' AND m.history = 0 AND m.kind NOT IN ('notice', 'reaction')
           AND m.timestamp >= a.created_at - 60000
         ORDER BY m.id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![account_id, after, limit as i64], |r| {
        Ok(Inbound { id: r.get(0)?, conversation_id: r.get(1)?, contact_id: r.get(2)?, is_group: r.get(3)?, timestamp: r.get(4)? })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Whether `m` is the first message of its conversation: none stored
/// before it, nor any older one (a history import may come later).
pub fn is_first(conn: &Connection, m: &Inbound) -> Result<bool> {
    let earlier: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND id <> ?2 AND (id < ?2 OR timestamp < ?3))",
        params![m.conversation_id, m.id, m.timestamp],
        |r| r.get(0),
    )?;
    Ok(!earlier)
}

/// Whether conversation `conversation_id` got an away message in the
/// closed period that began at `closed_since`.
pub fn away_sent(conn: &Connection, conversation_id: i64, closed_since: i64) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM away_replies WHERE conversation_id = ?1 AND closed_since = ?2)",
        params![conversation_id, closed_since],
        |r| r.get(0),
    )?)
}

/// Records the away message of that closed period; false if there was one.
pub fn record_away(conn: &Connection, conversation_id: i64, closed_since: i64, message_id: Option<i64>, at: i64) -> Result<bool> {
    Ok(conn.execute(
        "INSERT OR IGNORE INTO away_replies (conversation_id, closed_since, message_id, sent_at) VALUES (?1, ?2, ?3, ?4)",
        params![conversation_id, closed_since, message_id, at],
    )? == 1)
}
