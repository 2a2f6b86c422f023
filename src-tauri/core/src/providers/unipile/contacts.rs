//! UniPile contacts: the attendees of the account's chats.

use super::client::{UnipileClient, MAX_LIST_PAGES};
use super::mapping::{contact_for, string, truthy, Jid};
use crate::error::Result;
use crate::providers::SyncedContact;

impl UnipileClient {
    /// Every attendee of the account's chats (all pages) as contacts; the
    /// owner's own entry is skipped. Names are the WhatsApp display names
    /// UniPile reports (profile names, never the owner's saved names).
    pub async fn contacts(&self) -> Result<Vec<SyncedContact>> {
        let account_id = self.require_account()?.to_string();
        let all = self.list_all(&["chat_attendees"], &[("account_id", &account_id)], "listing the contacts", MAX_LIST_PAGES).await?;
        let mut out = vec![];
        for a in all {
            if truthy(a.get("is_self")) {
                continue;
            }
            let Some(jid) = string(a.get("provider_id")).and_then(|p| Jid::parse(&p)) else {
                tracing::debug!("skipped a UniPile attendee without a provider id");
                continue;
            };
            let (key, mut update) = contact_for(&jid, string(a.get("name")), false);
            update.profile_picture_url = string(a.get("picture_url"));
            update.raw = Some(a.clone());
            update.synced = true;
            out.push(SyncedContact { key, update });
        }
        Ok(out)
    }
}
