//! One contact across identities (issue 15), on a real SQLite file with the
//! real webhook listener on loopback: a merge keeps every message, note,
//! label, reminder, snooze and opt-out, and later webhooks for either key
//! land on the kept contact; an undo restores the rows exactly; a second
//! merge blocks the first one's undo; each kind of suggestion is found from
//! the providers' payload shapes, and none for different people or groups.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use wicket_core::contact_merge::{self, SuggestionKind};
use wicket_core::model::Provider;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::notes::NoteTarget;
use wicket_core::store::NewAccount;
use wicket_core::time::now_ms;
use wicket_core::webhook::{meta_signature, ListenerConfig, WebhookDeps, WebhookServer};
use wicket_core::Store;

const APP_SECRET: &str = "merge-app-secret";
const NUMBER: &str = "318273645501234";
const HOOK_SECRET: &str = "merge-hook-secret";

fn fixture(folder: &str, name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/{folder}/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A Meta text webhook from `from` and/or the business-scoped `user_id`.
fn meta_text(wamid: &str, from: Option<&str>, user_id: Option<&str>, body: &str) -> Vec<u8> {
    let mut v = fixture("meta_webhooks", "meta_webhook_text.json");
    let value = &mut v["entry"][0]["changes"][0]["value"];
    let mut contact = json!({ "profile": { "name": "Priya Raman" } });
    let m = &mut value["messages"][0];
    m["id"] = json!(wamid);
    m["text"]["body"] = json!(body);
    m["timestamp"] = json!((now_ms() / 1000).to_string());
    let m = m.as_object_mut().unwrap();
    m.remove("from");
    if let Some(f) = from {
        m.insert("from".into(), json!(f));
        contact["wa_id"] = json!(f);
    }
    if let Some(u) = user_id {
        m.insert("from_user_id".into(), json!(u));
        contact["user_id"] = json!(u);
    }
    value["contacts"] = json!([contact]);
    serde_json::to_vec(&v).unwrap()
}

fn post(addr: SocketAddr, path: &str, header: (&str, String), body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{}: {}\r\nContent-Length: {}\r\n\r\n",
        header.0,
        header.1,
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

struct Env {
    _tmp: tempfile::TempDir,
    db: std::path::PathBuf,
    store: Store,
    server: WebhookServer,
    meta: i64,
    wasender: i64,
    unipile: i64,
}

impl Env {
    fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("wicket.db");
        let mut store = Store::open(&db).unwrap();
        let meta = store
            .add_account(&NewAccount {
                provider: Provider::Meta,
                name: "Shop".into(),
                phone: None,
                config: json!({ "phone_number_id": NUMBER, "business_account_id": "214365870912345" }),
            })
            .unwrap()
            .id;
        let wasender = store.add_account(&NewAccount { provider: Provider::Wasender, name: "Gateway".into(), phone: None, config: json!({}) }).unwrap().id;
        let unipile = store.add_account(&NewAccount { provider: Provider::Unipile, name: "Uni".into(), phone: None, config: json!({}) }).unwrap().id;
        let secrets = SecretStore::in_memory("merge-test");
        secrets.set(meta, SecretName::AppSecret, &Secret::new(APP_SECRET.into())).unwrap();
        secrets.set(wasender, SecretName::WebhookSecret, &Secret::new(HOOK_SECRET.into())).unwrap();
        secrets.set(unipile, SecretName::WebhookSecret, &Secret::new(HOOK_SECRET.into())).unwrap();
        let deps = WebhookDeps { db_path: db.clone(), secrets: Arc::new(secrets), sink: None };
        let server = WebhookServer::start(ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()), deps).unwrap();
        Env { _tmp: tmp, db, store, server, meta, wasender, unipile }
    }

    fn meta(&self, body: &[u8]) {
        let sig = meta_signature(APP_SECRET.as_bytes(), body);
        assert_eq!(post(self.server.local_addr(), &format!("/webhooks/meta/{}", self.meta), ("X-Hub-Signature-256", sig), body), 200);
    }

    fn wasender(&self, body: &Value) {
        let path = format!("/webhooks/wasender/{}", self.wasender);
        assert_eq!(post(self.server.local_addr(), &path, ("X-Webhook-Signature", HOOK_SECRET.into()), &serde_json::to_vec(body).unwrap()), 200);
    }

    fn unipile(&self, body: &Value) {
        let path = format!("/webhooks/unipile/{}", self.unipile);
        assert_eq!(post(self.server.local_addr(), &path, ("X-Wicket-Secret", HOOK_SECRET.into()), &serde_json::to_vec(body).unwrap()), 200);
    }

    fn contact(&self, account: i64, key: &ContactKey) -> i64 {
        self.store.find_contact(account, key).unwrap().unwrap_or_else(|| panic!("no contact for {key:?}")).id
    }
}

