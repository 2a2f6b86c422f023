//! Pages of a conversation around a message and after one: opening a
//! search result at its message (with messages before and after it), and
//! loading newer messages as the owner scrolls down from there. Paged by
//! cursor over `messages_in_conversation`, never by offset, so a page costs
//! the same in a conversation of 100,000 messages.

use super::messages::{from_row, Message, COLUMNS, FROM};
use super::Store;
use crate::error::{Error, Result};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// (timestamp) of message `id`, checked to be in `conversation_id`.
    fn cursor_of(&self, conversation_id: i64, id: i64) -> Result<i64> {
        let (ts, conv): (i64, i64) = self
            .conn()
            .query_row("SELECT timestamp, conversation_id FROM messages WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no message with id {id}")))?;
        if conv != conversation_id {
            return Err(Error::Invalid(format!("message {id} is not in conversation {conversation_id}")));
        }
        Ok(ts)
    }

    /// The `limit` messages after message `after`, oldest first.
    pub fn messages_after(&self, conversation_id: i64, after: i64, limit: usize) -> Result<Vec<Message>> {
        let ts = self.cursor_of(conversation_id, after)?;
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE m.conversation_id = ?1 AND (m.timestamp, m.id) > (?2, ?3) ORDER BY m.timestamp, m.id LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![conversation_id, ts, after, limit.max(1) as i64], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Message `id` with about `limit / 2` messages before it and as many
    /// after, oldest first.
    pub fn messages_around(&self, conversation_id: i64, id: i64, limit: usize) -> Result<Vec<Message>> {
        let half = (limit.max(2) / 2).max(1);
        self.cursor_of(conversation_id, id)?;
        // The page before the message after it ends with the message itself.
        let mut page = match self.messages_after(conversation_id, id, 1)?.first() {
            Some(next) => self.messages_page(conversation_id, Some(next.id), half + 1)?,
            None => self.messages_page(conversation_id, None, half + 1)?,
        };
        page.extend(self.messages_after(conversation_id, id, half)?);
        Ok(page)
    }
}
