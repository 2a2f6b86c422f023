//! Away and greeting messages end to end with real processes, a real SQLite
//! file and a fake Graph API over HTTP: the settings are checked by `wicket
//! settings set`; a customer who writes (a signed webhook to `wicket serve`)
//! while closed gets the greeting and the away message through the outbox,
//! `origin: "automatic"` in `wicket messages --json`; writing again in the
//! same closed period gets nothing more, across a kill -9 and a restart; a
//! message stored while nothing ran is answered at the next start; an
//! opted-out customer gets nothing.

#[path = "support/cli.rs"]
mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::{last_line, now_s, ok_json, sign, stderr, wait_until, Wicket};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const APP_SECRET: &str = "app-secret-5f1e2d3c4b5a69788796a5b4";
const PNID: &str = "318273645501234";
const WICKET: Wicket = Wicket::vault("away messages passphrase").vars(&[
    ("T_TOKEN", "EAAG-test-access-token-0123456789abcdef"),
    ("T_SECRET", APP_SECRET),
    ("T_VERIFY", "verify-token-abc123xyz"),
]);

async fn graph() -> MockServer {
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v23.0/{PNID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"display_phone_number": "+1 555-010-2030", "verified_name": "Camden", "id": PNID})))
        .mount(&graph)
        .await;
    let counter = std::sync::atomic::AtomicUsize::new(0);
    Mock::given(method("POST"))
        .and(path(format!("/v23.0/{PNID}/messages")))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.OUT{n}")}]}))
        })
        .mount(&graph)
        .await;
    graph
}

fn post_webhook(addr: &str, account: &str, payload: &Value) -> u16 {
    let body = payload.to_string().into_bytes();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /webhooks/meta/{account} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n",
        sign(APP_SECRET, &body),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn inbound(from: &str, name: &str, wamid: &str, text: &str, ts: i64) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550102030", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": name}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]}}]}]})
}

fn messages(dir: &Path, conversation: &str) -> Vec<Value> {
    ok_json(&WICKET.run(dir, &["messages", "--conversation", conversation, "--json"])).as_array().unwrap().clone()
}

fn conversation_of(dir: &Path, phone: &str) -> String {
    let list = ok_json(&WICKET.run(dir, &["conversations", "--json"]));
    let c = list.as_array().unwrap().iter().find(|c| c.to_string().contains(phone)).unwrap_or_else(|| panic!("no conversation with {phone}: {list}"));
    c["id"].as_str().unwrap().to_string()
}

fn automatic(dir: &Path, conversation: &str) -> Vec<String> {
    messages(dir, conversation).iter().filter(|m| m["origin"] == json!("automatic")).map(|m| m["text"].as_str().unwrap_or_default().to_string()).collect()
}

/// Bodies of the sends that reached the fake.
async fn sends(graph: &MockServer) -> Vec<Value> {
    let all = graph.received_requests().await.unwrap();
    all.iter().filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/messages")).map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

#[test]
fn settings_set_refuses_bad_values_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bad = [
        ("opening_hours", "weekdays 9-5", "mon-fri 09:00-17:30"),
        ("opening_hours", "fri 18:00-02:00", "24:00"),
        ("opening_hours", "mon-fri 09:00-17:61", "HH:MM-HH:MM"),
        ("holidays", "25/12/2026", "YYYY-MM-DD"),
        ("time_zone", "Mars/Olympus", "IANA"),
        ("away_message", "42", "text"),
    ];
    for (key, value, hint) in bad {
        let out = WICKET.run(dir, &["settings", "set", key, value]);
        assert_eq!(out.status.code(), Some(2), "{key} {value}: {}", stderr(&out));
        assert!(stderr(&out).contains(hint), "{key} {value}: the message says what to write: {}", stderr(&out));
    }
    for (key, value) in [
        ("opening_hours", "mon-fri 09:00-17:30; sat 10:00-14:00"),
        ("holidays", "2026-12-25,2026-12-26"),
        ("time_zone", "Europe/London"),
        ("away_message", "We are closed; we answer from 9:00."),
        ("greeting_message", "Welcome to Camden Bakery!"),
        ("greeting_message", ""),
    ] {
        let out = WICKET.run(dir, &["settings", "set", key, value]);
        assert!(out.status.success(), "{key} {value}: {}", stderr(&out));
    }
    let listed = ok_json(&WICKET.run(dir, &["settings", "list", "--json"]));
    assert_eq!(listed["opening_hours"], json!("mon-fri 09:00-17:30; sat 10:00-14:00"));
    assert_eq!(listed["holidays"], json!("2026-12-25,2026-12-26"));
    assert_eq!(listed["greeting_message"], json!(""), "empty turns it off");
}

