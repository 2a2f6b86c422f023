//! The engine in-process: it sends what other connections queue, notices
//! account changes made by another connection, tells subscribers about
//! webhook commits, and shuts down cleanly.

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use wicket_core::engine::{Engine, EngineEvent};
use wicket_core::model::{Direction, MessageKind, MessageStatus, Provider};
use wicket_core::providers::OutgoingContent;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::NewMessage;
use wicket_core::store::{NewAccount, Store};
use wicket_core::{outbox, DataDir};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn fake_graph(wamid: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": wamid}], "contacts": [{"wa_id": "447911123456"}]})))
        .mount(&server)
        .await;
    server
}

async fn wait_status(store: &Store, id: i64, want: MessageStatus) {
    for _ in 0..100 {
        if store.message(id).unwrap().status == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("message {id} never reached {want}: {:?}", store.message(id).unwrap().status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_sends_notices_changes_and_reports_webhooks() {
    let first = fake_graph("wamid.FIRST").await;
    let second = fake_graph("wamid.SECOND").await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let secrets = Arc::new(SecretStore::in_memory("engine-test"));
    let engine = Engine::start(dir.clone(), secrets.clone(), Some("127.0.0.1:0".parse().unwrap())).unwrap();
    let addr = engine.listen_addr().unwrap();
    let mut events = engine.subscribe();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(engine.run(async {
        let _ = stop_rx.await;
    }));

    // Another connection (as another process would) adds an account after the engine started.
    let mut store = Store::open(&dir.db_path()).unwrap();
    let account = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Shop".into(), phone: None, config: json!({"phone_number_id": "PN1", "business_account_id": "W", "base_url": first.uri()}) })
        .unwrap();
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok".into())).unwrap();
    secrets.set(account.id, SecretName::AppSecret, &Secret::new("app-secret".into())).unwrap();
    let contact = store.upsert_contact(account.id, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
    let conv = store.get_or_create_conversation(account.id, contact.id).unwrap();
    store
        .insert_message(&NewMessage { account_id: account.id, conversation_id: conv, provider_message_id: Some("wamid.IN".into()), direction: Some(Direction::In), kind: Some(MessageKind::Text), text: Some("hi".into()), ..Default::default() })
        .unwrap();

    let text = || OutgoingContent::Text { body: "ready".into(), preview_url: false };
    let m1 = outbox::queue(&mut store, &account, "+447911123456", text(), None).unwrap();
    wait_status(&store, m1.id, MessageStatus::Sent).await;
    assert_eq!(store.message(m1.id).unwrap().provider_message_id.as_deref(), Some("wamid.FIRST"));

    // The owner points the account elsewhere from another connection: the engine follows.
    let mut config = account.config.clone();
    config["base_url"] = json!(second.uri());
    store.update_account_config(account.id, &config).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let m2 = outbox::queue(&mut store, &account, "+447911123456", text(), None).unwrap();
    wait_status(&store, m2.id, MessageStatus::Sent).await;
    assert_eq!(store.message(m2.id).unwrap().provider_message_id.as_deref(), Some("wamid.SECOND"), "the changed config was picked up");

    // A signed webhook reaches subscribers once committed.
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "PN1"},
        "contacts": [{"profile": {"name": "Priya"}, "wa_id": "447911123456"}],
        "messages": [{"from": "447911123456", "id": "wamid.IN2", "timestamp": "1767268925", "type": "text", "text": {"body": "thanks"}}]}}]}]})
    .to_string();
    let sig = wicket_core::webhook::meta_signature(b"app-secret", body.as_bytes());
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/webhooks/meta/{}", account.id))
        .header("X-Hub-Signature-256", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(EngineEvent::Webhook(outcome)) = events.recv().await {
                return outcome;
            }
        }
    })
    .await
    .expect("a webhook event reaches the subscriber");
    assert_eq!(event.new_inbound().len(), 1);

    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running).await.expect("the engine stops").unwrap().unwrap();
    assert!(!wicket_core::engine_lock::EngineLock::is_held(&dir), "the lock is released on shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_account_answers_like_a_customer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    let demo = wicket_core::providers::demo::create_demo_account(&mut store).unwrap();
    let convs = store.conversations(&wicket_core::store::ConversationFilter { account_id: Some(demo.id), ..Default::default() }).unwrap();
    assert_eq!(convs.len(), wicket_core::providers::demo::SAMPLE_CONVERSATIONS.len(), "sample conversations in several languages");
    assert!(convs.iter().any(|c| c.contact.profile_name.as_deref() == Some("佐藤 花子")));

    let mut config = demo.config.clone();
    config["pace_ms"] = json!(200);
    store.update_account_config(demo.id, &config).unwrap();
    let engine = Engine::start(dir.clone(), Arc::new(SecretStore::in_memory("demo")), None).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(engine.run(async {
        let _ = stop_rx.await;
    }));
    let demo = store.account(demo.id).unwrap();
    let sent = outbox::queue(&mut store, &demo, "+4915112345678", OutgoingContent::Text { body: "Liegt die Jacke noch bereit?".into(), preview_url: false }, None).unwrap();
    wait_status(&store, sent.id, MessageStatus::Read).await;
    let conv = sent.conversation_id;
    for _ in 0..100 {
        let page = store.messages_page(conv, None, 10).unwrap();
        if page.last().is_some_and(|m| m.direction == Direction::In && m.timestamp > sent.timestamp) {
            assert!(page.last().unwrap().text.as_deref().unwrap().contains("melde"), "the German customer answers in German");
            stop_tx.send(()).unwrap();
            running.await.unwrap().unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the demo customer never answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_account_backs_off_shows_retrying_then_recovers() {
    let fake = MockServer::start().await;
    let fixture = |name: &str| std::fs::read(format!("{}/../../tests/fixtures/unipile/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    Mock::given(method("GET")).and(path("/api/v1/messages")).respond_with(ResponseTemplate::new(503).set_body_string("maintenance")).up_to_n_times(2).with_priority(1).mount(&fake).await;
    Mock::given(method("GET")).and(path("/api/v1/messages")).respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile_messages.json"))).mount(&fake).await;
    Mock::given(method("GET")).and(path("/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk")).respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile_chat_single.json"))).mount(&fake).await;
    Mock::given(method("GET")).and(path("/api/v1/accounts/kX3pQ9vTRmW2aB7cD1eF0g")).respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile_account.json"))).mount(&fake).await;
    Mock::given(method("GET")).and(path("/api/v1/chat_attendees")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "ChatAttendeeList", "items": [], "cursor": null}))).mount(&fake).await;

    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    let account = store
        .add_account(&NewAccount { provider: Provider::Unipile, name: "U".into(), phone: None, config: json!({"dsn": fake.uri(), "unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g", "poll_interval": 1}) })
        .unwrap();
    let secrets = Arc::new(SecretStore::in_memory("poll"));
    secrets.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    let engine = Engine::start(dir.clone(), secrets, None).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(engine.run(async {
        let _ = stop_rx.await;
    }));
    let mut saw_retrying = false;
    for _ in 0..150 {
        let a = store.account(account.id).unwrap();
        if a.status == wicket_core::model::AccountStatus::Retrying {
            saw_retrying = true;
            assert!(a.status_reason.as_deref().unwrap_or("").contains("retrying"), "the reason says it retries: {:?}", a.status_reason);
            assert!(a.status_since.is_some(), "retrying since T");
        }
        let convs = store.conversations(&wicket_core::store::ConversationFilter { account_id: Some(account.id), ..Default::default() }).unwrap();
        if saw_retrying && !convs.is_empty() && a.status == wicket_core::model::AccountStatus::Ok {
            assert_eq!(store.messages_page(convs[0].id, None, 10).unwrap().len(), 3, "the messages arrive once the provider is back");
            stop_tx.send(()).unwrap();
            running.await.unwrap().unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never saw retrying then ok (saw retrying: {saw_retrying})");
}
