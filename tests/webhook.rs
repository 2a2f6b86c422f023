//! The webhook listener over real HTTP on loopback, against a store in a
//! temporary data dir: authentication, routing by phone number id,
//! durability before the 200, deduplication of redeliveries, statuses that
//! arrive out of order or before their message, batching of concurrent
//! requests, and the event sink.
//!
//! The client is a plain `TcpStream` speaking HTTP/1.1 with
//! `Connection: close`, so each test controls the exact bytes (lying
//! lengths, chunked bodies). Bodies are signed with the app secret, exactly
//! as Meta does; fixtures are the files in `tests/fixtures/meta_webhooks`.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wicket_core::error::ErrorKind;
use wicket_core::model::{Direction, MessageKind, MessageStatus, Origin, Provider};
use wicket_core::secrets::{Secret, SecretName, SecretStore};
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::{ConversationFilter, NewAccount, NewMessage};
use wicket_core::webhook::{meta_signature, ListenerConfig, WebhookDeps, WebhookOutcome, WebhookServer, BAD_SIGNATURE_COUNTER, MAX_BODY_BYTES};
use wicket_core::Store;

const APP_SECRET: &str = "test_app_secret";
const VERIFY_TOKEN: &str = "s3cret token/+";
const NUMBER_A: &str = "318273645501234";
const NUMBER_B: &str = "318273645509876";
const PRIYA: &str = "+447700900123";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/meta_webhooks/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// The signature recorded beside the fixtures, to check ours against Meta's.
fn fixture_signature(name: &str) -> String {
    let table: Value = serde_json::from_slice(&fixture("meta_webhook_signatures.json")).unwrap();
    table["signatures"][name].as_str().unwrap().to_string()
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends raw bytes and reads the answer to the end. A reset after the
/// answer arrived (the server closes with unread bytes) is not an error.
fn raw(addr: SocketAddr, request: &[u8]) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect to the listener");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if !buf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the response: {e}"),
        }
    }
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> Response {
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete HTTP response head");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = buf[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = vec![];
        let mut rest = &body[..];
        while let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..pos]).unwrap().trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[pos + 2..pos + 2 + size]);
            rest = &rest[pos + 4 + size..];
        }
        body = out;
    }
    Response { status, headers, body }
}

fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> Response {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes)
}

