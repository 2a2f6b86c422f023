//! The outbox and media downloads against a fake Graph API on loopback:
//! retries with backoff, retries exhausted, terminal errors, local checks
//! (window, templates), and inbound media verified before it is stored.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;
use support::{data_dir, text};
use wicket_core::error::{Error, ErrorKind};
use wicket_core::model::{Direction, MediaState, MessageKind, MessageStatus, Provider};
use wicket_core::providers::{OutgoingContent, ProviderClient, TemplateParam};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::ContactKey;
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
    let (_tmp, dir, mut store) = data_dir();
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
    Setup { _tmp, dir, store, secrets, account }
}

/// Opens the 24-hour window with an inbound message from +447911123456.
fn customer_wrote(s: &mut Setup) {
    support::customer_wrote(&mut s.store, s.account.id, "wamid.IN");
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
    // The gap per recipient is tested in tests/ratelimit.rs; here one number gets five in a row.
    config["recipient_gap_seconds"] = json!(0);
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
    // 5 sends at 2 per second, no burst: each waits its own half second (≥ 2 s in all).
    assert!(started.elapsed() >= Duration::from_millis(1900), "the limiter paced the sends: {:?}", started.elapsed());
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
async fn a_send_left_in_sending_by_a_dead_process_becomes_unknown_never_resent() {
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
    assert!(!s.store.claim_for_sending(queued.id, t0 + 60_000, 60_000).unwrap(), "an expired claim is never taken over");
    // The sender died mid-request long ago: the outbox finds the expired claim.
    assert!(s.store.outbox_due(wicket_core::time::now_ms(), 10).unwrap().iter().any(|m| m.id == queued.id));
    let client = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    match outbox::attempt(&mut s.store, &client, queued.id).await.unwrap() {
        outbox::Attempt::Unknown(m, pe) => {
            assert_eq!(m.status, MessageStatus::Unknown);
            assert_eq!(pe.kind, ErrorKind::OutcomeUnknown);
            assert!(pe.message.contains("may have been sent"), "{}", pe.message);
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty(), "never sent again blindly");
    let err = outbox::send_with_retries(&mut s.store, &s.secrets, queued.id, Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(err.exit_code(), 8);
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(s.store.outbox_due(i64::MAX, 10).unwrap().iter().all(|m| m.id != queued.id), "an unknown send is not in the outbox");

    // Meta's status webhook carries our id (biz_opaque_callback_data): it settles it.
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": "PN1"},
        "statuses": [{"id": "wamid.WENT", "status": "delivered", "timestamp": "1767269010", "recipient_id": "447911123456",
                      "biz_opaque_callback_data": queued.id.to_string()}]
    }}]}]});
    let changes = wicket_core::providers::meta::webhook::parse_payload(body.to_string().as_bytes()).unwrap();
    let events: Vec<_> = changes.into_iter().flat_map(|c| c.events).collect();
    s.store.write(|tx| wicket_core::ingest::apply(tx, s.account.id, &events)).unwrap();
    let m = s.store.message(queued.id).unwrap();
    assert_eq!((m.status, m.provider_message_id.as_deref()), (MessageStatus::Delivered, Some("wamid.WENT")));
    assert!(m.error.is_none(), "settled: the doubt is gone");
    assert!(outbox::retry(&mut s.store, queued.id).is_err(), "a delivered message cannot be resent");
}

