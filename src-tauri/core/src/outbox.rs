//! The outbox: every outgoing message is queued in the store first
//! (`pending`, with its `send_request`), then sent by whoever runs the
//! engine, or by `wicket send` itself when no engine runs.
//!
//! Rules kept here: Meta's customer-service window is checked before a
//! message is queued (only templates may open a conversation); template
//! parameters are checked against the synced template; a message takes its
//! slot under the account's rate limits (`ratelimit`) before it is claimed,
//! so waiting for it leaves it `pending`; retryable provider errors are
//! retried with exponential backoff (a `Retry-After` counts, up to
//! [`MAX_RETRY_AFTER`]; a throttling provider pauses the whole account),
//! terminal ones mark the message failed with the provider's reason.
//!
//! Never doubled, never lost:
//! - a send is claimed (`sending`) before its request, and the claim's lease
//!   is renewed while the request runs, however long an upload takes;
//! - once the provider accepted a message, `sent` and its provider id are
//!   the first thing written, alone, retried while the store is busy;
//! - a send whose outcome cannot be known (the connection broke after the
//!   request was written, or the sender died and its lease ran out) becomes
//!   `unknown` and is never sent again blindly: a provider report settles it
//!   ([`settle_unknown`], Meta's status webhook), or the owner resends it
//!   ([`retry`]).

use crate::error::{Error, ErrorKind, ProviderError, Result};
use crate::model::{Direction, MessageKind, MessageStatus, Origin, Provider};
use crate::phone;
use crate::providers::{meta, OutgoingContent, OutgoingMessage, ProviderClient, SendReceipt, UnknownSend};
use crate::ratelimit::{self, Wait};
use crate::secrets::SecretStore;
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::store::messages::{Message, NewMessage};
use crate::store::{contacts, conversations, messages, send_log, Account, Store};
use crate::time::now_ms;
use std::time::Duration;

/// How long `send` keeps retrying retryable errors before giving up.
pub const RETRY_BUDGET: Duration = Duration::from_secs(60);

/// How long one send attempt's claim on a message lasts without renewal.
/// The sender renews it every [`LEASE_RENEWAL`] while its request runs (an
/// upload may take [`crate::providers::http::transfer_timeout`], 860 s for
/// 100 MB), so a live sender never loses it; when a sender dies mid-send
/// the lease runs out and the send becomes `unknown`, never sent again.
pub const SEND_LEASE: Duration = Duration::from_secs(90);

/// How often a running send renews its lease: a third of it, so two
/// renewals may fail (a busy store) before the claim could lapse.
pub const LEASE_RENEWAL: Duration = Duration::from_secs(30);

/// How long the outbox keeps trying to record an accepted send while the
/// store is busy (each try also waits the store's busy timeout).
pub const ACCEPTED_WRITE_DEADLINE: Duration = Duration::from_secs(60);

/// The longest a provider's `Retry-After` is honoured: a larger (or absurd)
/// value waits this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The claim and write timings of a send; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct SendTiming {
    pub lease: Duration,
    pub renew_every: Duration,
    pub accepted_write_deadline: Duration,
    /// The first backoff step (1 s): 1, 2, 4 ... 30 of them. A provider's
    /// `Retry-After` is in real seconds whatever this is.
    pub backoff_unit: Duration,
}

impl Default for SendTiming {
    fn default() -> SendTiming {
        SendTiming { lease: SEND_LEASE, renew_every: LEASE_RENEWAL, accepted_write_deadline: ACCEPTED_WRITE_DEADLINE, backoff_unit: Duration::from_secs(1) }
    }
}

/// Backoff before attempt `n` (1-based): 1 s, 2 s, 4 s, ... capped at 30 s,
/// or the provider's `Retry-After` when longer, capped at [`MAX_RETRY_AFTER`]
/// (any value, however absurd, gives a bounded wait).
pub fn backoff(attempt: i64, retry_after: Option<u64>) -> Duration {
    backoff_in(Duration::from_secs(1), attempt, retry_after)
}

/// [`backoff`] counted in `unit`s instead of seconds.
pub fn backoff_in(unit: Duration, attempt: i64, retry_after: Option<u64>) -> Duration {
    let exp = (unit * (1u32 << attempt.clamp(0, 5) as u32)).min(unit * 30);
    match retry_after {
        Some(s) => exp.max(Duration::from_secs(s.min(MAX_RETRY_AFTER.as_secs()))),
        None => exp,
    }
}

