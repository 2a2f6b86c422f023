//! Kill tests as processes: `wicket serve` is killed with SIGKILL (`kill -9`,
//! no clean shutdown at all) again and again, while a sender posts signed
//! Meta webhooks and while the outbox sends to a fake Graph API, and
//! restarted each time.
//!
//! What must hold after every restart: every webhook answered 200 is in the
//! store exactly once (nothing acknowledged is lost, nothing doubled); the
//! fake provider received each outgoing message at most once; the store
//! never claims a message was sent that the provider never got, and never
//! leaves one the provider got where it would be sent again. When all is
//! settled, a message the provider got is `sent` (or later) or `unknown`
//! ("may have been sent"), and one it never got is `failed` or `unknown`:
//! nothing is left pending.
//!
//! Cycles: `WICKET_KILL_CYCLES` (default 20, the CI run); the kill points
//! come from `WICKET_KILL_SEED` (printed, so a failure can be replayed).
//! The long run (docs/robustness.md):
//!   WICKET_KILL_CYCLES=200 cargo test -p wicket-cli --test kill_serve -- --nocapture

#[path = "support/cli.rs"]
mod support;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{last_line, ok_json, sign, wait_until, Serve, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "EAAG-kill-test-token-0123456789abcdef";
const APP_SECRET: &str = "app-secret-kill-test-5f1e2d3c4b5a6978";
const VERIFY: &str = "verify-token-kill-test";
const PNID: &str = "318273645509999";
const CUSTOMER: &str = "447911123456";

/// Statuses that say the provider accepted the message.
const SENT_OR_LATER: &[&str] = &["sent", "delivered", "read", "played"];

fn cycles() -> usize {
    std::env::var("WICKET_KILL_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}

fn seed(test: &str) -> u64 {
    let seed = std::env::var("WICKET_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    eprintln!("{test}: WICKET_KILL_SEED={seed} WICKET_KILL_CYCLES={}", cycles());
    seed
}

const WICKET: Wicket = Wicket::vault("kill test passphrase").vars(&[("T_TOKEN", TOKEN), ("T_SECRET", APP_SECRET), ("T_VERIFY", VERIFY)]);

/// A Meta account whose Graph API is `base_url`; returns its id.
fn add_account(dir: &Path, base_url: &str) -> String {
    let out = WICKET.add_meta(dir, "Kill test", PNID, "WABA-KILL", base_url);
    assert!(out.status.success(), "account add failed: {}", String::from_utf8_lossy(&out.stderr));
    let id = last_line(&out);
    assert!(id.parse::<i64>().is_ok(), "account add ends with the new id: {id:?}");
    id
}

/// Starts `wicket serve --listen 127.0.0.1:0` and waits for its address. Its
/// stderr goes to `log` (shown when a start fails); its stdout is drained
/// so a later line never meets a closed pipe.
fn start_serve(dir: &Path, log: &Path) -> Serve {
    WICKET.serve_logging_to(dir, &[], log).drained()
}

/// POSTs a signed Meta webhook over a fresh connection. The status, or None
/// when the connection failed or closed without an answer (the kill).
fn post_webhook(addr: &str, account: &str, payload: &Value) -> Option<u16> {
    let body = payload.to_string().into_bytes();
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let head = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        sign(APP_SECRET, &body),
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(&body).ok()?;
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp).split_whitespace().nth(1).and_then(|c| c.parse().ok())
}

fn inbound(wamid: &str, text: &str) -> Value {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA-KILL", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": CUSTOMER}],
        "messages": [{"from": CUSTOMER, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]}}]}]})
}

// ---- webhooks ------------------------------------------------------------------------

