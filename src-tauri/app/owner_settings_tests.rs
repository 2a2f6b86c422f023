//! Settings → Webhooks, a UniPile account's poll intervals, and Export and
//! import through the real handlers (`tests.rs`' harness): each is the same
//! setting or file the CLI reads and writes. What they answer is recorded as
//! the browser tests' fixture (`tests/ui/fixtures/owner_settings.json`), with
//! this run's folder, times and ports replaced by fixed ones.

use crate::engine::{self, EngineSlot};
use crate::state::AppState;
use crate::tests::{golden, Harness};
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};
use tauri::Manager;
use wicket_core::model::Provider;

const FIXED_ROOT: &str = "/home/sam/.local/share/app.wicket.inbox";

fn setting(h: &Harness, key: &str) -> Option<Value> {
    h.app.state::<AppState>().store().unwrap().setting(key).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn engine_listening(h: &Harness) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let engine = h.ok("app_info", Value::Null)["engine"].clone();
        if engine["state"] == "running" || Instant::now() > deadline {
            return engine;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn settings_webhooks_polling_export_and_import_answer_through_ipc_and_record_the_ui_fixture() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();
    let root = h.data_dir().display().to_string();

    // The webhook listener: off on the sample; no engine runs in the test app.
    let off = h.ok("webhook_listener", Value::Null);
    assert_eq!(
        off,
        json!({ "enabled": false, "address": "127.0.0.1", "port": 8765, "listening": null, "warning": null, "applies": "start" }),
        "the default address while it is off"
    );
    fx.insert("webhook_listener".into(), off);
    let open = h.ok("set_webhook_listener", json!({ "enabled": true, "address": "0.0.0.0", "port": 8080 }));
    assert_eq!((open["enabled"].clone(), open["address"].clone(), open["port"].clone()), (json!(true), json!("0.0.0.0"), json!(8080)));
    assert!(open["warning"].as_str().unwrap().contains("reachable from other machines"), "{open}");
    assert_eq!(setting(&h, "webhook_listen"), Some(json!("0.0.0.0:8080")), "the same setting as `wicket settings set webhook_listen`");
    fx.insert("set_webhook_listener_open".into(), open);
    let bad = h.call("set_webhook_listener", json!({ "enabled": true, "address": "my laptop", "port": 8765 })).unwrap_err();
    assert_eq!(bad["code"], "invalid", "{bad}");
    assert!(bad["message"].as_str().unwrap().contains("ADDR:PORT"), "{bad}");
    assert_eq!(setting(&h, "webhook_listen"), Some(json!("0.0.0.0:8080")), "a refused change changes nothing");
    fx.insert("set_webhook_listener_invalid".into(), bad);
    let v6 = h.ok("set_webhook_listener", json!({ "enabled": true, "address": "::1", "port": 8765 }));
    assert_eq!((v6["address"].clone(), v6["warning"].clone()), (json!("::1"), Value::Null), "IPv6 loopback, no warning: {v6}");
    let local = h.ok("set_webhook_listener", json!({ "enabled": true, "address": "127.0.0.1", "port": 8765 }));
    assert_eq!(local["warning"], Value::Null);
    fx.insert("set_webhook_listener".into(), local);
    let switched_off = h.ok("set_webhook_listener", json!({ "enabled": false, "address": "127.0.0.1", "port": 8765 }));
    assert_eq!((switched_off["enabled"].clone(), setting(&h, "webhook_listen")), (json!(false), Some(json!(false))));

    // Poll intervals of a UniPile account: `wicket account set ID --poll-interval S --idle-poll-interval S`.
    let id = {
        let state = h.app.state::<AppState>();
        let mut store = state.store().unwrap();
        let new =
            wicket_core::store::NewAccount { provider: Provider::Unipile, name: "Shop phone".into(), phone: Some("+447911123499".into()), config: json!({}) };
        store.add_account(&new).unwrap().id
    };
    let account = h.ok("list_accounts", Value::Null).as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone();
    fx.insert("unipile_account".into(), account);
    let defaults = h.ok("account_polling", json!({ "account_id": id }));
    assert_eq!(defaults, json!({ "account_id": id, "active_seconds": 5, "idle_seconds": 20 }), "the engine's defaults");
    fx.insert("account_polling".into(), defaults);
    let changed = h.ok("set_account_polling", json!({ "account_id": id, "active_seconds": 3, "idle_seconds": 45 }));
    assert_eq!(changed, json!({ "account_id": id, "active_seconds": 3, "idle_seconds": 45 }));
    let config = h.app.state::<AppState>().store().unwrap().account(id).unwrap().config;
    assert_eq!((config["poll_interval"].clone(), config["idle_poll_interval"].clone()), (json!(3), json!(45)), "kept where the engine and the CLI read them");
    fx.insert("set_account_polling".into(), changed.clone());
    let shorter = h.call("set_account_polling", json!({ "account_id": id, "active_seconds": 30, "idle_seconds": 10 })).unwrap_err();
    assert_eq!(shorter["code"], "invalid", "{shorter}");
    assert!(shorter["message"].as_str().unwrap().contains("cannot be shorter"), "{shorter}");
    fx.insert("set_account_polling_invalid".into(), shorter);
    let zero = h.call("set_account_polling", json!({ "account_id": id, "active_seconds": 0, "idle_seconds": 10 })).unwrap_err();
    assert!(zero["message"].as_str().unwrap().contains("1 to 86400 seconds"), "{zero}");
    assert_eq!(h.ok("account_polling", json!({ "account_id": id })), changed, "a refused change changes nothing");
    // Out again, so the export below holds the sample's accounts only (no secrets to delete: straight from the store).
    h.app.state::<AppState>().store().unwrap().remove_account(id).unwrap();

    // Export: `wicket export` into the data folder's exports/, the demo left out (and said).
    let exported = h.ok("data_export", json!({ "format": "json" }));
    let path = std::path::PathBuf::from(exported["path"].as_str().unwrap());
    assert_eq!(path.parent().unwrap(), h.data_dir().join("exports"), "{exported}");
    assert!(path.file_name().unwrap().to_str().unwrap().starts_with("wicket-export-") && path.extension().unwrap() == "json");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format"], "wicket-export");
    let names: Vec<&str> = doc["tables"]["accounts"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Corner Bakery"], "the demo is never exported");
    assert_eq!(exported["left_out"], json!(["Market stall"]), "and the window says so");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "an export holds every message: owner-only");
    }
    let csv = h.ok("data_export", json!({ "format": "csv" }));
    assert!(std::fs::read_to_string(csv["path"].as_str().unwrap()).unwrap().starts_with("message."), "{csv}");
    let xml = h.call("data_export", json!({ "format": "xml" })).unwrap_err();
    assert!(xml["message"].as_str().unwrap().contains("use json or csv"), "{xml}");
    let mut exported: Value = serde_json::from_str(&exported.to_string().replace(&root, FIXED_ROOT)).unwrap();
    exported["path"] = json!(format!("{FIXED_ROOT}/exports/wicket-export-2026-03-10T12-00-00.000Z.json"));
    fx.insert("data_export".into(), exported);

    // Import: `wicket import` refuses a data folder with accounts…
    let refused = h.call("data_import", json!({ "name": "wicket-export.json", "text": text })).unwrap_err();
    assert_eq!(refused["code"], "invalid", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("empty data dir"), "{refused}");
    fx.insert("data_import_refused".into(), refused);
    // …and fills an empty one: the same rows, listed in the window.
    let fresh = Harness::with(false);
    let not_export = fresh.call("data_import", json!({ "name": "notes.json", "text": "{\"hello\": 1}" })).unwrap_err();
    assert!(not_export["message"].as_str().unwrap().contains("not a Wicket export"), "{not_export}");
    let imported = fresh.ok("data_import", json!({ "name": "wicket-export.json", "text": text }));
    let rows = |t: &str| imported.as_array().unwrap().iter().find(|r| r["table"] == t).map(|r| r["rows"].as_u64().unwrap());
    assert_eq!(rows("accounts"), Some(1), "{imported}");
    assert_eq!(rows("messages"), Some(doc["tables"]["messages"].as_array().unwrap().len() as u64), "every message came in");
    let list = fresh.ok("list_conversations", json!({ "filter": "all" }));
    let unarchived = doc["tables"]["conversations"].as_array().unwrap().iter().filter(|c| c["archived"] == json!(0) || c["archived"] == json!(false)).count();
    assert_eq!(list.as_array().unwrap().len(), unarchived, "the imported chats are listed (the archived one under Archived)");
    fx.insert("data_import".into(), imported);

    golden("tests/ui/fixtures/owner_settings.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}

/// Where this window runs the engine, a new listener address applies at
/// once: the engine starts again there, and the old port is closed.
#[test]
fn a_new_listener_address_applies_at_once_where_the_window_runs_the_engine() {
    let h = Harness::with(false);
    let (first, second) = (free_port(), free_port());
    h.app.state::<AppState>().store().unwrap().set_setting("webhook_listen", &json!(format!("127.0.0.1:{first}"))).unwrap();
    let dir = h.app.state::<AppState>().dir.clone();
    h.app.state::<EngineSlot>().put(engine::start(h.app.handle().clone(), dir).unwrap());
    assert_eq!(engine_listening(&h), json!({ "state": "running", "listen": format!("127.0.0.1:{first}") }));
    let before = h.ok("webhook_listener", Value::Null);
    assert_eq!((before["applies"].clone(), before["listening"].clone()), (json!("here"), json!(format!("127.0.0.1:{first}"))));

    let moved = h.ok("set_webhook_listener", json!({ "enabled": true, "address": "127.0.0.1", "port": second }));
    assert_eq!(moved["listening"], format!("127.0.0.1:{second}"), "{moved}");
    let new: SocketAddr = format!("127.0.0.1:{second}").parse().unwrap();
    let old: SocketAddr = format!("127.0.0.1:{first}").parse().unwrap();
    assert!(TcpStream::connect_timeout(&new, Duration::from_secs(2)).is_ok(), "the engine listens on the new port");
    assert!(TcpStream::connect_timeout(&old, Duration::from_secs(2)).is_err(), "and no longer on the old one");

    let off = h.ok("set_webhook_listener", json!({ "enabled": false, "address": "127.0.0.1", "port": second }));
    assert_eq!((off["enabled"].clone(), off["listening"].clone()), (json!(false), Value::Null), "{off}");
    assert!(TcpStream::connect_timeout(&new, Duration::from_secs(2)).is_err(), "switched off: nothing listens");
    if let Some(handle) = h.app.state::<EngineSlot>().take() {
        handle.stop();
    }
}
