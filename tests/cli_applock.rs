//! `wicket lock` / `wicket unlock` as processes on a real SQLite file: every
//! content command refuses while locked with one clear error (exit 9) and
//! shows nothing, the engine's health commands still answer, a wrong
//! passphrase is exit 10 and five in a row make the next try wait (across
//! processes), changing and turning off need the passphrase, and the
//! passphrase's hash never shows in `settings list`.

#[path = "support/cli.rs"]
mod support;

use serde_json::Value;
use std::path::Path;
use support::{ok_json, stderr, Wicket};

const PASS: &str = "copper lantern orbit";
const W: Wicket = Wicket::vault("vault pass for the lock tests 42").vars(&[("LOCK_PASS", PASS), ("WRONG_PASS", "not it"), ("NEW_PASS", "meadow river stone")]);
const LOCKED: &str = "Wicket is locked: unlock to see messages";

/// A Meta-less data dir with one customer message ("parcel arrives tomorrow").
fn seeded(dir: &Path) {
    use wicket_core::store::contacts::{ContactKey, ContactUpdate};
    let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
    let account = wicket_core::providers::demo::create_demo_account(&mut store).unwrap();
    let c = store
        .upsert_contact(account.id, &ContactKey::phone("+447911123456"), &ContactUpdate { profile_name: Some("Priya Shah".into()), ..Default::default() })
        .unwrap();
    let conv = store.get_or_create_conversation(account.id, c.id).unwrap();
    store
        .insert_message(&wicket_core::store::NewMessage {
            account_id: account.id,
            conversation_id: conv,
            provider_message_id: Some("wamid.parcel".into()),
            direction: Some(wicket_core::model::Direction::In),
            kind: Some(wicket_core::model::MessageKind::Text),
            text: Some("parcel arrives tomorrow".into()),
            ..Default::default()
        })
        .unwrap();
}

fn status(dir: &Path) -> Value {
    ok_json(&W.run(dir, &["--json", "lock", "status"]))
}

