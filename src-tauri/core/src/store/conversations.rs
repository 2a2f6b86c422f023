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
}

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub account_id: Option<i64>,
    pub unread_only: bool,
    /// `false`: the inbox; `true`: the archived folder.
    pub archived: bool,
    pub label: Option<String>,
    pub limit: usize,
    /// Cursor: the (pinned, last_activity_at, id) of the last row of the
    /// previous page.
    pub before: Option<(bool, i64, i64)>,
}

const COLUMNS: &str = "c.id, c.account_id, c.contact_id, c.provider_chat_id, c.unread_count, c.pinned, c.archived, c.muted,
    c.last_activity_at, c.last_message_id, c.last_inbound_at, c.window_expires_at, c.draft,
    (SELECT json_group_array(label) FROM (SELECT label FROM conversation_labels WHERE conversation_id = c.id ORDER BY label)),
    (SELECT CASE WHEN m.deleted_at IS NOT NULL THEN 'This message was deleted' ELSE coalesce(m.text, m.caption, m.kind) END
       FROM messages m WHERE m.id = c.last_message_id)";

struct Row0 {
    conv: Conversation,
    contact_id: i64,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Row0> {
    let labels: String = r.get(13)?;
    let last_activity: i64 = r.get(8)?;
    Ok(Row0 {
        contact_id: r.get(2)?,
        conv: Conversation {
            id: r.get(0)?,
            account_id: r.get(1)?,
            contact: placeholder_contact(),
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
        },
    })
}

// Filled right after the row is read; keeps the row mapper simple.
fn placeholder_contact() -> Contact {
    Contact {
        id: 0,
        account_id: 0,
        phone: None,
        provider_user_id: None,
        wa_id: None,
        jid: None,
        is_group: false,
        saved_name: None,
        saved_name_by_owner: false,
        profile_name: None,
        verified_name: None,
        company: None,
        profile_picture_url: None,
        profile_picture_path: None,
        is_business: false,
        status_text: None,
        labels: vec![],
        last_synced_at: None,
        opted_out_at: None,
        raw: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn finish(conn: &Connection, rows: Vec<Row0>) -> Result<Vec<Conversation>> {
    rows.into_iter()
        .map(|r| {
            let mut conv = r.conv;
            conv.contact = contacts::get(conn, r.contact_id)?;
            Ok(conv)
        })
        .collect()
}

/// The conversation of `contact_id` on `account_id`, created if needed.
/// Remembers the provider's chat id of a conversation (kept once known).
pub fn set_provider_chat_id(conn: &Connection, conversation_id: i64, chat_id: &str) -> Result<()> {
    conn.execute("UPDATE conversations SET provider_chat_id = ?2 WHERE id = ?1 AND provider_chat_id IS NULL", params![conversation_id, chat_id])?;
    Ok(())
}

pub fn get_or_create(conn: &Connection, account_id: i64, contact_id: i64) -> Result<i64> {
    if let Some(id) = conn
        .prepare_cached("SELECT id FROM conversations WHERE account_id = ?1 AND contact_id = ?2")?
        .query_row(params![account_id, contact_id], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    conn.execute("INSERT INTO conversations (account_id, contact_id, created_at) VALUES (?1, ?2, ?3)", params![account_id, contact_id, now_ms()])?;
    Ok(conn.last_insert_rowid())
}

/// The conversation of a contact, if it has one.
pub fn find_for_contact(conn: &Connection, account_id: i64, contact_id: i64) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT id FROM conversations WHERE account_id = ?1 AND contact_id = ?2", params![account_id, contact_id], |r| r.get(0)).optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Conversation> {
    let row = conn
        .query_row(&format!("SELECT {COLUMNS} FROM conversations c WHERE c.id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no conversation with id {id}: see `wicket conversations`")))?;
    Ok(finish(conn, vec![row])?.remove(0))
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
        let mut sql = format!("SELECT {COLUMNS} FROM conversations c WHERE c.archived = ?");
        let mut args: Vec<Value> = vec![Value::Integer(filter.archived as i64)];
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
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), from_row)?.collect::<std::result::Result<Vec<_>, _>>()?;
        finish(&self.conn, rows)
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
