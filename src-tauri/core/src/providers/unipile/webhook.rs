//! UniPile webhook payloads turned into normalized [`ProviderEvent`]s.
//!
//! Two sources post here: `messaging` (flat payloads with an `event` of
//! `message_received`, `message_reaction`, `message_read`,
//! `message_delivered`, `message_edited`, `message_deleted`) and
//! `account_status` (`{"AccountStatus":{account_id, account_type, message}}`).
//!
//! Rules kept here: the body is parsed as JSON whatever its Content-Type
//! (UniPile sends none unless told); the message id is UniPile's
//! `message_id`, the same id polling stores (`Message.id`), so a message
//! delivered both ways is stored once; `message_received` also fires for
//! messages the owner sent from the phone, which become outgoing with origin
//! `phone` (by `is_sender`, or the sender being `account_info.user_id`);
//! attachments arrive as an object or an array. UniPile signs nothing:
//! checking the `X-Wicket-Secret` header (constant time) and routing to the
//! account belong to the listener (`crate::webhook`). No I/O here.

use super::accounts::status_from_unipile;
use super::mapping::{contact_for, fill_content, list, quoted_target, reaction_event, string, timestamp, truthy, Jid};
use crate::model::MessageStatus;
use crate::providers::{ProviderEvent, StatusReport};
use crate::store::contacts::ContactKey;
use crate::time::now_ms;
use serde_json::Value;

/// The events a `messaging` webhook is registered for.
pub const MESSAGING_EVENTS: [&str; 6] = ["message_received", "message_read", "message_reaction", "message_edited", "message_deleted", "message_delivered"];

/// The body is not a JSON object: nothing in it can be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unparseable UniPile webhook body: {0}")]
pub struct ParseError(pub String);

/// Parses a webhook body (already authenticated) into events.
///
/// Fails only when the body is not a JSON object. Objects of another shape
/// or events Wicket does not handle yield no events: UniPile retries
/// anything not answered 200, so what cannot be used is ignored.
pub fn parse_payload(body: &[u8]) -> Result<Vec<ProviderEvent>, ParseError> {
    let root = parse_object(body)?;
    if let Some(status) = root.get("AccountStatus") {
        return Ok(account_status(status).into_iter().collect());
    }
    let event = string(root.get("event")).unwrap_or_default();
    let events = match event.as_str() {
        "message_received" => message(&root).into_iter().collect(),
        "message_reaction" => reaction(&root).into_iter().collect(),
        "message_read" => status(&root, MessageStatus::Read).into_iter().collect(),
        "message_delivered" => status(&root, MessageStatus::Delivered).into_iter().collect(),
        "message_edited" => match string(root.get("message_id")) {
            Some(id) => vec![ProviderEvent::MessageEdited {
                provider_message_id: id,
                text: text_of(&root),
                timestamp: timestamp(root.get("timestamp")).unwrap_or_else(now_ms),
            }],
            None => vec![],
        },
        "message_deleted" => match string(root.get("message_id")) {
            Some(id) => {
                vec![ProviderEvent::MessageDeleted { provider_message_id: id, timestamp: timestamp(root.get("timestamp")).unwrap_or_else(now_ms) }]
            }
            None => vec![],
        },
        other => {
            tracing::debug!(event = other, "ignoring a UniPile webhook event Wicket does not handle");
            vec![]
        }
    };
    Ok(events)
}

/// The UniPile account a payload is about (`account_id`, or
/// `AccountStatus.account_id`), for the listener to check it against the
/// account of the route.
pub fn payload_account_id(body: &[u8]) -> Option<String> {
    let root = parse_object(body).ok()?;
    string(root.get("account_id")).or_else(|| string(root.get("AccountStatus").and_then(|s| s.get("account_id"))))
}

fn parse_object(body: &[u8]) -> Result<Value, ParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| ParseError(e.to_string()))?;
    if !root.is_object() {
        return Err(ParseError("the body is JSON but not an object".into()));
    }
    Ok(root)
}

fn account_status(v: &Value) -> Option<ProviderEvent> {
    let message = string(v.get("message"))?;
    match status_from_unipile(&message) {
        Some((status, reason)) => Some(ProviderEvent::AccountState { status, reason }),
        None => {
            tracing::debug!(message, "ignoring a UniPile account status Wicket does not know");
            None
        }
    }
}

/// The message text: `message` (documented), `text` tolerated.
fn text_of(root: &Value) -> Option<String> {
    string(root.get("message")).or_else(|| string(root.get("text")))
}

/// The owner's own WhatsApp id (`account_info.user_id`).
fn own_id(root: &Value) -> Option<Jid> {
    string(root.get("account_info").and_then(|a| a.get("user_id"))).and_then(|s| Jid::parse(&s))
}

fn same_person(a: &Jid, b: &Jid) -> bool {
    a.id == b.id || (a.phone.is_some() && a.phone == b.phone)
}

