//! The engine in-process: it sends what other connections queue, notices
//! account changes made by another connection, tells subscribers about
//! webhook commits, and shuts down cleanly.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::{customer_wrote, data_dir, fixture, requests_to, run_engine, text};
use wicket_core::engine::{Engine, EngineEvent};
use wicket_core::model::{Direction, MessageStatus, Provider};
use wicket_core::providers::OutgoingContent;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
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
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: None,
            config: json!({"phone_number_id": "PN1", "business_account_id": "W", "base_url": first.uri()}),
        })
        .unwrap();
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok".into())).unwrap();
    secrets.set(account.id, SecretName::AppSecret, &Secret::new("app-secret".into())).unwrap();
    customer_wrote(&mut store, account.id, "wamid.IN");

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
    let resp =
        reqwest::Client::new().post(format!("http://{addr}/webhooks/meta/{}", account.id)).header("X-Hub-Signature-256", sig).body(body).send().await.unwrap();
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
    let (_tmp, dir, mut store) = data_dir();
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
    let sent = outbox::queue(&mut store, &demo, "+4915112345678", text("Liegt die Jacke noch bereit?"), None).unwrap();
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
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_messages.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_chat_single.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/kX3pQ9vTRmW2aB7cD1eF0g"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("unipile", "unipile_account.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chat_attendees"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "ChatAttendeeList", "items": [], "cursor": null})))
        .mount(&fake)
        .await;

    let (_tmp, dir, mut store) = data_dir();
    let account = store
        .add_account(&NewAccount {
            provider: Provider::Unipile,
            name: "U".into(),
            phone: None,
            config: json!({"dsn": fake.uri(), "unipile_account_id": "kX3pQ9vTRmW2aB7cD1eF0g", "poll_interval": 1}),
        })
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

const UP_ACCOUNT: &str = "kX3pQ9vTRmW2aB7cD1eF0g";

fn unipile_account_json(status: &str, phone: &str) -> serde_json::Value {
    json!({"object": "Account", "type": "WHATSAPP", "id": UP_ACCOUNT, "name": "Camden Parcel Co", "created_at": "2026-01-01T09:30:00.000Z",
        "connection_params": {"im": {"phone_number": phone}}, "sources": [{"id": format!("{UP_ACCOUNT}_MESSAGING"), "status": status}], "groups": []})
}

fn empty_messages() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"object": "MessageList", "items": [], "cursor": null}))
}

