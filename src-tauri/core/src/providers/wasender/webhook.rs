//! WASender webhook bodies (`{"event", "timestamp", "data"}`) turned into
//! normalized [`ProviderEvent`]s (providers.md §B.4).
//!
//! Rules kept here: parse tolerantly and never invent data. Both spellings
//! of the event names are accepted; `data.messages` and `data` may be one
//! object or an array; timestamps may be seconds or milliseconds (told apart
//! by magnitude) and numbers may be strings. A message with `key.fromMe` is
//! the owner's own (sent from the phone or another linked device): it is
//! [`Direction::Out`] with [`Origin::Phone`] in the chat of its *recipient*,
//! never a customer message. LIDs and group JIDs stay opaque ids; a group
//! message keys the group and names its sender. Status posts, broadcast
//! lists and newsletters are not conversations and are skipped, as are
//! events Wicket does not handle. A body without `event` that carries
//! `data.messages` (the form WASender's own guide prints) is read as
//! `messages.upsert`. Edits and deletions become
//! [`ProviderEvent::MessageEdited`] / [`ProviderEvent::MessageDeleted`].
//! Inbound media keep, as `fetch_info`, the exact `POST /decrypt-media`
//! body the client needs later. This module does no I/O: authenticating the
//! request (`X-Webhook-Signature`) and storing the events belong to the
//! webhook listener; the account is the one in the URL.

use super::client::{failed_error, message_status_of, session_status};
use super::mapping::{boolean, contact_from_item, integer, one_or_many, parse_address, string, unix_ms, Address};
use crate::model::{Direction, MessageKind, MessageStatus, Origin};
use crate::providers::meta::webhook::UNSUPPORTED_TEXT;
use crate::providers::{InboundMedia, InboundMessage, ProviderEvent, StatusReport};
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::time::now_ms;
use serde_json::{json, Map, Value};

/// The body is not a JSON object (or array of them): nothing in it can be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unparseable WASender webhook body: {0}")]
pub struct ParseError(pub String);

/// Wrappers around the real content of a Baileys message.
const WRAPPERS: &[&str] = &[
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
    "documentWithCaptionMessage",
    "deviceSentMessage",
    "editedMessage",
];

/// Parts of a Baileys message that carry no content of their own.
const NOT_CONTENT: &[&str] = &["messageContextInfo", "senderKeyDistributionMessage"];

/// Parses a webhook body (already authenticated) into its events.
///
/// Fails only when the body is not JSON, or JSON that is neither an object
/// nor an array. An object of another shape, or an event Wicket does not
/// handle, yields no events: WASender's retries of what cannot be used are
/// answered, not refused.
pub fn parse_payload(body: &[u8]) -> Result<Vec<ProviderEvent>, ParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| ParseError(e.to_string()))?;
    match &root {
        Value::Object(_) => Ok(parse_envelope(&root)),
        Value::Array(items) => Ok(items.iter().filter(|i| i.is_object()).flat_map(parse_envelope).collect()),
        _ => Err(ParseError("the body is JSON but not an object".into())),
    }
}

fn parse_envelope(env: &Value) -> Vec<ProviderEvent> {
    let event = string(env.get("event")).unwrap_or_default().to_ascii_lowercase();
    let ts = unix_ms(env.get("timestamp")).unwrap_or_else(now_ms);
    let data = env.get("data").unwrap_or(&Value::Null);
    match event.as_str() {
        "messages.received"
        | "message.received"
        | "messages-personal.received"
        | "message.personal.received"
        | "messages.personal.received"
        | "messages-group.received"
        | "message.group.received"
        | "messages.group.received"
        | "messages.upsert"
        | "message.upsert"
        | "message.sent"
        | "messages.sent" => message_items(data).into_iter().flat_map(|m| parse_message(m, ts)).collect(),
        "messages.update" | "message.update" => updates(data, ts),
        "messages.delete" | "message.delete" | "messages.deleted" => deletes(data, ts),
        "messages.reaction" | "message.reaction" | "messages.reactions" => reactions(data, ts),
        "session.status" => session_event(env, data),
        "contacts.upsert" | "contacts.update" | "contact.upsert" | "contact.update" => contacts(data),
        "groups.upsert" | "groups.update" | "group.upsert" | "group.update" => super::chats::groups(data, ts),
        "chats.upsert" | "chats.update" | "chat.upsert" | "chat.update" => super::chats::chats(data, ts),
        "group-participants.update" | "group.participants.update" | "groups.participants.update" => super::chats::participants(data, ts),
        "message-receipt.update" | "message.receipt.update" | "messages.receipt.update" => super::chats::receipts(data),
        // WASender's own guide to receiving messages prints the body with
        // no `event` at all: `{"data": {"messages": [...]}}`, as upsert.
        "" if data.get("messages").is_some() => message_items(data).into_iter().flat_map(|m| parse_message(m, ts)).collect(),
        other => {
            tracing::debug!(event = other, "ignoring a WASender webhook event Wicket does not handle");
            vec![]
        }
    }
}

