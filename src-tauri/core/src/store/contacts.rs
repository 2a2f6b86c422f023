//! Contacts: a phone number (E.164) or an opaque provider user id (LID,
//! group id, business-scoped user id), with the names providers report.
//!
//! Rules kept here: a contact is found by either key and never duplicated; a
//! name the owner typed is never overwritten by a provider sync; the display
//! name follows one priority everywhere (see [`display_name`]).

use super::Store;
use crate::error::{Error, Result};
use crate::phone;
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    pub id: i64,
    pub account_id: i64,
    pub phone: Option<String>,
    pub provider_user_id: Option<String>,
    pub wa_id: Option<String>,
    pub jid: Option<String>,
    pub is_group: bool,
    pub saved_name: Option<String>,
    pub saved_name_by_owner: bool,
    pub profile_name: Option<String>,
    pub verified_name: Option<String>,
    pub company: Option<String>,
    pub profile_picture_url: Option<String>,
    pub profile_picture_path: Option<String>,
    pub is_business: bool,
    pub status_text: Option<String>,
    pub labels: Vec<String>,
    pub last_synced_at: Option<i64>,
    /// When the customer opted out of messages (wrote STOP or another
    /// opt-out keyword, see [`crate::optout`]); `None` when they may be written to.
    pub opted_out_at: Option<i64>,
    pub raw: Option<serde_json::Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How a provider (or the owner) identifies a contact: at least one key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactKey {
    pub phone: Option<String>,
    pub provider_user_id: Option<String>,
}

impl ContactKey {
    pub fn phone(e164: impl Into<String>) -> ContactKey {
        ContactKey { phone: Some(e164.into()), provider_user_id: None }
    }
    pub fn user_id(id: impl Into<String>) -> ContactKey {
        ContactKey { phone: None, provider_user_id: Some(id.into()) }
    }
}

/// What a provider reports about a contact; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactUpdate {
    pub wa_id: Option<String>,
    pub jid: Option<String>,
    pub is_group: Option<bool>,
    pub saved_name: Option<String>,
    pub profile_name: Option<String>,
    pub verified_name: Option<String>,
    pub company: Option<String>,
    pub profile_picture_url: Option<String>,
    pub is_business: Option<bool>,
    pub status_text: Option<String>,
    pub raw: Option<serde_json::Value>,
    /// Whether this update is a contact sync (sets `last_synced_at`).
    pub synced: bool,
}

const COLUMNS: &str = "id, account_id, phone, provider_user_id, wa_id, jid, is_group, saved_name, saved_name_by_owner,
    profile_name, verified_name, company, profile_picture_url, profile_picture_path, is_business, status_text,
    last_synced_at, raw, created_at, updated_at,
    (SELECT json_group_array(label) FROM (SELECT label FROM contact_labels WHERE contact_id = contacts.id ORDER BY label)), opted_out_at";

/// The same columns for a contact joined as `k` (the conversation list
/// reads each row's contact in its own query). Same order as [`COLUMNS`].
pub(crate) const JOINED_COLUMNS: &str = "k.id, k.account_id, k.phone, k.provider_user_id, k.wa_id, k.jid, k.is_group, k.saved_name, k.saved_name_by_owner,
    k.profile_name, k.verified_name, k.company, k.profile_picture_url, k.profile_picture_path, k.is_business, k.status_text,
    k.last_synced_at, k.raw, k.created_at, k.updated_at,
    (SELECT json_group_array(label) FROM (SELECT label FROM contact_labels WHERE contact_id = k.id ORDER BY label)), k.opted_out_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Contact> {
    from_row_at(r, 0)
}

/// A contact read from [`COLUMNS`] or [`JOINED_COLUMNS`] starting at column `at`.
pub(crate) fn from_row_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Contact> {
    let labels: String = r.get(at + 20)?;
    Ok(Contact {
        id: r.get(at)?,
        account_id: r.get(at + 1)?,
        phone: r.get(at + 2)?,
        provider_user_id: r.get(at + 3)?,
        wa_id: r.get(at + 4)?,
        jid: r.get(at + 5)?,
        is_group: r.get(at + 6)?,
        saved_name: r.get(at + 7)?,
        saved_name_by_owner: r.get(at + 8)?,
        profile_name: r.get(at + 9)?,
        verified_name: r.get(at + 10)?,
        company: r.get(at + 11)?,
        profile_picture_url: r.get(at + 12)?,
        profile_picture_path: r.get(at + 13)?,
        is_business: r.get(at + 14)?,
        status_text: r.get(at + 15)?,
        last_synced_at: r.get(at + 16)?,
        raw: super::parse_json_col(r.get(at + 17)?),
        created_at: r.get(at + 18)?,
        updated_at: r.get(at + 19)?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        opted_out_at: r.get(at + 21)?,
    })
}

