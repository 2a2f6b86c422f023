//! One contact across identities: merging two contacts of one account into
//! one, undoing the last merge, and suggesting merges for the same person
//! seen under two keys (see [`suggest`]).
//!
//! Rules: contacts are per account, so contacts of two accounts never merge
//! (nor groups, nor a contact with itself); a merge keeps everything of both
//! (`store::contact_merge`) and the kept contact answers to both keys
//! afterwards; only the latest merge can be undone, and an undo puts both
//! contacts and their conversations back as they were. The SQL lives in
//! `store::contact_merge`; this module checks and names things for people.

pub mod suggest;

use crate::error::{Error, Result};
use crate::store::contact_merge as sql;
use crate::store::contacts::{self, Contact};
use crate::store::Store;

pub use sql::{Merged, Undone};
pub use suggest::{Suggestion, SuggestionKind};

/// A merge, with both contacts named as the owner sees them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MergeOutcome {
    #[serde(flatten)]
    pub merged: Merged,
    pub kept_name: String,
    pub removed_name: String,
}

/// The one contact a CONTACT argument names (an id or a phone number, as
/// `wicket contact export` takes it); a number several accounts know is
/// ambiguous: name the contact by id then.
pub fn resolve_one(store: &Store, arg: &str) -> Result<i64> {
    let ids = crate::contact_data::resolve(store, arg)?;
    match ids.as_slice() {
        [one] => Ok(*one),
        many => Err(Error::Invalid(format!(
            "{arg:?} names {} contacts (one per account: {}): give the contact id instead (see `wicket contacts --json`)",
            many.len(),
            many.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn name(store: &Store, c: &Contact) -> Result<String> {
    Ok(contacts::display_name(c, &store.default_country()?))
}

/// Why two contacts cannot be merged, or nothing.
fn check(store: &Store, keep: &Contact, other: &Contact) -> Result<()> {
    if keep.id == other.id {
        return Err(Error::Invalid(format!("cannot merge contact {} with itself: pick two different contacts", keep.id)));
    }
    if keep.account_id != other.account_id {
        let acc = |id: i64| store.account(id).map(|a| a.name).unwrap_or_else(|_| format!("account {id}"));
        return Err(Error::Invalid(format!(
            "cannot merge {} and {}: they belong to different accounts ({} and {}), and contacts are kept per account (each account's messages go through its own number)",
            name(store, keep)?,
            name(store, other)?,
            acc(keep.account_id),
            acc(other.account_id)
        )));
    }
    if keep.is_group || other.is_group {
        let g = if keep.is_group { keep } else { other };
        return Err(Error::Invalid(format!("cannot merge {}: it is a group, and only people's contacts can be merged", name(store, g)?)));
    }
    Ok(())
}

/// Merges contact `other` into `keep`: every message, note, label, reminder,
/// snooze and opt-out joins `keep`, which answers to both contacts' keys from
/// now on. Replaces the undo record of any earlier merge.
pub fn merge(store: &mut Store, keep: i64, other: i64) -> Result<MergeOutcome> {
    let k = store.contact(keep)?;
    let o = store.contact(other)?;
    check(store, &k, &o)?;
    let (kept_name, removed_name) = (name(store, &k)?, name(store, &o)?);
    let merged = store.write(|tx| sql::merge(tx, keep, other))?;
    tracing::info!(kept = keep, removed = other, messages = merged.messages_moved, "contacts merged");
    Ok(MergeOutcome { merged, kept_name, removed_name })
}

/// Undoes the latest merge (`merge_id` names the one the caller expects:
/// an earlier merge can no longer be undone once another followed).
pub fn undo(store: &mut Store, merge_id: Option<i64>) -> Result<Undone> {
    store.write(|tx| {
        let latest = sql::undoable(tx)?;
        let Some((id, record)) = latest else {
            return Err(match merge_id {
                Some(m) if sql::merge_exists(tx, m)? => {
                    Error::Invalid(format!("merge {m} can no longer be undone: it was undone already or a later merge replaced it"))
                }
                Some(m) => Error::NotFound(format!("no merge with id {m}")),
                None => Error::Invalid("there is no merge to undo: only the latest merge can be undone, once".into()),
            });
        };
        if let Some(m) = merge_id.filter(|m| *m != id) {
            if !sql::merge_exists(tx, m)? {
                return Err(Error::NotFound(format!("no merge with id {m}")));
            }
            return Err(Error::Invalid(format!(
                "merge {m} can no longer be undone: a later merge ({id}) replaced its undo record (only the latest merge can be undone)"
            )));
        }
        sql::undo(tx, id, &record)
    })
}

/// The merge an undo would revert now: (merge id, kept id, removed id).
pub fn undoable(store: &Store) -> Result<Option<(i64, i64, i64)>> {
    Ok(sql::undoable(store.conn())?.map(|(id, rec)| {
        let get = |r: &sql::Row| r.get("id").and_then(serde_json::Value::as_i64).unwrap_or_default();
        (id, get(&rec.kept_contact), get(&rec.removed_contact))
    }))
}

/// The merge that can still be undone when `contact` is the one it kept:
/// (merge id, the removed contact's name as it was). The contact panel
/// offers Undo from this until the next merge, also after it was closed.
pub fn undo_offer(store: &Store, contact: i64) -> Result<Option<(i64, String)>> {
    let Some((id, rec)) = sql::undoable(store.conn())? else { return Ok(None) };
    let field = |k: &str| rec.kept_contact.get(k).and_then(serde_json::Value::as_i64);
    if field("id") != Some(contact) {
        return Ok(None);
    }
    let r = &rec.removed_contact;
    let text = |k: &str| r.get(k).and_then(serde_json::Value::as_str);
    let parts = contacts::NameParts {
        verified_name: text("verified_name"),
        saved_name: text("saved_name"),
        profile_name: text("profile_name"),
        company: text("company"),
        phone: text("phone"),
        provider_user_id: text("provider_user_id"),
    };
    Ok(Some((id, contacts::display_name_of(&parts, &store.default_country()?))))
}

/// The owner says `a` and `b` are not the same person: never suggested again.
pub fn dismiss(store: &mut Store, a: i64, b: i64) -> Result<()> {
    let (x, y) = (store.contact(a)?, store.contact(b)?);
    if x.id == y.id {
        return Err(Error::Invalid("name two different contacts to dismiss a suggestion".into()));
    }
    store.write(|tx| sql::dismiss(tx, a, b))
}