pub(crate) fn kind_of(content: &OutgoingContent) -> MessageKind {
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
    let conversation_id = conversation_with(store, account, to)?;
    queue_in_conversation(store, conversation_id, content, reply_to)
}

/// The conversation of `account` with `to` (a phone number in any common
/// format), created with its contact when there is none yet.
pub fn conversation_with(store: &mut Store, account: &Account, to: &str) -> Result<i64> {
    let country = store.default_country()?;
    let number = phone::parse(to, &country)?;
    let key = ContactKey::phone(number.as_str());
    store.write(|tx| {
        let contact_id = contacts::upsert(tx, account.id, &key, &ContactUpdate { wa_id: Some(number.digits().to_string()), ..Default::default() })?;
        conversations::get_or_create(tx, account.id, contact_id)
    })
}

/// Queues a message into an existing conversation (a contact by number or
/// opaque id, or a group), checking what the provider would refuse.
pub fn queue_in_conversation(store: &mut Store, conversation_id: i64, content: OutgoingContent, reply_to: Option<i64>) -> Result<Message> {
    queue_with_media(store, conversation_id, content, reply_to, None)
}

/// [`queue_in_conversation`] with the media record of an attachment kept in
/// the media folder (`media::queue_attachment`), so the sent bubble shows it.
pub fn queue_with_media(store: &mut Store, conversation_id: i64, content: OutgoingContent, reply_to: Option<i64>, media_id: Option<i64>) -> Result<Message> {
    let reply_to_provider_id = quoted_provider_id(store, reply_to)?;
    let now = now_ms();
    let new =
        prepare(store, conversation_id, content, reply_to_provider_id, media_id, |account, conversation, kind| check_window(account, conversation, kind, now))?;
    let id = store.write(|tx| messages::insert(tx, &new))?.id();
    store.message(id)
}

/// The provider id of the message a reply quotes (a Wicket message id).
pub(crate) fn quoted_provider_id(store: &Store, reply_to: Option<i64>) -> Result<Option<String>> {
    match reply_to {
        Some(id) => {
            let m = store.message(id)?;
            Ok(Some(m.provider_message_id.ok_or_else(|| Error::Invalid(format!("message {id} has no provider id yet: it cannot be quoted")))?))
        }
        None => Ok(None),
    }
}

/// Checks what the provider would refuse (templates and their parameters,
/// files that must exist, and `window`, Meta's 24-hour rule at the time the
/// caller means) and builds the `pending` row for conversation `conversation_id`.
pub(crate) fn prepare(
    store: &Store,
    conversation_id: i64,
    mut content: OutgoingContent,
    reply_to_provider_id: Option<String>,
    media_id: Option<i64>,
    window: impl FnOnce(&Account, &crate::store::Conversation, MessageKind) -> Result<()>,
) -> Result<NewMessage> {
    let conversation = store.conversation(conversation_id)?;
    let account = store.account(conversation.account_id)?;
    address(&conversation)?;
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
    window(&account, &conversation, kind_of(&content))?;
    build(&conversation, content, reply_to_provider_id, media_id, now_ms())
}

/// Where a conversation's messages go: its number, JID or provider id.
fn address(conversation: &crate::store::Conversation) -> Result<String> {
    let contact = &conversation.contact;
    contact
        .phone
        .clone()
        .or_else(|| contact.jid.clone())
        .or_else(|| contact.provider_user_id.clone())
        .ok_or_else(|| Error::Invalid(format!("conversation {} has no address to send to", conversation.id)))
}

/// The `pending` row of a message with this content, unchecked: the caller
/// checked it ([`prepare`]), or stores it as failed (a scheduled message
/// too late to send), keeping its request so the owner can send it again.
pub(crate) fn build(
    conversation: &crate::store::Conversation,
    content: OutgoingContent,
    reply_to_provider_id: Option<String>,
    media_id: Option<i64>,
    now: i64,
) -> Result<NewMessage> {
    let contact = &conversation.contact;
    let kind = kind_of(&content);
    let (text, caption) = match &content {
        OutgoingContent::Text { body, .. } => (Some(body.clone()), None),
        OutgoingContent::Media { caption, .. } => (None, caption.clone()),
        OutgoingContent::Template { name, .. } => (Some(format!("[template {name}]")), None),
        _ => (None, None),
    };
    let request = OutgoingMessage {
        to: address(conversation)?,
        content: content.clone(),
        reply_to_provider_id: reply_to_provider_id.clone(),
        wicket_id: 0,
        chat_id: conversation.provider_chat_id.clone(),
        to_group: contact.is_group,
    };
    Ok(NewMessage {
        account_id: conversation.account_id,
        conversation_id: conversation.id,
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
    })
}

