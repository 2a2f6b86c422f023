//! Real traffic beyond plain messages, through the real listener over HTTP
//! on loopback into a real SQLite file, from the fixture files:
//! - edits and deletions for everyone (Meta `edit` / `revoke`, WASender's
//!   protocol messages, `messages.update` and `messages.delete`, UniPile's
//!   `message_edited` / `message_deleted`) land on the message they change,
//!   never as a message of their own nor as an unread one, and wait for it
//!   when they arrive first;
//! - a deleted message keeps nothing of its content, in the row or in search;
//! - messages Meta could not deliver are unsupported with Meta's reason;
//! - a `contacts[]` entry for someone else gives its name to nobody;
//! - WASender's body without `event` is a message;
//! - posting the whole set again, in any order, changes nothing.

#[path = "support/core.rs"]
mod support;

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::{data_dir, fixture};
use wicket_core::model::Provider;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::ContactKey;
use wicket_core::store::{ConversationFilter, NewAccount, Store};
use wicket_core::webhook::{meta_signature, ListenerConfig, WebhookDeps, WebhookOutcome, WebhookServer};
use wicket_core::DataDir;

const APP_SECRET: &str = "changes-app-secret";
const WS_SECRET: &str = "ws-changes-secret";
const UP_SECRET: &str = "up-changes-secret";

/// Originals first in each list; the changes that refer to them after.
const META_ORIGINALS: &[&str] = &["meta_webhook_text.json", "meta_webhook_image.json", "meta_webhook_text_wrong_chat.json"];
const META_CHANGES: &[&str] = &["meta_webhook_edit_text.json", "meta_webhook_edit_caption.json", "meta_webhook_revoke.json"];
const META_OTHERS: &[&str] = &["meta_webhook_unsupported_error.json", "meta_webhook_interactive_error.json", "meta_webhook_contact_mismatch.json"];
const WS_ORIGINALS: &[&str] = &["webhook_message.json", "webhook_message_image_upsert.json", "webhook_no_event.json"];
const WS_CHANGES: &[&str] = &["webhook_edit_and_revoke.json", "webhook_delete.json", "webhook_update_edit.json"];
const UP_ORIGINALS: &[&str] = &["unipile_webhook_group_to_edit.json", "unipile_webhook_group_to_delete.json"];
const UP_CHANGES: &[&str] = &["unipile_webhook_edited.json", "unipile_webhook_deleted.json"];

const META_TEXT: &str = "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQTFCMkMzRDRFNUY2MDcxODI5M0E0QjVDNkQ3RThGOTAA";
const META_IMAGE: &str = "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQjJDM0Q0RTVGNjA3MTgyOTNBNEI1QzZEN0U4RjkwQTEA";
const META_WRONG: &str = "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQzNENEU1RjYwNzE4MjkzQTRCNUM2RDdFOEY5MEExQjIA";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Via {
    Meta,
    Wasender,
    Unipile,
}

impl Via {
    fn folder(self) -> &'static str {
        match self {
            Via::Meta => "meta_webhooks",
            Via::Wasender => "wasender",
            Via::Unipile => "unipile",
        }
    }
}

struct Env {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    server: WebhookServer,
    meta: i64,
    wasender: i64,
    unipile: i64,
    outcomes: Arc<Mutex<Vec<WebhookOutcome>>>,
}

fn env() -> Env {
    let (_tmp, dir, mut store) = data_dir();
    let add =
        |store: &mut Store, provider, config: Value| store.add_account(&NewAccount { provider, name: format!("{provider}"), phone: None, config }).unwrap().id;
    let meta = add(&mut store, Provider::Meta, json!({"phone_number_id": "318273645501234", "business_account_id": "214365870912345"}));
    let wasender = add(&mut store, Provider::Wasender, json!({}));
    let unipile = add(&mut store, Provider::Unipile, json!({"unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g"}));
    let secrets = SecretStore::in_memory("message-changes");
    secrets.set(meta, SecretName::AppSecret, &Secret::new(APP_SECRET.into())).unwrap();
    secrets.set(wasender, SecretName::WebhookSecret, &Secret::new(WS_SECRET.into())).unwrap();
    secrets.set(unipile, SecretName::WebhookSecret, &Secret::new(UP_SECRET.into())).unwrap();
    let outcomes = Arc::new(Mutex::new(vec![]));
    let seen = outcomes.clone();
    let server = WebhookServer::start(
        ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()),
        WebhookDeps { db_path: dir.db_path(), secrets: Arc::new(secrets), sink: Some(Arc::new(move |o: WebhookOutcome| seen.lock().unwrap().push(o))) },
    )
    .unwrap();
    Env { _tmp, dir, server, meta, wasender, unipile, outcomes }
}

