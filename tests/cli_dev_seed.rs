//! `wicket dev seed` as a process: it fills a fresh data dir that the read
//! commands then list and search (a read command opens no log file when it
//! logs nothing), and it refuses a data dir holding a real account.

#[path = "support/cli.rs"]
mod support;

use serde_json::Value;
use support::{ok_json, stderr, Wicket};
use wicket_core::model::Provider;
use wicket_core::store::{NewAccount, Store};

const WICKET: Wicket = Wicket::vault("dev seed passphrase");

#[test]
fn dev_seed_fills_a_fresh_data_dir_that_reads_and_searches() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = ok_json(&WICKET.run(&dir, &["dev", "seed", "--messages", "2000", "--conversations", "30", "--long-conversations", "1", "--seed", "9", "--json"]));
    assert_eq!(out["messages"], 2000, "{out}");
    assert_eq!(out["conversations"], 30, "{out}");
    assert!(out["seconds"].as_f64().is_some() && out["messages_per_second"].as_f64().is_some(), "it says how long it took: {out}");

    let text = WICKET.run(&dir, &["dev", "seed", "--messages", "10", "--conversations", "2"]);
    assert!(text.status.success(), "{}", stderr(&text));
    assert!(String::from_utf8_lossy(&text.stdout).contains("Seeded 10 messages"), "a second seed goes under a demo account of its own");

    let logs = dir.join("logs");
    let before: Vec<_> = std::fs::read_dir(&logs).unwrap().collect();
    let list = ok_json(&WICKET.run(&dir, &["conversations", "--limit", "50", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 32, "every seeded conversation is listed");
    let hits = ok_json(&WICKET.run(&dir, &["search", "order", "--limit", "50", "--json"]));
    assert_eq!(hits.as_array().unwrap().len(), 50, "the common word is found");
    assert!(hits.as_array().unwrap().iter().all(|h| h["snippet"].as_str().is_some_and(|s| !s.is_empty())), "{hits}");
    let after: Vec<_> = std::fs::read_dir(&logs).unwrap().collect();
    assert_eq!(before.len(), after.len(), "reads that log nothing open no log file");
}

#[test]
fn dev_seed_refuses_a_data_dir_with_a_real_account() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert!(WICKET.run(&dir, &["account", "list"]).status.success(), "the data dir is created");
    let mut store = Store::open(&dir.join("wicket.db")).unwrap();
    store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Corner shop".into(), phone: None, config: serde_json::json!({"phone_number_id": "1"}) })
        .unwrap();
    drop(store);
    let out = WICKET.run(&dir, &["dev", "seed", "--messages", "10"]);
    assert!(!out.status.success(), "refused");
    let err = stderr(&out);
    assert!(err.contains("real accounts (Corner shop (meta))") && err.contains("--data-dir"), "says why and what to do: {err}");
    let list: Value = ok_json(&WICKET.run(&dir, &["conversations", "--json"]));
    assert_eq!(list, serde_json::json!([]), "nothing was seeded");
}
