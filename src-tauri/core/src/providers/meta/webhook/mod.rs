//! Meta webhook payloads (`object: whatsapp_business_account`) turned into
//! normalized [`ProviderEvent`]s, one [`RoutedChange`] per `entry[].changes[]`.
//!
//! The rule kept here: parse tolerantly and never invent data. Every field is
//! optional, numbers may arrive as strings, unknown message types become
//! [`MessageKind::Unsupported`] with the raw JSON kept, unknown `field`s and
//! statuses are skipped, and a sender without a phone number (a 2026
//! username user, known only by a business-scoped user id) is keyed by that
//! opaque id, never by a made-up number. This module does no I/O: checking
//! the signature, routing a change to an account by its `phone_number_id`
//! and storing it belong to the webhook listener (`crate::webhook`).

use super::errors::map_status_error;
use crate::error::{ErrorKind, ProviderError};
mod account;
mod groups;
mod history;
mod kinds;

use crate::model::{Direction, MessageKind, MessageStatus, Origin};
use crate::phone;
use crate::providers::{InboundError, InboundMedia, InboundMessage, ParticipantReceipt, ProviderEvent, StatusReport};
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::time::{now_ms, unix_seconds_to_ms};
use serde_json::{Map, Value};

/// The text stored for message types Wicket cannot show.
pub const UNSUPPORTED_TEXT: &str = "unsupported message type: open it on your phone";

/// One `entry[].changes[]` item: the number it is for and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutedChange {
    /// `changes[].field`; only `messages` carries events.
    pub field: String,
    /// `value.metadata.phone_number_id`: the account the change belongs to.
    pub phone_number_id: Option<String>,
    /// For account-level fields (templates, quality, account updates):
    /// `entry[].id`, the business account (WABA) every number of which it concerns.
    pub business_account_id: Option<String>,
    /// Empty for fields Wicket does not handle.
    pub events: Vec<ProviderEvent>,
}

/// The body is not a JSON object: nothing in it can be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unparseable Meta webhook body: {0}")]
pub struct ParseError(pub String);

/// Parses a webhook body (already authenticated) into its changes.
///
/// Fails only when the body is not a JSON object. A JSON object of another
/// shape (another `object`, no `entry`) yields no changes: Meta retries
/// anything not answered 200, so what cannot be used is ignored, not refused.
pub fn parse_payload(body: &[u8]) -> Result<Vec<RoutedChange>, ParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| ParseError(e.to_string()))?;
    if !root.is_object() {
        return Err(ParseError("the body is JSON but not an object".into()));
    }
    if let Some(object) = root.get("object").and_then(Value::as_str) {
        if object != "whatsapp_business_account" {
            tracing::debug!(object, "ignoring a Meta webhook for another product");
            return Ok(vec![]);
        }
    }
    let mut out = vec![];
    for entry in array(root.get("entry")) {
        for change in array(entry.get("changes")) {
            out.push(parse_change(change, entry));
        }
    }
    Ok(out)
}

fn parse_change(change: &Value, entry: &Value) -> RoutedChange {
    let field = string(change.get("field")).unwrap_or_default();
    let value = change.get("value").unwrap_or(&Value::Null);
    let phone_number_id = string(value.get("metadata").and_then(|m| m.get("phone_number_id")));
    let mut business_account_id = None;
    let mut events = vec![];
    if account::FIELDS.contains(&field.as_str()) {
        business_account_id = string(entry.get("id"));
        events = account::parse(&field, value, timestamp(entry.get("time")));
    } else if field == "smb_message_echoes" {
        // Coexistence: what the owner sent from the WhatsApp Business app on
        // the same number. Outgoing, from the phone; never a customer's.
        for msg in array(value.get("message_echoes")) {
            if !parse_message(msg, &[], true, &mut events) {
                tracing::warn!("skipped a Meta message echo without an id or a recipient");
            }
        }
    } else if field == "history" {
        events = history::parse_history(value);
    } else if field == "smb_app_state_sync" {
        events = history::parse_state_sync(value);
    } else if groups::FIELDS.contains(&field.as_str()) {
        events = groups::parse(&field, value);
    } else if field == "messages" {
        let contacts = array(value.get("contacts"));
        for msg in array(value.get("messages")) {
            if !parse_message(msg, contacts, false, &mut events) {
                tracing::warn!("skipped a Meta inbound message without an id or a sender");
            }
        }
        for st in array(value.get("statuses")) {
            if let Some(s) = parse_status(st) {
                // A group status names the participant it is about: their
                // receipt is kept too (the message's status only moves forward).
                let participant = string(st.get("recipient_participant_id")).or_else(|| string(st.get("participant_recipient_id")));
                if let Some(p) = participant.and_then(|p| contact_key(Some(&p), None)) {
                    let who = p.0.phone.or(p.0.provider_user_id).unwrap_or_default();
                    events.push(ProviderEvent::Receipt(ParticipantReceipt {
                        provider_message_id: s.provider_message_id.clone(),
                        participant: who,
                        status: s.status,
                        timestamp: s.timestamp,
                    }));
                }
                events.push(ProviderEvent::Status(s));
            }
        }
        for err in array(value.get("errors")) {
            tracing::warn!(code = ?string(err.get("code")), "Meta reported a system-level webhook error");
        }
    } else {
        tracing::debug!(field, "ignoring a Meta webhook field Wicket does not handle");
    }
    RoutedChange { field, phone_number_id, business_account_id, events }
}

