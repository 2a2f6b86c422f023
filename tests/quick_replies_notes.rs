//! Quick replies and private notes in the core, on a real SQLite file:
//! placeholders filled from the contact (a missing value leaves a gap),
//! import/export round trips in JSON and CSV with the attached file, a
//! per-row report for bad rows; notes found by search (marked as notes),
//! carried by exports, and never sent or counted unread while the engine
//! sends a real message over loopback HTTP.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::{customer_wrote, data_dir, run_engine, text};
use wicket_core::engine::Engine;
use wicket_core::model::{MessageStatus, Provider};
use wicket_core::quick_replies as qr;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::notes::NoteTarget;
use wicket_core::store::{NewAccount, Store};
use wicket_core::{outbox, DataDir};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn meta_account(store: &mut Store, base_url: &str) -> wicket_core::store::Account {
    store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: None,
            config: json!({"phone_number_id": "PN1", "business_account_id": "W", "base_url": base_url}),
        })
        .unwrap()
}

#[test]
fn placeholders_are_filled_from_the_contact_and_a_missing_value_leaves_a_gap() {
    let (_tmp, dir, mut store) = data_dir();
    let account = meta_account(&mut store, "http://127.0.0.1:9");
    let ana = store
        .upsert_contact(account.id, &ContactKey::phone("+447911123456"), &ContactUpdate { profile_name: Some("Ana María Pérez".into()), ..Default::default() })
        .unwrap();
    let nameless = store.upsert_contact(account.id, &ContactKey::user_id("BSUID.123"), &ContactUpdate::default()).unwrap();
    let q = qr::add(&mut store, &dir, "/thanks", "Thanks {first_name}! We will call {name} on {phone}.", None).unwrap();
    assert_eq!(q.shortcut, "thanks", "the / typed in front is not part of the shortcut");
    let country = store.default_country().unwrap();
    let filled = qr::fill_for(&q, &ana, &country);
    assert!(filled.starts_with("Thanks Ana! We will call Ana María Pérez on "), "{filled}");
    assert!(filled.contains("7911") && filled.ends_with('.'), "the number is written out: {filled}");
    assert_eq!(qr::fill_for(&q, &nameless, &country), "Thanks! We will call on.", "no name, no number: gaps, never \"undefined\"");
    let again = qr::add(&mut store, &dir, "THANKS", "x", None).unwrap_err().to_string();
    assert!(again.contains("/thanks is already taken"), "shortcuts are unique in any case: {again}");
    assert!(qr::add(&mut store, &dir, "no text", "", None).is_err());
    assert!(qr::add(&mut store, &dir, "empty", "  ", None).unwrap_err().to_string().contains("needs a text or a file"));
}

