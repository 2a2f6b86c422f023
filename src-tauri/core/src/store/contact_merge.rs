//! The SQL of merging two contacts of one account (`crate::contact_merge`)
//! and of undoing the last merge.
//!
//! Rules kept here: nothing of either contact is lost (messages keep their
//! ids, so the search index and reminders follow; notes, labels, scheduled
//! messages, away replies and the send log move with them); the kept contact
//! knows both identities (the other's number becomes a `contact_aliases`
//! row, its business-scoped id or LID a `contact_user_aliases` row), so a
//! later webhook for either lands on it; the removed conversation's rows are
//! gone. Only the latest merge keeps an undo record (`contact_merges.record`):
//! the removed contact's and conversation's rows as they were, the kept
//! one's before the merge, and every id that moved.

use super::contacts;
use super::conversations;
use crate::error::{Error, Result};
use crate::time::now_ms;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde_json::{Map, Value};

/// A row as column → value (JSON), for the undo record.
pub type Row = Map<String, Value>;

/// What an undo needs: the rows as they were before the merge and the ids
/// that moved from the removed contact to the kept one.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct MergeRecord {
    pub kept_contact: Row,
    pub removed_contact: Row,
    pub kept_contact_labels: Vec<String>,
    pub removed_contact_labels: Vec<String>,
    pub removed_phone_aliases: Vec<String>,
    pub removed_user_aliases: Vec<String>,
    pub added_phone_alias: Option<String>,
    pub added_user_alias: Option<String>,
    pub kept_conversation: Option<Row>,
    /// The kept contact had no conversation: the merge made one.
    pub created_kept_conversation: bool,
    pub removed_conversation: Option<Row>,
    pub kept_conversation_labels: Vec<String>,
    pub removed_conversation_labels: Vec<String>,
    pub message_ids: Vec<i64>,
    pub contact_note_ids: Vec<i64>,
    pub conversation_note_ids: Vec<i64>,
    pub scheduled_ids: Vec<i64>,
    pub away_replies: Vec<Row>,
    pub send_log_rowids: Vec<i64>,
    pub bulk_rows: Vec<(i64, i64)>,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Merged {
    pub merge_id: i64,
    pub kept_id: i64,
    pub removed_id: i64,
    pub conversation_id: Option<i64>,
    pub messages_moved: usize,
    pub notes_moved: usize,
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Undone {
    pub merge_id: i64,
    pub kept_id: i64,
    /// The contact put back (its old id unless a new contact took it).
    pub restored_id: i64,
    pub restored_conversation_id: Option<i64>,
    pub messages_moved_back: usize,
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(*b as i64),
        Value::Number(n) => n.as_i64().map(SqlValue::Integer).unwrap_or_else(|| SqlValue::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// Every column of the rows `sql` selects, as JSON (no blobs in these tables).
fn rows(conn: &Connection, sql: &str, args: &[i64]) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut q = stmt.query(params_from_iter(args))?;
    let mut out = vec![];
    while let Some(r) = q.next()? {
        let mut m = Map::new();
        for (i, name) in names.iter().enumerate() {
            let v = match r.get::<_, SqlValue>(i)? {
                SqlValue::Null => Value::Null,
                SqlValue::Integer(n) => Value::from(n),
                SqlValue::Real(f) => Value::from(f),
                SqlValue::Text(t) => Value::String(t),
                SqlValue::Blob(_) => return Err(Error::Internal(format!("unexpected binary column {name} in a merge record"))),
            };
            m.insert(name.clone(), v);
        }
        out.push(m);
    }
    Ok(out)
}

fn one_row(conn: &Connection, table: &str, id: i64) -> Result<Option<Row>> {
    Ok(rows(conn, &format!("SELECT * FROM {table} WHERE id = ?1"), &[id])?.pop())
}

fn ids(conn: &Connection, sql: &str, args: &[i64]) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(sql)?;
    let v = stmt.query_map(params_from_iter(args), |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(v)
}

fn strings(conn: &Connection, sql: &str, id: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let v = stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(v)
}

/// Inserts `row` into `table`, without its id when `keep_id` is false.
/// Returns the row's id.
fn insert_row(conn: &Connection, table: &str, row: &Row, keep_id: bool) -> Result<i64> {
    let cols: Vec<&String> = row.keys().filter(|k| keep_id || k.as_str() != "id").collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES ({})", cols.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "), vec!["?"; cols.len()].join(", "));
    conn.execute(&sql, params_from_iter(cols.iter().map(|c| to_sql(&row[c.as_str()]))))?;
    Ok(conn.last_insert_rowid())
}

