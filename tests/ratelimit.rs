//! Per-account rate limits, through the engine, against a fake Graph API on
//! loopback that timestamps every send as it arrives: never more than N in
//! any one-second window (sliding) over 500 distinct recipients, each sent
//! exactly once; the gap per recipient (an average, after a short burst), without holding up other
//! recipients; a throttling provider (429 / 130429 with Retry-After) that
//! pauses its account, which retries and loses or doubles nothing while
//! another account goes on; a message waiting for its slot when the engine
//! dies stays `pending` (never `unknown`), and a restart grants no fresh hour.
//! Throughput against the limit is measured by `benches/ratelimit.rs`.

#[path = "support/core.rs"]
mod support;

use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{data_dir, run_engine, text};
use wicket_core::engine::Engine;
use wicket_core::model::{Direction, MessageKind, MessageStatus, Provider};
use wicket_core::ratelimit::{self, LimitChanges};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{self, ContactKey, ContactUpdate};
use wicket_core::store::messages::{self, NewMessage};
use wicket_core::store::{conversations, Account, NewAccount, Store};
use wicket_core::{outbox, DataDir};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One send as the fake saw it.
#[derive(Debug, Clone)]
struct Arrival {
    at: Instant,
    to: String,
    body: String,
    /// False when the fake answered with throttling instead.
    accepted: bool,
}

/// A fake Graph API `/messages` endpoint: throttles the first `throttle`
/// sends (429, error 130429, Retry-After: 1), accepts the rest with a fresh
/// wamid, and logs every arrival.
#[derive(Clone)]
struct Fake {
    log: Arc<Mutex<Vec<Arrival>>>,
    throttle: Arc<AtomicUsize>,
    next_id: Arc<AtomicUsize>,
}

impl Respond for Fake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let at = Instant::now();
        let v: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let to = v["to"].as_str().unwrap_or_default().to_string();
        let body = v["text"]["body"].as_str().unwrap_or_default().to_string();
        let throttled = self.throttle.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        self.log.lock().unwrap().push(Arrival { at, to, body, accepted: !throttled });
        if throttled {
            return ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429, "fbtrace_id": "x"}}));
        }
        let n = self.next_id.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": format!("wamid.RL{n}")}]}))
    }
}

impl Fake {
    async fn start(phone_number_id: &str, throttle: usize) -> (MockServer, Fake) {
        let server = MockServer::start().await;
        let fake = Fake { log: Arc::default(), throttle: Arc::new(AtomicUsize::new(throttle)), next_id: Arc::default() };
        Mock::given(method("POST")).and(path(format!("/v23.0/{phone_number_id}/messages"))).respond_with(fake.clone()).mount(&server).await;
        (server, fake)
    }

    fn arrivals(&self) -> Vec<Arrival> {
        self.log.lock().unwrap().clone()
    }
}

fn meta_account(store: &mut Store, secrets: &SecretStore, phone_number_id: &str, server: &MockServer, limits: serde_json::Value) -> Account {
    let mut config = json!({"phone_number_id": phone_number_id, "business_account_id": "WABA1", "base_url": server.uri()});
    for (k, v) in limits.as_object().unwrap() {
        config[k] = v.clone();
    }
    let account = store.add_account(&NewAccount { provider: Provider::Meta, name: phone_number_id.into(), phone: None, config }).unwrap();
    secrets.set(account.id, SecretName::AccessToken, &Secret::new("tok-123".into())).unwrap();
    account
}

/// A UK mobile number, one per `i`.
fn number(i: usize) -> String {
    format!("+447911{:06}", 100_000 + i)
}

