//! Fault injection: the outbox's own send loop against fake Meta, WASender
//! and UniPile servers over real HTTP on loopback, each fake a raw tokio
//! listener that misbehaves on cue (429 with and without Retry-After, an
//! absurd Retry-After, 500s, a hung answer, a connection reset before or
//! after the request was read, a slow answer, malformed JSON, a token
//! revoked mid-run, nothing listening). The fake counts every message it
//! took in (acted on); each scenario checks the rule: a message ends `sent`
//! exactly once, or `failed` or `unknown` with its reason, never pending,
//! and a message whose outcome is unknown is never sent a second time.

use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wicket_core::error::{Error, ErrorKind};
use wicket_core::model::{Direction, MessageKind, MessageStatus, Provider};
use wicket_core::outbox::{self, SendTiming};
use wicket_core::providers::meta::MetaClient;
use wicket_core::providers::unipile::UnipileClient;
use wicket_core::providers::wasender::WasenderClient;
use wicket_core::providers::{OutgoingContent, ProviderClient};
use wicket_core::secrets::Secret;
use wicket_core::store::contacts::{ContactKey, ContactUpdate};
use wicket_core::store::messages::NewMessage;
use wicket_core::store::{NewAccount, Store};

/// What the fake does with one send request.
#[derive(Debug, Clone)]
enum Fault {
    /// Takes the message in and answers 200 with the provider's receipt.
    Accept,
    /// Takes it in and answers after a pause shorter than the client's timeout.
    Slow(Duration),
    /// Answers this status and body (with `Retry-After` when given); the
    /// message is not taken in.
    Refuse(u16, String, Option<String>),
    /// Takes it in and never answers (the client times out).
    Hang,
    /// Resets the connection before reading anything.
    ResetBeforeRead,
    /// Reads the whole request, takes the message in, then drops the socket.
    DropAfterRead,
    /// Takes it in and answers 200 with a body that is not JSON.
    Malformed,
}

impl Fault {
    fn takes_it_in(&self) -> bool {
        matches!(self, Fault::Accept | Fault::Slow(_) | Fault::Hang | Fault::DropAfterRead | Fault::Malformed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Meta,
    Wasender,
    Unipile,
}

/// A fake provider: plays `script` to the send requests in order (the last
/// entry repeats), answers message-info lookups, counts what it took in.
struct Fake {
    addr: std::net::SocketAddr,
    taken_in: Arc<Mutex<Vec<String>>>,
    send_requests: Arc<Mutex<usize>>,
}

impl Fake {
    async fn start(kind: Kind, script: Vec<Fault>) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Fake::serve(listener, kind, script)
    }

    fn serve(listener: TcpListener, kind: Kind, script: Vec<Fault>) -> Fake {
        let addr = listener.local_addr().unwrap();
        let taken_in = Arc::new(Mutex::new(vec![]));
        let send_requests = Arc::new(Mutex::new(0usize));
        let (t, n) = (taken_in.clone(), send_requests.clone());
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let (t, n, script) = (t.clone(), n.clone(), script.clone());
                tokio::spawn(async move { handle(socket, kind, &script, &t, &n).await });
            }
        });
        Fake { addr, taken_in, send_requests }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn taken_in(&self) -> Vec<String> {
        self.taken_in.lock().unwrap().clone()
    }

    fn send_requests(&self) -> usize {
        *self.send_requests.lock().unwrap()
    }
}