/// Every row the merge touches, in a stable order: what an undo must give back.
fn dump(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut out = vec![];
    for sql in [
        "SELECT id, account_id, phone, provider_user_id, wa_id, jid, saved_name, saved_name_by_owner, profile_name, opted_out_at, opt_changed_at, created_at FROM contacts ORDER BY id",
        "SELECT id, account_id, contact_id, provider_chat_id, unread_count, pinned, archived, muted, last_activity_at, last_message_id, last_inbound_at, window_expires_at, draft, snoozed_until FROM conversations ORDER BY id",
        "SELECT id, conversation_id, provider_message_id FROM messages ORDER BY id",
        "SELECT id, contact_id, conversation_id, text FROM notes ORDER BY id",
        "SELECT contact_id, label FROM contact_labels ORDER BY 1, 2",
        "SELECT conversation_id, label FROM conversation_labels ORDER BY 1, 2",
        "SELECT id, message_id, remind_at FROM reminders ORDER BY id",
        "SELECT account_id, phone, contact_id FROM contact_aliases ORDER BY 1, 2",
        "SELECT account_id, provider_user_id, contact_id FROM contact_user_aliases ORDER BY 1, 2",
        "SELECT rowid, names FROM contacts_fts ORDER BY rowid",
    ] {
        let mut stmt = c.prepare(sql).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap())).collect();
                Ok(cells.join("|"))
            })
            .unwrap();
        out.extend(rows.map(|r| format!("{sql}: {}", r.unwrap())));
    }
    out
}

/// The Meta customer seen twice: by number, then by business-scoped id only
/// (a username hides the number), then once with both.
fn meta_twins(e: &mut Env) -> (i64, i64) {
    e.meta(&meta_text("wamid.phone1", Some("447700900123"), None, "Is my order ready?"));
    e.meta(&meta_text("wamid.bsuid1", None, Some("GB.1502576394655843"), "Also the blue mangoes please"));
    let phone = e.contact(e.meta, &ContactKey::phone("+447700900123"));
    let user = e.contact(e.meta, &ContactKey::user_id("GB.1502576394655843"));
    assert_ne!(phone, user, "two contacts before the merge");
    e.meta(&meta_text("wamid.both1", Some("447700900123"), Some("GB.1502576394655843"), "Thanks!"));
    (phone, user)
}

