//! The outbox: every outgoing message is queued in the store first
//! (`pending`, with its `send_request`), then sent by whoever runs the
//! engine, or by `wicket send` itself when no engine runs.
//!
//! Rules kept here: Meta's customer-service window is checked before a
//! message is queued (only templates may open a conversation); template
//! parameters are checked against the synced template; retryable provider
//! errors are retried with exponential backoff, terminal ones mark the
//! message failed with the provider's reason.

use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::{Direction, MessageKind, MessageStatus, Origin, Provider};
use crate::phone;
use crate::providers::{meta, OutgoingContent, OutgoingMessage, ProviderClient};
use crate::secrets::SecretStore;
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::store::messages::{Message, NewMessage};
use crate::store::{contacts, conversations, messages, Account, Store};
use crate::time::now_ms;
use std::time::Duration;

/// How long `send` keeps retrying retryable errors before giving up.
pub const RETRY_BUDGET: Duration = Duration::from_secs(60);

/// How long one send attempt holds its claim on a message. Longer than any
/// provider request may take (uploads included), so a live sender never
/// loses its claim; a sender that died mid-send is retried after it.
pub const SEND_LEASE: Duration = Duration::from_secs(180);

/// Messages per second per account unless its config sets `max_per_second`:
/// Meta's lowest tier (numbers shared with the WhatsApp Business app).
pub const DEFAULT_MAX_PER_SECOND: u32 = 20;

type Limiter = governor::DefaultDirectRateLimiter;
type Limiters = std::sync::Mutex<std::collections::HashMap<(i64, u32), std::sync::Arc<Limiter>>>;

/// One limiter per account, shared by every sender in this process (only
/// one process sends at a time: the engine, or `wicket send` when none runs).
fn limiter_for(account_id: i64, per_second: u32) -> std::sync::Arc<Limiter> {
    use std::sync::{Arc, OnceLock};
    static LIMITERS: OnceLock<Limiters> = OnceLock::new();
    let map = LIMITERS.get_or_init(Limiters::default);
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let quota = governor::Quota::per_second(std::num::NonZeroU32::new(per_second.max(1)).unwrap_or(std::num::NonZeroU32::MIN));
    map.entry((account_id, per_second)).or_insert_with(|| Arc::new(governor::RateLimiter::direct(quota))).clone()
}

/// Backoff before attempt `n` (1-based): 1 s, 2 s, 4 s, ... capped at 30 s.
pub fn backoff(attempt: i64, retry_after: Option<u64>) -> Duration {
    let exp = Duration::from_secs(1u64 << attempt.clamp(0, 5) as u32).min(Duration::from_secs(30));
    match retry_after {
        Some(s) => exp.max(Duration::from_secs(s)),
        None => exp,
    }
}

fn kind_of(content: &OutgoingContent) -> MessageKind {
    match content {
        OutgoingContent::Text { .. } => MessageKind::Text,
        OutgoingContent::Media { kind, .. } => *kind,
        OutgoingContent::Location { .. } => MessageKind::Location,
        OutgoingContent::Contacts { .. } => MessageKind::Contacts,
        OutgoingContent::Reaction { .. } => MessageKind::Reaction,
        OutgoingContent::Interactive { .. } => MessageKind::Interactive,
        OutgoingContent::Template { .. } => MessageKind::Template,
    }
}

/// Queues a message to `to` (a phone number in any common format) and
/// returns the stored row. Refuses locally what the provider would refuse.
pub fn queue(store: &mut Store, account: &Account, to: &str, content: OutgoingContent, reply_to: Option<i64>) -> Result<Message> {
    let country = store.default_country()?;
    let number = phone::parse(to, &country)?;
    let key = ContactKey::phone(number.as_str());
    let conversation_id = store.write(|tx| {
        let contact_id = contacts::upsert(tx, account.id, &key, &ContactUpdate { wa_id: Some(number.digits().to_string()), ..Default::default() })?;
        conversations::get_or_create(tx, account.id, contact_id)
    })?;
    queue_in_conversation(store, conversation_id, content, reply_to)
}

/// Queues a message into an existing conversation (a contact by number or
/// opaque id, or a group), checking what the provider would refuse.
pub fn queue_in_conversation(store: &mut Store, conversation_id: i64, content: OutgoingContent, reply_to: Option<i64>) -> Result<Message> {
    queue_with_media(store, conversation_id, content, reply_to, None)
}

