//! The engine under a provider that misbehaves: one account whose provider
//! hangs, throttles absurdly or whose secrets cannot be read never delays
//! another account, a slow transfer never holds up sending, and every wait
//! is bounded. Fake providers are real HTTP servers on loopback (wiremock);
//! "hangs" is an answer delayed by ten minutes.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{customer_wrote, data_dir, fixture, requests_matching, run_engine, text};
use wicket_core::engine::{Engine, PeriodicJob};
use wicket_core::error::{Error, Result};
use wicket_core::model::{AccountStatus, MessageStatus, Provider};
use wicket_core::providers::{MediaSource, OutgoingContent};
use wicket_core::secrets::{MemoryBackend, Secret, SecretBackend, SecretName, SecretStore};
use wicket_core::store::media::NewMedia;
use wicket_core::store::{Account, NewAccount, Store};
use wicket_core::{outbox, DataDir};
use wiremock::matchers::{any, body_string_contains, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const UP_ACCOUNT: &str = "kX3pQ9vTRmW2aB7cD1eF0g";
/// Longer than any test runs: the provider "hangs".
const HANG: Duration = Duration::from_secs(600);
/// How long a healthy account may take to be served while another hangs:
/// generous for a loaded 2-core machine, far below the 60 s request timeout
/// a hung request holds a shared loop for.
const DEADLINE: Duration = Duration::from_secs(20);

fn account_json() -> serde_json::Value {
    json!({"object": "Account", "type": "WHATSAPP", "id": UP_ACCOUNT, "name": "Camden Parcel Co", "created_at": "2026-01-01T09:30:00.000Z",
        "connection_params": {"im": {"phone_number": "+15550102030"}}, "sources": [{"id": format!("{UP_ACCOUNT}_MESSAGING"), "status": "OK"}], "groups": []})
}

/// A UniPile fake that answers everything promptly: account OK, one page of
/// messages (one with an attachment), chats started on send.
async fn healthy_unipile() -> MockServer {
    let fake = MockServer::start().await;
    let ok = |body: Vec<u8>| ResponseTemplate::new(200).set_body_bytes(body);
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/accounts/{UP_ACCOUNT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(account_json()))
        .mount(&fake)
        .await;
    Mock::given(method("GET")).and(path("/api/v1/messages")).respond_with(ok(fixture("unipile", "unipile_messages.json"))).mount(&fake).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk"))
        .respond_with(ok(fixture("unipile", "unipile_chat_single.json")))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chats"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "ChatList", "items": [], "cursor": null})))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/chat_attendees"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "ChatAttendeeList", "items": [], "cursor": null})))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chats"))
        .respond_with(ResponseTemplate::new(201).set_body_bytes(fixture("unipile", "unipile_chat_started_response.json")))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path_regex("^/api/v1/chats/[^/]+/messages$"))
        .respond_with(ResponseTemplate::new(201).set_body_bytes(fixture("unipile", "unipile_message_sent_response.json")))
        .mount(&fake)
        .await;
    fake
}

/// A provider that accepts every request and never answers in time.
async fn hanging_provider() -> MockServer {
    let fake = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_delay(HANG)).mount(&fake).await;
    fake
}

fn unipile_account(store: &mut Store, secrets: &SecretStore, name: &str, fake: &MockServer) -> Account {
    let config = json!({"dsn": fake.uri(), "unipile_account_id": UP_ACCOUNT, "poll_interval": 1});
    let account = store.add_account(&NewAccount { provider: Provider::Unipile, name: name.into(), phone: None, config }).unwrap();
    secrets.set(account.id, SecretName::ApiKey, &Secret::new("k".into())).unwrap();
    account
}

/// Polls `check` every 100 ms until it holds or `within` passes.
async fn eventually(within: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check().await
}