/// A listener over a fresh data dir with two Meta numbers of one Meta app
/// (same app secret), and an event sink that records every outcome.
struct Harness {
    _dir: tempfile::TempDir,
    db: PathBuf,
    server: Option<WebhookServer>,
    addr: SocketAddr,
    a: i64,
    b: i64,
    outcomes: Arc<Mutex<Vec<WebhookOutcome>>>,
    /// The listener's secret store (shared): replays and later accounts use it.
    secrets: SecretStore,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("wicket.db");
        let mut store = Store::open(&db).unwrap();
        let add = |store: &mut Store, name: &str, number: &str| {
            store
                .add_account(&NewAccount {
                    provider: Provider::Meta,
                    name: name.into(),
                    phone: None,
                    config: json!({ "phone_number_id": number, "business_account_id": "214365870912345" }),
                })
                .unwrap()
                .id
        };
        let a = add(&mut store, "Shop A", NUMBER_A);
        let b = add(&mut store, "Shop B", NUMBER_B);
        let secrets = SecretStore::in_memory("webhook-test");
        for account in [a, b] {
            secrets.set(account, SecretName::AppSecret, &Secret::new(APP_SECRET.into())).unwrap();
        }
        secrets.set(a, SecretName::VerifyToken, &Secret::new(VERIFY_TOKEN.into())).unwrap();
        let outcomes = Arc::new(Mutex::new(vec![]));
        let seen = outcomes.clone();
        let deps = WebhookDeps {
            db_path: db.clone(),
            secrets: Arc::new(secrets.clone()),
            sink: Some(Arc::new(move |o: WebhookOutcome| seen.lock().unwrap().push(o))),
        };
        // Refusals are counted in memory and flushed often here, so tests can wait for them.
        let config = ListenerConfig { counter_flush: Duration::from_millis(50), ..ListenerConfig::with_addr("127.0.0.1:0".parse().unwrap()) };
        let server = WebhookServer::start(config, deps).unwrap();
        let addr = server.local_addr();
        assert_ne!(addr.port(), 0, "port 0 becomes a real port");
        Harness { _dir: dir, db, server: Some(server), addr, a, b, outcomes, secrets }
    }

    /// A new connection: what is on disk, not what a connection cached.
    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn post(&self, account: i64, body: &[u8], signature: Option<String>) -> Response {
        let headers: Vec<(&str, String)> = signature.into_iter().map(|s| ("X-Hub-Signature-256", s)).collect();
        request(self.addr, "POST", &format!("/webhooks/meta/{account}"), &headers, body)
    }

    fn post_signed(&self, account: i64, body: &[u8]) -> Response {
        self.post(account, body, Some(meta_signature(APP_SECRET.as_bytes(), body)))
    }

    fn post_fixture(&self, account: i64, name: &str) -> Response {
        self.post(account, &fixture(name), Some(fixture_signature(name)))
    }

    fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], b"")
    }

    /// The stored bad-signature counter once it reaches `n` (flushed in the background).
    fn wait_for_counter(&self, n: i64) -> i64 {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let value = self.store().counter(BAD_SIGNATURE_COUNTER).unwrap();
            if value >= n || std::time::Instant::now() > deadline {
                return value;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn new_inbound(&self) -> Vec<i64> {
        self.outcomes.lock().unwrap().iter().flat_map(|o| o.new_inbound()).collect()
    }

    /// The sink is called after the 200 goes back (the commit comes first),
    /// so a test waits for it rather than racing it.
    fn wait_for_inbound(&self, n: usize) -> Vec<i64> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let ids = self.new_inbound();
            if ids.len() >= n || std::time::Instant::now() > deadline {
                return ids;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn message_count(&self, account: i64) -> usize {
        let store = self.store();
        store
            .conversations(&ConversationFilter { account_id: Some(account), limit: 500, ..Default::default() })
            .unwrap()
            .iter()
            .map(|c| store.messages_page(c.id, None, 500).unwrap().len())
            .sum()
    }

    /// An outbound message as the outbox leaves it after a send.
    fn outbound(&self, account: i64, provider_id: &str) -> i64 {
        let mut store = self.store();
        let contact = store.upsert_contact(account, &ContactKey::phone(PRIYA), &ContactUpdate::default()).unwrap();
        let conversation = store.get_or_create_conversation(account, contact.id).unwrap();
        store
            .insert_message(&NewMessage {
                account_id: account,
                conversation_id: conversation,
                provider_message_id: Some(provider_id.into()),
                direction: Some(Direction::Out),
                origin: Some(Origin::App),
                kind: Some(MessageKind::Text),
                text: Some("Your order is ready".into()),
                status: Some(MessageStatus::Sent),
                timestamp: Some(1_767_268_000_000),
                ..Default::default()
            })
            .unwrap()
            .id()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
    }
}

fn envelope(number: &str, value: Value) -> Vec<u8> {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({ "display_phone_number": "15550102030", "phone_number_id": number });
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "214365870912345", "changes": [{ "field": "messages", "value": value }] }] })
        .to_string()
        .into_bytes()
}

fn text_message(number: &str, id: &str, seconds: i64, from: &str, text: &str) -> Vec<u8> {
    envelope(
        number,
        json!({
            "contacts": [{ "profile": { "name": "Priya Raman" }, "wa_id": from }],
            "messages": [{ "from": from, "id": id, "timestamp": seconds.to_string(), "type": "text", "text": { "body": text } }]
        }),
    )
}

fn status(number: &str, id: &str, status: &str, seconds: i64) -> Vec<u8> {
    envelope(number, json!({ "statuses": [{ "id": id, "status": status, "timestamp": seconds.to_string(), "recipient_id": "447700900123" }] }))
}

#[test]
fn health_and_unknown_routes() {
    let h = Harness::new();
    let r = h.get("/health");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({ "status": "ok", "version": wicket_core::VERSION }));
    assert!(r.header("content-type").unwrap().starts_with("application/json"));

    assert_eq!(h.get("/nope").status, 404, "unknown path");
    assert_eq!(h.get("/webhooks/telegram/1").status, 404, "unknown provider");
    assert_eq!(h.get("/webhooks/meta/not-a-number").status, 404, "account id not a number");
    assert_eq!(request(h.addr, "PUT", "/health", &[], b"").status, 405, "wrong method on /health");
    let del = request(h.addr, "DELETE", &format!("/webhooks/meta/{}", h.a), &[], b"");
    assert_eq!(del.status, 405, "wrong method on a webhook");
    assert_eq!(del.header("allow"), Some("GET, POST"));
}

