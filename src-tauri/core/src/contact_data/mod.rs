//! Customer data requests: everything about one customer as one file, and
//! erasing one customer completely.
//!
//! A customer is named by a contact id or a phone number in any common
//! format; a number matches that customer's contact in every account (and
//! a contact whose earlier number it was), or, when no contact has it, the
//! messages that number wrote in groups. The export is a zip: `index.json`
//! (the contacts, their conversations, every message in both directions,
//! what they wrote in group chats, reactions, notes when the store has them, and a list of the media) and
//! `media/…` with the files. The erase removes messages (theirs in groups
//! too), media files and
//! their records, notes, raw webhook bodies that mention the customer,
//! search index entries and the contacts, with SQLite's secure delete on,
//! the full-text indexes rebuilt, the file vacuumed and the WAL
//! checkpointed and truncated, so
//! the words are gone from the database file, not only hidden.

pub mod zip;

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::time::{now_ms, to_rfc3339};
use base64::Engine as _;
use rusqlite::types::ValueRef;
use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The contacts a CONTACT argument names: an id, or a phone number.
pub fn resolve(store: &Store, contact: &str) -> Result<Vec<i64>> {
    let conn = store.conn();
    let arg = contact.trim();
    if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_digit()) && arg.len() < 7 {
        let id: i64 = arg.parse().map_err(|_| Error::Invalid(format!("{arg:?} is not a contact id")))?;
        crate::store::contacts::get(conn, id)?;
        return Ok(vec![id]);
    }
    // A bare international number without "+" (as WhatsApp writes it) is
    // common too, and so is a number the numbering plan does not know (the
    // provider gave it, so the contact has it): read its digits as WhatsApp would.
    let number = match crate::phone::parse(arg, &store.default_country()?) {
        Ok(n) => n,
        Err(e) => {
            let digits: String = arg.chars().filter(char::is_ascii_digit).collect();
            let international = arg.trim_start().starts_with('+') || arg.chars().all(|c| c.is_ascii_digit());
            if !international || digits.len() < 8 {
                return Err(e);
            }
            crate::phone::from_wa_id(&digits).map_err(|_| e)?
        }
    };
    let mut stmt = conn.prepare(
        "SELECT id FROM contacts WHERE phone = ?1 OR wa_id = ?2
         UNION SELECT contact_id FROM contact_aliases WHERE phone = ?1 ORDER BY 1",
    )?;
    let ids = stmt.query_map(rusqlite::params![number.as_str(), number.digits()], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    if ids.is_empty() {
        return Err(Error::NotFound(format!("no contact has the number {}: check it with `wicket contacts`", number.as_str())));
    }
    Ok(ids)
}

/// Who a CONTACT argument names: their contacts, or, for a number that
/// only ever wrote in groups (no contact of its own), that number's digits
/// as a sender key.
fn resolve_customer(store: &Store, contact: &str) -> Result<(Vec<i64>, Vec<String>)> {
    match resolve(store, contact) {
        Ok(ids) => Ok((ids, vec![])),
        Err(Error::NotFound(why)) => {
            let digits: String = contact.chars().filter(char::is_ascii_digit).collect();
            let number = crate::phone::parse(contact, &store.default_country()?).map(|n| n.digits().to_string()).unwrap_or(digits);
            if number.len() >= 5 && !group_messages(store.conn(), &[], std::slice::from_ref(&number))?.is_empty() {
                return Ok((vec![], vec![number]));
            }
            Err(Error::NotFound(why))
        }
        Err(e) => Err(e),
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Every row of `sql` as a JSON object, every column (blobs as base64).
fn rows(conn: &Connection, sql: &str, params: &[i64]) -> Result<Vec<Value>> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut out = vec![];
    let mut q = stmt.query(params_from_iter(params))?;
    while let Some(row) = q.next()? {
        let mut m = Map::new();
        for (i, name) in names.iter().enumerate() {
            let v = match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => json!(n),
                ValueRef::Real(f) => json!(f),
                ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            };
            m.insert(name.clone(), v);
        }
        out.push(Value::Object(m));
    }
    Ok(out)
}

