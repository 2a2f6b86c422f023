//! Merging contacts through the real handlers (`tests.rs`' harness) on the
//! sample inbox, with Priya's number also known written differently (a
//! second contact with its own chat): the suggestion says why, the
//! candidates are the account's people, the merge leaves one chat, the undo
//! gives both back, a later merge blocks the earlier undo, and "Not the same"
//! stays. What they answer is recorded as the browser test's fixtures
//! (`tests/ui/fixtures/merge.json`).

use crate::tests::{golden, Harness};
use serde_json::{json, Value};
use wicket_core::model::{Direction, MessageKind};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::NewMessage;

#[test]
fn merging_contacts_answers_through_the_ipc_and_records_the_ui_fixtures() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();
    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    let priya = all.as_array().unwrap().iter().find(|c| c["display_name"] == "Priya Shah").unwrap().clone();
    let priya_id = priya["contact_id"].as_i64().unwrap();
    let account = priya["account_id"].as_i64().unwrap();
    let twin = {
        let mut store = wicket_core::Store::open(&h.data_dir().join("wicket.db")).unwrap();
        let update = ContactUpdate { profile_name: Some("Priya S.".into()), ..Default::default() };
        let c = store.upsert_contact(account, &ContactKey::phone("+44 7911 123456"), &update).unwrap();
        let conv = store.get_or_create_conversation(account, c.id).unwrap();
        store
            .insert_message(&NewMessage {
                account_id: account,
                conversation_id: conv,
                provider_message_id: Some("wamid.twin".into()),
                direction: Some(Direction::In),
                kind: Some(MessageKind::Text),
                text: Some("This is my other phone".into()),
                ..Default::default()
            })
            .unwrap();
        c.id
    };
    let count = || h.ok("list_conversations", json!({ "filter": "all" })).as_array().unwrap().len();
    let before = count();

    let suggestions = h.ok("contact_suggestions", json!({ "contact_id": priya_id }));
    assert_eq!(suggestions.as_array().unwrap().len(), 1, "{suggestions}");
    assert_eq!((suggestions[0]["other_id"].as_i64(), suggestions[0]["kind"].as_str()), (Some(twin), Some("formatting")));
    assert!(suggestions[0]["reason"].as_str().unwrap().contains("written differently"));
    fx.insert("contact_suggestions".into(), suggestions);

    let candidates = h.ok("contact_merge_candidates", json!({ "contact_id": priya_id }));
    let ids: Vec<i64> = candidates.as_array().unwrap().iter().map(|c| c["contact_id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&twin) && !ids.contains(&priya_id), "the account's other people: {candidates}");
    fx.insert("contact_merge_candidates".into(), candidates);

    let merged = h.ok("contact_merge", json!({ "keep_id": priya_id, "other_id": twin }));
    assert_eq!(
        (merged["kept_name"].as_str(), merged["removed_name"].as_str(), merged["messages_moved"].as_i64()),
        (Some("Priya Shah"), Some("Priya S."), Some(1))
    );
    assert_eq!(count(), before - 1, "one chat left of the two");
    fx.insert("contact_merge".into(), merged.clone());
    // Undo stays on offer in the kept contact's panel (only there) until the next merge.
    let offer = h.ok("contact_merge_undo_offer", json!({ "contact_id": priya_id }));
    assert_eq!((offer["merge_id"].clone(), offer["removed_name"].as_str()), (merged["merge_id"].clone(), Some("Priya S.")), "{offer}");
    assert_eq!(h.ok("contact_merge_undo_offer", json!({ "contact_id": ids.iter().find(|i| **i != twin).unwrap() })), Value::Null);
    fx.insert("contact_merge_undo_offer".into(), offer);
    let undone = h.ok("contact_merge_undo", json!({ "merge_id": merged["merge_id"] }));
    assert_eq!((undone["restored_id"].as_i64(), undone["messages_moved_back"].as_i64()), (Some(twin), Some(1)));
    assert_eq!(count(), before, "both chats are back");
    assert_eq!(h.ok("contact_merge_undo_offer", json!({ "contact_id": priya_id })), Value::Null, "nothing left to undo");
    fx.insert("contact_merge_undo".into(), undone);

    // Not the same: never suggested again.
    assert_eq!(h.ok("contact_suggestion_dismiss", json!({ "contact_id": priya_id, "other_id": twin })), Value::Null);
    assert!(h.ok("contact_suggestions", json!({ "contact_id": priya_id })).as_array().unwrap().is_empty());
    fx.insert("contact_suggestion_dismiss".into(), Value::Null);

    // A later merge blocks the earlier one's undo.
    let first = h.ok("contact_merge", json!({ "keep_id": priya_id, "other_id": twin }));
    let others: Vec<i64> =
        h.ok("contact_merge_candidates", json!({ "contact_id": priya_id })).as_array().unwrap().iter().map(|c| c["contact_id"].as_i64().unwrap()).collect();
    h.ok("contact_merge", json!({ "keep_id": others[0], "other_id": others[1] }));
    let blocked = h.call("contact_merge_undo", json!({ "merge_id": first["merge_id"] })).unwrap_err();
    assert_eq!(blocked["code"], "invalid", "{blocked}");
    assert!(blocked["message"].as_str().unwrap().contains("can no longer be undone"), "{blocked}");
    fx.insert("contact_merge_undo_blocked".into(), blocked);
    assert_eq!(h.ok("contact_merge_undo_offer", json!({ "contact_id": priya_id })), Value::Null, "a later merge took the offer away");
    let refused = h.call("contact_merge", json!({ "keep_id": priya_id, "other_id": priya_id })).unwrap_err();
    assert_eq!(refused["code"], "invalid");
    fx.insert("contact_merge_refused".into(), refused);
    h.ok("contact_merge_undo", json!({}));

    golden("tests/ui/fixtures/merge.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