impl Env {
    fn store(&self) -> Store {
        Store::open(&self.dir.db_path()).unwrap()
    }

    /// Posts `body` as the provider does (Meta signs it; the gateways carry
    /// the shared secret); the HTTP status.
    async fn post(&self, via: Via, body: Vec<u8>) -> u16 {
        let (account, header, value) = match via {
            Via::Meta => (self.meta, "X-Hub-Signature-256", meta_signature(APP_SECRET.as_bytes(), &body)),
            Via::Wasender => (self.wasender, "X-Webhook-Signature", WS_SECRET.to_string()),
            Via::Unipile => (self.unipile, "X-Wicket-Secret", UP_SECRET.to_string()),
        };
        let provider = match via {
            Via::Meta => "meta",
            Via::Wasender => "wasender",
            Via::Unipile => "unipile",
        };
        let url = format!("http://{}/webhooks/{provider}/{account}", self.server.local_addr());
        reqwest::Client::new().post(url).header(header, value).body(body).send().await.unwrap().status().as_u16()
    }

    /// Posts each fixture; `compact` re-encodes it first, so the listener
    /// sees a new body (not a redelivery it would skip) with the same content.
    async fn post_all(&self, list: &[(Via, &str)], compact: bool) {
        for (via, name) in list {
            let mut body = fixture(via.folder(), name);
            if compact {
                body = serde_json::to_vec(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
            }
            assert_eq!(self.post(*via, body).await, 200, "{name} is accepted");
        }
    }

    /// The sink runs after the 200: wait until it saw `n` outcomes.
    fn wait_for_outcomes(&self, n: usize) -> Vec<WebhookOutcome> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let seen = self.outcomes.lock().unwrap().clone();
            if seen.len() >= n || std::time::Instant::now() > deadline {
                return seen;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn tagged(via: Via, names: &[&'static str]) -> Vec<(Via, &'static str)> {
    names.iter().map(|n| (via, *n)).collect()
}

fn originals() -> Vec<(Via, &'static str)> {
    [tagged(Via::Meta, META_ORIGINALS), tagged(Via::Meta, META_OTHERS), tagged(Via::Wasender, WS_ORIGINALS), tagged(Via::Unipile, UP_ORIGINALS)].concat()
}

fn changes() -> Vec<(Via, &'static str)> {
    [tagged(Via::Meta, META_CHANGES), tagged(Via::Wasender, WS_CHANGES), tagged(Via::Unipile, UP_CHANGES)].concat()
}

/// Everything a change could touch, without ids or arrival times: each
/// conversation's contact and unread count, each message's content and
/// marks, the changes still waiting, and what search finds.
fn snapshot(store: &Store) -> Value {
    let mut convs = vec![];
    for c in store.conversations(&ConversationFilter::default()).unwrap() {
        let contact = &c.contact;
        let mut msgs: Vec<Value> = store
            .messages_page(c.id, None, 100)
            .unwrap()
            .iter()
            .map(|m| {
                json!({
                    "pid": m.provider_message_id, "direction": m.direction.as_str(), "kind": m.kind.as_str(), "text": m.text, "caption": m.caption,
                    "edited_at": m.edited_at, "deleted_at": m.deleted_at, "raw": m.raw.is_some(), "timestamp": m.timestamp,
                    "file_name": m.media.as_ref().and_then(|f| f.file_name.clone()),
                    "error": m.error.as_ref().map(|e| json!([e.code, e.message])), "details": m.error_details,
                })
            })
            .collect();
        msgs.sort_by_key(|m| m["pid"].to_string());
        convs.push(json!({"account": c.account_id, "phone": contact.phone, "user": contact.provider_user_id, "profile_name": contact.profile_name,
                          "unread": c.unread_count, "messages": msgs}));
    }
    convs.sort_by_key(|c| c.to_string());
    let waiting: i64 = store.conn().query_row("SELECT count(*) FROM pending_changes", [], |r| r.get(0)).unwrap();
    let searches: Vec<Value> =
        ["4521", "4522", "4417", "crushed", "damaged", "Camden", "15:30", "2290"].iter().map(|q| json!([q, store.search(q, 20).unwrap().len()])).collect();
    json!({"conversations": convs, "waiting": waiting, "search": searches})
}

fn message<'a>(snap: &'a Value, pid: &str) -> &'a Value {
    snap["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["messages"].as_array().unwrap())
        .find(|m| m["pid"] == json!(pid))
        .unwrap_or_else(|| panic!("message {pid} is stored: {snap:#}"))
}

fn conversation_of<'a>(snap: &'a Value, account: i64, key: &ContactKey) -> &'a Value {
    snap["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account"] == json!(account) && c["phone"] == json!(key.phone) && c["user"] == json!(key.provider_user_id))
        .unwrap_or_else(|| panic!("a conversation with {key:?}: {snap:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_that_arrive_first_wait_and_land_on_their_message() {
    let e = env();
    // The changes first: nothing to change yet, so they wait, and make no message.
    e.post_all(&changes(), false).await;
    let early = snapshot(&e.store());
    assert_eq!(early["conversations"], json!([]), "a change is never a message or a conversation of its own: {early:#}");
    assert_eq!(early["waiting"], json!(9), "every change waits for its message (WASender's edit and deletion of one message both wait)");
    e.post_all(&originals(), false).await;
    let outcomes = e.wait_for_outcomes(changes().len() + originals().len());
    let snap = snapshot(&e.store());

    // Meta: the text and the caption show the edit; the revoked message keeps nothing.
    let text = message(&snap, META_TEXT);
    assert_eq!(text["text"], json!("Hi! Is my order #4522 ready for pickup?"), "the edited text: {text}");
    assert_eq!(text["edited_at"], json!(1_767_269_000_000_i64), "marked edited at the edit's time");
    assert_eq!(text["timestamp"], json!(1_767_268_800_000_i64), "an edit never moves the message in the thread");
    let image = message(&snap, META_IMAGE);
    assert_eq!(image["caption"], json!("This is the damaged box: the corner is crushed"), "a media message's caption is what an edit replaces");
    assert_eq!((image["kind"].as_str(), &image["text"]), (Some("image"), &Value::Null));
    let gone = message(&snap, META_WRONG);
    assert_eq!(gone["deleted_at"], json!(1_767_269_060_000_i64), "marked deleted");
    assert_eq!((&gone["text"], &gone["caption"], &gone["raw"]), (&Value::Null, &Value::Null, &json!(false)), "nothing of the deleted content is kept: {gone}");

    // Errors: unsupported with Meta's reason, never an empty bubble.
    let unsupported = message(&snap, "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggVU5TVVBQT1JURUQwMDAwMDAwMDAwMDAwMDAwMDAwMDEA");
    assert_eq!(unsupported["kind"], json!("unsupported"));
    assert_eq!(unsupported["error"], json!(["131051", "Message type unknown"]));
    assert_eq!(unsupported["details"], json!("Message type is currently not supported."));
    assert!(unsupported["text"].as_str().is_some_and(|t| !t.is_empty()), "never an empty bubble");
    let interactive = message(&snap, "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggSU5URVJBQ1RJVkUwMDAwMDAwMDAwMDAwMDAwMDAwMDEA");
    assert_eq!((interactive["kind"].as_str(), &interactive["error"]), (Some("unsupported"), &json!(["131000", "Something went wrong"])), "{interactive}");
    assert!(interactive["details"].as_str().unwrap().starts_with("Message failed to send"));

    // The only contacts[] entry names Priya, not the sender of another number.
    let stranger = conversation_of(&snap, e.meta, &ContactKey::phone("+447700900456"));
    assert_eq!(stranger["profile_name"], Value::Null, "Priya's name is not given to another number");
    let priya = conversation_of(&snap, e.meta, &ContactKey::phone("+447700900123"));
    assert_eq!(priya["profile_name"], json!("Priya Raman"));
    assert_eq!(priya["unread"], json!(5), "five messages from Priya are unread; her edits and deletion add nothing");

    // WASender: the guide's event-less body is a message; Baileys' edit forms land on theirs.
    let sam = message(&snap, "BAE5A93B52084A3B");
    assert_eq!((sam["direction"].as_str(), sam["text"].as_str()), (Some("in"), Some("Hello! Do you deliver to Camden Town?")), "{sam}");
    assert!(sam["edited_at"].is_i64(), "messages.update with an editedMessage is an edit");
    assert_eq!(conversation_of(&snap, e.wasender, &ContactKey::phone("+447700900789"))["profile_name"], json!("Sam Okafor"));
    for deleted in ["3EB0A1B2C3D4E5F60718", "3EB0F9E8D7C6B5A49382"] {
        let m = message(&snap, deleted);
        assert!(m["deleted_at"].is_i64(), "{deleted} is deleted: {m}");
        assert_eq!((&m["text"], &m["caption"], &m["file_name"], &m["edited_at"]), (&Value::Null, &Value::Null, &Value::Null, &Value::Null), "{m}");
    }

    // UniPile.
    assert_eq!(message(&snap, "mSgG2EdItEdAbCdEfGhIjK")["text"], json!("I can do 15:30 instead"));
    assert_eq!(message(&snap, "mSgG4DeLeTeDaBcDeFgHiJ")["text"], Value::Null);

    // Search finds the edits, never the old or the deleted text.
    assert_eq!(
        snap["search"],
        json!([["4521", 0], ["4522", 1], ["4417", 0], ["crushed", 1], ["damaged", 1], ["Camden", 1], ["15:30", 1], ["2290", 0]]),
        "search reflects edits and deletions"
    );
    assert_eq!(snap["waiting"], json!(0), "every change found its message");
    let messages: usize = snap["conversations"].as_array().unwrap().iter().map(|c| c["messages"].as_array().unwrap().len()).sum();
    assert_eq!(messages, 11, "one row per original message, none per change");

    // Notifications: only the originals are new customer messages.
    let new_inbound: usize = outcomes.iter().map(|o| o.new_inbound().len()).sum();
    assert_eq!(new_inbound, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_set_again_in_any_order_changes_nothing() {
    // Originals first here (the other test sends the changes first): the same end.
    let e = env();
    e.post_all(&[originals(), changes()].concat(), false).await;
    let n = originals().len() + changes().len();
    e.wait_for_outcomes(n);
    let first = snapshot(&e.store());
    assert_eq!(first["waiting"], json!(0));

    // A later change alone makes no new message and no unread one.
    let before = e.outcomes.lock().unwrap().len();
    let mut all = [originals(), changes()].concat();
    all.reverse();
    e.post_all(&all, true).await;
    let outcomes = e.wait_for_outcomes(before + all.len());
    assert!(outcomes[before..].iter().all(|o| o.new_inbound().is_empty()), "nothing is new the second time");
    assert_eq!(snapshot(&e.store()), first, "the whole set again, reversed, changes nothing");

    // Interleaved changes and originals, twice, on a fresh store: the same end.
    let fresh = env();
    let mut interleaved = vec![];
    for (c, o) in changes().into_iter().zip(originals()) {
        interleaved.push(c);
        interleaved.push(o);
    }
    interleaved.extend(originals().into_iter().skip(changes().len()));
    fresh.post_all(&interleaved, false).await;
    fresh.post_all(&interleaved, true).await;
    assert_eq!(snapshot(&fresh.store()), first, "the order the set arrives in does not matter");
    assert_eq!(e.store().webhook_events(100).unwrap().len(), 2 * n, "each distinct body is kept once");
}
