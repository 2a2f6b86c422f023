//! Conversations: one per (account, contact or group). Keeps what the list
//! shows without touching messages: unread count, last activity, the last
//! message, and for Meta accounts the customer-service window.
//!
//! Lists put pinned conversations first, then the rest by last activity,
//! and are paged by a cursor over an index in that same order.

use super::contacts::{self, Contact};
use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

/// Meta's customer-service window: free-form messages within 24 h of the
/// customer's last message.
pub const SERVICE_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conversation {
    pub id: i64,
    pub account_id: i64,
    pub contact: Contact,
    pub provider_chat_id: Option<String>,
    pub unread_count: i64,
    pub pinned: bool,
    pub archived: bool,
    pub muted: bool,
    pub labels: Vec<String>,
    pub last_activity_at: Option<i64>,
    pub last_message_id: Option<i64>,
    /// Text (or caption) of the last message, or its kind for media.
    pub last_text: Option<String>,
    pub last_inbound_at: Option<i64>,
    pub window_expires_at: Option<i64>,
    pub draft: Option<String>,
    /// Hidden from the lists until then (`store::snooze`); a past time means
    /// the snooze is over (cleared by `wake_snoozed` or the next inbound).
    pub snoozed_until: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub account_id: Option<i64>,
    pub unread_only: bool,
    /// `false`: the inbox; `true`: the archived folder.
    pub archived: bool,
    pub label: Option<String>,
    /// `false`: snoozed conversations are hidden; `true`: only they are
    /// listed (the "Snoozed" view, whatever `archived` says).
    pub snoozed: bool,
    pub limit: usize,
    /// Cursor: the (pinned, last_activity_at, id) of the last row of the
    /// previous page.
    pub before: Option<(bool, i64, i64)>,
}

// The row and its contact in one query (`JOINED_COLUMNS` from column 15):
// building each contact with a query of its own cost about 20 µs a row.
const COLUMNS: &str = "c.id, c.account_id, c.contact_id, c.provider_chat_id, c.unread_count, c.pinned, c.archived, c.muted,
    c.last_activity_at, c.last_message_id, c.last_inbound_at, c.window_expires_at, c.draft,
    (SELECT json_group_array(label) FROM (SELECT label FROM conversation_labels WHERE conversation_id = c.id ORDER BY label)),
    (SELECT CASE WHEN m.deleted_at IS NOT NULL THEN 'This message was deleted' ELSE coalesce(m.text, m.caption, m.kind) END
       FROM messages m WHERE m.id = c.last_message_id),
    c.snoozed_until";
const CONTACT_AT: usize = 16;
const FROM: &str = "conversations c JOIN contacts k ON k.id = c.contact_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Conversation> {
    let labels: String = r.get(13)?;
    let last_activity: i64 = r.get(8)?;
    Ok(Conversation {
        id: r.get(0)?,
        account_id: r.get(1)?,
        contact: contacts::from_row_at(r, CONTACT_AT)?,
        provider_chat_id: r.get(3)?,
        unread_count: r.get(4)?,
        pinned: r.get(5)?,
        archived: r.get(6)?,
        muted: r.get(7)?,
        last_activity_at: (last_activity > 0).then_some(last_activity),
        last_message_id: r.get(9)?,
        last_inbound_at: r.get(10)?,
        window_expires_at: r.get(11)?,
        draft: r.get(12)?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        last_text: r.get(14)?,
        snoozed_until: r.get(15)?,
    })
}

fn select() -> String {
    format!("SELECT {COLUMNS}, {} FROM {FROM}", contacts::JOINED_COLUMNS)
}

/// The conversation of `contact_id` on `account_id`, created if needed.
/// Remembers the provider's chat id of a conversation (kept once known; a
/// chat id another conversation already has stays with that one).
pub fn set_provider_chat_id(conn: &Connection, conversation_id: i64, chat_id: &str) -> Result<()> {
    conn.execute("UPDATE OR IGNORE conversations SET provider_chat_id = ?2 WHERE id = ?1 AND provider_chat_id IS NULL", params![conversation_id, chat_id])?;
    Ok(())
}