/// What [`display_name`] reads of a contact; search reads only these.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameParts<'a> {
    pub verified_name: Option<&'a str>,
    pub saved_name: Option<&'a str>,
    pub profile_name: Option<&'a str>,
    pub company: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub provider_user_id: Option<&'a str>,
}

/// The name to show for a contact. Priority: verified business name, saved
/// name, profile name, "Contact from <company>", then the number formatted
/// for display (national for the owner's default country), then the opaque id.
pub fn display_name(c: &Contact, default_country: &str) -> String {
    let parts = NameParts {
        verified_name: c.verified_name.as_deref(),
        saved_name: c.saved_name.as_deref(),
        profile_name: c.profile_name.as_deref(),
        company: c.company.as_deref(),
        phone: c.phone.as_deref(),
        provider_user_id: c.provider_user_id.as_deref(),
    };
    display_name_of(&parts, default_country)
}

/// [`display_name`] from the name columns alone.
pub fn display_name_of(c: &NameParts<'_>, default_country: &str) -> String {
    let non_empty = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(n) = non_empty(c.verified_name).or_else(|| non_empty(c.saved_name)).or_else(|| non_empty(c.profile_name)) {
        return n;
    }
    if let Some(company) = non_empty(c.company) {
        return format!("Contact from {company}");
    }
    if let Some(p) = c.phone {
        return phone::format_for_display(p, default_country);
    }
    c.provider_user_id.map(str::to_string).unwrap_or_else(|| "Unknown contact".into())
}

pub fn get(conn: &Connection, id: i64) -> Result<Contact> {
    // Cached: search shows a contact per hit.
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM contacts WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no contact with id {id}")))
}