/// Opens the 24-hour window of `numbers` (an inbound "hi" from each), in one transaction.
fn customers_wrote(store: &mut Store, account: i64, numbers: &[String]) {
    store
        .write(|tx| {
            for (i, n) in numbers.iter().enumerate() {
                let contact = contacts::upsert(tx, account, &ContactKey::phone(n), &ContactUpdate::default())?;
                let conversation_id = conversations::get_or_create(tx, account, contact)?;
                messages::insert(
                    tx,
                    &NewMessage {
                        account_id: account,
                        conversation_id,
                        provider_message_id: Some(format!("wamid.IN{account}-{i}")),
                        direction: Some(Direction::In),
                        kind: Some(MessageKind::Text),
                        text: Some("hi".into()),
                        ..Default::default()
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
}

fn setup(id: &str) -> (tempfile::TempDir, DataDir, Store, Arc<SecretStore>) {
    let (tmp, dir, mut store) = data_dir();
    store.set_setting("default_country", &json!("GB")).unwrap();
    store.set_setting("contact_sync_hours", &json!(0)).unwrap();
    (tmp, dir, store, Arc::new(SecretStore::in_memory(id)))
}

/// Outgoing messages of `account` by status.
fn statuses(store: &Store, account: i64) -> HashMap<String, usize> {
    let mut stmt = store.conn().prepare("SELECT status, count(*) FROM messages WHERE account_id = ?1 AND direction = 'out' GROUP BY status").unwrap();
    stmt.query_map([account], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))).unwrap().map(|r| r.unwrap()).collect()
}

async fn until_sent(store: &Store, account: i64, n: usize, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if statuses(store, account).get("sent") == Some(&n) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The most arrivals in any one-second window [t, t + 1 s) (sliding over every arrival).
fn busiest_second(arrivals: &[Arrival]) -> usize {
    let mut at: Vec<Instant> = arrivals.iter().map(|a| a.at).collect();
    at.sort();
    let mut most = 0;
    let mut start = 0;
    for end in 0..at.len() {
        while at[end].duration_since(at[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_recipients_never_more_than_the_limit_in_any_second_each_sent_once() {
    const N: usize = 50;
    const RECIPIENTS: usize = 500;
    let (server, fake) = Fake::start("PN1", 0).await;
    let (_tmp, dir, mut store, secrets) = setup("ratelimit-never-over");
    let account = meta_account(&mut store, &secrets, "PN1", &server, json!({"max_per_second": N}));
    let numbers: Vec<String> = (0..RECIPIENTS).map(number).collect();
    customers_wrote(&mut store, account.id, &numbers);
    // The whole burst is queued before the engine starts: it must only queue, never fail.
    for (i, n) in numbers.iter().enumerate() {
        outbox::queue(&mut store, &account, n, text(&format!("m{i}")), None).unwrap();
    }
    let started = Instant::now();
    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets, None).unwrap());
    let done = until_sent(&store, account.id, RECIPIENTS, Duration::from_secs(90)).await;
    let elapsed = started.elapsed();
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    assert!(done, "every message is sent: {:?}", statuses(&store, account.id));
    let arrivals = fake.arrivals();
    let busiest = busiest_second(&arrivals);
    eprintln!("{RECIPIENTS} sends at max {N}/s took {elapsed:?}; busiest one-second window held {busiest}");
    assert!(busiest <= N, "never more than {N} sends in any one-second window at the provider, saw {busiest}");
    assert_eq!(arrivals.len(), RECIPIENTS, "each message reached the provider exactly once");
    let distinct: HashSet<&str> = arrivals.iter().map(|a| a.to.as_str()).collect();
    assert_eq!(distinct.len(), RECIPIENTS, "every recipient got exactly one message");
    let provider_ids: i64 = store
        .conn()
        .query_row("SELECT count(DISTINCT provider_message_id) FROM messages WHERE account_id = ?1 AND direction = 'out'", [account.id], |r| r.get(0))
        .unwrap();
    assert_eq!(provider_ids as usize, RECIPIENTS, "each sent message recorded its own provider id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_waits_its_gap_after_a_short_burst_while_other_recipients_go_and_order_holds() {
    use wicket_core::ratelimit::RECIPIENT_BURST;
    let (server, fake) = Fake::start("PN1", 0).await;
    let (_tmp, dir, mut store, secrets) = setup("ratelimit-gap");
    // A gap of 1 s: at most RECIPIENT_BURST messages to one recipient in any RECIPIENT_BURST seconds.
    let account = meta_account(&mut store, &secrets, "PN1", &server, json!({"max_per_second": 20, "recipient_gap_seconds": 1}));
    let (a, b) = (number(1), number(2));
    customers_wrote(&mut store, account.id, &[a.clone(), b.clone()]);
    let each = RECIPIENT_BURST + 2;
    for i in 1..=each {
        outbox::queue(&mut store, &account, &a, text(&format!("a{i}")), None).unwrap();
    }
    for i in 1..=each {
        outbox::queue(&mut store, &account, &b, text(&format!("b{i}")), None).unwrap();
    }
    let started = Instant::now();
    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets, None).unwrap());
    let done = until_sent(&store, account.id, 2 * each, Duration::from_secs(30)).await;
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    assert!(done, "all are sent: {:?}", statuses(&store, account.id));
    let arrivals = fake.arrivals();
    assert_eq!(arrivals.len(), 2 * each, "each sent once");
    let window = Duration::from_secs(RECIPIENT_BURST as u64);
    for (who, prefix) in [(&a, "a"), (&b, "b")] {
        let to = who.trim_start_matches('+');
        let mine: Vec<&Arrival> = arrivals.iter().filter(|x| x.to == to).collect();
        let bodies: Vec<String> = mine.iter().map(|x| x.body.clone()).collect();
        let expected: Vec<String> = (1..=each).map(|i| format!("{prefix}{i}")).collect();
        assert_eq!(bodies, expected, "a conversation keeps its order");
        let burst = mine[RECIPIENT_BURST - 1].at.duration_since(started);
        assert!(burst < Duration::from_millis(2500), "the first {RECIPIENT_BURST} to one recipient go at once (quick replies), the last after {burst:?}");
        for pair in mine.windows(RECIPIENT_BURST + 1) {
            let span = pair[RECIPIENT_BURST].at.duration_since(pair[0].at);
            // Kept between slots; the requests' travel time varies by a few ms.
            assert!(span >= window - Duration::from_millis(100), "never more than {RECIPIENT_BURST} to one recipient in {window:?}, saw {span:?}");
        }
    }
    let first_b = arrivals.iter().find(|x| x.body == "b1").unwrap();
    assert!(first_b.at.duration_since(started) < Duration::from_millis(1500), "b's first message did not wait for a's gap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_provider_pauses_its_account_which_retries_without_loss_or_double_while_another_goes_on() {
    let (throttling, slow) = Fake::start("PN1", 2).await;
    let (healthy, other) = Fake::start("PN2", 0).await;
    let (_tmp, dir, mut store, secrets) = setup("ratelimit-throttle");
    let a = meta_account(&mut store, &secrets, "PN1", &throttling, json!({"max_per_second": 20, "recipient_gap_seconds": 0}));
    let b = meta_account(&mut store, &secrets, "PN2", &healthy, json!({"max_per_second": 20, "recipient_gap_seconds": 0}));
    let numbers: Vec<String> = (0..5).map(number).collect();
    customers_wrote(&mut store, a.id, &numbers);
    customers_wrote(&mut store, b.id, &numbers);
    for (i, n) in numbers.iter().enumerate() {
        outbox::queue(&mut store, &a, n, text(&format!("a{i}")), None).unwrap();
        outbox::queue(&mut store, &b, n, text(&format!("b{i}")), None).unwrap();
    }
    let started = Instant::now();
    let (stop, running) = run_engine(Engine::start(dir.clone(), secrets, None).unwrap());
    assert!(until_sent(&store, b.id, 5, Duration::from_secs(5)).await, "the other account is not stalled: {:?}", statuses(&store, b.id));
    let b_done = started.elapsed();
    assert!(until_sent(&store, a.id, 5, Duration::from_secs(30)).await, "the throttled account sends everything in the end: {:?}", statuses(&store, a.id));
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();

    let arrivals = slow.arrivals();
    let accepted: Vec<&str> = arrivals.iter().filter(|x| x.accepted).map(|x| x.body.as_str()).collect();
    let mut sorted = accepted.clone();
    sorted.sort();
    assert_eq!(sorted, ["a0", "a1", "a2", "a3", "a4"], "each message accepted exactly once (nothing lost, nothing doubled)");
    assert_eq!(arrivals.len(), 7, "two throttled tries, then five accepted sends");
    // After each refusal the whole account waited at least the provider's Retry-After (1 s).
    for (i, x) in arrivals.iter().enumerate().filter(|(_, x)| !x.accepted) {
        if let Some(next) = arrivals.get(i + 1) {
            let paused = next.at.duration_since(x.at);
            assert!(paused >= Duration::from_millis(950), "the account paused after a throttle: next send after {paused:?}");
        }
    }
    let first_a = arrivals.first().unwrap().at.duration_since(started);
    let last_a = arrivals.last().unwrap().at.duration_since(started);
    assert!(last_a >= Duration::from_secs(2) + first_a, "two throttles in a row back off ≥ 1 s each: {last_a:?}");
    assert!(b_done < last_a, "the other account finished ({b_done:?}) while this one still backed off ({last_a:?})");
    assert_eq!(other.arrivals().len(), 5, "the other account sent each message once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_waiting_for_its_slot_when_the_engine_dies_stays_pending_and_a_restart_grants_no_fresh_hour() {
    let (server, fake) = Fake::start("PN1", 0).await;
    let (_tmp, dir, mut store, secrets) = setup("ratelimit-crash");
    let account = meta_account(&mut store, &secrets, "PN1", &server, json!({"max_per_hour": 1}));
    customers_wrote(&mut store, account.id, &[number(1), number(2)]);
    let first = outbox::queue(&mut store, &account, &number(1), text("first"), None).unwrap();
    let second = outbox::queue(&mut store, &account, &number(2), text("second"), None).unwrap();
    let (_stop, running) = run_engine(Engine::start(dir.clone(), secrets.clone(), None).unwrap());
    assert!(until_sent(&store, account.id, 1, Duration::from_secs(10)).await);
    // The second waits for the hour; the engine dies mid-wait (its task is dropped: no shutdown runs).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.abort();
    let _ = running.await;
    assert_eq!(store.message(first.id).unwrap().status, MessageStatus::Sent);
    let waiting = store.message(second.id).unwrap();
    assert_eq!(waiting.status, MessageStatus::Pending, "a message waiting for its slot was never claimed: nothing to turn unknown");
    assert_eq!(waiting.attempts, 0, "and never tried");
    assert_eq!(fake.arrivals().len(), 1, "only the first reached the provider");

    // Another process (a fresh data dir path, so nothing is remembered in
    // memory) starts from the store's send log: still no slot this hour.
    let copy = tempfile::tempdir().unwrap();
    drop(store);
    for entry in std::fs::read_dir(dir.root()).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
    }
    let copied = DataDir::open(copy.path()).unwrap();
    let mut store = Store::open(&copied.db_path()).unwrap();
    let gate = ratelimit::gate(&store, &store.account(account.id).unwrap()).unwrap();
    let held = gate.acquire(waiting.conversation_id).await.expect_err("the hour is still full after a restart");
    assert_eq!(held.hold, ratelimit::Hold::Account);

    // The owner raises the limit: the engine sends it, once.
    ratelimit::set_limits(&mut store, account.id, LimitChanges { max_per_hour: Some(100), ..Default::default() }).unwrap();
    let (stop, running) = run_engine(Engine::start(copied.clone(), secrets, None).unwrap());
    assert!(until_sent(&store, account.id, 2, Duration::from_secs(10)).await, "{:?}", statuses(&store, account.id));
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    let bodies: Vec<String> = fake.arrivals().into_iter().map(|a| a.body).collect();
    assert_eq!(bodies, ["first", "second"], "each sent exactly once");
}