/// Sets every column of `row` but `id` (and `skip`) on row `id` of `table`.
fn restore_row(conn: &Connection, table: &str, id: i64, row: &Row, skip: &[&str]) -> Result<()> {
    let cols: Vec<&String> = row.keys().filter(|k| k.as_str() != "id" && !skip.contains(&k.as_str())).collect();
    if cols.is_empty() {
        return Ok(());
    }
    let set = cols.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 2)).collect::<Vec<_>>().join(", ");
    let mut args = vec![SqlValue::Integer(id)];
    args.extend(cols.iter().map(|c| to_sql(&row[c.as_str()])));
    conn.execute(&format!("UPDATE {table} SET {set} WHERE id = ?1"), params_from_iter(args))?;
    Ok(())
}

fn in_list(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Merges contact `other` into contact `keep` (checked by the caller: same
/// account, two people, not groups) in the caller's transaction, and makes
/// this merge the one an undo reverts.
pub fn merge(conn: &Connection, keep: i64, other: i64) -> Result<Merged> {
    let k = contacts::get(conn, keep)?;
    let o = contacts::get(conn, other)?;
    let account = k.account_id;
    let kept_contact = one_row(conn, "contacts", keep)?.ok_or_else(|| Error::NotFound(format!("no contact with id {keep}")))?;
    let removed_contact = one_row(conn, "contacts", other)?.ok_or_else(|| Error::NotFound(format!("no contact with id {other}")))?;
    let k_conv = conversations::find_for_contact(conn, account, keep)?;
    let o_conv = conversations::find_for_contact(conn, account, other)?;
    let mut rec = MergeRecord {
        kept_contact,
        removed_contact,
        kept_contact_labels: strings(conn, "SELECT label FROM contact_labels WHERE contact_id = ?1 ORDER BY label", keep)?,
        removed_contact_labels: strings(conn, "SELECT label FROM contact_labels WHERE contact_id = ?1 ORDER BY label", other)?,
        removed_phone_aliases: strings(conn, "SELECT phone FROM contact_aliases WHERE contact_id = ?1 ORDER BY phone", other)?,
        removed_user_aliases: strings(conn, "SELECT provider_user_id FROM contact_user_aliases WHERE contact_id = ?1 ORDER BY 1", other)?,
        contact_note_ids: ids(conn, "SELECT id FROM notes WHERE contact_id = ?1 ORDER BY id", &[other])?,
        ..Default::default()
    };
    if let Some(kc) = k_conv {
        rec.kept_conversation = one_row(conn, "conversations", kc)?;
        rec.kept_conversation_labels = strings(conn, "SELECT label FROM conversation_labels WHERE conversation_id = ?1 ORDER BY label", kc)?;
    }

    let mut conversation_id = k_conv;
    if let Some(oc) = o_conv {
        let kc = match k_conv {
            Some(kc) => kc,
            None => {
                rec.created_kept_conversation = true;
                conversations::get_or_create(conn, account, keep)?
            }
        };
        conversation_id = Some(kc);
        rec.removed_conversation = one_row(conn, "conversations", oc)?;
        rec.removed_conversation_labels = strings(conn, "SELECT label FROM conversation_labels WHERE conversation_id = ?1 ORDER BY label", oc)?;
        rec.message_ids = ids(conn, "SELECT id FROM messages WHERE conversation_id = ?1 ORDER BY id", &[oc])?;
        rec.conversation_note_ids = ids(conn, "SELECT id FROM notes WHERE conversation_id = ?1 ORDER BY id", &[oc])?;
        rec.scheduled_ids = ids(conn, "SELECT id FROM scheduled_messages WHERE conversation_id = ?1 ORDER BY id", &[oc])?;
        rec.away_replies = rows(conn, "SELECT * FROM away_replies WHERE conversation_id = ?1 ORDER BY closed_since", &[oc])?;
        rec.send_log_rowids = ids(conn, "SELECT rowid FROM send_log WHERE conversation_id = ?1 ORDER BY rowid", &[oc])?;
        {
            let mut stmt = conn.prepare("SELECT job_id, row_no FROM bulk_rows WHERE conversation_id = ?1 ORDER BY job_id, row_no")?;
            rec.bulk_rows = stmt.query_map([oc], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        }

        // Messages keep their ids: the search index (keyed by message id)
        // and reminders need nothing. The scheduled_follow_merge trigger
        // moves scheduled messages with the first message; this catches a
        // conversation with scheduled messages and none stored.
        conn.execute("UPDATE messages SET conversation_id = ?2 WHERE conversation_id = ?1", params![oc, kc])?;
        conn.execute("UPDATE scheduled_messages SET conversation_id = ?2 WHERE conversation_id = ?1", params![oc, kc])?;
        conn.execute("UPDATE notes SET conversation_id = ?2 WHERE conversation_id = ?1", params![oc, kc])?;
        // One away message per conversation and closed period: the kept
        // conversation's own record of a period wins.
        conn.execute("UPDATE OR IGNORE away_replies SET conversation_id = ?2 WHERE conversation_id = ?1", params![oc, kc])?;
        conn.execute("UPDATE send_log SET conversation_id = ?2 WHERE conversation_id = ?1", params![oc, kc])?;
        conn.execute("UPDATE bulk_rows SET conversation_id = ?2 WHERE conversation_id = ?1", params![oc, kc])?;
        conn.execute(
            "INSERT OR IGNORE INTO conversation_labels (conversation_id, label) SELECT ?2, label FROM conversation_labels WHERE conversation_id = ?1",
            params![oc, kc],
        )?;
        // Unread adds up; pinned if either was; archived or muted only if
        // both were (a customer's messages never go quiet by surprise); the
        // window and last inbound are the later ones; a snooze carries over
        // (the earlier wake-up of two).
        conn.execute(
            "UPDATE conversations AS k SET
                unread_count = k.unread_count + o.unread_count,
                pinned = max(k.pinned, o.pinned),
                archived = min(k.archived, o.archived),
                muted = min(k.muted, o.muted),
                last_inbound_at = CASE WHEN k.last_inbound_at IS NULL THEN o.last_inbound_at WHEN o.last_inbound_at IS NULL THEN k.last_inbound_at
                    ELSE max(k.last_inbound_at, o.last_inbound_at) END,
                window_expires_at = CASE WHEN k.window_expires_at IS NULL THEN o.window_expires_at WHEN o.window_expires_at IS NULL THEN k.window_expires_at
                    ELSE max(k.window_expires_at, o.window_expires_at) END,
                draft = coalesce(k.draft, o.draft),
                snoozed_until = CASE WHEN k.snoozed_until IS NULL THEN o.snoozed_until WHEN o.snoozed_until IS NULL THEN k.snoozed_until
                    ELSE min(k.snoozed_until, o.snoozed_until) END,
                last_activity_at = max(k.last_activity_at, o.last_activity_at)
             FROM (SELECT * FROM conversations WHERE id = ?1) AS o
             WHERE k.id = ?2",
            params![oc, kc],
        )?;
        let chat_id: Option<String> = conn.query_row("SELECT provider_chat_id FROM conversations WHERE id = ?1", [oc], |r| r.get(0))?;
        // Its labels, typing throttle and what was not moved go with it.
        conn.execute("DELETE FROM conversations WHERE id = ?1", [oc])?;
        if let Some(chat_id) = chat_id {
            conversations::set_provider_chat_id(conn, kc, &chat_id)?;
        }
        conversations::refresh_last_message(conn, kc)?;
    }

    conn.execute("UPDATE notes SET contact_id = ?2 WHERE contact_id = ?1", params![other, keep])?;
    conn.execute("INSERT OR IGNORE INTO contact_labels (contact_id, label) SELECT ?2, label FROM contact_labels WHERE contact_id = ?1", params![other, keep])?;
    conn.execute("UPDATE contact_aliases SET contact_id = ?2 WHERE contact_id = ?1", params![other, keep])?;
    conn.execute("UPDATE contact_user_aliases SET contact_id = ?2 WHERE contact_id = ?1", params![other, keep])?;
    // Gone before the kept contact takes its keys (unique per account).
    conn.execute("DELETE FROM contacts WHERE id = ?1", [other])?;
    // The owner's typed name wins, the kept contact's first; every other
    // field fills only what the kept contact lacks; an opt-out on either stays.
    conn.execute(
        "UPDATE contacts SET
            phone = coalesce(phone, ?2),
            provider_user_id = coalesce(provider_user_id, ?3),
            wa_id = coalesce(wa_id, ?4),
            jid = coalesce(jid, ?5),
            saved_name = CASE WHEN saved_name_by_owner = 1 THEN saved_name WHEN ?7 = 1 THEN ?6 ELSE coalesce(saved_name, ?6) END,
            saved_name_by_owner = max(saved_name_by_owner, ?7),
            profile_name = coalesce(profile_name, ?8),
            verified_name = coalesce(verified_name, ?9),
            company = coalesce(company, ?10),
            profile_picture_url = coalesce(profile_picture_url, ?11),
            profile_picture_path = coalesce(profile_picture_path, ?12),
            is_business = max(is_business, ?13),
            status_text = coalesce(status_text, ?14),
            opted_out_at = CASE WHEN opted_out_at IS NULL THEN ?15 WHEN ?15 IS NULL THEN opted_out_at ELSE min(opted_out_at, ?15) END,
            opt_changed_at = max(coalesce(opt_changed_at, 0), coalesce(?16, 0)),
            raw = coalesce(raw, ?17),
            created_at = min(created_at, ?18),
            updated_at = ?19
         WHERE id = ?1",
        params![
            keep,
            o.phone,
            o.provider_user_id,
            o.wa_id,
            o.jid,
            o.saved_name,
            o.saved_name_by_owner,
            o.profile_name,
            o.verified_name,
            o.company,
            o.profile_picture_url,
            o.profile_picture_path,
            o.is_business,
            o.status_text,
            o.opted_out_at,
            rec.removed_contact.get("opt_changed_at").and_then(Value::as_i64),
            super::json_col(&o.raw),
            o.created_at,
            now_ms()
        ],
    )?;
    // opt_changed_at 0 means never: keep it NULL then.
    conn.execute("UPDATE contacts SET opt_changed_at = NULL WHERE id = ?1 AND opt_changed_at = 0", [keep])?;
    if let (Some(kp), Some(op)) = (&k.phone, &o.phone) {
        if kp != op {
            conn.execute("INSERT OR IGNORE INTO contact_aliases (account_id, phone, contact_id) VALUES (?1, ?2, ?3)", params![account, op, keep])?;
            rec.added_phone_alias = Some(op.clone());
        }
    }
    if let (Some(ku), Some(ou)) = (&k.provider_user_id, &o.provider_user_id) {
        if ku != ou {
            conn.execute(
                "INSERT OR IGNORE INTO contact_user_aliases (account_id, provider_user_id, contact_id) VALUES (?1, ?2, ?3)",
                params![account, ou, keep],
            )?;
            rec.added_user_alias = Some(ou.clone());
        }
    }

    let messages_moved = rec.message_ids.len();
    let notes_moved = rec.contact_note_ids.len() + rec.conversation_note_ids.len();
    let record = serde_json::to_string(&rec).map_err(|e| Error::Internal(format!("cannot record the merge for undo: {e}")))?;
    // Only the latest merge can be undone.
    conn.execute("UPDATE contact_merges SET record = NULL WHERE record IS NOT NULL", [])?;
    conn.execute(
        "INSERT INTO contact_merges (account_id, kept_id, removed_id, merged_at, record) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![account, keep, other, now_ms(), record],
    )?;
    Ok(Merged { merge_id: conn.last_insert_rowid(), kept_id: keep, removed_id: other, conversation_id, messages_moved, notes_moved })
}

/// The merge an undo would revert: (id, record).
pub fn undoable(conn: &Connection) -> Result<Option<(i64, MergeRecord)>> {
    let row: Option<(i64, String)> = conn
        .query_row("SELECT id, record FROM contact_merges WHERE record IS NOT NULL ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((id, text)) => {
            let rec = serde_json::from_str(&text).map_err(|e| Error::Internal(format!("the undo record of merge {id} cannot be read: {e}")))?;
            Ok(Some((id, rec)))
        }
    }
}

/// The latest merge's id, undoable or not.
pub fn latest_merge(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT max(id) FROM contact_merges", [], |r| r.get(0))?)
}

/// Whether merge `id` exists.
pub fn merge_exists(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM contact_merges WHERE id = ?1)", [id], |r| r.get(0))?)
}

fn id_of(row: &Row) -> Result<i64> {
    row.get("id").and_then(Value::as_i64).ok_or_else(|| Error::Internal("a merge record without the row's id".into()))
}

fn id_free(conn: &Connection, table: &str, id: i64) -> Result<bool> {
    Ok(!conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"), [id], |r| r.get::<_, bool>(0))?)
}

fn move_ids(conn: &Connection, table: &str, set: &str, ids: &[i64], value: i64) -> Result<usize> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let mut args = vec![value];
        args.extend_from_slice(chunk);
        n += conn.execute(&format!("UPDATE {table} SET {set} = ?1 WHERE id IN ({})", in_list(chunk.len())), params_from_iter(args))?;
    }
    Ok(n)
}

