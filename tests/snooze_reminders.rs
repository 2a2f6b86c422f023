//! Snooze and reminders in the core, on a real SQLite file (issue 15): a
//! snoozed conversation leaves every list but the Snoozed view, survives a
//! restart, comes back by time (woken once) or at once when the customer
//! writes through the real webhook listener on loopback; a reminder fires
//! once, also when it fell due while nothing ran, and goes with its message.

use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use wicket_core::model::Provider;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::{ConversationFilter, NewAccount};
use wicket_core::time::now_ms;
use wicket_core::webhook::{meta_signature, ListenerConfig, WebhookDeps, WebhookServer};
use wicket_core::Store;

const APP_SECRET: &str = "snooze-app-secret";
const NUMBER: &str = "318273645501234";

fn text_webhook(wamid: &str, body: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/meta_webhooks/meta_webhook_text.json", env!("CARGO_MANIFEST_DIR"));
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let m = &mut v["entry"][0]["changes"][0]["value"]["messages"][0];
    m["id"] = json!(wamid);
    m["text"]["body"] = json!(body);
    m["timestamp"] = json!((now_ms() / 1000).to_string());
    serde_json::to_vec(&v).unwrap()
}

fn post(addr: SocketAddr, account: i64, body: &[u8]) -> u16 {
    let sig = meta_signature(APP_SECRET.as_bytes(), body);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {sig}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn listed(store: &Store, filter: ConversationFilter) -> Vec<i64> {
    store.conversations(&filter).unwrap().iter().map(|c| c.id).collect()
}

#[test]
fn a_snoozed_conversation_leaves_the_lists_until_the_customer_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("wicket.db");
    let mut store = Store::open(&db).unwrap();
    let account = store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: None,
            config: json!({ "phone_number_id": NUMBER, "business_account_id": "214365870912345" }),
        })
        .unwrap()
        .id;
    let secrets = SecretStore::in_memory("snooze-test");
    secrets.set(account, SecretName::AppSecret, &Secret::new(APP_SECRET.into())).unwrap();
    let deps = WebhookDeps { db_path: db.clone(), secrets: Arc::new(secrets), sink: None };
    let server = WebhookServer::start(ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()), deps).unwrap();
    let addr = server.local_addr();

    assert_eq!(post(addr, account, &text_webhook("wamid.snooze1", "Is my order ready?")), 200);
    let conv = store.conversations(&ConversationFilter::default()).unwrap().remove(0);
    store.set_conversation_flags(conv.id, None, Some(true), None).unwrap();
    let until = now_ms() + 3_600_000;
    store.snooze_conversation(conv.id, until).unwrap();
    assert!(store.snooze_conversation(conv.id, now_ms() - 1).unwrap_err().to_string().contains("has passed"), "a snooze needs a future time");
    assert!(matches!(store.snooze_conversation(9999, until), Err(wicket_core::Error::NotFound(_))));

    // A restart: what is on disk.
    drop(store);
    let mut store = Store::open(&db).unwrap();
    assert_eq!(store.conversation(conv.id).unwrap().snoozed_until, Some(until), "the snooze is stored");
    assert!(!store.conversation(conv.id).unwrap().archived, "snoozing brings an archived chat back to the inbox for its return");
    for filter in [
        ConversationFilter::default(),
        ConversationFilter { unread_only: true, ..Default::default() },
        ConversationFilter { account_id: Some(account), ..Default::default() },
        ConversationFilter { archived: true, ..Default::default() },
    ] {
        assert!(!listed(&store, filter.clone()).contains(&conv.id), "a snoozed chat is in no list but Snoozed: {filter:?}");
    }
    assert_eq!(listed(&store, ConversationFilter { snoozed: true, ..Default::default() }), vec![conv.id], "the Snoozed view lists it");
    assert!(store.wake_snoozed(now_ms()).unwrap().is_empty(), "not due yet");

    assert_eq!(post(addr, account, &text_webhook("wamid.snooze2", "Hello again?")), 200);
    let back = store.conversation(conv.id).unwrap();
    assert_eq!((back.snoozed_until, back.unread_count), (None, 2), "the customer wrote: the snooze ended at once");
    assert_eq!(listed(&store, ConversationFilter::default()), vec![conv.id]);
    assert!(listed(&store, ConversationFilter { snoozed: true, ..Default::default() }).is_empty());
    assert!(store.wake_snoozed(now_ms() + 7_200_000).unwrap().is_empty(), "nothing left to wake: no second \"is back\"");

    store.snooze_conversation(conv.id, until).unwrap();
    assert!(store.unsnooze_conversation(conv.id).unwrap(), "unsnooze reports it was snoozed");
    assert!(!store.unsnooze_conversation(conv.id).unwrap());
    assert_eq!(listed(&store, ConversationFilter::default()), vec![conv.id]);
    drop(server);
}