fn setup(id: &str) -> (tempfile::TempDir, DataDir, Store, Arc<SecretStore>) {
    let (tmp, dir, mut store) = data_dir();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    (tmp, dir, store, Arc::new(SecretStore::in_memory(id)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_whose_provider_hangs_never_delays_another() {
    let hung = hanging_provider().await;
    let healthy = healthy_unipile().await;
    let (_tmp, dir, mut store, secrets) = setup("isolation");
    // Account A's provider hangs: its send, state check and media download all wait.
    let a = unipile_account(&mut store, &secrets, "A", &hung);
    let b = unipile_account(&mut store, &secrets, "B", &healthy);
    // A's work is queued first, so a shared loop would take it first.
    let a_msg = outbox::queue(&mut store, &a, "+447911123460", text("to a hung provider"), None).unwrap();
    store
        .insert_media(&NewMedia {
            account_id: a.id,
            provider_media_id: Some("att_1".into()),
            fetch_info: Some(json!({"message_id": "m1", "attachment_id": "att_1"})),
            ..Default::default()
        })
        .unwrap();
    let b_msg = outbox::queue(&mut store, &b, "+447911123470", text("to a healthy provider"), None).unwrap();
    let engine = Engine::start(dir.clone(), secrets, None).unwrap();
    engine.activity().set_active(true);
    let (stop, running) = run_engine(engine);

    let sent = eventually(DEADLINE, async || store.message(b_msg.id).unwrap().status == MessageStatus::Sent).await;
    assert!(sent, "B's message is sent while A's provider hangs: {:?}", store.message(b_msg.id).unwrap().status);
    let polled = eventually(DEADLINE, async || store.message_by_provider_id(b.id, "mSg1AbCdEfGhIjKlMnOpQr").unwrap().is_some()).await;
    assert!(polled, "B's messages are polled while A's provider hangs");
    let polls = requests_matching(&healthy, |r| r.url.path() == "/api/v1/messages").await;
    assert!(eventually(DEADLINE, async || requests_matching(&healthy, |r| r.url.path() == "/api/v1/messages").await > polls).await, "B keeps polling");

    // A's requests are all in flight, none answered.
    let in_flight = async |m: &'static str, p: &'static str| requests_matching(&hung, |r| r.method.as_str() == m && r.url.path().starts_with(p)).await;
    assert!(eventually(DEADLINE, async || in_flight("POST", "/api/v1/chats").await >= 1).await, "A's send reached its provider");
    assert!(eventually(DEADLINE, async || in_flight("GET", "/api/v1/messages/m1/attachments").await >= 1).await, "A's media download reached its provider");
    assert!(eventually(DEADLINE, async || in_flight("GET", "/api/v1/accounts/").await >= 1).await, "A's state check reached its provider");
    assert_eq!(store.message(a_msg.id).unwrap().status, MessageStatus::Sending, "A's send is still in flight, under its claim");

    // Shutdown does not wait for the hung send beyond its grace: the claim keeps it safe.
    stop.send(()).unwrap();
    let stopped = tokio::time::timeout(wicket_core::engine::SHUTDOWN_GRACE + DEADLINE, running).await;
    stopped.expect("the engine stops though a send hangs").unwrap().unwrap();
    assert_eq!(store.message(a_msg.id).unwrap().status, MessageStatus::Sending, "the cut-off send is neither failed nor marked sent");
    assert!(!wicket_core::engine_lock::EngineLock::is_held(&dir));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upload_or_download_never_holds_up_the_accounts_other_sends() {
    let fake = MockServer::start().await;
    // The attachment download and the upload of one file hang; everything else answers at once.
    Mock::given(method("GET"))
        .and(path_regex("^/api/v1/messages/[^/]+/attachments/"))
        .respond_with(ResponseTemplate::new(200).set_delay(HANG))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chats"))
        .and(body_string_contains("SLOW-UPLOAD-MARKER"))
        .respond_with(ResponseTemplate::new(201).set_delay(HANG))
        .with_priority(1)
        .mount(&fake)
        .await;
    // The healthy routes, on the same server as the hanging ones.
    for (m, p, body, status) in [
        ("GET", format!("/api/v1/accounts/{UP_ACCOUNT}"), account_json().to_string().into_bytes(), 200),
        ("GET", "/api/v1/messages".to_string(), fixture("unipile", "unipile_messages.json"), 200),
        ("GET", "/api/v1/chats/Hc7RtY2uIo9pAs4dFg6hJk".to_string(), fixture("unipile", "unipile_chat_single.json"), 200),
        ("GET", "/api/v1/chats".to_string(), br#"{"object":"ChatList","items":[],"cursor":null}"#.to_vec(), 200),
        ("GET", "/api/v1/chat_attendees".to_string(), br#"{"object":"ChatAttendeeList","items":[],"cursor":null}"#.to_vec(), 200),
        ("POST", "/api/v1/chats".to_string(), fixture("unipile", "unipile_chat_started_response.json"), 201),
    ] {
        Mock::given(method(m)).and(path(p)).respond_with(ResponseTemplate::new(status).set_body_bytes(body)).with_priority(5).mount(&fake).await;
    }
    Mock::given(method("POST"))
        .and(path_regex("^/api/v1/chats/[^/]+/messages$"))
        .respond_with(ResponseTemplate::new(201).set_body_bytes(fixture("unipile", "unipile_message_sent_response.json")))
        .with_priority(5)
        .mount(&fake)
        .await;
    let (tmp, dir, mut store, secrets) = setup("lanes");
    let account = unipile_account(&mut store, &secrets, "U", &fake);
    let file = tmp.path().join("big-video.mp4");
    std::fs::write(&file, b"SLOW-UPLOAD-MARKER: pretend this is a large video").unwrap();
    let video = OutgoingContent::Media {
        kind: wicket_core::model::MessageKind::Video,
        source: MediaSource::Path(file.clone()),
        caption: None,
        filename: None,
        mime: None,
    };
    // (Not the number the polled chat is with: that conversation gets a chat id.)
    let upload = outbox::queue(&mut store, &account, "+447911123480", video, None).unwrap();
    let same_chat_text = outbox::queue(&mut store, &account, "+447911123480", text("see the video above"), None).unwrap();
    // A backlog of uploads to other customers, more than a lane sends per pass.
    for n in 0..25 {
        let video = OutgoingContent::Media {
            kind: wicket_core::model::MessageKind::Video,
            source: MediaSource::Path(file.clone()),
            caption: None,
            filename: None,
            mime: None,
        };
        outbox::queue(&mut store, &account, &format!("+4479111235{n:02}"), video, None).unwrap();
    }
    let engine = Engine::start(dir.clone(), secrets, None).unwrap();
    engine.activity().set_active(true);
    let (stop, running) = run_engine(engine);

    // The poll stores a message with an attachment; its download hangs.
    let downloading = eventually(DEADLINE, async || requests_matching(&fake, |r| r.url.path().contains("/attachments/")).await >= 1).await;
    assert!(downloading, "the attachment download started");
    assert!(eventually(DEADLINE, async || requests_matching(&fake, |r| r.method.as_str() == "POST").await >= 1).await, "the upload started");
    // Meanwhile a text to another customer goes out at once.
    let quick = outbox::queue(&mut store, &account, "+447911123470", text("your order is ready"), None).unwrap();
    let sent = eventually(DEADLINE, async || store.message(quick.id).unwrap().status == MessageStatus::Sent).await;
    assert!(sent, "a text is not held up by the account's hung download and upload backlog: {:?}", store.message(quick.id).unwrap().status);
    assert_eq!(store.message(upload.id).unwrap().status, MessageStatus::Sending, "the upload is still in flight");
    assert_eq!(store.message(same_chat_text.id).unwrap().status, MessageStatus::Pending, "a later text in the upload's conversation keeps its place behind it");

    stop.send(()).unwrap();
    tokio::time::timeout(wicket_core::engine::SHUTDOWN_GRACE + DEADLINE, running).await.expect("the engine stops").unwrap().unwrap();
}

/// A secret store that answers like a locked keychain while `locked`.
struct Lockable {
    locked: AtomicBool,
    reads: AtomicUsize,
    inner: MemoryBackend,
}

impl SecretBackend for Lockable {
    fn kind(&self) -> &'static str {
        "keychain"
    }
    fn get(&self, key: &str) -> Result<Option<Secret>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.locked.load(Ordering::SeqCst) {
            return Err(Error::Secrets(format!("the OS keychain could not read {key}: the keychain refused access, is it locked?")));
        }
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<bool> {
        self.inner.delete(key)
    }
}

async fn fake_graph() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex("^/v23.0/PN[0-9]+/messages$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.OK"}], "contacts": [{"wa_id": "447911123456"}]})))
        .mount(&server)
        .await;
    server
}