#[test]
fn subscription_handshake() {
    let h = Harness::new();
    let token = "s3cret%20token%2F%2B"; // VERIFY_TOKEN, URL-encoded
    let ok = h.get(&format!("/webhooks/meta/{}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}", h.a));
    assert_eq!(ok.status, 200, "the right token is accepted");
    assert_eq!(ok.text(), "1158201444", "the body is the raw challenge");
    assert!(ok.header("content-type").unwrap().starts_with("text/plain"));

    let wrong = h.get(&format!("/webhooks/meta/{}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess", h.a));
    assert_eq!(wrong.status, 403, "a wrong token is refused");
    assert!(!wrong.text().contains("1"), "no challenge echoed on refusal");
    let mode = h.get(&format!("/webhooks/meta/{}?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token={token}", h.a));
    assert_eq!(mode.status, 403, "only mode=subscribe");
    assert_eq!(h.get(&format!("/webhooks/meta/{}?hub.mode=subscribe&hub.verify_token={token}", h.a)).status, 403, "no challenge");
    assert_eq!(
        h.get(&format!("/webhooks/meta/{}?hub.mode=subscribe&hub.challenge=1&hub.verify_token={token}", h.b)).status,
        403,
        "an account without a verify token refuses"
    );
    assert_eq!(h.get(&format!("/webhooks/meta/999?hub.mode=subscribe&hub.challenge=1&hub.verify_token={token}")).status, 404);
}

#[test]
fn signed_bodies_are_stored_before_the_200_and_bad_ones_are_only_counted() {
    let h = Harness::new();
    let body = fixture("meta_webhook_text.json");
    assert_eq!(meta_signature(APP_SECRET.as_bytes(), &body), fixture_signature("meta_webhook_text.json"), "our HMAC is Meta's");

    let bad = h.post(h.a, &body, Some(meta_signature(b"wrong secret", &body)));
    assert_eq!(bad.status, 401, "a wrong signature is refused");
    let missing = h.post(h.a, &body, None);
    assert_eq!(missing.status, 401, "a missing signature is refused");
    let tampered = h.post(h.a, &body[..body.len() - 1], Some(fixture_signature("meta_webhook_text.json")));
    assert_eq!(tampered.status, 401, "the signature covers every byte");
    assert_eq!(h.wait_for_counter(3), 3, "each refusal is counted");
    let store = h.store();
    assert!(store.webhook_events(10).unwrap().is_empty(), "nothing of a refused body is stored");
    assert_eq!(h.message_count(h.a), 0);
    assert!(h.outcomes.lock().unwrap().is_empty(), "no sink call for refusals");

    let ok = h.post_fixture(h.a, "meta_webhook_text.json");
    assert_eq!(ok.status, 200, "{}", ok.text());
    // Durability: a brand-new connection sees the rows once the 200 is back.
    let store = h.store();
    let events = store.webhook_events(10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body, body, "the raw body is kept byte for byte");
    assert_eq!((events[0].state.as_str(), events[0].account_id), ("applied", Some(h.a)));
    let m = store
        .message_by_provider_id(h.a, "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQTFCMkMzRDRFNUY2MDcxODI5M0E0QjVDNkQ3RThGOTAA")
        .unwrap()
        .expect("the message is stored before the 200");
    assert_eq!((m.direction, m.kind, m.status), (Direction::In, MessageKind::Text, MessageStatus::Received));
    assert_eq!(m.text.as_deref(), Some("Hi! Is my order #4521 ready for pickup?"));
    assert_eq!(m.timestamp, 1_767_268_800_000);
    let contact = store.find_contact(h.a, &ContactKey::phone(PRIYA)).unwrap().expect("the sender became a contact");
    assert_eq!(contact.profile_name.as_deref(), Some("Priya Raman"));
    assert_eq!(contact.wa_id.as_deref(), Some("447700900123"));

    // The sink heard about exactly that message.
    assert_eq!(h.wait_for_inbound(1), vec![m.id], "the event sink receives new inbound ids");
    let outcomes = h.outcomes.lock().unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].event_ids, vec![events[0].id]);
    assert_eq!(outcomes[0].accounts[0].0, h.a);
}

