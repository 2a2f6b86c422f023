//! What happens when the owner opens a conversation: it is marked read
//! locally at once; then, best effort, the provider is told (when the
//! `mark_read_on_provider` setting is on, the default) and a contact with no
//! name is enriched from a gateway's contact lookup.

use crate::error::Result;
use crate::model::Provider;
use crate::providers::ProviderClient;
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

pub async fn open_conversation(store: &mut Store, secrets: &SecretStore, conversation_id: i64) -> Result<Opened> {
    let ids = store.mark_conversation_read(conversation_id)?;
    let mut out = Opened { marked_read: ids.len(), ..Default::default() };
    let conv = store.conversation(conversation_id)?;
    let account = store.account(conv.account_id)?;
    let client = match ProviderClient::for_account(&account, secrets) {
        Ok(c) => c,
        Err(e) => {
            out.warnings.push(format!("the provider was not told: {e}"));
            return Ok(out);
        }
    };
    let tell_provider = store.setting("mark_read_on_provider")?.and_then(|v| v.as_bool()).unwrap_or(true);
    if let (true, Some(latest)) = (tell_provider, ids.first()) {
        if let Err(e) = client.mark_read(latest, conv.contact.jid.as_deref()).await {
            out.warnings.push(format!("could not mark read on the provider: {e}"));
        }
    }
    if account.provider == Provider::Wasender {
        match crate::sync::enrich_if_nameless(store, &client, conversation_id).await {
            Ok(found) => out.enriched = found,
            Err(e) => out.warnings.push(format!("could not look up the contact's name: {e}")),
        }
    }
    Ok(out)
}
