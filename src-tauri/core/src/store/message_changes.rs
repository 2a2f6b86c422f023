//! Edits and deletions for everyone, applied to the message they change.
//!
//! Rules kept here:
//! - a change is never a message of its own: it updates the original row
//!   (no new bubble, no unread count, no notification);
//! - an edit replaces the message's body (the text of a text message, the
//!   caption of a media message) and sets `edited_at`; the same text again,
//!   or an older edit after a newer one, changes nothing;
//! - a deletion sets `deleted_at` and clears the content (text, caption,
//!   structured content, the raw JSON, the media file's name and the edit
//!   mark, so the end is the same whichever came first), so nothing
//!   of it stays in the message or in search; raw webhook bodies are kept
//!   only for their retention period (`maintenance`). Nothing undoes a
//!   deletion, and an edit never brings deleted content back;
//! - a change for a message not stored yet waits in `pending_changes` and is
//!   applied when the message appears ([`apply_waiting`], called by
//!   `messages::insert` and `messages::set_provider_id`).

use super::messages::id_by_provider_id;
use crate::error::Result;
use rusqlite::{params, Connection};

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// Message `id` changed.
    Applied(i64),
    /// Message `id` already shows this change (or a newer one): nothing changed.
    Unchanged(i64),
    /// No such message yet: the change waits for it.
    Deferred,
}

/// Message kinds whose body is a caption, not a text.
const CAPTIONED: &str = "('image', 'video', 'document', 'audio', 'voice', 'sticker')";

/// The sender edited message `pid`: `text` is its new body (`None`: the
/// provider did not say, only mark it edited).
pub fn edit(conn: &Connection, account_id: i64, pid: &str, text: Option<&str>, ts: i64) -> Result<ChangeOutcome> {
    let Some(id) = id_by_provider_id(conn, account_id, pid)? else {
        // Keep the newest edit that arrived early; an older one never replaces it.
        conn.execute(
            "INSERT INTO pending_changes (account_id, provider_message_id, change, text, timestamp) VALUES (?1, ?2, 'edit', ?3, ?4)
             ON CONFLICT (account_id, provider_message_id, change) DO UPDATE SET text = excluded.text, timestamp = excluded.timestamp
             WHERE excluded.timestamp > pending_changes.timestamp",
            params![account_id, pid, text, ts],
        )?;
        return Ok(ChangeOutcome::Deferred);
    };
    Ok(edit_row(conn, id, text, ts)?)
}

fn edit_row(conn: &Connection, id: i64, text: Option<&str>, ts: i64) -> rusqlite::Result<ChangeOutcome> {
    // The first report counts; later, only a different body that is newer.
    let n = conn.execute(
        &format!(
            "UPDATE messages SET
                text = CASE WHEN kind IN {CAPTIONED} THEN text ELSE coalesce(?2, text) END,
                caption = CASE WHEN kind IN {CAPTIONED} THEN coalesce(?2, caption) ELSE caption END,
                edited_at = ?3
             WHERE id = ?1 AND deleted_at IS NULL
               AND (edited_at IS NULL
                    OR (edited_at < ?3 AND coalesce(?2, CASE WHEN kind IN {CAPTIONED} THEN caption ELSE text END)
                                           IS NOT CASE WHEN kind IN {CAPTIONED} THEN caption ELSE text END))"
        ),
        params![id, text, ts],
    )?;
    Ok(if n > 0 { ChangeOutcome::Applied(id) } else { ChangeOutcome::Unchanged(id) })
}

/// The sender deleted message `pid` for everyone.
pub fn delete(conn: &Connection, account_id: i64, pid: &str, ts: i64) -> Result<ChangeOutcome> {
    let Some(id) = id_by_provider_id(conn, account_id, pid)? else {
        conn.execute(
            "INSERT INTO pending_changes (account_id, provider_message_id, change, text, timestamp) VALUES (?1, ?2, 'delete', NULL, ?3)
             ON CONFLICT (account_id, provider_message_id, change) DO NOTHING",
            params![account_id, pid, ts],
        )?;
        return Ok(ChangeOutcome::Deferred);
    };
    Ok(delete_row(conn, id, ts)?)
}

fn delete_row(conn: &Connection, id: i64, ts: i64) -> rusqlite::Result<ChangeOutcome> {
    // The file's name first: the search trigger below reads it again.
    conn.execute("UPDATE media_files SET file_name = NULL WHERE id = (SELECT media_id FROM messages WHERE id = ?1 AND deleted_at IS NULL)", [id])?;
    let n = conn.execute(
        "UPDATE messages SET deleted_at = ?2, edited_at = NULL, text = NULL, caption = NULL, location = NULL, contacts = NULL,
            template = NULL, interactive = NULL, order_details = NULL, raw = NULL
         WHERE id = ?1 AND deleted_at IS NULL",
        params![id, ts],
    )?;
    Ok(if n > 0 { ChangeOutcome::Applied(id) } else { ChangeOutcome::Unchanged(id) })
}

/// Applies the changes that waited for message `pid` (now stored as `id`).
/// True when one changed it.
pub fn apply_waiting(conn: &Connection, account_id: i64, pid: &str, id: i64) -> Result<bool> {
    // Sorted here (a deletion last, else by time), not by ORDER BY: SQLite
    // re-plans that statement whenever its parameters are rebound, so a
    // cached copy was prepared again at every insert.
    let mut stmt = conn.prepare_cached("SELECT change, text, timestamp FROM pending_changes WHERE account_id = ?1 AND provider_message_id = ?2")?;
    let mut waiting = stmt
        .query_map(params![account_id, pid], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?)))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    drop(stmt);
    if waiting.is_empty() {
        return Ok(false);
    }
    waiting.sort_by_key(|(change, _, ts)| (change == "delete", *ts));
    let mut changed = false;
    for (change, text, ts) in waiting {
        let outcome = match change.as_str() {
            "delete" => delete_row(conn, id, ts)?,
            _ => edit_row(conn, id, text.as_deref(), ts)?,
        };
        changed |= matches!(outcome, ChangeOutcome::Applied(_));
    }
    conn.execute("DELETE FROM pending_changes WHERE account_id = ?1 AND provider_message_id = ?2", params![account_id, pid])?;
    Ok(changed)
}

/// Whether a change waits for message `pid`.
pub fn any_waiting(conn: &Connection, account_id: i64, pid: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM pending_changes WHERE account_id = ?1 AND provider_message_id = ?2)")?;
    Ok(stmt.query_row(params![account_id, pid], |r| r.get(0))?)
}

/// How many changes wait for a message (for tests and diagnostics).
pub fn waiting_count(conn: &Connection, account_id: i64) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM pending_changes WHERE account_id = ?1", [account_id], |r| r.get(0))?)
}
