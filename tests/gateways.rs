//! WASender and UniPile end to end inside the core: their webhook routes on
//! the real listener (shared-secret headers, 401 without a secret, secrets
//! never stored), UniPile polling with a persisted high-water mark, polling
//! and webhooks delivering the same message once, the owner's phone
//! messages stored as outgoing, and a gateway echo racing our own send.

#[path = "support/core.rs"]
mod support;

use serde_json::{json, Value};
use std::sync::Arc;
use support::{data_dir, fixture, text};
use wicket_core::model::{Direction, Origin, Provider};
use wicket_core::providers::InboundMessage;
use wicket_core::providers::ProviderClient;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::{ConversationFilter, NewAccount, Store};
use wicket_core::webhook::{ListenerConfig, WebhookDeps, WebhookServer};
use wicket_core::{outbox, sync, DataDir};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Env {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    store: Store,
    secrets: Arc<SecretStore>,
}

fn env() -> Env {
    let (_tmp, dir, store) = data_dir();
    Env { _tmp, dir, store, secrets: Arc::new(SecretStore::in_memory("gateways")) }
}

fn listener(e: &Env) -> WebhookServer {
    WebhookServer::start(
        ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()),
        WebhookDeps { db_path: e.dir.db_path(), secrets: e.secrets.clone(), sink: None },
    )
    .unwrap()
}

async fn post(server: &WebhookServer, route: &str, header: Option<(&str, &str)>, body: Vec<u8>) -> u16 {
    let mut rq = reqwest::Client::new().post(format!("http://{}{route}", server.local_addr())).body(body);
    if let Some((k, v)) = header {
        rq = rq.header(k, v);
    }
    rq.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasender_webhooks_need_the_session_secret() {
    let mut e = env();
    let with = e.store.add_account(&NewAccount { provider: Provider::Wasender, name: "W".into(), phone: None, config: json!({}) }).unwrap();
    let without = e.store.add_account(&NewAccount { provider: Provider::Wasender, name: "W2".into(), phone: None, config: json!({}) }).unwrap();
    e.secrets.set(with.id, SecretName::WebhookSecret, &Secret::new("whsec-123".into())).unwrap();
    let server = listener(&e);
    let route = format!("/webhooks/wasender/{}", with.id);
    let body = fixture("wasender", "webhook_message.json");
    assert_eq!(post(&server, &route, None, body.clone()).await, 401, "no header");
    assert_eq!(post(&server, &route, Some(("X-Webhook-Signature", "wrong")), body.clone()).await, 401, "wrong secret");
    assert_eq!(
        post(&server, &format!("/webhooks/wasender/{}", without.id), Some(("X-Webhook-Signature", "")), body.clone()).await,
        401,
        "an account without a secret refuses everything"
    );
    assert!(e.store.webhook_events(10).unwrap().is_empty(), "refused bodies are not stored");

    assert_eq!(post(&server, &route, Some(("X-Webhook-Signature", "whsec-123")), body.clone()).await, 200);
    assert_eq!(post(&server, &route, Some(("X-Webhook-Signature", "whsec-123")), body).await, 200, "a redelivery is fine");
    let from_me = fixture("wasender", "webhook_message_from_me.json");
    assert_eq!(post(&server, &route, Some(("X-Webhook-Signature", "whsec-123")), from_me.clone()).await, 200);
    server.shutdown();
    // Counted in memory, stored at the latest when the listener stops.
    assert_eq!(e.store.counter("webhook_bad_signature").unwrap(), 3);

    let convs = e.store.conversations(&ConversationFilter { account_id: Some(with.id), ..Default::default() }).unwrap();
    let all: Vec<_> = convs.iter().flat_map(|c| e.store.messages_page(c.id, None, 50).unwrap()).collect();
    let inbound: Vec<_> = all.iter().filter(|m| m.direction == Direction::In).collect();
    assert_eq!(inbound.len(), 1, "stored once");
    let mine: Vec<_> = all.iter().filter(|m| m.direction == Direction::Out).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].origin, Some(Origin::Phone), "the owner's phone message is outgoing with origin phone");
    assert_eq!(convs.iter().map(|c| c.unread_count).sum::<i64>(), 1, "the owner's own message is not unread");
    // WASender's envelope may carry the session's API key in `sessionId`: never stored.
    let from_me: Value = serde_json::from_slice(&from_me).unwrap();
    if let Some(session) = from_me.get("sessionId").and_then(Value::as_str) {
        for ev in e.store.webhook_events(10).unwrap() {
            assert!(!String::from_utf8_lossy(&ev.body).contains(session), "sessionId is redacted before storing");
        }
    }
}

