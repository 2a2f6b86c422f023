//! Meta's import of the chats the owner had in the WhatsApp Business app
//! (coexistence `history` webhooks): how far it got, and the media that
//! arrives later for a message imported as a placeholder.
//!
//! Rules kept here: the import's state is the furthest chunk seen (by
//! progress, then phase, then chunk order), so chunks in any order, or sent
//! twice, end the same; an error (2593109: the owner declined) stays once
//! seen; the message count grows only for messages newly stored. A
//! placeholder (`media_placeholder`) takes the media of the message with the
//! same id when it comes, once. The messages themselves are stored by
//! `ingest` like any other, marked `history` (never unread or notified).

use super::Store;
use crate::error::Result;
use crate::providers::HistoryChunk;
use crate::time::now_ms;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// Meta's code for "the business declined to share its chat history".
pub const DECLINED_CODE: &str = "2593109";

/// The text of a message imported without its media (Meta sends the media
/// later, and only for the last 14 days).
pub const PLACEHOLDER_TEXT: &str = "Media from the WhatsApp Business app: Meta sends it later, and only for the last 14 days";

/// The import as the account's details show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryImport {
    /// `importing`, `done` (progress 100), `declined` (the owner said no) or `failed`.
    pub state: String,
    pub phase: i64,
    pub chunk_order: i64,
    /// 0–100 over the whole import.
    pub progress: i64,
    /// Messages stored from it so far.
    pub messages: i64,
    pub error_code: Option<String>,
    /// What happened, in the owner's words, when it stopped on an error.
    pub error_message: Option<String>,
    /// When a chunk last changed it, Unix ms.
    pub updated_at: i64,
}

/// Records one chunk; true when it moved the import on (or stopped it).
pub fn record_chunk(conn: &Connection, account_id: i64, chunk: &HistoryChunk) -> Result<bool> {
    let (code, message) = match &chunk.error {
        Some(e) => (Some(e.code.clone().unwrap_or_else(|| "unknown".into())), Some(error_text(e.code.as_deref(), &e.title))),
        None => (None, None),
    };
    let progress = chunk.progress.clamp(0, 100);
    let n = conn.execute(
        "INSERT INTO history_imports (account_id, phase, chunk_order, progress, error_code, error_message, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (account_id) DO UPDATE SET
            phase = CASE WHEN (excluded.progress, excluded.phase, excluded.chunk_order) > (progress, phase, chunk_order) THEN excluded.phase ELSE phase END,
            chunk_order = CASE WHEN (excluded.progress, excluded.phase, excluded.chunk_order) > (progress, phase, chunk_order)
                               THEN excluded.chunk_order ELSE chunk_order END,
            progress = max(progress, excluded.progress),
            error_code = coalesce(error_code, excluded.error_code),
            error_message = coalesce(error_message, excluded.error_message),
            updated_at = excluded.updated_at
         WHERE (excluded.progress, excluded.phase, excluded.chunk_order) > (progress, phase, chunk_order)
            OR (error_code IS NULL AND excluded.error_code IS NOT NULL)",
        params![account_id, chunk.phase, chunk.chunk_order, progress, code, message, now_ms()],
    )?;
    Ok(n > 0)
}

fn error_text(code: Option<&str>, title: &str) -> String {
    if code == Some(DECLINED_CODE) {
        "The owner declined to share the WhatsApp Business app's chat history with Wicket: only new messages appear. To import it, offboard the number and connect it again (Meta allows the import only within 24 hours of onboarding).".into()
    } else {
        format!("Meta stopped the import of the WhatsApp Business app's chats: {title}")
    }
}

/// Counts a message the import newly stored.
pub fn count_message(conn: &Connection, account_id: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO history_imports (account_id, messages, updated_at) VALUES (?1, 1, ?2)
         ON CONFLICT (account_id) DO UPDATE SET messages = messages + 1",
        params![account_id, now_ms()],
    )?;
    Ok(())
}

/// What a placeholder becomes when its media arrives.
pub struct MediaArrival<'a> {
    pub kind: crate::model::MessageKind,
    pub caption: Option<&'a str>,
    pub media_id: Option<i64>,
    pub raw: &'a serde_json::Value,
}

