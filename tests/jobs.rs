//! Background jobs: the retry job requeues only failed sends whose error may
//! pass by itself, within its caps; the engine runs the template sync, the
//! retry job and the daily maintenance by itself, records each run, and runs
//! the template sync again when asked (a template webhook does).

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::{customer_wrote, data_dir, fixture, requests_to, run_engine, text};
use wicket_core::engine::Engine;
use wicket_core::error::{ErrorKind, ProviderError};
use wicket_core::jobs::{self, retry_failed};
use wicket_core::model::{MessageStatus, Provider};
use wicket_core::outbox;
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::{Account, NewAccount, Store};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn meta_account(store: &mut Store, base_url: &str) -> Account {
    store
        .add_account(&NewAccount {
            provider: Provider::Meta,
            name: "Shop".into(),
            phone: None,
            config: json!({"phone_number_id": "PN1", "business_account_id": "W", "base_url": base_url}),
        })
        .unwrap()
}

fn fail(store: &mut Store, id: i64, kind: ErrorKind) {
    let pe = ProviderError { code: Some("503".into()), kind, message: format!("{} (test)", kind.as_str()), retry_after: None };
    store.set_message_status(id, MessageStatus::Failed, Some(&pe)).unwrap();
}

fn sql(store: &Store, statement: &str, id: i64) {
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute(statement, [id]).unwrap();
}

#[test]
fn the_retry_job_requeues_only_failures_that_may_pass_within_its_caps() {
    let (_tmp, _dir, mut store) = data_dir();
    let account = meta_account(&mut store, "http://127.0.0.1:9");
    customer_wrote(&mut store, account.id, "wamid.IN");
    let queue = |store: &mut Store, body: &str| outbox::queue(store, &account, "+447911123456", text(body), None).unwrap().id;
    let unavailable = queue(&mut store, "provider down");
    let throttled = queue(&mut store, "throttled");
    let refused = queue(&mut store, "bad number");
    let unknown = queue(&mut store, "maybe sent");
    let old = queue(&mut store, "yesterday");
    fail(&mut store, unavailable, ErrorKind::Unavailable);
    fail(&mut store, throttled, ErrorKind::RateLimited);
    fail(&mut store, refused, ErrorKind::InvalidRecipient);
    fail(&mut store, old, ErrorKind::Unavailable);
    store.set_message_status(unknown, MessageStatus::Unknown, None).unwrap();
    let day_ago = wicket_core::time::now_ms() - retry_failed::MAX_AGE.as_millis() as i64 - 60_000;
    sql(&store, &format!("UPDATE messages SET created_at = {day_ago} WHERE id = ?1"), old);

    let summary = retry_failed::run(&mut store, wicket_core::time::now_ms()).unwrap();
    assert_eq!(summary.requeued, vec![unavailable, throttled]);
    assert!(summary.refused.is_empty(), "{summary:?}");
    for id in [unavailable, throttled] {
        let m = store.message(id).unwrap();
        assert_eq!(m.status, MessageStatus::Pending, "back in the outbox");
        assert_eq!(m.error, None, "the old error is gone");
    }
    assert_eq!(store.message(refused).unwrap().status, MessageStatus::Failed, "a terminal error needs the owner");
    assert_eq!(store.message(unknown).unwrap().status, MessageStatus::Unknown, "never sent twice blindly");
    assert_eq!(store.message(old).unwrap().status, MessageStatus::Failed, "past the age cap");

    // It fails again each time: after MAX_RETRIES automatic retries it is left to the owner.
    for round in 1..=retry_failed::MAX_RETRIES + 1 {
        fail(&mut store, unavailable, ErrorKind::Unavailable);
        let summary = retry_failed::run(&mut store, wicket_core::time::now_ms()).unwrap();
        let expected = if round < retry_failed::MAX_RETRIES { vec![unavailable] } else { vec![] };
        assert_eq!(summary.requeued, expected, "round {round}");
    }
    assert_eq!(store.auto_retries(unavailable).unwrap(), retry_failed::MAX_RETRIES);
    assert_eq!(store.message(unavailable).unwrap().status, MessageStatus::Failed);

    // A free-text message whose window closed meanwhile is refused, with the reason, and counted.
    fail(&mut store, throttled, ErrorKind::RateLimited);
    let conversation = store.message(throttled).unwrap().conversation_id;
    sql(&store, "UPDATE conversations SET window_expires_at = 1 WHERE id = ?1", conversation);
    let summary = retry_failed::run(&mut store, wicket_core::time::now_ms()).unwrap();
    assert!(summary.requeued.is_empty());
    assert_eq!(summary.refused.len(), 1);
    assert!(summary.refused[0].1.contains("24-hour"), "{:?}", summary.refused);
    assert!(summary.describe().contains("could not be"), "{}", summary.describe());
    assert_eq!(store.auto_retries(throttled).unwrap(), 2);
}