fn set_labels(conn: &Connection, table: &str, column: &str, id: i64, labels: &[String]) -> Result<()> {
    conn.execute(&format!("DELETE FROM {table} WHERE {column} = ?1"), [id])?;
    for l in labels {
        conn.execute(&format!("INSERT OR IGNORE INTO {table} ({column}, label) VALUES (?1, ?2)"), params![id, l])?;
    }
    Ok(())
}

/// Reverts merge `merge_id` (the undoable one) in the caller's transaction.
pub fn undo(conn: &Connection, merge_id: i64, rec: &MergeRecord) -> Result<Undone> {
    let keep = id_of(&rec.kept_contact)?;
    let removed_old = id_of(&rec.removed_contact)?;
    let kept = contacts::get(conn, keep)
        .map_err(|_| Error::Invalid(format!("merge {merge_id} cannot be undone: the contact it kept (id {keep}) was erased since")))?;
    let account = kept.account_id;

    // The kept contact as it was: its keys first, so the other's are free.
    if let Some(p) = &rec.added_phone_alias {
        conn.execute("DELETE FROM contact_aliases WHERE account_id = ?1 AND phone = ?2 AND contact_id = ?3", params![account, p, keep])?;
    }
    if let Some(u) = &rec.added_user_alias {
        conn.execute("DELETE FROM contact_user_aliases WHERE account_id = ?1 AND provider_user_id = ?2 AND contact_id = ?3", params![account, u, keep])?;
    }
    restore_row(conn, "contacts", keep, &rec.kept_contact, &[])?;
    set_labels(conn, "contact_labels", "contact_id", keep, &rec.kept_contact_labels)?;

    // The removed contact comes back under its id, unless a new contact took it.
    let keep_id = id_free(conn, "contacts", removed_old)?;
    let restored = insert_row(conn, "contacts", &rec.removed_contact, keep_id)?;
    set_labels(conn, "contact_labels", "contact_id", restored, &rec.removed_contact_labels)?;
    for p in &rec.removed_phone_aliases {
        conn.execute("UPDATE contact_aliases SET contact_id = ?3 WHERE account_id = ?1 AND phone = ?2", params![account, p, restored])?;
    }
    for u in &rec.removed_user_aliases {
        conn.execute("UPDATE contact_user_aliases SET contact_id = ?3 WHERE account_id = ?1 AND provider_user_id = ?2", params![account, u, restored])?;
    }
    // The alias moves above do not touch the search index: rebuild its row.
    conn.execute("UPDATE contacts SET phone = phone WHERE id = ?1", [restored])?;
    move_ids(conn, "notes", "contact_id", &rec.contact_note_ids, restored)?;

    let mut restored_conversation_id = None;
    let mut messages_moved_back = 0;
    if let Some(oc_row) = &rec.removed_conversation {
        let kc = conversations::find_for_contact(conn, account, keep)?
            .ok_or_else(|| Error::Invalid(format!("merge {merge_id} cannot be undone: the merged conversation was removed since")))?;
        let mut row = oc_row.clone();
        row.insert("contact_id".into(), Value::from(restored));
        // The chat id stays with the kept conversation until this one is back.
        let chat_id = row.remove("provider_chat_id");
        let oc_old = id_of(oc_row)?;
        let oc = insert_row(conn, "conversations", &row, id_free(conn, "conversations", oc_old)?)?;
        restored_conversation_id = Some(oc);
        set_labels(conn, "conversation_labels", "conversation_id", oc, &rec.removed_conversation_labels)?;
        // Only the rows still in the kept conversation go back.
        let moving: Vec<i64> = {
            let mut v = vec![];
            for chunk in rec.message_ids.chunks(500) {
                let mut args = vec![kc];
                args.extend_from_slice(chunk);
                v.extend(ids(conn, &format!("SELECT id FROM messages WHERE conversation_id = ?1 AND id IN ({})", in_list(chunk.len())), &args)?);
            }
            v
        };
        let kept_scheduled = ids(conn, "SELECT id FROM scheduled_messages WHERE conversation_id = ?1", &[kc])?;
        messages_moved_back = move_ids(conn, "messages", "conversation_id", &moving, oc)?;
        // The scheduled_follow_merge trigger moved all of them: sort them out.
        let back_to_kept: Vec<i64> = kept_scheduled.iter().copied().filter(|id| !rec.scheduled_ids.contains(id)).collect();
        move_ids(conn, "scheduled_messages", "conversation_id", &back_to_kept, kc)?;
        move_ids(conn, "scheduled_messages", "conversation_id", &rec.scheduled_ids, oc)?;
        move_ids(conn, "notes", "conversation_id", &rec.conversation_note_ids, oc)?;
        for r in &rec.away_replies {
            let since = r.get("closed_since").and_then(Value::as_i64).unwrap_or_default();
            conn.execute(
                "DELETE FROM away_replies WHERE conversation_id = ?1 AND closed_since = ?2 AND message_id IS ?3",
                params![kc, since, r.get("message_id").and_then(Value::as_i64)],
            )?;
            let mut r = r.clone();
            r.insert("conversation_id".into(), Value::from(oc));
            let cols: Vec<&String> = r.keys().collect();
            conn.execute(
                &format!(
                    "INSERT OR IGNORE INTO away_replies ({}) VALUES ({})",
                    cols.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
                    in_list(cols.len())
                ),
                params_from_iter(cols.iter().map(|c| to_sql(&r[c.as_str()]))),
            )?;
        }
        for chunk in rec.send_log_rowids.chunks(500) {
            let mut args = vec![oc];
            args.extend_from_slice(chunk);
            conn.execute(&format!("UPDATE send_log SET conversation_id = ?1 WHERE rowid IN ({})", in_list(chunk.len())), params_from_iter(args))?;
        }
        for (job, row_no) in &rec.bulk_rows {
            conn.execute("UPDATE bulk_rows SET conversation_id = ?1 WHERE job_id = ?2 AND row_no = ?3", params![oc, job, row_no])?;
        }

        // The kept conversation as it was, plus what arrived since the merge.
        let before_unread = |row: &Option<Row>| row.as_ref().and_then(|r| r.get("unread_count")).and_then(Value::as_i64).unwrap_or(0);
        let merged_unread = before_unread(&rec.kept_conversation) + before_unread(&rec.removed_conversation);
        let now_unread: i64 = conn.query_row("SELECT unread_count FROM conversations WHERE id = ?1", [kc], |r| r.get(0))?;
        let arrived = (now_unread - merged_unread).max(0);
        let kept_chat: Option<Value> = rec.kept_conversation.as_ref().and_then(|r| r.get("provider_chat_id").cloned());
        match &rec.kept_conversation {
            Some(k_row) => {
                restore_row(conn, "conversations", kc, k_row, &["last_message_id", "last_activity_at", "contact_id", "account_id"])?;
                conn.execute("UPDATE conversations SET unread_count = unread_count + ?2 WHERE id = ?1", params![kc, arrived])?;
                set_labels(conn, "conversation_labels", "conversation_id", kc, &rec.kept_conversation_labels)?;
            }
            None => {
                let left: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1)", [kc], |r| r.get(0))?;
                if rec.created_kept_conversation && !left {
                    conn.execute("DELETE FROM conversations WHERE id = ?1", [kc])?;
                } else {
                    conn.execute(
                        "UPDATE conversations SET unread_count = ?2, provider_chat_id = NULL, snoozed_until = NULL WHERE id = ?1",
                        params![kc, arrived],
                    )?;
                    conn.execute("DELETE FROM conversation_labels WHERE conversation_id = ?1", [kc])?;
                }
            }
        }
        if rec.kept_conversation.is_some() {
            conn.execute("UPDATE conversations SET provider_chat_id = ?2 WHERE id = ?1", params![kc, kept_chat.as_ref().map(to_sql)])?;
            conversations::refresh_last_message(conn, kc)?;
        }
        if let Some(c) = chat_id.as_ref().and_then(Value::as_str) {
            conn.execute("UPDATE conversations SET provider_chat_id = ?2 WHERE id = ?1", params![oc, c])?;
        }
        conversations::refresh_last_message(conn, oc)?;
    }
    conn.execute("UPDATE contact_merges SET record = NULL, undone_at = ?2 WHERE id = ?1", params![merge_id, now_ms()])?;
    Ok(Undone { merge_id, kept_id: keep, restored_id: restored, restored_conversation_id, messages_moved_back })
}