/// The customer's own messages in group chats. A group's conversation is the
/// group's, not theirs: their messages there are found by sender (a phone,
/// a WhatsApp jid or LID, an attendee id), in the accounts they are known in;
/// `senders` (a number's digits) in every account.
fn group_messages(conn: &Connection, contacts: &[i64], senders: &[String]) -> Result<Vec<i64>> {
    let mut keys_of = conn.prepare(
        "SELECT account_id, phone, provider_user_id, wa_id, jid FROM contacts WHERE id = ?1 AND is_group = 0
         UNION ALL SELECT c.account_id, a.phone, NULL, NULL, NULL FROM contact_aliases a JOIN contacts c ON c.id = a.contact_id WHERE a.contact_id = ?1",
    )?;
    let mut sent_by = conn.prepare(
        "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts g ON g.id = c.contact_id
         WHERE g.is_group = 1 AND (?1 IS NULL OR g.account_id = ?1) AND m.sender_id IS NOT NULL
           AND (ltrim(m.sender_id, '+') = ?2 OR substr(m.sender_id, 1, length(?2) + 1) = ?2 || '@')",
    )?;
    let mut ids = vec![];
    for key in senders {
        ids.extend(sent_by.query_map(rusqlite::params![Option::<i64>::None, key], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?);
    }
    for contact in contacts {
        let mut keys: Vec<(i64, String)> = vec![];
        let mut q = keys_of.query([contact])?;
        while let Some(r) = q.next()? {
            let account: i64 = r.get(0)?;
            for i in 1..5 {
                if let Some(v) = r.get::<_, Option<String>>(i)? {
                    let v = v.trim().trim_start_matches('+').to_string();
                    // A short id would match unrelated senders.
                    if v.len() >= 5 && !keys.contains(&(account, v.clone())) {
                        keys.push((account, v));
                    }
                }
            }
        }
        for (account, key) in keys {
            ids.extend(sent_by.query_map(rusqlite::params![account, key], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Messages of `conversations` or with an id in `extra`, as an SQL filter
/// and its parameters (never an empty `IN ()`).
fn messages_filter(conversations: &[i64], extra: &[i64]) -> (String, Vec<i64>) {
    let or_none = |v: &[i64]| if v.is_empty() { vec![-1] } else { v.to_vec() };
    let (c, e) = (or_none(conversations), or_none(extra));
    let filter = format!("conversation_id IN ({}) OR id IN ({})", placeholders(c.len()), placeholders(e.len()));
    (filter, [c, e].concat())
}

fn ids_of(conn: &Connection, sql: &str, params: &[i64]) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(sql)?;
    let ids = stmt.query_map(params_from_iter(params), |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// The notes table's rows about these contacts or conversations, when this
/// store has one (a later feature): matched on whichever of `contact_id` and
/// `conversation_id` it has.
fn notes_filter(conn: &Connection, contacts: &[i64], conversations: &[i64]) -> Result<Option<(String, Vec<i64>)>> {
    let exists: bool = conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'notes'", [], |r| r.get::<_, i64>(0))? > 0;
    if !exists {
        return Ok(None);
    }
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('notes')")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut clauses = vec![];
    let mut params = vec![];
    if names.iter().any(|n| n == "contact_id") && !contacts.is_empty() {
        clauses.push(format!("contact_id IN ({})", placeholders(contacts.len())));
        params.extend_from_slice(contacts);
    }
    if names.iter().any(|n| n == "conversation_id") && !conversations.is_empty() {
        clauses.push(format!("conversation_id IN ({})", placeholders(conversations.len())));
        params.extend_from_slice(conversations);
    }
    if clauses.is_empty() {
        return Ok(None);
    }
    Ok(Some((clauses.join(" OR "), params)))
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub path: String,
    pub contacts: usize,
    pub conversations: usize,
    pub messages: usize,
    pub media_files: usize,
    pub notes: usize,
}

/// Writes the zip of everything about the customer to `out`.
pub fn export(store: &Store, dir: &DataDir, contact: &str, out: &Path) -> Result<Exported> {
    let (contacts, senders) = resolve_customer(store, contact)?;
    export_customer(store, dir, &contacts, &senders, out)
}

/// [`export`] of contacts given by id (the window's contact panel).
pub fn export_contacts(store: &Store, dir: &DataDir, contacts: &[i64], out: &Path) -> Result<Exported> {
    export_customer(store, dir, contacts, &[], out)
}

fn export_customer(store: &Store, dir: &DataDir, contacts: &[i64], senders: &[String], out: &Path) -> Result<Exported> {
    let conn = store.conn();
    for id in contacts {
        crate::store::contacts::get(conn, *id)?;
    }
    let contacts = contacts.to_vec();
    let cp = placeholders(contacts.len());
    let contact_rows = rows(conn, &format!("SELECT * FROM contacts WHERE id IN ({cp}) ORDER BY id"), &contacts)?;
    let aliases = rows(conn, &format!("SELECT * FROM contact_aliases WHERE contact_id IN ({cp}) ORDER BY phone"), &contacts)?;
    let labels = rows(conn, &format!("SELECT * FROM contact_labels WHERE contact_id IN ({cp}) ORDER BY contact_id, label"), &contacts)?;
    let conversations = ids_of(conn, &format!("SELECT id FROM conversations WHERE contact_id IN ({cp}) ORDER BY id"), &contacts)?;
    let conversation_rows = rows(conn, &format!("SELECT * FROM conversations WHERE contact_id IN ({cp}) ORDER BY id"), &contacts)?;
    // Their conversations, and what they wrote in groups.
    let (in_scope, scope_params) = messages_filter(&conversations, &group_messages(conn, &contacts, senders)?);
    let messages = rows(conn, &format!("SELECT * FROM messages WHERE {in_scope} ORDER BY timestamp, id"), &scope_params)?;
    let media_rows = rows(conn, &format!("SELECT * FROM media_files WHERE id IN (SELECT media_id FROM messages WHERE {in_scope}) ORDER BY id"), &scope_params)?;
    let notes = match notes_filter(conn, &contacts, &conversations)? {
        Some((filter, params)) => rows(conn, &format!("SELECT * FROM notes WHERE {filter} ORDER BY rowid"), &params)?,
        None => vec![],
    };

    // Media files on disk, named in the zip by record id so names never collide.
    let mut files: Vec<(String, PathBuf, u64)> = vec![];
    let mut media_index = vec![];
    for m in &media_rows {
        let id = m.get("id").and_then(Value::as_i64).unwrap_or_default();
        let rel = m.get("path").and_then(Value::as_str);
        let on_disk = rel.map(|p| dir.root().join(p)).filter(|p| p.is_file());
        let entry = match on_disk {
            Some(path) => {
                let base = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
                let name = format!("media/{id}-{base}");
                let size = std::fs::metadata(&path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?.len();
                files.push((name.clone(), path, size));
                Some(name)
            }
            None => None,
        };
        media_index.push(json!({"media_id": id, "file": entry, "file_name": m.get("file_name"), "mime": m.get("mime")}));
    }
    let index = json!({
        "format": "wicket-contact-export",
        "version": 1,
        "exported_at": to_rfc3339(now_ms()),
        "contacts": contact_rows,
        "contact_aliases": aliases,
        "contact_labels": labels,
        "conversations": conversation_rows,
        "messages": messages,
        "media_files": media_rows,
        "media": media_index,
        "notes": notes,
    });
    let json = serde_json::to_vec_pretty(&index).map_err(|e| Error::Internal(format!("cannot encode the export: {e}")))?;

    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let partial = parent.join(format!(".wicket-export-{}-{:08x}", std::process::id(), rand::random::<u32>()));
    let write = || -> Result<()> {
        // A customer's whole history: owner-only, like everything in the data dir.
        let file = crate::datadir::private_file_options()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(|e| Error::io(format!("cannot create {} (check the folder is writable)", partial.display()), e))?;
        let mut z = zip::ZipWriter::new(std::io::BufWriter::new(file));
        z.add_bytes("index.json", &json)?;
        for (name, path, size) in &files {
            z.add(name, *size, || {
                let f = std::fs::File::open(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
                Ok(Box::new(f))
            })?;
        }
        let w = z.finish()?;
        let f = w.into_inner().map_err(|e| Error::io("cannot write the export", e.into_error()))?;
        f.sync_all().map_err(|e| Error::io("cannot write the export to disk", e))?;
        std::fs::rename(&partial, out).map_err(|e| Error::io(format!("cannot move the export into place at {}", out.display()), e))
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    Ok(Exported {
        path: out.display().to_string(),
        contacts: contacts.len(),
        conversations: conversations.len(),
        messages: messages.len(),
        media_files: files.len(),
        notes: notes.len(),
    })
}

/// What an erase removed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Erased {
    pub contacts: usize,
    pub conversations: usize,
    pub messages: usize,
    pub media_files: usize,
    pub webhook_events: usize,
    pub notes: usize,
    /// Whether the write-ahead log was emptied (false: another process held
    /// it; the old pages go at its next checkpoint).
    pub wal_cleared: bool,
}

/// Erases the customer (see the module's comment).
pub fn erase(store: &mut Store, dir: &DataDir, contact: &str) -> Result<Erased> {
    let (contacts, senders) = resolve_customer(store, contact)?;
    erase_customer(store, dir, &contacts, &senders)
}

/// [`erase`] of contacts given by id (the window's contact panel).
pub fn erase_contacts(store: &mut Store, dir: &DataDir, contacts: &[i64]) -> Result<Erased> {
    erase_customer(store, dir, contacts, &[])
}

fn erase_customer(store: &mut Store, dir: &DataDir, contacts: &[i64], senders: &[String]) -> Result<Erased> {
    let conn = store.conn();
    for id in contacts {
        crate::store::contacts::get(conn, *id)?;
    }
    let contacts = contacts.to_vec();
    // Freed pages are overwritten with zeros instead of left with the old bytes.
    conn.pragma_update(None, "secure_delete", true)?;
    let cp = placeholders(contacts.len());
    let conversations = ids_of(conn, &format!("SELECT id FROM conversations WHERE contact_id IN ({cp})"), &contacts)?;
    // Every identifier a raw webhook body may carry for this customer.
    let mut needles: Vec<String> = senders.to_vec();
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT phone, provider_user_id, wa_id, jid FROM contacts WHERE id IN ({cp})
             UNION ALL SELECT phone, NULL, NULL, NULL FROM contact_aliases WHERE contact_id IN ({cp})"
        ))?;
        let mut params = contacts.clone();
        params.extend_from_slice(&contacts);
        let mut q = stmt.query(params_from_iter(&params))?;
        while let Some(r) = q.next()? {
            for i in 0..4 {
                if let Some(v) = r.get::<_, Option<String>>(i)? {
                    let v = v.trim().trim_start_matches('+').to_string();
                    // A short id would match unrelated bodies.
                    if v.len() >= 5 && !needles.contains(&v) {
                        needles.push(v);
                    }
                }
            }
        }
    }
    let vp = placeholders(conversations.len().max(1));
    let conv_params: Vec<i64> = if conversations.is_empty() { vec![-1] } else { conversations.clone() };
    // Their conversations, and what they wrote in groups.
    let (in_scope, scope_params) = messages_filter(&conversations, &group_messages(conn, &contacts, senders)?);
    let provider_ids: Vec<(i64, String)> = {
        let mut stmt = conn.prepare(&format!("SELECT account_id, provider_message_id FROM messages WHERE ({in_scope}) AND provider_message_id IS NOT NULL"))?;
        let v = stmt.query_map(params_from_iter(&scope_params), |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    let media: Vec<(i64, Option<String>)> = {
        let mut stmt = conn.prepare(&format!("SELECT id, path FROM media_files WHERE id IN (SELECT media_id FROM messages WHERE {in_scope})"))?;
        let v = stmt.query_map(params_from_iter(&scope_params), |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    let pictures: Vec<String> = {
        let mut stmt = conn.prepare(&format!("SELECT profile_picture_path FROM contacts WHERE id IN ({cp}) AND profile_picture_path IS NOT NULL"))?;
        let v = stmt.query_map(params_from_iter(&contacts), |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        v
    };
    let notes = notes_filter(conn, &contacts, &conversations)?;

    let mut erased = Erased { contacts: contacts.len(), conversations: conversations.len(), ..Default::default() };
    store.write(|tx| {
        for needle in &needles {
            erased.webhook_events += tx.execute("DELETE FROM webhook_events WHERE instr(CAST(body AS TEXT), ?1) > 0", [needle])?;
        }
        for (account, pid) in &provider_ids {
            for table in ["pending_statuses", "pending_changes", "message_receipts"] {
                tx.execute(&format!("DELETE FROM {table} WHERE account_id = ?1 AND provider_message_id = ?2"), rusqlite::params![account, pid])?;
            }
            tx.execute("DELETE FROM reactions WHERE account_id = ?1 AND target_provider_id = ?2", rusqlite::params![account, pid])?;
        }
        for needle in &needles {
            // In groups a reactor is named by jid ("447…@s.whatsapp.net", a LID).
            tx.execute("DELETE FROM reactions WHERE reactor = ?1 OR reactor = '+' || ?1 OR substr(reactor, 1, length(?1) + 1) = ?1 || '@'", [needle])?;
            tx.execute("DELETE FROM bulk_rows WHERE phone = ?1 OR phone = '+' || ?1", [needle])?;
        }
        if let Some((filter, params)) = &notes {
            erased.notes = tx.execute(&format!("DELETE FROM notes WHERE {filter}"), params_from_iter(params))?;
        }
        tx.execute(&format!("DELETE FROM bulk_rows WHERE conversation_id IN ({vp})"), params_from_iter(&conv_params))?;
        // Explicitly, so the search index's delete trigger runs for each message.
        erased.messages = tx.execute(&format!("DELETE FROM messages WHERE {in_scope}"), params_from_iter(&scope_params))?;
        for (id, _) in &media {
            erased.media_files += tx.execute("DELETE FROM media_files WHERE id = ?1", [id])?;
        }
        // A merge's undo record keeps the merged contact's rows: gone too.
        tx.execute(&format!("DELETE FROM contact_merges WHERE kept_id IN ({cp}) OR removed_id IN ({cp})"), params_from_iter(contacts.iter().chain(&contacts)))?;
        // Conversations, aliases and labels go with the contact (ON DELETE CASCADE).
        tx.execute(&format!("DELETE FROM contacts WHERE id IN ({cp})"), params_from_iter(&contacts))?;
        // FTS5 keeps deleted terms in its index segments until they merge:
        // merging every segment into one (messages_fts is contentless, so it
        // cannot be rebuilt from a copy) or rebuilding drops them.
        tx.execute_batch(
            "INSERT INTO messages_fts(messages_fts) VALUES ('optimize');
             INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild');",
        )?;
        Ok(())
    })?;
    // Secure delete zeroes what this erase frees, but bytes freed earlier
    // without it (an edited message's old text, a rebalanced page) stay in
    // unused space: VACUUM rewrites the file with live rows only.
    store.conn().execute_batch("VACUUM")?;
    // The WAL still holds the pages as they were before: write it back and
    // empty it. A reader in another process (the engine) can hold it back
    // for a moment; try for a while, then say so rather than claim it.
    for attempt in 0..50 {
        let busy: i64 = store.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            erased.wal_cleared = true;
            break;
        }
        if attempt < 49 {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    if !erased.wal_cleared {
        tracing::warn!("the erase is done but the write-ahead log is still in use: its old pages go at the next checkpoint");
    }
    store.conn().pragma_update(None, "secure_delete", false)?;

    for path in media.iter().filter_map(|(_, p)| p.as_ref()).chain(pictures.iter()) {
        let full = dir.root().join(path);
        match std::fs::remove_file(&full) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::io(format!("the customer's records are erased but the file {} could not be removed: delete it by hand", full.display()), e))
            }
        }
    }
    tracing::info!(contacts = erased.contacts, messages = erased.messages, "customer erased");
    Ok(erased)
}
