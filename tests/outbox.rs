//! The outbox and media downloads against a fake Graph API on loopback:
//! retries with backoff, retries exhausted, terminal errors, local checks
//! (window, templates), and inbound media verified before it is stored.

use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;
use wicket_core::error::{Error, ErrorKind};
use wicket_core::model::{Direction, MediaState, MessageKind, MessageStatus, Provider};
use wicket_core::providers::{OutgoingContent, ProviderClient, TemplateParam};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::media::NewMedia;
use wicket_core::store::messages::NewMessage;
use wicket_core::store::templates::NewTemplate;
use wicket_core::store::{Account, NewAccount, Store};
use wicket_core::{outbox, DataDir};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Setup {
    _tmp: tempfile::TempDir,
    dir: DataDir,
    store: Store,
    secrets: SecretStore,
    account: Account,
}

async fn setup(server: &MockServer) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(tmp.path()).unwrap();
    let mut store = Store::open(&dir.db_path()).unwrap();
    store.set_setting("default_country", &json!("GB")).unwrap();
    let account = store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: None,
            config: json!({"phone_number_id": "PN1", "business_account_id": "WABA1", "base_url": server.uri()}),
        })
        .unwrap();
    let secrets = SecretStore::in_memory("test-dir");
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok-123".into())).unwrap();
    Setup { _tmp: tmp, dir, store, secrets, account }
}

/// Opens the 24-hour window with an inbound message from +447911123456.
fn customer_wrote(s: &mut Setup) {
    let c = s.store.upsert_contact(s.account.id, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
    let conv = s.store.get_or_create_conversation(s.account.id, c.id).unwrap();
    s.store
        .insert_message(&NewMessage {
            account_id: s.account.id,
            conversation_id: conv,
            provider_message_id: Some("wamid.IN".into()),
            direction: Some(Direction::In),
            kind: Some(MessageKind::Text),
            text: Some("hi".into()),
            ..Default::default()
        })
        .unwrap();
}

fn text(body: &str) -> OutgoingContent {
    OutgoingContent::Text { body: body.into(), preview_url: false }
}

fn graph_error(code: i64) -> serde_json::Value {
    json!({"error": {"message": format!("(#{code}) error"), "type": "OAuthException", "code": code, "fbtrace_id": "x"}})
}

#[tokio::test]
async fn a_retryable_error_is_retried_then_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>down</html>"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.OK"}], "contacts": [{"wa_id": "447911123456"}]})))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "07911 123456", text("ready"), None).unwrap();
    assert_eq!(queued.status, MessageStatus::Pending, "a send is stored before it is sent");
    let sent = outbox::send_with_retries(&mut s.store, &s.secrets, queued.id, Duration::from_secs(30)).await.unwrap();
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.provider_message_id.as_deref(), Some("wamid.OK"));
    assert_eq!(sent.attempts, 2, "one failed attempt, one that worked");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn retries_end_when_the_budget_is_spent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(400).set_body_json(graph_error(130429)))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("x"), None).unwrap();
    let err = outbox::send_with_retries(&mut s.store, &s.secrets, queued.id, Duration::from_secs(1)).await.unwrap_err();
    match &err {
        Error::RetriesExhausted(pe) => assert_eq!(pe.kind, ErrorKind::RateLimited),
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(err.exit_code(), 5);
    let m = s.store.message(queued.id).unwrap();
    assert_eq!(m.status, MessageStatus::Failed, "an exhausted send is failed with the reason");
    assert_eq!(m.error.unwrap().code.as_deref(), Some("130429"));
}

#[tokio::test]
async fn a_terminal_error_fails_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(400).set_body_json(graph_error(131026)))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("x"), None).unwrap();
    let err = outbox::send_with_retries(&mut s.store, &s.secrets, queued.id, Duration::from_secs(30)).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "refused by the provider");
    assert_eq!(err.provider_error().unwrap().kind, ErrorKind::InvalidRecipient);
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "a terminal error is not retried");
    assert_eq!(s.store.message(queued.id).unwrap().status, MessageStatus::Failed);
}

