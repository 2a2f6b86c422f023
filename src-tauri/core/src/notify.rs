//! Which inbound messages become desktop notifications, and what they say.
//! The shell shows them (notify-rust on the D-Bus session); the decision is
//! here so it is the same everywhere and unit-tested.
//!
//! Rules: only customer messages (never the owner's own phone messages or
//! outgoing ones); not for muted conversations; not for the conversation
//! the owner is looking at; nothing during do-not-disturb or quiet hours;
//! several at once are grouped per conversation, and into one summary when
//! many conversations wrote at the same time; no preview while the app is
//! locked.

use crate::error::Result;
use crate::model::Direction;
use crate::store::contacts::display_name;
use crate::store::Store;

/// More conversations than this in one batch become one summary.
pub const GROUP_ABOVE: usize = 3;

/// What the owner is doing, as the shell knows it.
#[derive(Debug, Clone, Default)]
pub struct Attention {
    /// The conversation open in a focused window, if any.
    pub focused_conversation: Option<i64>,
    pub do_not_disturb: bool,
    /// Quiet hours as minutes after local midnight: (start, end); may wrap.
    pub quiet_hours: Option<(u32, u32)>,
    /// Now, in minutes after local midnight.
    pub now_minutes: u32,
    /// The app is locked: notify, but show no content.
    pub locked: bool,
    /// The owner turned message previews off: who wrote, never what.
    pub hide_previews: bool,
}

/// One notification to show. Clicking it opens `conversation_id` (None for
/// a summary: open the inbox).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notification {
    pub conversation_id: Option<i64>,
    pub title: String,
    pub body: String,
}

fn in_quiet_hours(a: &Attention) -> bool {
    match a.quiet_hours {
        Some((start, end)) if start <= end => a.now_minutes >= start && a.now_minutes < end,
        Some((start, end)) => a.now_minutes >= start || a.now_minutes < end,
        None => false,
    }
}

fn preview(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 120 {
        format!("{}…", one_line.chars().take(119).collect::<String>())
    } else {
        one_line
    }
}

