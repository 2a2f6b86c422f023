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
use crate::model::{Direction, MessageKind, MessageStatus};
use crate::phone;
use crate::providers::{InboundError, InboundMedia, InboundMessage, ProviderEvent, StatusReport};
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
            out.push(parse_change(change));
        }
    }
    Ok(out)
}

fn parse_change(change: &Value) -> RoutedChange {
    let field = string(change.get("field")).unwrap_or_default();
    let value = change.get("value").unwrap_or(&Value::Null);
    let phone_number_id = string(value.get("metadata").and_then(|m| m.get("phone_number_id")));
    let mut events = vec![];
    if field == "messages" {
        let contacts = array(value.get("contacts"));
        for msg in array(value.get("messages")) {
            match parse_message(msg, contacts) {
                Some(e) => events.push(e),
                None => tracing::warn!("skipped a Meta inbound message without an id or a sender"),
            }
        }
        for st in array(value.get("statuses")) {
            if let Some(s) = parse_status(st) {
                events.push(ProviderEvent::Status(s));
            }
        }
        for err in array(value.get("errors")) {
            tracing::warn!(code = ?string(err.get("code")), "Meta reported a system-level webhook error");
        }
    } else {
        tracing::debug!(field, "ignoring a Meta webhook field Wicket does not handle");
    }
    RoutedChange { field, phone_number_id, events }
}

