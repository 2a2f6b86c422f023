//! What happens when the owner opens a conversation: it is marked read
//! locally at once; then, best effort, the provider is told (when the
//! `mark_read_on_provider` setting is on, the default) and a contact with no
//! name is enriched from a gateway's contact lookup.

use crate::error::Result;
use crate::model::Provider;
use crate::providers::{ProviderClient, SyncedContact};
use crate::secrets::SecretStore;
use crate::store::Store;

/// What opening did beyond the local read state.
#[derive(Debug, Default)]
pub struct Opened {
    /// Inbound messages newly marked read.
    pub marked_read: usize,
    /// Problems telling the provider or enriching, for a warning.
    pub warnings: Vec<String>,
    /// Whether a nameless contact got a name.
    pub enriched: bool,
}

/// Opens a conversation: marks it read here, then tells the provider and
/// names a nameless contact (best effort: problems become warnings).
pub async fn open_conversation(store: &mut Store, secrets: &SecretStore, conversation_id: i64) -> Result<Opened> {
    let (mut out, provider) = open_locally(store, secrets, conversation_id)?;
    if let Some(provider) = provider {
        let found = provider.call(&mut out.warnings).await;
        out.enriched = provider.save(store, found, &mut out.warnings)?;
    }
    Ok(out)
}

/// The local half of [`open_conversation`], for a caller that shares one
/// store connection (the window): it runs under the connection's lock, the
/// provider's half ([`ProviderSide::call`]) without it, so a slow provider
/// never holds up the other reads; then [`ProviderSide::save`] under the
/// lock again.
pub fn open_locally(store: &mut Store, secrets: &SecretStore, conversation_id: i64) -> Result<(Opened, Option<ProviderSide>)> {
    let ids = store.mark_conversation_read(conversation_id)?;
    let mut out = Opened { marked_read: ids.len(), ..Default::default() };
    let conv = store.conversation(conversation_id)?;
    let account = store.account(conv.account_id)?;
    let client = match ProviderClient::for_account(&account, secrets) {
        Ok(c) => c,
        Err(e) => {
            out.warnings.push(format!("the provider was not told: {e}"));
            return Ok((out, None));
        }
    };
    let tell_provider = store.setting("mark_read_on_provider")?.and_then(|v| v.as_bool()).unwrap_or(true);
    let mark_read = match (tell_provider, ids.into_iter().next()) {
        (true, Some(latest)) => Some((latest, conv.contact.jid.clone())),
        _ => None,
    };
    let lookup = if account.provider == Provider::Wasender { crate::sync::nameless_phone(store, conversation_id)? } else { None };
    Ok((out, Some(ProviderSide { client, mark_read, lookup })))
}

/// What opening a conversation asks of its provider, found by [`open_locally`].
pub struct ProviderSide {
    client: ProviderClient,
    /// The newest message newly read, and the chat it is in.
    mark_read: Option<(String, Option<String>)>,
    /// The nameless contact to look up: its account and number.
    lookup: Option<(i64, String)>,
}

impl ProviderSide {
    /// Tells the provider the chat was read and looks the nameless contact
    /// up; needs no store. Problems become warnings.
    pub async fn call(&self, warnings: &mut Vec<String>) -> Option<SyncedContact> {
        if let Some((latest, jid)) = &self.mark_read {
            if let Err(e) = self.client.mark_read(latest, jid.as_deref()).await {
                warnings.push(format!("could not mark read on the provider: {e}"));
            }
        }
        let (_, phone) = self.lookup.as_ref()?;
        match self.client.contact(phone).await {
            Ok(found) => found,
            Err(e) => {
                warnings.push(format!("could not look up the contact's name: {e}"));
                None
            }
        }
    }

    /// Stores the contact [`ProviderSide::call`] found; whether it got a name.
    pub fn save(&self, store: &mut Store, found: Option<SyncedContact>, warnings: &mut Vec<String>) -> Result<bool> {
        let (Some((account_id, phone)), Some(found)) = (&self.lookup, found) else { return Ok(false) };
        match crate::sync::save_looked_up(store, *account_id, phone, &found) {
            Ok(named) => Ok(named),
            Err(e) => {
                warnings.push(format!("could not look up the contact's name: {e}"));
                Ok(false)
            }
        }
    }
}