#[test]
fn a_snooze_ends_by_time_and_the_return_is_announced_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("wicket.db");
    let mut store = Store::open(&db).unwrap();
    let account = wicket_core::providers::demo::create_demo_account(&mut store).unwrap();
    let convs = listed(&store, ConversationFilter { account_id: Some(account.id), ..Default::default() });
    let (a, b) = (convs[0], convs[1]);
    store.snooze_conversation(a, now_ms() + 300).unwrap();
    store.snooze_conversation(b, now_ms() + 3_600_000).unwrap();
    assert!(!listed(&store, ConversationFilter::default()).contains(&a));
    std::thread::sleep(Duration::from_millis(400));
    let list = listed(&store, ConversationFilter::default());
    assert!(list.contains(&a) && !list.contains(&b), "a snooze whose time passed is over even before anything clears it");
    let mut other = Store::open(&db).unwrap();
    assert_eq!(other.wake_snoozed(now_ms()).unwrap(), vec![a], "the due one is named");
    assert!(store.wake_snoozed(now_ms()).unwrap().is_empty(), "once, whichever process asks");
    assert_eq!(store.conversation(a).unwrap().snoozed_until, None);
}

#[test]
fn reminders_fire_once_also_after_a_restart_and_go_with_their_message() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("wicket.db");
    let mut store = Store::open(&db).unwrap();
    let account = wicket_core::providers::demo::create_demo_account(&mut store).unwrap();
    let convs = store.conversations(&ConversationFilter { account_id: Some(account.id), ..Default::default() }).unwrap();
    let (m1, m2) = (convs[0].last_message_id.unwrap(), convs[1].last_message_id.unwrap());
    assert!(store.add_reminder(m1, now_ms() - 1, "").unwrap_err().to_string().contains("has passed"));
    assert!(matches!(store.add_reminder(99_999, now_ms() + 1000, ""), Err(wicket_core::Error::NotFound(_))));
    let later = store.add_reminder(m2, now_ms() + 3_600_000, "call back").unwrap();
    let soon = store.add_reminder(m1, now_ms() + 200, " check the order ").unwrap();
    assert_eq!((soon.note.as_str(), soon.conversation_id, soon.fired_at), ("check the order", convs[0].id, None));
    assert_eq!(store.pending_reminders(None).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![soon.id, later.id], "due first");
    assert_eq!(store.pending_reminders(Some(convs[1].id)).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![later.id]);
    assert!(store.claim_due_reminders(now_ms()).unwrap().is_empty(), "not due yet");

    // Nothing runs while it falls due; the next start fires it, once.
    drop(store);
    std::thread::sleep(Duration::from_millis(300));
    let mut store = Store::open(&db).unwrap();
    let fired = store.claim_due_reminders(now_ms()).unwrap();
    assert_eq!(fired.iter().map(|r| (r.id, r.message_id)).collect::<Vec<_>>(), vec![(soon.id, m1)], "a past-due reminder fires at the next start");
    assert!(fired[0].fired_at.is_some() && fired[0].preview.is_some());
    assert!(Store::open(&db).unwrap().claim_due_reminders(now_ms()).unwrap().is_empty(), "and never again");
    assert_eq!(store.pending_reminders(None).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![later.id]);
    assert!(store.cancel_reminder(soon.id).unwrap_err().to_string().contains("already went off"));

    let plan = store.explain("SELECT id FROM reminders WHERE fired_at IS NULL AND remind_at <= ?1", rusqlite::params![1]).unwrap();
    assert!(plan.iter().any(|l| l.contains("reminders_due")), "due reminders are found through their index: {plan:?}");

    // A reminder goes with its message (an erase, a deleted chat).
    store.conn().execute("DELETE FROM messages WHERE id = ?1", [m2]).unwrap();
    assert!(store.pending_reminders(None).unwrap().is_empty());
    assert!(matches!(store.cancel_reminder(later.id), Err(wicket_core::Error::NotFound(_))));
}