#[test]
fn a_merge_keeps_everything_and_both_keys_find_the_kept_contact() {
    let mut e = Env::new();
    let (phone, user) = meta_twins(&mut e);
    let s = contact_merge::suggest::suggestions(&e.store, Some(e.meta)).unwrap();
    assert_eq!(s.len(), 1, "Meta's message with both keys suggests the pair: {s:?}");
    assert_eq!((s[0].contact_id, s[0].other_id, s[0].kind), (phone.min(user), phone.max(user), SuggestionKind::MetaUserId));
    assert!(s[0].reason.contains("GB.1502576394655843"), "{}", s[0].reason);

    let kc = e.store.conversation_for_contact(e.meta, phone).unwrap().unwrap();
    let oc = e.store.conversation_for_contact(e.meta, user).unwrap().unwrap();
    let other_msg = e.store.message_by_provider_id(e.meta, "wamid.bsuid1").unwrap().unwrap().id;
    e.store.set_contact_name_by_owner(user, Some("Priya (VIP)")).unwrap();
    e.store.set_contact_labels(user, &["wholesale".into()]).unwrap();
    e.store.set_contact_labels(phone, &["retail".into()]).unwrap();
    e.store.set_conversation_labels(oc, &["orders".into()]).unwrap();
    e.store.add_note(NoteTarget::Contact(user), "prefers mornings").unwrap();
    e.store.add_note(NoteTarget::Conversation(oc), "owes 12 pounds").unwrap();
    let reminder = e.store.add_reminder(other_msg, now_ms() + 3_600_000, "call back").unwrap();
    let until = now_ms() + 7_200_000;
    e.store.snooze_conversation(oc, until).unwrap();
    e.store.write(|tx| wicket_core::store::contacts::set_opted_out(tx, user, true, now_ms()).map(|_| ())).unwrap();
    let unread = e.store.conversation(kc).unwrap().unread_count + e.store.conversation(oc).unwrap().unread_count;

    let other_country = e.store.add_account(&NewAccount { provider: Provider::Wasender, name: "Other".into(), phone: None, config: json!({}) }).unwrap().id;
    let stranger = e.store.upsert_contact(other_country, &ContactKey::phone("+447700900123"), &ContactUpdate::default()).unwrap().id;
    let err = contact_merge::merge(&mut e.store, phone, stranger).unwrap_err().to_string();
    assert!(err.contains("different accounts") && err.contains("per account"), "contacts of two accounts are refused with why: {err}");
    assert!(contact_merge::merge(&mut e.store, phone, phone).unwrap_err().to_string().contains("itself"));

    let done = contact_merge::merge(&mut e.store, phone, user).unwrap();
    assert_eq!((done.merged.kept_id, done.merged.removed_id, done.merged.messages_moved, done.merged.notes_moved), (phone, user, 1, 2));
    assert!(matches!(e.store.contact(user), Err(wicket_core::Error::NotFound(_))), "the other contact is gone");
    assert!(e.store.conversation(oc).is_err(), "the other conversation's row is gone");
    let kept = e.store.contact(phone).unwrap();
    assert_eq!(kept.saved_name.as_deref(), Some("Priya (VIP)"), "the owner's name of the other contact fills the kept one's");
    assert_eq!(kept.provider_user_id.as_deref(), Some("GB.1502576394655843"), "the kept contact knows both keys");
    assert!(kept.opted_out_at.is_some(), "an opt-out on either stays");
    assert_eq!(kept.labels, vec!["retail".to_string(), "wholesale".into()], "both contacts' labels");
    let conv = e.store.conversation(kc).unwrap();
    assert_eq!(conv.unread_count, unread, "unread counts add up");
    assert_eq!(conv.labels, vec!["orders".to_string()]);
    assert_eq!(conv.snoozed_until, Some(until), "the snooze moved with the conversation");
    assert_eq!(e.store.message(other_msg).unwrap().conversation_id, kc, "the message keeps its id and joins the kept conversation");
    assert_eq!(e.store.reminder(reminder.id).unwrap().message_id, other_msg, "the reminder stays with its message");
    assert_eq!(e.store.notes(Some(NoteTarget::Contact(phone))).unwrap().len(), 1);
    assert_eq!(e.store.notes(Some(NoteTarget::Conversation(kc))).unwrap().len(), 1);
    assert_eq!(e.store.messages_page(kc, None, 50).unwrap().len(), 3, "every message in one conversation");
    let hits = e.store.search("mangoes", 10).unwrap();
    assert_eq!(
        hits.iter().map(|h| (h.message_id, h.conversation_id)).collect::<Vec<_>>(),
        vec![(other_msg, kc)],
        "search finds the moved message in the kept chat"
    );
    assert!(contact_merge::suggest::suggestions(&e.store, Some(e.meta)).unwrap().is_empty(), "nothing left to suggest");

    // Later webhooks for either key land on the kept contact.
    e.meta(&meta_text("wamid.bsuid2", None, Some("GB.1502576394655843"), "by user id"));
    e.meta(&meta_text("wamid.phone2", Some("447700900123"), None, "by number"));
    let contacts = e.store.contacts(Some(e.meta)).unwrap();
    assert_eq!(contacts.len(), 1, "no new contact: {contacts:?}");
    for wamid in ["wamid.bsuid2", "wamid.phone2"] {
        assert_eq!(e.store.message_by_provider_id(e.meta, wamid).unwrap().unwrap().conversation_id, kc, "{wamid} lands on the kept conversation");
    }
    e.server.shutdown();
}

