//! Reminders: the owner's "remind me" on one message, at a time.
//!
//! A reminder waits (`fired_at` null) until its time; `claim_due_reminders`
//! marks the due ones fired in the one statement that returns them, so each
//! fires exactly once, also when it fell due while nothing ran (it fires at
//! the next start). Deleting the message deletes its reminders (cascade).

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reminder {
    pub id: i64,
    pub message_id: i64,
    pub conversation_id: i64,
    pub account_id: i64,
    pub remind_at: i64,
    pub note: String,
    pub created_at: i64,
    pub fired_at: Option<i64>,
    /// The message's text or caption, else its kind (what the list shows).
    pub preview: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.message_id, m.conversation_id, m.account_id, r.remind_at, r.note, r.created_at, r.fired_at,
        CASE WHEN m.deleted_at IS NOT NULL THEN 'This message was deleted' ELSE coalesce(m.text, m.caption, m.kind) END
    FROM reminders r JOIN messages m ON m.id = r.message_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Reminder> {
    Ok(Reminder {
        id: r.get(0)?,
        message_id: r.get(1)?,
        conversation_id: r.get(2)?,
        account_id: r.get(3)?,
        remind_at: r.get(4)?,
        note: r.get(5)?,
        created_at: r.get(6)?,
        fired_at: r.get(7)?,
        preview: r.get(8)?,
    })
}

fn get(conn: &Connection, id: i64) -> Result<Reminder> {
    conn.query_row(&format!("{SELECT} WHERE r.id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no reminder with id {id} (see `wicket reminders`)")))
}

impl Store {
    /// A reminder on message `message_id` at `at` (Unix ms, in the future).
    pub fn add_reminder(&mut self, message_id: i64, at: i64, note: &str) -> Result<Reminder> {
        if at <= now_ms() {
            return Err(Error::Invalid(format!("cannot remind you at {}: that time has passed", crate::time::to_rfc3339(at))));
        }
        self.write(|tx| {
            let exists: Option<i64> = tx.query_row("SELECT id FROM messages WHERE id = ?1", [message_id], |r| r.get(0)).optional()?;
            if exists.is_none() {
                return Err(Error::NotFound(format!("no message with id {message_id} (see `wicket messages`)")));
            }
            tx.execute(
                "INSERT INTO reminders (message_id, remind_at, note, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![message_id, at, note.trim(), now_ms()],
            )?;
            get(tx, tx.last_insert_rowid())
        })
    }

    pub fn reminder(&self, id: i64) -> Result<Reminder> {
        get(self.conn(), id)
    }

    /// Reminders still waiting, the soonest (or most overdue) first;
    /// `conversation_id` limits them to one chat.
    pub fn pending_reminders(&self, conversation_id: Option<i64>) -> Result<Vec<Reminder>> {
        let mut stmt =
            self.conn().prepare(&format!("{SELECT} WHERE r.fired_at IS NULL AND (?1 IS NULL OR m.conversation_id = ?1) ORDER BY r.remind_at, r.id"))?;
        let rows = stmt.query_map([conversation_id], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Cancels a reminder that has not fired (deletes it).
    pub fn cancel_reminder(&mut self, id: i64) -> Result<Reminder> {
        self.write(|tx| {
            let r = get(tx, id)?;
            if let Some(at) = r.fired_at {
                return Err(Error::Invalid(format!("reminder {id} already went off at {}", crate::time::to_rfc3339(at))));
            }
            tx.execute("DELETE FROM reminders WHERE id = ?1", [id])?;
            Ok(r)
        })
    }

    /// Marks every waiting reminder due at `now` as fired and returns them,
    /// oldest first: the caller notifies each once.
    pub fn claim_due_reminders(&mut self, now: i64) -> Result<Vec<Reminder>> {
        self.write(|tx| {
            let mut stmt = tx.prepare("UPDATE reminders SET fired_at = ?1 WHERE fired_at IS NULL AND remind_at <= ?1 RETURNING id")?;
            let ids = stmt.query_map([now], |r| r.get(0))?.collect::<std::result::Result<Vec<i64>, _>>()?;
            let mut out = ids.into_iter().map(|id| get(tx, id)).collect::<Result<Vec<_>>>()?;
            out.sort_by_key(|r| (r.remind_at, r.id));
            Ok(out)
        })
    }
}