/// [`queue_in_conversation`] with the media record of an attachment kept in
/// the media folder (`media::queue_attachment`), so the sent bubble shows it.
pub fn queue_with_media(
    store: &mut Store,
    conversation_id: i64,
    mut content: OutgoingContent,
    reply_to: Option<i64>,
    media_id: Option<i64>,
) -> Result<Message> {
    let conversation = store.conversation(conversation_id)?;
    let account = store.account(conversation.account_id)?;
    let contact = &conversation.contact;
    let to = contact
        .phone
        .clone()
        .or_else(|| contact.jid.clone())
        .or_else(|| contact.provider_user_id.clone())
        .ok_or_else(|| Error::Invalid(format!("conversation {conversation_id} has no address to send to")))?;
    let reply_to_provider_id = match reply_to {
        Some(id) => {
            let m = store.message(id)?;
            Some(m.provider_message_id.ok_or_else(|| Error::Invalid(format!("message {id} has no provider id yet: it cannot be quoted")))?)
        }
        None => None,
    };
    if let OutgoingContent::Template { name, language, header_params, body_params, button_params } = &mut content {
        if account.provider != Provider::Meta {
            return Err(Error::Invalid("templates are a Meta Cloud API feature; gateway accounts send free text at any time".into()));
        }
        let template = store.template(account.id, name, language)?;
        let (header, body) = meta::templates::fit_params(&template, std::mem::take(header_params), std::mem::take(body_params));
        (*header_params, *body_params) = (header, body);
        meta::templates::check_params(&template, header_params, body_params, button_params)?;
        for p in header_params.iter() {
            if let crate::providers::TemplateParam::Media { source: crate::providers::MediaSource::Path(path), .. } = p {
                if !path.is_file() {
                    return Err(Error::Invalid(format!("no such file for the template header: {}", path.display())));
                }
            }
        }
    }
    if let OutgoingContent::Media { source: crate::providers::MediaSource::Path(p), .. } = &content {
        if !p.is_file() {
            return Err(Error::Invalid(format!("no such file: {}", p.display())));
        }
    }
    let now = now_ms();
    let kind = kind_of(&content);
    check_window(&account, &conversation, kind, now)?;
    let (text, caption) = match &content {
        OutgoingContent::Text { body, .. } => (Some(body.clone()), None),
        OutgoingContent::Media { caption, .. } => (None, caption.clone()),
        OutgoingContent::Template { name, .. } => (Some(format!("[template {name}]")), None),
        _ => (None, None),
    };
    let request = OutgoingMessage {
        to,
        content: content.clone(),
        reply_to_provider_id: reply_to_provider_id.clone(),
        wicket_id: 0,
        chat_id: conversation.provider_chat_id.clone(),
        to_group: contact.is_group,
    };
    let new = NewMessage {
        account_id: account.id,
        conversation_id,
        direction: Some(Direction::Out),
        origin: Some(Origin::App),
        kind: Some(kind),
        text,
        caption,
        location: match &content {
            OutgoingContent::Location { latitude, longitude, name, address } => {
                Some(serde_json::json!({ "latitude": latitude, "longitude": longitude, "name": name, "address": address }))
            }
            _ => None,
        },
        contacts: match &content {
            OutgoingContent::Contacts { contacts } => Some(contacts.clone()),
            _ => None,
        },
        template: match &content {
            OutgoingContent::Template { .. } => serde_json::to_value(&content).ok(),
            _ => None,
        },
        interactive: match &content {
            OutgoingContent::Interactive { interactive } => Some(interactive.clone()),
            _ => None,
        },
        reply_to_provider_id,
        status: Some(MessageStatus::Pending),
        timestamp: Some(now),
        send_request: Some(serde_json::to_value(&request).map_err(|e| Error::Internal(e.to_string()))?),
        media_id,
        ..Default::default()
    };
    let id = store.write(|tx| messages::insert(tx, &new))?.id();
    store.message(id)
}

/// Meta refuses anything but a template outside the 24-hour window: refused
/// here first, with the same error Meta gives.
fn check_window(account: &Account, conversation: &crate::store::Conversation, kind: MessageKind, now: i64) -> Result<()> {
    if account.provider == Provider::Meta && kind != MessageKind::Template && conversation.window_expires_at.is_none_or(|w| w <= now) {
        return Err(Error::Provider(ProviderError {
            code: Some("131047".into()),
            kind: ErrorKind::OutsideWindow,
            message: "outside the 24-hour customer-service window: send an approved template".into(),
            retry_after: None,
        }));
    }
    Ok(())
}