/// Meta refuses anything but a template outside the 24-hour window: refused
/// here first, with the same error Meta gives.
pub(crate) fn check_window(account: &Account, conversation: &crate::store::Conversation, kind: MessageKind, now: i64) -> Result<()> {
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

/// The owner asked to send message `id` again: a failed one, or one that
/// may have been sent (`unknown`: the owner checked, or accepts a double).
/// It goes back to `pending` with a fresh attempt count, after the same
/// checks as a new send (a closed Meta window still refuses free text).
/// Only a message we queued ourselves can be resent: one sent from the
/// phone has no request.
pub fn retry(store: &mut Store, id: i64) -> Result<Message> {
    let m = store.message(id)?;
    if m.direction != Direction::Out || !matches!(m.status, MessageStatus::Failed | MessageStatus::Unknown) {
        return Err(Error::Invalid(format!(
            "message {id} is {}: only a failed outgoing message, or one that may have been sent (unknown), can be sent again",
            m.status
        )));
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
    // `failed` and `unknown` are final for the outbox; the owner's resend is the one way back.
    let changed = store.write(|tx| {
        Ok(tx.execute(
            "UPDATE messages SET status = 'pending', attempts = 0, next_attempt_at = NULL, error_code = NULL, error_kind = NULL, error_message = NULL
             WHERE id = ?1 AND status IN ('failed', 'unknown')",
            [id],
        )?)
    })?;
    if changed == 0 {
        return Err(Error::Invalid(format!("message {id} changed meanwhile (a status report settled it): look at it again")));
    }
    store.message(id)
}

/// The outcome of one send attempt.
#[derive(Debug)]
pub enum Attempt {
    Sent(Message),
    /// A terminal error: the message is (or already was) `failed`.
    Failed(Message, ProviderError),
    /// A retryable error: try again after the delay.
    Retry(ProviderError, Duration),
    /// Another process holds the send right now; nothing was sent from here.
    Claimed(Message),
    /// The send may have gone out, or its earlier sender died mid-request:
    /// the message is (or already was) `unknown`, and is not sent again.
    Unknown(Message, ProviderError),
    /// The account's own rate limits hold it back: nothing was claimed or
    /// sent; it stays `pending` and may go once the wait is over.
    Waiting(Wait),
}

/// The error a message carries, or `fallback` when it has none.
fn error_of(m: &Message, fallback: &str) -> ProviderError {
    m.error.clone().unwrap_or(ProviderError { code: None, kind: ErrorKind::Unknown, message: fallback.into(), retry_after: None })
}

/// Sends message `id` once with `client`, recording the outcome in the store.
pub async fn attempt(store: &mut Store, client: &ProviderClient, id: i64) -> Result<Attempt> {
    attempt_with(store, client, id, &SendTiming::default()).await
}

/// [`attempt`] with other claim and write timings.
pub async fn attempt_with(store: &mut Store, client: &ProviderClient, id: i64, timing: &SendTiming) -> Result<Attempt> {
    let m = store.message(id)?;
    match m.status {
        MessageStatus::Pending => {}
        MessageStatus::Sending => {
            // Its sender renews the claim while it runs: a claim that ran
            // out means the sender died mid-request. Never resent blindly.
            if store.expire_send(id, now_ms())? {
                let m = store.message(id)?;
                let pe = error_of(&m, "the send may have gone out");
                return Ok(Attempt::Unknown(m, pe));
            }
            return Ok(Attempt::Claimed(m));
        }
        MessageStatus::Failed => {
            let pe = error_of(&m, "the send failed");
            return Ok(Attempt::Failed(m, pe));
        }
        MessageStatus::Unknown => {
            let pe = error_of(&m, "the send may have gone out");
            return Ok(Attempt::Unknown(m, pe));
        }
        MessageStatus::Received => return Err(Error::Invalid(format!("message {id} was received, not written here: there is nothing to send"))),
        MessageStatus::Sent | MessageStatus::Delivered | MessageStatus::Read | MessageStatus::Played => return Ok(Attempt::Sent(m)),
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
    // The slot is taken before the claim: a crash while waiting for it leaves the message pending.
    let gate = ratelimit::gate(store, &account)?;
    let slot = match gate.acquire(m.conversation_id).await {
        Ok(slot) => slot,
        Err(wait) => return Ok(Attempt::Waiting(wait)),
    };
    let claimed_at = now_ms();
    let lease_ms = timing.lease.as_millis() as i64;
    if !store.claim_for_sending(id, claimed_at, lease_ms)? {
        // Another process (the engine, or a `wicket send`) is sending it now.
        return Ok(Attempt::Claimed(store.message(id)?));
    }
    let sent = send_holding_claim(store, client, &request, template.as_ref(), id, claimed_at + lease_ms, timing).await;
    match &sent {
        // Refused, or it never left: nothing reached the recipient.
        Err(Error::Provider(pe)) if pe.kind == ErrorKind::OutcomeUnknown => {}
        Err(_) => gate.refund(slot),
        Ok(_) => {}
    }
    match sent {
        Ok(receipt) => {
            gate.accepted();
            record_accepted(store, &m, &receipt, timing.accepted_write_deadline).await?;
            record_receipt_details(store, id, m.conversation_id, &receipt);
            // WhatsApp's own id, looked up only now the send is on record (WASender).
            if let Some(real_id) = client.confirm(&receipt).await {
                if let Err(e) = store.set_message_provider_id(id, &real_id) {
                    tracing::warn!(message = id, "the WhatsApp id of a sent message was not stored (status polling adopts it later): {e}");
                }
            }
            Ok(Attempt::Sent(store.message(id)?))
        }
        Err(Error::Provider(pe)) if pe.kind == ErrorKind::OutcomeUnknown => {
            let status = store.write(|tx| messages::mark_outcome_unknown(tx, id, &pe, now_ms()))?;
            let m = store.message(id)?;
            // A status report that arrived meanwhile (Meta's webhook carries our id) settled it.
            Ok(if status == MessageStatus::Unknown { Attempt::Unknown(m, pe) } else { Attempt::Sent(m) })
        }
        Err(Error::Provider(pe)) if pe.kind.is_retryable() => {
            let delay = if pe.kind == ErrorKind::RateLimited {
                // The provider throttles the account, not this message: the whole account pauses.
                let (pause, give_up) = gate.throttled(timing.backoff_unit, pe.retry_after);
                if give_up {
                    let pe = ProviderError {
                        message: format!("{} (gave up after {} throttled attempts in a row)", pe.message, ratelimit::gate::THROTTLE_RETRIES),
                        ..pe
                    };
                    store.set_message_status(id, MessageStatus::Failed, Some(&pe))?;
                    return Ok(Attempt::Failed(store.message(id)?, pe));
                }
                pause
            } else {
                backoff_in(timing.backoff_unit, m.attempts + 1, pe.retry_after)
            };
            // Back to pending: `sending` never moves backwards, so write it directly.
            store.write(|tx| {
                tx.execute(
                    "UPDATE messages SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?2, error_code = ?3, error_kind = ?4, error_message = ?5
                     WHERE id = ?1 AND status = 'sending'",
                    rusqlite::params![id, now_ms().saturating_add(delay.as_millis() as i64), pe.code, pe.kind.as_str(), pe.message],
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

/// Runs the send while renewing the claim's lease (held until `held_until`)
/// every `renew_every`, so no other sender takes it over mid-request.
async fn send_holding_claim(
    store: &mut Store,
    client: &ProviderClient,
    request: &OutgoingMessage,
    template: Option<&crate::store::templates::Template>,
    id: i64,
    mut held_until: i64,
    timing: &SendTiming,
) -> Result<SendReceipt> {
    let send = client.send_unconfirmed(request, template);
    tokio::pin!(send);
    let every = timing.renew_every.max(Duration::from_millis(10));
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            sent = &mut send => return sent,
            _ = renew.tick() => {
                let until = now_ms() + timing.lease.as_millis() as i64;
                match store.renew_send_lease(id, held_until, until) {
                    Ok(true) => held_until = until,
                    Ok(false) => tracing::warn!(message = id, "the claim on a running send was lost; its outcome is still recorded"),
                    Err(e) => tracing::warn!(message = id, "the claim on a running send was not renewed (tried again shortly): {e}"),
                }
            }
        }
    }
}

/// Records an accepted send (`sent`, its provider id) before anything else,
/// in its own write, retried while the store is busy up to `deadline`. If
/// the store stays busy the message keeps its claim, which then runs out
/// into `unknown`: never a resend.
async fn record_accepted(store: &mut Store, m: &Message, receipt: &SendReceipt, deadline: Duration) -> Result<()> {
    let id = m.id;
    let give_up = tokio::time::Instant::now() + deadline;
    let mut pause = Duration::from_millis(50);
    loop {
        let accepted =
            messages::Accepted { provider_message_id: &receipt.provider_message_id, provider_send_id: receipt.provider_send_id.as_deref(), at: now_ms() };
        // The rate limits' log goes in the same write: no second commit per send.
        let written = store.write(|tx| {
            messages::record_accepted(tx, id, &accepted)?;
            send_log::record(tx, m.account_id, m.conversation_id, accepted.at)
        });
        match written {
            Ok(()) => return Ok(()),
            Err(e) if e.is_busy() && tokio::time::Instant::now() + pause < give_up => {
                tracing::warn!(message = id, "the store is busy; recording the accepted send again in {} ms", pause.as_millis());
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => {
                tracing::error!(message = id, "the provider accepted a message but the store could not record it: {e}");
                return Err(e);
            }
        }
    }
}

/// What else the receipt tells (the chat a send started, the recipient's
/// canonical id): useful, never worth failing a recorded send over.
fn record_receipt_details(store: &mut Store, id: i64, conversation_id: i64, receipt: &SendReceipt) {
    if receipt.chat_id.is_none() && receipt.recipient_id.is_none() {
        return;
    }
    let written = store.write(|tx| {
        if let Some(chat_id) = &receipt.chat_id {
            tx.execute(
                "UPDATE conversations SET provider_chat_id = ?2 WHERE id = ?1 AND provider_chat_id IS NULL",
                rusqlite::params![conversation_id, chat_id],
            )?;
        }
        if let Some(wa_id) = &receipt.recipient_id {
            // Key the conversation by the wa_id the provider reports.
            tx.execute(
                "UPDATE contacts SET wa_id = ?2 WHERE id = (SELECT contact_id FROM conversations WHERE id = ?1)",
                rusqlite::params![conversation_id, wa_id],
            )?;
        }
        Ok(())
    });
    if let Err(e) = written {
        tracing::warn!(message = id, "details of a sent message were not stored: {e}");
    }
}

/// The error for a failed message: retries exhausted when it gave up.
fn failed(pe: ProviderError) -> Error {
    if pe.message.contains("gave up after") {
        Error::RetriesExhausted(pe)
    } else {
        Error::Provider(pe)
    }
}

/// Sends message `id`, retrying retryable errors with backoff within
/// `budget` ([`RETRY_BUDGET`] for `wicket send`). Errors: `Provider` when
/// refused (or it had failed before), `RetriesExhausted`, `OutcomeUnknown`
/// when it may have been sent.
pub async fn send_with_retries(store: &mut Store, secrets: &SecretStore, id: i64, budget: Duration) -> Result<Message> {
    let m = store.message(id)?;
    let account = store.account(m.account_id)?;
    let client = ProviderClient::for_account(&account, secrets)?;
    send_loop(store, &client, id, budget, &SendTiming::default()).await
}

/// [`send_with_retries`] with a given client and timings.
pub async fn send_loop(store: &mut Store, client: &ProviderClient, id: i64, budget: Duration, timing: &SendTiming) -> Result<Message> {
    let deadline = tokio::time::Instant::now() + budget;
    loop {
        match attempt_with(store, client, id, timing).await? {
            Attempt::Sent(m) => return Ok(m),
            Attempt::Failed(_, pe) => return Err(failed(pe)),
            Attempt::Unknown(_, pe) => return Err(Error::OutcomeUnknown(pe)),
            Attempt::Claimed(_) => {
                // An engine started meanwhile and took it: its outcome is ours.
                let left = deadline.saturating_duration_since(tokio::time::Instant::now()) + timing.lease;
                return wait_settled(store, id, left);
            }
            Attempt::Waiting(wait) => {
                let delay = wait.delay();
                if tokio::time::Instant::now() + delay > deadline {
                    // Our own limit never fails a message: it stays queued for the engine.
                    return Err(Error::RetriesExhausted(held_back(id, &wait)));
                }
                tokio::time::sleep(delay).await;
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

/// What `wicket send` says of a message its account's limits hold back
/// longer than it waits (the message itself stays pending).
fn held_back(id: i64, wait: &Wait) -> ProviderError {
    let why = match wait.hold {
        ratelimit::Hold::Account => "the account's hourly limit is reached (or its provider asked it to slow down)",
        ratelimit::Hold::Recipient => "the recipient got a message moments ago (the account's gap per recipient)",
    };
    ProviderError {
        code: None,
        kind: ErrorKind::RateLimited,
        message: format!(
            "message {id} waits: {why}; it stays queued and the engine (`wicket serve` or the app) sends it in about {} s",
            wait.delay().as_secs().max(1)
        ),
        retry_after: Some(wait.delay().as_secs()),
    }
}

/// Unknown sends looked at per account and call of [`settle_unknown`].
const SETTLE_BATCH: usize = 20;

/// Asks the provider about `account_id`'s sends whose outcome is unknown
/// and settles those it shows: WASender by message info (when the msgId was
/// recorded), UniPile from its message list. Meta has no lookup: its status
/// webhook, which carries our id, settles them as it arrives. The engine
/// calls this periodically (every few minutes is plenty). Returns the
/// settled messages and their new status.
pub async fn settle_unknown(store: &mut Store, client: &ProviderClient, account_id: i64) -> Result<Vec<(i64, MessageStatus)>> {
    let mut settled = vec![];
    for m in store.unknown_sends(account_id, SETTLE_BATCH)? {
        let Some(request) = m.send_request.clone().and_then(|v| serde_json::from_value::<OutgoingMessage>(v).ok()) else { continue };
        let mut request = request;
        if request.chat_id.is_none() {
            request.chat_id = store.conversation(m.conversation_id)?.provider_chat_id;
        }
        let provider_send_id = store.provider_send_id(m.id)?;
        let ask = UnknownSend { request: &request, provider_send_id: provider_send_id.as_deref(), since: m.created_at };
        let finding = match client.find_send(&ask).await {
            Ok(Some(f)) => f,
            Ok(None) => continue,
            Err(e) => {
                // The provider cannot be asked now: the next round tries again.
                tracing::debug!(message = m.id, "could not look up a send whose outcome is unknown: {e}");
                break;
            }
        };
        let status = store.write(|tx| {
            messages::set_provider_id(tx, m.id, &finding.provider_message_id)?;
            messages::apply_status(tx, m.id, finding.status, now_ms(), finding.error.as_ref())?;
            if let Some(chat_id) = &finding.chat_id {
                tx.execute(
                    "UPDATE conversations SET provider_chat_id = ?2 WHERE id = ?1 AND provider_chat_id IS NULL",
                    rusqlite::params![m.conversation_id, chat_id],
                )?;
            }
            Ok(messages::get(tx, m.id)?.status)
        });
        match status {
            Ok(s) if s != MessageStatus::Unknown => settled.push((m.id, s)),
            Ok(_) => {}
            Err(e) => tracing::warn!(message = m.id, "a send the provider shows was not settled: {e}"),
        }
    }
    Ok(settled)
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
/// (or further), failed or unknown. Errors like `send_with_retries` would.
pub fn wait_settled(store: &Store, id: i64, timeout: Duration) -> Result<Message> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let m = store.message(id)?;
        match m.status {
            MessageStatus::Pending | MessageStatus::Sending => {}
            MessageStatus::Failed => return Err(failed(error_of(&m, "the send failed"))),
            MessageStatus::Unknown => return Err(Error::OutcomeUnknown(error_of(&m, "the send may have gone out"))),
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
    fn retry_after_is_capped_at_an_hour_without_overflow() {
        assert_eq!(backoff(1, Some(u64::MAX)), MAX_RETRY_AFTER, "18446744073709551615 s waits an hour");
        assert_eq!(backoff(i64::MAX, Some(7200)), MAX_RETRY_AFTER);
        assert_eq!(backoff(i64::MIN, Some(3599)), Duration::from_secs(3599));
        // The wait is added to clocks: it must never overflow them.
        let _ = tokio::time::Instant::now() + backoff(1, Some(u64::MAX));
        assert!(crate::time::now_ms().checked_add(backoff(1, Some(u64::MAX)).as_millis() as i64).is_some());
    }

    #[test]
    fn the_lease_outlives_a_request_and_is_renewed_well_before_it_ends() {
        assert!(SEND_LEASE > crate::providers::http::TOTAL_TIMEOUT, "a plain request never outlives one lease");
        assert!(LEASE_RENEWAL * 3 <= SEND_LEASE, "two renewals may fail before the claim lapses");
    }

    #[test]
    fn locations_accept_negative_coordinates() {
        assert_eq!(parse_location("-33.86,151.2").unwrap(), (-33.86, 151.2));
        assert_eq!(parse_location("51.5, -0.12").unwrap(), (51.5, -0.12));
        assert!(parse_location("91,0").is_err());
        assert!(parse_location("x").is_err());
    }
}
