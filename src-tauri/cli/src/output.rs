//! How `wicket` prints things. With `--json`: lists are arrays, every field
//! is present (`null` when empty), ids are strings, times are RFC 3339 UTC
//! with `Z`, `phone` is E.164 or `null` (then `provider_user_id` holds the
//! opaque id). Without it: a readable table.

use serde_json::{json, Value};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
use wicket_core::error::ProviderError;
use wicket_core::ratelimit::Limits;
use wicket_core::search::SearchHit;
use wicket_core::store::contacts::{display_name, Contact};
use wicket_core::store::messages::Message;
use wicket_core::store::templates::Template;
use wicket_core::store::{Account, Conversation};
use wicket_core::time::{opt_rfc3339, to_rfc3339};

pub fn id(i: i64) -> Value {
    Value::String(i.to_string())
}

fn opt_id(i: Option<i64>) -> Value {
    i.map(id).unwrap_or(Value::Null)
}

pub fn error(e: &Option<ProviderError>) -> Value {
    match e {
        Some(e) => json!({ "code": e.code, "kind": e.kind.as_str(), "message": e.message }),
        None => Value::Null,
    }
}

/// A message's error, with the provider's longer explanation when it gave
/// one (why an inbound message has no content).
fn message_error(m: &Message) -> Value {
    let mut e = error(&m.error);
    if let (Some(o), Some(details)) = (e.as_object_mut(), &m.error_details) {
        o.insert("details".into(), json!(details));
    }
    e
}

pub fn account(a: &Account) -> Value {
    let limits = Limits::of(a);
    json!({
        "id": id(a.id),
        "provider": a.provider.as_str(),
        "name": a.name,
        "phone": a.phone,
        "status": a.status.as_str(),
        "status_reason": a.status_reason,
        "status_since": opt_rfc3339(a.status_since),
        "enabled": a.enabled,
        "last_sync_at": opt_rfc3339(a.last_sync_at),
        "last_sync_result": a.last_sync_result,
        "max_per_second": limits.max_per_second,
        "max_per_hour": limits.max_per_hour,
        "recipient_gap_seconds": limits.recipient_gap_seconds,
    })
}

/// An account's rate limits in words.
pub fn limits_text(l: &Limits) -> String {
    let gap = match l.recipient_gap_seconds {
        0 => "no gap between messages to one recipient".to_string(),
        s => format!("{s} s between two messages to one recipient"),
    };
    format!("at most {} messages a second and {} an hour, {gap}", l.max_per_second, l.max_per_hour)
}

pub fn contact_summary(c: &Contact, country: &str) -> Value {
    json!({
        "phone": c.phone,
        "provider_user_id": c.provider_user_id,
        "display_name": display_name(c, country),
    })
}

/// A contact; `profile_picture` is the cached picture's absolute path
/// (stored relative to the data dir `root`).
pub fn contact(c: &Contact, country: &str, root: &std::path::Path) -> Value {
    json!({
        "id": id(c.id),
        "account_id": id(c.account_id),
        "phone": c.phone,
        "provider_user_id": c.provider_user_id,
        "wa_id": c.wa_id,
        "jid": c.jid,
        "name": c.saved_name,
        "profile_name": c.profile_name,
        "verified_name": c.verified_name,
        "display_name": display_name(c, country),
        "company": c.company,
        "is_business": c.is_business,
        "is_group": c.is_group,
        "profile_picture": c.profile_picture_path.as_deref().map(|p| {
            let full = root.join(p);
            std::path::absolute(&full).unwrap_or(full).to_string_lossy().into_owned()
        }),
        "status_text": c.status_text,
        "labels": c.labels,
        "last_synced_at": opt_rfc3339(c.last_synced_at),
        // When the customer wrote STOP (or another opt-out keyword); null when they may be written to.
        "opted_out_at": opt_rfc3339(c.opted_out_at),
    })
}

