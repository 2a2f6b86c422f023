//! Syncing with a provider beyond single messages: contact lists (full, one
//! number, the contacts of some conversations, a nameless contact when its
//! conversation opens), profile pictures (lazily, within the provider's
//! picture rate limit) and polled messages (a persisted high-water mark).
//!
//! Each contact sync ends with a summary that is kept on the account, so the
//! owner can see when it last ran and how it went.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::ingest::{self, Applied};
use crate::providers::{ProviderClient, SyncedContact};
use crate::store::contacts::{self, ContactKey};
use crate::store::Store;
use crate::time::now_ms;
use serde::{Deserialize, Serialize};

/// The cursor name under which a polled account keeps its high-water mark.
pub const MESSAGES_CURSOR: &str = "messages";
/// The cursor of the background profile-picture walk (the last settled contact id).
pub const PICTURES_CURSOR: &str = "pictures";
/// Where the summary of the last partial contact sync (one number, some
/// conversations) is kept: it never replaces the last full sync's.
pub const PARTIAL_SYNC_CURSOR: &str = "contacts_partial_sync";
/// Profile pictures larger than this are not stored.
pub const MAX_PICTURE_BYTES: u64 = 5 * 1024 * 1024;
/// Picture requests per minute per account (WASender allows about 60).
pub const PICTURES_PER_MINUTE: u32 = 50;

/// What a contact sync did: the JSON fields of `wicket sync`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactSyncSummary {
    pub total_fetched: usize,
    pub successful_updates: usize,
    pub failed_updates: usize,
    pub contacts_with_names: usize,
    pub contacts_without_names: usize,
    /// Who could not be updated, and why.
    pub failures: Vec<String>,
    pub finished_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ContactSyncMode {
    /// Every contact the provider lists.
    Full,
    /// One number (E.164).
    One(String),
    /// The contacts of these conversations.
    Conversations(Vec<i64>),
}

fn has_name(c: &SyncedContact) -> bool {
    let named = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    named(&c.update.saved_name) || named(&c.update.profile_name) || named(&c.update.verified_name)
}

/// Syncs contacts of `account_id` from the provider into the store.
pub async fn sync_contacts(store: &mut Store, client: &ProviderClient, account_id: i64, mode: ContactSyncMode) -> Result<ContactSyncSummary> {
    let mut unusable: Vec<String> = vec![];
    let fetched: Vec<SyncedContact> = match &mode {
        ContactSyncMode::Full => {
            let list = client.contact_list().await?;
            unusable = list.unusable;
            list.contacts
        }
        ContactSyncMode::One(phone) => client.contact(phone).await?.into_iter().collect(),
        ContactSyncMode::Conversations(ids) => {
            let mut out = vec![];
            for id in ids {
                let conv = store.conversation(*id)?;
                if conv.account_id != account_id {
                    return Err(Error::Invalid(format!("conversation {id} is not on account {account_id}")));
                }
                if let Some(phone) = &conv.contact.phone {
                    out.extend(client.contact(phone).await?);
                }
            }
            out
        }
    };
    // Entries the provider listed but that name no usable contact count as
    // fetched and failed, so the summary adds up to what the provider sent.
    let mut summary = ContactSyncSummary {
        total_fetched: fetched.len() + unusable.len(),
        failed_updates: unusable.len(),
        failures: unusable.iter().map(|u| format!("{u}: no usable WhatsApp id")).collect(),
        ..Default::default()
    };
    for c in &fetched {
        let result = store.write(|tx| contacts::upsert(tx, account_id, &c.key, &c.update));
        match result {
            Ok(_) => {
                summary.successful_updates += 1;
                if has_name(c) {
                    summary.contacts_with_names += 1;
                } else {
                    summary.contacts_without_names += 1;
                }
            }
            Err(e) => {
                summary.failed_updates += 1;
                let who = c.key.phone.clone().or_else(|| c.key.provider_user_id.clone()).unwrap_or_default();
                summary.failures.push(format!("{who}: {e}"));
            }
        }
    }
    summary.finished_at = now_ms();
    let value = serde_json::to_value(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    if mode == ContactSyncMode::Full {
        // The account's last sync is its last full one: it times the periodic sync.
        store.record_sync(account_id, &value)?;
    } else {
        store.set_cursor(account_id, PARTIAL_SYNC_CURSOR, &value.to_string())?;
    }
    Ok(summary)
}

/// When the owner opens a conversation whose contact has no name, ask the
/// provider for one. Returns whether a name was found.
pub async fn enrich_if_nameless(store: &mut Store, client: &ProviderClient, conversation_id: i64) -> Result<bool> {
    let Some((account_id, phone)) = nameless_phone(store, conversation_id)? else { return Ok(false) };
    let Some(found) = client.contact(&phone).await? else { return Ok(false) };
    save_looked_up(store, account_id, &phone, &found)
}

/// The account and number of the conversation's contact when it has no name
/// (and is not a group): what [`enrich_if_nameless`] would look up.
pub fn nameless_phone(store: &Store, conversation_id: i64) -> Result<Option<(i64, String)>> {
    let conv = store.conversation(conversation_id)?;
    let c = &conv.contact;
    let named = [&c.saved_name, &c.profile_name, &c.verified_name].iter().any(|n| n.as_deref().is_some_and(|n| !n.trim().is_empty()));
    match c.phone.clone() {
        Some(phone) if !named && !c.is_group => Ok(Some((conv.account_id, phone))),
        _ => Ok(None),
    }
}

/// Stores what a contact lookup found; whether it brought a name.
pub fn save_looked_up(store: &mut Store, account_id: i64, phone: &str, found: &SyncedContact) -> Result<bool> {
    store.write(|tx| contacts::upsert(tx, account_id, &ContactKey::phone(phone.to_string()), &found.update))?;
    Ok(has_name(found))
}

/// What fetching a profile picture did.
#[derive(Debug, Clone, PartialEq)]
pub enum Picture {
    /// Stored at this path, relative to the data dir.
    Stored(String),
    /// The contact has none (or no number to ask with).
    None,
    /// The picture rate limit is spent for now (only when not waiting).
    Later,
}

/// Downloads and caches a contact's profile picture within the account's
/// picture rate limit: waiting for a permit when `wait` (a contact being
/// shown), or answering `Later` (background work must not stall).
pub async fn fetch_profile_picture(store: &mut Store, dir: &DataDir, client: &ProviderClient, contact_id: i64, wait: bool) -> Result<Picture> {
    let contact = store.contact(contact_id)?;
    // Cached: a shown contact costs no request once its picture is stored.
    if let Some(rel) = contact.profile_picture_path.as_deref().filter(|rel| dir.root().join(rel).is_file()) {
        return Ok(Picture::Stored(rel.to_string()));
    }
    let Some(phone) = contact.phone.clone() else { return Ok(Picture::None) };
    let limiter = picture_limiter(contact.account_id);
    if wait {
        limiter.until_ready().await;
    } else if limiter.check().is_err() {
        return Ok(Picture::Later);
    }
    let Some(bytes) = client.profile_picture(&phone, MAX_PICTURE_BYTES).await? else { return Ok(Picture::None) };
    let rel = format!("media/avatars/{}/{}.img", contact.account_id, contact.id);
    let path = dir.root().join(&rel);
    crate::datadir::write_private(&path, &bytes.bytes).map_err(|e| Error::io(format!("cannot store {}", path.display()), e))?;
    store.set_contact_picture_path(contact.id, Some(&rel))?;
    Ok(Picture::Stored(rel))
}

fn picture_limiter(account_id: i64) -> std::sync::Arc<governor::DefaultDirectRateLimiter> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Map = Mutex<HashMap<i64, Arc<governor::DefaultDirectRateLimiter>>>;
    static LIMITERS: OnceLock<Map> = OnceLock::new();
    let map = LIMITERS.get_or_init(Map::default);
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    let quota = governor::Quota::per_minute(std::num::NonZeroU32::new(PICTURES_PER_MINUTE).unwrap_or(std::num::NonZeroU32::MIN));
    map.entry(account_id).or_insert_with(|| Arc::new(governor::RateLimiter::direct(quota))).clone()
}