// Cached statements: every webhook message looks its contact up.
pub fn find(conn: &Connection, account_id: i64, key: &ContactKey) -> Result<Option<Contact>> {
    if let Some(p) = &key.phone {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE account_id = ?1 AND phone = ?2");
        if let Some(c) = conn.prepare_cached(&sql)?.query_row(params![account_id, p], from_row).optional()? {
            return Ok(Some(c));
        }
        // The canonical wa_id Meta reported for a number typed differently.
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE account_id = ?1 AND wa_id = ?2 ORDER BY id LIMIT 1");
        if let Some(c) = conn.prepare_cached(&sql)?.query_row(params![account_id, p.trim_start_matches('+')], from_row).optional()? {
            return Ok(Some(c));
        }
        // A number the contact had before they changed it.
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE id = (SELECT contact_id FROM contact_aliases WHERE account_id = ?1 AND phone = ?2)");
        if let Some(c) = conn.prepare_cached(&sql)?.query_row(params![account_id, p], from_row).optional()? {
            return Ok(Some(c));
        }
    }
    if let Some(u) = &key.provider_user_id {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE account_id = ?1 AND provider_user_id = ?2");
        if let Some(c) = conn.prepare_cached(&sql)?.query_row(params![account_id, u], from_row).optional()? {
            return Ok(Some(c));
        }
        // The id of a contact merged into this one (`crate::contact_merge`).
        let sql =
            format!("SELECT {COLUMNS} FROM contacts WHERE id = (SELECT contact_id FROM contact_user_aliases WHERE account_id = ?1 AND provider_user_id = ?2)");
        if let Some(c) = conn.prepare_cached(&sql)?.query_row(params![account_id, u], from_row).optional()? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// Finds or creates the contact for `key` and applies `update`. Returns its id.
pub fn upsert(conn: &Connection, account_id: i64, key: &ContactKey, update: &ContactUpdate) -> Result<i64> {
    if key.phone.is_none() && key.provider_user_id.is_none() {
        return Err(Error::Invalid("a contact needs a phone number or a provider id".into()));
    }
    let now = now_ms();
    // Statements cached: every inbound message upserts its contact.
    let id = match find(conn, account_id, key)? {
        Some(c) => {
            // Fill in the key we did not know yet (e.g. a phone for a LID).
            if c.phone.is_none() && key.phone.is_some() {
                conn.execute(
                    "UPDATE contacts SET phone = ?2 WHERE id = ?1
                       AND NOT EXISTS (SELECT 1 FROM contacts WHERE account_id = ?3 AND phone = ?2)",
                    params![c.id, key.phone, account_id],
                )?;
            }
            if c.provider_user_id.is_none() && key.provider_user_id.is_some() {
                // Only when no other contact holds that id already (a LID seen
                // before its number was known stays its own contact).
                conn.execute(
                    "UPDATE contacts SET provider_user_id = ?2 WHERE id = ?1
                       AND NOT EXISTS (SELECT 1 FROM contacts WHERE account_id = ?3 AND provider_user_id = ?2)",
                    params![c.id, key.provider_user_id, account_id],
                )?;
            }

            // Most messages repeat what is known: skip the write (and the
            // contact's search index, which its trigger would rebuild).
            if unchanged(&c, update) {
                return Ok(c.id);
            }
            c.id
        }
        None => {
            conn.prepare_cached("INSERT INTO contacts (account_id, phone, provider_user_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)")?
                .execute(params![account_id, key.phone, key.provider_user_id, now])?;
            conn.last_insert_rowid()
        }
    };
    conn.prepare_cached(
        "UPDATE contacts SET
            wa_id = coalesce(?2, wa_id),
            jid = coalesce(?3, jid),
            is_group = coalesce(?4, is_group),
            saved_name = CASE WHEN saved_name_by_owner = 1 THEN saved_name ELSE coalesce(?5, saved_name) END,
            profile_name = coalesce(?6, profile_name),
            verified_name = coalesce(?7, verified_name),
            company = coalesce(?8, company),
            profile_picture_url = coalesce(?9, profile_picture_url),
            is_business = coalesce(?10, is_business),
            status_text = coalesce(?11, status_text),
            raw = coalesce(?12, raw),
            last_synced_at = CASE WHEN ?13 THEN ?14 ELSE last_synced_at END,
            updated_at = ?14
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        update.wa_id,
        update.jid,
        update.is_group,
        update.saved_name,
        update.profile_name,
        update.verified_name,
        update.company,
        update.profile_picture_url,
        update.is_business,
        update.status_text,
        super::json_col(&update.raw),
        update.synced,
        now
    ])?;
    Ok(id)
}

/// Whether `update` would leave `c` as it is (then `upsert` writes nothing).
fn unchanged(c: &Contact, update: &ContactUpdate) -> bool {
    fn same<T: PartialEq>(new: &Option<T>, old: &Option<T>) -> bool {
        new.is_none() || new == old
    }
    !update.synced
        && same(&update.wa_id, &c.wa_id)
        && same(&update.jid, &c.jid)
        && same(&update.is_group, &Some(c.is_group))
        && (c.saved_name_by_owner || same(&update.saved_name, &c.saved_name))
        && same(&update.profile_name, &c.profile_name)
        && same(&update.verified_name, &c.verified_name)
        && same(&update.company, &c.company)
        && same(&update.profile_picture_url, &c.profile_picture_url)
        && same(&update.is_business, &Some(c.is_business))
        && same(&update.status_text, &c.status_text)
        && same(&update.raw, &c.raw)
}

/// Sets a group's subject (as its saved name) unless a newer one is known
/// or the owner named the group. Returns the group contact's id.
pub fn set_group_subject(conn: &Connection, account_id: i64, group: &ContactKey, subject: &str, ts: i64) -> Result<i64> {
    let id = upsert(conn, account_id, group, &ContactUpdate { is_group: Some(true), ..Default::default() })?;
    conn.execute(
        "UPDATE contacts SET saved_name = ?2, subject_at = ?3, updated_at = ?4
         WHERE id = ?1 AND saved_name_by_owner = 0 AND coalesce(subject_at, 0) <= ?3",
        params![id, subject, ts, now_ms()],
    )?;
    Ok(id)
}

/// A name the owner saved in the WhatsApp Business app's address book
/// (Meta's `smb_app_state_sync`) as of `at`; `None`: the entry was removed,
/// which clears the name, not the contact or its chat. A name typed in Wicket
/// wins; an older entry never undoes a newer one (equal times: a name wins
/// over none, then the greater name), so any order ends the same. The
/// contact is kept even for a removal, to remember its time.
pub fn set_app_saved_name(conn: &Connection, account_id: i64, key: &ContactKey, name: Option<&str>, at: i64) -> Result<i64> {
    let id = upsert(conn, account_id, key, &ContactUpdate::default())?;
    conn.execute(
        "UPDATE contacts SET saved_name = ?2, saved_name_at = ?3, updated_at = ?4
         WHERE id = ?1 AND saved_name_by_owner = 0
           AND (saved_name_at IS NULL OR saved_name_at < ?3 OR (saved_name_at = ?3 AND coalesce(?2, '') > coalesce(saved_name, '')))",
        params![id, name, at, now_ms()],
    )?;
    Ok(id)
}

/// A customer changed number (or business-scoped id): from now on `new` is
/// the contact known as `old`. One contact, one conversation: the earlier
/// number stays an alias (found by [`find`] and by search). When `new`
/// already had a contact of its own (its messages arrived before the
/// notice), that contact's messages move into the conversation of `old`,
/// which is kept. Applying the same change again changes nothing. Returns
/// the contact's id.
pub fn change_number(conn: &Connection, account_id: i64, old: &ContactKey, new: &ContactKey) -> Result<i64> {
    let kept = match (find(conn, account_id, old)?, find(conn, account_id, new)?) {
        (Some(a), Some(b)) if a.id != b.id => {
            merge_into(conn, account_id, b.id, a.id)?;
            a.id
        }
        (Some(a), _) => a.id,
        (None, Some(b)) => b.id,
        (None, None) => upsert(conn, account_id, new, &ContactUpdate::default())?,
    };
    let current = get(conn, kept)?;
    if let (Some(new_phone), Some(old_phone)) = (&new.phone, current.phone.as_ref().filter(|p| Some(*p) != new.phone.as_ref())) {
        conn.execute("INSERT OR IGNORE INTO contact_aliases (account_id, phone, contact_id) VALUES (?1, ?2, ?3)", params![account_id, old_phone, kept])?;
        // The new number is the contact's now; its wa_id follows it.
        conn.execute(
            "UPDATE contacts SET phone = ?2, wa_id = ?3, updated_at = ?4 WHERE id = ?1",
            params![kept, new_phone, new_phone.trim_start_matches('+'), now_ms()],
        )?;
    }
    if let Some(old_phone) = &old.phone {
        if Some(old_phone) != new.phone.as_ref() {
            conn.execute("INSERT OR IGNORE INTO contact_aliases (account_id, phone, contact_id) VALUES (?1, ?2, ?3)", params![account_id, old_phone, kept])?;
        }
    }
    if let Some(user_id) = &new.provider_user_id {
        conn.execute(
            "UPDATE contacts SET provider_user_id = ?2 WHERE id = ?1
               AND NOT EXISTS (SELECT 1 FROM contacts WHERE account_id = ?3 AND provider_user_id = ?2)",
            params![kept, user_id, account_id],
        )?;
    }
    Ok(kept)
}

/// Moves everything of contact `from` to contact `into` (same account) and
/// removes `from`: its conversation's messages, labels and unread count join
/// the conversation of `into`; its names fill only what `into` lacks.
fn merge_into(conn: &Connection, account_id: i64, from: i64, into: i64) -> Result<()> {
    let target = super::conversations::get_or_create(conn, account_id, into)?;
    let source: Option<i64> =
        conn.query_row("SELECT id FROM conversations WHERE account_id = ?1 AND contact_id = ?2", params![account_id, from], |r| r.get(0)).optional()?;
    if let Some(source) = source {
        conn.execute("UPDATE messages SET conversation_id = ?2 WHERE conversation_id = ?1", params![source, target])?;
        conn.execute(
            "INSERT OR IGNORE INTO conversation_labels (conversation_id, label) SELECT ?2, label FROM conversation_labels WHERE conversation_id = ?1",
            params![source, target],
        )?;
        conn.execute(
            "UPDATE conversations SET
                unread_count = unread_count + (SELECT unread_count FROM conversations WHERE id = ?1),
                last_inbound_at = max(coalesce(last_inbound_at, 0), coalesce((SELECT last_inbound_at FROM conversations WHERE id = ?1), 0)),
                window_expires_at = CASE WHEN window_expires_at IS NULL AND (SELECT window_expires_at FROM conversations WHERE id = ?1) IS NULL THEN NULL
                    ELSE max(coalesce(window_expires_at, 0), coalesce((SELECT window_expires_at FROM conversations WHERE id = ?1), 0)) END
             WHERE id = ?2",
            params![source, target],
        )?;
        conn.execute("DELETE FROM conversations WHERE id = ?1", [source])?;
        super::conversations::refresh_last_message(conn, target)?;
    }
    conn.execute(
        "UPDATE contacts SET
            profile_name = coalesce(profile_name, (SELECT profile_name FROM contacts WHERE id = ?1)),
            saved_name = coalesce(saved_name, (SELECT saved_name FROM contacts WHERE id = ?1)),
            verified_name = coalesce(verified_name, (SELECT verified_name FROM contacts WHERE id = ?1))
         WHERE id = ?2",
        params![from, into],
    )?;
    conn.execute("INSERT OR IGNORE INTO contact_labels (contact_id, label) SELECT ?2, label FROM contact_labels WHERE contact_id = ?1", params![from, into])?;
    conn.execute("UPDATE contact_aliases SET contact_id = ?2 WHERE contact_id = ?1", params![from, into])?;
    conn.execute("DELETE FROM contacts WHERE id = ?1", [from])?;
    Ok(())
}

/// Whether contact `contact_id` opted out of messages. Bulk and automatic
/// messages must call this and skip the customer when it is true; a manual
/// message asks the owner first (`wicket send --to-opted-out`, the composer's
/// confirm step).
pub fn is_opted_out(conn: &Connection, contact_id: i64) -> Result<bool> {
    Ok(opted_out_at(conn, contact_id)?.is_some())
}

/// When contact `contact_id` opted out, or `None`.
pub fn opted_out_at(conn: &Connection, contact_id: i64) -> Result<Option<i64>> {
    conn.query_row("SELECT opted_out_at FROM contacts WHERE id = ?1", [contact_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no contact with id {contact_id}")))
}

/// Records an opt-out (`out`) or opt-in keyword the customer wrote at `ts`,
/// unless a later keyword was already seen (messages may arrive out of
/// order). Groups never opt out. Returns whether it applied.
pub fn set_opted_out(conn: &Connection, contact_id: i64, out: bool, ts: i64) -> Result<bool> {
    let n = conn.execute(
        "UPDATE contacts SET opted_out_at = CASE WHEN ?2 THEN coalesce(opted_out_at, ?3) ELSE NULL END, opt_changed_at = ?3, updated_at = ?4
         WHERE id = ?1 AND is_group = 0 AND (opt_changed_at IS NULL OR opt_changed_at <= ?3)",
        params![contact_id, out, ts, now_ms()],
    )?;
    Ok(n > 0)
}

impl Store {
    pub fn contact(&self, id: i64) -> Result<Contact> {
        get(&self.conn, id)
    }

    pub fn find_contact(&self, account_id: i64, key: &ContactKey) -> Result<Option<Contact>> {
        find(&self.conn, account_id, key)
    }

    pub fn upsert_contact(&mut self, account_id: i64, key: &ContactKey, update: &ContactUpdate) -> Result<Contact> {
        let id = self.write(|tx| upsert(tx, account_id, key, update))?;
        self.contact(id)
    }

    /// The owner names a contact; no provider sync will overwrite it.
    pub fn set_contact_name_by_owner(&mut self, id: i64, name: Option<&str>) -> Result<()> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE contacts SET saved_name = ?2, saved_name_by_owner = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, name, name.is_some(), now_ms()],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("no contact with id {id}")));
            }
            Ok(())
        })
    }

    pub fn set_contact_labels(&mut self, id: i64, labels: &[String]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM contact_labels WHERE contact_id = ?1", [id])?;
            for l in labels {
                tx.execute("INSERT OR IGNORE INTO contact_labels (contact_id, label) VALUES (?1, ?2)", params![id, l.trim()])?;
            }
            Ok(())
        })
    }

    pub fn set_contact_picture_path(&mut self, id: i64, path: Option<&str>) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE contacts SET profile_picture_path = ?2, updated_at = ?3 WHERE id = ?1", params![id, path, now_ms()])?;
            Ok(())
        })
    }

    /// Contacts of `account_id` with a number and no cached picture, after
    /// contact `after` (a cursor), in id order.
    pub fn contacts_without_picture(&self, account_id: i64, after: i64, limit: usize) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM contacts WHERE account_id = ?1 AND id > ?2 AND phone IS NOT NULL AND profile_picture_path IS NULL ORDER BY id LIMIT ?3")?;
        let rows = stmt.query_map(params![account_id, after, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Contacts of one account (or all), ordered by id.
    pub fn contacts(&self, account_id: Option<i64>) -> Result<Vec<Contact>> {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE ?1 IS NULL OR account_id = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([account_id], from_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}