pub fn conversation(c: &Conversation, country: &str) -> Value {
    json!({
        "id": id(c.id),
        "account_id": id(c.account_id),
        "contact": contact_summary(&c.contact, country),
        // "group" for a group chat (its subject is the contact's display name), else "direct".
        "kind": if c.contact.is_group { "group" } else { "direct" },
        "unread": c.unread_count,
        "pinned": c.pinned,
        "archived": c.archived,
        "muted": c.muted,
        "labels": c.labels,
        "last_message_at": opt_rfc3339(c.last_activity_at),
        "last_text": c.last_text,
        "window_expires_at": opt_rfc3339(c.window_expires_at),
        // Set only while the snooze lasts (a past time is no snooze).
        "snoozed_until": opt_rfc3339(c.snoozed_until.filter(|t| *t > wicket_core::time::now_ms())),
    })
}

pub fn message(m: &Message) -> Value {
    let media = m.media.as_ref().map(|f| {
        let mut v = json!({
            "id": f.id,
            "path": f.path,
            "file_name": f.file_name,
            "mime": f.mime,
            "size": f.size,
            "sha256": f.sha256,
            "state": f.state.as_str(),
        });
        // Only a removed file says whether it can come back (a download's
        // own errors move on the engine's time and stay out of this output).
        if f.state == wicket_core::model::MediaState::Evicted {
            v["can_download_again"] = json!(f.error.is_none());
            v["reason"] = json!(f.error.as_deref().unwrap_or("Removed to save space"));
        }
        v
    });
    let reply_to = m.reply_to_provider_id.as_ref().map(|p| json!({ "id": opt_id(m.reply_to_id), "provider_message_id": p }));
    let reactions: Vec<Value> = m.reactions.iter().map(|r| json!({ "emoji": r.emoji, "from": r.reactor, "timestamp": to_rfc3339(r.timestamp) })).collect();
    let status_times: serde_json::Map<String, Value> = m
        .status_times
        .as_object()
        .map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), Value::String(to_rfc3339(v.as_i64()?))))).collect())
        .unwrap_or_default();
    json!({
        "id": id(m.id),
        "account_id": id(m.account_id),
        "conversation_id": id(m.conversation_id),
        "provider_message_id": m.provider_message_id,
        "direction": m.direction.as_str(),
        "origin": m.origin.map(|o| o.as_str()),
        "kind": m.kind.as_str(),
        "text": m.text,
        "caption": m.caption,
        "media": media,
        "location": m.location,
        "contacts": m.contacts,
        "template": m.template,
        "interactive": m.interactive,
        "reply_to": reply_to,
        "reactions": reactions,
        "sender_id": m.sender_id,
        "sender_name": m.sender_name,
        "order": m.order,
        "referral": m.referral,
        "status": m.status.as_str(),
        "status_times": status_times,
        "error": message_error(m),
        "timestamp": to_rfc3339(m.timestamp),
        "edited_at": opt_rfc3339(m.edited_at),
        "deleted_at": opt_rfc3339(m.deleted_at),
        // Imported from the chats the owner had in the WhatsApp Business app.
        "history": m.history,
        // In groups: each participant's receipt of our message.
        "receipts": m.receipts.iter().map(|r| json!({
            "participant": r.participant,
            "status": r.status,
            "delivered_at": opt_rfc3339(r.delivered_at),
            "read_at": opt_rfc3339(r.read_at),
            "played_at": opt_rfc3339(r.played_at),
        })).collect::<Vec<Value>>(),
    })
}

pub fn search_hit(h: &SearchHit) -> Value {
    json!({
        "message_id": (h.kind == "message").then(|| id(h.message_id)),
        "conversation_id": (h.conversation_id != 0).then(|| id(h.conversation_id)),
        "account_id": id(h.account_id),
        "display_name": h.display_name,
        "snippet": h.snippet,
        "timestamp": to_rfc3339(h.timestamp),
        "kind": h.kind,
        "note_id": h.note_id.map(id),
    })
}

pub fn template(t: &Template) -> Value {
    json!({
        "id": id(t.id),
        "account_id": id(t.account_id),
        "name": t.name,
        "language": t.language,
        "status": t.status,
        "category": t.category,
        "parameter_format": t.parameter_format,
        "components": t.components,
        "synced_at": to_rfc3339(t.synced_at),
        "status_reason": t.status_reason,
        "status_at": opt_rfc3339(t.status_at),
        "quality": t.quality,
        "sendable": t.status.eq_ignore_ascii_case("APPROVED"),
    })
}