/// Polls new messages once and applies them with the new high-water mark in
/// one transaction, so a restart resumes exactly where this stopped.
///
/// Two pollers of one account (the engine and `wicket sync --messages`) may
/// race: the mark is compared with the stored one inside the transaction, so
/// it never moves backwards.
pub async fn poll_messages(store: &mut Store, client: &ProviderClient, account_id: i64) -> Result<Applied> {
    let high_water = store.cursor(account_id, MESSAGES_CURSOR)?.and_then(|c| c.parse::<i64>().ok());
    let page = client.poll(high_water).await?;
    store.write(|tx| {
        let applied = ingest::apply(tx, account_id, &page.events)?;
        let stored = crate::store::settings::cursor(tx, account_id, MESSAGES_CURSOR)?.and_then(|c| c.parse::<i64>().ok());
        if let Some(hw) = page.high_water.filter(|hw| Some(*hw) > stored) {
            crate::store::settings::set_cursor(tx, account_id, MESSAGES_CURSOR, &hw.to_string())?;
        }
        Ok(applied)
    })
}

/// Imports every chat the provider lists (UniPile) as a conversation with
/// its contact or group, so chats without new messages appear too. Returns
/// how many chats were listed.
pub async fn import_chats(store: &mut Store, client: &ProviderClient, account_id: i64) -> Result<usize> {
    let chats = client.chats().await?;
    store.write(|tx| {
        for chat in &chats {
            let contact_id = contacts::upsert(tx, account_id, &chat.key, &chat.update)?;
            let conversation_id = crate::store::conversations::get_or_create(tx, account_id, contact_id)?;
            crate::store::conversations::set_provider_chat_id(tx, conversation_id, &chat.chat_id)?;
        }
        Ok(())
    })?;
    Ok(chats.len())
}

/// Keeps a UniPile account's fresh details (number, type, status, sources,
/// groups, raw answer) in its config. Returns whether anything changed; an
/// unchanged answer writes nothing.
pub fn apply_unipile_details(store: &mut Store, account_id: i64, fresh: &crate::providers::unipile::UnipileAccount) -> Result<bool> {
    let account = store.account(account_id)?;
    let details = fresh.details();
    let changed = account.config.get("details") != Some(&details) || account.phone != fresh.phone;
    if changed {
        let mut config = if account.config.is_object() { account.config.clone() } else { serde_json::json!({}) };
        config["details"] = details;
        store.update_account_config(account_id, &config)?;
        store.set_account_phone(account_id, fresh.phone.as_deref())?;
    }
    Ok(changed)
}