#[tokio::test]
async fn outside_the_window_only_templates_are_queued() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    let err = outbox::queue(&mut s.store, &s.account, "+447911123456", text("hello"), None).unwrap_err();
    assert_eq!(err.provider_error().unwrap().kind, ErrorKind::OutsideWindow);
    assert!(err.to_string().contains("send an approved template"));
    let template = OutgoingContent::Template {
        name: "order_ready".into(),
        language: "en_US".into(),
        header_params: vec![],
        body_params: vec![TemplateParam::Positional("Priya".into())],
        button_params: vec![],
    };
    assert!(
        matches!(outbox::queue(&mut s.store, &s.account, "+447911123456", template.clone(), None), Err(Error::NotFound(_))),
        "an unsynced template is refused"
    );
    s.store
        .replace_templates(
            s.account.id,
            &[NewTemplate {
                provider_template_id: Some("1".into()),
                name: "order_ready".into(),
                language: "en_US".into(),
                status: "APPROVED".into(),
                category: Some("UTILITY".into()),
                parameter_format: "POSITIONAL".into(),
                components: json!([{"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready"}]),
            }],
        )
        .unwrap();
    let err = outbox::queue(&mut s.store, &s.account, "+447911123456", template, None).unwrap_err();
    assert!(err.to_string().contains('2'), "the parameter count is checked before sending: {err}");
    let ok = OutgoingContent::Template {
        name: "order_ready".into(),
        language: "en_US".into(),
        header_params: vec![],
        body_params: vec![TemplateParam::Positional("Priya".into()), TemplateParam::Positional("#4521".into())],
        button_params: vec![],
    };
    let m = outbox::queue(&mut s.store, &s.account, "+447911123456", ok, None).unwrap();
    assert_eq!(m.kind, MessageKind::Template);
    assert_eq!(m.status, MessageStatus::Pending);
}

#[tokio::test]
async fn inbound_media_is_verified_before_it_is_stored() {
    let server = MockServer::start().await;
    let bytes = b"\x89PNG fake image bytes".to_vec();
    let sha = hex::encode(Sha256::digest(&bytes));
    for (id, hash) in [("MEDIA_OK", sha.clone()), ("MEDIA_BAD", "00".repeat(32))] {
        Mock::given(method("GET"))
            .and(path(format!("/v23.0/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"url": format!("{}/dl/{id}", server.uri()), "mime_type": "image/png", "sha256": hash, "file_size": bytes.len(), "id": id}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/dl/{id}")))
            .and(header("authorization", "Bearer tok-123"))
            .respond_with(ResponseTemplate::new(200).insert_header("content-type", "image/png").set_body_bytes(bytes.clone()))
            .mount(&server)
            .await;
    }
    let mut s = setup(&server).await;
    let client = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let good = s
        .store
        .insert_media(&NewMedia {
            account_id: s.account.id,
            provider_media_id: Some("MEDIA_OK".into()),
            file_name: Some("../../etc/passwd".into()),
            ..Default::default()
        })
        .unwrap();
    let good = s.store.media_file(good).unwrap();
    let rel = wicket_core::media_fetch::fetch_one(&mut s.store, &s.dir, &client, &good).await.unwrap();
    assert!(rel.starts_with("media/") && rel.ends_with(".png") && !rel.contains("passwd"), "a generated name, never the sender's: {rel}");
    assert_eq!(std::fs::read(s.dir.root().join(&rel)).unwrap(), bytes);
    let stored = s.store.media_file(good.id).unwrap();
    assert_eq!(stored.state, MediaState::Downloaded);
    assert_eq!(stored.sha256.as_deref(), Some(sha.as_str()));

    let bad = s.store.insert_media(&NewMedia { account_id: s.account.id, provider_media_id: Some("MEDIA_BAD".into()), ..Default::default() }).unwrap();
    let bad = s.store.media_file(bad).unwrap();
    assert!(wicket_core::media_fetch::fetch_one(&mut s.store, &s.dir, &client, &bad).await.is_err());
    let failed = s.store.media_file(bad.id).unwrap();
    assert_eq!(failed.state, MediaState::Failed, "a hash mismatch is a failed download");
    assert!(failed.path.is_none(), "and never a stored file");
    let files: Vec<_> = walk(&s.dir.media_dir());
    assert_eq!(files.len(), 1, "only the verified file is on disk: {files:?}");

    // A failed download is retried later, backing off, and given up after 10 tries.
    let now = wicket_core::time::now_ms();
    assert!(s.store.media_to_fetch(now, 10).unwrap().iter().all(|m| m.id != bad.id), "not retried at once");
    assert!(s.store.media_to_fetch(now + 61_000, 10).unwrap().iter().any(|m| m.id == bad.id), "due again about a minute later");
    let mut last = failed.clone();
    for _ in 1..10 {
        let _ = wicket_core::media_fetch::fetch_one(&mut s.store, &s.dir, &client, &last).await;
        last = s.store.media_file(bad.id).unwrap();
    }
    assert!(s.store.media_to_fetch(wicket_core::time::now_ms() + 61_000, 10).unwrap().iter().all(|m| m.id != bad.id), "later tries wait longer");
    assert_eq!(last.attempts, 10);
    assert!(s.store.media_to_fetch(i64::MAX, 10).unwrap().iter().all(|m| m.id != bad.id), "after 10 attempts it is no longer fetched");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[tokio::test]
async fn sends_respect_the_accounts_rate_limit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.X"}]})))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    let mut config = s.account.config.clone();
    config["max_per_second"] = json!(2);
    s.store.update_account_config(s.account.id, &config).unwrap();
    s.account = s.store.account(s.account.id).unwrap();
    customer_wrote(&mut s);
    let client = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let started = std::time::Instant::now();
    for i in 0..5 {
        Mock::given(method("POST"))
            .and(path("/v23.0/PN1/messages"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": format!("wamid.{i}")}]})))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        let m = outbox::queue(&mut s.store, &s.account, "+447911123456", text("x"), None).unwrap();
        assert!(matches!(outbox::attempt(&mut s.store, &client, m.id).await.unwrap(), outbox::Attempt::Sent(_)));
    }
    // 5 sends at 2 per second: the burst of 2 goes at once, the other 3 wait ≥ 1.5 s in all.
    assert!(started.elapsed() >= Duration::from_millis(1400), "the limiter paced the sends: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_bad_token_marks_the_account_as_needing_a_new_one() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/PN1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "error_subcode": 463}}),
        ))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    let client = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let result = client.test_connection().await;
    assert_eq!(result.as_ref().unwrap_err().provider_error().unwrap().kind, ErrorKind::Auth);
    wicket_core::accounts::record_connection_test(&mut s.store, s.account.id, &result).unwrap();
    let a = s.store.account(s.account.id).unwrap();
    assert_eq!(a.status, wicket_core::model::AccountStatus::NeedsToken);
    assert!(a.status_reason.unwrap().contains("new token"));
}

#[tokio::test]
async fn two_senders_never_send_the_same_message_twice() {
    // The engine and a `wicket send` (two store handles on one file) both
    // find the message due; the claim lets exactly one of them send it.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.ONCE"}]})).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("once"), None).unwrap();
    let mut other = Store::open(&s.dir.db_path()).unwrap();
    let client_a = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let client_b = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let (a, b) = tokio::join!(outbox::attempt(&mut s.store, &client_a, queued.id), outbox::attempt(&mut other, &client_b, queued.id));
    let outcomes = [a.unwrap(), b.unwrap()];
    let sent = outcomes.iter().filter(|o| matches!(o, outbox::Attempt::Sent(_))).count();
    let claimed = outcomes.iter().filter(|o| matches!(o, outbox::Attempt::Claimed(_))).count();
    assert_eq!((sent, claimed), (1, 1), "one sender sends, the other sees the claim");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "the provider got the message once");
    assert_eq!(s.store.message(queued.id).unwrap().status, MessageStatus::Sent);
}