pub fn get_or_create(conn: &Connection, account_id: i64, contact_id: i64) -> Result<i64> {
    // Cached: every webhook message finds its conversation.
    if let Some(id) = conn
        .prepare_cached("SELECT id FROM conversations WHERE account_id = ?1 AND contact_id = ?2")?
        .query_row(params![account_id, contact_id], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    conn.prepare_cached("INSERT INTO conversations (account_id, contact_id, created_at) VALUES (?1, ?2, ?3)")?.execute(params![
        account_id,
        contact_id,
        now_ms()
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The conversation of a contact, if it has one.
pub fn find_for_contact(conn: &Connection, account_id: i64, contact_id: i64) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT id FROM conversations WHERE account_id = ?1 AND contact_id = ?2", params![account_id, contact_id], |r| r.get(0)).optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Conversation> {
    conn.prepare_cached(&format!("{} WHERE c.id = ?1", select()))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no conversation with id {id}: see `wicket conversations`")))
}

/// Recomputes the last message and activity after messages changed. The
/// last message is the one with the latest provider timestamp, not arrival.
pub fn refresh_last_message(conn: &Connection, id: i64) -> Result<()> {
    conn.execute(
        "UPDATE conversations SET
            last_message_id = (SELECT id FROM messages WHERE conversation_id = ?1 ORDER BY timestamp DESC, id DESC LIMIT 1),
            last_activity_at = coalesce((SELECT max(timestamp) FROM messages WHERE conversation_id = ?1), last_activity_at)
         WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

impl Store {
    pub fn conversation(&self, id: i64) -> Result<Conversation> {
        get(&self.conn, id)
    }

    pub fn conversation_for_contact(&self, account_id: i64, contact_id: i64) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT id FROM conversations WHERE account_id = ?1 AND contact_id = ?2", params![account_id, contact_id], |r| r.get(0))
            .optional()?)
    }

    pub fn get_or_create_conversation(&mut self, account_id: i64, contact_id: i64) -> Result<i64> {
        self.write(|tx| get_or_create(tx, account_id, contact_id))
    }

    /// The SQL and parameters of a conversation list; public for plan tests.
    pub fn conversations_query(filter: &ConversationFilter) -> (String, Vec<rusqlite::types::Value>) {
        use rusqlite::types::Value;
        let mut sql = format!("{} WHERE c.archived = ?", select());
        let mut args: Vec<Value> = vec![Value::Integer(filter.archived as i64)];
        // A snooze is over once its time has passed, whether or not anything
        // cleared it yet, so the list is right even with no app running. The
        // Snoozed view walks the inbox's index (snoozing unarchives).
        if filter.snoozed {
            args[0] = Value::Integer(0);
            sql.push_str(" AND c.snoozed_until > ?");
        } else {
            sql.push_str(" AND (c.snoozed_until IS NULL OR c.snoozed_until <= ?)");
        }
        args.push(Value::Integer(now_ms()));
        if let Some(a) = filter.account_id {
            sql.push_str(" AND c.account_id = ?");
            args.push(Value::Integer(a));
        }
        if filter.unread_only {
            sql.push_str(" AND c.unread_count > 0");
        }
        if let Some(l) = &filter.label {
            sql.push_str(" AND c.id IN (SELECT conversation_id FROM conversation_labels WHERE label = ?)");
            args.push(Value::Text(l.clone()));
        }
        if let Some((pinned, at, id)) = filter.before {
            sql.push_str(" AND (c.pinned, c.last_activity_at, c.id) < (?, ?, ?)");
            args.push(Value::Integer(pinned as i64));
            args.push(Value::Integer(at));
            args.push(Value::Integer(id));
        }
        sql.push_str(" ORDER BY c.pinned DESC, c.last_activity_at DESC, c.id DESC LIMIT ?");
        args.push(Value::Integer(if filter.limit == 0 { 100 } else { filter.limit as i64 }));
        (sql, args)
    }

    /// Conversations, pinned first, then most recent activity first.
    pub fn conversations(&self, filter: &ConversationFilter) -> Result<Vec<Conversation>> {
        let (sql, args) = Store::conversations_query(filter);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), from_row)?.collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Unread messages in conversations that are neither archived nor muted
    /// (the tray's count).
    pub fn unread_total(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COALESCE(SUM(unread_count), 0) FROM conversations WHERE archived = 0 AND muted = 0", [], |r| r.get(0))?)
    }

    /// The owner read the conversation: clears the unread count. Returns the
    /// provider ids of inbound messages to mark read on the provider.
    pub fn mark_conversation_read(&mut self, id: i64) -> Result<Vec<String>> {
        self.write(|tx| {
            let last_read: i64 = tx
                .query_row("SELECT unread_count FROM conversations WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("no conversation with id {id}")))?;
            tx.execute("UPDATE conversations SET unread_count = 0 WHERE id = ?1", [id])?;
            let mut stmt = tx.prepare(
                "SELECT provider_message_id FROM messages WHERE conversation_id = ?1 AND direction = 'in'
                   AND provider_message_id IS NOT NULL ORDER BY timestamp DESC, id DESC LIMIT ?2",
            )?;
            let ids = stmt.query_map(params![id, last_read.max(0)], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
            Ok(ids)
        })
    }

    /// The owner marks a conversation unread (to come back to it): at least
    /// one unread, until it is opened again. Nothing changes on the provider.
    pub fn mark_conversation_unread(&mut self, id: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute("UPDATE conversations SET unread_count = max(unread_count, 1) WHERE id = ?1", [id])?;
            if n == 0 {
                return Err(Error::NotFound(format!("no conversation with id {id}")));
            }
            Ok(())
        })
    }

    pub fn set_conversation_flags(&mut self, id: i64, pinned: Option<bool>, archived: Option<bool>, muted: Option<bool>) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE conversations SET pinned = coalesce(?2, pinned), archived = coalesce(?3, archived), muted = coalesce(?4, muted) WHERE id = ?1",
                params![id, pinned, archived, muted],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("no conversation with id {id}")));
            }
            Ok(())
        })
    }

    pub fn set_conversation_labels(&mut self, id: i64, labels: &[String]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM conversation_labels WHERE conversation_id = ?1", [id])?;
            for l in labels.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
                tx.execute("INSERT OR IGNORE INTO conversation_labels (conversation_id, label) VALUES (?1, ?2)", params![id, l])?;
            }
            Ok(())
        })
    }

    /// Every label in use, alphabetically (the list's label filter).
    pub fn conversation_labels(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT DISTINCT label FROM conversation_labels ORDER BY label")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn set_draft(&mut self, id: i64, draft: Option<&str>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE conversations SET draft = ?2 WHERE id = ?1", params![id, draft.filter(|d| !d.is_empty())])?;
            Ok(())
        })
    }
}