/// An inbound message (`value.messages[]`), with the sender's profile from
/// `value.contacts[]`, or one the owner sent from the app (`echo`, from
/// `value.message_echoes[]`); or an edit or deletion of an earlier one
/// (`type: "edit"` / `"revoke"`), which is never a message of its own.
/// Pushes its events; false when it has no id or no chat.
fn parse_message(msg: &Value, contacts: &[Value], echo: bool, events: &mut Vec<ProviderEvent>) -> bool {
    let Some(id) = string(msg.get("id")) else { return false };
    let ts = timestamp(msg.get("timestamp"));
    match string(msg.get("type")).as_deref() {
        Some("edit") => {
            let edit = msg.get("edit").unwrap_or(&Value::Null);
            if let Some(original) = string(edit.get("original_message_id")) {
                events.push(ProviderEvent::MessageEdited { provider_message_id: original, text: edited_body(edit.get("message")), timestamp: ts });
                return true;
            }
            tracing::warn!("a Meta edit without original_message_id is kept as an unsupported message");
        }
        Some("revoke") => {
            if let Some(original) = string(msg.get("revoke").and_then(|r| r.get("original_message_id"))) {
                events.push(ProviderEvent::MessageDeleted { provider_message_id: original, timestamp: ts });
                return true;
            }
            tracing::warn!("a Meta revoke without original_message_id is kept as an unsupported message");
        }
        _ => {}
    }
    let Some(mut m) = parse_content(id, msg, contacts, echo) else { return false };
    if m.kind == MessageKind::Notice && !echo {
        let system = kinds::system(msg.get("system").unwrap_or(&Value::Null));
        if let Some(new) = system.new_key.filter(|n| *n != m.chat) {
            // The contact moves to its new key first; the notice follows it.
            events.push(ProviderEvent::NumberChanged { old: m.chat.clone(), new: new.clone() });
            m.chat = new;
            m.chat_update = ContactUpdate::default();
        }
    }
    events.push(ProviderEvent::Message(m));
    true
}

/// The new body of an edit (`edit.message`, a whole message object): the
/// text of a text message, else the caption of a media message.
fn edited_body(message: Option<&Value>) -> Option<String> {
    let message = message?;
    let kind = string(message.get("type"))?;
    let body = message.get(kind.as_str())?;
    match kind.as_str() {
        "text" => string(body.get("body")),
        _ => string(body.get("caption")),
    }
}

/// The first of a message's `errors[]`: why Meta could not deliver its
/// content (131051 unsupported type, 131060 unavailable, 131000…).
fn message_error(msg: &Value) -> Option<InboundError> {
    let e = array(msg.get("errors")).first()?;
    let title = string(e.get("title")).or_else(|| string(e.get("message"))).unwrap_or_else(|| "Meta could not deliver this message".into());
    let details = string(e.get("error_data").and_then(|d| d.get("details"))).filter(|d| *d != title);
    Some(InboundError { code: string(e.get("code")), title, details })
}

/// Whether a parsed message has something to show.
fn has_content(m: &InboundMessage) -> bool {
    m.kind != MessageKind::Unsupported && (m.text.is_some() || m.caption.is_some() || m.media.is_some() || m.location.is_some() || m.contacts.is_some())
}