#[test]
fn every_job_is_listed_with_its_last_run_and_the_next() {
    let (_tmp, _dir, mut store) = data_dir();
    let account = meta_account(&mut store, "http://127.0.0.1:9");
    let demo = wicket_core::providers::demo::create_demo_account(&mut store).unwrap();
    let list = jobs::status(&store).unwrap();
    let names: Vec<(&str, Option<i64>)> = list.iter().map(|j| (j.name, j.account_id)).collect();
    assert_eq!(
        names,
        vec![
            (jobs::MAINTENANCE, None),
            (jobs::RETRY_FAILED, None),
            (jobs::BACKUP, None),
            (jobs::TEMPLATE_SYNC, Some(account.id)),
            (jobs::MEDIA_DOWNLOADS, Some(account.id)),
            (jobs::CONTACT_SYNC, Some(demo.id)),
            (jobs::MEDIA_DOWNLOADS, Some(demo.id)),
        ]
    );
    assert!(list.iter().all(|j| j.result == "never" && j.runs == 0 && j.last_run_at.is_none()));

    let started = wicket_core::time::now_ms() - 5_000;
    store.record_job_run(jobs::TEMPLATE_SYNC, Some(account.id), started, 120, Ok("3 template(s)")).unwrap();
    store.record_job_run(jobs::TEMPLATE_SYNC, Some(account.id), started + 1000, 80, Err("Meta could not be reached")).unwrap();
    let sync = jobs::status(&store).unwrap().into_iter().find(|j| j.name == jobs::TEMPLATE_SYNC).unwrap();
    assert_eq!((sync.result, sync.runs, sync.failures, sync.duration_ms), ("failed", 2, 1, Some(80)));
    assert_eq!(sync.error.as_deref(), Some("Meta could not be reached"));
    assert_eq!(sync.summary.as_deref(), Some("3 template(s)"), "the last good run's summary stays");
    let next = wicket_core::time::parse_rfc3339(sync.next_run_at.as_deref().unwrap()).unwrap();
    assert_eq!(next, started + 1000 + jobs::TEMPLATE_SYNC_EVERY.as_millis() as i64);
    assert!(!jobs::due(&store, jobs::TEMPLATE_SYNC, Some(account.id), jobs::TEMPLATE_SYNC_EVERY, wicket_core::time::now_ms()).unwrap());
    store.make_job_due(jobs::TEMPLATE_SYNC, Some(account.id)).unwrap();
    assert!(jobs::due(&store, jobs::TEMPLATE_SYNC, Some(account.id), jobs::TEMPLATE_SYNC_EVERY, wicket_core::time::now_ms()).unwrap());

    let contacts = jobs::status(&store).unwrap().into_iter().find(|j| j.name == jobs::CONTACT_SYNC).unwrap();
    assert_eq!((contacts.enabled, contacts.every_seconds), (true, Some(6 * 3600)), "the default, 6 hours");
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    let contacts = jobs::status(&store).unwrap().into_iter().find(|j| j.name == jobs::CONTACT_SYNC).unwrap();
    assert!(!contacts.enabled && contacts.next_run_at.is_none(), "switched off: {contacts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_runs_the_jobs_by_itself_and_records_each_run() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v23.0/W/message_templates"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(fixture("meta", "meta_templates_page2.json")))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/v23.0/PN1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.RETRIED"}], "contacts": [{"wa_id": "447911123456"}]})))
        .mount(&fake)
        .await;
    let (_tmp, dir, mut store) = data_dir();
    let secrets = Arc::new(SecretStore::in_memory("jobs-test"));
    let account = meta_account(&mut store, &fake.uri());
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok".into())).unwrap();
    customer_wrote(&mut store, account.id, "wamid.IN");
    // Failed while nothing ran (Meta was down): the retry job sends it again.
    let m = outbox::queue(&mut store, &account, "+447911123456", text("Your parcel is ready"), None).unwrap();
    fail(&mut store, m.id, ErrorKind::Unavailable);

    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets, None).unwrap());
    let templates_path = "/v23.0/W/message_templates";
    for _ in 0..100 {
        let done = store.message(m.id).unwrap().status == MessageStatus::Sent && !store.templates(account.id).unwrap().is_empty();
        if done && jobs::status(&store).unwrap().iter().filter(|j| j.result == "ok").count() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.message(m.id).unwrap().provider_message_id.as_deref(), Some("wamid.RETRIED"));
    let list = jobs::status(&store).unwrap();
    let job = |name: &str| list.iter().find(|j| j.name == name).unwrap().clone();
    let templates = store.templates(account.id).unwrap().len();
    assert_eq!(job(jobs::TEMPLATE_SYNC).summary, Some(format!("{templates} template(s)")));
    assert_eq!(job(jobs::RETRY_FAILED).summary.as_deref(), Some("1 failed message(s) sent again"));
    assert_eq!(job(jobs::MAINTENANCE).result, "ok");
    assert!(job(jobs::MAINTENANCE).summary.unwrap().contains("raw webhook bodies past 30 days pruned"));
    assert_eq!(requests_to(&fake, templates_path).await, 1, "once, not at every pass");

    // A template webhook makes the sync due: the engine fetches the list again soon.
    store.make_job_due(jobs::TEMPLATE_SYNC, Some(account.id)).unwrap();
    for _ in 0..150 {
        if requests_to(&fake, templates_path).await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(requests_to(&fake, templates_path).await, 2);
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    let sync = jobs::status(&store).unwrap().into_iter().find(|j| j.name == jobs::TEMPLATE_SYNC).unwrap();
    assert_eq!(sync.runs, 2);
}