/// Whether message `id` is a history placeholder still waiting for its media.
pub fn is_placeholder(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM messages WHERE id = ?1 AND history = 1 AND json_extract(raw, '$.type') = 'media_placeholder'", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Gives placeholder `id` its media: kind, caption, file and raw JSON. The
/// placeholder's status and time stay (the history knew them).
pub fn fill_placeholder(conn: &Connection, id: i64, m: &MediaArrival<'_>) -> Result<()> {
    conn.execute(
        "UPDATE messages SET kind = ?2, text = NULL, caption = ?3, media_id = ?4, raw = ?5 WHERE id = ?1",
        params![id, m.kind.as_str(), m.caption, m.media_id, m.raw.to_string()],
    )?;
    Ok(())
}

impl Store {
    /// The account's history import, if Meta ever sent one.
    pub fn history_import(&self, account_id: i64) -> Result<Option<HistoryImport>> {
        let row = self
            .conn
            .query_row(
                "SELECT phase, chunk_order, progress, messages, error_code, error_message, updated_at FROM history_imports WHERE account_id = ?1",
                [account_id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.map(|(phase, chunk_order, progress, messages, error_code, error_message, updated_at)| {
            let state = match (error_code.as_deref(), progress) {
                (Some(DECLINED_CODE), _) => "declined",
                (Some(_), _) => "failed",
                (None, 100..) => "done",
                (None, _) => "importing",
            };
            HistoryImport { state: state.into(), phase, chunk_order, progress, messages, error_code, error_message, updated_at }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Direction, MessageKind, Provider};
    use crate::providers::{InboundMessage, ProviderEvent};
    use crate::store::contacts::ContactKey;
    use crate::store::NewAccount;

    fn store() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
        let account = store.add_account(&NewAccount { provider: Provider::Meta, name: "A".into(), phone: None, config: serde_json::json!({}) }).unwrap().id;
        (dir, store, account)
    }

    #[test]
    fn history_messages_are_never_notified_nor_unread_and_counted_once() {
        let (_d, mut store, account) = store();
        let m = InboundMessage {
            text: Some("from the app".into()),
            history: true,
            ..InboundMessage::new("wamid.H".into(), ContactKey::phone("+447700900123"), Direction::In, MessageKind::Text, 1_000, serde_json::json!({}))
        };
        let events = [ProviderEvent::Message(m)];
        let first = store.write(|tx| crate::ingest::apply(tx, account, &events)).unwrap();
        assert_eq!((first.new_messages.len(), first.new_inbound.len()), (1, 0), "stored, never notified");
        let again = store.write(|tx| crate::ingest::apply(tx, account, &events)).unwrap();
        assert_eq!(again.duplicates, 1);
        let unread: i64 = store.conn.query_row("SELECT unread_count FROM conversations", [], |r| r.get(0)).unwrap();
        assert_eq!(unread, 0, "never unread");
        assert_eq!(store.history_import(account).unwrap().map(|h| h.messages), Some(1), "counted once");
    }

    #[test]
    fn the_furthest_chunk_wins_in_any_order_and_a_decline_stays() {
        let (_d, mut store, account) = store();
        let chunk = |phase, chunk_order, progress| HistoryChunk { phase, chunk_order, progress, error: None };
        for c in [chunk(1, 2, 80), chunk(0, 1, 40), chunk(1, 2, 80)] {
            store.write(|tx| record_chunk(tx, account, &c)).unwrap();
        }
        let h = store.history_import(account).unwrap().unwrap();
        assert_eq!((h.state.as_str(), h.phase, h.chunk_order, h.progress), ("importing", 1, 2, 80));
        let declined = HistoryChunk {
            error: Some(crate::providers::InboundError { code: Some(DECLINED_CODE.into()), title: "off".into(), details: None }),
            ..chunk(0, 0, 0)
        };
        assert!(store.write(|tx| record_chunk(tx, account, &declined)).unwrap());
        assert!(!store.write(|tx| record_chunk(tx, account, &declined)).unwrap(), "the same chunk again changes nothing");
        let h = store.history_import(account).unwrap().unwrap();
        assert_eq!((h.state.as_str(), h.progress), ("declined", 80));
        assert!(h.error_message.unwrap().contains("declined to share"));
    }
}