/// The owner asked to send failed message `id` again: it goes back to
/// `pending` with a fresh attempt count, after the same checks as a new send
/// (a closed Meta window still refuses free text). Only a failed message we
/// queued ourselves can be retried: one sent from the phone has no request.
pub fn retry(store: &mut Store, id: i64) -> Result<Message> {
    let m = store.message(id)?;
    if m.direction != Direction::Out || m.status != MessageStatus::Failed {
        return Err(Error::Invalid(format!("message {id} has not failed: only a failed outgoing message can be sent again")));
    }
    let request: OutgoingMessage = m
        .send_request
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| Error::Invalid(format!("message {id} was not sent from Wicket (or is too old to resend): copy its text into a new message")))?;
    let conversation = store.conversation(m.conversation_id)?;
    let account = store.account(m.account_id)?;
    check_window(&account, &conversation, m.kind, now_ms())?;
    match &request.content {
        OutgoingContent::Template { name, language, header_params, body_params, button_params } => {
            let template = store.template(account.id, name, language)?;
            meta::templates::check_params(&template, header_params, body_params, button_params)?;
        }
        OutgoingContent::Media { source: crate::providers::MediaSource::Path(p), .. } if !p.is_file() => {
            return Err(Error::Invalid(format!("the attachment {} is gone: attach it again", p.display())));
        }
        _ => {}
    }
    // `failed` is final for status reports; the owner's retry is the one way back.
    store.write(|tx| {
        tx.execute(
            "UPDATE messages SET status = 'pending', attempts = 0, next_attempt_at = NULL, error_code = NULL, error_kind = NULL, error_message = NULL
             WHERE id = ?1 AND status = 'failed'",
            [id],
        )?;
        Ok(())
    })?;
    store.message(id)
}

/// The outcome of one send attempt.
#[derive(Debug)]
pub enum Attempt {
    Sent(Message),
    /// A terminal error: the message is now `failed`.
    Failed(Message, ProviderError),
    /// A retryable error: try again after the delay.
    Retry(ProviderError, Duration),
    /// Another process holds the send right now; nothing was sent from here.
    Claimed(Message),
}

/// Sends message `id` once with `client`, recording the outcome in the store.
pub async fn attempt(store: &mut Store, client: &ProviderClient, id: i64) -> Result<Attempt> {
    let m = store.message(id)?;
    if !matches!(m.status, MessageStatus::Pending | MessageStatus::Sending) {
        return Ok(Attempt::Sent(m));
    }
    let mut request: OutgoingMessage =
        m.send_request.clone().and_then(|v| serde_json::from_value(v).ok()).ok_or_else(|| Error::Internal(format!("message {id} has no send request")))?;
    request.wicket_id = id;
    // A chat an earlier send started (UniPile) is used from then on.
    if request.chat_id.is_none() {
        request.chat_id = store.conversation(m.conversation_id)?.provider_chat_id;
    }
    let template = match &request.content {
        OutgoingContent::Template { name, language, .. } => store.template(m.account_id, name, language).ok(),
        _ => None,
    };
    let account = store.account(m.account_id)?;
    let per_second = account.config.get("max_per_second").and_then(|v| v.as_u64()).map(|v| v as u32).unwrap_or(DEFAULT_MAX_PER_SECOND);
    limiter_for(m.account_id, per_second).until_ready().await;
    if !store.claim_for_sending(id, now_ms(), SEND_LEASE.as_millis() as i64)? {
        // Another process (the engine, or a `wicket send`) is sending it now.
        return Ok(Attempt::Claimed(store.message(id)?));
    }
    match client.send(&request, template.as_ref()).await {
        Ok(receipt) => {
            store.write(|tx| {
                messages::set_provider_id(tx, id, &receipt.provider_message_id)?;
                messages::apply_status(tx, id, MessageStatus::Sent, now_ms(), None)?;
                tx.execute(
                    "UPDATE messages SET send_request = NULL, attempts = attempts + 1, provider_send_id = ?2 WHERE id = ?1",
                    rusqlite::params![id, receipt.provider_send_id],
                )?;
                if let Some(chat_id) = &receipt.chat_id {
                    tx.execute(
                        "UPDATE conversations SET provider_chat_id = ?2 WHERE id = ?1 AND provider_chat_id IS NULL",
                        rusqlite::params![m.conversation_id, chat_id],
                    )?;
                }
                if let Some(wa_id) = &receipt.recipient_id {
                    // Key the conversation by the wa_id the provider reports.
                    tx.execute(
                        "UPDATE contacts SET wa_id = ?2 WHERE id = (SELECT contact_id FROM conversations WHERE id = ?1)",
                        rusqlite::params![m.conversation_id, wa_id],
                    )?;
                }
                Ok(())
            })?;
            Ok(Attempt::Sent(store.message(id)?))
        }
        Err(Error::Provider(pe)) if pe.kind.is_retryable() => {
            let delay = backoff(m.attempts + 1, pe.retry_after);
            // Back to pending: `sending` never moves backwards, so write it directly.
            store.write(|tx| {
                tx.execute(
                    "UPDATE messages SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?2, error_code = ?3, error_kind = ?4, error_message = ?5 WHERE id = ?1",
                    rusqlite::params![id, now_ms() + delay.as_millis() as i64, pe.code, pe.kind.as_str(), pe.message],
                )?;
                Ok(())
            })?;
            Ok(Attempt::Retry(pe, delay))
        }
        Err(Error::Provider(pe)) => {
            store.set_message_status(id, MessageStatus::Failed, Some(&pe))?;
            Ok(Attempt::Failed(store.message(id)?, pe))
        }
        Err(other) => {
            // Not the provider's answer (a file vanished, a bad request we built):
            // fail the message with the reason rather than retrying forever.
            let pe = ProviderError { code: None, kind: ErrorKind::Unknown, message: other.to_string(), retry_after: None };
            store.set_message_status(id, MessageStatus::Failed, Some(&pe))?;
            Ok(Attempt::Failed(store.message(id)?, pe))
        }
    }
}