fn parse_content(id: String, msg: &Value, contacts: &[Value], echo: bool) -> Option<InboundMessage> {
    let group = string(msg.get("group_id"));
    let (chat, chat_update) = if echo {
        // An echo's chat is its recipient (`to`); `from` is the business.
        match group.clone() {
            Some(g) => (ContactKey::user_id(g), ContactUpdate { is_group: Some(true), ..Default::default() }),
            None => {
                let (key, wa_id) = contact_key(string(msg.get("to")).as_deref(), string(msg.get("to_user_id")))?;
                (key, ContactUpdate { wa_id, ..Default::default() })
            }
        }
    } else {
        let from = string(msg.get("from"));
        let contact = find_contact(contacts, from.as_deref(), msg);
        let user_id = string(msg.get("from_user_id")).or_else(|| string(msg.get("user_id"))).or_else(|| contact.and_then(|c| shared(c.get("user_id"))));
        // Without `from`, the matched `contacts[]` entry may still carry the wa_id.
        let from = from.or_else(|| contact.and_then(|c| shared(c.get("wa_id"))));
        let (key, wa_id) = contact_key(from.as_deref(), user_id)?;
        // The entry is kept on the contact: its `user_id` and username are how a
        // person who hides their number is recognised later (`contact_merge::suggest`).
        let raw = contact.filter(|c| c.get("user_id").is_some() || c.pointer("/profile/username").is_some()).cloned();
        (key, ContactUpdate { wa_id, profile_name: contact.and_then(|c| shared(c.get("profile").and_then(|p| p.get("name")))), raw, ..Default::default() })
    };
    let kind_name = string(msg.get("type")).unwrap_or_default();
    let body = msg.get(kind_name.as_str()).unwrap_or(&Value::Null);
    let mut m = InboundMessage {
        chat_update,
        origin: echo.then_some(Origin::Phone),
        reply_to_provider_id: string(msg.get("context").and_then(|c| c.get("id"))),
        referral: kinds::referral(msg),
        ..InboundMessage::new(
            id,
            chat,
            if echo { Direction::Out } else { Direction::In },
            MessageKind::Unsupported,
            timestamp(msg.get("timestamp")),
            msg.clone(),
        )
    };
    match kind_name.as_str() {
        "text" => {
            m.kind = MessageKind::Text;
            m.text = Some(string(body.get("body")).unwrap_or_default());
        }
        "image" | "video" | "sticker" | "document" | "audio" => {
            m.kind = match kind_name.as_str() {
                "image" => MessageKind::Image,
                "video" => MessageKind::Video,
                "sticker" => MessageKind::Sticker,
                "document" => MessageKind::Document,
                _ if body.get("voice").and_then(Value::as_bool) == Some(true) => MessageKind::Voice,
                _ => MessageKind::Audio,
            };
            m.caption = string(body.get("caption"));
            m.media = Some(InboundMedia {
                provider_media_id: string(body.get("id")),
                url: string(body.get("url")),
                mime: string(body.get("mime_type")),
                sha256: string(body.get("sha256")),
                file_name: string(body.get("filename")),
                size: integer(body.get("file_size")),
                fetch_info: None,
            });
        }
        "location" => {
            m.kind = MessageKind::Location;
            let mut loc = Map::new();
            for key in ["latitude", "longitude", "name", "address", "url"] {
                if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
                    loc.insert(key.to_string(), v.clone());
                }
            }
            m.location = Some(Value::Object(loc));
        }
        "contacts" => {
            m.kind = MessageKind::Contacts;
            m.contacts = Some(body.clone());
        }
        "interactive" => {
            // button_reply / list_reply carry a title; a flow reply (nfm_reply) a body.
            m.kind = MessageKind::Interactive;
            let inner = string(body.get("type")).and_then(|t| body.get(t.as_str())).unwrap_or(&Value::Null);
            m.text = string(inner.get("title")).or_else(|| string(inner.get("body")));
            m.interactive = Some(body.clone());
        }
        "button" => {
            // A tap on a template's quick-reply button. Stored like an
            // interactive reply, so every tap renders the same way: kind
            // Interactive, text = the button's label, `interactive` =
            // {"type": "button", "button": {payload, text}}.
            m.kind = MessageKind::Interactive;
            m.text = string(body.get("text")).or_else(|| string(body.get("payload")));
            m.interactive = Some(serde_json::json!({ "type": "button", "button": body }));
        }
        "reaction" => {
            let Some(target) = string(body.get("message_id")) else {
                tracing::warn!("skipped a Meta reaction without a target message id");
                return None;
            };
            m.kind = MessageKind::Reaction;
            // No emoji: the customer removed their reaction.
            m.reaction = Some((target, string(body.get("emoji")).unwrap_or_default()));
            m.reply_to_provider_id = None;
        }
        "order" => {
            m.kind = MessageKind::Order;
            let (order, summary) = kinds::order(body);
            m.order = Some(order);
            m.text = Some(summary);
        }
        "system" => {
            // A number change also moves the contact (see `parse_message`).
            m.kind = MessageKind::Notice;
            m.text = Some(kinds::system(body).text);
            m.reply_to_provider_id = None;
        }
        other => {
            tracing::debug!(kind = other, "unsupported Meta message type kept raw");
            m.kind = MessageKind::Unsupported;
            m.text = Some(UNSUPPORTED_TEXT.to_string());
        }
    }
    if let (Some(g), false) = (group, echo) {
        // A group message: the conversation is the group's; the sender is
        // the participant who wrote it, shown on the message.
        m.sender_id = m.chat.phone.clone().or_else(|| m.chat.provider_user_id.clone());
        m.sender_name = m.chat_update.profile_name.take();
        m.chat = ContactKey::user_id(g);
        m.chat_update = ContactUpdate { is_group: Some(true), ..Default::default() };
    }
    if let Some(error) = message_error(msg) {
        // Content Meta could not deliver (an interactive reply without its
        // reply, an unsupported type): never an empty bubble, but the reason.
        if !has_content(&m) {
            m.kind = MessageKind::Unsupported;
            m.text = Some(UNSUPPORTED_TEXT.to_string());
            m.interactive = None;
            m.error = Some(error);
        } else {
            tracing::debug!(code = ?error.code, "a Meta message with content also carried an error");
        }
    }
    Some(m)
}

