//! Snoozed conversations: hidden from the lists until a time, then back.
//!
//! The time lives on the conversation (`snoozed_until`); the list queries
//! treat a past time as no snooze, so a conversation comes back on time even
//! when nothing runs. `wake_snoozed` clears the ones whose time has come and
//! names them once (the window's "Snoozed chat is back" notification); a new
//! inbound message clears a snooze at once (`messages::touch_inbound`).

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Snoozes a conversation until `until` (Unix ms, in the future). An
    /// archived conversation is unarchived, so it comes back to the inbox.
    pub fn snooze_conversation(&mut self, id: i64, until: i64) -> Result<()> {
        if until <= now_ms() {
            return Err(Error::Invalid(format!("cannot snooze until {}: that time has passed", crate::time::to_rfc3339(until))));
        }
        self.write(|tx| {
            let n = tx.execute("UPDATE conversations SET snoozed_until = ?2, archived = 0 WHERE id = ?1", params![id, until])?;
            if n == 0 {
                return Err(Error::NotFound(format!("no conversation with id {id}: see `wicket conversations`")));
            }
            Ok(())
        })
    }

    /// Ends a snooze now. Returns whether the conversation was snoozed.
    pub fn unsnooze_conversation(&mut self, id: i64) -> Result<bool> {
        self.write(|tx| {
            let was: Option<Option<i64>> = tx.query_row("SELECT snoozed_until FROM conversations WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            let Some(was) = was else {
                return Err(Error::NotFound(format!("no conversation with id {id}: see `wicket conversations`")));
            };
            tx.execute("UPDATE conversations SET snoozed_until = NULL WHERE id = ?1", [id])?;
            Ok(was.is_some_and(|t| t > now_ms()))
        })
    }

    /// Clears every snooze whose time is at or before `now` and returns those
    /// conversations' ids. One statement, so when two processes ask, each
    /// conversation is named to one of them only.
    pub fn wake_snoozed(&mut self, now: i64) -> Result<Vec<i64>> {
        self.write(|tx| {
            let mut stmt = tx.prepare("UPDATE conversations SET snoozed_until = NULL WHERE snoozed_until IS NOT NULL AND snoozed_until <= ?1 RETURNING id")?;
            let ids = stmt.query_map([now], |r| r.get(0))?.collect::<std::result::Result<Vec<i64>, _>>()?;
            Ok(ids)
        })
    }
}