#[test]
fn content_commands_refuse_while_locked_and_work_again_after_unlock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    seeded(dir);
    assert_eq!(status(dir)["enabled"], false);
    let out = W.run(dir, &["lock"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("app lock is off"), "{}", stderr(&out));

    let out = W.run(dir, &["lock", "set", "--passphrase-env", "LOCK_PASS"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = W.run(dir, &["--json", "settings", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && !listed.contains("argon2") && !listed.contains("app_lock_hash"), "the hash never shows: {listed}");
    assert!(listed.contains("lock_after_minutes"), "the idle time is a setting: {listed}");
    assert!(W.run(dir, &["settings", "set", "lock_after_minutes", "15"]).status.success());
    assert!(!W.run(dir, &["settings", "set", "app_lock_locked", "false"]).status.success(), "the lock's state is not a setting");

    assert!(W.run(dir, &["lock"]).status.success());
    let s = status(dir);
    assert_eq!((s["enabled"].as_bool(), s["locked"].as_bool(), s["lock_after_minutes"].as_i64()), (Some(true), Some(true), Some(15)), "{s}");

    let export = dir.join("out.json");
    let zip = dir.join("priya.zip");
    let content: &[&[&str]] = &[
        &["conversations"],
        &["--json", "conversations"],
        &["contacts"],
        &["messages", "--conversation", "1"],
        &["search", "parcel"],
        &["export", "--format", "json", "--out", export.to_str().unwrap()],
        &["contact", "export", "+447911123456", "--out", zip.to_str().unwrap()],
        &["contact", "erase", "+447911123456", "--yes"],
        &["notes", "list"],
        &["quick-replies", "list"],
        &["scheduled"],
        &["reminders"],
        &["send", "--conversation", "1", "--text", "hello", "--no-wait"],
        &["settings", "list"],
        &["account", "list"],
        &["webhook", "events"],
        &["stats"],
    ];
    for args in content {
        let out = W.run(dir, args);
        assert_eq!(out.status.code(), Some(9), "{args:?} must refuse while locked: {}", stderr(&out));
        assert!(stderr(&out).contains(LOCKED), "{args:?}: {}", stderr(&out));
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(!shown.contains("parcel") && !shown.contains("Priya"), "{args:?} showed content: {shown}");
    }
    assert!(!export.exists() && !zip.exists(), "nothing was written");
    // The engine's side still answers: nothing of a customer in it.
    for args in [&["--json", "monitor"][..], &["jobs"], &["alerts"]] {
        let out = W.run(dir, args);
        assert!(out.status.success(), "{args:?} works while locked: {}", stderr(&out));
    }

    let out = W.run(dir, &["unlock", "--passphrase-env", "WRONG_PASS"]);
    assert_eq!(out.status.code(), Some(10));
    assert!(stderr(&out).contains("does not unlock"), "{}", stderr(&out));
    let out = W.run(dir, &["unlock", "--passphrase", PASS]);
    assert_eq!(out.status.code(), Some(2), "never the passphrase as an argument");
    assert!(W.run(dir, &["unlock", "--passphrase-env", "LOCK_PASS"]).status.success());
    assert_eq!(status(dir)["locked"], false);
    let out = W.run(dir, &["search", "parcel"]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("parcel"), "{}", stderr(&out));
    assert!(W.run(dir, &["export", "--format", "json", "--out", export.to_str().unwrap()]).status.success());
    let exported = std::fs::read_to_string(&export).unwrap();
    // (Demo accounts are never exported; the settings are.)
    assert!(exported.contains("lock_after_minutes") && !exported.contains("argon2") && !exported.contains("app_lock_"), "the export carries no lock state");
}

#[test]
fn wrong_passphrases_wait_across_processes_and_change_and_off_need_the_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    seeded(dir);
    assert!(W.run(dir, &["lock", "set", "--passphrase-env", "LOCK_PASS"]).status.success());
    assert!(W.run(dir, &["lock"]).status.success());
    for n in 1..=5 {
        let out = W.run(dir, &["unlock", "--passphrase-env", "WRONG_PASS"]);
        assert_eq!(out.status.code(), Some(10), "try {n}");
        assert_eq!(stderr(&out).contains("wait 30 s"), n == 5, "try {n}: {}", stderr(&out));
    }
    // A new process with the right passphrase still waits: the count is in the store.
    let out = W.run(dir, &["unlock", "--passphrase-env", "LOCK_PASS"]);
    assert_eq!(out.status.code(), Some(10));
    assert!(stderr(&out).contains("too many wrong passphrases: wait"), "{}", stderr(&out));
    let s = status(dir);
    assert_eq!((s["locked"].as_bool(), s["failures"].as_i64()), (Some(true), Some(5)), "{s}");
    assert!(s["wait_seconds"].as_i64().unwrap() > 20, "{s}");
    let out = W.run(dir, &["lock", "status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("the next is checked in"), "{}", String::from_utf8_lossy(&out.stdout));

    // The wait is over (moved back in the store as time would): the right one opens it.
    let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
    store.set_setting(wicket_core::applock::RETRY_AT, &serde_json::json!(1)).unwrap();
    assert!(W.run(dir, &["unlock", "--passphrase-env", "LOCK_PASS"]).status.success());
    assert_eq!(status(dir)["failures"], 0);

    let out = W.run(dir, &["lock", "set", "--passphrase-env", "NEW_PASS"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("current passphrase"), "{}", stderr(&out));
    let out = W.run(dir, &["lock", "set", "--passphrase-env", "NEW_PASS", "--current-passphrase-env", "WRONG_PASS"]);
    assert_eq!(out.status.code(), Some(10));
    assert!(W.run(dir, &["lock", "set", "--passphrase-env", "NEW_PASS", "--current-passphrase-env", "LOCK_PASS"]).status.success());
    assert_eq!(W.run(dir, &["lock", "off", "--passphrase-env", "LOCK_PASS"]).status.code(), Some(10), "the old passphrase no longer works");
    let out = W.run(dir, &["lock", "off", "--passphrase-env", "NEW_PASS"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = status(dir);
    assert_eq!((s["enabled"].as_bool(), s["locked"].as_bool()), (Some(false), Some(false)), "{s}");
    assert!(W.run(dir, &["conversations"]).status.success());
}
