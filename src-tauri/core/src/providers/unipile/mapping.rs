//! UniPile JSON turned into Wicket's terms, shared by polling (`Message`
//! objects of `GET /messages`) and webhooks (flat `message_received` &co).
//!
//! Rules kept here: parse tolerantly (every field optional, booleans as
//! `true`/`1`/`"1"`, attachments as an object or an array, ids as strings or
//! numbers) and never invent data. A WhatsApp JID becomes a contact key the
//! same way on both paths: `<digits>@s.whatsapp.net` is a phone number
//! (E.164), a group (`@g.us`), a LID (`@lid`), a broadcast list or a
//! newsletter stays an opaque id. The message id is always UniPile's own id
//! (`id` on a Message object, `message_id` in a webhook), so a message seen
//! by both paths is stored once. This module does no I/O.

use crate::model::{Direction, MessageKind, MessageStatus, Origin};
use crate::phone;
use crate::providers::meta::webhook::UNSUPPORTED_TEXT;
use crate::providers::{InboundMedia, InboundMessage, ProviderEvent, StatusReport};
use crate::store::contacts::{ContactKey, ContactUpdate};
use crate::time::{now_ms, parse_rfc3339};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A non-empty trimmed string, from a JSON string or number.
pub(crate) fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn integer(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// UniPile booleans arrive as `true`, `1` or (rarely) strings.
pub(crate) fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|i| i != 0),
        Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"),
        _ => false,
    }
}

/// An array, a single object as a one-element list, anything else empty.
pub(crate) fn list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => vec![],
    }
}

/// An ISO-8601 timestamp (or Unix seconds/ms as a number) to Unix ms.
pub(crate) fn timestamp(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => parse_rfc3339(s.trim()).or_else(|| s.trim().parse::<i64>().ok().map(seconds_or_ms)),
        Value::Number(n) => n.as_i64().map(seconds_or_ms),
        _ => None,
    }
}

fn seconds_or_ms(n: i64) -> i64 {
    // `unsigned_abs`: `abs` of i64::MIN overflows (found by tests/fuzz_webhooks.rs).
    if n.unsigned_abs() < 100_000_000_000 {
        n * 1000
    } else {
        n
    }
}

/// Unix ms as UniPile's list bounds want them: `YYYY-MM-DDTHH:MM:SS.sssZ`.
pub(crate) fn iso_ms(ms: i64) -> String {
    use chrono::TimeZone;
    let t = chrono::Utc.timestamp_millis_opt(ms.max(0)).single().unwrap_or_default();
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A WhatsApp id as UniPile reports it (a JID, or sometimes a bare number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jid {
    /// The id without a `:device` suffix, e.g. `447700900123@s.whatsapp.net`.
    pub id: String,
    /// E.164 with `+` when the id is a phone number.
    pub phone: Option<String>,
    pub is_group: bool,
}

impl Jid {
    /// Parses a JID (section E of the provider reference): the domains
    /// `g.us`, `lid`, `broadcast` and `newsletter` are not phone numbers.
    pub fn parse(s: &str) -> Option<Jid> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        let Some((local, domain)) = t.split_once('@') else {
            // A bare number (tolerated): digits become a phone, else opaque.
            let phone = phone_from_digits(t);
            return Some(Jid { id: t.to_string(), phone, is_group: false });
        };
        let domain = domain.trim().to_ascii_lowercase();
        let local = local.split(':').next().unwrap_or(local).trim();
        if local.is_empty() {
            return None;
        }
        let id = format!("{local}@{domain}");
        let is_group = domain == "g.us";
        let opaque = is_group || matches!(domain.as_str(), "lid" | "broadcast" | "newsletter");
        let phone = if opaque { None } else { phone_from_digits(local) };
        Some(Jid { id, phone, is_group })
    }

    /// The contact key: the phone number when there is one, else the id.
    pub fn key(&self) -> ContactKey {
        match &self.phone {
            Some(p) => ContactKey::phone(p.clone()),
            None => ContactKey::user_id(self.id.clone()),
        }
    }

    /// How a person is named in `sender_id` and as a reactor: the phone
    /// number, else the opaque id (the same on the poll and webhook paths).
    pub fn person_id(&self) -> String {
        self.phone.clone().unwrap_or_else(|| self.id.clone())
    }
}

/// Digits of a WhatsApp number (8–15, with an optional `+`/`00`) to E.164.
pub(crate) fn phone_from_digits(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t.strip_prefix('+').or_else(|| t.strip_prefix("00")).unwrap_or(t);
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    phone::from_wa_id(&digits).ok().map(|e| e.as_str().to_string())
}

/// A name worth keeping: not empty and not just the number or the JID.
pub(crate) fn real_name(name: Option<String>) -> Option<String> {
    name.filter(|n| !n.contains('@') && phone_from_digits(n).is_none())
}

/// The contact key and update of a chat (or of a person) known by `jid`.
pub(crate) fn contact_for(jid: &Jid, name: Option<String>, is_group: bool) -> (ContactKey, ContactUpdate) {
    let is_group = is_group || jid.is_group;
    let update = ContactUpdate {
        wa_id: jid.phone.as_ref().map(|p| p.trim_start_matches('+').to_string()),
        jid: Some(jid.id.clone()),
        is_group: is_group.then_some(true),
        profile_name: real_name(name),
        ..Default::default()
    };
    let key = if is_group { ContactKey::user_id(jid.id.clone()) } else { jid.key() };
    (key, update)
}

/// What a poll knows about a chat (from `GET /chats/{id}` and its attendees).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatInfo {
    /// The chat's JID: the other person's for 1:1, the group's for groups.
    pub jid: Option<Jid>,
    pub is_group: bool,
    pub name: Option<String>,
    /// Group members: JID (without device) → display name.
    pub members: HashMap<String, String>,
}

