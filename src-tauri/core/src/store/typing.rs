//! The typing indicator's bookkeeping: which customer message it answers
//! and when it was last sent in a conversation (at most once per interval,
//! whichever process or window asks).

use super::Store;
use crate::error::Result;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// The provider id of the customer's latest message in the conversation
    /// when nothing was sent after it (the customer is waiting for a reply).
    pub fn unanswered_message(&self, conversation_id: i64) -> Result<Option<String>> {
        let latest: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT direction, COALESCE(provider_message_id, '') FROM messages
                 WHERE conversation_id = ?1 AND kind NOT IN ('notice', 'reaction') AND deleted_at IS NULL
                 ORDER BY timestamp DESC, id DESC LIMIT 1",
                [conversation_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(latest.filter(|(direction, id)| direction == "in" && !id.is_empty()).map(|(_, id)| id))
    }

    /// Takes the right to send the typing indicator at `now` (Unix ms): false
    /// when one was sent less than `interval_ms` ago.
    pub fn claim_typing(&mut self, conversation_id: i64, now: i64, interval_ms: i64) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO typing_indicators (conversation_id, sent_at) VALUES (?1, ?2)
                 ON CONFLICT (conversation_id) DO UPDATE SET sent_at = excluded.sent_at
                 WHERE typing_indicators.sent_at <= excluded.sent_at - ?3",
                params![conversation_id, now, interval_ms],
            )?;
            Ok(n > 0)
        })
    }

    /// Gives back a claim whose send failed, so the next keystroke may try again.
    pub fn release_typing(&mut self, conversation_id: i64, claimed_at: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM typing_indicators WHERE conversation_id = ?1 AND sent_at = ?2", params![conversation_id, claimed_at])?;
            Ok(())
        })
    }
}