/// Records that the owner said contacts `a` and `b` are not the same person.
pub fn dismiss(conn: &Connection, a: i64, b: i64) -> Result<()> {
    let (x, y) = if a < b { (a, b) } else { (b, a) };
    conn.execute("INSERT OR IGNORE INTO merge_dismissals (contact_a, contact_b, dismissed_at) VALUES (?1, ?2, ?3)", params![x, y, now_ms()])?;
    Ok(())
}

/// Every dismissed pair (smaller id first).
pub fn dismissed(conn: &Connection) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare("SELECT contact_a, contact_b FROM merge_dismissals")?;
    let v = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// A person (not a group) of an account, as the suggestions compare them.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub phone: Option<String>,
    pub provider_user_id: Option<String>,
    pub raw: Option<String>,
}

/// Every person of `account_id` (groups never merge).
pub fn candidates(conn: &Connection, account_id: i64) -> Result<Vec<Candidate>> {
    let mut stmt = conn.prepare("SELECT id, phone, provider_user_id, raw FROM contacts WHERE account_id = ?1 AND is_group = 0 ORDER BY id")?;
    let v = stmt
        .query_map([account_id], |r| Ok(Candidate { id: r.get(0)?, phone: r.get(1)?, provider_user_id: r.get(2)?, raw: r.get(3)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The raw JSON of the newest inbound messages of `account_id` that may
/// name a second identity (a LID, a user id, a UniPile attendee's phone).
pub fn identity_payloads(conn: &Connection, account_id: i64, limit: usize) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT raw FROM messages WHERE account_id = ?1 AND raw IS NOT NULL
           AND (instr(raw, '@lid') > 0 OR instr(raw, 'user_id') > 0 OR instr(raw, 'attendee_specifics') > 0 OR instr(raw, 'senderPn') > 0)
         ORDER BY id DESC LIMIT ?2",
    )?;
    let v = stmt.query_map(params![account_id, limit as i64], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(v)
}

/// The earlier numbers of the account's contacts: (phone, contact id).
pub fn phone_aliases(conn: &Connection, account_id: i64) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare("SELECT phone, contact_id FROM contact_aliases WHERE account_id = ?1")?;
    let v = stmt.query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The merged ids of the account's contacts: (user id, contact id).
pub fn user_aliases(conn: &Connection, account_id: i64) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare("SELECT provider_user_id, contact_id FROM contact_user_aliases WHERE account_id = ?1")?;
    let v = stmt.query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}