#[test]
fn unknown_or_foreign_accounts_are_404() {
    let h = Harness::new();
    let body = fixture("meta_webhook_text.json");
    assert_eq!(h.post_signed(999, &body).status, 404, "no such account");
    let other = h.store().add_account(&NewAccount { provider: Provider::Wasender, name: "Gateway".into(), phone: None, config: json!({}) }).unwrap();
    assert_eq!(h.post_signed(other.id, &body).status, 404, "not a Meta account");
    assert!(h.store().webhook_events(10).unwrap().is_empty());
}

#[test]
fn oversized_bodies_are_refused_by_length_and_by_what_is_read() {
    let h = Harness::new();
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    let r = h.post_signed(h.a, &big);
    assert_eq!(r.status, 413, "Content-Length over the limit");

    // Chunked, so no length is announced: the capped read still stops it.
    let mut req = format!("POST /webhooks/meta/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n", h.a).into_bytes();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..(MAX_BODY_BYTES / chunk.len() + 1) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(&chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(h.addr, &req).status, 413, "a chunked body over the limit");

    // Exactly at the limit is fine.
    let mut exact = br#"{"object":"whatsapp_business_account","entry":[],"pad":""#.to_vec();
    exact.resize(MAX_BODY_BYTES - 2, b'x');
    exact.extend_from_slice(br#""}"#);
    assert_eq!(exact.len(), MAX_BODY_BYTES);
    assert_eq!(h.post_signed(h.a, &exact).status, 200, "a body of exactly the limit is accepted");
    assert_eq!(h.store().webhook_events(10).unwrap().len(), 1, "only the accepted body is stored");
}

#[test]
fn signed_but_unparseable_bodies_are_kept_raw_and_answered_200() {
    let h = Harness::new();
    let body = b"{\"object\": \"whatsapp_business_account\", \"entry\": [ oops";
    let r = h.post_signed(h.a, body);
    assert_eq!(r.status, 200, "kept for a replay: a refusal would make Meta send it again for days");
    assert_eq!(r.json()["status"], json!("unparseable"));
    let events = h.store().webhook_events(10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].state, "unparseable");
    assert_eq!(events[0].body, body.to_vec(), "kept byte for byte for a later look");
    assert!(events[0].error.is_some());
    assert_eq!(h.message_count(h.a), 0);
}

#[test]
fn changes_are_routed_by_phone_number_id_and_batches_apply_entirely() {
    let h = Harness::new();
    // Posted to A's URL: Meta has one callback URL per app, the number decides.
    let r = h.post_fixture(h.a, "meta_webhook_multi_entry.json");
    assert_eq!(r.status, 200, "{}", r.text());
    let store = h.store();
    for id in ["wamid.MULTI01", "wamid.MULTI02", "wamid.MULTI03"] {
        assert!(store.message_by_provider_id(h.a, id).unwrap().is_some(), "{id} belongs to number A");
        assert!(store.message_by_provider_id(h.b, id).unwrap().is_none(), "{id} is not B's");
    }
    for id in ["wamid.MULTI10", "wamid.MULTI11", "wamid.MULTI12", "wamid.MULTI13", "wamid.MULTI14", "wamid.MULTI15", "wamid.MULTI16"] {
        assert!(store.message_by_provider_id(h.b, id).unwrap().is_some(), "{id} belongs to number B");
    }
    assert_eq!(h.message_count(h.a), 3);
    assert_eq!(h.message_count(h.b), 7, "every message of the second entry; the reaction is not a message");
    let voice = store.message_by_provider_id(h.a, "wamid.MULTI03").unwrap().unwrap();
    assert_eq!(voice.kind, MessageKind::Voice);
    assert_eq!(voice.media.as_ref().unwrap().mime.as_deref(), Some("audio/ogg; codecs=opus"));
    let reply = store.message_by_provider_id(h.a, "wamid.MULTI01").unwrap().unwrap();
    assert_eq!(reply.reply_to_provider_id.as_deref(), Some("wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDFBQkNERUYwMTIzNDU2Nzg5AA=="));
    let unsupported = store.message_by_provider_id(h.b, "wamid.MULTI15").unwrap().unwrap();
    assert_eq!(unsupported.kind, MessageKind::Unsupported);
    assert!(unsupported.raw.is_some());
    let events = store.webhook_events(10).unwrap();
    assert_eq!(events.len(), 1, "one body, one raw event");
    assert_eq!(events[0].state, "applied");

    // The statuses in the batch waited for their messages: OUT02 failed.
    let out = h.outbound(h.a, "wamid.OUT02");
    let m = h.store().message(out).unwrap();
    assert_eq!(m.status, MessageStatus::Failed, "a status that came first is applied when the message appears");
    assert_eq!(m.error.as_ref().unwrap().kind, ErrorKind::InvalidRecipient);

    h.wait_for_inbound(10);
    let mut accounts: Vec<i64> = h.outcomes.lock().unwrap().iter().flat_map(|o| o.accounts.iter().map(|(id, _)| *id)).collect();
    accounts.sort();
    assert_eq!(accounts, vec![h.a, h.b], "the sink hears about both accounts");
    assert_eq!(h.new_inbound().len(), 10);
}