#[test]
fn an_undo_restores_the_rows_exactly_and_the_number_alias_goes() {
    let mut e = Env::new();
    let (phone, user) = meta_twins(&mut e);
    let oc = e.store.conversation_for_contact(e.meta, user).unwrap().unwrap();
    e.store.add_note(NoteTarget::Conversation(oc), "a private note").unwrap();
    e.store.set_conversation_labels(oc, &["orders".into()]).unwrap();
    e.store.set_conversation_flags(oc, Some(true), None, None).unwrap();
    let m = e.store.message_by_provider_id(e.meta, "wamid.bsuid1").unwrap().unwrap().id;
    e.store.add_reminder(m, now_ms() + 3_600_000, "").unwrap();
    // A Brazilian twin too, so the kept contact gains a number alias.
    e.meta(&meta_text("wamid.br1", Some("5511987654321"), None, "Oi"));
    e.meta(&meta_text("wamid.br2", Some("551187654321"), None, "Oi de novo"));
    let long = e.contact(e.meta, &ContactKey::phone("+5511987654321"));
    let short = e.contact(e.meta, &ContactKey::phone("+551187654321"));

    let before = dump(&e.db);
    let merged = contact_merge::merge(&mut e.store, phone, user).unwrap();
    assert_ne!(dump(&e.db), before);
    let undone = contact_merge::undo(&mut e.store, Some(merged.merged.merge_id)).unwrap();
    assert_eq!((undone.kept_id, undone.restored_id, undone.messages_moved_back), (phone, user, 1));
    assert_eq!(dump(&e.db), before, "the undo puts every row back as it was");
    let again = contact_merge::undo(&mut e.store, None).unwrap_err().to_string();
    assert!(again.contains("no merge to undo"), "{again}");

    let before = dump(&e.db);
    let m = contact_merge::merge(&mut e.store, long, short).unwrap();
    e.meta(&meta_text("wamid.br3", Some("551187654321"), None, "pelo número antigo"));
    assert_eq!(
        e.store.message_by_provider_id(e.meta, "wamid.br3").unwrap().unwrap().conversation_id,
        e.store.conversation_for_contact(e.meta, long).unwrap().unwrap(),
        "the other number is an alias of the kept contact"
    );
    contact_merge::undo(&mut e.store, Some(m.merged.merge_id)).unwrap();
    let mut after = dump(&e.db);
    // The message that came while merged stays with the kept contact.
    after.retain(|r| !r.contains("wamid.br3"));
    let strip = |v: &[String]| v.iter().filter(|r| !r.starts_with("SELECT id, account_id, contact_id")).cloned().collect::<Vec<_>>();
    assert_eq!(strip(&after), strip(&before), "contacts, aliases and the rest as they were");
    e.server.shutdown();
}

#[test]
fn a_second_merge_blocks_the_first_undo_and_survives_a_restart() {
    let mut e = Env::new();
    let (phone, user) = meta_twins(&mut e);
    let a = e.store.upsert_contact(e.meta, &ContactKey::phone("+447700900200"), &ContactUpdate::default()).unwrap().id;
    let b = e.store.upsert_contact(e.meta, &ContactKey::phone("+447700900201"), &ContactUpdate::default()).unwrap().id;
    let first = contact_merge::merge(&mut e.store, phone, user).unwrap().merged.merge_id;
    let second = contact_merge::merge(&mut e.store, a, b).unwrap().merged.merge_id;
    let err = contact_merge::undo(&mut e.store, Some(first)).unwrap_err().to_string();
    assert!(err.contains(&format!("merge {first} can no longer be undone")) && err.contains("later merge"), "{err}");
    drop(e.store);
    let mut store = Store::open(&e.db).unwrap();
    assert_eq!(contact_merge::undoable(&store).unwrap(), Some((second, a, b)), "the undo record survives a restart");
    contact_merge::undo(&mut store, None).unwrap();
    assert!(store.contact(b).is_ok() && store.contact(user).is_err(), "the second merge is undone, the first stays");

    let group = store.upsert_contact(e.meta, &ContactKey::user_id("120363@g.us"), &ContactUpdate { is_group: Some(true), ..Default::default() }).unwrap().id;
    assert!(contact_merge::merge(&mut store, a, group).unwrap_err().to_string().contains("group"));
    e.server.shutdown();
}