/// Reads one HTTP/1.1 request (head, then a Content-Length or chunked body).
async fn read_request(socket: &mut TcpStream) -> Option<(String, String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let header =
        |name: &str| head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_string()));
    let mut body = buf[head_end..].to_vec();
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < len {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        while !body.ends_with(b"0\r\n\r\n") {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Some((method, path, String::from_utf8_lossy(&body).to_string()))
}

async fn respond(socket: &mut TcpStream, status: u16, body: &str, retry_after: Option<&str>) {
    let extra = retry_after.map(|r| format!("Retry-After: {r}\r\n")).unwrap_or_default();
    let out = format!("HTTP/1.1 {status} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}", body.len());
    let _ = socket.write_all(out.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// The marker of the message a send carries (`msg-N` in its text).
fn marker(body: &str) -> String {
    let at = body.find("msg-").unwrap_or(0);
    body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

fn is_send(kind: Kind, method: &str, path: &str) -> bool {
    method == "POST"
        && match kind {
            Kind::Meta => path.ends_with("/messages"),
            Kind::Wasender => path == "/send-message",
            Kind::Unipile => path == "/api/v1/chats" || path.ends_with("/messages"),
        }
}

async fn handle(mut socket: TcpStream, kind: Kind, script: &[Fault], taken_in: &Mutex<Vec<String>>, send_requests: &Mutex<usize>) {
    // Which fault this connection plays is only known once it is a send;
    // a reset before reading applies to the next send in the script.
    let next = { script.get(*send_requests.lock().unwrap()).or(script.last()).cloned().unwrap_or(Fault::Accept) };
    if let Fault::ResetBeforeRead = next {
        *send_requests.lock().unwrap() += 1;
        // A zero linger turns the close into a reset.
        let _ = socket.set_zero_linger();
        drop(socket);
        return;
    }
    let Some((method, path, body)) = read_request(&mut socket).await else { return };
    if !is_send(kind, &method, &path) {
        // WASender's message info right after a send: not known yet.
        respond(&mut socket, 404, r#"{"success":false,"message":"not found"}"#, None).await;
        return;
    }
    let fault = {
        let mut n = send_requests.lock().unwrap();
        let f = script.get(*n).or(script.last()).cloned().unwrap_or(Fault::Accept);
        *n += 1;
        f
    };
    let id = marker(&body);
    if fault.takes_it_in() {
        taken_in.lock().unwrap().push(id.clone());
    }
    let receipt = match kind {
        Kind::Meta => json!({"messaging_product": "whatsapp", "contacts": [{"wa_id": "447911123456"}], "messages": [{"id": format!("wamid.{id}")}]}),
        Kind::Wasender => json!({"success": true, "data": {"msgId": 100 + taken_in.lock().unwrap().len(), "jid": "+447911123456", "status": "in_progress"}}),
        Kind::Unipile => json!({"object": "ChatStarted", "chat_id": "chat-1", "message_id": format!("uni-{id}")}),
    }
    .to_string();
    match fault {
        Fault::Accept => respond(&mut socket, 200, &receipt, None).await,
        Fault::Slow(d) => {
            tokio::time::sleep(d).await;
            respond(&mut socket, 200, &receipt, None).await
        }
        Fault::Refuse(status, body, retry_after) => respond(&mut socket, status, &body, retry_after.as_deref()).await,
        Fault::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
        Fault::DropAfterRead => {
            let _ = socket.set_zero_linger();
            drop(socket);
        }
        Fault::Malformed => respond(&mut socket, 200, "{\"messages\": [{\"id\": ", None).await,
        Fault::ResetBeforeRead => unreachable!("handled before reading"),
    }
}

fn client(kind: Kind, base: &str) -> ProviderClient {
    // Generous against a loaded machine; the hung fault waits far longer.
    let (connect, total) = (Duration::from_secs(2), Duration::from_secs(3));
    match kind {
        Kind::Meta => ProviderClient::Meta(
            MetaClient::new(base, "v23.0", "PN1", None, Secret::new("tok-fault-1234567".into())).unwrap().with_timeouts(connect, total).unwrap(),
        ),
        Kind::Wasender => ProviderClient::Wasender(
            WasenderClient::new(base, Secret::new("key-fault-1234567".into()), None, None).unwrap().with_timeouts(connect, total).unwrap(),
        ),
        Kind::Unipile => ProviderClient::Unipile(
            UnipileClient::new(base, Secret::new("key-fault-1234567".into()), Some("ACC1".into())).unwrap().with_timeouts(connect, total).unwrap(),
        ),
    }
}

/// A store with one account of `kind` and a customer who wrote first (so
/// Meta's window is open).
fn store_for(kind: Kind) -> (tempfile::TempDir, Store, wicket_core::store::Account) {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("wicket.db")).unwrap();
    store.set_setting("default_country", &json!("GB")).unwrap();
    let provider = match kind {
        Kind::Meta => Provider::Meta,
        Kind::Wasender => Provider::Wasender,
        Kind::Unipile => Provider::Unipile,
    };
    // No gap per recipient: these scenarios send one message after another to one number.
    let config = json!({"recipient_gap_seconds": 0});
    let account = store.add_account(&NewAccount { provider, name: "Shop".into(), phone: None, config }).unwrap();
    let c = store.upsert_contact(account.id, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
    let conv = store.get_or_create_conversation(account.id, c.id).unwrap();
    store
        .insert_message(&NewMessage {
            account_id: account.id,
            conversation_id: conv,
            provider_message_id: Some("in-1".into()),
            direction: Some(Direction::In),
            kind: Some(MessageKind::Text),
            text: Some("hi".into()),
            ..Default::default()
        })
        .unwrap();
    (tmp, store, account)
}

/// Short budgets so a scenario takes a few seconds at most.
fn timing() -> SendTiming {
    SendTiming {
        lease: Duration::from_secs(5),
        renew_every: Duration::from_secs(1),
        accepted_write_deadline: Duration::from_secs(5),
        backoff_unit: Duration::from_millis(50),
    }
}
const BUDGET: Duration = Duration::from_secs(5);

/// How one scenario must end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// Sent, and the fake took it in exactly once.
    SentOnce,
    /// Failed with this kind, and the fake never took it in.
    Failed(ErrorKind),
    /// Unknown (may have been sent), after exactly one send request.
    Unknown,
    /// Either, depending on whether the client saw the fault before it wrote
    /// the request (then it is a failed connect, safely retried) or after.
    SentOnceOrUnknown,
}

/// Sends one message through `script` and checks the rule.
async fn scenario(kind: Kind, name: &str, script: Vec<Fault>, end: End) {
    let fake = Fake::start(kind, script).await;
    scenario_with(kind, name, &fake, end).await;
}

async fn scenario_with(kind: Kind, name: &str, fake: &Fake, end: End) {
    let (_tmp, mut store, account) = store_for(kind);
    let tag = format!("msg-{}", name.replace([' ', '_'], ""));
    let queued =
        outbox::queue(&mut store, &account, "+447911123456", OutgoingContent::Text { body: format!("order {tag} ready"), preview_url: false }, None).unwrap();
    let client = client(kind, &fake.url());
    let result = outbox::send_loop(&mut store, &client, queued.id, BUDGET, &timing()).await;
    let m = store.message(queued.id).unwrap();
    let ctx = format!("{kind:?} / {name}: result {result:?}, message {:?} {:?}, fake took in {:?}", m.status, m.error, fake.taken_in());
    assert!(!matches!(m.status, MessageStatus::Pending | MessageStatus::Sending), "nothing is left pending: {ctx}");
    let times_taken_in = fake.taken_in().iter().filter(|t| **t == tag).count();
    let end = match end {
        End::SentOnceOrUnknown if m.status == MessageStatus::Sent => End::SentOnce,
        End::SentOnceOrUnknown => End::Unknown,
        other => other,
    };
    match end {
        End::SentOnce => {
            assert_eq!(m.status, MessageStatus::Sent, "{ctx}");
            assert!(result.is_ok(), "{ctx}");
            assert_eq!(times_taken_in, 1, "sent exactly once: {ctx}");
            assert!(m.provider_message_id.is_some(), "{ctx}");
        }
        End::Failed(want) => {
            assert_eq!(m.status, MessageStatus::Failed, "{ctx}");
            let err = result.expect_err(&ctx);
            assert_eq!(err.provider_error().map(|pe| pe.kind), Some(want), "{ctx}");
            assert!(m.error.as_ref().is_some_and(|e| !e.message.is_empty()), "failed with its reason: {ctx}");
            assert_eq!(times_taken_in, 0, "a failed message never went out: {ctx}");
        }
        End::SentOnceOrUnknown => unreachable!("decided above"),
        End::Unknown => {
            assert_eq!(m.status, MessageStatus::Unknown, "{ctx}");
            let err = result.expect_err(&ctx);
            assert!(matches!(err, Error::OutcomeUnknown(_)), "{ctx}");
            assert_eq!(err.exit_code(), 8, "{ctx}");
            let reason = m.error.clone().expect("unknown with its reason");
            assert_eq!(reason.kind, ErrorKind::OutcomeUnknown, "{ctx}");
            assert!(reason.message.contains("may have been sent"), "{ctx}");
            assert_eq!(fake.send_requests(), 1, "an unknown outcome is never sent again: {ctx}");
            assert!(times_taken_in <= 1, "{ctx}");
            // Asking again changes nothing: still unknown, nothing sent.
            let again = outbox::send_loop(&mut store, &client, queued.id, BUDGET, &timing()).await;
            assert!(matches!(again, Err(Error::OutcomeUnknown(_))), "{ctx}");
            assert_eq!(fake.send_requests(), 1, "{ctx}");
        }
    }
}

fn rate_limited(kind: Kind, retry_after: Option<&str>) -> Fault {
    let body = match kind {
        Kind::Meta => json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}}).to_string(),
        Kind::Wasender => r#"{"success":false,"message":"Too many requests"}"#.to_string(),
        Kind::Unipile => json!({"status": 429, "type": "errors/too_many_requests", "title": "Too many requests"}).to_string(),
    };
    Fault::Refuse(429, body, retry_after.map(str::to_string))
}

fn revoked(kind: Kind) -> Fault {
    let body = match kind {
        Kind::Meta => {
            json!({"error": {"message": "Error validating access token: The user has not authorized application", "type": "OAuthException", "code": 190}})
                .to_string()
        }
        Kind::Wasender => r#"{"success":false,"message":"Invalid API key"}"#.to_string(),
        // The API key itself refused (not the WhatsApp session).
        Kind::Unipile => json!({"status": 401, "title": "Unauthorized"}).to_string(),
    };
    Fault::Refuse(401, body, None)
}

async fn every_fault(kind: Kind) {
    let server_error = Fault::Refuse(500, "<html>oops</html>".into(), None);
    // Run concurrently: each scenario has its own fake and store.
    tokio::join!(
        scenario(kind, "429 then ok", vec![rate_limited(kind, None), Fault::Accept], End::SentOnce),
        scenario(kind, "429 retry after 1", vec![rate_limited(kind, Some("1")), Fault::Accept], End::SentOnce),
        // An absurd wait is capped (an hour), never a panic, and beyond the budget: given up.
        scenario(kind, "429 absurd retry after", vec![rate_limited(kind, Some("18446744073709551615"))], End::Failed(ErrorKind::RateLimited)),
        scenario(kind, "500 twice then ok", vec![server_error.clone(), server_error.clone(), Fault::Accept], End::SentOnce),
        scenario(kind, "500 for good", vec![server_error.clone()], End::Failed(ErrorKind::Unavailable)),
        scenario(kind, "slow answer", vec![Fault::Slow(Duration::from_millis(300))], End::SentOnce),
        scenario(kind, "timeout after the request", vec![Fault::Hang, Fault::Accept], End::Unknown),
        scenario(kind, "reset after the request was read", vec![Fault::DropAfterRead, Fault::Accept], End::Unknown),
        // A reset the client sees while connecting is a failed connect (retried);
        // one it sees after writing the request leaves the outcome open.
        scenario(kind, "reset before the request was read", vec![Fault::ResetBeforeRead, Fault::Accept], End::SentOnceOrUnknown),
        scenario(kind, "malformed json", vec![Fault::Malformed, Fault::Accept], End::Unknown),
        scenario(kind, "token revoked", vec![revoked(kind)], End::Failed(ErrorKind::Auth)),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_sends_survive_every_fault() {
    every_fault(Kind::Meta).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasender_sends_survive_every_fault() {
    every_fault(Kind::Wasender).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unipile_sends_survive_every_fault() {
    every_fault(Kind::Unipile).await;
}

/// Nothing listening yet: a failure to connect proves nothing went out, so
/// the send is retried and goes out once the provider is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_retried_and_sent_once() {
    for kind in [Kind::Meta, Kind::Wasender, Kind::Unipile] {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (_tmp, mut store, account) = store_for(kind);
        let queued =
            outbox::queue(&mut store, &account, "+447911123456", OutgoingContent::Text { body: "order msg-refused ready".into(), preview_url: false }, None)
                .unwrap();
        let client = client(kind, &format!("http://127.0.0.1:{port}"));
        // The provider comes back shortly after the first attempt failed.
        let back = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Fake::serve(TcpListener::bind(("127.0.0.1", port)).await.unwrap(), kind, vec![Fault::Accept])
        });
        let sent = outbox::send_loop(&mut store, &client, queued.id, BUDGET, &timing()).await;
        let fake = back.await.unwrap();
        assert!(sent.is_ok(), "{kind:?}: {sent:?}");
        assert_eq!(store.message(queued.id).unwrap().status, MessageStatus::Sent, "{kind:?}");
        assert!(store.message(queued.id).unwrap().attempts >= 2, "{kind:?}: the refused attempt counted");
        assert_eq!(fake.taken_in(), vec!["msg-refused".to_string()], "{kind:?}: sent exactly once");
    }
}

/// A token revoked mid-run: the first message goes out, every later one
/// fails with the reason (the owner must enter a new token), none is retried
/// or left pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_mid_run_fails_every_later_send_with_its_reason() {
    for kind in [Kind::Meta, Kind::Wasender, Kind::Unipile] {
        let fake = Fake::start(kind, vec![Fault::Accept, revoked(kind)]).await;
        let (_tmp, mut store, account) = store_for(kind);
        let client = client(kind, &fake.url());
        let mut ids = vec![];
        for i in 0..4 {
            let m =
                outbox::queue(&mut store, &account, "+447911123456", OutgoingContent::Text { body: format!("msg-r{i}"), preview_url: false }, None).unwrap();
            ids.push(m.id);
        }
        let mut outcomes = vec![];
        for id in &ids {
            outcomes.push(outbox::send_loop(&mut store, &client, *id, BUDGET, &timing()).await);
        }
        assert!(outcomes[0].is_ok(), "{kind:?}: {:?}", outcomes[0]);
        for (id, outcome) in ids.iter().zip(&outcomes).skip(1) {
            let m = store.message(*id).unwrap();
            assert_eq!(m.status, MessageStatus::Failed, "{kind:?}");
            assert_eq!(outcome.as_ref().unwrap_err().provider_error().unwrap().kind, ErrorKind::Auth, "{kind:?}");
            assert_eq!(outcome.as_ref().unwrap_err().exit_code(), 4, "{kind:?}");
        }
        assert_eq!(fake.send_requests(), 4, "{kind:?}: one request per message, an auth failure is not retried");
        assert_eq!(fake.taken_in(), vec!["msg-r0".to_string()], "{kind:?}");
    }
}
