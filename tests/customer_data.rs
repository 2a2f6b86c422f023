//! Customer data requests against a real store: what a customer wrote in a
//! group chat is theirs too. It is in their export and goes with their
//! erase, while the group and the other members' messages stay.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use support::{data_dir, fixture};
use wicket_core::contact_data;
use wicket_core::model::Provider;
use wicket_core::providers::wasender::webhook::parse_payload;
use wicket_core::store::NewAccount;

/// A WASender fixture with its identifiers and words replaced, so one shape
/// gives several messages.
fn event(name: &str, replace: &[(&str, &str)]) -> Vec<wicket_core::providers::ProviderEvent> {
    let mut body = String::from_utf8(fixture("wasender", name)).unwrap();
    for (from, to) in replace {
        body = body.replace(from, to);
    }
    parse_payload(body.as_bytes()).unwrap()
}

fn db_contains(dir: &wicket_core::DataDir, needle: &str) -> bool {
    let mut bytes = std::fs::read(dir.db_path()).unwrap();
    bytes.extend(std::fs::read(dir.db_path().with_extension("db-wal")).unwrap_or_default());
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_customers_group_messages_are_in_their_export_and_go_with_their_erase() {
    let (tmp, dir, mut store) = data_dir();
    let account = store.add_account(&NewAccount { provider: Provider::Wasender, name: "Shop".into(), phone: None, config: json!({}) }).unwrap().id;
    // Tom writes to the shop directly, and in the customers' group (the fixture's participant is Tom).
    let mut events = event(
        "webhook_message.json",
        &[
            ("447700900123", "447700900456"),
            ("Priya Raman", "Tom Baker"),
            ("3EB0A1B2C3D4E5F60718", "3EB0TOMDIRECT0000001"),
            ("118237465019283", "118237465019999"),
        ],
    );
    events.extend(event("webhook_group_message.json", &[]));
    // Another member of the group answers: hers stays.
    events.extend(event(
        "webhook_group_message.json",
        &[
            ("447700900456", "447700900789"),
            ("Tom Baker", "Ada Lovelace"),
            ("3EB0GROUP00000000001", "3EB0GROUP00000000002"),
            ("Can someone confirm the pickup time?", "Pickup is at quarter past three"),
        ],
    ));
    store.write(|tx| wicket_core::ingest::apply(tx, account, &events)).unwrap();
    assert_eq!(store.search("pickup", 10).unwrap().len(), 3, "Tom's two messages and Ada's");

    let out = tmp.path().join("tom.zip");
    let exported = contact_data::export(&store, &dir, "+447700900456", &out).unwrap();
    assert_eq!(exported.messages, 2, "his own conversation's message and his group message: {exported:?}");
    let zip = std::fs::read(&out).unwrap();
    let has = |s: &str| zip.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(has("Can someone confirm the pickup time?"), "the group message is in his export");
    assert!(!has("quarter past three"), "Ada's message is not his");

    let erased = contact_data::erase(&mut store, &dir, "+447700900456").unwrap();
    assert_eq!(erased.messages, 2, "{erased:?}");
    let left = store.search("pickup", 10).unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].snippet.contains("quarter past three"), "the group and Ada's message stay: {left:?}");
    assert!(!db_contains(&dir, "confirm the pickup time"), "his group message's words are gone from the file");
    assert!(db_contains(&dir, "quarter past three"), "the check can see words that are there");
}

#[test]
fn a_customer_who_only_wrote_in_a_group_can_be_exported_and_erased_by_number() {
    let (tmp, dir, mut store) = data_dir();
    let account = store.add_account(&NewAccount { provider: Provider::Wasender, name: "Shop".into(), phone: None, config: json!({}) }).unwrap().id;
    // Tom only ever wrote in the customers' group: no contact of his own.
    let mut events = event("webhook_group_message.json", &[]);
    events.extend(event(
        "webhook_group_message.json",
        &[
            ("447700900456", "447700900789"),
            ("Tom Baker", "Ada Lovelace"),
            ("3EB0GROUP00000000001", "3EB0GROUP00000000002"),
            ("Can someone confirm the pickup time?", "Pickup is at quarter past three"),
        ],
    ));
    store.write(|tx| wicket_core::ingest::apply(tx, account, &events)).unwrap();
    assert!(contact_data::resolve(&store, "+447700900456").is_err(), "no contact has his number");

    let out = tmp.path().join("tom.zip");
    let exported = contact_data::export(&store, &dir, "+44 7700 900456", &out).unwrap();
    assert_eq!((exported.contacts, exported.messages), (0, 1), "{exported:?}");
    let erased = contact_data::erase(&mut store, &dir, "447700900456").unwrap();
    assert_eq!((erased.contacts, erased.messages), (0, 1), "{erased:?}");
    assert!(!db_contains(&dir, "confirm the pickup time"), "his words are gone from the file");
    assert_eq!(store.search("pickup", 10).unwrap().len(), 1, "Ada's message and the group stay");
    let missing = contact_data::erase(&mut store, &dir, "+447700900111").unwrap_err();
    assert!(missing.to_string().contains("no contact has the number"), "{missing}");
}