#[test]
fn changes_for_unknown_numbers_are_stored_raw_and_answered_200() {
    let h = Harness::new();
    let body = text_message("999000111", "wamid.STRAY", 1_767_268_800, "447700900123", "hello?");
    let r = h.post_signed(h.a, &body);
    assert_eq!(r.status, 200, "Meta must not retry something no account will ever take");
    let store = h.store();
    let events = store.webhook_events(10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].state, "unrouted");
    assert!(events[0].error.as_deref().unwrap().contains("999000111"), "the error names the number");
    assert_eq!(events[0].body, body);
    assert_eq!(h.message_count(h.a) + h.message_count(h.b), 0, "nothing applied");
    assert!(store.contacts(None).unwrap().is_empty());

    // A body mixing a known and an unknown number: the known part is applied.
    let known: Value = serde_json::from_slice(&text_message(NUMBER_B, "wamid.KNOWN", 1_767_268_801, "447700900123", "hi")).unwrap();
    let stray: Value = serde_json::from_slice(&text_message("999000111", "wamid.STRAY2", 1_767_268_801, "447700900123", "hi")).unwrap();
    let mixed = json!({ "object": "whatsapp_business_account", "entry": [known["entry"][0], stray["entry"][0]] }).to_string().into_bytes();
    assert_eq!(h.post_signed(h.a, &mixed).status, 200);
    let store = h.store();
    assert!(store.message_by_provider_id(h.b, "wamid.KNOWN").unwrap().is_some());
    assert_eq!(store.webhook_events(10).unwrap()[0].state, "unrouted", "kept raw for the part no account took");
}

#[test]
fn unknown_fields_are_ignored_with_a_200() {
    let h = Harness::new();
    let body = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [
        { "field": "message_template_status_update", "value": { "event": "APPROVED", "message_template_id": 7 } }] }] })
    .to_string()
    .into_bytes();
    assert_eq!(h.post_signed(h.a, &body).status, 200);
    assert_eq!(h.store().webhook_events(10).unwrap()[0].state, "applied");
}

#[test]
fn a_redelivered_body_changes_nothing() {
    let h = Harness::new();
    assert_eq!(h.post_fixture(h.a, "meta_webhook_text.json").status, 200);
    let again = h.post_fixture(h.a, "meta_webhook_text.json");
    assert_eq!(again.status, 200, "a redelivery is acknowledged");
    assert_eq!(again.json()["status"], json!("duplicate"));
    let store = h.store();
    assert_eq!(store.webhook_events(10).unwrap().len(), 1);
    assert_eq!(h.message_count(h.a), 1);
    let conv = &store.conversations(&ConversationFilter { account_id: Some(h.a), limit: 10, ..Default::default() }).unwrap()[0];
    assert_eq!(conv.unread_count, 1, "unread counted once");
    assert_eq!(h.wait_for_inbound(1).len(), 1, "the sink heard of the message once");
}

#[test]
fn statuses_out_of_order_and_before_their_message() {
    let h = Harness::new();
    let id = h.outbound(h.a, "wamid.OUT-A");
    // Read arrives before delivered: read stays, delivered's time is still kept.
    assert_eq!(h.post_signed(h.a, &status(NUMBER_A, "wamid.OUT-A", "read", 1_767_269_020)).status, 200);
    assert_eq!(h.post_signed(h.a, &status(NUMBER_A, "wamid.OUT-A", "delivered", 1_767_269_010)).status, 200);
    let m = h.store().message(id).unwrap();
    assert_eq!(m.status, MessageStatus::Read, "read is never downgraded to delivered");
    assert_eq!(m.status_times["read"], json!(1_767_269_020_000i64));
    assert_eq!(m.status_times["delivered"], json!(1_767_269_010_000i64), "the late status still records its time");

    // A status for a message we don't have yet waits for it.
    assert_eq!(h.post_signed(h.a, &status(NUMBER_A, "wamid.LATE", "delivered", 1_767_269_030)).status, 200);
    let late = h.outbound(h.a, "wamid.LATE");
    assert_eq!(h.store().message(late).unwrap().status, MessageStatus::Delivered, "applied when the message is inserted");
}