/// A person object (`sender`, `reaction_sender`, `attendees[]`).
struct Person {
    jid: Option<Jid>,
    name: Option<String>,
    /// `attendee_specifics.phone_number` (E.164 with `+`), when given.
    phone: Option<String>,
}

fn person(v: Option<&Value>) -> Option<Person> {
    let v = v.filter(|v| v.is_object())?;
    let jid = string(v.get("attendee_provider_id")).and_then(|s| Jid::parse(&s));
    let phone = string(v.pointer("/attendee_specifics/phone_number")).and_then(|p| super::mapping::phone_from_digits(&p));
    Some(Person { jid, name: string(v.get("attendee_name")), phone })
}

/// Whether the payload reports something the owner did (from the phone).
fn from_me(root: &Value, actor: Option<&Person>) -> bool {
    if truthy(root.get("is_sender")) {
        return true;
    }
    match (own_id(root), actor.and_then(|p| p.jid.as_ref())) {
        (Some(me), Some(them)) => same_person(&me, them),
        _ => false,
    }
}

/// The chat's contact: the group for groups; else the other person (the
/// sender of an inbound message, or the attendee who is not the owner).
fn chat_contact(root: &Value, sender: Option<&Person>, mine: bool) -> Option<(ContactKey, crate::store::contacts::ContactUpdate)> {
    let chat_jid = string(root.get("provider_chat_id")).and_then(|s| Jid::parse(&s));
    let is_group = truthy(root.get("is_group")) || chat_jid.as_ref().is_some_and(|j| j.is_group);
    if is_group {
        let Some(jid) = chat_jid else {
            // No group JID: fall back to UniPile's chat id (stable, opaque).
            let chat_id = string(root.get("chat_id"))?;
            tracing::warn!(chat_id, "a UniPile group message without provider_chat_id: keyed by the chat id");
            let jid = Jid { id: chat_id, phone: None, is_group: true };
            return Some(contact_for(&jid, None, true));
        };
        return Some(contact_for(&jid, None, true));
    }
    let me = own_id(root);
    // The other person: the sender when it is not the owner, else an attendee who is not the owner.
    let attendees: Vec<Person> = list(root.get("attendees")).into_iter().filter_map(|a| person(Some(a))).collect();
    let other: Option<&Person> = if !mine {
        sender
    } else {
        attendees.iter().find(|a| match (&a.jid, &me) {
            (Some(j), Some(m)) => !same_person(j, m),
            (Some(_), None) => true,
            _ => false,
        })
    };
    let jid = chat_jid.or_else(|| other.and_then(|p| p.jid.clone()))?;
    let name = other.filter(|p| p.jid.as_ref().is_some_and(|j| same_person(j, &jid))).and_then(|p| p.name.clone());
    let (mut key, update) = contact_for(&jid, name, false);
    // A LID chat whose person's number UniPile knows: key by both.
    if key.phone.is_none() {
        key.phone = other.filter(|p| p.jid.as_ref().is_some_and(|j| same_person(j, &jid))).and_then(|p| p.phone.clone());
    }
    Some((key, update))
}

fn message(root: &Value) -> Option<ProviderEvent> {
    let Some(id) = string(root.get("message_id")) else {
        tracing::warn!("skipped a UniPile message webhook without a message_id");
        return None;
    };
    if truthy(root.get("is_event")) {
        // Group notices ("X joined"): polling skips them too.
        tracing::debug!(id, "skipping a UniPile event message");
        return None;
    }
    let sender = person(root.get("sender"));
    let mine = from_me(root, sender.as_ref());
    let Some((key, update)) = chat_contact(root, sender.as_ref(), mine) else {
        tracing::warn!(id, "skipped a UniPile message webhook whose chat is unknown");
        return None;
    };
    let is_group = update.is_group == Some(true);
    let ts = timestamp(root.get("timestamp")).unwrap_or_else(now_ms);
    let mut m = super::mapping::shell(id, key, update, string(root.get("chat_id")), mine, ts, root.clone());
    if is_group && !mine {
        if let Some(s) = &sender {
            m.sender_id = s.phone.clone().or_else(|| s.jid.as_ref().map(Jid::person_id));
            m.sender_name = s.name.clone();
        }
    }
    let attachments = list(root.get("attachments"));
    fill_content(&mut m, text_of(root), &attachments, false);
    m.reply_to_provider_id = quoted_target(root.get("quoted"), &|_| None);
    Some(ProviderEvent::Message(m))
}

fn reaction(root: &Value) -> Option<ProviderEvent> {
    let target = string(root.get("message_id"))?;
    let reactor = person(root.get("reaction_sender")).or_else(|| person(root.get("sender")));
    let mine = from_me(root, reactor.as_ref());
    let (key, update) = chat_contact(root, reactor.as_ref(), mine)?;
    let emoji = root.get("reaction").and_then(Value::as_str).map(|s| s.trim().to_string()).unwrap_or_default();
    let is_group = update.is_group == Some(true);
    let reactor_id = reactor.as_ref().and_then(|p| p.phone.clone().or_else(|| p.jid.as_ref().map(Jid::person_id)));
    let reactor_id = reactor_id.or_else(|| if is_group { None } else { key.phone.clone().or_else(|| key.provider_user_id.clone()) });
    let ts = timestamp(root.get("timestamp")).unwrap_or_else(now_ms);
    let chat = (key, update, string(root.get("chat_id")));
    Some(ProviderEvent::Message(reaction_event(&target, emoji, reactor_id, mine, chat, ts, root.clone())))
}