/// The notifications for `new_messages` (ids of messages just stored).
pub fn decide(store: &Store, new_messages: &[i64], attention: &Attention) -> Result<Vec<Notification>> {
    if attention.do_not_disturb || in_quiet_hours(attention) {
        return Ok(vec![]);
    }
    let country = store.default_country()?;
    // conversation id → (title, previews)
    let mut per_conversation: Vec<(i64, String, Vec<String>)> = vec![];
    for id in new_messages {
        let m = store.message(*id)?;
        if m.direction != Direction::In || m.origin.is_some() || Some(m.conversation_id) == attention.focused_conversation {
            continue;
        }
        let conv = store.conversation(m.conversation_id)?;
        if conv.muted {
            continue;
        }
        let text = m.text.clone().or_else(|| m.caption.clone()).unwrap_or_else(|| match m.kind.as_str() {
            "image" => "📷 Photo".into(),
            "video" => "🎥 Video".into(),
            "audio" | "voice" => "🎤 Voice message".into(),
            "document" => "📄 Document".into(),
            "location" => "📍 Location".into(),
            "contacts" => "👤 Contact card".into(),
            "sticker" => "Sticker".into(),
            other => other.to_string(),
        });
        let sender = match (&conv.contact.is_group, &m.sender_name) {
            (true, Some(s)) => format!("{s}: "),
            _ => String::new(),
        };
        match per_conversation.iter_mut().find(|(c, _, _)| *c == conv.id) {
            Some((_, _, texts)) => texts.push(format!("{sender}{}", preview(&text))),
            None => per_conversation.push((conv.id, display_name(&conv.contact, &country), vec![format!("{sender}{}", preview(&text))])),
        }
    }
    if per_conversation.len() > GROUP_ABOVE {
        let count: usize = per_conversation.iter().map(|(_, _, t)| t.len()).sum();
        let names: Vec<&str> = per_conversation.iter().take(3).map(|(_, n, _)| n.as_str()).collect();
        let body = if attention.locked { String::new() } else { format!("{}, and {} more", names.join(", "), per_conversation.len() - names.len()) };
        return Ok(vec![Notification { conversation_id: None, title: format!("{count} new messages in {} chats", per_conversation.len()), body }]);
    }
    Ok(per_conversation
        .into_iter()
        .map(|(id, name, texts)| {
            let (title, body) = if attention.locked {
                ("New message".to_string(), String::new())
            } else if attention.hide_previews {
                let body = if texts.len() == 1 { "New message".to_string() } else { format!("{} new messages", texts.len()) };
                (name, body)
            } else if texts.len() == 1 {
                (name, texts[0].clone())
            } else {
                (format!("{name} ({} new messages)", texts.len()), texts.last().cloned().unwrap_or_default())
            };
            Notification { conversation_id: Some(id), title, body }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MessageKind, Origin, Provider};
    use crate::store::contacts::{ContactKey, ContactUpdate};
    use crate::store::messages::NewMessage;
    use crate::store::NewAccount;

    fn setup() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
        let a = store.add_account(&NewAccount { provider: Provider::Meta, name: "S".into(), phone: None, config: serde_json::json!({}) }).unwrap();
        (dir, store, a.id)
    }

    fn message(store: &mut Store, account: i64, phone: &str, name: &str, text: &str, origin: Option<Origin>) -> (i64, i64) {
        let c = store.upsert_contact(account, &ContactKey::phone(phone), &ContactUpdate { profile_name: Some(name.into()), ..Default::default() }).unwrap();
        let conv = store.get_or_create_conversation(account, c.id).unwrap();
        let direction = if origin.is_some() { Direction::Out } else { Direction::In };
        let id = store
            .insert_message(&NewMessage {
                account_id: account,
                conversation_id: conv,
                direction: Some(direction),
                origin,
                kind: Some(MessageKind::Text),
                text: Some(text.into()),
                ..Default::default()
            })
            .unwrap()
            .id();
        (conv, id)
    }

    #[test]
    fn a_customer_message_notifies_with_name_and_preview() {
        let (_d, mut store, a) = setup();
        let (conv, id) = message(&mut store, a, "+447911123456", "Priya", "Is my\\norder ready?", None);
        let n = decide(&store, &[id], &Attention::default()).unwrap();
        assert_eq!(n, vec![Notification { conversation_id: Some(conv), title: "Priya".into(), body: "Is my\\norder ready?".into() }]);
    }

    #[test]
    fn no_notification_for_own_muted_focused_or_quiet() {
        let (_d, mut store, a) = setup();
        let (_, own) = message(&mut store, a, "+447911123456", "Priya", "sent from my phone", Some(Origin::Phone));
        assert!(decide(&store, &[own], &Attention::default()).unwrap().is_empty(), "the owner's own phone messages never notify");
        let (conv, id) = message(&mut store, a, "+447911123457", "Sam", "hello", None);
        assert!(
            decide(&store, &[id], &Attention { focused_conversation: Some(conv), ..Default::default() }).unwrap().is_empty(),
            "not for the open, focused conversation"
        );
        assert!(decide(&store, &[id], &Attention { do_not_disturb: true, ..Default::default() }).unwrap().is_empty(), "do not disturb");
        let night = Attention { quiet_hours: Some((22 * 60, 7 * 60)), now_minutes: 23 * 60, ..Default::default() };
        assert!(decide(&store, &[id], &night).unwrap().is_empty(), "quiet hours that wrap past midnight");
        let day = Attention { quiet_hours: Some((22 * 60, 7 * 60)), now_minutes: 12 * 60, ..Default::default() };
        assert_eq!(decide(&store, &[id], &day).unwrap().len(), 1);
        store.set_conversation_flags(conv, None, None, Some(true)).unwrap();
        assert!(decide(&store, &[id], &Attention::default()).unwrap().is_empty(), "muted conversations stay quiet");
    }

    #[test]
    fn many_at_once_are_grouped() {
        let (_d, mut store, a) = setup();
        let (conv, first) = message(&mut store, a, "+447911123456", "Priya", "one", None);
        let (_, second) = message(&mut store, a, "+447911123456", "Priya", "two", None);
        let n = decide(&store, &[first, second], &Attention::default()).unwrap();
        assert_eq!(n, vec![Notification { conversation_id: Some(conv), title: "Priya (2 new messages)".into(), body: "two".into() }]);
        let mut ids = vec![];
        for i in 0..5 {
            ids.push(message(&mut store, a, &format!("+4479111234{i}0"), &format!("C{i}"), "hi", None).1);
        }
        let n = decide(&store, &ids, &Attention::default()).unwrap();
        assert_eq!(n.len(), 1, "one summary for many chats");
        assert_eq!(n[0].conversation_id, None);
        assert_eq!(n[0].title, "5 new messages in 5 chats");
    }

    #[test]
    fn previews_off_name_the_sender_but_never_the_text() {
        let (_d, mut store, a) = setup();
        let (_, id) = message(&mut store, a, "+447911123456", "Priya", "secret order", None);
        let n = decide(&store, &[id], &Attention { hide_previews: true, ..Default::default() }).unwrap();
        assert_eq!((n[0].title.as_str(), n[0].body.as_str()), ("Priya", "New message"));
    }

    #[test]
    fn a_locked_app_shows_no_content() {
        let (_d, mut store, a) = setup();
        let (_, id) = message(&mut store, a, "+447911123456", "Priya", "secret order", None);
        let n = decide(&store, &[id], &Attention { locked: true, ..Default::default() }).unwrap();
        assert_eq!(n[0].title, "New message");
        assert_eq!(n[0].body, "");
    }
}