fn meta_account(store: &mut Store, name: &str, pn: &str, fake: &MockServer) -> Account {
    let config = json!({"phone_number_id": pn, "business_account_id": "W", "base_url": fake.uri()});
    let account = store.add_account(&NewAccount { provider: Provider::Meta, name: name.into(), phone: None, config }).unwrap();
    // An open customer-service window, so free text may be queued.
    customer_wrote(store, account.id, &format!("wamid.IN.{pn}"));
    account
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_keychain_delays_a_send_and_a_missing_secret_fails_it_with_the_reason() {
    let fake = fake_graph().await;
    let backend = Arc::new(Lockable { locked: AtomicBool::new(false), reads: AtomicUsize::new(0), inner: MemoryBackend::new() });
    let secrets = Arc::new(SecretStore::from_backend(backend.clone(), "locked").unwrap());
    let (_tmp, dir, mut store, _) = setup("unused");
    let shop = meta_account(&mut store, "Shop", "PN1", &fake);
    secrets.set(shop.id, SecretName::AccessToken, &Secret::new("tok".into())).unwrap();
    let no_token = meta_account(&mut store, "No token", "PN2", &fake);
    backend.locked.store(true, Ordering::SeqCst);

    let waiting = outbox::queue(&mut store, &shop, "+447911123456", text("sent once unlocked"), None).unwrap();
    let doomed = outbox::queue(&mut store, &no_token, "+447911123456", text("no token to send with"), None).unwrap();
    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets, None).unwrap());

    // Locked: the keychain is asked, and asked again later, while both messages
    // wait (a locked keychain cannot tell a missing token either).
    assert!(eventually(DEADLINE, async || backend.reads.load(Ordering::SeqCst) >= 4).await, "the engine tries the keychain again");
    for id in [waiting.id, doomed.id] {
        let m = store.message(id).unwrap();
        assert_eq!(m.status, MessageStatus::Pending, "a locked keychain only delays a send: {:?}", m.error);
    }
    assert_eq!(requests_matching(&fake, |_| true).await, 0, "nothing was sent without the token");
    // The account says why it waits (its banner in the window, `wicket accounts`).
    let said = eventually(DEADLINE, async || {
        let a = store.account(shop.id).unwrap();
        a.status == AccountStatus::Retrying && a.status_reason.as_deref().is_some_and(|r| r.starts_with("waiting for the secret store") && r.contains("locked"))
    })
    .await;
    assert!(said, "a locked keychain shows on the account: {:?}", store.account(shop.id).unwrap());

    // Unlocked: the message is sent; the missing token fails its message with what to do.
    backend.locked.store(false, Ordering::SeqCst);
    let sent = eventually(Duration::from_secs(90), async || store.message(waiting.id).unwrap().status == MessageStatus::Sent).await;
    assert!(sent, "once unlocked the message is sent: {:?}", store.message(waiting.id).unwrap());
    let failed = eventually(Duration::from_secs(90), async || store.message(doomed.id).unwrap().status == MessageStatus::Failed).await;
    assert!(failed, "a missing secret fails the send: {:?}", store.message(doomed.id).unwrap().status);
    let reason = store.message(doomed.id).unwrap().error.unwrap().message;
    assert!(reason.contains("no access token stored") && reason.contains(wicket_core::secrets::REENTER_HINT), "{reason}");
    let cleared = eventually(DEADLINE, async || !store.account(shop.id).unwrap().status_reason.is_some_and(|r| r.contains("secret store"))).await;
    assert!(cleared, "the reason goes once the keychain answers: {:?}", store.account(shop.id).unwrap());
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_retry_after_neither_panics_nor_stalls_anyone() {
    let absurd = "18446744073709551615";
    let throttled = MockServer::start().await;
    let too_many = || ResponseTemplate::new(429).insert_header("Retry-After", absurd).set_body_bytes(fixture("unipile", "unipile_error_rate_limit.json"));
    Mock::given(any()).respond_with(too_many()).mount(&throttled).await;
    let healthy = healthy_unipile().await;
    let (_tmp, dir, mut store, secrets) = setup("absurd");
    let a = unipile_account(&mut store, &secrets, "Throttled", &throttled);
    let b = unipile_account(&mut store, &secrets, "Healthy", &healthy);
    let a_msg = outbox::queue(&mut store, &a, "+447911123460", text("throttled"), None).unwrap();
    let engine = Engine::start(dir.clone(), secrets, None).unwrap();
    engine.activity().set_active(true);
    let (stop, running) = run_engine(engine);

    // The throttled account waits an hour at most, and says so.
    let retrying = eventually(DEADLINE, async || {
        let acc = store.account(a.id).unwrap();
        acc.status == AccountStatus::Retrying && acc.status_reason.as_deref().is_some_and(|r| r.contains("retrying in 3600 s"))
    })
    .await;
    assert!(retrying, "an absurd Retry-After becomes an hour: {:?}", store.account(a.id).unwrap().status_reason);
    let retried = eventually(DEADLINE, async || store.message(a_msg.id).unwrap().attempts >= 1).await;
    assert!(retried, "the throttled send was answered");
    let m = store.message(a_msg.id).unwrap();
    let next: i64 =
        store.conn().query_row("SELECT next_attempt_at FROM messages WHERE id = ?1", [a_msg.id], |r| r.get(0)).expect("the send is scheduled again");
    assert!(m.status == MessageStatus::Pending && next > wicket_core::time::now_ms() + 3_000_000, "the send waits about an hour: {m:?}");
    assert!(next <= wicket_core::time::now_ms() + 3_600_000 + 5_000, "never longer than an hour: {m:?}");

    // The engine keeps running and the other account is served.
    let b_msg = outbox::queue(&mut store, &b, "+447911123470", text("healthy"), None).unwrap();
    assert!(eventually(DEADLINE, async || store.message(b_msg.id).unwrap().status == MessageStatus::Sent).await, "the other account still sends");
    assert!(eventually(DEADLINE, async || store.message_by_provider_id(b.id, "mSg1AbCdEfGhIjKlMnOpQr").unwrap().is_some()).await);
    // No busy loop: the throttled provider is not asked again within the hour.
    let asked = requests_matching(&throttled, |r| r.url.path() == "/api/v1/messages").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(requests_matching(&throttled, |r| r.url.path() == "/api/v1/messages").await, asked, "no poll before the hour is up");
    assert!(!running.is_finished(), "the engine did not panic");
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_jobs_run_on_their_own_connection_and_a_slow_one_stalls_nothing() {
    let fake = fake_graph().await;
    let (_tmp, dir, mut store, secrets) = setup("jobs");
    let shop = meta_account(&mut store, "Shop", "PN1", &fake);
    secrets.set(shop.id, SecretName::AccessToken, &Secret::new("tok".into())).unwrap();
    let mut engine = Engine::start(dir.clone(), secrets, None).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    engine.add_periodic_job(PeriodicJob::new("count", Duration::from_secs(1), move |store, _dir| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        store.set_setting("test_job_runs", &json!(n))
    }));
    // A job that takes far longer than any send (pruning a huge table, say).
    engine.add_periodic_job(PeriodicJob::new("slow", Duration::from_secs(3600), |_store, _dir| {
        std::thread::sleep(Duration::from_secs(5));
        Ok(())
    }));
    let (stop, running) = run_engine(engine);

    let m = outbox::queue(&mut store, &shop, "+447911123456", text("hello"), None).unwrap();
    assert!(eventually(DEADLINE, async || store.message(m.id).unwrap().status == MessageStatus::Sent).await, "sends go on beside the jobs");
    assert!(
        eventually(DEADLINE, async || store.setting("test_job_runs").unwrap().and_then(|v| v.as_u64()).is_some_and(|n| n >= 2)).await,
        "the job ran, and ran again, writing through its own connection"
    );
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}