/// How many times each inbound provider id is in the store, read from the
/// SQLite file itself (read-only): a duplicate row would show here whatever
/// the CLI's views do.
fn stored_inbound(dir: &Path, account: &str) -> BTreeMap<String, i64> {
    let db = rusqlite::Connection::open_with_flags(dir.join("wicket.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("the store opens read-only");
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut q =
        db.prepare("SELECT provider_message_id, COUNT(*) FROM messages WHERE account_id = ?1 AND direction = 'in' GROUP BY provider_message_id").unwrap();
    let rows = q.query_map([account.parse::<i64>().unwrap()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).unwrap();
    rows.map(Result::unwrap).collect()
}

/// Every acknowledged webhook is stored exactly once; anything stored was
/// posted, and at most once.
fn check_inbound(dir: &Path, account: &str, acked: &BTreeSet<String>, posted: &BTreeSet<String>, when: &str) {
    let stored = stored_inbound(dir, account);
    let lost: Vec<&String> = acked.iter().filter(|w| !stored.contains_key(*w)).collect();
    assert!(lost.is_empty(), "{when}: {} webhooks answered 200 are not in the store: {lost:?}", lost.len());
    let doubled: Vec<(&String, &i64)> = stored.iter().filter(|(_, n)| **n != 1).collect();
    assert!(doubled.is_empty(), "{when}: messages stored more than once: {doubled:?}");
    let unknown: Vec<&String> = stored.keys().filter(|w| !posted.contains(*w)).collect();
    assert!(unknown.is_empty(), "{when}: stored messages nobody posted: {unknown:?}");
}

/// What the listener answered each posted message id (None: no answer, the kill).
type Answers = Arc<Mutex<Vec<(String, Option<u16>)>>>;

#[test]
fn acknowledged_webhooks_survive_kill_9_exactly_once() {
    let mut rng = StdRng::seed_from_u64(seed("webhooks"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let log = dir.join("serve-stderr.log");
    // No provider is needed to receive webhooks: an unreachable one is a warning.
    let account = add_account(dir, "http://127.0.0.1:9");
    let next = Arc::new(AtomicUsize::new(0));
    let (mut acked, mut posted) = (BTreeSet::new(), BTreeSet::new());
    let started = Instant::now();
    for cycle in 0..cycles() {
        let serve = start_serve(dir, &log);
        check_inbound(dir, &account, &acked, &posted, &format!("after restart {cycle}"));
        let stop = Arc::new(AtomicBool::new(false));
        let answers: Answers = Arc::default();
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let (addr, account, stop, answers, next) = (serve.addr.clone(), account.clone(), stop.clone(), answers.clone(), next.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let wamid = format!("wamid.KILL{}", next.fetch_add(1, Ordering::SeqCst));
                        let status = post_webhook(&addr, &account, &inbound(&wamid, "kill test"));
                        answers.lock().unwrap().push((wamid, status));
                        if status.is_none() {
                            break; // the listener is gone
                        }
                    }
                })
            })
            .collect();
        // Kill only once this run has acknowledged something, at a random point after.
        wait_until("a first 200 in this cycle", Duration::from_secs(60), || answers.lock().unwrap().iter().any(|(_, s)| *s == Some(200)));
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..300)));
        serve.kill_9();
        stop.store(true, Ordering::SeqCst);
        for s in senders {
            s.join().expect("a sender thread");
        }
        for (wamid, status) in answers.lock().unwrap().drain(..) {
            assert!(matches!(status, None | Some(200)), "{wamid}: a signed webhook was answered {status:?}");
            if status == Some(200) {
                acked.insert(wamid.clone());
            }
            posted.insert(wamid);
        }
    }
    let serve = start_serve(dir, &log);
    check_inbound(dir, &account, &acked, &posted, "after the last restart");
    drop(serve);
    let stored = stored_inbound(dir, &account).len();
    eprintln!(
        "webhooks: {} kill -9 cycles in {} s: {} posted, {} answered 200, {} stored, none lost, none doubled",
        cycles(),
        started.elapsed().as_secs(),
        posted.len(),
        acked.len(),
        stored
    );
    assert!(acked.len() >= cycles(), "each cycle acknowledged at least one webhook");
}

/// One signed webhook on a kept-alive connection: the status, or None when
/// the connection broke before a whole answer came (the kill).
fn post_keep_alive(conn: &mut std::net::TcpStream, addr: &str, account: &str, payload: &Value) -> Option<u16> {
    let body = payload.to_string().into_bytes();
    let head = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        sign(APP_SECRET, &body),
        body.len()
    );
    conn.write_all(&[head.as_bytes(), &body].concat()).ok()?;
    let mut resp = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        resp.extend_from_slice(&chunk[..n]);
        let Some(end) = resp.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&resp[..end]).to_ascii_lowercase();
        let length: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok())?;
        if resp.len() >= end + 4 + length {
            return head.split_whitespace().nth(1).and_then(|c| c.parse().ok());
        }
    }
}