/// Sends message `id`, retrying retryable errors with backoff within
/// [`RETRY_BUDGET`]. Errors: `Provider` when refused, `RetriesExhausted`.
pub async fn send_with_retries(store: &mut Store, secrets: &SecretStore, id: i64, budget: Duration) -> Result<Message> {
    let m = store.message(id)?;
    let account = store.account(m.account_id)?;
    let client = ProviderClient::for_account(&account, secrets)?;
    let deadline = tokio::time::Instant::now() + budget;
    loop {
        match attempt(store, &client, id).await? {
            Attempt::Sent(m) => return Ok(m),
            Attempt::Failed(_, pe) => return Err(Error::Provider(pe)),
            Attempt::Claimed(_) => {
                // An engine started meanwhile and took it: its outcome is ours.
                let left = deadline.saturating_duration_since(tokio::time::Instant::now()) + SEND_LEASE;
                return wait_settled(store, id, left);
            }
            Attempt::Retry(pe, delay) => {
                if tokio::time::Instant::now() + delay > deadline {
                    let pe = ProviderError { message: format!("{} (gave up after {} s)", pe.message, budget.as_secs()), ..pe };
                    store.set_message_status(id, MessageStatus::Failed, Some(&pe))?;
                    return Err(Error::RetriesExhausted(pe));
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// The inverse of `OutgoingMessage` validation for the CLI's `--location`.
pub fn parse_location(s: &str) -> Result<(f64, f64)> {
    let bad = || Error::Invalid(format!("--location takes LAT,LON such as 51.5,-0.12; got {s:?}"));
    let (lat, lon) = s.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(bad());
    }
    Ok((lat, lon))
}

/// Waits until another process (the engine) has settled message `id`: sent
/// (or further), or failed. Errors like `send_with_retries` would.
pub fn wait_settled(store: &Store, id: i64, timeout: Duration) -> Result<Message> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let m = store.message(id)?;
        match m.status {
            MessageStatus::Pending | MessageStatus::Sending => {}
            MessageStatus::Failed => {
                let pe =
                    m.error.clone().unwrap_or(ProviderError { code: None, kind: ErrorKind::Unknown, message: "the send failed".into(), retry_after: None });
                return Err(if pe.message.contains("gave up after") { Error::RetriesExhausted(pe) } else { Error::Provider(pe) });
            }
            _ => return Ok(m),
        }
        if std::time::Instant::now() > deadline {
            return Err(Error::RetriesExhausted(ProviderError {
                code: None,
                kind: ErrorKind::Unavailable,
                message: format!("the engine did not settle message {id} in {} s; it stays queued", timeout.as_secs()),
                retry_after: None,
            }));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        assert_eq!(backoff(1, None), Duration::from_secs(2));
        assert!(backoff(10, None) <= Duration::from_secs(30));
        assert_eq!(backoff(1, Some(6)), Duration::from_secs(6));
    }

    #[test]
    fn locations_accept_negative_coordinates() {
        assert_eq!(parse_location("-33.86,151.2").unwrap(), (-33.86, 151.2));
        assert_eq!(parse_location("51.5, -0.12").unwrap(), (51.5, -0.12));
        assert!(parse_location("91,0").is_err());
        assert!(parse_location("x").is_err());
    }
}