/// An inbound message (`value.messages[]`), with the sender's profile from
/// `value.contacts[]`; or an edit or deletion of an earlier one
/// (`type: "edit"` / `"revoke"`), which is never a message of its own.
fn parse_message(msg: &Value, contacts: &[Value]) -> Option<ProviderEvent> {
    let id = string(msg.get("id"))?;
    let ts = timestamp(msg.get("timestamp"));
    match string(msg.get("type")).as_deref() {
        Some("edit") => {
            let edit = msg.get("edit").unwrap_or(&Value::Null);
            if let Some(original) = string(edit.get("original_message_id")) {
                return Some(ProviderEvent::MessageEdited { provider_message_id: original, text: edited_body(edit.get("message")), timestamp: ts });
            }
            tracing::warn!("a Meta edit without original_message_id is kept as an unsupported message");
        }
        Some("revoke") => {
            if let Some(original) = string(msg.get("revoke").and_then(|r| r.get("original_message_id"))) {
                return Some(ProviderEvent::MessageDeleted { provider_message_id: original, timestamp: ts });
            }
            tracing::warn!("a Meta revoke without original_message_id is kept as an unsupported message");
        }
        _ => {}
    }
    parse_content(id, msg, contacts).map(ProviderEvent::Message)
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

fn parse_content(id: String, msg: &Value, contacts: &[Value]) -> Option<InboundMessage> {
    let from = string(msg.get("from"));
    let contact = find_contact(contacts, from.as_deref(), msg);
    let user_id = string(msg.get("from_user_id")).or_else(|| string(msg.get("user_id"))).or_else(|| contact.and_then(|c| shared(c.get("user_id"))));
    // Without `from`, the matched `contacts[]` entry may still carry the wa_id.
    let from = from.or_else(|| contact.and_then(|c| shared(c.get("wa_id"))));
    let (chat, wa_id) = contact_key(from.as_deref(), user_id)?;
    let chat_update = ContactUpdate { wa_id, profile_name: contact.and_then(|c| shared(c.get("profile").and_then(|p| p.get("name")))), ..Default::default() };
    let kind_name = string(msg.get("type")).unwrap_or_default();
    let body = msg.get(kind_name.as_str()).unwrap_or(&Value::Null);
    let mut m = InboundMessage {
        provider_message_id: id,
        chat,
        chat_update,
        provider_chat_id: None,
        direction: Direction::In,
        origin: None,
        kind: MessageKind::Unsupported,
        text: None,
        caption: None,
        media: None,
        location: None,
        contacts: None,
        interactive: None,
        template: None,
        reply_to_provider_id: string(msg.get("context").and_then(|c| c.get("id"))),
        sender_id: None,
        sender_name: None,
        reaction: None,
        timestamp: timestamp(msg.get("timestamp")),
        raw: msg.clone(),
        error: None,
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
        other => {
            tracing::debug!(kind = other, "unsupported Meta message type kept raw");
            m.kind = MessageKind::Unsupported;
            m.text = Some(UNSUPPORTED_TEXT.to_string());
        }
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

fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// A non-empty string, from a JSON string or number.
fn string(v: Option<&Value>) -> Option<String> {
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

fn integer(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Unix seconds (string or number) to ms; a missing one is "now".
fn timestamp(v: Option<&Value>) -> i64 {
    v.and_then(unix_seconds_to_ms).unwrap_or_else(now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../tests/fixtures/meta_webhooks/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
    }

    /// A payload for one number with these messages and the sender's profile.
    fn payload(messages: Value) -> Vec<u8> {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "214365870912345", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": "15550102030", "phone_number_id": "318273645501234" },
                "contacts": [{ "profile": { "name": "Priya Raman" }, "wa_id": "447700900123" }],
                "messages": messages
            }}]}]
        })
        .to_string()
        .into_bytes()
    }

    fn messages(body: &[u8]) -> Vec<InboundMessage> {
        parse_payload(body)
            .unwrap()
            .into_iter()
            .flat_map(|c| c.events)
            .filter_map(|e| match e {
                ProviderEvent::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    fn statuses(body: &[u8]) -> Vec<StatusReport> {
        parse_payload(body)
            .unwrap()
            .into_iter()
            .flat_map(|c| c.events)
            .filter_map(|e| match e {
                ProviderEvent::Status(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn one(msg: Value) -> InboundMessage {
        let mut all = messages(&payload(json!([msg])));
        assert_eq!(all.len(), 1, "one message in, one message out");
        all.remove(0)
    }

    fn base(kind: &str, body: Value) -> Value {
        let mut m = json!({ "from": "447700900123", "id": format!("wamid.{kind}"), "timestamp": "1767268800", "type": kind });
        m[kind] = body;
        m
    }

    #[test]
    fn text_fixture_becomes_a_customer_message() {
        let changes = parse_payload(&fixture("meta_webhook_text.json")).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "messages");
        assert_eq!(changes[0].phone_number_id.as_deref(), Some("318273645501234"));
        let m = messages(&fixture("meta_webhook_text.json")).remove(0);
        assert_eq!(m.kind, MessageKind::Text);
        assert_eq!(m.text.as_deref(), Some("Hi! Is my order #4521 ready for pickup?"));
        assert_eq!(m.chat, ContactKey::phone("+447700900123"), "wa_id digits become E.164");
        assert_eq!(m.chat_update.wa_id.as_deref(), Some("447700900123"));
        assert_eq!(m.chat_update.profile_name.as_deref(), Some("Priya Raman"));
        assert_eq!(m.timestamp, 1_767_268_800_000, "seconds as a string become ms");
        assert_eq!((m.direction, m.origin), (Direction::In, None), "a customer message");
        assert_eq!(m.raw["id"], json!(m.provider_message_id), "raw keeps the message JSON");
        assert!(m.reply_to_provider_id.is_none());
    }

    #[test]
    fn image_fixture_keeps_media_and_caption() {
        let m = messages(&fixture("meta_webhook_image.json")).remove(0);
        assert_eq!(m.kind, MessageKind::Image);
        assert_eq!(m.caption.as_deref(), Some("This is the damaged box"));
        let media = m.media.unwrap();
        assert_eq!(media.provider_media_id.as_deref(), Some("1029384756102938"));
        assert_eq!(media.mime.as_deref(), Some("image/jpeg"));
        assert!(media.sha256.is_some());
    }

    #[test]
    fn reaction_fixture_targets_the_reacted_message() {
        let m = messages(&fixture("meta_webhook_reaction.json")).remove(0);
        assert_eq!(m.kind, MessageKind::Reaction);
        assert_eq!(m.reaction, Some(("wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDFBQkNERUYwMTIzNDU2Nzg5AA==".into(), "👍".into())));
    }

    #[test]
    fn a_removed_reaction_has_an_empty_emoji() {
        let m = one(base("reaction", json!({ "message_id": "wamid.X" })));
        assert_eq!(m.reaction, Some(("wamid.X".into(), String::new())));
    }

    #[test]
    fn interactive_button_reply_fixture_keeps_title_object_and_context() {
        let m = messages(&fixture("meta_webhook_interactive_button.json")).remove(0);
        assert_eq!(m.kind, MessageKind::Interactive);
        assert_eq!(m.text.as_deref(), Some("Yes, today"));
        assert_eq!(m.interactive.as_ref().unwrap()["button_reply"]["id"], json!("pickup_confirm"));
        assert_eq!(m.reply_to_provider_id.as_deref(), Some("wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDNDREVGMDEyMzQ1Njc4OUFCAA=="));
    }

    #[test]
    fn status_fixtures() {
        let s = statuses(&fixture("meta_webhook_status_delivered.json")).remove(0);
        assert_eq!(s.status, MessageStatus::Delivered);
        assert_eq!(s.timestamp, 1_767_269_010_000);
        assert_eq!(s.recipient, Some(ContactKey::phone("+447700900123")));
        assert!(s.error.is_none() && s.wicket_id.is_none());

        let f = statuses(&fixture("meta_webhook_status_failed.json")).remove(0);
        assert_eq!(f.status, MessageStatus::Failed);
        let e = f.error.expect("a failed status carries its error");
        assert_eq!(e.code.as_deref(), Some("131047"));
        assert_eq!(e.kind, ErrorKind::OutsideWindow);
    }

    #[test]
    fn multi_entry_fixture_yields_every_change_in_order() {
        let changes = parse_payload(&fixture("meta_webhook_multi_entry.json")).unwrap();
        let numbers: Vec<_> = changes.iter().map(|c| c.phone_number_id.as_deref().unwrap()).collect();
        assert_eq!(numbers, ["318273645501234", "318273645501234", "318273645509876"], "every entry and change, in order");
        let kinds: Vec<MessageKind> = changes
            .iter()
            .flat_map(|c| &c.events)
            .filter_map(|e| match e {
                ProviderEvent::Message(m) => Some(m.kind),
                _ => None,
            })
            .collect();
        use MessageKind::*;
        assert_eq!(kinds, [Text, Document, Voice, Location, Interactive, Sticker, Interactive, Contacts, Unsupported, Video, Reaction]);
        let all: Vec<InboundMessage> = messages(&fixture("meta_webhook_multi_entry.json"));
        let by_id = |id: &str| all.iter().find(|m| m.provider_message_id == id).unwrap();
        assert_eq!(by_id("wamid.MULTI02").chat_update.profile_name.as_deref(), Some("Joao Silva"), "profile matched by wa_id");
        assert_eq!(by_id("wamid.MULTI02").media.as_ref().unwrap().file_name.as_deref(), Some("invoice-2026-001.pdf"));
        assert_eq!(by_id("wamid.MULTI02").caption.as_deref(), Some("Invoice"));
        let loc = by_id("wamid.MULTI10").location.clone().unwrap();
        assert_eq!(loc, json!({ "latitude": 52.520008, "longitude": 13.404954, "name": "Alexanderplatz", "address": "Alexanderplatz, 10178 Berlin" }));
        let button = by_id("wamid.MULTI11");
        assert_eq!(button.text.as_deref(), Some("Track order"));
        assert_eq!(button.interactive, Some(json!({ "type": "button", "button": { "payload": "TRACK_ORDER_4521", "text": "Track order" } })));
        assert_eq!(button.reply_to_provider_id.as_deref(), Some("wamid.TEMPLATE01"));
        assert_eq!(by_id("wamid.MULTI13").text.as_deref(), Some("15:00 - 16:00"), "list reply title");
        assert_eq!(by_id("wamid.MULTI14").contacts.as_ref().unwrap()[0]["name"]["formatted_name"], json!("Max Mustermann"));
        let unsupported = by_id("wamid.MULTI15");
        assert_eq!(unsupported.text.as_deref(), Some(UNSUPPORTED_TEXT));
        assert_eq!(unsupported.raw["unsupported"]["type"], json!("edit"), "raw JSON kept");
        assert_eq!(by_id("wamid.MULTI17").reaction, Some(("wamid.OUT99".into(), String::new())));

        let st = statuses(&fixture("meta_webhook_multi_entry.json"));
        let got: Vec<_> = st.iter().map(|s| (s.provider_message_id.as_str(), s.status)).collect();
        assert_eq!(got, [("wamid.OUT01", MessageStatus::Sent), ("wamid.OUT00", MessageStatus::Read), ("wamid.OUT02", MessageStatus::Failed)]);
        assert_eq!(st[2].error.as_ref().unwrap().kind, ErrorKind::InvalidRecipient);
        assert_eq!(st[2].error.as_ref().unwrap().code.as_deref(), Some("131026"));
    }

    #[test]
    fn every_media_type_from_documented_payloads() {
        let video = one(base("video", json!({ "id": "55", "mime_type": "video/mp4", "sha256": "ab", "caption": "clip", "file_size": "1234" })));
        assert_eq!((video.kind, video.caption.as_deref()), (MessageKind::Video, Some("clip")));
        assert_eq!(video.media.unwrap().size, Some(1234), "file_size as a string");
        let audio = one(base("audio", json!({ "id": "66", "mime_type": "audio/ogg", "voice": false })));
        assert_eq!(audio.kind, MessageKind::Audio, "audio without voice:true");
        let voice = one(base("audio", json!({ "id": "67", "mime_type": "audio/ogg; codecs=opus", "voice": true })));
        assert_eq!(voice.kind, MessageKind::Voice);
        let sticker = one(base("sticker", json!({ "id": "77", "mime_type": "image/webp", "animated": true, "file_size": 99 })));
        assert_eq!((sticker.kind, sticker.media.unwrap().size), (MessageKind::Sticker, Some(99)));
        let doc = one(base("document", json!({ "id": "88", "mime_type": "application/pdf", "filename": "a.pdf" })));
        assert_eq!(doc.kind, MessageKind::Document);
        assert_eq!(doc.media.unwrap().file_name.as_deref(), Some("a.pdf"));
        assert!(doc.caption.is_none());
    }

    #[test]
    fn location_with_url_and_a_number_timestamp() {
        let mut msg = base("location", json!({ "latitude": 1.5, "longitude": -2.25, "url": "https://example.com" }));
        msg["timestamp"] = json!(1767268801);
        let m = one(msg);
        assert_eq!(m.location, Some(json!({ "latitude": 1.5, "longitude": -2.25, "url": "https://example.com" })));
        assert_eq!(m.timestamp, 1_767_268_801_000, "a numeric timestamp");
    }

    #[test]
    fn list_reply_and_flow_reply() {
        let list = one(base("interactive", json!({ "type": "list_reply", "list_reply": { "id": "a", "title": "Morning", "description": "9-12" } })));
        assert_eq!((list.kind, list.text.as_deref()), (MessageKind::Interactive, Some("Morning")));
        let flow = one(base("interactive", json!({ "type": "nfm_reply", "nfm_reply": { "name": "flow", "body": "Sent", "response_json": "{}" } })));
        assert_eq!(flow.text.as_deref(), Some("Sent"));
    }

    #[test]
    fn unknown_and_known_unhandled_types_are_unsupported_with_raw_kept() {
        for kind in ["order", "system", "request_welcome", "hologram"] {
            let m = one(base(kind, json!({ "whatever": 1 })));
            assert_eq!(m.kind, MessageKind::Unsupported, "{kind} is unsupported");
            assert_eq!(m.text.as_deref(), Some(UNSUPPORTED_TEXT));
            assert_eq!(m.raw["type"], json!(kind), "raw JSON kept for {kind}");
        }
        let no_type = one(json!({ "from": "447700900123", "id": "wamid.none", "timestamp": "1" }));
        assert_eq!(no_type.kind, MessageKind::Unsupported);
    }

    #[test]
    fn a_bsuid_only_sender_is_keyed_by_the_opaque_id() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
                "metadata": { "phone_number_id": "318273645501234" },
                "contacts": [{ "profile": { "name": "Ana", "username": "ana" }, "user_id": "GB.1502576394655843" }],
                "messages": [{ "from_user_id": "GB.1502576394655843", "id": "wamid.B1", "timestamp": "1767268800", "type": "text", "text": { "body": "hi" } }]
            }}]}]
        });
        let m = messages(body.to_string().as_bytes()).remove(0);
        assert_eq!(m.chat, ContactKey::user_id("GB.1502576394655843"), "no fake phone number");
        assert_eq!(m.chat_update.wa_id, None);
        assert_eq!(m.chat_update.profile_name.as_deref(), Some("Ana"));

        // With both, the user id is kept beside the phone.
        let both = one(json!({ "from": "447700900123", "user_id": "GB.9", "id": "wamid.B2", "timestamp": "1", "type": "text", "text": { "body": "x" } }));
        assert_eq!(both.chat, ContactKey { phone: Some("+447700900123".into()), provider_user_id: Some("GB.9".into()) });

        // A status for a BSUID-only recipient.
        let st = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "messages", "value": {
            "metadata": { "phone_number_id": "1" },
            "statuses": [{ "id": "wamid.O", "status": "delivered", "timestamp": "2", "recipient_user_id": "GB.9" }] } }] }] });
        assert_eq!(statuses(st.to_string().as_bytes())[0].recipient, Some(ContactKey::user_id("GB.9")));
    }

    #[test]
    fn a_message_without_id_or_sender_is_skipped() {
        let body = payload(json!([
            { "from": "447700900123", "timestamp": "1", "type": "text", "text": { "body": "no id" } },
            { "id": "wamid.nofrom", "timestamp": "1", "type": "text", "text": { "body": "sender from contacts[]" } }
        ]));
        let got = messages(&body);
        assert_eq!(got.len(), 1, "a message without an id is skipped");
        assert_eq!(got[0].chat, ContactKey::phone("+447700900123"), "without `from`, the only contacts[] entry is the sender");

        let lone = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "messages", "value": {
            "metadata": { "phone_number_id": "1" },
            "messages": [{ "id": "wamid.nobody", "timestamp": "1", "type": "text", "text": { "body": "?" } }] } }] }] });
        assert!(messages(lone.to_string().as_bytes()).is_empty(), "no sender at all: skipped, not keyed by a made-up id");
    }

    #[test]
    fn unknown_fields_and_statuses_are_ignored() {
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "1", "changes": [
                { "field": "message_template_status_update", "value": { "event": "APPROVED", "message_template_id": 1 } },
                { "field": "messages", "value": { "metadata": { "phone_number_id": "9" },
                  "statuses": [
                    { "id": "wamid.A", "status": "deleted", "timestamp": "1" },
                    { "id": "wamid.B", "status": "warning", "timestamp": "1" },
                    { "id": "wamid.C", "status": "played", "timestamp": "1", "biz_opaque_callback_data": "42" }
                  ] } }
            ]}]
        });
        let changes = parse_payload(body.to_string().as_bytes()).unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].field, "message_template_status_update");
        assert!(changes[0].events.is_empty(), "unknown fields carry no events");
        assert!(changes[0].phone_number_id.is_none());
        assert_eq!(changes[1].events.len(), 1, "deleted and unknown statuses are skipped");
        let ProviderEvent::Status(s) = &changes[1].events[0] else { panic!("a status") };
        assert_eq!((s.status, s.wicket_id), (MessageStatus::Played, Some(42)), "biz_opaque_callback_data is our id");
    }

    #[test]
    fn other_products_and_odd_shapes_are_not_errors() {
        assert_eq!(parse_payload(br#"{"object":"page","entry":[{"changes":[{"field":"messages"}]}]}"#).unwrap(), vec![]);
        assert_eq!(parse_payload(br#"{"object":"whatsapp_business_account"}"#).unwrap(), vec![]);
        assert_eq!(parse_payload(br#"{"object":"whatsapp_business_account","entry":"x"}"#).unwrap(), vec![]);
        assert!(parse_payload(b"not json").is_err());
        assert!(parse_payload(b"[1,2]").is_err(), "JSON that is not an object");
        assert!(parse_payload(b"").is_err());
    }

    fn events(body: &[u8]) -> Vec<ProviderEvent> {
        parse_payload(body).unwrap().into_iter().flat_map(|c| c.events).collect()
    }

    #[test]
    fn edits_and_revokes_change_their_original_and_are_no_message() {
        let text = events(&fixture("meta_webhook_edit_text.json"));
        assert_eq!(
            text,
            vec![ProviderEvent::MessageEdited {
                provider_message_id: "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQTFCMkMzRDRFNUY2MDcxODI5M0E0QjVDNkQ3RThGOTAA".into(),
                text: Some("Hi! Is my order #4522 ready for pickup?".into()),
                timestamp: 1_767_269_000_000,
            }]
        );
        let ProviderEvent::MessageEdited { text: caption, .. } = &events(&fixture("meta_webhook_edit_caption.json"))[0] else { panic!("an edit") };
        assert_eq!(caption.as_deref(), Some("This is the damaged box: the corner is crushed"), "a media edit carries the new caption");
        assert_eq!(
            events(&fixture("meta_webhook_revoke.json")),
            vec![ProviderEvent::MessageDeleted {
                provider_message_id: "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQzNENEU1RjYwNzE4MjkzQTRCNUM2RDdFOEY5MEExQjIA".into(),
                timestamp: 1_767_269_060_000,
            }]
        );
        // Without the original's id there is nothing to change: kept, as unsupported.
        let orphan = one(base("revoke", json!({})));
        assert_eq!(orphan.kind, MessageKind::Unsupported);
    }

    #[test]
    fn messages_meta_could_not_deliver_keep_its_reason() {
        let m = messages(&fixture("meta_webhook_unsupported_error.json")).remove(0);
        assert_eq!((m.kind, m.text.as_deref()), (MessageKind::Unsupported, Some(UNSUPPORTED_TEXT)));
        assert_eq!(
            m.error,
            Some(InboundError {
                code: Some("131051".into()),
                title: "Message type unknown".into(),
                details: Some("Message type is currently not supported.".into())
            })
        );
        let i = messages(&fixture("meta_webhook_interactive_error.json")).remove(0);
        assert_eq!((i.kind, i.interactive.as_ref()), (MessageKind::Unsupported, None), "an interactive reply without its reply is not an empty bubble");
        assert_eq!(i.error.as_ref().and_then(|e| e.code.as_deref()), Some("131000"));
        // Content that did arrive is kept, whatever errors[] says.
        let mut with = base("text", json!({ "body": "fine" }));
        with["errors"] = json!([{ "code": 131000, "title": "Something went wrong" }]);
        let kept = one(with);
        assert_eq!((kept.kind, kept.text.as_deref(), kept.error), (MessageKind::Text, Some("fine"), None));
    }

    #[test]
    fn another_numbers_contacts_entry_names_nobody() {
        let m = messages(&fixture("meta_webhook_contact_mismatch.json")).remove(0);
        assert_eq!(m.chat, ContactKey::phone("+447700900456"));
        assert_eq!(m.chat_update.profile_name, None, "the only entry is for 447700900123");
        assert_eq!(m.chat_update.wa_id.as_deref(), Some("447700900456"));
    }

    #[test]
    fn a_failed_status_without_errors_still_says_failed() {
        let body = json!({ "object": "whatsapp_business_account", "entry": [{ "changes": [{ "field": "messages", "value": {
            "metadata": { "phone_number_id": "1" },
            "statuses": [{ "id": "wamid.F", "status": "failed", "timestamp": "2", "recipient_id": "447700900123" }] } }] }] });
        let s = statuses(body.to_string().as_bytes()).remove(0);
        assert_eq!(s.error.unwrap().kind, ErrorKind::Unknown);
    }
}