/// Group commit under load: 8 keep-alive senders post as fast as answers
/// come, so the writer commits many requests per flush, and `wicket serve`
/// is killed with SIGKILL in the middle of the burst. Each 200 must mean the
/// event was already in the store: every acknowledged id is there after the
/// kill, once.
#[test]
fn a_burst_from_eight_keep_alive_senders_loses_nothing_acknowledged_at_kill_9() {
    let mut rng = StdRng::seed_from_u64(seed("burst"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let log = dir.join("serve-stderr.log");
    let account = add_account(dir, "http://127.0.0.1:9");
    let next = Arc::new(AtomicUsize::new(0));
    let (mut acked, mut posted) = (BTreeSet::new(), BTreeSet::new());
    for cycle in 0..3 {
        let serve = start_serve(dir, &log);
        let answers: Answers = Arc::default();
        let senders: Vec<_> = (0..8)
            .map(|_| {
                let (addr, account, answers, next) = (serve.addr.clone(), account.clone(), answers.clone(), next.clone());
                std::thread::spawn(move || {
                    let Ok(mut conn) = std::net::TcpStream::connect(&addr) else { return };
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                    loop {
                        let wamid = format!("wamid.BURST{}", next.fetch_add(1, Ordering::SeqCst));
                        let status = post_keep_alive(&mut conn, &addr, &account, &inbound(&wamid, "burst"));
                        answers.lock().unwrap().push((wamid, status));
                        if status != Some(200) {
                            break; // the listener is gone
                        }
                    }
                })
            })
            .collect();
        // Kill in the middle of the burst, once many requests were answered.
        let at = rng.gen_range(100..400);
        wait_until("a burst of 200s", Duration::from_secs(120), || answers.lock().unwrap().iter().filter(|(_, s)| *s == Some(200)).count() >= at);
        serve.kill_9();
        for s in senders {
            s.join().expect("a sender thread");
        }
        for (wamid, status) in answers.lock().unwrap().drain(..) {
            assert!(matches!(status, None | Some(200)), "{wamid}: a signed webhook was answered {status:?}");
            if status == Some(200) {
                acked.insert(wamid.clone());
            }
            posted.insert(wamid);
        }
        check_inbound(dir, &account, &acked, &posted, &format!("after kill {cycle}"));
    }
    eprintln!("burst: {} posted, {} answered 200, all stored once", posted.len(), acked.len());
}

// ---- the outbox --------------------------------------------------------------------------

/// Every send the fake Graph API received, in order: (biz_opaque_callback_data, the id it answered).
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A fake Graph API's send endpoint: records each send once its request is
/// fully received, then answers after a random delay (so a kill often lands
/// between the provider accepting a message and Wicket hearing about it).
struct FakeSends {
    received: Received,
    rng: Mutex<StdRng>,
}

impl wiremock::Respond for FakeSends {
    fn respond(&self, rq: &wiremock::Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&rq.body).unwrap_or(Value::Null);
        if body["status"] == json!("read") {
            return ResponseTemplate::new(200).set_body_json(json!({"success": true}));
        }
        let callback = body["biz_opaque_callback_data"].as_str().unwrap_or_default().to_string();
        let wamid = {
            let mut received = self.received.lock().unwrap();
            let wamid = format!("wamid.FAKE{}", received.len());
            received.push((callback, wamid.clone()));
            wamid
        };
        let delay = self.rng.lock().unwrap().gen_range(0..400);
        ResponseTemplate::new(200)
            .set_body_json(json!({"messaging_product": "whatsapp", "contacts": [{"input": CUSTOMER, "wa_id": CUSTOMER}], "messages": [{"id": wamid}]}))
            .set_delay(Duration::from_millis(delay))
    }
}

/// What the fake received: callback → the provider ids it answered (one per receipt).
fn receipts(received: &Received) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (callback, wamid) in received.lock().unwrap().iter() {
        out.entry(callback.clone()).or_default().push(wamid.clone());
    }
    out
}

/// Our outgoing messages as `wicket messages --json` shows them: id → (status, provider id).
fn outgoing(dir: &Path, account: &str) -> BTreeMap<String, (String, Option<String>)> {
    let msgs = ok_json(&WICKET.run(dir, &["messages", "--account", account, "--with", &format!("+{CUSTOMER}"), "--limit", "100000", "--json"]));
    msgs.as_array()
        .expect("a JSON array")
        .iter()
        .filter(|m| m["direction"] == json!("out"))
        .map(|m| {
            let id = m["id"].as_str().expect("string ids").to_string();
            (id, (m["status"].as_str().unwrap_or_default().to_string(), m["provider_message_id"].as_str().map(str::to_string)))
        })
        .collect()
}

/// The truths that hold at any moment, even while the engine is sending:
/// the provider got each message at most once; a message it got is never
/// `pending` or `failed` (it would be sent again, or reported as not sent);
/// one the store calls sent was received, under the id the fake answered.
/// The store is read between two looks at the fake, so a send racing the
/// check cannot make it fail.
fn check_outbound_now(dir: &Path, account: &str, received: &Received, queued: &BTreeSet<String>, when: &str) {
    let before = receipts(received);
    let store = outgoing(dir, account);
    let after = receipts(received);
    let twice: Vec<(&String, &Vec<String>)> = after.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(twice.is_empty(), "{when}: the provider received these messages more than once (callback → ids): {twice:?}");
    for id in queued {
        let (status, provider_id) = store.get(id).unwrap_or_else(|| panic!("{when}: queued message {id} is not in the store"));
        if before.contains_key(id) {
            assert!(
                !matches!(status.as_str(), "pending" | "failed"),
                "{when}: message {id} reached the provider but the store says {status:?} (it would be sent again, or the owner told it failed)"
            );
        }
        if SENT_OR_LATER.contains(&status.as_str()) {
            let ids = after.get(id).unwrap_or_else(|| panic!("{when}: message {id} is {status:?} but the provider never received it"));
            assert_eq!(provider_id.as_ref(), ids.first(), "{when}: message {id} carries the id the provider answered");
        }
    }
}

