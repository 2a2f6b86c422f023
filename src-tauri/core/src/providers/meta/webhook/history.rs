//! Meta's coexistence imports: `history` (the chats the owner had in the
//! WhatsApp Business app, in chunks with their progress) and
//! `smb_app_state_sync` (the app's address book). Reference F.3.
//!
//! A history message is outgoing when its `from` is the business's own
//! number (`metadata.display_phone_number`), else the customer's; either way
//! it is marked `history` (never unread, never notified) and, when
//! outgoing, the status the app knew (`history_context.status`). A
//! `media_placeholder` is a message without its media: the media comes later
//! in a `history` change with `value.messages[]` and the same id, and
//! `ingest` merges it. Group chats are not part of the history.

use super::{array, integer, parse_message, string};
use crate::model::{Direction, MessageKind, MessageStatus};
use crate::providers::{HistoryChunk, InboundError, InboundMessage, ProviderEvent};
use crate::store::history::PLACEHOLDER_TEXT;
use serde_json::Value;

/// The events of a `history` change.
pub(super) fn parse_history(value: &Value) -> Vec<ProviderEvent> {
    let business = digits(string(value.get("metadata").and_then(|m| m.get("display_phone_number"))).as_deref());
    let mut events = vec![];
    for chunk in array(value.get("history")) {
        let meta = chunk.get("metadata").unwrap_or(&Value::Null);
        let error = array(chunk.get("errors")).first().map(|e| InboundError {
            code: string(e.get("code")),
            title: string(e.get("title")).or_else(|| string(e.get("message"))).unwrap_or_else(|| "Meta gave no reason".into()),
            details: string(e.get("error_data").and_then(|d| d.get("details"))),
        });
        for thread in array(chunk.get("threads")) {
            let customer = string(thread.get("id"));
            for msg in array(thread.get("messages")) {
                history_message(msg, customer.as_deref(), business.as_deref(), &mut events);
            }
        }
        events.push(ProviderEvent::HistoryProgress(HistoryChunk {
            phase: integer(meta.get("phase")).unwrap_or(0),
            chunk_order: integer(meta.get("chunk_order")).unwrap_or(0),
            progress: integer(meta.get("progress")).unwrap_or(0),
            error,
        }));
    }
    // The media of placeholders imported earlier: whole messages, same ids.
    for msg in array(value.get("messages")) {
        history_message(msg, None, business.as_deref(), &mut events);
    }
    events
}

/// One message of the history, as a message with origin `history`.
fn history_message(msg: &Value, customer: Option<&str>, business: Option<&str>, events: &mut Vec<ProviderEvent>) {
    let from = string(msg.get("from"));
    let outgoing = business.is_some() && digits(from.as_deref()).as_deref() == business;
    // The thread names the customer when the message does not.
    let mut msg = msg.clone();
    if let (Some(c), Value::Object(o)) = (customer, &mut msg) {
        let side = if outgoing { "to" } else { "from" };
        if string(o.get(side)).is_none() {
            o.insert(side.into(), Value::String(c.into()));
        }
    }
    let start = events.len();
    if !parse_message(&msg, &[], outgoing, events) {
        tracing::warn!("skipped a Meta history message without an id or a chat");
        return;
    }
    let status = history_status(string(msg.pointer("/history_context/status")).as_deref());
    for event in &mut events[start..] {
        if let ProviderEvent::Message(m) = event {
            mark(m, &msg, outgoing, status);
        }
    }
}

fn mark(m: &mut InboundMessage, msg: &Value, outgoing: bool, status: Option<MessageStatus>) {
    m.history = true;
    if outgoing {
        // Sent from the app: the owner's phone.
        m.direction = Direction::Out;
        m.status = status;
        if status == Some(MessageStatus::Failed) {
            m.error = Some(InboundError { code: None, title: "The WhatsApp Business app could not send this message".into(), details: None });
        }
    }
    if string(msg.get("type")).as_deref() == Some("media_placeholder") {
        m.kind = MessageKind::Unsupported;
        m.text = Some(PLACEHOLDER_TEXT.into());
    }
}

/// `history_context.status` as Wicket's status of an outgoing message.
/// `PENDING` (the phone had not sent it yet) cannot be sent from here: it
/// is kept as sent by the phone, never queued.
fn history_status(s: Option<&str>) -> Option<MessageStatus> {
    Some(match s?.to_ascii_uppercase().as_str() {
        "SENT" | "PENDING" => MessageStatus::Sent,
        "DELIVERED" => MessageStatus::Delivered,
        "READ" => MessageStatus::Read,
        "PLAYED" => MessageStatus::Played,
        "ERROR" | "FAILED" => MessageStatus::Failed,
        _ => return None,
    })
}

fn digits(s: Option<&str>) -> Option<String> {
    let d: String = s?.chars().filter(char::is_ascii_digit).collect();
    (!d.is_empty()).then_some(d)
}

/// The events of an `smb_app_state_sync` change: saved names from the app's
/// address book (`action: "add"` adds or edits, `"remove"` clears the name).
pub(super) fn parse_state_sync(value: &Value) -> Vec<ProviderEvent> {
    let mut events = vec![];
    for item in array(value.get("state_sync")) {
        if string(item.get("type")).is_some_and(|t| t != "contact") {
            continue;
        }
        let contact = item.get("contact").unwrap_or(&Value::Null);
        let Some((key, _)) = super::contact_key(string(contact.get("phone_number")).as_deref(), None) else {
            tracing::warn!("skipped an app address book entry without a phone number");
            continue;
        };
        let name = match string(item.get("action")).as_deref() {
            Some("remove") => None,
            _ => match string(contact.get("full_name")).or_else(|| string(contact.get("first_name"))) {
                Some(n) => Some(n),
                None => continue,
            },
        };
        // Undated entries count as oldest: a replay must not make one newer.
        let ts = item.get("metadata").and_then(|m| m.get("timestamp")).and_then(crate::time::unix_seconds_to_ms).unwrap_or(0);
        events.push(ProviderEvent::SavedName { key, name, timestamp: ts });
    }
    events
}
