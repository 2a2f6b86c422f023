//! The typing indicator: while the owner types an answer to a customer who
//! is waiting, Meta shows the customer "typing…" (and marks their message
//! read: Meta's read receipt with `typing_indicator`). The composer calls
//! [`owner_typing`] on every input; the throttle lives here, in the store,
//! so no window or process sends it more than once per [`INTERVAL_MS`] per
//! conversation. Off with the `typing_indicator` setting (on by default)
//! and whenever read receipts are off (`mark_read_on_provider`), since it
//! marks the message read.

use crate::error::Result;
use crate::model::Provider;
use crate::providers::meta::MetaClient;
use crate::providers::ProviderClient;
use crate::secrets::SecretStore;
use crate::store::Store;
use crate::time::now_ms;

/// The setting's key (a bool, default true).
pub const SETTING: &str = "typing_indicator";
/// Meta shows the indicator for 25 s: once per 20 s keeps it up while typing.
pub const INTERVAL_MS: i64 = 20_000;

/// What a keystroke did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Typing {
    /// The indicator was sent.
    Sent,
    /// Sent less than 20 s ago in this conversation.
    TooSoon,
    /// The setting (or read receipts) is off.
    Off,
    /// The customer's last message was already answered (or there is none).
    NothingToAnswer,
    /// Not a Meta one-to-one chat (the gateways and groups have no such call).
    NotSupported,
}

/// Whether the owner wants it (and read receipts, which it sends too).
pub fn enabled(store: &Store) -> Result<bool> {
    let flag = |key: &str| -> Result<bool> { Ok(store.setting(key)?.and_then(|v| v.as_bool()).unwrap_or(true)) };
    Ok(flag(SETTING)? && flag("mark_read_on_provider")?)
}

/// The owner typed in the conversation: send the indicator if it is due.
pub async fn owner_typing(store: &mut Store, secrets: &SecretStore, conversation_id: i64) -> Result<Typing> {
    owner_typing_at(store, secrets, conversation_id, now_ms()).await
}

/// [`owner_typing`] at `now` (Unix ms).
pub async fn owner_typing_at(store: &mut Store, secrets: &SecretStore, conversation_id: i64, now: i64) -> Result<Typing> {
    match claim(store, secrets, conversation_id, now)? {
        Due::Done(t) => Ok(t),
        Due::Send(send) => match send.send().await {
            Ok(()) => Ok(Typing::Sent),
            Err(e) => {
                send.release(store)?;
                Err(e)
            }
        },
    }
}

/// What a keystroke leads to: an answer at once, or an indicator to send.
pub enum Due {
    Done(Typing),
    // Boxed: the client is large and most keystrokes answer at once.
    Send(Box<TypingSend>),
}

/// The store half of [`owner_typing_at`], for a caller that shares one store
/// connection (the window): it decides and claims the slot under the
/// connection's lock; [`TypingSend::send`] then runs without it.
pub fn claim(store: &mut Store, secrets: &SecretStore, conversation_id: i64, now: i64) -> Result<Due> {
    if !enabled(store)? {
        return Ok(Due::Done(Typing::Off));
    }
    let conv = store.conversation(conversation_id)?;
    let account = store.account(conv.account_id)?;
    if account.provider != Provider::Meta || conv.contact.is_group {
        return Ok(Due::Done(Typing::NotSupported));
    }
    let Some(message_id) = store.unanswered_message(conversation_id)? else { return Ok(Due::Done(Typing::NothingToAnswer)) };
    // Claimed before sending, so two windows typing at once send it once.
    if !store.claim_typing(conversation_id, now, INTERVAL_MS)? {
        return Ok(Due::Done(Typing::TooSoon));
    }
    match ProviderClient::for_account(&account, secrets) {
        Ok(ProviderClient::Meta(client)) => Ok(Due::Send(Box::new(TypingSend { client, message_id, conversation_id, now }))),
        Ok(_) => Ok(Due::Done(Typing::NotSupported)),
        Err(e) => {
            store.release_typing(conversation_id, now)?;
            Err(e)
        }
    }
}

/// A claimed indicator, to send.
pub struct TypingSend {
    client: MetaClient,
    message_id: String,
    conversation_id: i64,
    now: i64,
}

impl TypingSend {
    pub async fn send(&self) -> Result<()> {
        self.client.typing_indicator(&self.message_id).await
    }

    /// Gives the slot back after a failed send (the next keystroke tries again).
    pub fn release(&self, store: &mut Store) -> Result<()> {
        store.release_typing(self.conversation_id, self.now)
    }
}
