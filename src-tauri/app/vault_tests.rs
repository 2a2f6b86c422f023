//! The vault passphrase in the window, on a computer without a keychain,
//! through the real handlers (`tests.rs`' harness). What they answer is
//! recorded as the browser tests' fixtures (`tests/ui/fixtures/vault.json`).

use crate::engine::{self, EngineSlot};
use crate::tests::{golden, Harness};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tauri::Manager;
use wicket_core::secrets::{SecretName, SecretStore};
use wicket_core::DataDir;

/// The commands this file records fixtures for.
pub const VAULT_COMMANDS: &[&str] = &["vault_status", "unlock_vault", "passphrase_strength"];

const STRONG: &str = "copper lantern orbit meadow";

/// `app_info`'s engine state once it is `want` (the engine reports from its
/// own thread), or whatever it is after 20 s.
fn engine_state(h: &Harness, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let engine = h.ok("app_info", Value::Null)["engine"].clone();
        if engine["state"] == want || Instant::now() > deadline {
            return engine;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop_engine(h: &Harness) {
    if let Some(handle) = h.app.state::<EngineSlot>().take() {
        handle.stop();
    }
}

#[test]
fn without_a_keychain_the_window_creates_then_unlocks_the_vault_and_the_engine_runs() {
    let mut h = Harness::without_keychain();
    let mut fx = serde_json::Map::new();
    let data = DataDir::open(h.data_dir()).unwrap();

    // A first launch: nothing to unlock yet, so the dialog offers to create one.
    let status = h.ok("vault_status", Value::Null);
    assert_eq!(status, json!({ "needs_passphrase": true, "vault_exists": false, "backend": null, "problem": null }));
    fx.insert("vault_status_create".into(), status);

    let weak = h.ok("passphrase_strength", json!({ "passphrase": "password1" }));
    assert_eq!(weak["acceptable"], false, "{weak}");
    assert!(!weak["hint"].as_str().unwrap().is_empty(), "the owner is told why: {weak}");
    fx.insert("passphrase_strength_weak".into(), weak);
    let strong = h.ok("passphrase_strength", json!({ "passphrase": STRONG }));
    assert_eq!(strong["acceptable"], true, "{strong}");
    fx.insert("passphrase_strength_strong".into(), strong);

    // Adding an account that keeps secrets asks for the passphrase first and saves nothing.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let wasender = json!({ "api_key": "ws-vault-key", "webhook_secret": "ws-vault-hook", "base_url": format!("http://{closed}/api"), "name": "Shop phone" });
    let needed = h.call("wizard_add_wasender", wasender.clone()).unwrap_err();
    assert_eq!(needed["code"], "passphrase_needed", "{needed}");
    fx.insert("passphrase_needed".into(), needed);
    assert_eq!(h.ok("list_accounts", Value::Null), json!([]), "nothing saved without a place for its secrets");

    let refused = h.call("unlock_vault", json!({ "passphrase": "password1", "create": true })).unwrap_err();
    assert_eq!(refused["code"], "invalid", "{refused}");
    assert!(refused["message"].as_str().unwrap().starts_with("this passphrase is too easy to guess"), "{refused}");
    assert!(!data.vault_path().exists(), "a refused passphrase creates nothing");
    fx.insert("unlock_vault_weak".into(), refused);

    let created = h.ok("unlock_vault", json!({ "passphrase": STRONG, "create": true }));
    assert_eq!(created, json!({ "needs_passphrase": false, "vault_exists": true, "backend": "vault", "problem": null }));
    assert!(data.vault_path().exists(), "the vault is written at once");
    fx.insert("unlock_vault".into(), created);
    assert_eq!(engine_state(&h, "running")["state"], "running", "the engine started again with the vault");

    let added = h.ok("wizard_add_wasender", wasender);
    let id = added["account"]["id"].as_i64().unwrap();
    let data_dir_id = wicket_core::Store::open(&data.db_path()).unwrap().data_dir_id().unwrap();
    let vault = SecretStore::unlock_vault(&data, &data_dir_id, wicket_core::secrets::Secret::new(STRONG.into())).unwrap();
    assert_eq!(vault.get(id, SecretName::ApiKey).unwrap().expose(), "ws-vault-key", "the key went into the vault");
    stop_engine(&h);

    // Every later launch: the engine waits for the passphrase, the dialog unlocks.
    h.restart();
    let status = h.ok("vault_status", Value::Null);
    assert_eq!(status, json!({ "needs_passphrase": true, "vault_exists": true, "backend": null, "problem": null }));
    fx.insert("vault_status_unlock".into(), status);
    h.app.state::<EngineSlot>().put(engine::start(h.app.handle().clone(), data.clone()).unwrap());
    let waiting = engine_state(&h, "needs_passphrase");
    assert_eq!(waiting, json!({ "state": "needs_passphrase", "vault_exists": true }), "never 'Not sending: the engine could not start'");
    let mut info = h.ok("app_info", Value::Null);
    info["data_dir"] = json!("/home/owner/.local/share/app.wicket.inbox");
    info["version"] = json!("0.1.0");
    fx.insert("app_info_needs_passphrase".into(), info);

    let wrong = h.call("unlock_vault", json!({ "passphrase": "copper lantern orbit meadows", "create": false })).unwrap_err();
    assert_eq!(wrong["code"], "passphrase_wrong", "{wrong}");
    fx.insert("unlock_vault_wrong".into(), wrong);
    assert_eq!(engine_state(&h, "needs_passphrase")["state"], "needs_passphrase", "a wrong passphrase changes nothing");
    let again = h.call("unlock_vault", json!({ "passphrase": STRONG, "create": true })).unwrap_err();
    assert!(again["message"].as_str().unwrap().contains("a vault already exists"), "an existing vault is never replaced: {again}");

    let unlocked = h.ok("unlock_vault", json!({ "passphrase": STRONG, "create": false }));
    assert_eq!(unlocked["backend"], "vault", "{unlocked}");
    assert_eq!(engine_state(&h, "running")["state"], "running", "the engine runs with the unlocked vault");
    stop_engine(&h);
    golden("tests/ui/fixtures/vault.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