impl ChatInfo {
    /// From a `Chat` object (`type` 0 single, 1 group, 2 channel).
    pub fn from_chat(chat: &Value) -> ChatInfo {
        let kind = integer(chat.get("type")).unwrap_or(0);
        let provider_id = string(chat.get("provider_id")).and_then(|s| Jid::parse(&s));
        let is_group = kind != 0 || provider_id.as_ref().is_some_and(|j| j.is_group);
        let jid = if is_group { provider_id } else { string(chat.get("attendee_provider_id")).and_then(|s| Jid::parse(&s)).or(provider_id) };
        ChatInfo { jid, is_group, name: string(chat.get("name")), members: HashMap::new() }
    }

    /// What a message alone says about its chat (when the chat lookup failed).
    pub fn from_message(msg: &Value) -> ChatInfo {
        let jid = string(msg.get("chat_provider_id")).and_then(|s| Jid::parse(&s));
        let is_group = jid.as_ref().is_some_and(|j| j.is_group);
        ChatInfo { jid, is_group, ..Default::default() }
    }
}

/// The kind and media of one attachment (poll or webhook shape).
pub(crate) fn attachment(att: &Value, message_id: &str) -> (MessageKind, InboundMedia) {
    let kind_name = string(att.get("type")).or_else(|| string(att.get("attachment_type"))).unwrap_or_default().to_ascii_lowercase();
    let mime = string(att.get("mimetype")).or_else(|| string(att.get("mime_type"))).or_else(|| string(att.get("mime")));
    let flag = |k: &str| truthy(att.get(k));
    let by_mime = || match mime.as_deref().and_then(|m| m.split('/').next()) {
        Some("image") => MessageKind::Image,
        Some("video") => MessageKind::Video,
        Some("audio") => MessageKind::Audio,
        _ => MessageKind::Document,
    };
    let kind = match kind_name.as_str() {
        _ if flag("sticker") => MessageKind::Sticker,
        "img" | "image" | "photo" | "gif" if flag("gif") || kind_name == "gif" => MessageKind::Video,
        "img" | "image" | "photo" => MessageKind::Image,
        "video" => MessageKind::Video,
        "audio" | "voice" | "ptt" if flag("voice_note") || kind_name != "audio" => MessageKind::Voice,
        "audio" => MessageKind::Audio,
        "file" | "document" => MessageKind::Document,
        "sticker" => MessageKind::Sticker,
        _ => by_mime(),
    };
    let attachment_id = string(att.get("id")).or_else(|| string(att.get("attachment_id")));
    // An unavailable attachment has nothing to fetch: no id, no fetch_info.
    let fetchable = !flag("unavailable") && attachment_id.is_some();
    let size = match att.get("file_size") {
        Some(v) => integer(Some(v)),
        None => att.get("size").filter(|v| v.is_number()).and_then(|v| integer(Some(v))),
    };
    let media = InboundMedia {
        provider_media_id: if fetchable { attachment_id.clone() } else { None },
        url: string(att.get("url")).or_else(|| string(att.get("attachment_url"))),
        mime,
        sha256: None,
        file_name: string(att.get("file_name")).or_else(|| string(att.get("filename"))).or_else(|| string(att.get("name"))),
        size,
        fetch_info: fetchable.then(|| json!({"message_id": message_id, "attachment_id": attachment_id})),
    };
    (kind, media)
}

