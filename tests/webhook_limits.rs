//! The webhook listener under hostile traffic, over real HTTP on loopback:
//! the total head deadline, the body deadline, the head size cap (431), the
//! body cap answered 413 from the announced length without waiting for the
//! body, the idle timeout of kept-alive connections, the connection cap that
//! never starves `/health` or a signed request, secrets held in memory (the
//! secret store is not read per request), refusals counted in memory, and
//! Meta changes applied only to accounts of the app whose secret signed them.
//!
//! Limits are set short in each test's `ListenerConfig`; every wait is a
//! bounded poll with a generous deadline, never a timing assertion.

use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wicket_core::model::Provider;
use wicket_core::secrets::{MemoryBackend, Secret, SecretBackend, SecretName, SecretStore};
use wicket_core::store::NewAccount;
use wicket_core::webhook::{meta_signature, ListenerConfig, WebhookDeps, WebhookServer, BAD_SIGNATURE_COUNTER};
use wicket_core::Store;

const SECRET_A: &str = "app-secret-of-app-one";
const SECRET_C: &str = "app-secret-of-app-two";
const NUMBER_A: &str = "318273645501234";
const NUMBER_C: &str = "318273645505555";

/// A secret store that counts how often it is read.
struct Counting {
    inner: MemoryBackend,
    gets: Arc<AtomicUsize>,
}

impl SecretBackend for Counting {
    fn kind(&self) -> &'static str {
        "memory"
    }
    fn get(&self, key: &str) -> wicket_core::Result<Option<Secret>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &Secret) -> wicket_core::Result<()> {
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> wicket_core::Result<bool> {
        self.inner.delete(key)
    }
}

struct Listener {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    server: Option<WebhookServer>,
    addr: SocketAddr,
    secrets: Arc<SecretStore>,
    gets: Arc<AtomicUsize>,
    /// Meta account A (app one, number A).
    a: i64,
}

impl Listener {
    fn start(config: ListenerConfig) -> Listener {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wicket.db");
        let mut store = Store::open(&db).unwrap();
        let gets = Arc::new(AtomicUsize::new(0));
        let secrets = Arc::new(SecretStore::from_backend(Arc::new(Counting { inner: MemoryBackend::new(), gets: gets.clone() }), "limits-test").unwrap());
        let a = meta_account(&mut store, &secrets, "Shop A", NUMBER_A, SECRET_A);
        let deps = WebhookDeps { db_path: db.clone(), secrets: secrets.clone(), sink: None };
        let server = WebhookServer::start(ListenerConfig { addr: "127.0.0.1:0".parse().unwrap(), ..config }, deps).unwrap();
        let addr = server.local_addr();
        Listener { _dir: dir, db, server: Some(server), addr, secrets, gets, a }
    }

    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop();
    }
}

fn meta_account(store: &mut Store, secrets: &SecretStore, name: &str, number: &str, app_secret: &str) -> i64 {
    let id =
        store.add_account(&NewAccount { provider: Provider::Meta, name: name.into(), phone: None, config: json!({ "phone_number_id": number }) }).unwrap().id;
    secrets.set(id, SecretName::AppSecret, &Secret::new(app_secret.into())).unwrap();
    id
}

fn text_message(number: &str, id: &str) -> Vec<u8> {
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "WABA", "changes": [{ "field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "15550102030", "phone_number_id": number },
        "contacts": [{ "profile": { "name": "Priya Raman" }, "wa_id": "447700900123" }],
        "messages": [{ "from": "447700900123", "id": id, "timestamp": "1767268800", "type": "text", "text": { "body": "hi" } }] } }] }] })
    .to_string()
    .into_bytes()
}

fn signed_post(account: i64, body: &[u8], secret: &str) -> Vec<u8> {
    let mut rq = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\nX-Hub-Signature-256: {}\r\n\r\n",
        body.len(),
        meta_signature(secret.as_bytes(), body)
    )
    .into_bytes();
    rq.extend_from_slice(body);
    rq
}

/// Sends `request` on a new connection and returns the status line's code,
/// or None if the connection closed without an answer. Waits up to 15 s.
fn status_of(addr: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.write_all(request);
    read_status(&mut s)
}

fn read_status(s: &mut TcpStream) -> Option<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&buf).split(' ').nth(1).and_then(|c| c.parse().ok())
}

