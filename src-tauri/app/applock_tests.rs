//! The app lock through the real handlers (`tests.rs`' harness) on the sample
//! inbox: every command of `command_names.rs` that reaches content refuses
//! while locked with the typed error (`locked`), the few that must work still
//! answer, media is not served, a restart stays locked, wrong passphrases are
//! told apart and slowed down, and everything answers again after unlock.
//! What they answer is recorded as the browser tests' fixtures
//! (`tests/ui/fixtures/applock.json`).

use crate::state::AppState;
use crate::tests::{golden, Harness};
use serde_json::{json, Value};
use tauri::Manager;

const PASS: &str = "copper lantern";

/// Commands that work while locked: the lock's own, the app's identity, the
/// preferences the lock screen is drawn with, the vault's dialog and the
/// focus the notifier keeps. None of them returns a message, a name or a file.
const WHILE_LOCKED: &[&str] = &[
    "app_info",
    "lock_status",
    "lock_now",
    "unlock_app",
    "vault_status",
    "unlock_vault",
    "passphrase_strength",
    "get_preferences",
    "set_focused_conversation",
];

/// Commands that reach no store and no content at all (they test credentials
/// typed into the wizard against a provider, or measure a passphrase): the
/// lock screen offers no way to them, and they answer the same locked or not.
const NO_CONTENT: &[&str] = &[
    "wizard_test_meta",
    "wizard_test_wasender",
    "wizard_unipile_accounts",
    "wizard_unipile_connect",
    "wizard_unipile_wait",
    "wizard_import_env",
    "wizard_import_env_text",
];

/// Arguments that every command's type accepts (serde ignores the fields a
/// type does not have), with the few whose shapes differ given on their own.
const SINK: &str = r#"{
            "id": 1, "account_id": 1, "conversation_id": 1, "contact_id": 1, "message_id": 1, "filter": "all", "limit": 10,
            "query": "order", "text": "x", "to": "+447911123456", "name": "x", "language": "en",
            "header_params": [], "body_params": [], "button_params": [], "file_name": "a.txt", "mime": "text/plain",
            "pinned": null, "archived": null, "muted": null, "labels": [],
            "limits": { "max_per_second": 1, "max_per_hour": 10, "recipient_gap_seconds": 0 }, "folder": "data",
            "passphrase": "not the lock's", "create": false, "shortcut": "x", "send_at": "{at}", "until": "{at}", "at": "{at}", "template": "x",
            "days": 7, "enabled": false, "keep": 1, "every_hours": 24, "with_secrets": false, "out": "/nonexistent/x", "file": "/nonexistent/x",
            "force": false, "address": "127.0.0.1", "port": 8765, "active_seconds": 10, "idle_seconds": 60, "format": "json",
            "dsn": "127.0.0.1:9", "api_key": "x", "account_ids": [], "known": [], "seconds": 1, "path": "/nonexistent/x",
            "listen": "127.0.0.1:0", "kind": "cloudflared", "public_url": "https://example.invalid", "phone_number_id": "1",
            "business_account_id": "1", "token": "x", "app_secret": "x", "base_url": "http://127.0.0.1:9", "minutes": 5,
            "keep_id": 1, "other_id": 2, "limit_mb": 100
}"#;

fn args_for(name: &str, prefs: &Value) -> Value {
    let at = "2030-01-01T09:00:00Z";
    match name {
        "schedule_template" => {
            json!({ "template": { "conversation_id": 1, "name": "x", "language": "en", "header_params": [], "body_params": [], "button_params": [] }, "send_at": at })
        }
        "set_auto_replies" => json!({ "days": [], "holidays": [], "away_message": "", "greeting_message": "" }),
        "set_preferences" => prefs.clone(),
        "search" => json!({ "query": "order" }),
        "save_quick_reply" => json!({ "shortcut": "x", "text": "x" }),
        _ => serde_json::from_str(&SINK.replace("{at}", at)).unwrap(),
    }
}

fn call_any(h: &Harness, name: &str, prefs: &Value) -> Result<Value, Value> {
    let args = args_for(name, prefs);
    match name {
        // Their arguments travel in a header, the file as the body (`ipc_bytes.rs`).
        "send_media" | "save_quick_reply" => h.call_bytes(name, args, b"bytes".to_vec()),
        _ if args.is_null() => h.call(name, Value::Null),
        _ => h.call(name, args),
    }
}

fn media(h: &Harness, path: &str) -> tauri::http::Response<Vec<u8>> {
    let req = tauri::http::Request::builder().uri(format!("wicket-media://localhost{path}")).body(Vec::new()).unwrap();
    crate::media_protocol::respond(&h.app.state::<AppState>(), &req)
}