async fn unipile_fake() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_messages.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_chat_single.json")))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_polling_resumes_and_webhooks_do_not_duplicate() {
    let fake = unipile_fake().await;
    let mut e = env();
    let account = e
        .store
        .add_account(&NewAccount {
            provider: Provider::Unipile,
            name: "U".into(),
            phone: None,
            config: json!({"dsn": fake.uri(), "unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g"}),
        })
        .unwrap();
    e.secrets.set(account.id, SecretName::ApiKey, &Secret::new("key".into())).unwrap();
    e.secrets.set(account.id, SecretName::WebhookSecret, &Secret::new("hook-secret".into())).unwrap();

    let client = ProviderClient::for_account(&account, &e.secrets).unwrap();
    let first = sync::poll_messages(&mut e.store, &client, account.id).await.unwrap();
    assert_eq!(first.new_messages.len(), 3);
    assert_eq!(first.new_inbound.len(), 2, "is_sender messages are the owner's, not the customer's");
    let hw: i64 = e.store.cursor(account.id, sync::MESSAGES_CURSOR).unwrap().unwrap().parse().unwrap();
    assert_eq!(wicket_core::time::to_rfc3339(hw), "2026-01-01T12:00:05Z", "the high-water mark is the newest message");

    // A restart: a new client, the same store. The overlap refetches, nothing doubles.
    let client = ProviderClient::for_account(&account, &e.secrets).unwrap();
    let again = sync::poll_messages(&mut e.store, &client, account.id).await.unwrap();
    assert!(again.new_messages.is_empty(), "nothing is fetched twice: {again:?}");
    let requests = fake.received_requests().await.unwrap();
    let after: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path() == "/api/v1/messages")
        .filter_map(|r| r.url.query_pairs().find(|(k, _)| k == "after").map(|(_, v)| v.to_string()))
        .collect();
    assert!(after.last().unwrap().starts_with("2026-01-01T11:59:05"), "the second poll starts one minute before the mark: {after:?}");

    // The same message by webhook is stored once.
    let server = listener(&e);
    let route = format!("/webhooks/unipile/{}", account.id);
    let body = fixture("unipile", "unipile_webhook_message.json");
    assert_eq!(post(&server, &route, None, body.clone()).await, 401);
    assert_eq!(post(&server, &route, Some(("X-Wicket-Secret", "hook-secret")), body).await, 200);
    server.shutdown();
    let conv = &e.store.conversations(&ConversationFilter { account_id: Some(account.id), ..Default::default() }).unwrap()[0];
    assert_eq!(e.store.messages_page(conv.id, None, 50).unwrap().len(), 3, "polling and the webhook delivered one message once");
}