/// Once settled: nothing pending or in flight, and every message in the
/// one state its history allows.
fn check_outbound_settled(dir: &Path, account: &str, received: &Received, queued: &BTreeSet<String>) -> BTreeMap<&'static str, usize> {
    check_outbound_now(dir, account, received, queued, "settled");
    let got = receipts(received);
    let store = outgoing(dir, account);
    let mut tally: BTreeMap<&'static str, usize> = BTreeMap::new();
    for id in queued {
        let (status, _) = &store[id];
        let outcome = match (got.contains_key(id), status.as_str()) {
            (true, s) if SENT_OR_LATER.contains(&s) => "received once, sent",
            (true, "unknown") => "received once, unknown",
            (false, "unknown") => "never received, unknown",
            (false, "failed") => "never received, failed",
            (received, s) => panic!("message {id}: the provider {} it, and the store says {s:?}", if received { "received" } else { "never received" }),
        };
        *tally.entry(outcome).or_default() += 1;
    }
    tally
}

fn outbox_cycles(dir: &Path, graph: &str, received: Received, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let log = dir.join("serve-stderr.log");
    let account = add_account(dir, graph);
    // Every message goes to one customer: no gap per recipient, so the kills land mid-send.
    let set = WICKET.run(dir, &["account", "set", &account, "--recipient-gap", "0"]);
    assert!(set.status.success(), "account set failed: {}", String::from_utf8_lossy(&set.stderr));
    let started = Instant::now();
    let mut queued: BTreeSet<String> = BTreeSet::new();
    let per_cycle = 4;
    for cycle in 0..cycles() {
        let serve = start_serve(dir, &log);
        if cycle == 0 {
            // The customer writes first: the 24-hour window is open for free text.
            assert_eq!(post_webhook(&serve.addr, &account, &inbound("wamid.OPENS-WINDOW", "hello")), Some(200));
        } else {
            check_outbound_now(dir, &account, &received, &queued, &format!("after restart {cycle}"));
        }
        let seen = received.lock().unwrap().len();
        for k in 0..per_cycle {
            let m = ok_json(&WICKET.run(
                dir,
                &["send", "--json", "--account", &account, "--to", &format!("+{CUSTOMER}"), "--text", &format!("cycle {cycle} message {k}"), "--no-wait"],
            ));
            assert_eq!(m["status"], json!("pending"), "queued, not sent, by `send --no-wait`");
            queued.insert(m["id"].as_str().unwrap().to_string());
        }
        // Kill once the engine is sending this cycle's messages, at a random point after.
        wait_until("the engine to send a message of this cycle", Duration::from_secs(60), || received.lock().unwrap().len() > seen);
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..400)));
        serve.kill_9();
    }
    let serve = start_serve(dir, &log);
    let settle = std::env::var("WICKET_KILL_SETTLE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(240);
    let deadline = Instant::now() + Duration::from_secs(settle);
    loop {
        check_outbound_now(dir, &account, &received, &queued, "after the last restart");
        let last = outgoing(dir, &account);
        if queued.iter().all(|id| !matches!(last[id].0.as_str(), "pending" | "sending")) {
            break;
        }
        if Instant::now() > deadline {
            let open: Vec<(&String, &String)> =
                last.iter().filter(|(_, (s, _))| matches!(s.as_str(), "pending" | "sending")).map(|(id, (s, _))| (id, s)).collect();
            panic!("not settled {settle} s after the last restart (a message whose send was cut by the kill must become `unknown`, never wait to be resent): {open:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let tally = check_outbound_settled(dir, &account, &received, &queued);
    drop(serve);
    eprintln!(
        "outbox: {} kill -9 cycles in {} s: {} messages queued, {} sends received by the fake; {tally:?}; none sent twice, none left pending",
        cycles(),
        started.elapsed().as_secs(),
        queued.len(),
        received.lock().unwrap().len()
    );
}

/// A message whose send was cut by the kill stays `sending` until its lease
/// expires, then becomes `unknown` (never sent again blindly): the fake must
/// never receive a message twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_sends_survive_kill_9_never_twice() {
    let seed = seed("outbox");
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Kill test", "id": PNID})))
        .mount(&graph)
        .await;
    let received: Received = Arc::default();
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(FakeSends { received: received.clone(), rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0x5eed)) })
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().to_path_buf();
    let uri = graph.uri();
    let outcome = tokio::task::spawn_blocking(move || outbox_cycles(&dir, &uri, received, seed)).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