#[tokio::test]
async fn the_owner_can_resend_an_unknown_message_on_purpose() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.AGAIN"}]})))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("again"), None).unwrap();
    assert!(s.store.claim_for_sending(queued.id, 1_000, 1_000).unwrap());
    assert!(s.store.expire_send(queued.id, wicket_core::time::now_ms()).unwrap(), "the claim ran out: unknown");
    assert_eq!(s.store.message(queued.id).unwrap().status, MessageStatus::Unknown);
    let again = outbox::retry(&mut s.store, queued.id).unwrap();
    assert_eq!((again.status, again.attempts), (MessageStatus::Pending, 0));
    assert!(again.error.is_none());
    let sent = outbox::send_with_retries(&mut s.store, &s.secrets, queued.id, Duration::from_secs(5)).await.unwrap();
    assert_eq!((sent.status, sent.provider_message_id.as_deref()), (MessageStatus::Sent, Some("wamid.AGAIN")));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn asking_to_send_a_failed_message_reports_the_failure() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("x"), None).unwrap();
    let refusal = wicket_core::error::ProviderError {
        code: Some("131026".into()),
        kind: ErrorKind::InvalidRecipient,
        message: "the number is not on WhatsApp".into(),
        retry_after: None,
    };
    s.store.set_message_status(queued.id, MessageStatus::Failed, Some(&refusal)).unwrap();
    let err = outbox::send_with_retries(&mut s.store, &s.secrets, queued.id, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err.exit_code(), 4, "refused, not success: {err:?}");
    assert_eq!(err.provider_error().unwrap().kind, ErrorKind::InvalidRecipient);
    let client = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    assert!(matches!(outbox::attempt(&mut s.store, &client, queued.id).await.unwrap(), outbox::Attempt::Failed(..)));
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_long_send_keeps_its_claim_by_renewing_the_lease() {
    // A send (an upload) that takes far longer than the lease: its sender
    // renews the claim, so a second sender never takes it over (nor calls
    // it unknown) while it runs.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.LONG"}]})).set_delay(Duration::from_millis(3000)))
        .mount(&server)
        .await;
    let mut s = setup(&server).await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("big file"), None).unwrap();
    let timing = outbox::SendTiming { lease: Duration::from_millis(800), renew_every: Duration::from_millis(100), ..Default::default() };
    let mut other = Store::open(&s.dir.db_path()).unwrap();
    let client_a = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let client_b = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let id = queued.id;
    let started = std::time::Instant::now();
    let second = async {
        let mut seen = vec![];
        tokio::time::sleep(Duration::from_millis(100)).await;
        while other.message(id).unwrap().status == MessageStatus::Sending {
            let outcome = outbox::attempt_with(&mut other, &client_b, id, &timing).await.unwrap();
            seen.push((format!("{outcome:?}").split('(').next().unwrap_or_default().to_string(), started.elapsed()));
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        seen
    };
    let (first, seen) = tokio::join!(outbox::attempt_with(&mut s.store, &client_a, id, &timing), second);
    assert!(matches!(first.unwrap(), outbox::Attempt::Sent(_)));
    assert!(seen.iter().any(|(_, at)| *at > timing.lease * 2), "the second sender looked again after the first lease ran out: {seen:?}");
    assert!(seen.iter().all(|(o, _)| o == "Claimed"), "the live claim was respected every time: {seen:?}");
    assert_eq!(s.store.message(id).unwrap().status, MessageStatus::Sent);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Holds the store's write lock for a while as soon as the provider answers.
struct LockTheStoreThenAnswer {
    db: std::path::PathBuf,
    hold: Duration,
}

impl wiremock::Respond for LockTheStoreThenAnswer {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        let hold = self.hold;
        std::thread::spawn(move || {
            std::thread::sleep(hold);
            conn.execute_batch("COMMIT").unwrap();
        });
        ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.BUSY"}]}))
    }
}

#[tokio::test]
async fn an_accepted_send_is_recorded_even_while_the_store_is_busy() {
    let server = MockServer::start().await;
    let mut s = setup(&server).await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(LockTheStoreThenAnswer { db: s.dir.db_path(), hold: Duration::from_millis(1500) })
        .mount(&server)
        .await;
    customer_wrote(&mut s);
    let queued = outbox::queue(&mut s.store, &s.account, "+447911123456", text("busy"), None).unwrap();
    // A short busy timeout: the store reports SQLITE_BUSY while the lock is held.
    s.store.set_busy_timeout(Duration::from_millis(50)).unwrap();
    let client = ProviderClient::for_account(&s.account, &s.secrets).unwrap();
    let timing = outbox::SendTiming { accepted_write_deadline: Duration::from_secs(20), ..Default::default() };
    let outcome = outbox::attempt_with(&mut s.store, &client, queued.id, &timing).await.unwrap();
    assert!(matches!(outcome, outbox::Attempt::Sent(_)), "{outcome:?}");
    let m = s.store.message(queued.id).unwrap();
    assert_eq!((m.status, m.provider_message_id.as_deref()), (MessageStatus::Sent, Some("wamid.BUSY")));
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "sent once");
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

/// A message of `provider` to +447911123456 whose send's outcome is unknown
/// (its sender died mid-request).
fn unknown_send(store: &mut Store, provider: Provider, body: &str) -> (Account, i64) {
    let account = store.add_account(&NewAccount { provider, name: "Gateway".into(), phone: None, config: json!({}) }).unwrap();
    let queued = outbox::queue(store, &account, "+447911123456", text(body), None).unwrap();
    assert!(store.claim_for_sending(queued.id, 1_000, 1_000).unwrap());
    assert!(store.expire_send(queued.id, wicket_core::time::now_ms()).unwrap());
    (account, queued.id)
}