#[tokio::test]
async fn a_gateway_echo_of_our_send_is_not_a_second_message() {
    // WASender reports our own send by webhook before the send call returns.
    let fake = MockServer::start().await;
    let mut e = env();
    let account =
        e.store.add_account(&NewAccount { provider: Provider::Wasender, name: "W".into(), phone: None, config: json!({"base_url": fake.uri()}) }).unwrap();
    let queued = outbox::queue(&mut e.store, &account, "+447911123456", text("On its way!"), None).unwrap();
    let echo = wicket_core::providers::ProviderEvent::Message(InboundMessage {
        origin: Some(Origin::Phone),
        text: Some("On its way!".into()),
        ..InboundMessage::new(
            "3EB0ECHO".into(),
            wicket_core::store::contacts::ContactKey::phone("+447911123456"),
            Direction::Out,
            wicket_core::model::MessageKind::Text,
            queued.timestamp + 500,
            json!({}),
        )
    });
    e.store.write(|tx| wicket_core::ingest::apply(tx, account.id, &[echo])).unwrap();
    let page = e.store.messages_page(queued.conversation_id, None, 10).unwrap();
    assert_eq!(page.len(), 1, "the echo is our message");
    assert_eq!(page[0].provider_message_id.as_deref(), Some("3EB0ECHO"));
    assert_eq!(page[0].origin, Some(Origin::App));
    // The send's receipt then carries the same id (or a placeholder): still one row.
    e.store.set_message_provider_id(queued.id, "wasender-msg-77").unwrap();
    assert_eq!(e.store.message(queued.id).unwrap().provider_message_id.as_deref(), Some("3EB0ECHO"), "a placeholder never replaces the real id");
}

#[test]
fn a_chat_id_another_conversation_has_never_fails_a_message() {
    // UniPile names one chat by a LID first, then the same person's messages come with their number:
    // two contacts (until merged), and the chat id can only be one conversation's.
    let mut e = env();
    let account = e.store.add_account(&NewAccount { provider: Provider::Unipile, name: "U".into(), phone: None, config: json!({}) }).unwrap();
    let message = |id: &str, key: wicket_core::store::contacts::ContactKey| {
        let mut m = InboundMessage::new(id.into(), key, Direction::In, wicket_core::model::MessageKind::Text, 1_767_000_000_000, json!({}));
        m.text = Some(format!("message {id}"));
        m.provider_chat_id = Some("chat-Xy12".into());
        wicket_core::providers::ProviderEvent::Message(m)
    };
    let by_lid = message("m1", wicket_core::store::contacts::ContactKey::user_id("118237465019283@lid"));
    let by_phone = message("m2", wicket_core::store::contacts::ContactKey::phone("+447700900123"));
    e.store.write(|tx| wicket_core::ingest::apply(tx, account.id, &[by_lid])).unwrap();
    e.store.write(|tx| wicket_core::ingest::apply(tx, account.id, &[by_phone])).expect("stored, not refused over the chat id");
    let conversations = e.store.conversations(&ConversationFilter::default()).unwrap();
    assert_eq!(conversations.len(), 2, "{conversations:?}");
    let chats: Vec<Option<&str>> = conversations.iter().map(|c| c.provider_chat_id.as_deref()).collect();
    assert_eq!(chats.iter().filter(|c| **c == Some("chat-Xy12")).count(), 1, "the chat stays with the first: {chats:?}");
    assert_eq!(e.store.search("m2", 10).unwrap().len(), 1, "the second message is stored");
}

