//! Settings → Storage and the chat's "Download again" through the real
//! handlers (`tests.rs`' harness) on the sample inbox plus one large file:
//! the space used, a lower limit removing the least recently used files at
//! once, the chat showing them removed (one Meta can still give back, one
//! past Meta's window), "Download again" queued or refused with why, and
//! "Free up space now" within the limit. What they answer is recorded as
//! the browser tests' fixture (`tests/ui/fixtures/media_cache.json`).

use crate::state::AppState;
use crate::tests::{golden, Harness, SAMPLE_NOW};
use serde_json::{json, Value};
use tauri::Manager;
use wicket_core::model::{Direction, MessageKind};
use wicket_core::store::media::NewMedia;
use wicket_core::store::messages::NewMessage;

/// The commands this file records fixtures for.
pub const MEDIA_CACHE_COMMANDS: &[&str] = &["media_usage", "set_media_limit", "media_prune", "redownload_media"];

/// The database's size moves with SQLite's pages and log: pinned in the fixture.
fn pin_db(mut v: Value) -> Value {
    if let Some(u) = v.get_mut("usage") {
        u["database_bytes"] = json!(1_286_144);
    } else if v.get("database_bytes").is_some() {
        v["database_bytes"] = json!(1_286_144);
    }
    v
}

/// (conversation id, message) of the sample's message with `file`.
fn with_file(h: &Harness, file: &str) -> (i64, Value) {
    for c in h.ok("list_conversations", json!({ "filter": "all" })).as_array().unwrap() {
        let id = c["id"].as_i64().unwrap();
        for m in h.ok("list_messages", json!({ "conversation_id": id, "limit": 50 })).as_array().unwrap() {
            if m["media"]["file_name"] == json!(file) {
                return (id, m.clone());
            }
        }
    }
    panic!("no message with {file}")
}

#[test]
fn storage_settings_and_download_again_answer_through_ipc_and_record_the_ui_fixture() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();

    let before = h.ok("media_usage", Value::Null);
    assert_eq!(before["limit_mb"], json!(2048), "the default limit: {before}");
    let sample_files = before["media_files"].as_i64().unwrap();
    assert!(sample_files >= 4 && before["media_bytes"].as_i64().unwrap() > 0, "{before}");
    assert_eq!(before["evictable_files"].as_i64(), Some(sample_files));
    fx.insert("media_usage".into(), pin_db(before.clone()));

    // A large price list arrives in the cake chat (downloaded after the sample's files, so used more recently).
    let (cake_chat, cake) = with_file(&h, "cake-design.jpg");
    let (sticker_chat, sticker) = with_file(&h, "sticker.webp");
    {
        let state = h.app.state::<AppState>();
        let mut store = state.store().unwrap();
        let account = store.conversation(cake_chat).unwrap().account_id;
        let media_id = store
            .insert_media(&NewMedia {
                account_id: account,
                provider_media_id: Some("media-price-list".into()),
                file_name: Some("price-list.pdf".into()),
                mime: Some("application/pdf".into()),
                ..Default::default()
            })
            .unwrap();
        let rel = format!("media/{account}/{media_id}-sample.pdf");
        let bytes = vec![b'%'; 1000 * 1024];
        std::fs::write(state.dir.root().join(&rel), &bytes).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        store.media_downloaded(media_id, &rel, None, bytes.len() as i64, "sample").unwrap();
        store
            .insert_message(&NewMessage {
                account_id: account,
                conversation_id: cake_chat,
                provider_message_id: Some("wamid.price-list".into()),
                direction: Some(Direction::In),
                kind: Some(MessageKind::Document),
                timestamp: Some(SAMPLE_NOW),
                media_id: Some(media_id),
                ..Default::default()
            })
            .unwrap();
        // The sticker came 40 days ago: past the time Meta keeps media.
        store
            .conn()
            .execute("UPDATE media_files SET created_at = created_at - 40 * 86400000 WHERE id = ?1", [sticker["media"]["id"].as_i64().unwrap()])
            .unwrap();
    }

    let bad = h.call("set_media_limit", json!({ "limit_mb": -1 })).unwrap_err();
    assert_eq!(bad["code"], "invalid", "{bad}");
    assert!(bad["message"].as_str().unwrap().contains("megabytes"), "{bad}");
    fx.insert("set_media_limit_invalid".into(), bad);

    // 1 MB: the least recently used files go at once, the large recent one stays.
    let lowered = h.ok("set_media_limit", json!({ "limit_mb": 1 }));
    assert!(lowered["removed_files"].as_i64().unwrap() >= 2, "{lowered:#}");
    assert_eq!((lowered["usage"]["limit_mb"].as_i64(), lowered["still_over"].as_bool()), (Some(1), Some(false)));
    assert!(lowered["usage"]["media_bytes"].as_i64().unwrap() <= 1024 * 1024);
    let setting = h.app.state::<AppState>().store().unwrap().setting("media_cache_limit_mb").unwrap();
    assert_eq!(setting, Some(json!(1)), "the same setting as `wicket settings set media_cache_limit_mb 1`");
    fx.insert("set_media_limit".into(), pin_db(lowered));

    // The chats show the removed files; the messages stay.
    let mut pages = serde_json::Map::new();
    for chat in [cake_chat, sticker_chat] {
        pages.insert(chat.to_string(), h.ok("list_messages", json!({ "conversation_id": chat, "limit": 50 })));
    }
    let find = |chat: i64, id: &Value| pages[&chat.to_string()].as_array().unwrap().iter().find(|m| m["id"] == *id).unwrap()["media"].clone();
    let cake_media = find(cake_chat, &cake["id"]);
    assert_eq!((cake_media["state"].clone(), cake_media["error"].clone()), (json!("evicted"), Value::Null), "Meta can give it back: {cake_media}");
    let sticker_media = find(sticker_chat, &sticker["id"]);
    assert_eq!(sticker_media["state"], json!("evicted"));
    assert!(sticker_media["error"].as_str().unwrap().contains("no longer available from WhatsApp"), "{sticker_media}");
    fx.insert("list_messages".into(), Value::Object(pages));

    // Download again: queued for the engine's download (hash checked there).
    let again = h.ok("redownload_media", json!({ "id": cake["media"]["id"] }));
    assert_eq!((again["state"].clone(), again["error"].clone()), (json!("pending"), Value::Null), "{again}");
    fx.insert("redownload_media".into(), again);
    let gone = h.call("redownload_media", json!({ "id": sticker["media"]["id"] })).unwrap_err();
    assert_eq!(gone["code"], "invalid", "{gone}");
    assert!(gone["message"].as_str().unwrap().contains("no longer available from WhatsApp"), "{gone}");
    fx.insert("redownload_media_gone".into(), gone);

    // Within the limit, "Free up space now" removes nothing.
    let pruned = h.ok("media_prune", Value::Null);
    assert_eq!((pruned["removed_files"].as_i64(), pruned["freed_bytes"].as_i64()), (Some(0), Some(0)), "{pruned}");
    fx.insert("media_prune".into(), pin_db(pruned));

    golden("tests/ui/fixtures/media_cache.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