#[tokio::test]
async fn unipile_settles_an_unknown_send_from_its_message_list() {
    let server = MockServer::start().await;
    let s = setup(&server).await;
    let mut store = s.store;
    let (account, id) = unknown_send(&mut store, Provider::Unipile, "parcel ready");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let jid = "447911123456@s.whatsapp.net";
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .and(wiremock::matchers::query_param("account_id", "ACC1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "MessageList", "cursor": null, "items": [
            {"object": "Message", "id": "uni-theirs", "chat_id": "chat-9", "chat_provider_id": jid, "is_sender": 0, "text": "parcel ready", "timestamp": now},
            {"object": "Message", "id": "uni-other", "chat_id": "chat-9", "chat_provider_id": jid, "is_sender": 1, "text": "something else", "timestamp": now},
            {"object": "Message", "id": "uni-77", "chat_id": "chat-9", "chat_provider_id": jid, "is_sender": 1, "text": "parcel ready", "timestamp": now},
        ]})))
        .mount(&server)
        .await;
    let client = ProviderClient::Unipile(
        wicket_core::providers::unipile::UnipileClient::new(&server.uri(), Secret::new("unipile-key-123".into()), Some("ACC1".into())).unwrap(),
    );
    let settled = outbox::settle_unknown(&mut store, &client, account.id).await.unwrap();
    assert_eq!(settled, vec![(id, MessageStatus::Sent)]);
    let m = store.message(id).unwrap();
    assert_eq!((m.status, m.provider_message_id.as_deref()), (MessageStatus::Sent, Some("uni-77")), "our own message with our text");
    assert!(m.error.is_none());
    assert_eq!(store.conversation(m.conversation_id).unwrap().provider_chat_id.as_deref(), Some("chat-9"));
    assert!(outbox::settle_unknown(&mut store, &client, account.id).await.unwrap().is_empty(), "nothing left to settle");
}

#[tokio::test]
async fn wasender_settles_an_unknown_send_by_message_info() {
    let server = MockServer::start().await;
    let s = setup(&server).await;
    let mut store = s.store;
    let (account, id) = unknown_send(&mut store, Provider::Wasender, "see you");
    let client = ProviderClient::Wasender(
        wicket_core::providers::wasender::WasenderClient::new(server.uri(), Secret::new("wasender-key-123".into()), None, None).unwrap(),
    );
    assert!(outbox::settle_unknown(&mut store, &client, account.id).await.unwrap().is_empty(), "without a msgId there is nothing to ask");
    store.conn().execute("UPDATE messages SET provider_send_id = '100482' WHERE id = ?1", [id]).unwrap();
    Mock::given(method("GET"))
        .and(path("/messages/100482/info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
            "msgId": 100482, "key": {"id": "3EB0C0FFEE", "fromMe": true, "remoteJid": "447911123456@s.whatsapp.net"}, "status": 3
        }})))
        .mount(&server)
        .await;
    let settled = outbox::settle_unknown(&mut store, &client, account.id).await.unwrap();
    assert_eq!(settled, vec![(id, MessageStatus::Delivered)]);
    let m = store.message(id).unwrap();
    assert_eq!((m.status, m.provider_message_id.as_deref()), (MessageStatus::Delivered, Some("3EB0C0FFEE")));
}

#[tokio::test]
async fn a_gateway_echo_of_an_unknown_send_settles_it() {
    // WASender's `message.sent` / UniPile's polled copy of our own message
    // (same text, moments later) proves the send went out.
    let server = MockServer::start().await;
    let s = setup(&server).await;
    let mut store = s.store;
    let (_account, id) = unknown_send(&mut store, Provider::Wasender, "echoed");
    let conversation = store.message(id).unwrap().conversation_id;
    let echo = wicket_core::store::messages::unconfirmed_send(store.conn(), conversation, Some("echoed"), wicket_core::time::now_ms()).unwrap();
    assert_eq!(echo, Some(id), "an unknown send is matched by its echo");
    store.set_message_provider_id(id, "3EB0ECHO").unwrap();
    let m = store.message(id).unwrap();
    assert_eq!((m.status, m.provider_message_id.as_deref()), (MessageStatus::Sent, Some("3EB0ECHO")));
}