#[tokio::test]
async fn wasender_enriches_nameless_contacts_and_syncs_chosen_conversations() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contacts/447700900123"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "contact_info.json")))
        .mount(&fake)
        .await;
    let mut e = env();
    let account =
        e.store.add_account(&NewAccount { provider: Provider::Wasender, name: "W".into(), phone: None, config: json!({"base_url": fake.uri()}) }).unwrap();
    e.secrets.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    let contact = e.store.upsert_contact(account.id, &wicket_core::store::contacts::ContactKey::phone("+447700900123"), &Default::default()).unwrap();
    let conv = e.store.get_or_create_conversation(account.id, contact.id).unwrap();
    let client = ProviderClient::for_account(&account, &e.secrets).unwrap();

    // Opening the conversation of a nameless contact asks WASender for a name.
    let opened = wicket_core::inbox::open_conversation(&mut e.store, &e.secrets, conv).await.unwrap();
    assert!(opened.enriched, "a name was found: {:?}", opened.warnings);
    let c = e.store.contact(contact.id).unwrap();
    assert_eq!(c.saved_name.as_deref(), Some("Priya Raman"));
    assert_eq!(c.profile_name.as_deref(), Some("Priya"));

    // The contacts of chosen conversations.
    let summary = sync::sync_contacts(&mut e.store, &client, account.id, sync::ContactSyncMode::Conversations(vec![conv])).await.unwrap();
    assert_eq!((summary.total_fetched, summary.successful_updates, summary.contacts_with_names), (1, 1, 1));
    let a = e.store.account(account.id).unwrap();
    assert!(a.last_sync_at.is_none(), "a partial sync does not count as the account's (full) sync");
    let partial: Value = serde_json::from_str(&e.store.cursor(account.id, sync::PARTIAL_SYNC_CURSOR).unwrap().unwrap()).unwrap();
    assert_eq!(partial["successful_updates"], json!(1), "its summary is kept apart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_polls_wasender_for_its_own_sends_statuses() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/messages/100482/info"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "message_info.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/status"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "status_connected.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": []})))
        .mount(&fake)
        .await;
    let mut e = env();
    let account =
        e.store.add_account(&NewAccount { provider: Provider::Wasender, name: "W".into(), phone: None, config: json!({"base_url": fake.uri()}) }).unwrap();
    e.secrets.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    // A send whose WhatsApp id WASender had not reported yet (a placeholder).
    let c = e.store.upsert_contact(account.id, &wicket_core::store::contacts::ContactKey::phone("+447700900123"), &Default::default()).unwrap();
    let conv = e.store.get_or_create_conversation(account.id, c.id).unwrap();
    let queued = outbox::queue_in_conversation(&mut e.store, conv, text("Yes, it is ready. See you soon!"), None).unwrap();
    e.store.set_message_status(queued.id, wicket_core::model::MessageStatus::Sending, None).unwrap();
    e.store.set_message_provider_id(queued.id, "wasender-msg-100482").unwrap();
    e.store.set_message_status(queued.id, wicket_core::model::MessageStatus::Sent, None).unwrap();
    e.store.conn().execute("UPDATE messages SET provider_send_id = '100482', send_request = NULL WHERE id = ?1", [queued.id]).unwrap();

    let engine = wicket_core::engine::Engine::start(e.dir.clone(), e.secrets.clone(), None).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(engine.run(async {
        let _ = stop_rx.await;
    }));
    let mut done = false;
    for _ in 0..100 {
        let m = e.store.message(queued.id).unwrap();
        if m.status == wicket_core::model::MessageStatus::Delivered {
            assert_eq!(m.provider_message_id.as_deref(), Some("3EB0C0FFEE1234567890"), "the placeholder became the WhatsApp id");
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop_tx.send(()).unwrap();
    running.await.unwrap().unwrap();
    assert!(done, "the engine polled the send's status");
}

fn edit(id: &str, text: Option<&str>, ts: i64) -> wicket_core::providers::ProviderEvent {
    wicket_core::providers::ProviderEvent::MessageEdited { provider_message_id: id.into(), text: text.map(str::to_string), timestamp: ts }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_deletions_land_on_the_stored_message() {
    let mut e = env();
    let account = e
        .store
        .add_account(&NewAccount {
            provider: Provider::Unipile,
            name: "U".into(),
            phone: None,
            config: json!({"unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g"}),
        })
        .unwrap();
    e.secrets.set(account.id, SecretName::WebhookSecret, &Secret::new("hook-secret".into())).unwrap();
    let group = e.store.upsert_contact(account.id, &wicket_core::store::contacts::ContactKey::user_id("120363041234567890@g.us"), &Default::default()).unwrap();
    let conv = e.store.get_or_create_conversation(account.id, group.id).unwrap();
    let mut insert = |id: &str, text: &str| {
        e.store
            .insert_message(&wicket_core::store::NewMessage {
                account_id: account.id,
                conversation_id: conv,
                provider_message_id: Some(id.into()),
                direction: Some(Direction::In),
                kind: Some(wicket_core::model::MessageKind::Text),
                text: Some(text.into()),
                timestamp: Some(1_767_268_800_000),
                ..Default::default()
            })
            .unwrap()
    };
    let first = insert("mSgG2EdItEdAbCdEfGhIjK", "I can do 15:00");
    let second = insert("mSgG4DeLeTeDaBcDeFgHiJ", "wrong chat, sorry");
    let first_id = match first {
        wicket_core::store::messages::InsertOutcome::Inserted(id) => id,
        other => panic!("{other:?}"),
    };
    let second_id = match second {
        wicket_core::store::messages::InsertOutcome::Inserted(id) => id,
        other => panic!("{other:?}"),
    };

    // Store level: the first report and a new text count; the same text again (a poll
    // seeing the edited message again) changes nothing.
    let apply = |store: &mut Store, ev| store.write(|tx| wicket_core::ingest::apply(tx, account.id, &[ev])).unwrap();
    let a = apply(&mut e.store, edit("mSgG2EdItEdAbCdEfGhIjK", Some("I can do 15:15"), 1_767_268_900_000));
    assert_eq!(a.edited, vec![first_id]);
    let m = e.store.message(first_id).unwrap();
    assert_eq!((m.text.as_deref(), m.edited_at), (Some("I can do 15:15"), Some(1_767_268_900_000)));
    let again = apply(&mut e.store, edit("mSgG2EdItEdAbCdEfGhIjK", Some("I can do 15:15"), 1_767_268_999_000));
    assert!(again.edited.is_empty(), "the same text again is not a new edit");
    assert_eq!(e.store.message(first_id).unwrap().edited_at, Some(1_767_268_900_000));
    let stale = apply(&mut e.store, edit("mSgG2EdItEdAbCdEfGhIjK", Some("I can do 14:00"), 1_767_268_850_000));
    assert!(stale.edited.is_empty(), "an older edit never replaces a newer one");
    assert!(apply(&mut e.store, edit("unknown-id", Some("x"), 1)).edited.is_empty(), "an edit of an unknown message changes nothing");

    // Through the webhook listener: UniPile's edited and deleted events.
    let server = listener(&e);
    let route = format!("/webhooks/unipile/{}", account.id);
    let secret = Some(("X-Wicket-Secret", "hook-secret"));
    assert_eq!(post(&server, &route, secret, fixture("unipile", "unipile_webhook_edited.json")).await, 200);
    assert_eq!(post(&server, &route, secret, fixture("unipile", "unipile_webhook_deleted.json")).await, 200);
    assert_eq!(post(&server, &route, secret, fixture("unipile", "unipile_webhook_deleted.json")).await, 200, "a redelivery is fine");
    server.shutdown();
    let m = e.store.message(first_id).unwrap();
    assert_eq!(m.text.as_deref(), Some("I can do 15:30 instead"), "the new text is shown");
    assert_eq!(m.edited_at, Some(wicket_core::time::parse_rfc3339("2026-01-01T12:02:30.000Z").unwrap()), "marked edited");
    let d = e.store.message(second_id).unwrap();
    assert_eq!(d.deleted_at, Some(wicket_core::time::parse_rfc3339("2026-01-01T12:04:30.000Z").unwrap()), "shown as deleted");
    assert_eq!(d.text, None, "the row stays, its deleted text does not");
    assert_eq!(e.store.messages_page(conv, None, 10).unwrap().len(), 2, "no new rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_high_water_mark_never_moves_backwards() {
    // A slow poll returns an older mark than another poller stored meanwhile.
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_messages.json")).set_delay(std::time::Duration::from_millis(1500)))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_chat_single.json")))
        .mount(&fake)
        .await;
    let mut e = env();
    let account = e
        .store
        .add_account(&NewAccount {
            provider: Provider::Unipile,
            name: "U".into(),
            phone: None,
            config: json!({"dsn": fake.uri(), "unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g"}),
        })
        .unwrap();
    e.secrets.set(account.id, SecretName::ApiKey, &Secret::new("key".into())).unwrap();
    let client = ProviderClient::for_account(&account, &e.secrets).unwrap();
    let newer = wicket_core::time::parse_rfc3339("2026-01-02T08:00:00Z").unwrap();
    let db = e.dir.db_path();
    let other = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let mut store = Store::open(&db).unwrap();
        store.set_cursor(account.id, sync::MESSAGES_CURSOR, &newer.to_string()).unwrap();
    });
    let applied = sync::poll_messages(&mut e.store, &client, account.id).await.unwrap();
    other.await.unwrap();
    assert_eq!(applied.new_messages.len(), 3);
    assert_eq!(e.store.cursor(account.id, sync::MESSAGES_CURSOR).unwrap(), Some(newer.to_string()), "the newer stored mark stays");
}