/// The messages of a message event: `data.messages` (object or array),
/// or `data` itself (`message.sent` may carry the message directly).
fn message_items(data: &Value) -> Vec<&Value> {
    match data.get("messages") {
        Some(m) => one_or_many(Some(m)),
        None => match data {
            Value::Array(_) => one_or_many(Some(data)).into_iter().map(|m| m.get("messages").filter(|x| x.is_object()).unwrap_or(m)).collect(),
            Value::Object(_) if data.get("key").is_some() => vec![data],
            _ => vec![],
        },
    }
}

/// The real content of a Baileys `message`, out of its wrappers.
fn unwrap_content(mut content: &Value) -> &Value {
    for _ in 0..6 {
        match WRAPPERS.iter().find_map(|w| content.get(*w).and_then(|x| x.get("message")).filter(|x| x.is_object())) {
            Some(inner) => content = inner,
            None => break,
        }
    }
    content
}

/// The text of a content (for edits and the `messageBody` fallback).
fn text_of(content: &Value) -> Option<String> {
    let c = unwrap_content(content);
    string(c.get("conversation"))
        .or_else(|| string(c.pointer("/extendedTextMessage/text")))
        .or_else(|| ["imageMessage", "videoMessage", "documentMessage"].iter().find_map(|k| string(c.get(*k).and_then(|m| m.get("caption")))))
}

/// Who a message's chat is, as Wicket keys it.
struct Chat {
    key: ContactKey,
    update: ContactUpdate,
    group: bool,
}

/// The chat of a message key. For the owner's own messages the chat is the
/// recipient (`remoteJid`): the sender fields name the owner then.
fn chat_of(key: &Value, item: &Value, from_me: bool) -> Option<Chat> {
    let remote = string(key.get("remoteJid")).or_else(|| (!from_me).then(|| string(key.get("senderPn"))).flatten())?;
    let address = parse_address(&remote)?;
    if address.is_broadcast() {
        return None;
    }
    let profile_name = (!from_me).then(|| string(item.get("pushName"))).flatten();
    Some(match address {
        Address::Group(g) => {
            Chat { key: ContactKey::user_id(g.clone()), update: ContactUpdate { jid: Some(g), is_group: Some(true), ..Default::default() }, group: true }
        }
        Address::Phone { e164, digits, jid } => Chat {
            key: ContactKey::phone(e164),
            update: ContactUpdate { wa_id: Some(digits), jid: Some(jid), profile_name, ..Default::default() },
            group: false,
        },
        Address::Opaque(lid) => {
            // A LID chat: its number, when WASender gives it, links the two.
            let alt = string(key.get("remoteJidAlt"));
            let pn = match from_me {
                false => string(key.get("cleanedSenderPn")).or_else(|| string(key.get("senderPn"))).or(alt),
                true => alt,
            };
            match pn.and_then(|p| parse_address(&p)) {
                Some(Address::Phone { e164, digits, .. }) => Chat {
                    key: ContactKey { phone: Some(e164), provider_user_id: Some(lid.clone()) },
                    update: ContactUpdate { wa_id: Some(digits), jid: Some(lid), profile_name, ..Default::default() },
                    group: false,
                },
                _ => Chat { key: ContactKey::user_id(lid.clone()), update: ContactUpdate { jid: Some(lid), profile_name, ..Default::default() }, group: false },
            }
        }
    })
}

/// The sender of a group message: the participant's JID (without device).
fn group_sender(key: &Value, item: &Value) -> Option<String> {
    let raw = string(key.get("participant"))
        .or_else(|| string(key.get("participantPn")))
        .or_else(|| string(item.get("participant")))
        .or_else(|| string(key.get("cleanedParticipantPn")))?;
    Some(match parse_address(&raw) {
        Some(Address::Phone { jid, .. }) => jid,
        Some(a) => a.jid().to_string(),
        None => raw,
    })
}

