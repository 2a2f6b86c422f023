//! WASender's chat, group and receipt events (reference F.8), mapped to the
//! same events as Meta's equivalents: `chats.upsert` makes conversations
//! (a group's name is its subject), `groups.upsert`/`groups.update` give a
//! group its subject as of WhatsApp's `subjectTime`, `group-participants.update`
//! becomes a notice in the group's conversation (like Meta's group
//! webhooks, its id a hash of the event, so a redelivery is the same
//! notice), and `message-receipt.update` is one participant's receipt.

use super::mapping::{one_or_many, parse_address, string, unix_ms, Address};
use crate::model::{Direction, MessageKind, MessageStatus};
use crate::providers::{InboundMessage, ParticipantReceipt, ProviderEvent};
use crate::store::contacts::{ContactKey, ContactUpdate};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The list a `data` holds under `key`, or `data` itself (object or array).
fn items<'a>(data: &'a Value, key: &str) -> Vec<&'a Value> {
    one_or_many(Some(data.get(key).unwrap_or(data)))
}

/// `chats.upsert|update`: `[{id, name, conversationTimestamp, unreadCount}]`.
/// Each chat is a conversation; a group chat's `name` is its subject.
pub(super) fn chats(data: &Value, ts: i64) -> Vec<ProviderEvent> {
    let mut out = vec![];
    for chat in items(data, "chats") {
        let Some(address) = string(chat.get("id")).or_else(|| string(chat.get("jid"))).and_then(|j| parse_address(&j)) else { continue };
        if address.is_broadcast() {
            continue;
        }
        let group = matches!(address, Address::Group(_));
        let update = ContactUpdate {
            jid: Some(address.jid().to_string()),
            wa_id: address.digits().map(str::to_string),
            is_group: group.then_some(true),
            ..Default::default()
        };
        out.push(ProviderEvent::Conversation { key: address.key(), update });
        if let (true, Some(subject)) = (group, string(chat.get("name")).or_else(|| string(chat.get("subject")))) {
            let at = unix_ms(chat.get("subjectTime")).unwrap_or(ts);
            out.push(ProviderEvent::GroupSubject { group: address.key(), subject, timestamp: at });
        }
    }
    out
}

/// `groups.upsert|update`: Baileys' `GroupMetadata` (`{id, subject, subjectTime, …}`).
pub(super) fn groups(data: &Value, ts: i64) -> Vec<ProviderEvent> {
    let mut out = vec![];
    for g in items(data, "groups") {
        let Some(Address::Group(jid)) = string(g.get("id")).or_else(|| string(g.get("jid"))).and_then(|j| parse_address(&j)) else { continue };
        let key = ContactKey::user_id(jid.clone());
        out.push(ProviderEvent::Contact { key: key.clone(), update: ContactUpdate { jid: Some(jid), is_group: Some(true), ..Default::default() } });
        if let Some(subject) = string(g.get("subject")).or_else(|| string(g.get("name"))) {
            out.push(ProviderEvent::GroupSubject { group: key, subject, timestamp: unix_ms(g.get("subjectTime")).unwrap_or(ts) });
        }
    }
    out
}

/// A participant as a notice names them: `+number`, else their id.
fn who(p: &Value) -> Option<String> {
    let raw = match p {
        Value::String(s) => Some(s.clone()),
        Value::Object(_) => string(p.get("phoneNumber")).or_else(|| string(p.get("id"))).or_else(|| string(p.get("jid"))),
        _ => None,
    }?;
    Some(match parse_address(&raw) {
        Some(Address::Phone { e164, .. }) => e164,
        Some(a) => a.jid().to_string(),
        None => raw,
    })
}

