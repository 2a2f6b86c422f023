//! The whole Meta round trip with `wicket serve` and `wicket send` as real
//! processes against a fake Graph API on loopback: add an account (secrets
//! from the environment into the vault), the webhook handshake, a signed
//! inbound message, a reply through the engine, status webhooks moving the
//! ticks, the 24-hour window refusal, the engine lock, a clean SIGTERM, and
//! no secret anywhere in the data dir or the logs.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{files_under, last_line, now_s, ok_json, sign, wait_until, Wicket};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "EAAG-test-access-token-0123456789abcdef";
const APP_SECRET: &str = "app-secret-5f1e2d3c4b5a69788796a5b4";
const VERIFY: &str = "verify-token-abc123xyz";
const PNID: &str = "318273645501234";

const WICKET: Wicket = Wicket::vault("round trip passphrase").vars(&[("T_TOKEN", TOKEN), ("T_SECRET", APP_SECRET), ("T_VERIFY", VERIFY)]);

/// A raw HTTP/1.1 request over a TcpStream; returns (status, body).
fn http(addr: &str, method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn post_webhook(addr: &str, account: &str, payload: &Value) -> u16 {
    let body = payload.to_string().into_bytes();
    let headers = [("Content-Type", "application/json".to_string()), ("X-Hub-Signature-256", sign(APP_SECRET, &body))];
    http(addr, "POST", &format!("/webhooks/meta/{account}"), &headers, &body).0
}

fn inbound(from: &str, wamid: &str, text: &str, ts: i64) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Priya Raman"}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]}}]}]})
}

fn status(wamid: &str, st: &str, ts: i64, callback: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "statuses": [{"id": wamid, "status": st, "timestamp": ts.to_string(), "recipient_id": "447911123456", "biz_opaque_callback_data": callback}]}}]}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_and_send_do_the_whole_round_trip() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "display_phone_number": "+1 555-010-2030", "verified_name": "Camden Parcel Co", "quality_rating": "GREEN", "id": PNID})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(body_partial_json(json!({"status": "read"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .with_priority(1)
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "contacts": [{"input": "+447911123456", "wa_id": "447911123456"}], "messages": [{"id": "wamid.OUT1"}]})))
        .mount(&graph)
        .await;

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let dir2 = dir.clone();
    let result = tokio::task::spawn_blocking(move || round_trip(&dir2, &uri)).await;
    let requests = graph.received_requests().await.unwrap();
    let sends: Vec<Value> = requests.iter().filter(|r| r.url.path().ends_with("/messages")).map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    let (reads, sends): (Vec<Value>, Vec<Value>) = sends.into_iter().partition(|b: &Value| b["status"] == json!("read"));
    assert_eq!(
        reads,
        vec![json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1"})],
        "opening the conversation marked it read on Meta"
    );
    result.unwrap();
    assert_eq!(sends.len(), 1, "exactly one send reached the fake: {sends:?}");
    let (account, message_id) = std::fs::read_to_string(dir.join("ids")).unwrap().split_once(' ').map(|(a, b)| (a.to_string(), b.trim().to_string())).unwrap();
    let _ = account;
    assert_eq!(
        sends[0],
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "447911123456", "type": "text",
               "text": {"preview_url": false, "body": "Your order is ready"}, "biz_opaque_callback_data": message_id}),
        "the fake received the documented body with our id as callback data"
    );

    // No secret in any file of the data dir: database, WAL, logs, vault.
    let files = files_under(&dir);
    assert!(files.iter().any(|f| f.starts_with(dir.join("logs"))), "logs were written");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for secret in [TOKEN, APP_SECRET, VERIFY] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{} contains a secret in plain text", f.display());
        }
    }
}