fn new_message(id: String, chat: Chat, from_me: bool, timestamp: i64, raw: &Value) -> InboundMessage {
    InboundMessage {
        chat_update: chat.update,
        origin: from_me.then_some(Origin::Phone),
        ..InboundMessage::new(id, chat.key, if from_me { Direction::Out } else { Direction::In }, MessageKind::Unsupported, timestamp, raw.clone())
    }
}

/// One message of a message event: a message, an edit, a deletion, or
/// nothing (stubs, protocol noise, status posts).
fn parse_message(item: &Value, envelope_ts: i64) -> Vec<ProviderEvent> {
    let key = item.get("key").unwrap_or(&Value::Null);
    let Some(id) = string(key.get("id")).or_else(|| string(item.get("id"))) else {
        tracing::warn!("skipped a WASender message without an id");
        return vec![];
    };
    let from_me = boolean(key.get("fromMe")).unwrap_or(false);
    let timestamp = unix_ms(item.get("messageTimestamp")).unwrap_or(envelope_ts);
    let content = item.get("message").filter(|m| m.is_object()).map(unwrap_content);
    if let Some(proto) = content.and_then(|c| c.get("protocolMessage")) {
        return protocol_event(proto, timestamp).into_iter().collect();
    }
    let Some(chat) = chat_of(key, item, from_me) else {
        tracing::debug!("skipped a WASender message outside a conversation (status post, broadcast, newsletter or no chat)");
        return vec![];
    };
    let group = chat.group;
    let mut m = new_message(id.clone(), chat, from_me, timestamp, item);
    if group && !from_me {
        m.sender_id = group_sender(key, item);
        m.sender_name = string(item.get("pushName"));
    }
    let body_text = string(item.get("messageBody"));
    // The content is the one object part (or the `conversation` string)
    // that is not context or group-key bookkeeping.
    let known =
        content.and_then(|c| c.as_object()?.iter().find(|(k, v)| k.as_str() == "conversation" || (v.is_object() && !NOT_CONTENT.contains(&k.as_str()))));
    let Some((kind_name, body)) = known else {
        return match body_text {
            Some(t) => {
                m.kind = MessageKind::Text;
                m.text = Some(t);
                vec![ProviderEvent::Message(m)]
            }
            None => {
                tracing::debug!("skipped a WASender message without content (a stub)");
                vec![]
            }
        };
    };
    m.reply_to_provider_id = string(body.pointer("/contextInfo/stanzaId"));
    match kind_name.as_str() {
        "conversation" => {
            m.kind = MessageKind::Text;
            m.text = string(Some(body)).or(body_text);
        }
        "extendedTextMessage" => {
            m.kind = MessageKind::Text;
            m.text = string(body.get("text")).or(body_text);
        }
        "imageMessage" | "videoMessage" | "audioMessage" | "documentMessage" | "stickerMessage" => {
            m.kind = match kind_name.as_str() {
                "imageMessage" => MessageKind::Image,
                "videoMessage" => MessageKind::Video,
                "documentMessage" => MessageKind::Document,
                "stickerMessage" => MessageKind::Sticker,
                _ if boolean(body.get("ptt")) == Some(true) => MessageKind::Voice,
                _ => MessageKind::Audio,
            };
            if kind_name != "stickerMessage" && kind_name != "audioMessage" {
                m.caption = string(body.get("caption"));
            }
            m.media = Some(InboundMedia {
                provider_media_id: None,
                url: string(body.get("url")),
                mime: string(body.get("mimetype")),
                sha256: string(body.get("fileSha256")),
                file_name: string(body.get("fileName")),
                size: integer(body.get("fileLength")),
                fetch_info: Some(json!({"data": {"messages": {"key": {"id": id}, "message": {kind_name.as_str(): body}}}})),
            });
        }
        "locationMessage" | "liveLocationMessage" => {
            m.kind = MessageKind::Location;
            let mut loc = Map::new();
            for (from, to) in [("degreesLatitude", "latitude"), ("degreesLongitude", "longitude"), ("name", "name"), ("address", "address"), ("url", "url")] {
                if let Some(v) = body.get(from).filter(|v| !v.is_null()) {
                    loc.insert(to.to_string(), v.clone());
                }
            }
            m.location = Some(Value::Object(loc));
        }
        "contactMessage" => {
            m.kind = MessageKind::Contacts;
            m.contacts = Some(Value::Array(vec![contact_card(body)]));
        }
        "contactsArrayMessage" => {
            m.kind = MessageKind::Contacts;
            let cards: Vec<Value> = body.get("contacts").and_then(Value::as_array).map(|a| a.iter().map(contact_card).collect()).unwrap_or_default();
            m.contacts = Some(Value::Array(cards));
        }
        "reactionMessage" => {
            let Some(target) = string(body.pointer("/key/id")) else {
                tracing::warn!("skipped a WASender reaction without a target message id");
                return vec![];
            };
            m.kind = MessageKind::Reaction;
            m.reaction = Some((target, string(body.get("text")).unwrap_or_default()));
            m.reply_to_provider_id = None;
            if let Some(ms) = unix_ms(body.get("senderTimestampMs")) {
                m.timestamp = ms;
            }
        }
        "pollUpdateMessage" => {
            tracing::debug!("skipped a WASender poll vote");
            return vec![];
        }
        other => match body_text {
            // Button and list replies, polls…: WASender's unified text says what they show.
            Some(t) => {
                tracing::debug!(kind = other, "WASender message type kept as its messageBody text");
                m.kind = MessageKind::Text;
                m.text = Some(t);
            }
            None => {
                tracing::debug!(kind = other, "unsupported WASender message type kept raw");
                m.kind = MessageKind::Unsupported;
                m.text = Some(UNSUPPORTED_TEXT.to_string());
            }
        },
    }
    vec![ProviderEvent::Message(m)]
}