#[test]
fn every_content_command_refuses_while_locked_and_answers_after_unlock() {
    let mut h = Harness::new();
    let mut fx = serde_json::Map::new();
    let prefs = h.ok("get_preferences", Value::Null);
    let off = h.ok("lock_status", Value::Null);
    assert_eq!((off["enabled"].as_bool(), off["locked"].as_bool()), (Some(false), Some(false)));
    assert!(off["not_encryption"].as_str().unwrap().contains("does not encrypt"), "{off}");
    fx.insert("lock_status_off".into(), off);
    fx.insert("lock_now_off".into(), h.call("lock_now", Value::Null).unwrap_err());
    let short = h.call("lock_set_passphrase", json!({ "passphrase": "abc", "current": null })).unwrap_err();
    assert_eq!(short["code"], "invalid");
    fx.insert("lock_set_passphrase_short".into(), short);
    let on = h.ok("lock_set_passphrase", json!({ "passphrase": PASS, "current": null }));
    assert_eq!((on["enabled"].as_bool(), on["locked"].as_bool()), (Some(true), Some(false)));
    fx.insert("lock_set_passphrase".into(), on);
    fx.insert("lock_set_idle".into(), h.ok("lock_set_idle", json!({ "minutes": 5 })));

    // A media file the sample downloaded: served while unlocked.
    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    let mut media_id = None;
    for c in all.as_array().unwrap() {
        for m in h.ok("list_messages", json!({ "conversation_id": c["id"], "limit": 50 })).as_array().unwrap() {
            if m["media"]["state"] == "downloaded" {
                media_id = m["media"]["id"].as_i64();
            }
        }
    }
    let media_id = media_id.expect("the sample has a downloaded file");
    assert_eq!(media(&h, &format!("/{media_id}")).status(), 200);

    let locked = h.ok("lock_now", Value::Null);
    assert_eq!(locked["locked"], true);
    fx.insert("lock_now".into(), locked);
    // A restart (or a kill) does not unlock.
    h.restart();
    assert_eq!(h.ok("lock_status", Value::Null)["locked"], true, "locked after a restart");

    let answer = media(&h, &format!("/{media_id}"));
    assert_eq!(answer.status(), 403, "no media while locked");
    assert!(String::from_utf8_lossy(answer.body()).contains("Wicket is locked"));

    let (mut refused, mut answered) = (vec![], vec![]);
    for name in crate::command_names::COMMANDS {
        if WHILE_LOCKED.contains(name) || NO_CONTENT.contains(name) {
            continue;
        }
        match call_any(&h, name, &prefs) {
            Err(e) if e["code"] == "locked" => {
                assert_eq!(e["message"].as_str().unwrap(), "Wicket is locked: unlock to see messages (in the window, or `wicket unlock --passphrase-env VAR`)");
                refused.push(*name);
            }
            other => answered.push(format!("{name}: {other:?}")),
        }
    }
    assert!(answered.is_empty(), "answered while locked:\n{}", answered.join("\n"));
    assert_eq!(refused.len() + WHILE_LOCKED.len() + NO_CONTENT.len(), crate::command_names::COMMANDS.len(), "every command was tried");
    fx.insert("locked_error".into(), h.call("list_conversations", json!({ "filter": "all" })).unwrap_err());
    // The lock screen's own commands still answer.
    for name in ["app_info", "get_preferences", "vault_status", "lock_status"] {
        h.ok(name, Value::Null);
    }
    h.ok("set_focused_conversation", json!({ "conversation_id": null }));

    let wrong = h.call("unlock_app", json!({ "passphrase": "copper lanterns" })).unwrap_err();
    assert_eq!(wrong["code"], "lock_passphrase_wrong", "{wrong}");
    fx.insert("unlock_app_wrong".into(), wrong);
    for _ in 0..3 {
        h.call("unlock_app", json!({ "passphrase": "nope" })).unwrap_err();
    }
    let fifth = h.call("unlock_app", json!({ "passphrase": "nope" })).unwrap_err();
    assert!(fifth["message"].as_str().unwrap().contains("wait 30 s"), "{fifth}");
    let waiting = h.call("unlock_app", json!({ "passphrase": PASS })).unwrap_err();
    assert_eq!(waiting["code"], "lock_wait", "even the right one waits: {waiting}");
    fx.insert("unlock_app_wait".into(), waiting);
    let mut status = h.ok("lock_status", Value::Null);
    assert!(status["wait_seconds"].as_i64().unwrap() > 0 && status["failures"] == 5, "{status}");
    status["wait_seconds"] = json!(30);
    fx.insert("lock_status_waiting".into(), status);
    // The wait over (moved back in the store as time would).
    h.app.state::<AppState>().store_while_locked().unwrap().set_setting(wicket_core::applock::RETRY_AT, &json!(1)).unwrap();

    let open = h.ok("unlock_app", json!({ "passphrase": PASS }));
    assert_eq!((open["locked"].as_bool(), open["failures"].as_i64()), (Some(false), Some(0)));
    fx.insert("unlock_app".into(), open);
    assert!(!h.ok("list_conversations", json!({ "filter": "all" })).as_array().unwrap().is_empty(), "content again after unlock");
    assert!(!h.ok("search", json!({ "query": "order" })).as_array().unwrap().is_empty());
    assert_eq!(media(&h, &format!("/{media_id}")).status(), 200);

    // Change (needs the current one), then off (needs the passphrase).
    let e = h.call("lock_set_passphrase", json!({ "passphrase": "meadow orbit", "current": null })).unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("current passphrase"), "{e}");
    fx.insert("lock_set_passphrase_needs_current".into(), e);
    h.ok("lock_set_passphrase", json!({ "passphrase": "meadow orbit", "current": PASS }));
    assert_eq!(h.call("lock_turn_off", json!({ "passphrase": PASS })).unwrap_err()["code"], "lock_passphrase_wrong");
    let off = h.ok("lock_turn_off", json!({ "passphrase": "meadow orbit" }));
    assert_eq!((off["enabled"].as_bool(), off["locked"].as_bool(), off["lock_after_minutes"].as_i64()), (Some(false), Some(false), Some(5)));
    fx.insert("lock_turn_off".into(), off);

    for name in crate::applock::APPLOCK_COMMANDS {
        assert!(fx.keys().any(|k| k.starts_with(name)), "{name} has a recorded fixture");
    }
    golden("tests/ui/fixtures/applock.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
