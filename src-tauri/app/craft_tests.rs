//! Quick replies and notes through the real handlers (`tests.rs`' harness)
//! on the sample inbox: quick replies added (with a file from the window),
//! edited, filled for a contact (placeholders, the file's bytes), removed;
//! notes added on a conversation and on its contact, edited, found by
//! search as notes, deleted, never in the messages nor unread. What they
//! answer is recorded as the browser tests' fixtures
//! (`tests/ui/fixtures/quick_replies_notes.json`), times at the sample's "now".

use crate::tests::{golden, Harness, SAMPLE_NOW};
use base64::Engine;
use serde_json::{json, Value};

/// The commands this file records fixtures for.
pub const CRAFT_COMMANDS: &[&str] =
    &["list_quick_replies", "save_quick_reply", "remove_quick_reply", "fill_quick_reply", "list_notes", "add_note", "edit_note", "delete_note"];

/// Notes' times moved to the sample's clock, a minute apart in order.
fn at_sample_time(notes: &mut Value) {
    let list = if notes.is_array() { notes.as_array_mut().unwrap().iter_mut().collect::<Vec<_>>() } else { vec![notes] };
    for (i, n) in list.into_iter().enumerate() {
        let t = json!(SAMPLE_NOW - 60_000 * (10 - i as i64));
        n["created_at"] = t.clone();
        n["updated_at"] = t;
    }
}