/// A Baileys `protocolMessage`: a deletion for everyone (REVOKE, 0) or an
/// edit (MESSAGE_EDIT, 14). Other kinds (history sync, key shares,
/// disappearing-message settings) are protocol noise: `None`.
fn protocol_event(proto: &Value, timestamp: i64) -> Option<ProviderEvent> {
    let target = string(proto.pointer("/key/id"))?;
    let kind = proto.get("type");
    let is = |num: i64, name: &str| integer(kind) == Some(num) || kind.and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case(name));
    if is(0, "REVOKE") {
        Some(ProviderEvent::MessageDeleted { provider_message_id: target, timestamp })
    } else if is(14, "MESSAGE_EDIT") {
        let text = proto.get("editedMessage").and_then(text_of);
        let timestamp = unix_ms(proto.get("timestampMs")).unwrap_or(timestamp);
        Some(ProviderEvent::MessageEdited { provider_message_id: target, text, timestamp })
    } else {
        tracing::debug!(kind = ?kind, "ignoring a WASender protocol message");
        None
    }
}

/// A `contactMessage` as a Meta-shaped contact (what the UI shows for
/// every provider): name, phones from the vCard's `TEL` lines, the vCard.
fn contact_card(c: &Value) -> Value {
    let vcard = string(c.get("vcard")).unwrap_or_default();
    let mut phones = Vec::new();
    let mut full_name = None;
    for line in vcard.lines() {
        let line = line.trim();
        // `item1.TEL;waid=447700900123:+44 7700 900123`
        let Some((params, value)) = line.split_once(':') else { continue };
        let name = params.rsplit('.').next().unwrap_or(params).to_ascii_uppercase();
        if name.starts_with("TEL") {
            let mut phone = json!({"phone": value.trim()});
            if let Some(waid) = params.split(';').find_map(|p| p.trim().strip_prefix("waid=")) {
                phone["wa_id"] = Value::String(waid.to_string());
            }
            phones.push(phone);
        } else if name == "FN" && !value.trim().is_empty() {
            full_name = Some(value.trim().to_string());
        }
    }
    let formatted = string(c.get("displayName")).or(full_name).unwrap_or_default();
    json!({"name": {"formatted_name": formatted}, "phones": phones, "vcard": vcard})
}

/// The entries of `data` that carry a `key`: one object or an array.
fn keyed_entries(data: &Value) -> Vec<&Value> {
    let list = match data {
        Value::Object(o) if !o.contains_key("key") => ["updates", "messages"].iter().find_map(|k| data.get(*k)).unwrap_or(data),
        _ => data,
    };
    one_or_many(Some(list))
}

