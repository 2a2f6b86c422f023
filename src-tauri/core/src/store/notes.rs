//! Private notes: the owner's own text on a contact or on a conversation.
//!
//! A note is never a message: it lives in its own table, so nothing in the
//! outbox, the unread counts or a provider ever sees it. Each note keeps when
//! it was written and last edited. Search finds notes through `notes_fts`
//! (kept in step by triggers); exports carry the `notes` table.

use super::Store;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// What a note is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteTarget {
    Contact(i64),
    Conversation(i64),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Note {
    pub id: i64,
    pub account_id: i64,
    pub contact_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub text: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, account_id, contact_id, conversation_id, text, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Note> {
    Ok(Note {
        id: r.get(0)?,
        account_id: r.get(1)?,
        contact_id: r.get(2)?,
        conversation_id: r.get(3)?,
        text: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

/// A note's text, trimmed; an empty one is refused (it would be invisible).
fn checked_text(text: &str) -> Result<&str> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::Invalid("a note needs some text".into()));
    }
    Ok(t)
}

pub fn get(conn: &Connection, id: i64) -> Result<Note> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM notes WHERE id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no note with id {id} (see `wicket notes list`)")))
}

impl Store {
    pub fn note(&self, id: i64) -> Result<Note> {
        get(self.conn(), id)
    }

    /// Adds a note to a contact or a conversation (which must exist).
    pub fn add_note(&mut self, target: NoteTarget, text: &str) -> Result<Note> {
        let text = checked_text(text)?;
        self.write(|tx| {
            let (account_id, contact_id, conversation_id) = match target {
                NoteTarget::Contact(id) => (super::contacts::get(tx, id)?.account_id, Some(id), None),
                NoteTarget::Conversation(id) => {
                    let account: Option<i64> = tx.query_row("SELECT account_id FROM conversations WHERE id = ?1", [id], |r| r.get(0)).optional()?;
                    let account = account.ok_or_else(|| Error::NotFound(format!("no conversation with id {id} (see `wicket conversations`)")))?;
                    (account, None, Some(id))
                }
            };
            let now = now_ms();
            tx.execute(
                "INSERT INTO notes (account_id, contact_id, conversation_id, text, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![account_id, contact_id, conversation_id, text, now],
            )?;
            get(tx, tx.last_insert_rowid())
        })
    }

    /// Changes a note's text (its creation time stays; `updated_at` moves).
    pub fn edit_note(&mut self, id: i64, text: &str) -> Result<Note> {
        let text = checked_text(text)?;
        self.write(|tx| {
            get(tx, id)?;
            tx.execute("UPDATE notes SET text = ?2, updated_at = ?3 WHERE id = ?1", params![id, text, now_ms()])?;
            get(tx, id)
        })
    }

    /// Deletes a note; its words leave the search index with it (trigger).
    pub fn delete_note(&mut self, id: i64) -> Result<Note> {
        self.write(|tx| {
            let note = get(tx, id)?;
            tx.execute("DELETE FROM notes WHERE id = ?1", [id])?;
            Ok(note)
        })
    }

    /// Notes of one contact or one conversation (oldest first), or every
    /// note (`None`: by account, then oldest first).
    pub fn notes(&self, target: Option<NoteTarget>) -> Result<Vec<Note>> {
        let (filter, id) = match target {
            Some(NoteTarget::Contact(id)) => ("contact_id = ?1", id),
            Some(NoteTarget::Conversation(id)) => ("conversation_id = ?1", id),
            None => ("?1 = 0", 0),
        };
        let order = if target.is_some() { "created_at, id" } else { "account_id, created_at, id" };
        let mut stmt = self.conn().prepare(&format!("SELECT {COLUMNS} FROM notes WHERE {filter} ORDER BY {order}"))?;
        let rows = stmt.query_map([id], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// A conversation's notes together with those of its contact, oldest
    /// first: what the chat shows as private notes.
    pub fn notes_for_chat(&self, conversation_id: i64) -> Result<Vec<Note>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM notes WHERE conversation_id = ?1
             UNION ALL SELECT {COLUMNS} FROM notes WHERE contact_id = (SELECT contact_id FROM conversations WHERE id = ?1)
             ORDER BY 6, 1"
        ))?;
        let rows = stmt.query_map([conversation_id], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contacts::{ContactKey, ContactUpdate};
    use crate::store::NewAccount;

    #[test]
    fn notes_need_text_and_a_target_that_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
        let account =
            store.add_account(&NewAccount { provider: crate::model::Provider::Demo, name: "Demo".into(), phone: None, config: serde_json::json!({}) }).unwrap();
        let c = store.upsert_contact(account.id, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
        assert!(matches!(store.add_note(NoteTarget::Contact(c.id), "  "), Err(Error::Invalid(_))));
        assert!(matches!(store.add_note(NoteTarget::Conversation(999), "x"), Err(Error::NotFound(_))));
        let n = store.add_note(NoteTarget::Contact(c.id), " prefers mornings ").unwrap();
        assert_eq!((n.text.as_str(), n.account_id, n.contact_id, n.conversation_id), ("prefers mornings", account.id, Some(c.id), None));
        let conv = store.get_or_create_conversation(account.id, c.id).unwrap();
        let m = store.add_note(NoteTarget::Conversation(conv), "order 12 pending").unwrap();
        assert_eq!(store.notes_for_chat(conv).unwrap().iter().map(|n| n.id).collect::<Vec<_>>(), vec![n.id, m.id]);
        let edited = store.edit_note(n.id, "prefers evenings").unwrap();
        assert_eq!((edited.created_at, edited.text.as_str()), (n.created_at, "prefers evenings"));
        store.delete_note(n.id).unwrap();
        assert!(matches!(store.note(n.id), Err(Error::NotFound(_))));
        assert_eq!(store.notes(None).unwrap().len(), 1);
    }
}