#[test]
fn a_failed_status_keeps_its_error_on_the_message() {
    let h = Harness::new();
    let id = h.outbound(h.a, "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDJCQ0RFRjAxMjM0NTY3ODlBAA==");
    assert_eq!(h.post_fixture(h.a, "meta_webhook_status_failed.json").status, 200);
    let m = h.store().message(id).unwrap();
    assert_eq!(m.status, MessageStatus::Failed);
    let e = m.error.expect("the error is kept");
    assert_eq!(e.kind, ErrorKind::OutsideWindow);
    assert_eq!(e.code.as_deref(), Some("131047"));
}

#[test]
fn reactions_and_statuses_update_their_target() {
    let h = Harness::new();
    let id = h.outbound(h.a, "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDFBQkNERUYwMTIzNDU2Nzg5AA==");
    assert_eq!(h.post_fixture(h.a, "meta_webhook_status_delivered.json").status, 200);
    assert_eq!(h.post_fixture(h.a, "meta_webhook_reaction.json").status, 200);
    let m = h.store().message(id).unwrap();
    assert_eq!(m.status, MessageStatus::Delivered);
    assert_eq!(m.reactions.len(), 1);
    assert_eq!((m.reactions[0].reactor.as_str(), m.reactions[0].emoji.as_str()), (PRIYA, "👍"));
    assert_eq!(h.message_count(h.a), 1, "a reaction is not a message of its own");

    // The customer removes the reaction (no emoji), later.
    let removal = envelope(
        NUMBER_A,
        json!({ "contacts": [{ "profile": { "name": "Priya Raman" }, "wa_id": "447700900123" }],
                "messages": [{ "from": "447700900123", "id": "wamid.UNREACT", "timestamp": "1767269200", "type": "reaction",
                               "reaction": { "message_id": "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDFBQkNERUYwMTIzNDU2Nzg5AA==" } }] }),
    );
    assert_eq!(h.post_signed(h.a, &removal).status, 200);
    assert!(h.store().message(id).unwrap().reactions.is_empty(), "the reaction is removed");
}

#[test]
fn a_bsuid_only_sender_becomes_an_opaque_contact() {
    let h = Harness::new();
    let body = envelope(
        NUMBER_A,
        json!({ "contacts": [{ "profile": { "name": "Ana" }, "user_id": "GB.1502576394655843" }],
                "messages": [{ "from_user_id": "GB.1502576394655843", "id": "wamid.BSUID", "timestamp": "1767268800", "type": "text", "text": { "body": "hi" } }] }),
    );
    assert_eq!(h.post_signed(h.a, &body).status, 200);
    let contact = h.store().find_contact(h.a, &ContactKey::user_id("GB.1502576394655843")).unwrap().expect("keyed by the BSUID");
    assert_eq!(contact.phone, None, "no made-up phone number");
    assert_eq!(contact.profile_name.as_deref(), Some("Ana"));
}