#[tokio::test]
async fn a_send_left_in_sending_by_a_dead_process_is_retried_after_its_lease() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.LATE"}]})))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("lost"), None).unwrap();
    let t0 = 1_000_000;
    assert!(s.store.claim_for_sending(queued.id, t0, 60_000).unwrap(), "the first claim wins");
    assert!(!s.store.claim_for_sending(queued.id, t0 + 59_000, 60_000).unwrap(), "a live claim is respected");
    assert!(s.store.outbox_due(t0 + 59_000, 10).unwrap().iter().all(|m| m.id != queued.id), "a claimed message is not due");
    assert!(s.store.outbox_due(t0 + 60_000, 10).unwrap().iter().any(|m| m.id == queued.id), "an expired claim makes it due again");
    assert!(s.store.claim_for_sending(queued.id, t0 + 60_000, 60_000).unwrap(), "an expired claim can be taken");
}

#[tokio::test]
async fn opening_a_conversation_marks_it_read_on_meta_unless_the_setting_says_not() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .and(wiremock::matchers::body_partial_json(json!({"status": "read"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let conv = s.store.conversations(&wicket_core::store::ConversationFilter { limit: 10, ..Default::default() }).unwrap()[0].id;
    let opened = wicket_core::inbox::open_conversation(&mut s.store, &s.secrets, conv).await.unwrap();
    assert_eq!(opened.marked_read, 1);
    assert!(opened.warnings.is_empty(), "{:?}", opened.warnings);
    let reads = server.received_requests().await.unwrap();
    assert_eq!(reads.len(), 1, "Meta is told once");
    assert_eq!(reads[0].body_json::<serde_json::Value>().unwrap()["message_id"], json!("wamid.IN"));

    // With the setting off, only the local state changes.
    s.store.set_setting("mark_read_on_provider", &json!(false)).unwrap();
    let c = s.store.find_contact(s.account.id, &ContactKey::phone("+447911123456")).unwrap().unwrap();
    let conv2 = s.store.get_or_create_conversation(s.account.id, c.id).unwrap();
    s.store
        .insert_message(&NewMessage {
            account_id: s.account.id,
            conversation_id: conv2,
            provider_message_id: Some("wamid.IN2".into()),
            direction: Some(Direction::In),
            kind: Some(MessageKind::Text),
            text: Some("again".into()),
            ..Default::default()
        })
        .unwrap();
    let opened = wicket_core::inbox::open_conversation(&mut s.store, &s.secrets, conv2).await.unwrap();
    assert_eq!(opened.marked_read, 1, "read locally");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "Meta is not told when mark_read_on_provider is false");
}