fn status(root: &Value, status: MessageStatus) -> Option<ProviderEvent> {
    let id = string(root.get("message_id"))?;
    Some(ProviderEvent::Status(StatusReport {
        provider_message_id: id,
        wicket_id: None,
        status,
        timestamp: timestamp(root.get("timestamp")).unwrap_or_else(now_ms),
        error: None,
        recipient: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountStatus;
    use crate::model::{Direction, MessageKind, Origin};
    use serde_json::json;

    fn base(event: &str) -> Value {
        json!({
            "account_id": "kX3p", "account_type": "WHATSAPP",
            "account_info": {"type": "WHATSAPP", "feature": "classic", "user_id": "15550102030@s.whatsapp.net"},
            "event": event, "chat_id": "chat1", "timestamp": "2026-01-01T11:53:19.000Z", "message_id": "mSg1",
            "message": "hello",
            "sender": {"attendee_id": "a1", "attendee_name": "Priya Raman", "attendee_provider_id": "447700900123@s.whatsapp.net"},
            "attendees": [{"attendee_id": "a2", "attendee_name": "Camden", "attendee_provider_id": "15550102030@s.whatsapp.net"}],
            "is_group": false, "provider_chat_id": "447700900123@s.whatsapp.net"
        })
    }

    fn one(v: Value) -> ProviderEvent {
        let mut all = parse_payload(v.to_string().as_bytes()).unwrap();
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    fn msg(v: Value) -> crate::providers::InboundMessage {
        match one(v) {
            ProviderEvent::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn sender_equal_to_own_id_is_the_phone() {
        let mut v = base("message_received");
        v.as_object_mut().unwrap().remove("is_sender");
        v["sender"] = json!({"attendee_name": "Camden", "attendee_provider_id": "15550102030@s.whatsapp.net"});
        v["attendees"] = json!([{"attendee_name": "Priya Raman", "attendee_provider_id": "447700900123@s.whatsapp.net"}]);
        v.as_object_mut().unwrap().remove("provider_chat_id");
        let m = msg(v);
        assert_eq!((m.direction, m.origin), (Direction::Out, Some(Origin::Phone)));
        assert_eq!(m.chat, ContactKey::phone("+447700900123"), "the chat is the other attendee");
        assert_eq!(m.chat_update.profile_name.as_deref(), Some("Priya Raman"));
    }

    #[test]
    fn attachments_as_an_object() {
        let mut v = base("message_received");
        v["attachments"] = json!({"attachment_id": "att9", "attachment_type": "audio", "voice_note": true, "mimetype": "audio/ogg"});
        let m = msg(v);
        assert_eq!(m.kind, MessageKind::Voice);
        assert_eq!(m.caption.as_deref(), Some("hello"));
        assert_eq!(m.media.unwrap().fetch_info, Some(json!({"message_id": "mSg1", "attachment_id": "att9"})));
    }

    #[test]
    fn statuses_edits_and_deletions() {
        match one(base("message_read")) {
            ProviderEvent::Status(s) => assert_eq!((s.provider_message_id.as_str(), s.status), ("mSg1", MessageStatus::Read)),
            other => panic!("{other:?}"),
        }
        match one(base("message_delivered")) {
            ProviderEvent::Status(s) => assert_eq!(s.status, MessageStatus::Delivered),
            other => panic!("{other:?}"),
        }
        let mut e = base("message_edited");
        e["message"] = json!("hello, edited");
        assert_eq!(
            one(e),
            ProviderEvent::MessageEdited { provider_message_id: "mSg1".into(), text: Some("hello, edited".into()), timestamp: 1_767_268_399_000 }
        );
        assert_eq!(one(base("message_deleted")), ProviderEvent::MessageDeleted { provider_message_id: "mSg1".into(), timestamp: 1_767_268_399_000 });
    }

    #[test]
    fn account_status_and_junk() {
        let ev = one(json!({"AccountStatus": {"account_id": "kX3p", "account_type": "WHATSAPP", "message": "OK"}}));
        assert_eq!(ev, ProviderEvent::AccountState { status: AccountStatus::Ok, reason: None });
        assert!(parse_payload(br#"{"AccountStatus": {"message": "SOMETHING_NEW"}}"#).unwrap().is_empty());
        assert!(parse_payload(br#"{"event": "chat_created"}"#).unwrap().is_empty());
        assert!(parse_payload(b"[1,2]").is_err());
        assert!(parse_payload(b"not json").is_err());
        assert_eq!(payload_account_id(base("message_read").to_string().as_bytes()).as_deref(), Some("kX3p"));
    }
}