/// A UniPile account on `fake`, its API key (and webhook secret) in `secrets`.
fn unipile_account(store: &mut Store, secrets: &SecretStore, fake: &MockServer, config: serde_json::Value) -> wicket_core::store::Account {
    let mut c = json!({"dsn": fake.uri(), "unipile_account_id": UP_ACCOUNT});
    for (k, v) in config.as_object().unwrap() {
        c[k] = v.clone();
    }
    let account = store.add_account(&NewAccount { provider: Provider::Unipile, name: "U".into(), phone: None, config: c }).unwrap();
    secrets.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    secrets.set(account.id, SecretName::WebhookSecret, &Secret::new("hook-secret".into())).unwrap();
    account
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_follows_the_in_use_signal_and_changed_intervals() {
    let fake = MockServer::start().await;
    Mock::given(method("GET")).and(path("/api/v1/messages")).respond_with(empty_messages()).mount(&fake).await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{UP_ACCOUNT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(unipile_account_json("OK", "+15550102030")))
        .mount(&fake)
        .await;
    let (_tmp, dir, mut store) = data_dir();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    let secrets = Arc::new(SecretStore::in_memory("activity"));
    let account = unipile_account(&mut store, &secrets, &fake, json!({"poll_interval": 1, "idle_poll_interval": 30}));
    let engine = Engine::start(dir.clone(), secrets, None).unwrap();
    let activity = engine.activity();
    assert!(!activity.is_active(), "a headless engine is idle until told otherwise");
    let (stop, running) = run_engine(engine);
    let fake = &fake;
    let polls = move || requests_to(fake, "/api/v1/messages");
    // Waits for a count to be reached (deadlines are generous: the machine may be busy; what
    // is asserted is that polls happen at all, or do not happen at the idle interval).
    let polls_reach = move |n: usize| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let now = requests_to(fake, "/api/v1/messages").await;
            if now >= n || std::time::Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // The count once no poll is in flight: unchanged over 1.5 s.
    let settled = move || async move {
        let mut last = requests_to(fake, "/api/v1/messages").await;
        loop {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let now = requests_to(fake, "/api/v1/messages").await;
            if now == last {
                return now;
            }
            last = now;
        }
    };

    assert_eq!(polls_reach(1).await, 1, "the engine polls once at start");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(polls().await, 1, "idle: polled once at start, the next poll is 30 s away");

    activity.touch();
    assert!(activity.is_active());
    let busy = polls_reach(3).await;
    assert!(busy >= 3, "in use: every second ({busy} polls)");

    activity.set_active(false);
    let idle = settled().await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(polls().await, idle, "idle again: no poll for 30 s");

    // The owner shortens the idle interval from another connection: picked up.
    let changed = wicket_core::engine::set_poll_intervals(&mut store, account.id, None, Some(1)).unwrap();
    assert_eq!(wicket_core::engine::poll_intervals(&changed), (Duration::from_secs(1), Duration::from_secs(1)));
    let after_change = polls_reach(idle + 2).await;
    assert!(after_change >= idle + 2, "the new idle interval applies ({idle} → {after_change})");

    // Another process (the desktop app while `wicket serve` runs) says the app is in use.
    // With the idle interval back at 30 s, at most one poll already due can follow; two more
    // within the deadline need the in-use interval.
    wicket_core::engine::set_poll_intervals(&mut store, account.id, None, Some(30)).unwrap();
    let before = settled().await;
    wicket_core::engine::mark_in_use(&mut store).unwrap();
    let after = polls_reach(before + 2).await;
    assert!(after >= before + 2, "mark_in_use switches to the in-use interval ({before} → {after})");

    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_back_off_honours_retry_after_and_401_needs_re_authentication() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3").set_body_bytes(fixture("unipile", "unipile_error_rate_limit.json")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(401).set_body_bytes(fixture("unipile", "unipile_error_missing_credentials.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{UP_ACCOUNT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(unipile_account_json("OK", "+15550102030")))
        .mount(&fake)
        .await;
    let (_tmp, dir, mut store) = data_dir();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    let secrets = Arc::new(SecretStore::in_memory("backoff"));
    let account = unipile_account(&mut store, &secrets, &fake, json!({"poll_interval": 1}));
    let engine = Engine::start(dir.clone(), secrets, None).unwrap();
    engine.activity().set_active(true);
    let (stop, running) = run_engine(engine);

    let start = std::time::Instant::now();
    let (mut first, mut second) = (None, None);
    let mut retrying_seen = false;
    while start.elapsed() < Duration::from_secs(15) {
        let n = requests_to(&fake, "/api/v1/messages").await;
        if n >= 1 && first.is_none() {
            first = Some(std::time::Instant::now());
        }
        if n >= 2 && second.is_none() {
            second = Some(std::time::Instant::now());
        }
        let a = store.account(account.id).unwrap();
        if second.is_none() && a.status == wicket_core::model::AccountStatus::Retrying {
            retrying_seen = true;
            assert!(a.status_reason.as_deref().unwrap().contains("retrying in 3 s"), "Retry-After sets the wait: {:?}", a.status_reason);
        }
        if a.status == wicket_core::model::AccountStatus::NeedsToken {
            assert!(a.status_reason.as_deref().unwrap().contains("re-authentication"), "{:?}", a.status_reason);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(retrying_seen, "a 429 shows the account as retrying");
    let gap = second.expect("polled again").duration_since(first.unwrap());
    assert!(gap >= Duration::from_millis(2700), "the next poll waited for Retry-After (3 s), not the 1 s interval: {gap:?}");
    assert_eq!(store.account(account.id).unwrap().status, wicket_core::model::AccountStatus::NeedsToken, "401 → needs re-authentication");
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unipile_account_state_is_stable_and_a_status_webhook_refreshes_details() {
    let fake = MockServer::start().await;
    Mock::given(method("GET")).and(path("/api/v1/messages")).respond_with(empty_messages()).mount(&fake).await;
    let lost = Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{UP_ACCOUNT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(unipile_account_json("CREDENTIALS", "+15550102030")))
        .mount_as_scoped(&fake)
        .await;
    let (_tmp, dir, mut store) = data_dir();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    let secrets = Arc::new(SecretStore::in_memory("state"));
    let account = unipile_account(&mut store, &secrets, &fake, json!({"poll_interval": 1}));
    let engine = Engine::start(dir.clone(), secrets, Some("127.0.0.1:0".parse().unwrap())).unwrap();
    let addr = engine.listen_addr().unwrap();
    engine.activity().set_active(true);
    let (stop, running) = run_engine(engine);

    let mut since = None;
    for _ in 0..50 {
        let a = store.account(account.id).unwrap();
        if a.status == wicket_core::model::AccountStatus::NeedsToken {
            assert!(a.status_reason.as_deref().unwrap().contains("wicket account reconnect"), "CREDENTIALS says how to re-authenticate: {:?}", a.status_reason);
            since = a.status_since;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let since = since.expect("CREDENTIALS → needs re-authentication");
    // Polls keep succeeding meanwhile: they must not flip the state to ok and back.
    let polls = requests_to(&fake, "/api/v1/messages").await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert!(requests_to(&fake, "/api/v1/messages").await >= polls + 2, "polling went on");
    let a = store.account(account.id).unwrap();
    assert_eq!((a.status, a.status_since), (wicket_core::model::AccountStatus::NeedsToken, Some(since)), "the state and its since-time are stable");
    let checks = requests_to(&fake, &format!("/api/v1/accounts/{UP_ACCOUNT}")).await;

    // The owner reconnects in UniPile; its account-status webhook arrives:
    // the details are refreshed at once, not at the next minute's check.
    drop(lost);
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{UP_ACCOUNT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(unipile_account_json("OK", "+15550109999")))
        .mount(&fake)
        .await;
    let body = json!({"AccountStatus": {"account_id": UP_ACCOUNT, "account_type": "WHATSAPP", "message": "RECONNECTED"}}).to_string();
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/webhooks/unipile/{}", account.id))
        .header("X-Wicket-Secret", "hook-secret")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut refreshed = false;
    for _ in 0..40 {
        let a = store.account(account.id).unwrap();
        if a.phone.as_deref() == Some("+15550109999") {
            assert_eq!(a.config["details"]["status"], json!("OK"));
            assert_eq!(a.status, wicket_core::model::AccountStatus::Ok);
            refreshed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refreshed, "the details were refreshed after the webhook");
    assert!(requests_to(&fake, &format!("/api/v1/accounts/{UP_ACCOUNT}")).await > checks);
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

fn wasender_account(store: &mut Store, secrets: &SecretStore, fake: &MockServer) -> wicket_core::store::Account {
    let account =
        store.add_account(&NewAccount { provider: Provider::Wasender, name: "W".into(), phone: None, config: json!({"base_url": fake.uri()}) }).unwrap();
    secrets.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    account
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_runs_the_periodic_contact_sync_off_the_send_path() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/status"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "status_connected.json")))
        .mount(&fake)
        .await;
    // Three contacts and one entry without any usable id; a slow answer.
    let mut list: serde_json::Value = serde_json::from_slice(&fixture("wasender", "contacts.json")).unwrap();
    list["data"].as_array_mut().unwrap().push(json!({"name": "Nobody", "notify": null}));
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&list).set_delay(Duration::from_secs(3)))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"^/contacts/\d+/picture$"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "contact_picture_none.json")))
        .mount(&fake)
        .await;
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
    let (_tmp, dir, mut store) = data_dir();
    let secrets = Arc::new(SecretStore::in_memory("periodic"));
    let account = wasender_account(&mut store, &secrets, &fake);
    assert!(store.setting("contact_sync_hours").unwrap().is_none(), "the default (6 h) applies");
    let engine = Engine::start(dir.clone(), secrets, None).unwrap();
    let mut events = engine.subscribe();
    let (stop, running) = run_engine(engine);

    // A send queued while the sync runs is not held up by it.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let queued = outbox::queue(&mut store, &account, "+447911123456", text("Your parcel is ready"), None).unwrap();
    for _ in 0..20 {
        if store.message(queued.id).unwrap().status != MessageStatus::Pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(store.message(queued.id).unwrap().status, MessageStatus::Pending, "sent within 2 s");
    assert!(store.account(account.id).unwrap().last_sync_at.is_none(), "while the 3 s contact sync is still running");

    let summary = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Ok(EngineEvent::ContactsSynced { account_id, summary }) = events.recv().await {
                assert_eq!(account_id, account.id);
                return summary;
            }
        }
    })
    .await
    .expect("the engine ran the contact sync at start");
    assert_eq!(summary.total_fetched, 4, "the entry without a usable id counts as fetched: {summary:?}");
    assert_eq!((summary.successful_updates, summary.failed_updates), (3, 1));
    assert_eq!(summary.contacts_with_names + summary.contacts_without_names, 3);
    let full = store.account(account.id).unwrap();
    let full_at = full.last_sync_at.expect("the sync is recorded on the account");
    assert_eq!(full.last_sync_result.as_ref().unwrap()["total_fetched"], json!(4));

    // A one-contact sync neither moves the 6-hour clock nor replaces the full summary.
    Mock::given(method("GET"))
        .and(path("/contacts/447700900123"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "contact_info.json")))
        .mount(&fake)
        .await;
    let secrets2 = SecretStore::in_memory("periodic-2");
    secrets2.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    let client = wicket_core::providers::ProviderClient::for_account(&full, &secrets2).unwrap();
    let one = wicket_core::sync::sync_contacts(&mut store, &client, account.id, wicket_core::sync::ContactSyncMode::One("+447700900123".into())).await.unwrap();
    assert_eq!(one.total_fetched, 1);
    let after = store.account(account.id).unwrap();
    assert_eq!(after.last_sync_at, Some(full_at), "the full sync's time stays");
    assert_eq!(after.last_sync_result, full.last_sync_result, "the full sync's summary stays");
    assert!(store.cursor(account.id, wicket_core::sync::PARTIAL_SYNC_CURSOR).unwrap().unwrap().contains("\"total_fetched\":1"));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(requests_to(&fake, "/contacts").await, 1, "no second full sync within 6 hours");
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_sync_hours_zero_switches_the_periodic_sync_off() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/status"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "status_connected.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "contacts.json")))
        .mount(&fake)
        .await;
    let (_tmp, dir, mut store) = data_dir();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    let secrets = Arc::new(SecretStore::in_memory("sync-off"));
    let account = wasender_account(&mut store, &secrets, &fake);
    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets, None).unwrap());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(requests_to(&fake, "/status").await >= 1, "the engine ran its checks");
    assert_eq!(requests_to(&fake, "/contacts").await, 0, "no contact sync");
    assert!(store.account(account.id).unwrap().last_sync_at.is_none());
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_profile_pictures_are_cached_and_a_rate_limited_contact_is_retried() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/status"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "status_connected.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/447700900123/picture"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1").set_body_json(json!({"message": "Too many requests"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/447700900123/picture"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {"imgUrl": format!("{}/pictures/priya.jpg", fake.uri())}})))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/pictures/priya.jpg"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-type", "image/jpeg").set_body_bytes(b"\xff\xd8\xff\xe0 priya".to_vec()))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/contacts/15550199887/picture"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "contact_picture_none.json")))
        .mount(&fake)
        .await;
    let (tmp, dir, mut store) = data_dir();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    let secrets = Arc::new(SecretStore::in_memory("pictures"));
    let account = wasender_account(&mut store, &secrets, &fake);
    let priya = store.upsert_contact(account.id, &ContactKey::phone("+447700900123"), &ContactUpdate::default()).unwrap();
    let acme = store.upsert_contact(account.id, &ContactKey::phone("+15550199887"), &ContactUpdate::default()).unwrap();
    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets.clone(), None).unwrap());
    let mut stored = None;
    for _ in 0..60 {
        if let Some(p) = store.contact(priya.id).unwrap().profile_picture_path {
            stored = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rel = stored.expect("the contact refused with 429 was tried again");
    assert_eq!(std::fs::read(tmp.path().join(&rel)).unwrap(), b"\xff\xd8\xff\xe0 priya");
    assert_eq!(requests_to(&fake, "/contacts/447700900123/picture").await, 2, "one 429, one success");
    for _ in 0..30 {
        if store.cursor(account.id, wicket_core::sync::PICTURES_CURSOR).unwrap().as_deref() == Some(acme.id.to_string().as_str()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        store.cursor(account.id, wicket_core::sync::PICTURES_CURSOR).unwrap(),
        Some(acme.id.to_string()),
        "the walk went on past a contact without a picture"
    );
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();

    // Shown again: served from the cache, no request.
    let before = fake.received_requests().await.unwrap().len();
    let client = wicket_core::providers::ProviderClient::for_account(&store.account(account.id).unwrap(), &secrets).unwrap();
    let again = wicket_core::sync::fetch_profile_picture(&mut store, &dir, &client, priya.id, true).await.unwrap();
    assert_eq!(again, wicket_core::sync::Picture::Stored(rel));
    assert_eq!(fake.received_requests().await.unwrap().len(), before, "a cached picture costs no request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_stores_gateway_media_and_rejects_a_sha256_mismatch() {
    use sha2::{Digest, Sha256};
    let fake = MockServer::start().await;
    let bytes = b"\xFF\xD8\xFFdamaged box".to_vec();
    Mock::given(method("GET"))
        .and(path("/status"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "status_connected.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"^/contacts/\d+/picture$"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("wasender", "contact_picture_none.json")))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/decrypt-media"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "publicUrl": format!("{}/decrypted/box.jpg", fake.uri())})))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/decrypted/box.jpg"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.clone(), "image/jpeg"))
        .mount(&fake)
        .await;
    let (tmp, dir, mut store) = data_dir();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    let secrets = Arc::new(SecretStore::in_memory("media"));
    let account = wasender_account(&mut store, &secrets, &fake);
    secrets.set(account.id, SecretName::WebhookSecret, &Secret::new("whsec-media".into())).unwrap();
    let engine = Engine::start(dir.clone(), secrets, Some("127.0.0.1:0".parse().unwrap())).unwrap();
    let addr = engine.listen_addr().unwrap();
    let (stop, running) = run_engine(engine);

    // One image whose promised SHA-256 the bytes do not match, one that matches.
    let bad: serde_json::Value = serde_json::from_slice(&fixture("wasender", "webhook_message_image_upsert.json")).unwrap();
    let mut good = bad.clone();
    good["data"]["messages"][0]["key"]["id"] = json!("3EB0600D5HA");
    good["data"]["messages"][0]["message"]["imageMessage"]["fileSha256"] = {
        use base64::Engine as _;
        json!(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes)))
    };
    for body in [&bad, &good] {
        let resp = reqwest::Client::new()
            .post(format!("http://{addr}/webhooks/wasender/{}", account.id))
            .header("X-Webhook-Signature", "whsec-media")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let media_of = |store: &Store, id: &str| {
        let convs = store.conversations(&wicket_core::store::ConversationFilter { account_id: Some(account.id), ..Default::default() }).unwrap();
        convs.iter().flat_map(|c| store.messages_page(c.id, None, 10).unwrap()).find(|m| m.provider_message_id.as_deref() == Some(id)).and_then(|m| m.media)
    };
    let mut done = false;
    for _ in 0..80 {
        let good_media = media_of(&store, "3EB0600D5HA");
        let bad_media = media_of(&store, "3EB0F9E8D7C6B5A49382");
        if let (Some(g), Some(b)) = (good_media, bad_media) {
            if let (Some(stored), Some(_)) = (&g.path, &b.error) {
                assert_eq!(std::fs::read(tmp.path().join(stored)).unwrap(), bytes, "the decrypted bytes are stored");
                assert_eq!(g.sha256.as_deref(), Some(hex::encode(Sha256::digest(&bytes)).as_str()));
                assert!(b.path.is_none(), "a mismatching file is not stored");
                assert!(b.error.as_deref().unwrap().contains("SHA-256"), "{:?}", b.error);
                done = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the engine fetched both media");
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}