/// The reply target of a `quoted` object: UniPile's id when given, else
/// the WhatsApp id resolved by `resolve` (or kept as is).
pub(crate) fn quoted_target(quoted: Option<&Value>, resolve: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let q = quoted.filter(|q| q.is_object())?;
    if let Some(id) = string(q.get("id")).or_else(|| string(q.get("message_id"))) {
        return Some(id);
    }
    let wa = string(q.get("provider_id")).or_else(|| string(q.get("provider_message_id")))?;
    Some(resolve(&wa).unwrap_or(wa))
}

/// A message shell; the caller fills kind, text and media.
#[allow(clippy::too_many_arguments)]
pub(crate) fn shell(
    id: String,
    chat: ContactKey,
    chat_update: ContactUpdate,
    provider_chat_id: Option<String>,
    from_me: bool,
    timestamp: i64,
    raw: Value,
) -> InboundMessage {
    InboundMessage {
        chat_update,
        provider_chat_id,
        // The owner's own phone: stored as outgoing, never as a customer message.
        origin: from_me.then_some(Origin::Phone),
        ..InboundMessage::new(id, chat, if from_me { Direction::Out } else { Direction::In }, MessageKind::Text, timestamp, raw)
    }
}

/// Fills kind, text, caption and media from the text and the attachments.
pub(crate) fn fill_content(m: &mut InboundMessage, text: Option<String>, attachments: &[&Value], deleted: bool) {
    let id = m.provider_message_id.clone();
    match attachments.first() {
        Some(att) => {
            if attachments.len() > 1 {
                tracing::debug!(count = attachments.len(), "a UniPile message with several attachments: the first is kept");
            }
            let (kind, media) = attachment(att, &id);
            m.kind = kind;
            m.caption = text;
            m.media = Some(media);
        }
        None if text.is_some() || deleted => {
            m.kind = MessageKind::Text;
            m.text = text;
        }
        None => {
            m.kind = MessageKind::Unsupported;
            m.text = Some(UNSUPPORTED_TEXT.to_string());
        }
    }
}

/// A reaction event on `target` by `reactor` (a [`Jid::person_id`]), or by
/// the owner when `from_me`. Its own id is derived, so a redelivery is the
/// same event.
pub(crate) fn reaction_event(
    target: &str,
    emoji: String,
    reactor: Option<String>,
    from_me: bool,
    chat: (ContactKey, ContactUpdate, Option<String>),
    timestamp: i64,
    raw: Value,
) -> InboundMessage {
    let who = if from_me { "me".to_string() } else { reactor.clone().unwrap_or_else(|| "unknown".into()) };
    let (key, update, provider_chat_id) = chat;
    let mut m = shell(format!("{target}:reaction:{who}"), key, update, provider_chat_id, from_me, timestamp, raw);
    m.kind = MessageKind::Reaction;
    m.reaction = Some((target.to_string(), emoji));
    m.sender_id = if from_me { None } else { reactor };
    m
}