fn round_trip(dir: &Path, graph: &str) {
    // Add the account: secrets from the environment, connection tested against the fake.
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", String::from_utf8_lossy(&out.stderr));
    let account = last_line(&out);
    assert!(account.parse::<i64>().is_ok(), "the last line is the new account id: {account:?}");
    let accounts = ok_json(&WICKET.run(dir, &["account", "list", "--json"]));
    assert_eq!(accounts[0]["status"], json!("ok"), "the connection test marked the account ok");
    assert_eq!(accounts[0]["phone"], json!("+15550102030"));

    let tested = ok_json(&WICKET.run(dir, &["account", "test", &account, "--json"]));
    assert_eq!(tested["verified_name"], json!("Camden Parcel Co"));
    assert_eq!(tested["quality_rating"], json!("GREEN"));

    let mut serve = WICKET.serve(dir, &[], Stdio::piped());
    let addr = serve.addr.clone();

    // A second engine on the same data dir is refused with exit 7.
    let second = WICKET.run(dir, &["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(second.status.code(), Some(7), "second engine: {}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stderr).contains("pid"), "the refusal names the holder");

    // Health and the verification handshake.
    let (code, body) = http(&addr, "GET", "/health", &[], b"");
    assert_eq!(code, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["status"], json!("ok"));
    let (code, body) = http(&addr, "GET", &format!("/webhooks/meta/{account}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"), &[], b"");
    assert_eq!((code, body.as_str()), (200, "1158201444"));
    let (code, _) = http(&addr, "GET", &format!("/webhooks/meta/{account}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"), &[], b"");
    assert_eq!(code, 403);

    // A body claiming a huge length is refused and the listener lives on.
    let (code, _) = http(&addr, "POST", &format!("/webhooks/meta/{account}"), &[("Content-Length", "100000000000000".into())], b"{}");
    assert_eq!(code, 413);
    assert_eq!(http(&addr, "GET", "/health", &[], b"").0, 200, "still alive after a huge Content-Length");

    // A customer writes: signed webhook → stored before the 200.
    let now = now_s();
    assert_eq!(post_webhook(&addr, &account, &inbound("447911123456", "wamid.IN1", "Is my parcel ready?", now - 60)), 200);
    let convs = ok_json(&WICKET.run(dir, &["conversations", "--json"]));
    assert_eq!(convs[0]["unread"], json!(1));
    assert_eq!(convs[0]["contact"]["display_name"], json!("Priya Raman"));
    assert!(convs[0]["window_expires_at"].is_string(), "the customer-service window is open");

    // A bad signature changes nothing.
    let body = inbound("447911123456", "wamid.FORGED", "forged", now).to_string();
    let (code, _) = http(&addr, "POST", &format!("/webhooks/meta/{account}"), &[("X-Hub-Signature-256", "sha256=00".into())], body.as_bytes());
    assert_eq!(code, 401);

    // Reading does not mark read; --mark-read does, locally and on Meta.
    let conv_id = convs[0]["id"].as_str().unwrap().to_string();
    ok_json(&WICKET.run(dir, &["messages", "--conversation", &conv_id, "--mark-read", "--json"]));
    assert_eq!(ok_json(&WICKET.run(dir, &["conversations", "--json"]))[0]["unread"], json!(0));

    // The owner replies; the engine sends it; `send` waits and prints the row.
    let sent = ok_json(&WICKET.run(dir, &["send", "--json", "--account", &account, "--to", "+44 7911 123456", "--text", "Your order is ready"]));
    assert_eq!(sent["status"], json!("sent"));
    assert_eq!(sent["provider_message_id"], json!("wamid.OUT1"));
    let message_id = sent["id"].as_str().unwrap().to_string();
    std::fs::write(dir.join("ids"), format!("{account} {message_id}")).unwrap();

    // Status webhooks move the ticks, even out of order.
    assert_eq!(post_webhook(&addr, &account, &status("wamid.OUT1", "read", now + 5, &message_id)), 200);
    assert_eq!(post_webhook(&addr, &account, &status("wamid.OUT1", "delivered", now + 3, &message_id)), 200);
    let msgs = ok_json(&WICKET.run(dir, &["messages", "--account", &account, "--with", "+447911123456", "--json"]));
    let out = msgs.as_array().unwrap().iter().find(|m| m["id"] == json!(message_id)).unwrap().clone();
    assert_eq!(out["status"], json!("read"), "read is not downgraded by a late delivered");
    assert!(out["status_times"]["delivered"].is_string() && out["status_times"]["read"].is_string());
    assert_eq!(msgs[0]["text"], json!("Is my parcel ready?"), "oldest first");
    assert_eq!(msgs.as_array().unwrap().len(), 2, "the forged message was not stored");

    // Outside the window: refused locally, exit 4, nothing sent.
    let refused = WICKET.run(dir, &["send", "--account", &account, "--to", "+44 7911 123457", "--text", "hello?"]);
    assert_eq!(refused.status.code(), Some(4), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("24-hour"), "{}", String::from_utf8_lossy(&refused.stderr));

    // A clean shutdown on SIGTERM exits 0.
    let code = serve.terminate(Duration::from_secs(15));
    assert_eq!(code, Some(0), "serve exits 0 after a clean shutdown");
    wait_until("the lock to be free", Duration::from_secs(20), || WICKET.run(dir, &["account", "list"]).status.success());
}

