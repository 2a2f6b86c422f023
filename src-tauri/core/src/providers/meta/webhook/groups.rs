//! Meta's group webhooks (`group_lifecycle_update`,
//! `group_participants_update`, `group_settings_update`,
//! `group_status_update`: `value.groups[]`) turned into notices in the
//! group's conversation, and its subject when Meta says it changed.
//!
//! A notice has no id of its own from Meta: its id is made from the item's
//! content, so the same item posted again is the same notice (stored once).
//! A failed operation (the item's `errors[]`, or `update_successful: false`)
//! changes nothing and says so.

use super::{array, string, timestamp};
use crate::model::{Direction, MessageKind};
use crate::providers::{InboundMessage, ProviderEvent};
use crate::store::contacts::{ContactKey, ContactUpdate};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `changes[].field`s this module reads.
pub(super) const FIELDS: &[&str] = &["group_lifecycle_update", "group_participants_update", "group_settings_update", "group_status_update"];

/// The events of one group field's `value`.
pub(super) fn parse(field: &str, value: &Value) -> Vec<ProviderEvent> {
    let mut out = vec![];
    for item in array(value.get("groups")) {
        let Some(group_id) = string(item.get("group_id")) else {
            tracing::warn!(field, "skipped a Meta group event without a group_id");
            continue;
        };
        let ts = timestamp(item.get("timestamp"));
        let kind = string(item.get("type")).unwrap_or_default();
        let failed = first_error(item);
        if let Some(subject) = new_subject(&kind, item, failed.is_some()) {
            out.push(ProviderEvent::GroupSubject { group: ContactKey::user_id(group_id.clone()), subject, timestamp: ts });
        }
        let lines = notice_lines(&kind, item, failed.as_deref());
        if lines.is_empty() {
            tracing::debug!(field, kind, "a Meta group event with nothing to show");
            continue;
        }
        out.push(ProviderEvent::Message(notice(&group_id, field, item, lines.join(". "), ts)));
    }
    out
}

/// The subject a successful creation or settings change gives the group.
fn new_subject(kind: &str, item: &Value, failed: bool) -> Option<String> {
    match kind {
        "group_create" if !failed => string(item.get("subject")),
        "group_settings_update" => {
            let s = item.get("group_subject")?;
            (s.get("update_successful").and_then(Value::as_bool) != Some(false)).then(|| string(s.get("text"))).flatten()
        }
        _ => None,
    }
}

/// What happened, in the owner's words (one line per part).
fn notice_lines(kind: &str, item: &Value, failed: Option<&str>) -> Vec<String> {
    let subject = string(item.get("subject"));
    let mut lines = vec![];
    match (kind, failed) {
        ("group_create", None) => lines.push(match subject {
            Some(s) => format!("Group “{s}” created"),
            None => "Group created".into(),
        }),
        ("group_create", Some(e)) => lines.push(format!("The group could not be created: {e}")),
        ("group_delete", None) => lines.push("Group deleted".into()),
        ("group_delete", Some(e)) => lines.push(format!("The group could not be deleted: {e}")),
        ("group_participants_add", _) => {
            let how = if string(item.get("reason")).as_deref() == Some("invite_link") { " with the invite link" } else { "" };
            for p in array(item.get("added_participants")) {
                lines.push(format!("{} joined{how}", who(p)));
            }
        }
        ("group_participants_remove", _) => {
            let left = string(item.get("initiated_by")).as_deref() == Some("participant");
            for p in array(item.get("removed_participants")) {
                lines.push(if left { format!("{} left", who(p)) } else { format!("{} was removed", who(p)) });
            }
            for p in array(item.get("failed_participants")) {
                let why = first_error(p).or_else(|| failed.map(str::to_string)).unwrap_or_else(|| "Meta gave no reason".into());
                lines.push(format!("{} could not be removed: {why}", who(p)));
            }
        }
        ("group_join_request_created", _) => lines.push(format!("{} asked to join", who(item))),
        ("group_join_request_revoked", _) => lines.push(format!("{} withdrew their request to join", who(item))),
        ("group_settings_update", _) => {
            for (key, what) in [("group_subject", "subject"), ("group_description", "description"), ("profile_picture", "picture")] {
                let Some(part) = item.get(key).filter(|p| p.is_object()) else { continue };
                let ok = part.get("update_successful").and_then(Value::as_bool) != Some(false);
                lines.push(match (ok, what, string(part.get("text"))) {
                    (true, "subject", Some(t)) => format!("Subject changed to “{t}”"),
                    (true, _, _) => format!("Group {what} changed"),
                    (false, _, _) => format!("The group {what} could not be changed: {}", first_error(part).unwrap_or_else(|| "Meta gave no reason".into())),
                });
            }
        }
        ("group_suspend", _) => lines.push("WhatsApp suspended this group: no one can send messages in it".into()),
        ("group_suspend_cleared", _) => lines.push("WhatsApp lifted this group's suspension".into()),
        _ => {}
    }
    lines
}

/// A participant as a notice names them: their number, else their id.
fn who(p: &Value) -> String {
    let id = string(p.get("wa_id")).or_else(|| string(p.get("input"))).or_else(|| string(p.get("user_id")));
    match id {
        Some(d) if d.chars().all(|c| c.is_ascii_digit()) => format!("+{d}"),
        Some(other) => other,
        None => "Someone".into(),
    }
}

/// The title (else message) of an item's first error.
fn first_error(item: &Value) -> Option<String> {
    let e = array(item.get("errors")).first()?;
    Some(string(e.get("title")).or_else(|| string(e.get("message"))).unwrap_or_else(|| format!("error {}", string(e.get("code")).unwrap_or_default())))
}

/// A notice in the group's conversation; its id is a hash of the field and
/// the item, so a redelivery (in any encoding) is the same notice.
fn notice(group_id: &str, field: &str, item: &Value, text: String, ts: i64) -> InboundMessage {
    let digest = Sha256::digest(format!("{field}\n{item}").as_bytes());
    InboundMessage {
        chat_update: ContactUpdate { is_group: Some(true), ..Default::default() },
        text: Some(text),
        ..InboundMessage::new(
            format!("wicket-notice-{}", hex::encode(&digest[..16])),
            ContactKey::user_id(group_id),
            Direction::In,
            MessageKind::Notice,
            ts,
            item.clone(),
        )
    }
}
