//! Quick replies as stored: a unique shortcut (any case), the text and an
//! optional file kept in the data dir. Checking shortcuts, filling
//! placeholders, copying files and import/export are `crate::quick_replies`'s.

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuickReply {
    pub id: i64,
    pub shortcut: String,
    pub text: String,
    /// The attached file, relative to the data dir (`quick_replies/...`).
    pub file_path: Option<String>,
    /// The file's name as the owner gave it (what the customer sees).
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A quick reply's attachment, as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredFile {
    pub path: String,
    pub name: String,
    pub mime_type: String,
}

const COLUMNS: &str = "id, shortcut, text, file_path, file_name, mime_type, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<QuickReply> {
    Ok(QuickReply {
        id: r.get(0)?,
        shortcut: r.get(1)?,
        text: r.get(2)?,
        file_path: r.get(3)?,
        file_name: r.get(4)?,
        mime_type: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

pub fn find(conn: &Connection, shortcut: &str) -> Result<Option<QuickReply>> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM quick_replies WHERE shortcut = ?1"), [shortcut], from_row).optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<QuickReply> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM quick_replies WHERE id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no quick reply with id {id} (see `wicket quick-replies list`)")))
}

/// Inserts a quick reply; a shortcut already taken (in any case) is refused.
pub fn insert(conn: &Connection, shortcut: &str, text: &str, file: Option<&StoredFile>) -> Result<QuickReply> {
    if let Some(existing) = find(conn, shortcut)? {
        return Err(Error::Invalid(format!("the shortcut /{} is already taken: choose another or remove that one first", existing.shortcut)));
    }
    let now = now_ms();
    conn.execute(
        "INSERT INTO quick_replies (shortcut, text, file_path, file_name, mime_type, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![shortcut, text, file.map(|f| &f.path), file.map(|f| &f.name), file.map(|f| &f.mime_type), now],
    )?;
    get(conn, conn.last_insert_rowid())
}

/// Rewrites a quick reply (its shortcut may change, never onto another's).
pub fn update(conn: &Connection, id: i64, shortcut: &str, text: &str, file: Option<&StoredFile>) -> Result<QuickReply> {
    get(conn, id)?;
    if let Some(existing) = find(conn, shortcut)?.filter(|q| q.id != id) {
        return Err(Error::Invalid(format!("the shortcut /{} is already taken by another quick reply", existing.shortcut)));
    }
    conn.execute(
        "UPDATE quick_replies SET shortcut = ?2, text = ?3, file_path = ?4, file_name = ?5, mime_type = ?6, updated_at = ?7 WHERE id = ?1",
        params![id, shortcut, text, file.map(|f| &f.path), file.map(|f| &f.name), file.map(|f| &f.mime_type), now_ms()],
    )?;
    get(conn, id)
}

impl Store {
    /// Every quick reply, by shortcut (any case).
    pub fn quick_replies(&self) -> Result<Vec<QuickReply>> {
        let mut stmt = self.conn().prepare(&format!("SELECT {COLUMNS} FROM quick_replies ORDER BY shortcut COLLATE NOCASE, id"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    pub fn quick_reply_by_id(&self, id: i64) -> Result<QuickReply> {
        get(self.conn(), id)
    }

    pub fn quick_reply(&self, shortcut: &str) -> Result<QuickReply> {
        find(self.conn(), shortcut)?.ok_or_else(|| Error::NotFound(format!("no quick reply /{shortcut} (see `wicket quick-replies list`)")))
    }
}