#[test]
fn quick_replies_and_notes_answer_through_the_ipc_and_record_the_ui_fixtures() {
    let h = Harness::new();
    let mut fx = serde_json::Map::new();
    let all = h.ok("list_conversations", json!({ "filter": "all" }));
    let priya = all[0]["id"].as_i64().unwrap();
    assert_eq!(all[0]["display_name"], "Priya Shah", "{}", all[0]);

    // Quick replies: added, one with a file picked in the window.
    // Arguments in the header, a file's bytes as the raw body (`ipc_bytes.rs`).
    let save = |args: Value, file: &[u8]| h.call_bytes("save_quick_reply", args, file.to_vec());
    let thanks = save(json!({ "shortcut": "/thanks", "text": "Thanks {first_name}! Your order is on its way." }), b"").unwrap();
    assert_eq!(thanks["shortcut"], "thanks");
    fx.insert("save_quick_reply".into(), thanks.clone());
    save(json!({ "shortcut": "hours", "text": "We are open 9:00–17:30, {name}.", "file": { "file_name": "Opening hours.pdf" } }), b"%PDF-1.4 opening hours")
        .unwrap();
    save(json!({ "shortcut": "call", "text": "We will call you on {phone}." }), b"").unwrap();
    let taken = save(json!({ "shortcut": "Thanks", "text": "again" }), b"").unwrap_err();
    assert_eq!(taken["code"], "invalid");
    assert!(taken["message"].as_str().unwrap().contains("/thanks is already taken"), "{taken}");
    fx.insert("save_quick_reply_taken".into(), taken);
    let bad = save(json!({ "shortcut": "two words", "text": "x" }), b"").unwrap_err();
    fx.insert("save_quick_reply_bad_shortcut".into(), bad);

    // Edited: the text changes, the file is kept, then removed.
    let hours = h.ok("list_quick_replies", Value::Null).as_array().unwrap().iter().find(|q| q["shortcut"] == "hours").unwrap().clone();
    assert_eq!((hours["file_name"].as_str(), hours["mime_type"].as_str()), (Some("Opening hours.pdf"), Some("application/pdf")));
    let edited = save(json!({ "id": hours["id"], "shortcut": "hours", "text": "We are open 9:00–17:30, {first_name}." }), b"").unwrap();
    assert_eq!(edited["file_name"], "Opening hours.pdf", "an edit keeps the file unless told");

    // Filled for Priya: placeholders from her contact, the file as bytes.
    let filled = h.ok("fill_quick_reply", json!({ "shortcut": "hours", "conversation_id": priya }));
    assert_eq!(filled["text"], "We are open 9:00–17:30, Priya.");
    // Its file comes as bytes through the wicket-media: protocol, by the id the fill names.
    let file_id = filled["file_quick_reply_id"].as_i64().expect("the reply's file is named");
    let served = crate::tests::media_get(&h, &format!("/quick-reply/{file_id}"), None);
    assert_eq!((served.status().as_u16(), served.body().as_slice()), (200, &b"%PDF-1.4 opening hours"[..]));
    assert_eq!(crate::tests::media_get(&h, "/quick-reply/9999", None).status().as_u16(), 404);
    fx.insert("quick_reply_files".into(), json!({ file_id.to_string(): base64::engine::general_purpose::STANDARD.encode(served.body()) }));
    let mut fills = serde_json::Map::new();
    for q in ["thanks", "hours", "call"] {
        fills.insert(q.into(), h.ok("fill_quick_reply", json!({ "shortcut": q, "conversation_id": priya })));
    }
    assert_eq!(fills["thanks"]["text"], "Thanks Priya! Your order is on its way.");
    assert!(fills["call"]["text"].as_str().unwrap().starts_with("We will call you on "), "{}", fills["call"]);
    assert!(!Value::Object(fills.clone()).to_string().contains("undefined"));
    fx.insert("fill_quick_reply".into(), json!({ priya.to_string(): fills }));
    assert_eq!(h.call("fill_quick_reply", json!({ "shortcut": "nope", "conversation_id": priya })).unwrap_err()["code"], "not_found");

    let listed = h.ok("list_quick_replies", Value::Null);
    assert_eq!(listed.as_array().unwrap().iter().map(|q| q["shortcut"].as_str().unwrap()).collect::<Vec<_>>(), ["call", "hours", "thanks"]);
    fx.insert("list_quick_replies".into(), listed);
    let removed = h.ok("remove_quick_reply", json!({ "shortcut": "call" }));
    fx.insert("remove_quick_reply".into(), removed);
    assert_eq!(h.ok("list_quick_replies", Value::Null).as_array().unwrap().len(), 2);
    let no_file = save(json!({ "id": hours["id"], "shortcut": "hours", "text": "We are open 9:00–17:30.", "remove_file": true }), b"").unwrap();
    assert_eq!(no_file["file_name"], Value::Null);

    // Notes: on the conversation and on Priya, oldest first; never messages, never unread.
    let unread = all[0]["unread_count"].clone();
    let messages_before = h.ok("list_messages", json!({ "conversation_id": priya, "limit": 50 }));
    let mut on_chat = h.ok("add_note", json!({ "conversation_id": priya, "text": "Wants the sourdough sliced next time" }));
    let on_contact = h.ok("add_note", json!({ "conversation_id": priya, "on_contact": true, "text": "Allergic to sesame" }));
    assert_eq!((on_chat["conversation_id"].as_i64(), on_chat["contact_id"].as_i64()), (Some(priya), None));
    assert!(on_contact["contact_id"].is_i64() && on_contact["conversation_id"].is_null());
    let empty = h.call("add_note", json!({ "conversation_id": priya, "text": "   " })).unwrap_err();
    assert_eq!(empty["code"], "invalid");
    fx.insert("add_note_empty".into(), empty);
    let edited = h.ok("edit_note", json!({ "id": on_chat["id"], "text": "Wants the sourdough sliced, every time" }));
    assert_eq!(edited["created_at"], on_chat["created_at"]);
    on_chat = edited;
    let notes = h.ok("list_notes", json!({ "conversation_id": priya }));
    assert_eq!(notes.as_array().unwrap().iter().map(|n| n["id"].clone()).collect::<Vec<_>>(), [on_chat["id"].clone(), on_contact["id"].clone()]);
    assert_eq!(h.ok("list_messages", json!({ "conversation_id": priya, "limit": 50 })), messages_before, "notes are not messages");
    let after = h.ok("list_conversations", json!({ "filter": "all" }));
    assert_eq!(after.as_array().unwrap().iter().find(|c| c["id"] == priya).unwrap()["unread_count"], unread, "notes are never unread");

    let hits = h.ok("search", json!({ "query": "sesame" }));
    assert_eq!(
        (hits[0]["kind"].as_str(), hits[0]["note_id"].as_i64(), hits[0]["conversation_id"].as_i64()),
        (Some("note"), on_contact["id"].as_i64(), Some(priya))
    );
    let mut hits = hits;
    hits[0]["timestamp"] = json!(SAMPLE_NOW - 60_000 * 9);
    fx.insert("search".into(), json!({ "sesame": hits }));

    let mut recorded = notes;
    at_sample_time(&mut recorded);
    fx.insert("list_notes".into(), json!({ priya.to_string(): recorded.clone() }));
    let mut added = on_contact.clone();
    at_sample_time(&mut added);
    fx.insert("add_note".into(), added);
    let mut edited = on_chat.clone();
    at_sample_time(&mut edited);
    fx.insert("edit_note".into(), edited);
    let mut deleted = h.ok("delete_note", json!({ "id": on_contact["id"] }));
    at_sample_time(&mut deleted);
    fx.insert("delete_note".into(), deleted);
    assert_eq!(h.ok("list_notes", json!({ "conversation_id": priya })).as_array().unwrap().len(), 1);
    assert_eq!(h.call("delete_note", json!({ "id": on_contact["id"] })).unwrap_err()["code"], "not_found");
    golden("tests/ui/fixtures/quick_replies_notes.json", &(serde_json::to_string_pretty(&Value::Object(fx)).unwrap() + "\n"));
}
