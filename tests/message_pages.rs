//! Opening a conversation at a message: the page around it, newer pages
//! after it, and the in-conversation search's matches, on a real store.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use support::data_dir;
use wicket_core::error::Error;
use wicket_core::model::{Direction, MessageKind, Provider};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::NewMessage;
use wicket_core::store::{NewAccount, Store};

fn conversation(store: &mut Store, account: i64, phone: &str, n: usize, word_every: usize) -> Vec<i64> {
    let c = store.upsert_contact(account, &ContactKey::phone(phone), &ContactUpdate::default()).unwrap();
    let conv = store.get_or_create_conversation(account, c.id).unwrap();
    (0..n)
        .map(|i| {
            let text = if i % word_every == 0 { format!("Your parcel number {i} is ready") } else { format!("message {i}") };
            store
                .insert_message(&NewMessage {
                    account_id: account,
                    conversation_id: conv,
                    provider_message_id: Some(format!("wamid.{phone}.{i}")),
                    direction: Some(if i % 2 == 0 { Direction::In } else { Direction::Out }),
                    kind: Some(MessageKind::Text),
                    text: Some(text),
                    timestamp: Some(1_700_000_000_000 + i as i64 * 60_000),
                    ..Default::default()
                })
                .unwrap()
                .id()
        })
        .collect()
}

#[test]
fn pages_around_and_after_a_message_and_matches_within_one_conversation() {
    let (_tmp, _dir, mut store) = data_dir();
    let account = store.add_account(&NewAccount { provider: Provider::Demo, name: "Shop".into(), phone: None, config: json!({}) }).unwrap().id;
    let ids = conversation(&mut store, account, "+447911123456", 300, 10);
    let other = conversation(&mut store, account, "+447911123457", 20, 1);
    let conv = store.message(ids[0]).unwrap().conversation_id;

    let around = store.messages_around(conv, ids[150], 50).unwrap();
    let got: Vec<i64> = around.iter().map(|m| m.id).collect();
    assert_eq!(got, ids[125..=175].to_vec(), "25 before, the message, 25 after, oldest first");
    let edge = store.messages_around(conv, ids[298], 50).unwrap();
    assert_eq!(edge.last().unwrap().id, ids[299], "near the end: what there is after it");
    assert!(edge.iter().any(|m| m.id == ids[298]));
    let first = store.messages_around(conv, ids[0], 50).unwrap();
    assert_eq!(first.first().unwrap().id, ids[0]);

    let after = store.messages_after(conv, ids[290], 50).unwrap();
    assert_eq!(after.iter().map(|m| m.id).collect::<Vec<_>>(), ids[291..].to_vec());
    assert!(store.messages_after(conv, ids[299], 50).unwrap().is_empty(), "nothing newer");
    assert!(matches!(store.messages_around(conv, other[0], 50), Err(Error::Invalid(_))), "another conversation's message");

    let matches = store.search_in_conversation(conv, "parcel", 1000).unwrap();
    let expected: Vec<i64> = ids.iter().enumerate().filter(|(i, _)| i % 10 == 0).map(|(_, id)| *id).rev().collect();
    assert_eq!(matches, expected, "this conversation's matches only, newest first");
    assert_eq!(store.search_in_conversation(conv, "PARC", 5).unwrap(), expected[..5].to_vec(), "a prefix, any case, within the limit");
    assert!(store.search_in_conversation(conv, "  -- ", 10).unwrap().is_empty());
}