/// Yesterday, today and tomorrow (UTC) as holidays: closed around now, whatever the hour the test runs.
fn holidays_around_now() -> String {
    let day = |offset: i64| chrono::DateTime::from_timestamp(now_s() + offset * 86_400, 0).unwrap().format("%Y-%m-%d").to_string();
    format!("{},{},{}", day(-1), day(0), day(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_writes_while_closed_gets_the_away_message_once_across_restarts() {
    let graph = graph().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let uri = graph.uri();
    tokio::task::spawn_blocking(move || away_round_trip(&dir, &uri)).await.unwrap();
    let bodies = sends(&graph).await;
    let texts: Vec<(String, String)> =
        bodies.iter().map(|b| (b["to"].as_str().unwrap_or_default().to_string(), b["text"]["body"].as_str().unwrap_or_default().to_string())).collect();
    let expected = [
        ("447911123456", "Welcome to Camden Bakery, Priya!"),
        ("447911123456", "We are closed today; we answer tomorrow."),
        ("447911654321", "Welcome to Camden Bakery, Tom!"),
        ("447911654321", "We are closed today; we answer tomorrow."),
    ];
    assert_eq!(texts.len(), expected.len(), "each automatic reply reached Meta once, none to the opted-out customer: {texts:?}");
    for (to, body) in expected {
        assert!(texts.iter().any(|(t, b)| t == to && b == body), "{to} got {body:?}: {texts:?}");
    }
}

fn away_round_trip(dir: &Path, graph: &str) {
    let out = WICKET.add_meta(dir, "Camden", PNID, "WABA1", graph);
    assert!(out.status.success(), "account add failed: {}", stderr(&out));
    let account = last_line(&out);
    for (key, value) in [
        ("time_zone", "UTC".to_string()),
        ("opening_hours", "mon-sun 00:00-24:00".to_string()),
        ("holidays", holidays_around_now()),
        ("away_message", "We are closed today; we answer tomorrow.".to_string()),
        ("greeting_message", "Welcome to Camden Bakery, {first_name}!".to_string()),
    ] {
        let out = WICKET.run(dir, &["settings", "set", key, &value]);
        assert!(out.status.success(), "{key}: {}", stderr(&out));
    }
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    let now = now_s();
    assert_eq!(post_webhook(&serve.addr, &account, &inbound("447911123456", "Priya Raman", "wamid.P1", "Is my cake ready?", now)), 200);
    let priya = conversation_of(dir, "447911123456");
    wait_until("the greeting and the away message are sent", Duration::from_secs(30), || {
        messages(dir, &priya).iter().filter(|m| m["origin"] == json!("automatic") && m["status"] == json!("sent")).count() == 2
    });
    assert_eq!(automatic(dir, &priya), vec!["Welcome to Camden Bakery, Priya!", "We are closed today; we answer tomorrow."]);

    // She writes again in the same closed period: nothing more, also after a kill -9 and a restart.
    assert_eq!(post_webhook(&serve.addr, &account, &inbound("447911123456", "Priya Raman", "wamid.P2", "Hello?", now_s())), 200);
    std::thread::sleep(Duration::from_secs(2));
    serve.kill_9();
    // Tom's message is stored while nothing runs (a poller or an import would do the same).
    {
        use wicket_core::store::contacts::{ContactKey, ContactUpdate};
        let mut store = wicket_core::Store::open(&dir.join("wicket.db")).unwrap();
        let id: i64 = account.parse().unwrap();
        let c = store
            .upsert_contact(id, &ContactKey::phone("+447911654321"), &ContactUpdate { profile_name: Some("Tom Hale".into()), ..Default::default() })
            .unwrap();
        let conv = store.get_or_create_conversation(id, c.id).unwrap();
        store
            .insert_message(&wicket_core::store::NewMessage {
                account_id: id,
                conversation_id: conv,
                provider_message_id: Some("wamid.T1".into()),
                direction: Some(wicket_core::model::Direction::In),
                kind: Some(wicket_core::model::MessageKind::Text),
                text: Some("Do you deliver?".into()),
                timestamp: Some(now_s() * 1000),
                ..Default::default()
            })
            .unwrap();
    }
    let serve = WICKET.serve(dir, &[], Stdio::null()).drained();
    let tom = conversation_of(dir, "447911654321");
    wait_until("Tom's replies are sent after the restart", Duration::from_secs(30), || {
        messages(dir, &tom).iter().filter(|m| m["origin"] == json!("automatic") && m["status"] == json!("sent")).count() == 2
    });
    // A customer who opted out gets nothing: STOP, then a question.
    assert_eq!(post_webhook(&serve.addr, &account, &inbound("447911777777", "Sam Oduya", "wamid.S1", "STOP", now_s())), 200);
    assert_eq!(post_webhook(&serve.addr, &account, &inbound("447911777777", "Sam Oduya", "wamid.S2", "When do you open?", now_s())), 200);
    std::thread::sleep(Duration::from_secs(3));
    drop(serve);
    assert_eq!(automatic(dir, &priya).len(), 2, "Priya got each reply once");
    assert!(automatic(dir, &conversation_of(dir, "447911777777")).is_empty(), "nothing automatic to an opted-out customer");
    let human = messages(dir, &priya).into_iter().filter(|m| m["direction"] == json!("out")).all(|m| m["origin"] == json!("automatic"));
    assert!(human, "every outgoing message there is marked automatic");
}
