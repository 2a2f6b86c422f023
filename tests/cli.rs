//! Tests of `wicket` as a process: the conventions (JSON shapes, exit
//! codes, one-line errors), reading without side effects, export/import,
//! and that secrets never land in the data dir or the logs.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::{ok_json, Wicket};
use wicket_core::model::{Direction, MessageKind, Provider};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::NewMessage;
use wicket_core::store::{NewAccount, Store};

const WICKET: Wicket = Wicket::vault("test passphrase");

/// A data dir with one Meta account and one conversation of three messages.
fn seeded() -> (tempfile::TempDir, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
    store.set_setting("default_country", &json!("GB")).unwrap();
    let account =
        store.add_account(&NewAccount { provider: Provider::Meta, name: "Shop".into(), phone: None, config: json!({"phone_number_id": "1"}) }).unwrap();
    let contact = store
        .upsert_contact(
            account.id,
            &ContactKey::phone("+447911123456"),
            &ContactUpdate { profile_name: Some("Zoë".into()), wa_id: Some("447911123456".into()), ..Default::default() },
        )
        .unwrap();
    let conv = store.get_or_create_conversation(account.id, contact.id).unwrap();
    for (i, text) in ["Hello", "Is my order ready?", "Grüße aus München"].iter().enumerate() {
        store
            .insert_message(&NewMessage {
                account_id: account.id,
                conversation_id: conv,
                provider_message_id: Some(format!("wamid.{i}")),
                direction: Some(Direction::In),
                kind: Some(MessageKind::Text),
                text: Some(text.to_string()),
                timestamp: Some(1_767_268_925_000 + i as i64 * 60_000),
                ..Default::default()
            })
            .unwrap();
    }
    (dir, account.id, conv)
}

#[test]
fn version_names_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = WICKET.run(dir.path(), &["--version"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("wicket ") && text.contains("schema"), "got {text}");
    let v = ok_json(&WICKET.run(dir.path(), &["--version", "--json"]));
    assert!(v["schema_version"].as_i64().unwrap() >= 1);
}

#[test]
fn account_list_is_an_array_with_every_field() {
    let (dir, account, _) = seeded();
    let v = ok_json(&WICKET.run(dir.path(), &["account", "list", "--json"]));
    let a = &v.as_array().unwrap()[0];
    assert_eq!(a["id"], json!(account.to_string()), "ids are strings");
    for field in ["id", "provider", "name", "phone", "status", "status_reason"] {
        assert!(a.get(field).is_some(), "field {field} is always present");
    }
    assert!(a["phone"].is_null() && a["status_reason"].is_null(), "empty fields are null");
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(ok_json(&WICKET.run(empty.path(), &["account", "list", "--json"])), json!([]));
}