/// A status of one of our outbound messages (`value.statuses[]`).
fn parse_status(st: &Value) -> Option<StatusReport> {
    let id = string(st.get("id"))?;
    let status = match string(st.get("status"))?.as_str() {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" => MessageStatus::Read,
        "played" => MessageStatus::Played,
        "failed" => MessageStatus::Failed,
        other => {
            tracing::debug!(status = other, "ignoring a Meta status Wicket does not track");
            return None;
        }
    };
    let error = match status {
        MessageStatus::Failed => Some(st.get("errors").and_then(map_status_error).unwrap_or_else(|| ProviderError {
            code: None,
            kind: ErrorKind::Unknown,
            message: "Meta reported the message as failed without saying why".into(),
            retry_after: None,
        })),
        _ => None,
    };
    let recipient_user_id = string(st.get("recipient_user_id")).or_else(|| string(st.get("user_id")));
    let recipient = contact_key(string(st.get("recipient_id")).as_deref(), recipient_user_id).map(|(k, _)| k);
    Some(StatusReport {
        provider_message_id: id,
        wicket_id: string(st.get("biz_opaque_callback_data")).and_then(|s| s.parse::<i64>().ok()),
        status,
        timestamp: timestamp(st.get("timestamp")),
        error,
        recipient,
    })
}

/// The `value.contacts[]` entry of a message's sender: matched by wa_id,
/// then by user id, else the only one there is.
fn find_contact<'a>(contacts: &'a [Value], from: Option<&str>, msg: &Value) -> Option<&'a Value> {
    if let Some(from) = from {
        if let Some(c) = contacts.iter().find(|c| string(c.get("wa_id")).as_deref() == Some(from)) {
            return Some(c);
        }
    }
    let user_id = string(msg.get("from_user_id")).or_else(|| string(msg.get("user_id")));
    if let Some(u) = user_id {
        if let Some(c) = contacts.iter().find(|c| string(c.get("user_id")).as_deref() == Some(u.as_str())) {
            return Some(c);
        }
    }
    // The only entry is the sender's only when nothing says otherwise: an
    // entry for another wa_id (or a message from a number it does not name)
    // must not give its name to this sender.
    match contacts {
        [only] if from.is_none() => Some(only),
        _ => None,
    }
}

/// The contact key for a wa_id and/or a business-scoped user id, plus the
/// wa_id to record. A wa_id that is not a number is kept as an opaque id.
fn contact_key(wa_id: Option<&str>, user_id: Option<String>) -> Option<(ContactKey, Option<String>)> {
    let (phone, opaque) = match wa_id {
        Some(w) => match phone::from_wa_id(w) {
            Ok(e164) if w.chars().all(|c| c.is_ascii_digit() || c == '+') => (Some(e164.as_str().to_string()), None),
            _ => (None, Some(w.to_string())),
        },
        None => (None, None),
    };
    let provider_user_id = user_id.or(opaque);
    if phone.is_none() && provider_user_id.is_none() {
        return None;
    }
    let recorded_wa_id = phone.as_ref().and(wa_id.map(str::to_string));
    Some((ContactKey { phone, provider_user_id }, recorded_wa_id))
}

pub(super) fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// A non-empty string, from a JSON string or number.
pub(super) fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The longest name or id copied from a `value.contacts[]` entry. One entry
/// can stand for every message of a batch, so what each message copies from
/// it must be small, or a body under the listener's cap could make the parser
/// allocate gigabytes (found by tests/fuzz_webhooks.rs). Real values are far
/// shorter (a WhatsApp profile name has at most 25 characters).
const MAX_SHARED_FIELD: usize = 256;

/// [`string`], for a value every message of a batch may copy: absent when absurdly long.
fn shared(v: Option<&Value>) -> Option<String> {
    string(v).filter(|s| s.len() <= MAX_SHARED_FIELD)
}

pub(super) fn integer(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Unix seconds (string or number) to ms; a missing one is "now".
pub(super) fn timestamp(v: Option<&Value>) -> i64 {
    v.and_then(unix_seconds_to_ms).unwrap_or_else(now_ms)
}

#[cfg(test)]
mod tests;