/// An account with what Meta's account-level webhooks said of it (added
/// fields only; `attention` lists what needs the owner, with what to do).
pub fn account_with_health(a: &Account, h: &wicket_core::store::account_health::AccountHealth) -> Value {
    let mut v = account(a);
    if let Value::Object(map) = &mut v {
        let attention: Vec<Value> = h
            .attention
            .iter()
            .map(|x| json!({"kind": x.kind, "subject": x.subject, "message": x.message, "action": x.action, "since": to_rfc3339(x.since)}))
            .collect();
        for (k, val) in [
            ("quality_rating", json!(h.quality_rating)),
            ("messaging_limit", json!(h.messaging_limit)),
            ("restriction", json!(h.restriction)),
            ("ban", json!(h.ban)),
            ("violation", json!(h.violation)),
            ("connection", json!(h.connection)),
            ("verification", json!(h.verification)),
            ("capabilities", json!(h.capabilities)),
            ("attention", Value::Array(attention)),
            ("health_updated_at", json!(opt_rfc3339(h.updated_at))),
        ] {
            map.insert(k.to_string(), val);
        }
    }
    v
}

/// Meta's import of the WhatsApp Business app's chats, as `history_import`.
pub fn history_import(h: &wicket_core::store::history::HistoryImport) -> Value {
    json!({
        "state": h.state,
        "phase": h.phase,
        "chunk_order": h.chunk_order,
        "progress": h.progress,
        "messages": h.messages,
        "error_code": h.error_code,
        "error_message": h.error_message,
        "updated_at": to_rfc3339(h.updated_at),
    })
}

/// Prints a JSON value on one line.
pub fn print_json(v: &Value) {
    println!("{v}");
}

/// Prints rows as an aligned table with a header.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    for line in table_lines(header, rows) {
        println!("{line}");
    }
}

/// The widest a cell is shown, in terminal columns.
const MAX_CELL: usize = 60;

/// A cell cut to `max` columns (with an ellipsis), measured as a terminal shows
/// it: CJK characters and most emoji take two columns, combining marks none.
fn fit(cell: &str, max: usize) -> String {
    if cell.width() <= max {
        return cell.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in cell.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

/// The table's lines: columns aligned by display width, not by characters.
pub fn table_lines(header: &[&str], rows: &[Vec<String>]) -> Vec<String> {
    let header: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
    let all: Vec<Vec<String>> = std::iter::once(header).chain(rows.iter().map(|r| r.iter().map(|c| fit(c, MAX_CELL)).collect())).collect();
    let mut widths = vec![0; all.iter().map(Vec::len).max().unwrap_or(0)];
    for row in &all {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    all.iter()
        .map(|row| {
            let parts: Vec<String> = row.iter().enumerate().map(|(i, c)| format!("{c}{}", " ".repeat(widths[i] - c.width()))).collect();
            parts.join("  ").trim_end().to_string()
        })
        .collect()
}

/// A one-line text for tables: newlines folded.
pub fn one_line(s: Option<&str>) -> String {
    s.unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_beside_wide_characters() {
        let rows = vec![vec!["田中太郎".to_string(), "+81 90 1234 5678".to_string()], vec!["Tom Baker".to_string(), "+44 7911 123456".to_string()]];
        let lines = table_lines(&["name", "phone"], &rows);
        // The second column starts at the same terminal column on every line.
        let column = |line: &str, at: &str| line[..line.find(at).unwrap()].width();
        assert_eq!(column(&lines[0], "PHONE"), 11, "{lines:#?}");
        assert_eq!(column(&lines[1], "+81"), 11, "{lines:#?}");
        assert_eq!(column(&lines[2], "+44"), 11, "{lines:#?}");
        assert_eq!("田中太郎".width(), 8);
    }

    #[test]
    fn long_cells_are_cut_by_display_width() {
        let cut = fit(&"日本".repeat(40), MAX_CELL);
        assert!(cut.width() <= MAX_CELL && cut.ends_with('…'), "{cut}");
    }
}