fn unipile_message(id: &str, ts: &str, text: &str) -> Value {
    json!({"object": "Message", "id": id, "account_id": "kX3pQ9vTRmW2aB7cD1eF0g", "chat_id": "Hc7RtY2uIo9pAs4dFg6hJk",
        "chat_provider_id": "447700900123@s.whatsapp.net", "provider_id": format!("WA-{id}"), "sender_id": "447700900123@s.whatsapp.net",
        "text": text, "attachments": [], "timestamp": ts, "is_sender": 0, "reactions": [], "seen": 0, "hidden": 0, "deleted": 0, "edited": 0, "delivered": 1})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_polling_across_a_real_restart_takes_a_second_page_of_new_messages() {
    let fake = unipile_fake().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let secrets = SecretStore::in_memory("restart");
    let account_id = {
        let mut store = Store::open(&dir.db_path()).unwrap();
        let account = store
            .add_account(&NewAccount {
                provider: Provider::Unipile,
                name: "U".into(),
                phone: None,
                config: json!({"dsn": fake.uri(), "unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g"}),
            })
            .unwrap();
        secrets.set(account.id, SecretName::ApiKey, &Secret::new("key".into())).unwrap();
        let client = ProviderClient::for_account(&account, &secrets).unwrap();
        assert_eq!(sync::poll_messages(&mut store, &client, account.id).await.unwrap().new_messages.len(), 3);
        account.id
        // The store and the client are dropped: the process "exits".
    };

    // While Wicket was down, three new messages arrived; UniPile lists newest
    // first over two pages, the second also repeating one already stored (the overlap).
    fake.reset().await;
    let second_page = "Y3Vyc29yLTI";
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .and(wiremock::matchers::query_param("cursor", second_page))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "MessageList", "cursor": null, "items": [
            unipile_message("mSgNeW1", "2026-01-01T12:01:00.000Z", "new one"),
            serde_json::from_slice::<Value>(&fixture("unipile", "unipile_messages.json")).unwrap()["items"][0].clone(),
        ]})))
        .with_priority(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "MessageList", "cursor": second_page, "items": [
            unipile_message("mSgNeW3", "2026-01-01T12:03:00.000Z", "new three"),
            unipile_message("mSgNeW2", "2026-01-01T12:02:00.000Z", "new two"),
        ]})))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_chat_single.json")))
        .mount(&fake)
        .await;

    let mut store = Store::open(&dir.db_path()).unwrap();
    let account = store.account(account_id).unwrap();
    let client = ProviderClient::for_account(&account, &secrets).unwrap();
    let applied = sync::poll_messages(&mut store, &client, account_id).await.unwrap();
    assert_eq!(applied.new_messages.len(), 3, "all three new messages, across both pages: {applied:?}");
    assert_eq!(applied.duplicates, 1, "the overlap is recognised");
    let after: Vec<String> =
        fake.received_requests().await.unwrap().iter().filter_map(|r| r.url.query_pairs().find(|(k, _)| k == "after").map(|(_, v)| v.to_string())).collect();
    assert!(after[0].starts_with("2026-01-01T11:59:05"), "resumed from the persisted mark minus the overlap: {after:?}");
    let hw: i64 = store.cursor(account_id, sync::MESSAGES_CURSOR).unwrap().unwrap().parse().unwrap();
    assert_eq!(wicket_core::time::to_rfc3339(hw), "2026-01-01T12:03:00Z");
    let conv = &store.conversations(&ConversationFilter { account_id: Some(account_id), ..Default::default() }).unwrap()[0];
    let all = store.messages_page(conv.id, None, 50).unwrap();
    assert_eq!(all.len(), 6, "nothing duplicated or skipped");
    let newest: Vec<Option<&str>> = all[3..].iter().map(|m| m.text.as_deref()).collect();
    assert_eq!(newest, [Some("new one"), Some("new two"), Some("new three")], "in order");
    assert!(sync::poll_messages(&mut store, &client, account_id).await.unwrap().new_messages.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_conversation_is_answered_through_the_outbox() {
    use wicket_core::store::contacts::{ContactKey, ContactUpdate};
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/send-message"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "send_message_response.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/messages/100482/info"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "message_info.json")))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chats/Qw3eRt5yUi7oPa9sDf1gHj/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_message_sent_response.json")))
        .mount(&fake)
        .await;
    let mut e = env();
    let group =
        ContactUpdate { jid: Some("120363041234567890@g.us".into()), is_group: Some(true), profile_name: Some("Pickup drivers".into()), ..Default::default() };
    let key = ContactKey::user_id("120363041234567890@g.us");

    // WASender: the group's JID is the recipient.
    let ws = e.store.add_account(&NewAccount { provider: Provider::Wasender, name: "W".into(), phone: None, config: json!({"base_url": fake.uri()}) }).unwrap();
    e.secrets.set(ws.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    let c = e.store.upsert_contact(ws.id, &key, &group).unwrap();
    let conv = e.store.get_or_create_conversation(ws.id, c.id).unwrap();
    let queued = outbox::queue_in_conversation(&mut e.store, conv, text("Van 2 is at the depot"), None).unwrap();
    let sent = outbox::send_with_retries(&mut e.store, &e.secrets, queued.id, std::time::Duration::from_secs(5)).await.unwrap();
    assert_eq!(sent.status, wicket_core::model::MessageStatus::Sent);
    let requests = fake.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests.iter().find(|r| r.url.path() == "/send-message").unwrap().body).unwrap();
    assert_eq!(body["to"], json!("120363041234567890@g.us"), "{body}");
    assert_eq!(body["text"], json!("Van 2 is at the depot"));

    // UniPile: into the group's chat.
    let up = e
        .store
        .add_account(&NewAccount {
            provider: Provider::Unipile,
            name: "U".into(),
            phone: None,
            config: json!({"dsn": fake.uri(), "unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g"}),
        })
        .unwrap();
    e.secrets.set(up.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    let c = e.store.upsert_contact(up.id, &key, &group).unwrap();
    let conv = e.store.get_or_create_conversation(up.id, c.id).unwrap();
    e.store.write(|tx| wicket_core::store::conversations::set_provider_chat_id(tx, conv, "Qw3eRt5yUi7oPa9sDf1gHj")).unwrap();
    let queued = outbox::queue_in_conversation(&mut e.store, conv, text("Van 3 leaves at 5"), None).unwrap();
    let sent = outbox::send_with_retries(&mut e.store, &e.secrets, queued.id, std::time::Duration::from_secs(5)).await.unwrap();
    assert_eq!(sent.status, wicket_core::model::MessageStatus::Sent);
    assert_eq!(sent.provider_message_id.as_deref(), Some("mSg2NeWmEsSaGeIdAbCdEf"));
    let requests = fake.received_requests().await.unwrap();
    let up_send = requests.iter().find(|r| r.url.path() == "/api/v1/chats/Qw3eRt5yUi7oPa9sDf1gHj/messages").expect("sent into the group's chat");
    assert!(String::from_utf8_lossy(&up_send.body).contains("Van 3 leaves at 5"));
}