#[test]
fn suggestions_come_from_each_provider_and_never_for_different_people() {
    let mut e = Env::new();
    // WASender: a LID chat without its number, then a message by number
    // whose key names the same LID (the fixture as received).
    let mut lid_msg = fixture("wasender", "webhook_message.json");
    {
        let key = &mut lid_msg["data"]["messages"]["key"];
        key["id"] = json!("3EB0LIDONLY");
        key["remoteJid"] = json!("118237465019283@lid");
        key["addressingMode"] = json!("lid");
        let key = key.as_object_mut().unwrap();
        for f in ["senderPn", "cleanedSenderPn", "senderLid"] {
            key.remove(f);
        }
    }
    e.wasender(&lid_msg);
    let raw_fixture = fixture("wasender", "webhook_message.json");
    assert_eq!(raw_fixture["data"]["messages"]["key"]["senderLid"], json!("118237465019283@lid"), "the fixture names the LID");
    e.wasender(&raw_fixture);
    // UniPile: a LID chat, then the attendee with its number in a LID chat.
    let mut lid_chat = fixture("unipile", "unipile_webhook_message.json");
    lid_chat["message_id"] = json!("uni-lid-1");
    lid_chat["chat_id"] = json!("ChatOfTheLid");
    lid_chat["provider_chat_id"] = json!("99887766@lid");
    lid_chat["sender"]["attendee_provider_id"] = json!("99887766@lid");
    lid_chat["sender"].as_object_mut().unwrap().remove("attendee_specifics");
    e.unipile(&lid_chat);
    e.unipile(&fixture("unipile", "unipile_webhook_message.json"));
    let mut both = fixture("unipile", "unipile_webhook_message.json");
    both["message_id"] = json!("uni-both-1");
    both["chat_id"] = json!("ChatOfTheLid");
    both["provider_chat_id"] = json!("99887766@lid");
    both["sender"]["attendee_provider_id"] = json!("99887766@lid");
    e.unipile(&both);
    // Meta: Brazil's ninth digit, a number written differently, two strangers.
    e.meta(&meta_text("wamid.br1", Some("5511987654321"), None, "Oi"));
    e.meta(&meta_text("wamid.br2", Some("551187654321"), None, "Oi de novo"));
    e.meta(&meta_text("wamid.a", Some("447700900124"), None, "someone else"));
    e.meta(&meta_text("wamid.b", Some("447700900125"), None, "another person"));
    e.store.upsert_contact(e.meta, &ContactKey::phone("+44 7700 900125"), &ContactUpdate::default()).unwrap();
    e.store.upsert_contact(e.meta, &ContactKey::user_id("447700900124@g.us"), &ContactUpdate { is_group: Some(true), ..Default::default() }).unwrap();
    // Meta: one username, first with the number, then (number hidden) under a user id only; another username.
    let with_username = |wamid: &str, from: Option<&str>, user_id: Option<&str>, username: &str| {
        let mut v: serde_json::Value = serde_json::from_slice(&meta_text(wamid, from, user_id, "hello")).unwrap();
        v["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["username"] = json!(username);
        serde_json::to_vec(&v).unwrap()
    };
    e.meta(&with_username("wamid.u1", Some("447700900166"), None, "ana.bakes"));
    e.meta(&with_username("wamid.u2", None, Some("GB.4242424242"), "@Ana.Bakes"));
    e.meta(&with_username("wamid.u3", None, Some("GB.5151515151"), "tom.cakes"));
    let lid = e.contact(e.wasender, &ContactKey::user_id("118237465019283@lid"));
    let wa_phone = e.contact(e.wasender, &ContactKey::phone("+447700900123"));
    e.server.shutdown();

    let all = contact_merge::suggest::suggestions(&e.store, None).unwrap();
    let kinds: Vec<(i64, SuggestionKind)> = all.iter().map(|s| (s.account_id, s.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (e.meta, SuggestionKind::BrazilNinthDigit),
            (e.meta, SuggestionKind::Formatting),
            (e.meta, SuggestionKind::MetaUsername),
            (e.wasender, SuggestionKind::WasenderLid),
            (e.unipile, SuggestionKind::UnipileAttendee)
        ],
        "one suggestion per pair, nothing for different people or groups: {all:#?}"
    );
    assert_ne!(lid, wa_phone);
    assert_eq!(all[2].reason, "the same WhatsApp username @ana.bakes");
    let w = &all[3];
    assert_eq!((w.contact_id, w.other_id), (lid.min(wa_phone), lid.max(wa_phone)));
    assert!(w.reason.starts_with("same phone in WASender's LID record"), "{}", w.reason);
    assert!(all[0].reason.starts_with("Brazil's ninth digit"), "{}", all[0].reason);
    assert!(all[1].reason.contains("+44 7700 900125"), "{}", all[1].reason);
    assert_eq!(contact_merge::suggest::suggestions_for(&e.store, lid).unwrap().len(), 1, "the contact panel's view");

    // Dismissed stays dismissed, across a restart.
    contact_merge::dismiss(&mut e.store, w.other_id, w.contact_id).unwrap();
    drop(e.store);
    let store = Store::open(&e.db).unwrap();
    let left = contact_merge::suggest::suggestions(&store, None).unwrap();
    assert_eq!(left.len(), 4, "the dismissed pair is not suggested again");
    assert!(contact_merge::suggest::suggestions_for(&store, lid).unwrap().is_empty());
}