/// `messages.update`: statuses of our messages, edits and deletions.
fn updates(data: &Value, envelope_ts: i64) -> Vec<ProviderEvent> {
    let mut out = Vec::new();
    for entry in keyed_entries(data) {
        let key = entry.get("key").unwrap_or(&Value::Null);
        let Some(id) = string(key.get("id")) else { continue };
        let update = entry.get("update").unwrap_or(&Value::Null);
        let ts = unix_ms(update.get("messageTimestamp")).or_else(|| unix_ms(update.get("timestamp"))).unwrap_or(envelope_ts);
        if let Some(status) = update.get("status").or_else(|| entry.get("status")).and_then(message_status_of) {
            // The status of a message someone sent us (our own read receipt) is not news.
            let theirs = boolean(key.get("fromMe")) == Some(false);
            if !theirs && status != MessageStatus::Sending {
                out.push(ProviderEvent::Status(StatusReport {
                    provider_message_id: id.clone(),
                    wicket_id: None,
                    status,
                    timestamp: ts,
                    error: (status == MessageStatus::Failed).then(failed_error),
                    recipient: string(key.get("remoteJid")).and_then(|r| parse_address(&r)).map(|a| a.key()),
                }));
            }
        }
        let stub = update.get("messageStubType");
        let revoked = integer(stub) == Some(1) || stub.and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("REVOKE"));
        match update.get("message") {
            Some(msg @ Value::Object(_)) => {
                let content = unwrap_content(msg);
                match content.get("protocolMessage").and_then(|p| protocol_event(p, ts)) {
                    Some(ev) => out.push(ev),
                    None => {
                        if let Some(text) = text_of(content) {
                            out.push(ProviderEvent::MessageEdited { provider_message_id: id.clone(), text: Some(text), timestamp: ts });
                        }
                    }
                }
            }
            _ if revoked => out.push(ProviderEvent::MessageDeleted { provider_message_id: id.clone(), timestamp: ts }),
            _ => {}
        }
    }
    out
}

/// `messages.delete`: `{keys: [...]}`, one `key`, or a list of keys.
fn deletes(data: &Value, ts: i64) -> Vec<ProviderEvent> {
    let keys: Vec<&Value> = match data.get("keys") {
        Some(k) => one_or_many(Some(k)),
        None => match data.get("key") {
            Some(k) => vec![k],
            None => one_or_many(Some(data)).into_iter().map(|e| e.get("key").unwrap_or(e)).collect(),
        },
    };
    keys.into_iter().filter_map(|k| string(k.get("id"))).map(|id| ProviderEvent::MessageDeleted { provider_message_id: id, timestamp: ts }).collect()
}

/// `messages.reaction`: `[{key: <reacted message>, reaction: {text, key:
/// <the reaction's own key: who reacted>, senderTimestampMs}}]`.
fn reactions(data: &Value, envelope_ts: i64) -> Vec<ProviderEvent> {
    let mut out = Vec::new();
    for entry in one_or_many(Some(data)) {
        let reaction = entry.get("reaction").unwrap_or(&Value::Null);
        let Some(target) = string(entry.pointer("/key/id")).or_else(|| string(reaction.pointer("/key/id"))) else {
            tracing::warn!("skipped a WASender reaction without a target message id");
            continue;
        };
        // Who reacted: the reaction's own key; without it, the reacted message's chat, from the customer.
        let (reactor_key, from_me) = match reaction.get("key").filter(|k| k.is_object()) {
            Some(k) => (k, boolean(k.get("fromMe")).unwrap_or(false)),
            None => (entry.get("key").unwrap_or(&Value::Null), false),
        };
        let chat_key = if string(reactor_key.get("remoteJid")).is_some() { reactor_key } else { entry.get("key").unwrap_or(&Value::Null) };
        let Some(chat) = chat_of(chat_key, entry, from_me) else { continue };
        let group = chat.group;
        let ts = unix_ms(reaction.get("senderTimestampMs")).unwrap_or(envelope_ts);
        let id = string(reactor_key.get("id")).filter(|i| Some(i) != string(entry.pointer("/key/id")).as_ref()).unwrap_or_else(|| format!("{target}-reaction"));
        let mut m = new_message(id, chat, from_me, ts, entry);
        m.kind = MessageKind::Reaction;
        m.reaction = Some((target, string(reaction.get("text")).unwrap_or_default()));
        if group && !from_me {
            m.sender_id = group_sender(reactor_key, entry);
        }
        out.push(ProviderEvent::Message(m));
    }
    out
}