/// An event answered 200 is on disk: killing the engine right after (no
/// clean shutdown at all) loses nothing.
#[test]
fn an_acknowledged_webhook_survives_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = WICKET.add_meta(dir, "Camden", PNID, "W", "http://127.0.0.1:9");
    assert!(out.status.success(), "an unreachable provider is a warning, not a failure: {}", String::from_utf8_lossy(&out.stderr));
    let account = last_line(&out);
    let serve = WICKET.serve(dir, &[], Stdio::piped());
    let now = now_s();
    for i in 0..5 {
        assert_eq!(post_webhook(&serve.addr, &account, &inbound("447911123456", &format!("wamid.K{i}"), &format!("message {i}"), now + i)), 200);
    }
    serve.kill_9();
    let msgs = ok_json(&WICKET.run(dir, &["messages", "--account", &account, "--with", "+447911123456", "--json"]));
    assert_eq!(msgs.as_array().unwrap().len(), 5, "every acknowledged message is stored");
}

/// `wicket serve --tunnel`: the fake tunnel forwards real traffic; its URL is
/// registered with Meta (the callback override) and a signed event sent to
/// the public URL is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_tunnel_registers_its_public_url() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}")))
        .and(body_partial_json(json!({"webhook_configuration": {"verify_token": VERIFY}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    let registered = tokio::task::spawn_blocking(move || {
        let out = WICKET.add_meta(&dir, "Camden", PNID, "W", &uri);
        let account = last_line(&out);
        let fake = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/fake-tunnel/fake_tunnel.py");
        let mut serve =
            WICKET.serve(&dir, &["--tunnel", "custom", "--tunnel-program", fake, "--tunnel-arg=--to", "--tunnel-arg=127.0.0.1:{port}"], Stdio::null());
        let mut public = None;
        let mut registered = None;
        for line in serve.stdout().by_ref() {
            let line = line.unwrap();
            if let Some(u) = line.strip_prefix("public URL ") {
                public = Some(u.trim().to_string());
            }
            if line.starts_with(&format!("account {account} (meta)")) {
                registered = Some(line);
                break;
            }
        }
        let public = public.expect("serve prints the public URL");
        let host = public.trim_start_matches("http://").trim_end_matches('/').to_string();
        assert_ne!(host, "", "a public address");
        let now = now_s();
        assert_eq!(
            post_webhook(&host, &account, &inbound("447911123456", "wamid.TUNNEL", "through the tunnel", now)),
            200,
            "a signed event through the tunnel is accepted"
        );
        let msgs = ok_json(&WICKET.run(&dir, &["messages", "--account", &account, "--with", "+447911123456", "--json"]));
        assert_eq!(msgs[0]["text"], json!("through the tunnel"));
        let settings = ok_json(&WICKET.run(&dir, &["settings", "list", "--json"]));
        assert_eq!(settings["public_url"], json!(public), "the public URL is remembered");
        let _ = Command::new("kill").args(["-TERM", &serve.child.id().to_string()]).status();
        let _ = serve.child.wait();
        registered.unwrap()
    })
    .await
    .unwrap();
    assert!(registered.contains("registered http://"), "the URL was registered with Meta: {registered}");
    let bodies: Vec<Value> = graph
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == format!("/v23.0/{PNID}"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0]["webhook_configuration"]["override_callback_uri"].as_str().unwrap().ends_with("/webhooks/meta/1"));
}

/// Answers each send with a new message id, as Meta does.
struct Numbered(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for Numbered {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "contacts": [{"input": "447911123456", "wa_id": "447911123456"}], "messages": [{"id": format!("wamid.SENT{n}")}]}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_covers_every_kind_as_a_process() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden Parcel Co", "quality_rating": "GREEN"})),
        )
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v23.0/WABA1/message_templates"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(
                std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/meta/meta_templates_page1.json"))
                    .unwrap()
                    .replace("\"next\"", "\"ignored_next\""),
            ),
        )
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/media")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "MEDIA-UPLOADED"})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(body_partial_json(json!({"to": "447911123457"})))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": "(#131026) Message undeliverable", "type": "OAuthException", "code": 131026}})),
        )
        .with_priority(1)
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(Numbered(Default::default()))
        .mount(&graph)
        .await;

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // No --verify-token-env: one is generated and shown once.
    let out = WICKET.run(
        dir,
        &[
            "account",
            "add",
            "meta",
            "--name",
            "Camden",
            "--phone-number-id",
            PNID,
            "--business-account-id",
            "WABA1",
            "--token-env",
            "T_TOKEN",
            "--app-secret-env",
            "T_SECRET",
            "--base-url",
            &graph.uri(),
        ],
    );
    assert!(out.status.success(), "account add failed: {}", String::from_utf8_lossy(&out.stderr));
    let account = last_line(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("verify token (shown once"), "the generated verify token is shown once: {said}");

    // The customer wrote a minute ago: the window is open.
    {
        use wicket_core::store::contacts::{ContactKey, ContactUpdate};
        let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
        let id: i64 = account.parse().unwrap();
        let c = store.upsert_contact(id, &ContactKey::phone("+447911123456"), &ContactUpdate::default()).unwrap();
        let conv = store.get_or_create_conversation(id, c.id).unwrap();
        store
            .insert_message(&wicket_core::store::NewMessage {
                account_id: id,
                conversation_id: conv,
                provider_message_id: Some("wamid.CUSTOMER".into()),
                direction: Some(wicket_core::model::Direction::In),
                kind: Some(wicket_core::model::MessageKind::Text),
                text: Some("hello".into()),
                timestamp: Some(now_s() * 1000 - 60_000),
                ..Default::default()
            })
            .unwrap();
    }
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str| {
        let p = files.path().join(name);
        std::fs::write(&p, format!("bytes of {name}")).unwrap();
        p.to_string_lossy().into_owned()
    };
    let (photo, invoice, voice, clip, sticker) = (file("photo.jpg"), file("invoice.pdf"), file("voice.ogg"), file("clip.mp4"), file("sticker.webp"));
    let to = ["--account", account.as_str(), "--to", "+44 7911 123456"];
    let send = |extra: &[&str]| -> Value {
        let args: Vec<&str> = ["send", "--json"].iter().copied().chain(to.iter().copied()).chain(extra.iter().copied()).collect();
        ok_json(&WICKET.run(dir, &args))
    };
    let image = send(&["--image", &photo, "--caption", "Your parcel"]);
    assert_eq!((image["kind"].as_str(), image["status"].as_str(), image["caption"].as_str()), (Some("image"), Some("sent"), Some("Your parcel")));
    send(&["--image", "https://cdn.example.com/p.jpg"]);
    send(&["--document", &invoice, "--filename", "Invoice 4521.pdf"]);
    send(&["--audio", &voice]);
    send(&["--video", &clip, "--caption", "How to open it"]);
    send(&["--sticker", &sticker]);
    let location = send(&["--location", "-33.8568,151.2153", "--name", "Opera House"]);
    assert_eq!(location["location"]["latitude"], json!(-33.8568), "negative coordinates pass through clap");
    ok_json(&WICKET.run(dir, &["templates", "--account", &account, "--sync", "--json"]));
    send(&[
        "--template",
        "order_ready",
        "--lang",
        "en_US",
        "--header-param",
        "#4521",
        "--param",
        "Priya",
        "--param",
        "#4521",
        "--param",
        "our Camden store",
        "--button-param",
        "1=4521",
    ]);
    let reply = send(&["--text", "Thanks!", "--reply-to", image["id"].as_str().unwrap()]);
    assert_eq!(reply["reply_to"]["id"], image["id"], "a reply names the message it quotes");
    let queued = send(&["--text", "later", "--no-wait"]);
    assert_eq!(queued["status"], json!("pending"), "--no-wait only queues");

    let bodies: Vec<Value> =
        graph.received_requests().await.unwrap().iter().filter(|r| r.url.path().ends_with("/messages")).map(|r| r.body_json().unwrap()).collect();
    let kinds: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["image", "image", "document", "audio", "video", "sticker", "location", "template", "text"], "one request per send, none for --no-wait");
    assert_eq!(bodies[0]["image"], json!({"id": "MEDIA-UPLOADED", "caption": "Your parcel"}), "a local file is uploaded first");
    assert_eq!(bodies[1]["image"], json!({"link": "https://cdn.example.com/p.jpg"}), "a URL is sent as a link");
    assert_eq!(bodies[2]["document"]["filename"], json!("Invoice 4521.pdf"));
    assert_eq!(bodies[6]["location"], json!({"latitude": -33.8568, "longitude": 151.2153, "name": "Opera House"}));
    assert_eq!(bodies[7]["template"]["components"][1]["parameters"][0], json!({"type": "text", "text": "Priya"}));
    assert_eq!(bodies[8]["context"], json!({"message_id": "wamid.SENT0"}), "the reply quotes the provider id of the image");
    for b in &bodies {
        assert!(b["biz_opaque_callback_data"].is_string(), "every send carries our id");
    }

    // Refused by the provider: exit 4 with the action in one line.
    let refused = WICKET.run(
        dir,
        &[
            "send",
            "--account",
            &account,
            "--to",
            "+447911123457",
            "--template",
            "order_ready",
            "--lang",
            "en_US",
            "--header-param",
            "#1",
            "--param",
            "A",
            "--param",
            "B",
            "--param",
            "C",
            "--button-param",
            "1=1",
        ],
    );
    assert_eq!(refused.status.code(), Some(4), "{}", String::from_utf8_lossy(&refused.stderr));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line on stderr: {err}");
    // The vault without its passphrase: exit 6, nothing sent.
    let locked = WICKET
        .cmd(dir)
        .env_remove("WICKET_VAULT_PASSPHRASE")
        .args(["send", "--account", &account, "--to", "+44 7911 123456", "--text", "x"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(locked.status.code(), Some(6), "secrets unavailable: {}", String::from_utf8_lossy(&locked.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_reports_each_account_and_fails_when_a_check_does() {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden Parcel Co", "quality_rating": "GREEN"})),
        )
        .up_to_n_times(2)
        .mount(&graph)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", &graph.uri());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let account = last_line(&out);

    let report = ok_json(&WICKET.run(dir, &["monitor", "--json"]));
    let rows = report.as_array().expect("an array, one object per account");
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r["account_id"].as_str(), r["status"].as_str()), (Some(account.as_str()), Some("ok")));
    assert_eq!(r["verified_name"], json!("Camden Parcel Co"));
    assert_eq!(r["quality_rating"], json!("GREEN"));
    for field in ["unread_messages", "queued_messages", "last_activity_at", "engine", "error", "checked_at", "status_since"] {
        assert!(r.get(field).is_some(), "field {field} is always present");
    }
    assert!(r["engine"].is_null() && r["error"].is_null());

    // The token was revoked: Meta answers 190.
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}})),
        )
        .mount(&graph)
        .await;
    let failed = WICKET.run(dir, &["monitor", "--json"]);
    assert_eq!(failed.status.code(), Some(4), "a failed check fails the run");
    let report: Value = serde_json::from_slice(&failed.stdout).unwrap();
    assert_eq!(report[0]["error"]["kind"], json!("auth"));
    assert_eq!(report[0]["error"]["code"], json!("190"));
    assert_eq!(report[0]["status"], json!("needs_token"), "the account now says it needs a new token");
}