/// The events of one `Message` object from `GET /messages`: the message,
/// then its edit or deletion, its read/delivered state (our messages) and
/// its reactions. `None` for a message without an id.
pub(crate) fn message_events(msg: &Value, chat: &ChatInfo, resolve: &dyn Fn(&str) -> Option<String>) -> Option<Vec<ProviderEvent>> {
    let id = string(msg.get("id"))?;
    if truthy(msg.get("is_event")) || truthy(msg.get("hidden")) {
        tracing::debug!(id, "skipping a UniPile event or hidden message");
        return Some(vec![]);
    }
    let ts = timestamp(msg.get("timestamp")).unwrap_or_else(now_ms);
    let from_me = truthy(msg.get("is_sender"));
    let fallback = ChatInfo::from_message(msg);
    let jid = chat.jid.as_ref().or(fallback.jid.as_ref());
    let is_group = chat.is_group || fallback.is_group;
    let sender = string(msg.get("sender_id")).and_then(|s| Jid::parse(&s));
    // A 1:1 chat without a known JID: the other person is the sender of an inbound message.
    let chat_jid = match (jid, &sender) {
        (Some(j), _) => j.clone(),
        (None, Some(s)) if !from_me && !is_group => s.clone(),
        _ => {
            tracing::warn!(id, "skipped a UniPile message whose chat is unknown");
            return Some(vec![]);
        }
    };
    let (key, update) = contact_for(&chat_jid, chat.name.clone(), is_group);
    let provider_chat_id = string(msg.get("chat_id"));
    let deleted = truthy(msg.get("deleted"));
    let mut m = shell(id.clone(), key.clone(), update.clone(), provider_chat_id.clone(), from_me, ts, msg.clone());
    if is_group && !from_me {
        if let Some(s) = &sender {
            m.sender_id = Some(s.person_id());
            m.sender_name = chat.members.get(&s.id).cloned();
        }
    }
    let attachments = list(msg.get("attachments"));
    fill_content(&mut m, string(msg.get("text")), &attachments, deleted);
    m.reply_to_provider_id = quoted_target(msg.get("quoted"), resolve);
    let text = m.text.clone().or_else(|| m.caption.clone());
    let mut events = vec![ProviderEvent::Message(m)];
    if deleted {
        events.push(ProviderEvent::MessageDeleted { provider_message_id: id.clone(), timestamp: ts });
    } else if truthy(msg.get("edited")) {
        events.push(ProviderEvent::MessageEdited { provider_message_id: id.clone(), text, timestamp: ts });
    }
    if from_me {
        let status = if truthy(msg.get("seen")) {
            Some(MessageStatus::Read)
        } else if truthy(msg.get("delivered")) {
            Some(MessageStatus::Delivered)
        } else {
            None
        };
        if let Some(status) = status {
            let seen_at = msg.get("seen_by").and_then(Value::as_object).and_then(|o| o.values().filter_map(|v| timestamp(Some(v))).max());
            events.push(ProviderEvent::Status(StatusReport {
                provider_message_id: id.clone(),
                wicket_id: None,
                status,
                timestamp: if status == MessageStatus::Read { seen_at.unwrap_or(ts) } else { ts },
                error: None,
                recipient: (!is_group).then(|| key.clone()),
            }));
        }
    }
    for r in list(msg.get("reactions")) {
        let Some(emoji) = r.get("value").and_then(Value::as_str).map(str::to_string) else { continue };
        let mine = truthy(r.get("is_sender"));
        let reactor = string(r.get("sender_id")).and_then(|s| Jid::parse(&s)).map(|j| j.person_id());
        let reactor = reactor.or_else(|| (!is_group).then(|| chat_jid.person_id()));
        events.push(ProviderEvent::Message(reaction_event(&id, emoji, reactor, mine, (key.clone(), update.clone(), provider_chat_id.clone()), ts, r.clone())));
    }
    Some(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jids_become_phones_or_stay_opaque() {
        let p = Jid::parse("447700900123@s.whatsapp.net").unwrap();
        assert_eq!(p.phone.as_deref(), Some("+447700900123"));
        assert_eq!(p.key(), ContactKey::phone("+447700900123"));
        let d = Jid::parse(" 447700900123:12@s.whatsapp.net ").unwrap();
        assert_eq!(d.id, "447700900123@s.whatsapp.net", "the device suffix is dropped");
        assert_eq!(d.phone.as_deref(), Some("+447700900123"));
        let g = Jid::parse("120363041234567890@g.us").unwrap();
        assert!(g.is_group && g.phone.is_none(), "a group JID is never a phone");
        let lid = Jid::parse("123456789012345@lid").unwrap();
        assert_eq!(lid.key(), ContactKey::user_id("123456789012345@lid"), "a LID stays opaque");
        assert!(Jid::parse("status@broadcast").unwrap().phone.is_none());
        assert_eq!(Jid::parse("+44 7700 900123").unwrap().phone.as_deref(), Some("+447700900123"));
        assert!(Jid::parse("").is_none());
        assert!(Jid::parse("@s.whatsapp.net").is_none());
    }

    #[test]
    fn timestamps_and_iso_bounds() {
        assert_eq!(timestamp(Some(&json!("2026-01-01T12:00:05.000Z"))), Some(1_767_268_805_000));
        assert_eq!(timestamp(Some(&json!(1_767_268_805))), Some(1_767_268_805_000));
        assert_eq!(timestamp(Some(&json!(1_767_268_805_123_i64))), Some(1_767_268_805_123));
        assert_eq!(timestamp(Some(&json!("nope"))), None);
        assert_eq!(timestamp(Some(&json!(i64::MIN))), Some(i64::MIN), "no overflow");
        assert_eq!(iso_ms(1_767_268_805_000), "2026-01-01T12:00:05.000Z");
        assert_eq!(iso_ms(1_767_268_805_007), "2026-01-01T12:00:05.007Z");
    }

    #[test]
    fn attachment_kinds() {
        let k = |v: Value| attachment(&v, "m1").0;
        assert_eq!(k(json!({"id": "a", "type": "img"})), MessageKind::Image);
        assert_eq!(k(json!({"id": "a", "type": "img", "sticker": true})), MessageKind::Sticker);
        assert_eq!(k(json!({"id": "a", "type": "img", "gif": true})), MessageKind::Video);
        assert_eq!(k(json!({"id": "a", "type": "video"})), MessageKind::Video);
        assert_eq!(k(json!({"id": "a", "type": "audio"})), MessageKind::Audio);
        assert_eq!(k(json!({"id": "a", "type": "audio", "voice_note": true})), MessageKind::Voice);
        assert_eq!(k(json!({"id": "a", "type": "file"})), MessageKind::Document);
        assert_eq!(k(json!({"id": "a", "type": "sticker"})), MessageKind::Sticker);
        assert_eq!(k(json!({"attachment_id": "a", "attachment_type": "image"})), MessageKind::Image);
        assert_eq!(k(json!({"id": "a", "type": "weird", "mimetype": "audio/ogg"})), MessageKind::Audio);
        let (_, media) = attachment(&json!({"id": "a1", "type": "img", "mimetype": "image/jpeg", "file_size": 10, "size": {"width": 1}}), "m1");
        assert_eq!(media.fetch_info, Some(json!({"message_id": "m1", "attachment_id": "a1"})));
        assert_eq!(media.size, Some(10));
        let (_, gone) = attachment(&json!({"id": "a1", "type": "img", "unavailable": true}), "m1");
        assert!(gone.fetch_info.is_none() && gone.provider_media_id.is_none(), "nothing to fetch");
    }

    #[test]
    fn names_that_are_numbers_are_not_names() {
        assert_eq!(real_name(Some("Priya".into())).as_deref(), Some("Priya"));
        assert_eq!(real_name(Some("+44 7700 900123".into())), None);
        assert_eq!(real_name(Some("447700900123@s.whatsapp.net".into())), None);
    }
}