/// `session.status` → the account's state.
fn session_event(env: &Value, data: &Value) -> Vec<ProviderEvent> {
    let Some(status) = string(data.get("status")).or_else(|| string(env.get("status"))) else {
        return vec![];
    };
    match session_status(&status) {
        Some((status, reason)) => vec![ProviderEvent::AccountState { status, reason }],
        None => {
            tracing::debug!(status, "ignoring a WASender session status Wicket does not know");
            vec![]
        }
    }
}

/// `contacts.upsert|update` → contact updates (not a sync).
fn contacts(data: &Value) -> Vec<ProviderEvent> {
    let list = data.get("contacts").unwrap_or(data);
    one_or_many(Some(list))
        .into_iter()
        .filter_map(|c| contact_from_item(c, None, false))
        .map(|c| ProviderEvent::Contact { key: c.key, update: c.update })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(body: Value) -> Vec<InboundMessage> {
        parse_payload(body.to_string().as_bytes())
            .unwrap()
            .into_iter()
            .filter_map(|e| match e {
                ProviderEvent::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    fn envelope(message: Value) -> Value {
        json!({"event": "messages.upsert", "timestamp": 1767268930, "data": {"messages": [message]}})
    }

    #[test]
    fn the_guides_body_without_event_is_a_message() {
        let body = std::fs::read(format!("{}/../../tests/fixtures/wasender/webhook_no_event.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let events = parse_payload(&body).unwrap();
        let [ProviderEvent::Message(m)] = events.as_slice() else { panic!("one message: {events:?}") };
        assert_eq!((m.provider_message_id.as_str(), m.text.as_deref()), ("BAE5A93B52084A3B", Some("Hello! Do you deliver to Camden?")));
        assert_eq!((m.direction, m.chat_update.profile_name.as_deref()), (Direction::In, Some("Sam Okafor")));
        assert!(messages(json!({"data": {"status": "connected"}})).is_empty(), "without event or messages: nothing");
    }

    #[test]
    fn wrapped_content_is_unwrapped() {
        let m = messages(envelope(json!({
            "key": {"id": "E1", "fromMe": false, "remoteJid": "447700900123@s.whatsapp.net"},
            "message": {"ephemeralMessage": {"message": {"extendedTextMessage": {"text": "vanishing"}}}}
        })));
        assert_eq!((m[0].kind, m[0].text.as_deref()), (MessageKind::Text, Some("vanishing")));
    }

    #[test]
    fn protocol_noise_and_stubs_are_skipped() {
        let noise = messages(envelope(json!({
            "key": {"id": "P1", "fromMe": true, "remoteJid": "447700900123@s.whatsapp.net"},
            "message": {"protocolMessage": {"type": "HISTORY_SYNC_NOTIFICATION", "key": {"id": "x"}}}
        })));
        assert!(noise.is_empty());
        let stub = messages(envelope(json!({"key": {"id": "S1", "fromMe": false, "remoteJid": "447700900123@s.whatsapp.net"}, "messageStubType": 2})));
        assert!(stub.is_empty(), "a message without content is not stored");
        let status_post = messages(envelope(json!({"key": {"id": "B1", "remoteJid": "status@broadcast", "participant": "447700900123@s.whatsapp.net"},
                                                   "message": {"conversation": "my story"}})));
        assert!(status_post.is_empty(), "status posts are not conversations");
    }

    #[test]
    fn sender_key_distribution_is_not_the_content() {
        let m = messages(envelope(json!({
            "key": {"id": "G1", "fromMe": false, "remoteJid": "120363041234567890@g.us", "participant": "447700900123@s.whatsapp.net"},
            "pushName": "Priya",
            "message": {"senderKeyDistributionMessage": {"groupId": "120363041234567890@g.us"}, "conversation": "hello group"}
        })));
        assert_eq!(m[0].text.as_deref(), Some("hello group"));
    }

    #[test]
    fn vcards_become_meta_shaped_contacts() {
        let card = contact_card(
            &json!({"displayName": "Max", "vcard": "BEGIN:VCARD\nVERSION:3.0\nFN:Max M\nitem1.TEL;waid=4915198765432:+49 151 98765432\nEND:VCARD"}),
        );
        assert_eq!(card["name"]["formatted_name"], "Max");
        assert_eq!(card["phones"][0], json!({"phone": "+49 151 98765432", "wa_id": "4915198765432"}));
    }
}