#[test]
fn quick_replies_round_trip_through_json_and_csv_with_their_files() {
    let (tmp, dir, mut store) = data_dir();
    let brochure = tmp.path().join("Price list 2026.pdf");
    std::fs::write(&brochure, b"%PDF-1.4 prices").unwrap();
    qr::add(&mut store, &dir, "thanks", "Thanks {first_name}!", None).unwrap();
    qr::add(&mut store, &dir, "prices", "Our prices, \"as promised\",\nattached", Some(qr::FileSource::Path(&brochure))).unwrap();
    let prices = store.quick_reply("prices").unwrap();
    assert_eq!(prices.file_name.as_deref(), Some("Price list 2026.pdf"));
    assert_eq!(prices.mime_type.as_deref(), Some("application/pdf"));
    let kept = qr::file_path(&dir, &prices).unwrap();
    assert!(kept.starts_with(dir.root().join("quick_replies")), "the file is kept in the data dir: {}", kept.display());
    std::fs::remove_file(&brochure).unwrap();
    assert_eq!(std::fs::read(&kept).unwrap(), b"%PDF-1.4 prices", "the copy survives the original");

    for ext in ["json", "csv"] {
        let out = tmp.path().join(format!("replies.{ext}"));
        assert_eq!(qr::export(&store, &dir, &out).unwrap(), 2);
        let (_tmp2, dir2, mut store2) = data_dir();
        let report = qr::import(&mut store2, &dir2, &out).unwrap();
        assert_eq!((report.imported, report.rejected), (2, 0), "{ext}: {report:?}");
        let a: Vec<_> = store.quick_replies().unwrap().into_iter().map(|q| (q.shortcut, q.text, q.file_name, q.mime_type)).collect();
        let b: Vec<_> = store2.quick_replies().unwrap().into_iter().map(|q| (q.shortcut, q.text, q.file_name, q.mime_type)).collect();
        assert_eq!(a, b, "{ext}: the same quick replies come back");
        let copied = qr::file_path(&dir2, &store2.quick_reply("prices").unwrap()).unwrap();
        assert!(copied.starts_with(dir2.root()), "{ext}: the file is copied into the new data dir");
        assert_eq!(std::fs::read(&copied).unwrap(), b"%PDF-1.4 prices");
        let out2 = tmp.path().join(format!("again.{ext}"));
        qr::export(&store2, &dir2, &out2).unwrap();
        let strip = |p: &std::path::Path, root: &std::path::Path| std::fs::read_to_string(p).unwrap().replace(&root.display().to_string(), "ROOT");
        let (first, second) = (strip(&out, dir.root()), strip(&out2, dir2.root()));
        // The stored file names are random; everything else is identical.
        let names = |s: &str| s.lines().map(|l| l.split("quick_replies/").next().unwrap_or_default().to_string()).collect::<Vec<_>>();
        assert_eq!(names(&first), names(&second), "{ext}: export → import → export gives the same file");
    }

    // Bad rows: each reported with its row number and reason; the good ones are added.
    let csv = tmp.path().join("bad.csv");
    std::fs::write(&csv, "shortcut,text,file\nthanks,dup of an existing one,\nhello there,two words,\nhours,We open at 9,\nHOURS,again in this file,\nbrochure,,missing.pdf\nempty,,\n").unwrap();
    let report = qr::import(&mut store, &dir, &csv).unwrap();
    assert_eq!((report.imported, report.rejected), (1, 5), "{report:?}");
    let why = |row: usize| report.rows[row - 1].error.clone().unwrap_or_default();
    assert!(why(1).contains("/thanks already exists"), "{}", why(1));
    assert!(why(2).contains("letters, digits"), "{}", why(2));
    assert_eq!(report.rows[2].error, None);
    assert!(why(4).contains("appears earlier in this file"), "{}", why(4));
    assert!(why(5).contains("missing.pdf"), "{}", why(5));
    assert!(why(6).contains("needs a text or a file"), "{}", why(6));
    assert_eq!(store.quick_reply("hours").unwrap().text, "We open at 9");

    let err = qr::import(&mut store, &dir, &tmp.path().join("replies.txt")).unwrap_err().to_string();
    assert!(err.contains(".json or .csv"), "{err}");
    let removed = qr::remove(&mut store, &dir, "/prices").unwrap();
    assert!(!qr::file_path(&dir, &removed).unwrap().exists(), "removing a quick reply removes its file");
    assert!(store.quick_reply("prices").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_are_searchable_exported_and_never_sent_or_unread() {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.OUT1"}], "contacts": [{"wa_id": "447911123456"}]})))
        .mount(&graph)
        .await;
    let (tmp, dir, mut store) = data_dir();
    let secrets = Arc::new(SecretStore::in_memory("notes"));
    let account = meta_account(&mut store, &graph.uri());
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok".into())).unwrap();
    secrets.set(account.id, SecretName::AppSecret, &Secret::new("app-secret".into())).unwrap();
    customer_wrote(&mut store, account.id, "wamid.IN");
    let contact = store.find_contact(account.id, &ContactKey::phone("+447911123456")).unwrap().unwrap();
    let conv = store.get_or_create_conversation(account.id, contact.id).unwrap();
    let unread_before = store.conversation(conv).unwrap().unread_count;

    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets, None).unwrap());
    let on_contact = store.add_note(NoteTarget::Contact(contact.id), "Prefers deliveries after Zürich office hours").unwrap();
    let on_chat = store.add_note(NoteTarget::Conversation(conv), "Refund promised for order 4411").unwrap();
    let sent = outbox::queue_in_conversation(&mut store, conv, text("Your parcel left"), None).unwrap();
    for _ in 0..100 {
        if store.message(sent.id).unwrap().status == MessageStatus::Sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.message(sent.id).unwrap().status, MessageStatus::Sent);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests = graph.received_requests().await.unwrap();
    let sends = requests.iter().filter(|r| r.url.path() == "/v23.0/PN1/messages").count();
    assert_eq!(sends, 1, "only the message went out");
    for r in &requests {
        let body = String::from_utf8_lossy(&r.body);
        assert!(!body.contains("Refund") && !body.contains("Zürich") && !r.url.as_str().contains("Refund"), "no note text left the machine: {body}");
    }
    let after = store.conversation(conv).unwrap();
    assert_eq!(after.unread_count, unread_before, "notes are never unread");
    assert_eq!(after.last_message_id, Some(sent.id), "a note is not the conversation's last message");
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();

    // Search finds both, marked as notes ("zurich" without the accent too).
    let hits = store.search("zurich", 10).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].kind, hits[0].note_id, hits[0].message_id, hits[0].conversation_id), ("note", Some(on_contact.id), 0, conv));
    let hits = store.search("refund 4411", 10).unwrap();
    assert_eq!((hits[0].kind, hits[0].note_id), ("note", Some(on_chat.id)));
    assert!(store.search("parcel", 10).unwrap().iter().all(|h| h.kind == "message"), "messages stay messages");
    store.edit_note(on_chat.id, "Refund paid").unwrap();
    assert!(store.search("4411", 10).unwrap().is_empty(), "an edit takes the old words out of search");

    // Exports carry them; an import brings them back, searchable.
    let out = tmp.path().join("export.json");
    store.export_to(wicket_core::export::Format::Json, &out, None).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let notes = doc["tables"]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1]["text"], "Refund paid");
    let tmp2 = tempfile::tempdir().unwrap();
    let mut store2 = Store::open(&DataDir::open(tmp2.path()).unwrap().db_path()).unwrap();
    store2.import_from(&out).unwrap();
    assert_eq!(
        store2.notes(None).unwrap().iter().map(|n| n.text.clone()).collect::<Vec<_>>(),
        vec!["Prefers deliveries after Zürich office hours".to_string(), "Refund paid".to_string()]
    );
    assert_eq!(store2.search("deliveries", 10).unwrap()[0].kind, "note");

    store.delete_note(on_contact.id).unwrap();
    assert!(store.search("zurich", 10).unwrap().is_empty(), "a deleted note leaves search");
}