/// Whether the server closed `s` (EOF, reset, or an error answer) within `within`.
fn closed_within(s: &mut TcpStream, within: Duration, mut between: impl FnMut(&mut TcpStream)) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let deadline = Instant::now() + within;
    let mut chunk = [0u8; 1024];
    while Instant::now() < deadline {
        match s.read(&mut chunk) {
            Ok(_) => return true,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => between(s),
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn a_head_trickling_in_is_cut_off_at_the_total_head_deadline() {
    let l = Listener::start(ListenerConfig { head_timeout: Duration::from_secs(1), ..Default::default() });
    let mut s = TcpStream::connect(l.addr).unwrap();
    // One byte every 100 ms: each byte is prompt, the head never ends.
    let drip = b"GET /health HTTP/1.1\r\nX-Slow: ".iter().copied().chain(std::iter::repeat(b'a'));
    let mut drip = drip.peekable();
    let mut last = Instant::now();
    let closed = closed_within(&mut s, Duration::from_secs(8), |s| {
        if last.elapsed() >= Duration::from_millis(100) {
            last = Instant::now();
            let _ = s.write_all(&[*drip.peek().unwrap()]);
            drip.next();
        }
    });
    assert!(closed, "a head still incomplete after the head deadline closes the connection, however steadily it trickles");
    assert_eq!(status_of(l.addr, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), Some(200));
}

#[test]
fn a_body_trickling_in_is_refused_at_the_body_deadline() {
    let l = Listener::start(ListenerConfig { body_timeout: Duration::from_secs(1), ..Default::default() });
    let mut s = TcpStream::connect(l.addr).unwrap();
    s.write_all(format!("POST /webhooks/meta/{} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", l.a).as_bytes()).unwrap();
    let mut last = Instant::now();
    let closed = closed_within(&mut s, Duration::from_secs(8), |s| {
        if last.elapsed() >= Duration::from_millis(100) {
            last = Instant::now();
            let _ = s.write_all(b" ");
        }
    });
    assert!(closed, "a body still incomplete after the body deadline is refused");
    assert!(l.store().webhook_events(10).unwrap().is_empty());
}

#[test]
fn a_head_over_the_cap_is_answered_431() {
    let l = Listener::start(ListenerConfig::default());
    let big = "a".repeat(70 * 1024);
    let rq = format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(l.addr, rq.as_bytes()), Some(431));
    let fits = format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "a".repeat(60 * 1024));
    assert_eq!(status_of(l.addr, fits.as_bytes()), Some(200), "a head under the cap is fine");
}