#[test]
fn account_set_stores_rate_limits_that_account_list_shows() {
    let (dir, account, _) = seeded();
    let id = account.to_string();
    let listed = ok_json(&WICKET.run(dir.path(), &["account", "list", "--json"]));
    let a = &listed.as_array().unwrap()[0];
    assert_eq!((&a["max_per_second"], &a["max_per_hour"], &a["recipient_gap_seconds"]), (&json!(10), &json!(1000), &json!(6)), "Meta's defaults");
    let set = ok_json(&WICKET.run(dir.path(), &["account", "set", &id, "--max-per-second", "80", "--max-per-hour", "5000", "--recipient-gap", "0", "--json"]));
    assert_eq!((&set["max_per_second"], &set["max_per_hour"], &set["recipient_gap_seconds"]), (&json!(80), &json!(5000), &json!(0)));
    assert!(set.get("poll_interval").is_some(), "the earlier fields stay");
    // One flag changes one limit; the others keep their value.
    ok_json(&WICKET.run(dir.path(), &["account", "set", &id, "--max-per-hour", "200", "--json"]));
    let a = ok_json(&WICKET.run(dir.path(), &["account", "list", "--json"]))[0].clone();
    assert_eq!((&a["max_per_second"], &a["max_per_hour"], &a["recipient_gap_seconds"]), (&json!(80), &json!(200), &json!(0)));
    let text = WICKET.run(dir.path(), &["account", "list"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("80/s 200/h gap 0 s"), "the table shows the limits");
    let bad = WICKET.run(dir.path(), &["account", "set", &id, "--max-per-second", "0"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--max-per-second takes 1 to 1000"), "{}", String::from_utf8_lossy(&bad.stderr));
    let nothing = WICKET.run(dir.path(), &["account", "set", &id]);
    assert!(!nothing.status.success() && String::from_utf8_lossy(&nothing.stderr).contains("--recipient-gap"), "says what can be changed");
}

#[test]
fn conversations_follow_the_conventions() {
    let (dir, account, conv) = seeded();
    let v = ok_json(&WICKET.run(dir.path(), &["conversations", "--json"]));
    let c = &v.as_array().unwrap()[0];
    assert_eq!(c["id"], json!(conv.to_string()));
    assert_eq!(c["account_id"], json!(account.to_string()));
    assert_eq!(c["contact"], json!({"phone": "+447911123456", "provider_user_id": null, "display_name": "Zoë"}));
    assert_eq!(c["unread"], json!(3));
    assert_eq!(c["last_text"], json!("Grüße aus München"));
    assert_eq!(c["last_message_at"], json!("2026-01-01T12:04:05Z"), "times are RFC 3339 UTC with Z");
    for field in ["pinned", "archived", "labels"] {
        assert!(c.get(field).is_some());
    }
    assert_eq!(ok_json(&WICKET.run(dir.path(), &["conversations", "--archived", "--json"])), json!([]));
    assert_eq!(ok_json(&WICKET.run(dir.path(), &["conversations", "--unread", "--json"])).as_array().unwrap().len(), 1);
    let table = WICKET.run(dir.path(), &["conversations"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("Zoë"), "without --json a readable table");
}

#[test]
fn reading_messages_never_marks_read_unless_asked() {
    let (dir, account, _) = seeded();
    let acct = account.to_string();
    let v = ok_json(&WICKET.run(dir.path(), &["messages", "--account", &acct, "--with", "07911 123456", "--json"]));
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["text"], json!("Hello"), "oldest first");
    assert_eq!(list[0]["direction"], json!("in"));
    for field in [
        "id",
        "conversation_id",
        "provider_message_id",
        "origin",
        "kind",
        "caption",
        "media",
        "location",
        "contacts",
        "template",
        "reply_to",
        "reactions",
        "status",
        "error",
        "timestamp",
    ] {
        assert!(list[0].get(field).is_some(), "message field {field} is always present");
    }
    let unread = |d: &Path| ok_json(&WICKET.run(d, &["conversations", "--json"]))[0]["unread"].clone();
    assert_eq!(unread(dir.path()), json!(3), "`wicket messages` only reads");
    // Paging by cursor.
    let older =
        ok_json(&WICKET.run(
            dir.path(),
            &["messages", "--account", &acct, "--with", "+447911123456", "--before", list[2]["id"].as_str().unwrap(), "--limit", "1", "--json"],
        ));
    assert_eq!(older[0]["text"], json!("Is my order ready?"));
    // --mark-read does mark read (the provider call fails offline: a warning, not an error).
    let out = WICKET.run(dir.path(), &["messages", "--account", &acct, "--with", "+447911123456", "--mark-read", "--json"]);
    assert!(out.status.success());
    assert_eq!(unread(dir.path()), json!(0));
}

#[test]
fn exit_codes_follow_the_conventions() {
    let (dir, _, _) = seeded();
    let usage = WICKET.run(dir.path(), &["conversations", "--limit", "many"]);
    assert_eq!(usage.status.code(), Some(2), "usage errors exit 2");
    let missing = WICKET.run(dir.path(), &["messages", "--conversation", "999", "--json"]);
    assert_eq!(missing.status.code(), Some(3), "not found exits 3");
    let err = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(err.trim().lines().count(), 1, "errors are one line: {err}");
    let bad_phone = WICKET.run(dir.path(), &["messages", "--account", "1", "--with", "not a number"]);
    assert_eq!(bad_phone.status.code(), Some(2), "an invalid phone number is refused as bad input");
    assert!(String::from_utf8_lossy(&bad_phone.stderr).contains("invalid phone number"));
}

#[test]
fn search_finds_folded_prefixes() {
    let (dir, _, conv) = seeded();
    let v = ok_json(&WICKET.run(dir.path(), &["search", "munch", "--json"]));
    let hits = v.as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["conversation_id"], json!(conv.to_string()));
    assert_eq!(hits[0]["display_name"], json!("Zoë"));
    assert!(hits[0]["snippet"].as_str().unwrap().contains("München"));
}

#[test]
fn export_import_export_through_the_cli_is_identical() {
    let (dir, _, _) = seeded();
    for format in ["json", "csv"] {
        let out = tempfile::tempdir().unwrap();
        let first = out.path().join(format!("a.{format}"));
        let second = out.path().join(format!("b.{format}"));
        assert!(WICKET.run(dir.path(), &["export", "--format", format, "--out", first.to_str().unwrap()]).status.success());
        let fresh = tempfile::tempdir().unwrap();
        let imported = WICKET.run(fresh.path(), &["import", first.to_str().unwrap()]);
        assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
        assert!(WICKET.run(fresh.path(), &["export", "--format", format, "--out", second.to_str().unwrap()]).status.success());
        assert_eq!(std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap(), "{format} round trip is byte-identical");
    }
}

#[test]
fn a_second_import_into_a_used_data_dir_is_refused() {
    let (dir, _, _) = seeded();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("e.json");
    assert!(WICKET.run(dir.path(), &["export", "--format", "json", "--out", file.to_str().unwrap()]).status.success());
    let again = WICKET.run(dir.path(), &["import", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty data dir"));
}

#[test]
fn version_reports_an_older_store_without_migrating_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wicket.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(wicket_core::store::migrations::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let out = WICKET.run(dir.path(), &["--version"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("the store at hand is at schema 1"), "plain --version names the store's schema: {text}");
    let v = ok_json(&WICKET.run(dir.path(), &["--version", "--json"]));
    assert_eq!(v["store_schema_version"], json!(1));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let after: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(after, 1, "--version only looks: the store is not migrated");
}

#[test]
fn the_data_dir_comes_from_the_flag_then_the_environment() {
    let from_env = tempfile::tempdir().unwrap();
    let from_flag = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wicket"))
            .args(args)
            .env("WICKET_DATA_DIR", from_env.path())
            .env("WICKET_SECRET_STORE", "vault")
            .env("WICKET_VAULT_PASSPHRASE", "test passphrase")
            .output()
            .expect("wicket runs")
    };
    assert!(run(&["account", "add", "demo"]).status.success());
    assert!(from_env.path().join("wicket.db").exists(), "WICKET_DATA_DIR is used when no --data-dir is given");
    let flagged = run(&["--data-dir", from_flag.path().to_str().unwrap(), "account", "list", "--json"]);
    assert_eq!(ok_json(&flagged), json!([]), "--data-dir wins over WICKET_DATA_DIR");
    assert!(from_flag.path().join("wicket.db").exists());
    for name in ["media", "logs"] {
        assert!(from_env.path().join(name).is_dir(), "the data dir holds {name}/");
    }
}

#[test]
fn the_cli_and_the_window_derive_the_same_identifier() {
    let conf: Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tauri.conf.json")).unwrap()).unwrap();
    assert_eq!(conf["identifier"], json!(wicket_core::APP_IDENTIFIER), "tauri.conf.json and the core name the same data dir");
}

#[test]
fn webhook_events_can_be_listed_and_replayed() {
    let (dir, account, _) = seeded();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": "999"},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511999990000"}],
        "messages": [{"from": "5511999990000", "id": "wamid.REPLAYED", "timestamp": "1767268800", "type": "text", "text": {"body": "olá"}}]}}]}]})
    .to_string();
    // The body was posted to (and signed for) "Shop"; "Brazil", added later, has its number.
    let app_secret = |id: i64, value: &str| {
        use wicket_core::secrets::{Secret, SecretName, SecretStore};
        let data_dir_id = Store::open(&dir.path().join("wicket.db")).unwrap().data_dir_id().unwrap();
        let vault = SecretStore::vault(dir.path().join("secrets.vault"), Secret::new(WICKET.passphrase.into()), &data_dir_id).unwrap();
        vault.set(id, SecretName::AppSecret, &Secret::new(value.into())).unwrap();
    };
    let brazil = {
        use wicket_core::store::webhook_events::{record, EventState};
        let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
        store.write(|tx| record(tx, "meta", Some(account), body.as_bytes(), EventState::Unrouted, Some("no account for phone_number_id 999"))).unwrap();
        store.add_account(&NewAccount { provider: Provider::Meta, name: "Brazil".into(), phone: None, config: json!({"phone_number_id": "999"}) }).unwrap().id
    };
    app_secret(account, "the shop app's secret");
    app_secret(brazil, "another app's secret");
    let listed = ok_json(&WICKET.run(dir.path(), &["webhook", "events", "--state", "unrouted", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["state"], json!("unrouted"));
    assert!(listed[0]["body"].as_str().unwrap().contains("wamid.REPLAYED"), "the raw body is shown as received");

    let refused = ok_json(&WICKET.run(dir.path(), &["webhook", "replay", "--json"]));
    assert_eq!(refused[0]["state"], json!("unrouted"), "an account of another Meta app never gets what this app signed");
    assert!(refused[0]["error"].as_str().unwrap().contains("another app secret"), "{refused}");
    app_secret(brazil, "the shop app's secret");
    let replayed = ok_json(&WICKET.run(dir.path(), &["webhook", "replay", "--json"]));
    assert_eq!(replayed[0]["state"], json!("applied"), "the same app's account gets it");
    assert_eq!(replayed[0]["new_messages"], json!(1));
    let hits = ok_json(&WICKET.run(dir.path(), &["search", "olá", "--json"]));
    assert_eq!(hits.as_array().unwrap().len(), 1, "the replayed message is in the store");
    assert_eq!(ok_json(&WICKET.run(dir.path(), &["webhook", "replay", "--json"])), json!([]), "nothing left to replay");
}

#[test]
fn a_replayed_account_level_change_reaches_only_the_business_accounts_numbers_of_the_signing_app() {
    // An account-level change (a scheduled ban) names the business account,
    // not a number; kept unparseable by an older Wicket, then replayed.
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/meta_webhooks/meta_webhook_account_ban_scheduled.json")).unwrap();
    let (ids, data_dir_id) = {
        let mut store = Store::open(&dir.path().join("wicket.db")).unwrap();
        let mut add = |name: &str, pnid: &str, waba: &str| {
            let config = json!({"phone_number_id": pnid, "business_account_id": waba});
            store.add_account(&NewAccount { provider: Provider::Meta, name: name.into(), phone: None, config }).unwrap().id
        };
        let ids = [
            add("Posted for", "101", "214365870912345"),
            add("Same app, same business", "102", "214365870912345"),
            add("Other app, same business", "103", "214365870912345"),
            add("Same app, other business", "104", "999999999999999"),
        ];
        use wicket_core::store::webhook_events::{record, EventState};
        store.write(|tx| record(tx, "meta", Some(ids[0]), &body, EventState::Unparseable, Some("an older Wicket could not read it"))).unwrap();
        (ids, store.data_dir_id().unwrap())
    };
    {
        use wicket_core::secrets::{Secret, SecretName, SecretStore};
        let vault = SecretStore::vault(dir.path().join("secrets.vault"), Secret::new(WICKET.passphrase.into()), &data_dir_id).unwrap();
        for (id, secret) in
            [(ids[0], "the shop app's secret"), (ids[1], "the shop app's secret"), (ids[2], "another app's secret"), (ids[3], "the shop app's secret")]
        {
            vault.set(id, SecretName::AppSecret, &Secret::new(secret.into())).unwrap();
        }
    }
    let replayed = ok_json(&WICKET.run(dir.path(), &["webhook", "replay", "--json"]));
    assert_eq!(replayed[0]["state"], json!("applied"), "{replayed}");
    let bans = || -> Vec<Value> {
        let list = ok_json(&WICKET.run(dir.path(), &["account", "list", "--json"]));
        ids.iter().map(|id| list.as_array().unwrap().iter().find(|a| a["id"] == json!(id.to_string())).unwrap()["ban"]["state"].clone()).collect()
    };
    assert_eq!(
        bans(),
        [json!("SCHEDULE_FOR_DISABLE"), json!("SCHEDULE_FOR_DISABLE"), Value::Null, Value::Null],
        "the posted account and the business account's other number of the same app; never another app's number, nor another business account"
    );
    let event = replayed[0]["event_id"].to_string().trim_matches('"').to_string();
    let again = ok_json(&WICKET.run(dir.path(), &["webhook", "replay", &event, "--json"]));
    assert_eq!((again[0]["state"].as_str(), again[0]["status_changes"].as_i64()), (Some("applied"), Some(0)), "{again}");
    assert_eq!(bans()[2], Value::Null, "a second replay changes nothing");
}