/// `group-participants.update`: `{id, author, participants[], action}`.
pub(super) fn participants(data: &Value, ts: i64) -> Vec<ProviderEvent> {
    let mut out = vec![];
    for item in items(data, "updates") {
        let Some(Address::Group(jid)) = string(item.get("id")).or_else(|| string(item.get("jid"))).and_then(|j| parse_address(&j)) else {
            tracing::warn!("skipped a WASender group participants event without a group id");
            continue;
        };
        let author = item.get("author").and_then(who);
        let action = string(item.get("action")).unwrap_or_default().to_ascii_lowercase();
        let people: Vec<String> = item.get("participants").and_then(Value::as_array).map(|l| l.iter().filter_map(who).collect()).unwrap_or_default();
        let lines: Vec<String> = people
            .iter()
            .filter_map(|p| {
                let by_self = author.as_deref() == Some(p.as_str());
                let by = author.as_deref().filter(|_| !by_self).map(|a| format!(" by {a}")).unwrap_or_default();
                Some(match action.as_str() {
                    "add" if by.is_empty() => format!("{p} joined"),
                    "add" => format!("{p} was added{by}"),
                    "remove" if by_self || author.is_none() => format!("{p} left"),
                    "remove" => format!("{p} was removed{by}"),
                    "promote" => format!("{p} is now an admin"),
                    "demote" => format!("{p} is no longer an admin"),
                    _ => return None,
                })
            })
            .collect();
        if lines.is_empty() {
            tracing::debug!(action, "a WASender group participants event with nothing to show");
            continue;
        }
        let digest = Sha256::digest(format!("group-participants.update\n{item}").as_bytes());
        let notice = InboundMessage {
            chat_update: ContactUpdate { jid: Some(jid.clone()), is_group: Some(true), ..Default::default() },
            text: Some(lines.join(". ")),
            ..InboundMessage::new(
                format!("wicket-notice-{}", hex::encode(&digest[..16])),
                ContactKey::user_id(jid),
                Direction::In,
                MessageKind::Notice,
                unix_ms(item.get("timestamp")).unwrap_or(ts),
                item.clone(),
            )
        };
        out.push(ProviderEvent::Message(notice));
    }
    out
}

/// `message-receipt.update`: `{message: {key{id, participant}, receipt{userJid,
/// receiptTimestamp, readTimestamp?, playedTimestamp?}}}` (one or a list):
/// a group member's receipt of our message, one event per time it gives.
pub(super) fn receipts(data: &Value) -> Vec<ProviderEvent> {
    let mut out = vec![];
    for entry in one_or_many(Some(data)).into_iter().flat_map(|d| items(d, "messages")) {
        let entry = entry.get("message").filter(|m| m.get("key").is_some()).unwrap_or(entry);
        let key = entry.get("key").unwrap_or(&Value::Null);
        let receipt = entry.get("receipt").unwrap_or(&Value::Null);
        let Some(id) = string(key.get("id")) else { continue };
        let Some(participant) = receipt.get("userJid").or_else(|| key.get("participant")).and_then(who) else { continue };
        for (field, status) in
            [("receiptTimestamp", MessageStatus::Delivered), ("readTimestamp", MessageStatus::Read), ("playedTimestamp", MessageStatus::Played)]
        {
            if let Some(at) = unix_ms(receipt.get(field)) {
                out.push(ProviderEvent::Receipt(ParticipantReceipt {
                    provider_message_id: id.clone(),
                    participant: participant.clone(),
                    status,
                    timestamp: at,
                }));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn participants_become_one_notice_per_event_with_who_did_it() {
        let data = json!({"id": "120363041234567890@g.us", "author": "447700900123@s.whatsapp.net", "action": "promote",
                          "participants": [{"id": "447700900456@s.whatsapp.net", "admin": "admin"}, "447700900789@s.whatsapp.net"]});
        let events = participants(&data, 1_767_000_000_000);
        let [ProviderEvent::Message(m)] = events.as_slice() else { panic!("{events:?}") };
        assert_eq!((m.kind, m.text.as_deref()), (MessageKind::Notice, Some("+447700900456 is now an admin. +447700900789 is now an admin")));
        assert_eq!(
            participants(&data, 5),
            events
                .iter()
                .map(|e| match e {
                    ProviderEvent::Message(m) => ProviderEvent::Message(InboundMessage { timestamp: 5, ..m.clone() }),
                    other => other.clone(),
                })
                .collect::<Vec<_>>(),
            "the same event is the same notice (its id does not depend on the delivery)"
        );
        assert!(participants(&json!({"id": "447700900123@s.whatsapp.net", "action": "add", "participants": ["x"]}), 0).is_empty(), "not a group");
    }

    #[test]
    fn a_receipt_gives_one_event_per_time_it_names() {
        let data = json!([{"key": {"id": "3EB0", "remoteJid": "120363041234567890@g.us", "fromMe": true},
                           "receipt": {"userJid": "447700900456@s.whatsapp.net", "receiptTimestamp": 1767001410, "readTimestamp": "1767001460"}}]);
        let statuses: Vec<(String, MessageStatus, i64)> = receipts(&data)
            .into_iter()
            .filter_map(|e| match e {
                ProviderEvent::Receipt(r) => Some((r.participant, r.status, r.timestamp)),
                _ => None,
            })
            .collect();
        assert_eq!(
            statuses,
            [("+447700900456".into(), MessageStatus::Delivered, 1_767_001_410_000), ("+447700900456".into(), MessageStatus::Read, 1_767_001_460_000)]
        );
    }
}