#[test]
fn an_announced_body_over_the_cap_is_answered_413_without_waiting_for_it() {
    // The body deadline is long: only a refusal by the announced length answers in time.
    let l = Listener::start(ListenerConfig { body_timeout: Duration::from_secs(60), ..Default::default() });
    let mut s = TcpStream::connect(l.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(format!("POST /webhooks/meta/{} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", l.a, 2 * 1024 * 1024).as_bytes()).unwrap();
    assert_eq!(read_status(&mut s), Some(413), "refused from the head alone");
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    // The connection is closed after the answer (read_to_end returned).
}

#[test]
fn a_chunked_body_over_the_cap_is_cut_off_before_it_ends() {
    let l = Listener::start(ListenerConfig { max_body: 64 * 1024, body_timeout: Duration::from_secs(60), ..Default::default() });
    let mut s = TcpStream::connect(l.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(format!("POST /webhooks/meta/{} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", l.a).as_bytes()).unwrap();
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..5 {
        let _ = s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
        let _ = s.write_all(&chunk);
        let _ = s.write_all(b"\r\n");
    }
    // No last chunk: the body never ends, yet the answer comes.
    assert_eq!(read_status(&mut s), Some(413));
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let l = Listener::start(ListenerConfig { idle_timeout: Duration::from_millis(300), head_timeout: Duration::from_secs(60), ..Default::default() });
    let mut s = TcpStream::connect(l.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "answered, connection kept alive");
    assert!(closed_within(&mut s, Duration::from_secs(10), |_| {}), "the idle connection is closed long before the head deadline");
}

#[test]
fn at_the_connection_cap_health_and_a_signed_request_still_get_in() {
    let l = Listener::start(ListenerConfig {
        max_connections: 8,
        idle_timeout: Duration::from_secs(60),
        head_timeout: Duration::from_secs(60),
        body_timeout: Duration::from_secs(60),
        ..Default::default()
    });
    // Fill the cap with clients that hold on: idle, mid-head, mid-body.
    let mut holders = vec![];
    for i in 0..12 {
        let mut s = TcpStream::connect(l.addr).unwrap();
        match i % 3 {
            0 => {}
            1 => s.write_all(b"GET /health HTTP/1.1\r\nX-Slow: a").unwrap(),
            _ => s.write_all(format!("POST /webhooks/meta/{} HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{{", l.a).as_bytes()).unwrap(),
        }
        holders.push(s);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(status_of(l.addr, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), Some(200), "/health gets in at the cap");
    let body = text_message(NUMBER_A, "wamid.AT-CAP");
    assert_eq!(status_of(l.addr, &signed_post(l.a, &body, SECRET_A)), Some(200), "a signed request gets in at the cap");
    assert!(l.store().message_by_provider_id(l.a, "wamid.AT-CAP").unwrap().is_some());
}

#[test]
fn secrets_are_read_once_not_per_request_and_refusals_are_counted_in_memory() {
    // A refusal may have the secrets read again, at most once per reload interval: long here.
    let mut l =
        Listener::start(ListenerConfig { counter_flush: Duration::from_secs(3600), secret_reload_interval: Duration::from_secs(600), ..Default::default() });
    let at_start = l.gets.load(Ordering::SeqCst);
    assert!(at_start >= 1, "the secrets were read at start");
    for i in 0..30 {
        let body = text_message(NUMBER_A, &format!("wamid.M{i}"));
        assert_eq!(status_of(l.addr, &signed_post(l.a, &body, SECRET_A)), Some(200));
        assert_eq!(status_of(l.addr, &signed_post(l.a, &body, "forged")), Some(401));
    }
    let reads = l.gets.load(Ordering::SeqCst) - at_start;
    assert_eq!(reads, 0, "60 requests, and the secret store was not read for any of them");
    assert_eq!(l.store().counter(BAD_SIGNATURE_COUNTER).unwrap(), 0, "no synchronous commit per refusal");
    l.stop();
    assert_eq!(l.store().counter(BAD_SIGNATURE_COUNTER).unwrap(), 30, "the count is stored when the listener stops");
}

#[test]
fn a_secret_stored_after_the_listener_started_is_picked_up() {
    let l = Listener::start(ListenerConfig::default());
    let mut store = l.store();
    let b = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "Later".into(), phone: None, config: json!({ "phone_number_id": "111222333" }) })
        .unwrap()
        .id;
    // The row is there first; the secrets follow (as `accounts::create_with_secrets` does).
    std::thread::sleep(Duration::from_millis(1500));
    l.secrets.set(b, SecretName::AppSecret, &Secret::new("late secret".into())).unwrap();
    l.secrets.set(b, SecretName::VerifyToken, &Secret::new("late token".into())).unwrap();
    let body = text_message("111222333", "wamid.LATE");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        // As a provider does: a 503 (secret not there yet) is retried.
        let status = status_of(l.addr, &signed_post(b, &body, "late secret"));
        if status == Some(200) || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status, Some(200));
    assert!(store.message_by_provider_id(b, "wamid.LATE").unwrap().is_some());
    let hs =
        format!("GET /webhooks/meta/{b}?hub.mode=subscribe&hub.challenge=42&hub.verify_token=late%20token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(l.addr, hs.as_bytes()), Some(200));
}

#[test]
fn a_meta_change_reaches_only_accounts_of_the_app_that_signed_it() {
    let l = Listener::start(ListenerConfig::default());
    let mut store = l.store();
    // Another Meta app, with its own secret and number, added while running.
    let c = meta_account(&mut store, &l.secrets, "Shop C", NUMBER_C, SECRET_C);
    let both = |id_a: &str, id_c: &str| -> Vec<u8> {
        let a: serde_json::Value = serde_json::from_slice(&text_message(NUMBER_A, id_a)).unwrap();
        let c: serde_json::Value = serde_json::from_slice(&text_message(NUMBER_C, id_c)).unwrap();
        json!({ "object": "whatsapp_business_account", "entry": [a["entry"][0], c["entry"][0]] }).to_string().into_bytes()
    };
    // Signed by app two at C's URL (retried until the listener has read C):
    // A's number belongs to another app.
    let mut status = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while status != Some(200) && Instant::now() < deadline {
        status = status_of(l.addr, &signed_post(c, &both("wamid.A2", "wamid.C2"), SECRET_C));
    }
    assert_eq!(status, Some(200));
    assert!(store.message_by_provider_id(c, "wamid.C2").unwrap().is_some(), "C's change is applied");
    assert!(store.message_by_provider_id(l.a, "wamid.A2").unwrap().is_none(), "app two cannot write into app one's account");
    let event = &store.webhook_events(1).unwrap()[0];
    assert_eq!(event.state, "unrouted", "the change for the other app's number is kept raw");
    assert!(event.error.as_deref().unwrap().contains(NUMBER_A), "{:?}", event.error);

    // Signed by app one at A's URL: the reverse holds too.
    assert_eq!(status_of(l.addr, &signed_post(l.a, &both("wamid.A1", "wamid.C1"), SECRET_A)), Some(200));
    assert!(store.message_by_provider_id(l.a, "wamid.A1").unwrap().is_some());
    assert!(store.message_by_provider_id(c, "wamid.C1").unwrap().is_none());
}

#[test]
fn shutdown_does_not_wait_for_a_body_still_trickling_in() {
    let mut l = Listener::start(ListenerConfig { body_timeout: Duration::from_secs(60), ..Default::default() });
    let mut s = TcpStream::connect(l.addr).unwrap();
    s.write_all(format!("POST /webhooks/meta/{} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{{", l.a).as_bytes()).unwrap();
    assert_eq!(status_of(l.addr, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), Some(200));
    let server = l.server.take().unwrap();
    let (done, stopped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        server.shutdown();
        let _ = done.send(());
    });
    // Far less than the body deadline (60 s) and the shutdown grace (10 s).
    assert!(stopped.recv_timeout(Duration::from_secs(8)).is_ok(), "shutdown cut the unfinished request off");
    l.stop();
}
