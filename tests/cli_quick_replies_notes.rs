//! `wicket quick-replies` and `wicket notes` as processes on a real data
//! dir: add, list --json, remove, export and import in JSON and CSV with a
//! per-row report and exit code 2 for bad rows; notes on a contact (by id or
//! by phone number) and on a conversation, listed, found by `wicket search`
//! (marked as notes), in `wicket export`, and not among the messages.

#[path = "support/cli.rs"]
mod support;

use serde_json::Value;
use support::{last_line, ok_json, stderr, Wicket};

const WICKET: Wicket = Wicket::vault("quick replies and notes passphrase");

#[test]
fn quick_replies_from_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let file = tmp.path().join("menu.pdf");
    std::fs::write(&file, b"%PDF menu").unwrap();
    let out = WICKET.run(&dir, &["quick-replies", "add", "--shortcut", "thanks", "--text", "Thanks {first_name}!"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(last_line(&out).contains("/thanks"));
    ok_json(&WICKET.run(&dir, &["--json", "quick-replies", "add", "--shortcut", "menu", "--text", "Our menu", "--file", file.to_str().unwrap()]));
    let dup = WICKET.run(&dir, &["quick-replies", "add", "--shortcut", "Thanks", "--text", "again"]);
    assert_eq!(dup.status.code(), Some(2), "a taken shortcut is a usage error");
    assert!(stderr(&dup).contains("/thanks is already taken"), "{}", stderr(&dup));

    let list = ok_json(&WICKET.run(&dir, &["quick-replies", "list", "--json"]));
    let list = list.as_array().unwrap();
    assert_eq!(list.iter().map(|q| q["shortcut"].as_str().unwrap()).collect::<Vec<_>>(), ["menu", "thanks"]);
    assert_eq!(list[1]["text"], "Thanks {first_name}!");
    assert_eq!(list[0]["file_name"], "menu.pdf");
    let kept = list[0]["file"].as_str().unwrap();
    assert!(kept.starts_with(dir.to_str().unwrap()) && std::fs::read(kept).unwrap() == b"%PDF menu", "the file is kept in the data dir");

    for ext in ["json", "csv"] {
        let export = tmp.path().join(format!("replies.{ext}"));
        let out = WICKET.run(&dir, &["quick-replies", "export", "--out", export.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let other = tmp.path().join(format!("other-{ext}"));
        let report = ok_json(&WICKET.run(&other, &["--json", "quick-replies", "import", export.to_str().unwrap()]));
        assert_eq!((report["imported"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(0)), "{ext}: {report}");
        let again = ok_json(&WICKET.run(&other, &["quick-replies", "list", "--json"]));
        let texts = |v: &Value| v.as_array().unwrap().iter().map(|q| (q["shortcut"].clone(), q["text"].clone(), q["file_name"].clone())).collect::<Vec<_>>();
        assert_eq!(texts(&again), texts(&Value::Array(list.clone())), "{ext}: the same quick replies");
    }

    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "shortcut,text\nhours,We open at 9\nthanks,taken\nsay hi,two words\n").unwrap();
    let out = WICKET.run(&dir, &["quick-replies", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "bad rows make the import a usage error");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("row 1: added /hours"), "{report}");
    assert!(report.contains("row 2: not imported: the shortcut /thanks already exists"), "{report}");
    assert!(report.contains("row 3: not imported: the shortcut \"say hi\" contains ' '"), "{report}");
    assert!(stderr(&out).contains("2 of 3 rows were not imported"), "{}", stderr(&out));

    let out = WICKET.run(&dir, &["quick-replies", "remove", "menu"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!std::path::Path::new(kept).exists(), "its file went with it");
    assert_eq!(WICKET.run(&dir, &["quick-replies", "remove", "menu"]).status.code(), Some(3), "a second remove: not found");
}

#[test]
fn notes_from_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = WICKET.run(&dir, &["account", "add", "demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let convs = ok_json(&WICKET.run(&dir, &["conversations", "--json"]));
    let conv = &convs.as_array().unwrap()[0];
    let conv_id = conv["id"].as_str().unwrap().to_string();
    let unread = conv["unread"].clone();
    let contacts = ok_json(&WICKET.run(&dir, &["contacts", "--json"]));
    let contact = contacts.as_array().unwrap().iter().find(|c| c["phone"].is_string()).unwrap().clone();
    let phone = contact["phone"].as_str().unwrap();

    let by_phone = ok_json(&WICKET.run(&dir, &["--json", "notes", "add", "--contact", phone, "--text", "Allergic to peanuts"]));
    assert_eq!(by_phone["contact_id"], contact["id"], "a phone number finds the contact");
    assert_eq!(by_phone["private"], true);
    let on_conv = ok_json(&WICKET.run(&dir, &["--json", "notes", "add", "--conversation", &conv_id, "--text", "Invoice 8812 disputed"]));
    assert_eq!(on_conv["conversation_id"].as_str(), Some(conv_id.as_str()));
    let missing = WICKET.run(&dir, &["notes", "add", "--contact", "+1 555 000 0000", "--text", "x"]);
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));

    let listed = ok_json(&WICKET.run(&dir, &["notes", "list", "--contact", contact["id"].as_str().unwrap(), "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["text"], "Allergic to peanuts");
    assert_eq!(ok_json(&WICKET.run(&dir, &["notes", "list", "--json"])).as_array().unwrap().len(), 2);
    let edited = ok_json(&WICKET.run(&dir, &["--json", "notes", "edit", by_phone["id"].as_str().unwrap(), "--text", "Allergic to peanuts and sesame"]));
    assert_eq!(edited["created_at"], by_phone["created_at"]);

    let hits = ok_json(&WICKET.run(&dir, &["search", "sesame", "--json"]));
    assert_eq!(hits[0]["kind"], "note");
    assert_eq!(hits[0]["note_id"], by_phone["id"]);
    assert_eq!(hits[0]["message_id"], Value::Null, "a note is not a message");
    let msgs = ok_json(&WICKET.run(&dir, &["messages", "--conversation", &conv_id, "--json"]));
    assert!(!msgs.to_string().contains("8812"), "notes are not messages");
    let after = ok_json(&WICKET.run(&dir, &["conversations", "--json"]));
    let after = after.as_array().unwrap().iter().find(|c| c["id"] == conv["id"]).unwrap().clone();
    assert_eq!(after["unread"], unread, "notes are never unread");

    let out = WICKET.run(&dir, &["notes", "remove", on_conv["id"].as_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(ok_json(&WICKET.run(&dir, &["search", "8812", "--json"])).as_array().unwrap().is_empty(), "a removed note leaves search");
}