#[test]
fn concurrent_requests_are_all_stored_exactly_once() {
    let h = Harness::new();
    let addr = h.addr;
    let a = h.a;
    let threads: Vec<_> = (0..20)
        .map(|i| {
            std::thread::spawn(move || {
                let from = format!("4477009001{i:02}");
                let body = text_message(NUMBER_A, &format!("wamid.C{i}"), 1_767_268_800 + i, &from, &format!("message {i}"));
                let sig = meta_signature(APP_SECRET.as_bytes(), &body);
                request(addr, "POST", &format!("/webhooks/meta/{a}"), &[("X-Hub-Signature-256", sig)], &body).status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "every request answered 200: {statuses:?}");
    let store = h.store();
    assert_eq!(store.webhook_events(100).unwrap().len(), 20);
    assert_eq!(h.message_count(h.a), 20);
    for i in 0..20 {
        assert!(store.message_by_provider_id(h.a, &format!("wamid.C{i}")).unwrap().is_some(), "message {i} stored");
    }
    let mut ids = h.wait_for_inbound(20);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "the sink heard of each message once");
    let commits = h.outcomes.lock().unwrap().len();
    assert!((1..=20).contains(&commits), "{commits} commits for 20 requests");
}

#[test]
fn messages_sort_by_provider_timestamp_not_arrival() {
    let h = Harness::new();
    assert_eq!(h.post_signed(h.a, &text_message(NUMBER_A, "wamid.NEWER", 1_767_270_000, "447700900123", "second")).status, 200);
    assert_eq!(h.post_signed(h.a, &text_message(NUMBER_A, "wamid.OLDER", 1_767_269_000, "447700900123", "first")).status, 200);
    let store = h.store();
    let conv = &store.conversations(&ConversationFilter { account_id: Some(h.a), limit: 10, ..Default::default() }).unwrap()[0];
    let page = store.messages_page(conv.id, None, 10).unwrap();
    let order: Vec<_> = page.iter().map(|m| m.provider_message_id.as_deref().unwrap()).collect();
    assert_eq!(order, ["wamid.OLDER", "wamid.NEWER"], "the older message sorts first though it arrived later");
    let newer = store.message_by_provider_id(h.a, "wamid.NEWER").unwrap().unwrap();
    assert_eq!(conv.last_message_id, Some(newer.id), "the conversation still shows the newest message");
}

#[test]
fn shutdown_stops_the_listener() {
    let mut h = Harness::new();
    assert_eq!(h.get("/health").status, 200);
    h.server.take().unwrap().shutdown();
    // The socket is closed before shutdown returns; allow the OS a moment all the same.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(h.addr).is_ok() {
        assert!(std::time::Instant::now() < deadline, "nothing listens after shutdown");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_event_for_a_number_added_later_is_applied_by_a_replay() {
    let h = Harness::new();
    let body = text_message("999000222", "wamid.LATER", 1_767_268_800, "447700900123", "are you open?");
    assert_eq!(h.post_signed(h.a, &body).status, 200);
    let mut store = h.store();
    let event = store.webhook_events(1).unwrap()[0].id;

    let early = wicket_core::webhook::replay::replay(&mut store, &[]).unwrap();
    assert_eq!(early.len(), 1);
    assert_eq!((early[0].state, early[0].new_messages), ("unrouted", 0), "still no account for the number: nothing applied");

    let c = store
        .add_account(&NewAccount { provider: Provider::Meta, name: "New number".into(), phone: None, config: json!({ "phone_number_id": "999000222" }) })
        .unwrap();
    let unchecked = wicket_core::webhook::replay::replay(&mut store, &[]).unwrap();
    assert_eq!(unchecked[0].state, "unrouted", "without the secret store nobody can tell the new account shares the signing app secret");
    assert!(unchecked[0].error.as_deref().unwrap().contains("replay with the secret store"), "{unchecked:?}");
    h.secrets.set(c.id, SecretName::AppSecret, &Secret::new("another app's secret".into())).unwrap();
    let other = wicket_core::webhook::replay::replay_with(&mut store, Some(&h.secrets), &[]).unwrap();
    assert_eq!(other[0].state, "unrouted", "an account of another Meta app never gets a body this app signed");
    assert!(other[0].error.as_deref().unwrap().contains("another app secret"), "{other:?}");
    assert_eq!(h.message_count(c.id), 0);

    h.secrets.set(c.id, SecretName::AppSecret, &Secret::new(APP_SECRET.into())).unwrap();
    let done = wicket_core::webhook::replay::replay_with(&mut store, Some(&h.secrets), &[]).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].event_id, event);
    assert_eq!((done[0].state, done[0].new_messages), ("applied", 1), "the number now has an account: the message is applied");
    let m = store.message_by_provider_id(c.id, "wamid.LATER").unwrap().expect("the message is stored on the new account");
    assert_eq!(m.text.as_deref(), Some("are you open?"));
    assert_eq!(store.webhook_events(1).unwrap()[0].state, "applied");

    assert!(wicket_core::webhook::replay::replay(&mut store, &[]).unwrap().is_empty(), "nothing is left to replay");
    let again = wicket_core::webhook::replay::replay(&mut store, &[event]).unwrap();
    assert_eq!(again[0].new_messages, 0, "replaying an applied event changes nothing");
    assert_eq!(h.message_count(c.id), 1, "the message is stored once");
}
